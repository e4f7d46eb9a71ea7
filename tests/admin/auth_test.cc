// Tests of the admin listener's authentication: bearer token, HTTP Basic with the token as
// password, SigV4 by the admin credentials, the CSRF rule for Basic, the refusal answers
// (401 with a Basic challenge, 403 CSRF, AWS-shaped 403 for SigV4), and the guard that
// refuses before routing.
#include "admin/auth.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "http/response.h"
#include "http/router.h"
#include "testing/status_matchers.h"

namespace ingestd::admin {
namespace {

using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kToken = "s3cret-admin-token";
constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kBasicChallenge = R"(Basic realm="ingestd admin", charset="UTF-8")";

// A SendTaskSuccess call signed by botocore (from tests/admin/make_sigv4_vectors.py) at
// 2015-08-30T12:36:00Z with the AWS test suite's example credentials.
http::Request SignedSendTaskSuccess() {
  http::Request req{http::Verb::post, "/", 11};
  req.insert("Host", "127.0.0.1:8081");
  req.insert("X-Amz-Target", "AWSStepFunctions.SendTaskSuccess");
  req.insert("Content-Type", "application/x-amz-json-1.0");
  req.insert("X-Amz-Date", "20150830T123600Z");
  req.insert("Authorization",
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/states/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
             "Signature=991c5f3d76f0ee5cb7a6bcea91e761b371cdb70141263d40cb7598c5097d2bfd");
  req.body() = R"({"taskToken":"tok-1","output":"{\"ok\":true}"})";
  return req;
}

http::Request Req(http::Verb verb, const std::string& target = "/approvals") {
  http::Request req{verb, target, 11};
  req.set(http::bhttp::field::host, "127.0.0.1:8081");
  return req;
}

http::Request WithAuth(http::Request req, std::string_view authorization) {
  req.set(http::bhttp::field::authorization, authorization);
  return req;
}

std::string BasicAuth(std::string_view user, std::string_view password) {
  return "Basic " + absl::Base64Escape(std::string(user) + ":" + std::string(password));
}

std::string Bearer(std::string_view token = kToken) { return "Bearer " + std::string(token); }

boost::json::value Body(const http::Response& res) { return boost::json::parse(res.body()); }

class AuthTest : public ::testing::Test {
 protected:
  Authenticator Make(bool with_sigv4 = true, std::string token = std::string(kToken)) {
    AuthConfig config{.token = std::move(token), .clock = &clock_};
    if (with_sigv4) {
      config.access_key_id = std::string(kAccessKey);
      config.secret_access_key = std::string(kSecret);
    }
    absl::StatusOr<Authenticator> auth = Authenticator::Create(std::move(config));
    EXPECT_TRUE(auth.ok()) << auth.status();
    return *std::move(auth);
  }

