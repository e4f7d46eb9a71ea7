#include <array>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "absl/time/time.h"
#include "admin/approvals_page.h"
#include "admin/routes.h"
#include "admin_routes_fixture.h"
#include "common/clock.h"
#include "http/handler.h"
#include "http/router.h"
#include "store/store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/durable.h"
#include "workflow/scheduler.h"
#include "workflow/workflow.h"

namespace ingestd::admin {
namespace {

namespace json = boost::json;
using ::ingestd::testing::IsOk;
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

// ---- end to end: the routes on a real DurableExecutions over the memory store ----

// A workflow that asks an admin about $.item, then stores it; with a manual clock and
// scheduler, so deadlines fire only when a test says so.
constexpr std::string_view kApprovalWorkflow = R"({
  "StartAt": "Ask",
  "States": {
    "Ask": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ingestd:approval.waitForTaskToken",
      "Parameters": {"TaskToken.$": "$$.Task.Token", "item.$": "$.item"},
      "TimeoutSeconds": 3600,
      "ResultPath": "$.approval",
      "Next": "Store"
    },
    "Store": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ingestd:store.put",
      "Parameters": {"id.$": "$.item.email", "user_name.$": "$.item.user_name",
                     "email.$": "$.item.email", "pincode.$": "$.item.pincode"},
      "End": true
    }
  }
})";

class ApprovalRoutesTest : public AdminRoutesFixture {
 protected:
  void SetUp() override { OpenRoutes(kApprovalWorkflow, "csrf-1"); }

  http::Response Call(http::Verb verb, std::string target, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request request{verb, target, 11};
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = std::move(body);
    request.prepare_payload();
    return Dispatch(std::move(request));
  }

  // Starts an execution that waits for an approval of `item`.
  std::string StartPending(const std::string& name, json::object item) {
    json::object input;
    input["item"] = std::move(item);
    auto promise = std::make_shared<std::promise<absl::StatusOr<workflow::StartResult>>>();
    auto future = promise->get_future();
    executions_->Start(input, name, /*record=*/false,
                       [promise](absl::StatusOr<workflow::StartResult> r) mutable {
                         promise->set_value(std::move(r));
                       });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    absl::StatusOr<workflow::StartResult> started = future.get();
    EXPECT_THAT(started, IsOk());
    if (!started.ok()) return "";
    EXPECT_TRUE(started->result.waiting);
    return started->arn;
  }

  static json::object Item(std::string email, std::string user_name = "Ann") {
    return json::object{{"user_name", user_name}, {"email", email}, {"pincode", "12"}};
  }

  std::optional<store::Item> StoredItem(const std::string& id) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<std::optional<store::Item>>>>();
    auto future = promise->get_future();
    store_->Get(id, [promise](absl::StatusOr<std::optional<store::Item>> r) mutable {
      promise->set_value(std::move(r));
    });
    absl::StatusOr<std::optional<store::Item>> got = future.get();
    EXPECT_THAT(got, IsOk());
    return got.ok() ? *got : std::nullopt;
  }

  workflow::ExecutionDescription Describe(const std::string& arn) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<workflow::ExecutionDescription>>>();
    auto future = promise->get_future();
    executions_->Describe(arn, [promise](absl::StatusOr<workflow::ExecutionDescription> d) mutable {
      promise->set_value(std::move(d));
    });
    absl::StatusOr<workflow::ExecutionDescription> d = future.get();
    EXPECT_THAT(d, IsOk());
    return d.ok() ? *d : workflow::ExecutionDescription{};
  }

  // The description of `arn` once it has ended. A decision by token is answered once it is
  // durable and the execution ends just after, so this asks again (bounded) until it has.
  workflow::ExecutionDescription DescribeEnded(const std::string& arn) {
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    workflow::ExecutionDescription d = Describe(arn);
    while (d.status == "RUNNING" && absl::Now() < give_up) {
      std::this_thread::yield();
      d = Describe(arn);
    }
    return d;
  }
};

json::value Body(const http::Response& response) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body(), ec);
  EXPECT_FALSE(ec) << "not JSON: " << response.body();
  return v;
}

