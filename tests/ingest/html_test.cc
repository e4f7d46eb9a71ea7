// Tests of HTML escaping and the items page.
#include "ingest/html.h"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace ingestd::ingest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HtmlEscapeTest, EscapesEverySpecialCharacter) {
  EXPECT_EQ(HtmlEscape("&"), "&amp;");
  EXPECT_EQ(HtmlEscape("<"), "&lt;");
  EXPECT_EQ(HtmlEscape(">"), "&gt;");
  EXPECT_EQ(HtmlEscape("\""), "&quot;");
  EXPECT_EQ(HtmlEscape("'"), "&#39;");
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f&amp;"), "a&amp;b&lt;c&gt;d&quot;e&#39;f&amp;amp;");
}

TEST(HtmlEscapeTest, LeavesOtherTextAlone) {
  EXPECT_EQ(HtmlEscape(""), "");
  EXPECT_EQ(HtmlEscape("Ann Lee \xC3\xA9 1234 / = ;"), "Ann Lee \xC3\xA9 1234 / = ;");
  EXPECT_EQ(HtmlEscape(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(HtmlEscapeTest, AppendKeepsPrefix) {
  std::string out = "<b>";
  AppendHtmlEscaped(out, "<i>");
  EXPECT_EQ(out, "<b>&lt;i&gt;");
}

store::Item MakeItem(std::string user_name, std::string email, std::string pincode) {
  return store::Item{.id = email,
                     .user_name = std::move(user_name),
                     .email = email,
                     .pincode = std::move(pincode),
                     .created_at = absl::FromUnixSeconds(1700000000),
                     .updated_at = absl::FromUnixSeconds(1700000001)};
}

TEST(RenderItemsPageTest, EscapesHostileValues) {
  const std::string page =
      RenderItemsPage({MakeItem("<script>alert(1)</script>", "\"onmouseover=\"x@b.com", "'1234&")},
                      "/?limit=1&cursor=\"><script>alert(2)</script>", "/?a='b'");
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, Not(HasSubstr("\"onmouseover")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("&quot;onmouseover=&quot;x@b.com"));
  EXPECT_THAT(page, HasSubstr("&#39;1234&amp;"));
  EXPECT_THAT(page, HasSubstr("href=\"/?limit=1&amp;cursor=&quot;&gt;&lt;script&gt;alert(2)&lt;/"
                              "script&gt;\""));
  EXPECT_THAT(page, HasSubstr("href=\"/?a=&#39;b&#39;\""));
}

TEST(RenderItemsPageTest, ShowsEveryItemAndTimes) {
  const std::string page =
      RenderItemsPage({MakeItem("Ann", "ann@b.com", "1234"), MakeItem("Bob", "bob@b.com", "56789")},
                      std::nullopt, std::nullopt);
  EXPECT_THAT(page, HasSubstr("<!doctype html>"));
  EXPECT_THAT(page, HasSubstr("2 items on this page"));
  EXPECT_THAT(page, HasSubstr("ann@b.com"));
  EXPECT_THAT(page, HasSubstr("bob@b.com"));
  EXPECT_THAT(page, HasSubstr("56789"));
  EXPECT_THAT(page, HasSubstr("2023-11-14T22:13:20"));
  EXPECT_THAT(page, Not(HasSubstr("rel=\"next\"")));
  EXPECT_THAT(page, Not(HasSubstr("rel=\"first\"")));
}

TEST(RenderItemsPageTest, EmptyPage) {
  const std::string page = RenderItemsPage({}, std::nullopt, "/?limit=5");
  EXPECT_THAT(page, HasSubstr("0 items on this page"));
  EXPECT_THAT(page, HasSubstr("No items yet."));
  EXPECT_THAT(page, HasSubstr("rel=\"first\" href=\"/?limit=5\""));
}

TEST(RenderItemsPageTest, OneItemIsSingular) {
  const std::string page =
      RenderItemsPage({MakeItem("Ann", "ann@b.com", "1234")}, "/?limit=1&cursor=abc", std::nullopt);
  EXPECT_THAT(page, HasSubstr("1 item on this page"));
  EXPECT_THAT(page, HasSubstr("rel=\"next\" href=\"/?limit=1&amp;cursor=abc\""));
}

}  // namespace
}  // namespace ingestd::ingest
