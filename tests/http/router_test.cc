// Tests of the Router: exact and prefix routes, 404, 405 with Allow, route labels.
#include "http/router.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/response.h"

namespace ingestd::http {
namespace {

using ::testing::HasSubstr;

// A handler that answers with its name and the target it saw.
Handler Named(std::string name) {
  return [name](Request req, Responder respond) {
    std::move(respond).Send(MakeText(Status::ok, name + " " + std::string(req.target())));
  };
}

// Dispatch answers synchronously for these handlers.
Response Dispatch(const Router& router, Verb verb, std::string target) {
  std::optional<Response> out;
  router.Dispatch(Request{verb, target, 11}, Responder([&out](Response r) { out = std::move(r); }));
  EXPECT_TRUE(out.has_value());
  return out.value_or(Response{});
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("/", {Verb::get, Verb::put, Verb::post}, Named("root"));
    router_.Add("/healthz", {Verb::get}, Named("healthz"));
    router_.Add("/submit", {Verb::post}, Named("submit"));
    router_.AddPrefix("/approvals/", {Verb::post}, Named("approvals"));
    router_.AddPrefix("/approvals/special/", {Verb::get}, Named("special"));
  }
  Router router_;
};

TEST_F(RouterTest, ExactRoutesIgnoreTheQuery) {
  Response res = Dispatch(router_, Verb::get, "/healthz?verbose=1");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res.body(), "healthz /healthz?verbose=1");
  EXPECT_EQ(Dispatch(router_, Verb::post, "/?a=b").body(), "root /?a=b");
}

TEST_F(RouterTest, PrefixRoutesLongestWins) {
  EXPECT_EQ(Dispatch(router_, Verb::post, "/approvals/42/approve").body(),
            "approvals /approvals/42/approve");
  EXPECT_EQ(Dispatch(router_, Verb::get, "/approvals/special/x").body(),
            "special /approvals/special/x");
}

TEST_F(RouterTest, UnknownPathIs404Json) {
  for (std::string target : {"/nope", "/healthz/", "/healthzz", "/approvals", "/Healthz"}) {
    Response res = Dispatch(router_, Verb::get, target);
    EXPECT_EQ(res.result(), Status::not_found) << target;
    EXPECT_EQ(res[bhttp::field::content_type], "application/json");
    EXPECT_EQ(boost::json::parse(res.body()).as_object().at("error"), "not_found") << target;
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Response res = Dispatch(router_, Verb::delete_, "/");
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res[bhttp::field::allow], "GET, HEAD, PUT, POST");
  EXPECT_EQ(boost::json::parse(res.body()).as_object().at("error"), "method_not_allowed");
  EXPECT_THAT(res.body(), HasSubstr("DELETE"));

  Response post_only = Dispatch(router_, Verb::get, "/submit");
  EXPECT_EQ(post_only.result(), Status::method_not_allowed);
  EXPECT_EQ(post_only[bhttp::field::allow], "POST");

  Response head_on_post = Dispatch(router_, Verb::head, "/submit");
  EXPECT_EQ(head_on_post.result(), Status::method_not_allowed);

  Response prefix = Dispatch(router_, Verb::get, "/approvals/1/approve");
  EXPECT_EQ(prefix.result(), Status::method_not_allowed);
  EXPECT_EQ(prefix[bhttp::field::allow], "POST");
}

TEST_F(RouterTest, HeadIsServedWhereGetIs) {
  Response res = Dispatch(router_, Verb::head, "/healthz");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res.body(), "healthz /healthz");
}

TEST_F(RouterTest, AddingAgainReplaces) {
  router_.Add("/healthz", {Verb::put}, Named("new"));
  EXPECT_EQ(Dispatch(router_, Verb::put, "/healthz").body(), "new /healthz");
  EXPECT_EQ(Dispatch(router_, Verb::get, "/healthz").result(), Status::method_not_allowed);
  router_.AddPrefix("/approvals/", {Verb::get}, Named("newprefix"));
  EXPECT_EQ(Dispatch(router_, Verb::get, "/approvals/1").body(), "newprefix /approvals/1");
}

TEST_F(RouterTest, RouteLabel) {
  EXPECT_EQ(router_.RouteLabel("/"), "/");
  EXPECT_EQ(router_.RouteLabel("/?user_name=a"), "/");
  EXPECT_EQ(router_.RouteLabel("/healthz"), "/healthz");
  EXPECT_EQ(router_.RouteLabel("/approvals/1/approve?x"), "/approvals/*");
  EXPECT_EQ(router_.RouteLabel("/approvals/special/1"), "/approvals/special/*");
  EXPECT_EQ(router_.RouteLabel("/nope"), "other");
  EXPECT_EQ(router_.RouteLabel(""), "other");
}

TEST_F(RouterTest, GuardSeesEveryRequestBeforeRouting) {
  std::vector<std::string> seen;
  router_.SetGuard([&seen](const Request& req) -> std::optional<Response> {
    seen.emplace_back(std::string(req.method_string()) + " " + std::string(req.target()));
    if (req[bhttp::field::authorization] != "ok") return MakeText(Status::unauthorized, "no");
    return std::nullopt;
  });
  // Refused on a known route, an unknown path and a wrong method alike: no 404/405 leaks.
  for (const auto& [verb, target] : std::vector<std::pair<Verb, std::string>>{
           {Verb::get, "/healthz"}, {Verb::get, "/nope"}, {Verb::delete_, "/submit"}}) {
    Response res = Dispatch(router_, verb, target);
    EXPECT_EQ(res.result(), Status::unauthorized) << target;
    EXPECT_EQ(res.body(), "no");
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("GET /healthz", "GET /nope", "DELETE /submit"));

  // Let through: routed as usual, 404 and 405 included.
  const auto dispatch_ok = [&](Verb verb, const std::string& target) {
    std::optional<Response> out;
    Request req{verb, target, 11};
    req.set(bhttp::field::authorization, "ok");
    router_.Dispatch(std::move(req), Responder([&out](Response r) { out = std::move(r); }));
    return out.value_or(Response{});
  };
  EXPECT_EQ(dispatch_ok(Verb::get, "/healthz").body(), "healthz /healthz");
  EXPECT_EQ(dispatch_ok(Verb::get, "/nope").result(), Status::not_found);
  EXPECT_EQ(dispatch_ok(Verb::delete_, "/submit").result(), Status::method_not_allowed);

  // An empty guard removes it.
  router_.SetGuard(nullptr);
  EXPECT_EQ(Dispatch(router_, Verb::get, "/healthz").body(), "healthz /healthz");
}

TEST(PathOfTest, StripsTheQuery) {
  EXPECT_EQ(PathOf("/a?b=c"), "/a");
  EXPECT_EQ(PathOf("/a"), "/a");
  EXPECT_EQ(PathOf("/?"), "/");
  EXPECT_EQ(PathOf("?x"), "");
}

}  // namespace
}  // namespace ingestd::http
