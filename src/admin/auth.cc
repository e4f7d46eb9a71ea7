#include "admin/auth.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "absl/strings/escaping.h"
#include "http/response.h"
#include "spdlog/spdlog.h"

namespace ingestd::admin {
namespace {

// Fixed label of the CSRF derivation: changing it invalidates every page already open.
constexpr std::string_view kCsrfLabel = "ingestd admin CSRF token v1";
constexpr std::string_view kAwsJsonType = "application/x-amz-json-1.0";
constexpr std::string_view kBasicChallenge = R"(Basic realm="ingestd admin", charset="UTF-8")";

std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }

std::string_view TrimSpaces(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Compares secrets through their hashes, so neither the content nor the length of the
// expected value leaks through timing.
bool SecretEquals(std::string_view given, std::string_view expected) {
  return ConstantTimeEqual(Sha256Hex(given), Sha256Hex(expected));
}

bool IsSafeMethod(http::Verb method) {
  return method == http::Verb::get || method == http::Verb::head || method == http::Verb::options;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space; a broken escape is kept as is
// (it can then never equal the hex CSRF token).
std::string FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The value of the first field `name` of a form body, nullopt when absent.
std::optional<std::string> FormField(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const std::size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (FormDecode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : FormDecode(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

Verdict Refused(AuthMethod method, AuthFailure failure, std::string detail) {
  return Verdict{.method = method, .failure = failure, .detail = std::move(detail)};
}

Verdict Accepted(AuthMethod method) {
  return Verdict{.method = method, .failure = AuthFailure::kNone, .detail = {}};
}

}  // namespace

absl::StatusOr<Authenticator> Authenticator::Create(AuthConfig config) {
  if (config.token.empty()) {
    return absl::InvalidArgumentError("the admin token must not be empty");
  }
  if (config.access_key_id.empty() != config.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        "the admin access key id and secret access key must be given together");
  }
  std::optional<SigV4Verifier> verifier;
  if (!config.access_key_id.empty()) {
    verifier.emplace(SigV4Options{.access_key_id = std::move(config.access_key_id),
                                  .secret_access_key = std::move(config.secret_access_key),
                                  .clock = config.clock});
  }
  return Authenticator(std::move(config.token), std::move(verifier));
}

Authenticator::Authenticator(std::string token, std::optional<SigV4Verifier> verifier)
    : token_(std::move(token)),
      csrf_token_(HmacSha256Hex(token_, kCsrfLabel)),
      verifier_(std::move(verifier)) {}

Verdict Authenticator::Check(const http::Request& request) const {
  Verdict verdict = CheckCredentials(request);
  if (verdict.ok() && verdict.method == AuthMethod::kBasic && !IsSafeMethod(request.method()) &&
      !HasCsrfToken(request)) {
    return Refused(AuthMethod::kBasic, AuthFailure::kCsrf,
                   "a state-changing request authenticated by Basic lacks the CSRF token");
  }
  return verdict;
}

Verdict Authenticator::CheckCredentials(const http::Request& request) const {
  const auto range = request.equal_range(http::bhttp::field::authorization);
  if (range.first == range.second) {
    return Refused(AuthMethod::kNone, AuthFailure::kMissing, "no Authorization header");
  }
  if (std::next(range.first) != range.second) {
    return Refused(AuthMethod::kNone, AuthFailure::kMalformed,
                   "more than one Authorization header");
  }
  const std::string_view value = TrimSpaces(View(range.first->value()));

  if (IsSigV4Authorization(value)) {
    if (!verifier_.has_value()) {
      return Refused(AuthMethod::kSigV4, AuthFailure::kSigV4UnknownKey,
                     "The security token included in the request is invalid.");
    }
    const absl::Status status = verifier_->Verify(request);
    if (status.ok()) return Accepted(AuthMethod::kSigV4);
    return Refused(AuthMethod::kSigV4,
                   status.code() == absl::StatusCode::kUnauthenticated
                       ? AuthFailure::kSigV4UnknownKey
                       : AuthFailure::kSigV4Invalid,
                   std::string(status.message()));
  }

  const std::size_t space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  const std::string_view credentials =
      space == std::string_view::npos ? std::string_view() : TrimSpaces(value.substr(space + 1));
  if (EqualsIgnoreCase(scheme, "Bearer")) {
    if (credentials.empty()) {
      return Refused(AuthMethod::kBearer, AuthFailure::kMalformed, "an empty bearer token");
    }
    if (!SecretEquals(credentials, token_)) {
      return Refused(AuthMethod::kBearer, AuthFailure::kBadCredentials, "wrong bearer token");
    }
    return Accepted(AuthMethod::kBearer);
  }
  if (EqualsIgnoreCase(scheme, "Basic")) {
    std::string decoded;
    if (credentials.empty() || !absl::Base64Unescape(std::string(credentials), &decoded)) {
      return Refused(AuthMethod::kBasic, AuthFailure::kMalformed, "Basic credentials not base64");
    }
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos) {
      return Refused(AuthMethod::kBasic, AuthFailure::kMalformed,
                     "Basic credentials without ':' between user and password");
    }
    if (!SecretEquals(std::string_view(decoded).substr(colon + 1), token_)) {
      return Refused(AuthMethod::kBasic, AuthFailure::kBadCredentials, "wrong Basic password");
    }
    return Accepted(AuthMethod::kBasic);
  }
  return Refused(AuthMethod::kNone, AuthFailure::kMalformed,
                 "the Authorization scheme is not Bearer, Basic or AWS4-HMAC-SHA256");
}

bool Authenticator::HasCsrfToken(const http::Request& request) const {
  const auto header = request.find("x-csrf-token");
  if (header != request.end()) {
    return SecretEquals(TrimSpaces(View(header->value())), csrf_token_);
  }
  const std::string_view content_type = View(request[http::bhttp::field::content_type]);
  const std::string_view media_type = TrimSpaces(content_type.substr(0, content_type.find(';')));
  if (!EqualsIgnoreCase(media_type, "application/x-www-form-urlencoded")) return false;
  const std::optional<std::string> field = FormField(request.body(), "csrf_token");
  return field.has_value() && SecretEquals(*field, csrf_token_);
}

// An instance method although it reads no configuration today: callers hold an Authenticator,
// and how refusals look is its policy.
// NOLINTNEXTLINE(readability-convert-member-functions-to-static)
http::Response Authenticator::Refusal(const Verdict& verdict, const http::Request& request) const {
  http::Response response;
  const bool sigv4 =
      verdict.method == AuthMethod::kSigV4 ||
      IsSigV4Authorization(TrimSpaces(View(request[http::bhttp::field::authorization])));
  if (sigv4) {
    // The AWS JSON protocol's error shape, so an AWS SDK raises a typed error.
    const std::string_view type = verdict.failure == AuthFailure::kSigV4UnknownKey
                                      ? "UnrecognizedClientException"
                                      : "InvalidSignatureException";
    boost::json::object body;
    body["__type"] = boost::json::string_view(type.data(), type.size());
    body["message"] = verdict.detail.empty() ? "the request signature is not valid"
                                             : boost::json::string_view(verdict.detail);
    response =
        http::MakeResponse(http::Status::forbidden, kAwsJsonType, boost::json::serialize(body));
    response.set("x-amzn-ErrorType", type);
  } else if (verdict.failure == AuthFailure::kCsrf) {
    response = http::MakeError(http::Status::forbidden, "csrf",
                               "this request needs the page's CSRF token (header X-CSRF-Token "
                               "or form field csrf_token); reload the page and try again");
  } else {
    // Missing, malformed or wrong credentials look the same from outside.
    response =
        http::MakeError(http::Status::unauthorized, "unauthorized", "authentication required");
    response.set(http::bhttp::field::www_authenticate, kBasicChallenge);
  }
  response.set(http::bhttp::field::cache_control, "no-store");
  return response;
}

std::optional<http::Response> Authenticate(const Authenticator& auth,
                                           const http::Request& request) {
  const Verdict verdict = auth.Check(request);
  if (verdict.ok()) return std::nullopt;
  spdlog::warn("admin: refused {} {}: {}", View(request.method_string()),
               View(request.target()).substr(0, View(request.target()).find('?')), verdict.detail);
  return auth.Refusal(verdict, request);
}

void InstallGuard(const Authenticator& auth, http::Router& router) {
  router.SetGuard([&auth](const http::Request& request) { return Authenticate(auth, request); });
}

http::Handler Guard(const Authenticator& auth, const http::Router& router) {
  return [&auth, &router](http::Request request, http::Responder respond) {
    if (std::optional<http::Response> refusal = Authenticate(auth, request)) {
      std::move(respond).Send(*std::move(refusal));
      return;
    }
    router.Dispatch(std::move(request), std::move(respond));
  };
}

}  // namespace ingestd::admin