TEST_F(ApprovalRoutesTest, ListShowsAPendingTask) {
  const std::string arn = StartPending("run-1", Item("ann@x.com"));
  http::Response response = Call(http::Verb::get, "/approvals");
  ASSERT_EQ(response.result(), http::Status::ok) << response.body();
  EXPECT_EQ(response[http::bhttp::field::content_type], "application/json");
  json::value list = Body(response);
  ASSERT_EQ(list.as_array().size(), 1u);
  const json::object& task = list.as_array()[0].as_object();
  EXPECT_EQ(task.at("id").as_string(), "run-1");
  EXPECT_EQ(task.at("execution").as_string(), arn);
  EXPECT_FALSE(task.at("task_token").as_string().empty());
  EXPECT_EQ(task.at("input").at("item"), json::value(Item("ann@x.com")));
  EXPECT_EQ(task.at("created_at").as_string(), "2025-12-04T23:52:25.000Z");
  EXPECT_EQ(task.at("expires_at").as_string(), "2025-12-05T00:52:25.000Z");
  EXPECT_EQ(task.size(), 6u);
}

TEST_F(ApprovalRoutesTest, ApproveStoresTheItemAndASecondDecisionIsAConflict) {
  const std::string arn = StartPending("run-1", Item("ann@x.com"));
  http::Response approved =
      Call(http::Verb::post, "/approvals/run-1/approve", R"({"comment":"looks fine"})",
           {{"Content-Type", "application/json"}});
  ASSERT_EQ(approved.result(), http::Status::ok) << approved.body();
  json::value body = Body(approved);
  EXPECT_EQ(body.at("id").as_string(), "run-1");
  EXPECT_EQ(body.at("execution").as_string(), arn);
  EXPECT_EQ(body.at("status").as_string(), "SUCCEEDED");
  EXPECT_TRUE(body.at("output").is_object()) << approved.body();
  EXPECT_EQ(Describe(arn).status, "SUCCEEDED");
  std::optional<store::Item> item = StoredItem("ann@x.com");
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->user_name, "Ann");
  EXPECT_TRUE(Body(Call(http::Verb::get, "/approvals")).as_array().empty());

  for (std::string_view action : {"approve", "reject"}) {
    http::Response again = Call(http::Verb::post, fmt::format("/approvals/run-1/{}", action));
    EXPECT_EQ(again.result(), http::Status::conflict) << again.body();
    json::value error = Body(again);
    EXPECT_EQ(error.at("error").as_string(), "conflict");
    EXPECT_EQ(error.at("message").as_string(), "this approval was already decided or has expired");
  }
}

TEST_F(ApprovalRoutesTest, RejectDoesNotStore) {
  const std::string arn = StartPending("run-2", Item("bob@x.com"));
  http::Response rejected = Call(http::Verb::post, "/approvals/run-2/reject");
  ASSERT_EQ(rejected.result(), http::Status::ok) << rejected.body();
  json::value body = Body(rejected);
  EXPECT_EQ(body.at("status").as_string(), "FAILED");
  EXPECT_EQ(body.at("error").as_string(), "Approval.Rejected");
  EXPECT_EQ(StoredItem("bob@x.com"), std::nullopt);
  EXPECT_EQ(Call(http::Verb::post, "/approvals/run-2/approve").result(), http::Status::conflict);
  EXPECT_EQ(StoredItem("bob@x.com"), std::nullopt);
}

TEST_F(ApprovalRoutesTest, RejectCarriesTheFormComment) {
  const std::string arn = StartPending("run-3", Item("cy@x.com"));
  http::Response rejected =
      Call(http::Verb::post, "/approvals/run-3/reject", "csrf_token=csrf-1&comment=wrong+pin%21",
           {{"Content-Type", "application/x-www-form-urlencoded"}});
  // A form post is a browser's: back to the page.
  EXPECT_EQ(rejected.result(), http::Status::see_other);
  EXPECT_EQ(rejected[http::bhttp::field::location], "/approvals?format=html");
  workflow::ExecutionDescription d = Describe(arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.cause.value_or(""), "wrong pin!");
}

