// Fuzzes SigV4 verification with arbitrary requests. The input is text: line 1 the
// Authorization value, line 2 the method, line 3 the target, line 4 X-Amz-Date, line 5 Host,
// then "name:value" header lines up to an empty line, then the body (see
// fuzz/seeds/admin_sigv4/). Checks, besides never crashing:
//   - a parsed Authorization is well-formed (64 hex digit signature, sorted signed headers);
//   - the canonical URI and query are in canonical form, and canonicalizing twice changes
//     nothing;
//   - the request signed by this module's own signing steps with the configured credentials
//     always verifies, and with a flipped signature digit never does (so canonicalization is
//     deterministic for every header value, path and query the fuzzer invents).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "admin/sigv4.h"
#include "common/clock.h"

namespace {

using ingestd::admin::SigV4Authorization;
namespace admin = ingestd::admin;
namespace http = ingestd::http;

constexpr std::string_view kKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

void Check(bool ok) {
  if (!ok) std::abort();
}

// Takes the next line off `in` (without its '\n').
std::string_view NextLine(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return line;
}

bool IsCanonicalChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || c == '%';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view authorization = NextLine(in);
  const std::string_view method = NextLine(in);
  const std::string_view target = NextLine(in);
  const std::string_view amz_date = NextLine(in);
  const std::string_view host = NextLine(in);

  // The parser alone.
  const absl::StatusOr<SigV4Authorization> parsed = admin::ParseSigV4Authorization(authorization);
  if (parsed.ok()) {
    Check(admin::IsSigV4Authorization(authorization));
    Check(parsed->signature.size() == 64);
    Check(std::is_sorted(parsed->signed_headers.begin(), parsed->signed_headers.end()));
    Check(std::adjacent_find(parsed->signed_headers.begin(), parsed->signed_headers.end()) ==
          parsed->signed_headers.end());
  }

  // The canonical forms.
  const std::size_t q = target.find('?');
  const std::string uri = admin::SigV4CanonicalUri(target.substr(0, q));
  Check(!uri.empty());
  for (char c : uri) Check(c == '/' || IsCanonicalChar(c));
  if (q != std::string_view::npos) {
    const absl::StatusOr<std::string> query = admin::SigV4CanonicalQuery(target.substr(q + 1));
    if (query.ok()) {
      const absl::StatusOr<std::string> again = admin::SigV4CanonicalQuery(*query);
      Check(again.ok() && *again == *query);
    }
  }

  // Beast's method_string() asserts on an empty method, and header names must not be empty.
  http::Request req;
  req.method_string(method.empty() ? std::string_view("POST") : method);
  req.target(target);
  req.version(11);
  req.insert(http::bhttp::field::authorization, authorization);
  if (!amz_date.empty()) req.insert("x-amz-date", amz_date);
  if (!host.empty()) req.insert(http::bhttp::field::host, host);
  std::vector<std::string> extra_names;
  while (!in.empty()) {
    const std::string_view line = NextLine(in);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    if (name.empty()) continue;
    // Beast 1.81's iequals() reads one byte past the name when two names differ only in case:
    // harmless for names in the parser's buffer (a ':' follows), but not for a view ending
    // at the end of the fuzzer's input, so pass a std::string (its terminator follows).
    std::string lower(name);
    req.insert(lower,
               colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    extra_names.push_back(lower);
  }
  req.body() = std::string(in);

  static const ingestd::common::ManualClock kClock(absl::FromUnixSeconds(1440938160));
  const admin::SigV4Verifier verifier({.access_key_id = std::string(kKey),
                                       .secret_access_key = std::string(kSecret),
                                       .clock = &kClock});
  (void)verifier.Verify(req);
  if (parsed.ok()) (void)verifier.VerifyParsed(req, *parsed);

  // Sign it ourselves at the clock's time: it must verify. Only when the fuzzer's headers do
  // not disturb what is signed (a second Authorization, X-Amz-Date or Host, or a content hash).
  if (host.empty()) return 0;
  for (const std::string& n : extra_names) {
    if (n == "authorization" || n == "x-amz-date" || n == "host" || n == "date" ||
        n == "x-amz-content-sha256") {
      return 0;
    }
  }
  std::vector<std::string> signed_headers = {"host", "x-amz-date"};
  for (const std::string& n : extra_names) {
    const bool token = !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (token) signed_headers.push_back(n);
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());
  if (signed_headers.size() > 64) return 0;
  req.erase("x-amz-date");
  req.set("x-amz-date", "20150830T123600Z");
  const absl::StatusOr<std::string> canonical =
      admin::SigV4CanonicalRequest(req, signed_headers, admin::Sha256Hex(req.body()));
  if (!canonical.ok()) return 0;  // a malformed query
  const std::string scope = "20150830/us-east-1/states/aws4_request";
  const std::string signature =
      admin::SigV4Signature(kSecret, "20150830", "us-east-1", "states",
                            admin::SigV4StringToSign("20150830T123600Z", scope, *canonical));
  std::string names;
  for (const std::string& n : signed_headers) names += (names.empty() ? "" : ";") + n;
  const std::string header = "AWS4-HMAC-SHA256 Credential=" + std::string(kKey) + "/" + scope +
                             ", SignedHeaders=" + names + ", Signature=";
  req.set(http::bhttp::field::authorization, header + signature);
  Check(verifier.Verify(req).ok());
  std::string flipped = signature;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  req.set(http::bhttp::field::authorization, header + flipped);
  Check(verifier.Verify(req).code() == absl::StatusCode::kPermissionDenied);
  return 0;
}