  common::ManualClock clock_{absl::FromUnixSeconds(1440938160)};  // 2015-08-30T12:36:00Z
};

TEST_F(AuthTest, CreateRefusesAnIncompleteConfig) {
  EXPECT_THAT(Authenticator::Create({.token = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("token")));
  EXPECT_THAT(Authenticator::Create({.token = "t", .access_key_id = "AKID"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Authenticator::Create({.token = "t", .secret_access_key = "s"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Authenticator plain, Authenticator::Create({.token = "t"}));
  EXPECT_FALSE(plain.sigv4_enabled());
  EXPECT_TRUE(Make().sigv4_enabled());
}

TEST_F(AuthTest, BearerTokenIsAccepted) {
  const Authenticator auth = Make();
  for (const std::string& header :
       {Bearer(), "bearer " + std::string(kToken), "BEARER   " + std::string(kToken) + "  "}) {
    const Verdict v = auth.Check(WithAuth(Req(http::Verb::get), header));
    EXPECT_TRUE(v.ok()) << header << ": " << v.detail;
    EXPECT_EQ(v.method, AuthMethod::kBearer);
  }
  // No CSRF token needed for a state-changing bearer request.
  EXPECT_TRUE(auth.Check(WithAuth(Req(http::Verb::post, "/approvals/1/approve"), Bearer())).ok());
}

TEST_F(AuthTest, WrongOrMissingCredentialsAre401AndRevealNothing) {
  const Authenticator auth = Make();
  struct Case {
    std::optional<std::string> authorization;
    AuthFailure failure;
  };
  const std::vector<Case> cases = {
      {std::nullopt, AuthFailure::kMissing},
      {Bearer("wrong"), AuthFailure::kBadCredentials},
      {Bearer(std::string(kToken) + "x"), AuthFailure::kBadCredentials},
      {Bearer(kToken.substr(0, kToken.size() - 1)), AuthFailure::kBadCredentials},
      {"Bearer", AuthFailure::kMalformed},
      {"Bearer   ", AuthFailure::kMalformed},
      {std::string(kToken), AuthFailure::kMalformed},
      {"Token " + std::string(kToken), AuthFailure::kMalformed},
      {"Digest username=x", AuthFailure::kMalformed},
      {BasicAuth("admin", "wrong"), AuthFailure::kBadCredentials},
      {BasicAuth("admin", ""), AuthFailure::kBadCredentials},
      {BasicAuth(kToken, ""), AuthFailure::kBadCredentials},  // the token as user name
      {"Basic " + absl::Base64Escape(std::string(kToken)), AuthFailure::kMalformed},  // no ':'
      {"Basic !!!notbase64", AuthFailure::kMalformed},
      {"Basic", AuthFailure::kMalformed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.authorization.value_or("<none>"));
    http::Request req = Req(http::Verb::get);
    if (c.authorization) req.set(http::bhttp::field::authorization, *c.authorization);
    const Verdict v = auth.Check(req);
    EXPECT_FALSE(v.ok());
    EXPECT_EQ(v.failure, c.failure);

    const http::Response res = auth.Refusal(v, req);
    EXPECT_EQ(res.result(), http::Status::unauthorized);
    EXPECT_EQ(res[http::bhttp::field::www_authenticate], kBasicChallenge);
    // Every refusal has the same body, whatever the reason.
    EXPECT_EQ(Body(res), boost::json::parse(
                             R"({"error":"unauthorized","message":"authentication required"})"));
    EXPECT_THAT(std::string(res.body()), Not(HasSubstr(std::string(kToken))));
  }
}

TEST_F(AuthTest, TwoAuthorizationHeadersAreRefused) {
  const Authenticator auth = Make();
  http::Request req = WithAuth(Req(http::Verb::get), Bearer());
  req.insert(http::bhttp::field::authorization, Bearer());
  const Verdict v = auth.Check(req);
  EXPECT_EQ(v.failure, AuthFailure::kMalformed);
  EXPECT_EQ(auth.Refusal(v, req).result(), http::Status::unauthorized);
}

TEST_F(AuthTest, BasicWithAnyUserAndTheTokenAsPassword) {
  const Authenticator auth = Make();
  for (std::string user : {"admin", "", "someone else", "x:y"}) {
    // A ':' in the user name cannot be told apart from one in the password: the password is
    // after the first ':', so "x:y" + ":" + token has password "y:" + token (refused).
    const Verdict v = auth.Check(WithAuth(Req(http::Verb::get), BasicAuth(user, kToken)));
    if (user == "x:y") {
      EXPECT_EQ(v.failure, AuthFailure::kBadCredentials);
      continue;
    }
    EXPECT_TRUE(v.ok()) << user << ": " << v.detail;
    EXPECT_EQ(v.method, AuthMethod::kBasic);
  }
  // The scheme name is case-insensitive.
  std::string lower = BasicAuth("admin", kToken);
  lower.replace(0, 5, "basic");
  EXPECT_TRUE(auth.Check(WithAuth(Req(http::Verb::get), lower)).ok());
  // A token containing ':' works as a password.
  const Authenticator colon = Make(false, "a:b:c");
  EXPECT_TRUE(colon.Check(WithAuth(Req(http::Verb::get), BasicAuth("u", "a:b:c"))).ok());
}

TEST_F(AuthTest, CsrfTokenIsStableAndDerivedFromTheToken) {
  const Authenticator a = Make();
  const Authenticator b = Make(false);
  const Authenticator other = Make(true, "another token");
  EXPECT_EQ(a.CsrfToken(), b.CsrfToken());  // same admin token: same CSRF token (restarts)
  EXPECT_NE(a.CsrfToken(), other.CsrfToken());
  EXPECT_EQ(a.CsrfToken().size(), 64U);
  EXPECT_EQ(a.CsrfToken().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a.CsrfToken().find(std::string(kToken)), std::string::npos);
  // A keyed derivation with a label, not a bare hash of the token.
  EXPECT_NE(a.CsrfToken(), Sha256Hex(kToken));
  // The CSRF token is not a credential.
  EXPECT_FALSE(a.Check(WithAuth(Req(http::Verb::get), Bearer(a.CsrfToken()))).ok());
}

TEST_F(AuthTest, BasicStateChangingRequestsNeedTheCsrfToken) {
  const Authenticator auth = Make();
  const std::string basic = BasicAuth("admin", kToken);
  for (http::Verb verb :
       {http::Verb::post, http::Verb::put, http::Verb::delete_, http::Verb::patch}) {
    SCOPED_TRACE(std::string(http::bhttp::to_string(verb)));
    http::Request req = WithAuth(Req(verb, "/approvals/1/approve"), basic);
    const Verdict v = auth.Check(req);
    EXPECT_EQ(v.failure, AuthFailure::kCsrf);
    EXPECT_EQ(v.method, AuthMethod::kBasic);
    const http::Response res = auth.Refusal(v, req);
    EXPECT_EQ(res.result(), http::Status::forbidden);
    EXPECT_EQ(Body(res).at("error"), "csrf");
    EXPECT_TRUE(Body(res).as_object().contains("message"));
  }
  // Safe methods need none.
  for (http::Verb verb : {http::Verb::get, http::Verb::head, http::Verb::options}) {
    EXPECT_TRUE(auth.Check(WithAuth(Req(verb), basic)).ok());
  }
}

TEST_F(AuthTest, CsrfTokenInTheHeader) {
  const Authenticator auth = Make();
  http::Request req =
      WithAuth(Req(http::Verb::post, "/approvals/1/approve"), BasicAuth("a", kToken));
  req.set("X-CSRF-Token", auth.CsrfToken());
  EXPECT_TRUE(auth.Check(req).ok());
  req.set("x-csrf-token", " " + auth.CsrfToken() + " ");
  EXPECT_TRUE(auth.Check(req).ok());
  req.set("X-CSRF-Token", auth.CsrfToken().substr(1));
  EXPECT_EQ(auth.Check(req).failure, AuthFailure::kCsrf);
  req.set("X-CSRF-Token", std::string(kToken));  // the admin token is not the CSRF token
  EXPECT_EQ(auth.Check(req).failure, AuthFailure::kCsrf);
  req.set("X-CSRF-Token", "");
  EXPECT_EQ(auth.Check(req).failure, AuthFailure::kCsrf);
}

TEST_F(AuthTest, CsrfTokenInAFormBody) {
  const Authenticator auth = Make();
  const auto check = [&](const std::string& content_type, std::string body) {
    http::Request req =
        WithAuth(Req(http::Verb::post, "/approvals/1/approve"), BasicAuth("a", kToken));
    if (!content_type.empty()) req.set(http::bhttp::field::content_type, content_type);
    req.body() = std::move(body);
    return auth.Check(req);
  };
  const std::string token = auth.CsrfToken();
  const std::string form = "application/x-www-form-urlencoded";
  EXPECT_TRUE(check(form, "csrf_token=" + token).ok());
  EXPECT_TRUE(check(form, "reason=looks+fine&csrf_token=" + token + "&x=1").ok());
  EXPECT_TRUE(
      check("Application/X-WWW-Form-Urlencoded; charset=UTF-8", "csrf_token=" + token).ok());
  EXPECT_TRUE(check(form, "csrf%5Ftoken=" + token).ok());  // names are form-decoded

  EXPECT_EQ(check(form, "").failure, AuthFailure::kCsrf);
  EXPECT_EQ(check(form, "csrf_token=").failure, AuthFailure::kCsrf);
  EXPECT_EQ(check(form, "csrf_token").failure, AuthFailure::kCsrf);
  EXPECT_EQ(check(form, "csrf_token=" + token + "0").failure, AuthFailure::kCsrf);
  EXPECT_EQ(check(form, "xcsrf_token=" + token).failure, AuthFailure::kCsrf);
  // The first csrf_token field decides.
  EXPECT_EQ(check(form, "csrf_token=bad&csrf_token=" + token).failure, AuthFailure::kCsrf);
  // Only a form body counts: a JSON body or a missing Content-Type does not.
  EXPECT_EQ(check("application/json", R"({"csrf_token":")" + token + "\"}").failure,
            AuthFailure::kCsrf);
  EXPECT_EQ(check("", "csrf_token=" + token).failure, AuthFailure::kCsrf);
  EXPECT_EQ(check("text/plain", "csrf_token=" + token).failure, AuthFailure::kCsrf);
}

TEST_F(AuthTest, SigV4ByTheAdminCredentialsIsAccepted) {
  const Authenticator auth = Make();
  const Verdict v = auth.Check(SignedSendTaskSuccess());
  EXPECT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.method, AuthMethod::kSigV4);  // a POST, and no CSRF token needed
}

TEST_F(AuthTest, BadSigV4Is403InAwsShape) {
  const Authenticator auth = Make();
  struct Case {
    std::string what;
    void (*apply)(http::Request&);
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"tampered body", [](http::Request& r) { r.body() += " "; }, "signature"},
      {"expired", [](http::Request& r) { r.set("X-Amz-Date", "20150830T100000Z"); }, "expired"},
      {"malformed",
       [](http::Request& r) {
         r.set(http::bhttp::field::authorization, "AWS4-HMAC-SHA256 Credential=x");
       },
       "malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    http::Request req = SignedSendTaskSuccess();
    c.apply(req);
    const Verdict v = auth.Check(req);
    EXPECT_EQ(v.failure, AuthFailure::kSigV4Invalid);
    EXPECT_EQ(v.method, AuthMethod::kSigV4);
    const http::Response res = auth.Refusal(v, req);
    EXPECT_EQ(res.result(), http::Status::forbidden);
    EXPECT_EQ(res[http::bhttp::field::content_type], "application/x-amz-json-1.0");
    EXPECT_EQ(res[http::bhttp::field::www_authenticate], "");
    const boost::json::value body = Body(res);
    EXPECT_EQ(body.at("__type"), "InvalidSignatureException");
    EXPECT_THAT(std::string(body.at("message").as_string()), HasSubstr(c.message_part));
    EXPECT_THAT(std::string(res.body()), Not(HasSubstr(std::string(kSecret))));
  }
}

TEST_F(AuthTest, UnknownAccessKeyIsUnrecognizedClient) {
  // Another key id configured, or SigV4 not configured at all.
  ASSERT_OK_AND_ASSIGN(Authenticator other,
                       Authenticator::Create({.token = std::string(kToken),
                                              .access_key_id = "AKIDOTHER",
                                              .secret_access_key = std::string(kSecret),
                                              .clock = &clock_}));
  const Authenticator none = Make(false);
  for (const Authenticator* auth : std::vector<const Authenticator*>{&other, &none}) {
    const http::Request req = SignedSendTaskSuccess();
    const Verdict v = auth->Check(req);
    EXPECT_EQ(v.failure, AuthFailure::kSigV4UnknownKey);
    const http::Response res = auth->Refusal(v, req);
    EXPECT_EQ(res.result(), http::Status::forbidden);
    EXPECT_EQ(res[http::bhttp::field::content_type], "application/x-amz-json-1.0");
    EXPECT_EQ(Body(res).at("__type"), "UnrecognizedClientException");
  }
}

TEST_F(AuthTest, ABearerTokenDoesNotStandInForASignature) {
  // The admin token in a SigV4-shaped header, or the secret key as bearer token: refused.
  const Authenticator auth = Make();
  EXPECT_FALSE(auth.Check(WithAuth(Req(http::Verb::get), Bearer(kSecret))).ok());
  EXPECT_FALSE(auth.Check(WithAuth(Req(http::Verb::get), BasicAuth(kAccessKey, kSecret))).ok());
}

// The router of the tests: a known route per method, answering with its name.
http::Router TestRouter() {
  http::Router router;
  router.Add("/approvals", {http::Verb::get},
             [](const http::Request& /*request*/, http::Responder respond) {
               std::move(respond).Send(http::MakeText(http::Status::ok, "list"));
             });
  router.AddPrefix("/approvals/", {http::Verb::post},
                   [](const http::Request& /*request*/, http::Responder respond) {
                     std::move(respond).Send(http::MakeText(http::Status::ok, "decide"));
                   });
  return router;
}

http::Response Dispatch(const http::Handler& handler, http::Request req) {
  std::optional<http::Response> out;
  handler(std::move(req), http::Responder([&out](http::Response r) { out = std::move(r); }));
  EXPECT_TRUE(out.has_value());
  return out.value_or(http::Response{});
}

TEST_F(AuthTest, GuardRefusesBeforeRoutingAndLetsTheAuthenticatedThrough) {
  const Authenticator auth = Make();
  http::Router guarded = TestRouter();
  InstallGuard(auth, guarded);
  const http::Router plain = TestRouter();
  const http::Handler via_router = [&guarded](http::Request req, http::Responder respond) {
    guarded.Dispatch(std::move(req), std::move(respond));
  };
  const http::Handler via_guard = Guard(auth, plain);

  for (const http::Handler* handler : {&via_router, &via_guard}) {
    // Unauthenticated: 401 on a known route, an unknown path and a wrong method alike.
    for (const auto& [verb, target] :
         std::vector<std::pair<http::Verb, std::string>>{{http::Verb::get, "/approvals"},
                                                         {http::Verb::get, "/no/such/path"},
                                                         {http::Verb::delete_, "/approvals"},
                                                         {http::Verb::post, "/"}}) {
      const http::Response res = Dispatch(*handler, Req(verb, target));
      EXPECT_EQ(res.result(), http::Status::unauthorized) << target;
      EXPECT_EQ(res[http::bhttp::field::www_authenticate], kBasicChallenge);
    }
    // Authenticated: routed, including the router's own 404 and 405.
    EXPECT_EQ(Dispatch(*handler, WithAuth(Req(http::Verb::get), Bearer())).body(), "list");
    EXPECT_EQ(Dispatch(*handler, WithAuth(Req(http::Verb::post, "/approvals/1/approve"), Bearer()))
                  .body(),
              "decide");
    EXPECT_EQ(Dispatch(*handler, WithAuth(Req(http::Verb::get, "/nope"), Bearer())).result(),
              http::Status::not_found);
    EXPECT_EQ(Dispatch(*handler, WithAuth(Req(http::Verb::delete_), Bearer())).result(),
              http::Status::method_not_allowed);
    // Basic: the CSRF rule applies before routing too.
    http::Request basic_post =
        WithAuth(Req(http::Verb::post, "/approvals/1/approve"), BasicAuth("a", kToken));
    EXPECT_EQ(Dispatch(*handler, basic_post).result(), http::Status::forbidden);
    basic_post.set("X-CSRF-Token", auth.CsrfToken());
    EXPECT_EQ(Dispatch(*handler, basic_post).body(), "decide");
    // SigV4: a bad signature is 403 before routing; a good one reaches the router ("/" is
    // not a route here: 404).
    http::Request signed_req = SignedSendTaskSuccess();
    EXPECT_EQ(Dispatch(*handler, signed_req).result(), http::Status::not_found);
    signed_req.body() += " ";
    EXPECT_EQ(Dispatch(*handler, signed_req).result(), http::Status::forbidden);
  }
}

TEST_F(AuthTest, AuthenticateAnswersOnlyRefusals) {
  const Authenticator auth = Make();
  EXPECT_FALSE(Authenticate(auth, WithAuth(Req(http::Verb::get), Bearer())).has_value());
  const std::optional<http::Response> refused = Authenticate(auth, Req(http::Verb::get));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->result(), http::Status::unauthorized);
  EXPECT_EQ((*refused)[http::bhttp::field::cache_control], "no-store");
}

}  // namespace
}  // namespace ingestd::admin
