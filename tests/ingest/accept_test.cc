// Tests of content negotiation (PrefersHtml).
#include "ingest/accept.h"

#include <string>

#include <gtest/gtest.h>

namespace ingestd::ingest {
namespace {

struct AcceptCase {
  std::string accept;
  bool html;
};

class PrefersHtmlTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(PrefersHtmlTest, Decides) {
  EXPECT_EQ(PrefersHtml(GetParam().accept), GetParam().html) << GetParam().accept;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PrefersHtmlTest,
    ::testing::Values(
        // Browsers.
        AcceptCase{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
                   "*/*;q=0.8",
                   true},
        AcceptCase{"text/html,application/xhtml+xml,*/*;q=0.8", true},
        // curl, libraries, nothing.
        AcceptCase{"*/*", false}, AcceptCase{"", false}, AcceptCase{"application/json", false},
        AcceptCase{"text/plain", false}, AcceptCase{"image/png", false},
        // Exact types and q-values.
        AcceptCase{"text/html", true}, AcceptCase{"TEXT/HTML", true},
        AcceptCase{"text/html, application/json", false},  // a tie is JSON
        AcceptCase{"application/json, text/html;q=0.5", false},
        AcceptCase{"text/html;q=0.5, application/json;q=0.4", true},
        AcceptCase{"text/html;q=0.4, application/json;q=0.5", false},
        AcceptCase{"text/html;q=0", false}, AcceptCase{"text/html;q=0, */*", false},
        AcceptCase{"text/html;Q=0.9, application/json;q=0.8", true},
        AcceptCase{" text/html ; q=0.9 ,\tapplication/json ; q=0.8 ", true},
        AcceptCase{"text/html;level=1;q=0.9, application/json;q=0.1", true},
        AcceptCase{"application/json;q=0, */*", true},  // */* gives html 1, json is 0
        AcceptCase{"application/json;q=0, text/html", true},
        // Ranges: the most specific match wins.
        AcceptCase{"text/*", true}, AcceptCase{"text/*;q=0.5, */*;q=0.1", true},
        AcceptCase{"text/*;q=0.1, */*;q=0.5", false}, AcceptCase{"application/*", false},
        AcceptCase{"text/*, application/*", false},
        AcceptCase{"text/html;q=0.2, text/*;q=0.9, */*;q=0.5", false},
        AcceptCase{"*/*;q=0.1, text/html;q=0.2", true},
        // Malformed q-values are ignored (q stays 1); out-of-range ones too.
        AcceptCase{"text/html;q=abc, application/json;q=0.9", true},
        AcceptCase{"text/html;q=2, application/json;q=0.9", true},
        AcceptCase{"text/html;q=-1, application/json;q=0.9", true},
        AcceptCase{"application/json;q=, text/html;q=0.9", false},
        // Junk does not match anything.
        AcceptCase{",,,;;;", false}, AcceptCase{"text/htmlx", false},
        AcceptCase{"text/html*", false}));

}  // namespace
}  // namespace ingestd::ingest
