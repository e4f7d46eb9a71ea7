// AWS Signature Version 4 verification of incoming requests: the server side of SigV4, so AWS
// SDKs and the AWS CLI can call the admin listener with `--endpoint-url` and the admin
// credentials. Parses `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/
// aws4_request, SignedHeaders=..., Signature=...` strictly (it is untrusted input), rebuilds the
// canonical request and the string to sign, derives the signing key and compares signatures in
// constant time.
//
//   SigV4Verifier verifier({.access_key_id = "AKID", .secret_access_key = "secret",
//                           .clock = &common::Clock::Real()});
//   if (absl::Status s = verifier.Verify(request); !s.ok()) { /* 403 */ }
//
// What is accepted (the rules of the SigV4 docs, as botocore and the JS SDK v3 sign):
//   - canonical URI: the path as sent, dot segments and empty segments removed (as the SDKs
//     do), each byte but A-Z a-z 0-9 - _ . ~ and '/' percent-encoded (so an already encoded
//     path is encoded twice, the rule for every service but S3); an empty path is "/".
//   - canonical query: each name and value percent-decoded then re-encoded, pairs sorted by
//     name then value; a name without '=' has an empty value.
//   - canonical headers: the SignedHeaders in their (sorted) order, each the comma-joined
//     values of every occurrence, trimmed, inner whitespace runs collapsed to one space.
//   - payload hash: hex SHA-256 of the body; an `x-amz-content-sha256` header must equal it.
//   - timestamp: `X-Amz-Date` in ISO 8601 basic form (20150830T123600Z) or, when absent,
//     `Date` in that form or as an HTTP date ("Sun, 30 Aug 2015 12:36:00 GMT", or "-0000" as
//     botocore writes it); within `max_skew` of the clock; its day must be the credential's.
//   - SignedHeaders must include `host` and the timestamp header; any region; the service
//     must be `service` ("states").
//
// Thread-safety: SigV4Verifier is immutable after construction; Verify() is safe from any
// thread. The free functions are pure.
#ifndef INGESTD_ADMIN_SIGV4_H_
#define INGESTD_ADMIN_SIGV4_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "http/handler.h"

namespace ingestd::admin {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";

// The parts of a SigV4 Authorization header value.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;                         // the credential scope's day, YYYYMMDD
  std::string region;                       // any non-empty value
  std::string service;                      // e.g. "states"
  std::vector<std::string> signed_headers;  // lowercase, sorted, unique, non-empty
  std::string signature;                    // 64 lowercase hex digits

  // "DATE/REGION/SERVICE/aws4_request".
  std::string Scope() const;
};

// True when `authorization` (a header value) claims the SigV4 scheme: it is
// "AWS4-HMAC-SHA256" alone or followed by a space. Says nothing about validity.
bool IsSigV4Authorization(std::string_view authorization);

// Parses a SigV4 Authorization header value. The three components Credential, SignedHeaders
// and Signature must each appear exactly once, separated by commas (optional spaces around);
// nothing else is allowed. INVALID_ARGUMENT saying what is wrong (never echoing the value).
absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view authorization);

// The canonical URI of a request path (without query), as described above.
std::string SigV4CanonicalUri(std::string_view path);

// The canonical query string of a raw query (after '?', without it). INVALID_ARGUMENT for a
// malformed percent escape.
absl::StatusOr<std::string> SigV4CanonicalQuery(std::string_view query);

// The canonical request of `request` for `signed_headers` (lowercase, sorted) and the
// payload hash `payload_hash`. INVALID_ARGUMENT when a signed header is missing from the
// request or the query is malformed.
absl::StatusOr<std::string> SigV4CanonicalRequest(const http::Request& request,
                                                  const std::vector<std::string>& signed_headers,
                                                  std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical_request>".
std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);

// The hex signature of `string_to_sign` with the key derived from the secret and the scope:
// HMAC("AWS4"+secret, date) -> region -> service -> "aws4_request" -> string_to_sign.
std::string SigV4Signature(std::string_view secret_access_key, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign);

// The hashing helpers SigV4 is built on (common/crypto.h), also used by the tests.
using common::ConstantTimeEqual;
using common::HmacSha256Hex;
using common::Sha256Hex;

// Configuration of a SigV4Verifier.
//
// | field               | meaning                                                     |
// |---------------------|-------------------------------------------------------------|
// | access_key_id       | the only access key id accepted (non-empty)                 |
// | secret_access_key   | its secret (non-empty)                                      |
// | service             | the signing service name the credential scope must name     |
// | max_skew            | how far the request timestamp may be from the clock         |
// | clock               | where "now" comes from; null means common::Clock::Real()    |
struct SigV4Options {
  std::string access_key_id;
  std::string secret_access_key;
  std::string service = "states";
  absl::Duration max_skew = absl::Minutes(15);
  const common::Clock* clock = nullptr;
};

class SigV4Verifier {
 public:
  explicit SigV4Verifier(SigV4Options options);

  // OK when `request` carries exactly one Authorization header that is a valid SigV4
  // signature by the configured credentials. Errors (the message is safe to show the client:
  // it never contains the expected signature or any secret):
  //   INVALID_ARGUMENT   the Authorization header or a signed header is malformed, missing,
  //                      or repeated; the timestamp is unparseable; SignedHeaders lacks host
  //                      or the timestamp header.
  //   UNAUTHENTICATED    the access key id is not the configured one.
  //   PERMISSION_DENIED  wrong service, timestamp out of the skew window, credential day not
  //                      the timestamp's day, x-amz-content-sha256 not the body's hash, or the
  //                      signature does not match.
  absl::Status Verify(const http::Request& request) const;

  // Verify() for an already parsed Authorization header (the fuzzer drives this directly).
  absl::Status VerifyParsed(const http::Request& request,
                            const SigV4Authorization& authorization) const;

 private:
  SigV4Options options_;
};

}  // namespace ingestd::admin

#endif  // INGESTD_ADMIN_SIGV4_H_