TEST_F(ApprovalRoutesTest, BrowserApprovalRedirectsToThePage) {
  StartPending("run-4", Item("dee@x.com"));
  http::Response approved = Call(http::Verb::post, "/approvals/run-4/approve", "",
                                 {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(approved.result(), http::Status::see_other);
  EXPECT_EQ(approved[http::bhttp::field::location], "/approvals?format=html");
  EXPECT_TRUE(StoredItem("dee@x.com").has_value());
  // A browser's second click gets a page that says so, not JSON.
  http::Response again = Call(http::Verb::post, "/approvals/run-4/approve", "",
                              {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(again.result(), http::Status::conflict);
  EXPECT_THAT(std::string(again[http::bhttp::field::content_type]), HasSubstr("text/html"));
  EXPECT_THAT(again.body(), HasSubstr("already decided or has expired"));
}

TEST_F(ApprovalRoutesTest, AfterTheTimeoutADecisionIsAConflict) {
  const std::string arn = StartPending("run-5", Item("eve@x.com"));
  ASSERT_TRUE(scheduler_.AdvanceToNext());  // the task's TimeoutSeconds passes
  workflow::ExecutionDescription d = DescribeEnded(arn);
  EXPECT_NE(d.status, "RUNNING");
  EXPECT_EQ(d.error.value_or(""), "States.Timeout");
  http::Response late = Call(http::Verb::post, "/approvals/run-5/approve");
  EXPECT_EQ(late.result(), http::Status::conflict) << late.body();
  EXPECT_EQ(StoredItem("eve@x.com"), std::nullopt);
}

TEST_F(ApprovalRoutesTest, UnknownIdsAndPathsAre404) {
  http::Response unknown = Call(http::Verb::post, "/approvals/nobody/approve");
  EXPECT_EQ(unknown.result(), http::Status::not_found) << unknown.body();
  EXPECT_EQ(Body(unknown).at("error").as_string(), "not_found");
  for (std::string path :
       {"/approvals/run-1", "/approvals/run-1/maybe", "/approvals/", "/approvals//approve",
        "/approvals/run-1/approve/x", "/approvals/%zz/approve", "/approvals/a%2/approve"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(Call(http::Verb::post, path).result(), http::Status::not_found);
    EXPECT_EQ(Call(http::Verb::get, path).result(), http::Status::not_found);
  }
  http::Response get = Call(http::Verb::get, "/approvals/run-1/approve");
  EXPECT_EQ(get.result(), http::Status::method_not_allowed);
  EXPECT_EQ(get[http::bhttp::field::allow], "POST");
  EXPECT_EQ(Call(http::Verb::delete_, "/approvals").result(), http::Status::method_not_allowed);
}

TEST_F(ApprovalRoutesTest, BadDecisionBodies) {
  StartPending("run-6", Item("fay@x.com"));
  EXPECT_EQ(Call(http::Verb::post, "/approvals/run-6/approve", "{nope",
                 {{"Content-Type", "application/json"}})
                .result(),
            http::Status::bad_request);
  EXPECT_EQ(Call(http::Verb::post, "/approvals/run-6/approve", R"({"comment":5})",
                 {{"Content-Type", "application/json"}})
                .result(),
            http::Status::bad_request);
  EXPECT_EQ(Call(http::Verb::post, "/approvals/run-6/approve", "comment=a&comment=b",
                 {{"Content-Type", "application/x-www-form-urlencoded"}})
                .result(),
            http::Status::bad_request);
  EXPECT_EQ(
      Call(http::Verb::post, "/approvals/run-6/approve", "hello", {{"Content-Type", "text/plain"}})
          .result(),
      http::Status::unsupported_media_type);
  // None of them decided anything.
  EXPECT_EQ(Body(Call(http::Verb::get, "/approvals")).as_array().size(), 1u);
}

TEST_F(ApprovalRoutesTest, HtmlPageEscapesAHostileValue) {
  StartPending("run-7", Item("gil@x.com", "<script>alert('x')</script>"));
  for (auto [target, accept] : std::vector<std::pair<std::string, std::string>>{
           {"/approvals?format=html", "*/*"},
           {"/approvals", "text/html,application/xhtml+xml,*/*;q=0.8"}}) {
    SCOPED_TRACE(target);
    http::Response page = Call(http::Verb::get, target, "", {{"Accept", accept}});
    ASSERT_EQ(page.result(), http::Status::ok);
    EXPECT_THAT(std::string(page[http::bhttp::field::content_type]), HasSubstr("text/html"));
    EXPECT_EQ(page["Content-Security-Policy"], ApprovalsPageCsp());
    EXPECT_EQ(page[http::bhttp::field::cache_control], "no-store");
    EXPECT_THAT(page.body(), Not(HasSubstr("<script>")));
    EXPECT_THAT(page.body(), HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    EXPECT_THAT(page.body(), HasSubstr("action=\"/approvals/run-7/approve\""));
    EXPECT_THAT(page.body(), HasSubstr("name=\"csrf_token\" value=\"csrf-1\""));
  }
  // ?format=json wins over a browser's Accept.
  http::Response json_page =
      Call(http::Verb::get, "/approvals?format=json", "", {{"Accept", "text/html"}});
  EXPECT_EQ(json_page[http::bhttp::field::content_type], "application/json");
}

TEST_F(ApprovalRoutesTest, EmptyPage) {
  http::Response page = Call(http::Verb::get, "/approvals?format=html");
  ASSERT_EQ(page.result(), http::Status::ok);
  EXPECT_THAT(page.body(), HasSubstr("No approvals are waiting"));
  EXPECT_EQ(Body(Call(http::Verb::get, "/approvals")), json::array());
}

TEST_F(ApprovalRoutesTest, PagesFollowTheLinkHeader) {
  for (int i = 0; i < 5; ++i) {
    StartPending(fmt::format("page-{}", i), Item(fmt::format("p{}@x.com", i)));
  }
  std::vector<std::string> seen;
  std::string target = "/approvals?limit=2";
  for (int pages = 0; pages < 10 && !target.empty(); ++pages) {
    http::Response response = Call(http::Verb::get, target);
    ASSERT_EQ(response.result(), http::Status::ok) << response.body();
    const json::value page = Body(response);
    for (const json::value& t : page.as_array()) seen.emplace_back(t.at("id").as_string());
    const std::string link(response[http::bhttp::field::link]);
    target.clear();
    if (!link.empty()) {
      ASSERT_THAT(link, ::testing::EndsWith(">; rel=\"next\""));
      target = link.substr(1, link.find('>') - 1);
      EXPECT_THAT(target, ::testing::StartsWith("/approvals?limit=2&cursor="));
    }
  }
  EXPECT_THAT(seen,
              ::testing::UnorderedElementsAre("page-0", "page-1", "page-2", "page-3", "page-4"));
}

TEST_F(ApprovalRoutesTest, BadListQueriesAre400) {
  for (std::string target : {"/approvals?limit=0", "/approvals?limit=1001", "/approvals?limit=x",
                             "/approvals?limit=1&limit=2", "/approvals?format=xml",
                             "/approvals?cursor=", "/approvals?cursor=%25%25not-a-cursor"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(Call(http::Verb::get, target).result(), http::Status::bad_request);
  }
}

TEST_F(ApprovalRoutesTest, StoreTroubleIs503) {
  StartPending("run-8", Item("hal@x.com"));
  store_->Close();
  http::Response decided = Call(http::Verb::post, "/approvals/run-8/approve");
  EXPECT_EQ(decided.result(), http::Status::service_unavailable) << decided.body();
  EXPECT_EQ(Body(decided).at("error").as_string(), "unavailable");
  EXPECT_EQ(Call(http::Verb::get, "/approvals").result(), http::Status::service_unavailable);
}

TEST_F(ApprovalRoutesTest, RootRedirectsToTheApprovals) {
  http::Response browser =
      Call(http::Verb::get, "/", "", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(browser.result(), http::Status::see_other);
  EXPECT_EQ(browser[http::bhttp::field::location], "/approvals?format=html");
  EXPECT_EQ(Call(http::Verb::get, "/")[http::bhttp::field::location], "/approvals");
}

}  // namespace
}  // namespace ingestd::admin
