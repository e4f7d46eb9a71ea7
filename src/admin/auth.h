// Authentication of the admin listener (API.md, "The admin listener"): a bearer token, the same
// token as the password of HTTP Basic (browsers), or an AWS SigV4 signature by the admin
// credentials (AWS SDKs and CLI); plus the CSRF rule for browsers and the guard that makes a
// Router refuse every unauthenticated request before routing.
//
//   ASSIGN_OR_RETURN(Authenticator auth, Authenticator::Create({.token = flags.admin_token,
//       .access_key_id = flags.key_id, .secret_access_key = flags.secret, .clock = &clock}));
//   http::Router router;
//   router.Add("/approvals", {http::Verb::get}, approvals_page);  // embeds auth.CsrfToken()
//   InstallGuard(auth, router);   // `auth` must outlive the router
//   ASSIGN_OR_RETURN(auto server, http::Server::Start(options, router));
//
// The CSRF rule: a state-changing request (any method but GET, HEAD, OPTIONS) authenticated by
// HTTP Basic — credentials a browser attaches by itself — must also carry CsrfToken(), in the
// header `X-CSRF-Token` or as the field `csrf_token` of an
// `application/x-www-form-urlencoded` body. Bearer and SigV4 requests need no CSRF token (a
// browser never adds those on its own).
//
// Thread-safety: an Authenticator is immutable after Create(); all methods are const and safe
// from any thread.
#ifndef INGESTD_ADMIN_AUTH_H_
#define INGESTD_ADMIN_AUTH_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "admin/sigv4.h"
#include "common/clock.h"
#include "http/handler.h"
#include "http/router.h"

namespace ingestd::admin {

// | field             | meaning                                                           |
// |-------------------|-------------------------------------------------------------------|
// | token             | --admin-token: bearer token and Basic password (required)         |
// | access_key_id     | --admin-access-key-id: SigV4 access key id (optional, with secret)|
// | secret_access_key | --admin-secret-access-key (optional, with access_key_id)          |
// | clock             | for the SigV4 timestamp window; null means common::Clock::Real()  |
struct AuthConfig {
  std::string token;
  std::string access_key_id;
  std::string secret_access_key;
  const common::Clock* clock = nullptr;
};

// How a request was (or tried to be) authenticated.
enum class AuthMethod { kNone, kBearer, kBasic, kSigV4 };

// Why a request was refused.
enum class AuthFailure {
  kNone,             // accepted
  kMissing,          // no Authorization header
  kMalformed,        // an Authorization header that is not a usable Bearer/Basic/SigV4 value
  kBadCredentials,   // wrong bearer token or Basic password
  kCsrf,             // Basic-authenticated state-changing request without the CSRF token
  kSigV4UnknownKey,  // SigV4 with an access key id that is not the admin's (or none set)
  kSigV4Invalid,     // SigV4 that is malformed, expired, or whose signature does not match
};

// The outcome of Authenticator::Check.
struct Verdict {
  AuthMethod method = AuthMethod::kNone;  // the scheme accepted, or the one that failed
  AuthFailure failure = AuthFailure::kMissing;
  std::string detail;  // why it was refused; for logs (and, for SigV4, the client)

  bool ok() const { return failure == AuthFailure::kNone; }
};

class Authenticator {
 public:
  // INVALID_ARGUMENT when the token is empty, or exactly one of access_key_id and
  // secret_access_key is set.
  static absl::StatusOr<Authenticator> Create(AuthConfig config);

  // Authenticates `request` (any path or method) and applies the CSRF rule. Constant-time
  // comparisons of tokens, passwords and signatures.
  Verdict Check(const http::Request& request) const;

  // The answer to a refused request; `verdict` must not be ok().
  //   - a request whose Authorization is SigV4: 403, Content-Type application/x-amz-json-1.0,
  //     {"__type":"UnrecognizedClientException"|"InvalidSignatureException","message":...}
  //   - kCsrf: 403 {"error":"csrf","message":...}
  //   - anything else: 401, `WWW-Authenticate: Basic realm="ingestd admin", charset="UTF-8"`,
  //     {"error":"unauthorized","message":...} that reveals nothing about the reason.
  http::Response Refusal(const Verdict& verdict, const http::Request& request) const;

  // The CSRF token pages embed in their forms: hex HMAC-SHA256 keyed by the admin token, so
  // it is stable across restarts and reveals nothing about the token.
  const std::string& CsrfToken() const { return csrf_token_; }

  // Whether SigV4 credentials are configured.
  bool sigv4_enabled() const { return verifier_.has_value(); }

 private:
  Authenticator(std::string token, std::optional<SigV4Verifier> verifier);

  Verdict CheckCredentials(const http::Request& request) const;
  bool HasCsrfToken(const http::Request& request) const;

  std::string token_;
  std::string csrf_token_;
  std::optional<SigV4Verifier> verifier_;
};

// Check(), then Refusal() for a refused request: nullopt when `request` may proceed. The
// shape of http::Router::Guard.
std::optional<http::Response> Authenticate(const Authenticator& auth, const http::Request& request);

// Makes `router` authenticate every request (any path or method, known or not) before
// routing; refused requests get Refusal(). `auth` must outlive `router`.
void InstallGuard(const Authenticator& auth, http::Router& router);

// A handler that authenticates every request and dispatches only accepted ones to `router`.
// Both `auth` and `router` must outlive the handler.
http::Handler Guard(const Authenticator& auth, const http::Router& router);

}  // namespace ingestd::admin

#endif  // INGESTD_ADMIN_AUTH_H_
