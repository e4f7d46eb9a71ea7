#include <array>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "absl/time/time.h"
#include "admin/approvals_page.h"

namespace ingestd::admin {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

workflow::PendingTask Task(std::string id, json::value input) {
  workflow::PendingTask task;
  task.id = std::move(id);
  task.task_token = "token-" + task.id;
  task.execution = "arn:aws:states:local:000000000000:execution:ingestd:" + task.id;
  task.state = "Ask Admin";
  task.input = std::move(input);
  task.created_at = absl::FromUnixMillis(1764892345123);
  return task;
}

TEST(PendingTaskJson, HasTheContractMembers) {
  workflow::PendingTask task = Task("run-1", json::parse(R"({"email":"a@b.com"})"));
  task.expires_at = absl::FromUnixSeconds(1796428345);
  json::object j = PendingTaskJson(task);
  EXPECT_EQ(json::value(j), json::parse(R"({
      "id": "run-1",
      "task_token": "token-run-1",
      "execution": "arn:aws:states:local:000000000000:execution:ingestd:run-1",
      "input": {"email": "a@b.com"},
      "created_at": "2025-12-04T23:52:25.123Z",
      "expires_at": "2026-12-04T23:52:25.000Z"})"));
}

TEST(PendingTaskJson, ExpiresAtIsNullWithoutDeadline) {
  json::array list = PendingTasksJson({Task("a", {}), Task("b", json::array{1, 2})});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_TRUE(list[0].at("expires_at").is_null());
  EXPECT_EQ(list[1].at("input"), json::parse("[1,2]"));
}

TEST(DecisionPath, PercentEncodesTheId) {
  EXPECT_EQ(DecisionPath("run-1_a.b~c", "approve"), "/approvals/run-1_a.b~c/approve");
  EXPECT_EQ(DecisionPath("a b/\"<", "reject"), "/approvals/a%20b%2F%22%3C/reject");
  EXPECT_EQ(PercentEncode("é"), "%C3%A9");
}

TEST(RenderApprovalsPage, CardHasInputTimesAndBothForms) {
  workflow::PendingTask task =
      Task("run-1", json::parse(R"({"item":{"user_name":"Ann","email":"ann@x.com","pincode":"12"},
                               "reason":"pincode invalid"})"));
  task.expires_at = absl::FromUnixSeconds(1796428345);
  const std::string page = RenderApprovalsPage({task}, {.csrf_token = "csrf-123"});
  EXPECT_THAT(page, HasSubstr("<!doctype html>"));
  EXPECT_THAT(page, HasSubstr("name=\"viewport\""));
  EXPECT_THAT(page, HasSubstr("<dt>user_name</dt><dd>Ann</dd>"));
  EXPECT_THAT(page, HasSubstr("<dt>reason</dt><dd>pincode invalid</dd>"));
  EXPECT_THAT(page, HasSubstr("<time datetime=\"2025-12-04T23:52:25.123Z\">"));
  EXPECT_THAT(page, HasSubstr("2026-12-04T23:52:25.000Z"));
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/approvals/run-1/approve\">"
                              "<input type=\"hidden\" name=\"csrf_token\" value=\"csrf-123\">"));
  EXPECT_THAT(page, HasSubstr("<form method=\"post\" action=\"/approvals/run-1/reject\">"
                              "<input type=\"hidden\" name=\"csrf_token\" value=\"csrf-123\">"));
  EXPECT_THAT(page, HasSubstr(">Approve</button>"));
  EXPECT_THAT(page, HasSubstr(">Reject</button>"));
  EXPECT_THAT(page, HasSubstr("name=\"comment\""));
  // Nothing is loaded from anywhere: no scripts, no links to assets.
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("No approvals are waiting")));
}

TEST(RenderApprovalsPage, EscapesEveryHostileValue) {
  const std::string evil = "<script>alert(1)</script>\"'&";
  json::object input;
  input[evil] = evil;
  input["nested"] = json::object{{"deep", evil}};
  input["list"] = json::array{evil};
  workflow::PendingTask task = Task(evil, input);
  const std::string page = RenderApprovalsPage({task}, {.csrf_token = "\"><b>x</b>"});
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("<b>x")));
  EXPECT_THAT(page, Not(HasSubstr("\"'&<")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
  // The id is percent-encoded in the form action, then HTML-escaped.
  EXPECT_THAT(page, HasSubstr("action=\"/approvals/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
                              "%22%27%26/approve\""));
  EXPECT_THAT(page, HasSubstr("value=\"&quot;&gt;&lt;b&gt;x&lt;/b&gt;\""));
}

TEST(RenderApprovalsPage, EmptyStateAndPaging) {
  const std::string empty = RenderApprovalsPage({}, {.csrf_token = "c"});
  EXPECT_THAT(empty, HasSubstr("No approvals are waiting"));
  EXPECT_THAT(empty, Not(HasSubstr("<form")));
  EXPECT_THAT(empty, Not(HasSubstr("<nav>")));

  const std::string middle = RenderApprovalsPage(
      {Task("a", json::object{})}, {.csrf_token = "c",
                                    .next_url = "/approvals?limit=1&cursor=x&format=html",
                                    .first_page = false});
  EXPECT_THAT(
      middle,
      HasSubstr("<a rel=\"next\" href=\"/approvals?limit=1&amp;cursor=x&amp;format=html\">"));
  EXPECT_THAT(middle, HasSubstr("href=\"/approvals?format=html\">First page</a>"));
}

TEST(RenderApprovalsPage, NonObjectInputIsShownAsJson) {
  const std::string page = RenderApprovalsPage({Task("a", json::array{1, "<x>"})}, {});
  EXPECT_THAT(page, HasSubstr("<dt>input</dt><dd>[1,&quot;&lt;x&gt;&quot;]</dd>"));
}

TEST(ApprovalsPageCsp, IsStrictAndAllowsTheInlineStyleByHash) {
  const std::string& csp = ApprovalsPageCsp();
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("form-action 'self'"));
  EXPECT_THAT(csp, HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(csp, HasSubstr("style-src 'sha256-"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(csp, Not(HasSubstr("script-src")));
}

// The browser applies the <style> only if its SHA-256 is the one the CSP names.
TEST(ApprovalsPageCsp, HashMatchesTheStyleOfBothPages) {
  for (const std::string& page : {RenderApprovalsPage({}, {}), RenderDecisionErrorPage("t", "m")}) {
    const std::size_t open = page.find("<style>");
    const std::size_t close = page.find("</style>");
    ASSERT_NE(open, std::string::npos);
    ASSERT_NE(close, std::string::npos);
    const std::string style = page.substr(open + 7, close - open - 7);
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(style.data()), style.size(), digest.data());
    std::string b64(64, '\0');
    b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(b64.data()), digest.data(), digest.size())));
    EXPECT_THAT(ApprovalsPageCsp(), HasSubstr("style-src 'sha256-" + b64 + "'"));
  }
}

TEST(RenderDecisionErrorPage, EscapesAndLinksBack) {
  const std::string page = RenderDecisionErrorPage("Already <decided>", "it's <gone>");
  EXPECT_THAT(page, HasSubstr("Already &lt;decided&gt;"));
  EXPECT_THAT(page, HasSubstr("it&#39;s &lt;gone&gt;"));
  EXPECT_THAT(page, HasSubstr("href=\"/approvals?format=html\""));
}

}  // namespace
}  // namespace ingestd::admin
