#include "admin/sigv4.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/crypto.h"
#include "fmt/format.h"

namespace ingestd::admin {
namespace {

// Bounds on untrusted input: real SDK headers are a few hundred bytes.
constexpr std::size_t kMaxAuthorizationSize = 4096;
constexpr std::size_t kMaxSignedHeaders = 64;
constexpr std::size_t kMaxAccessKeyIdSize = 128;
constexpr std::size_t kMaxScopePartSize = 64;
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kWhitespace = " \t\r\n\f\v";
constexpr std::string_view kUpperHexDigits = "0123456789ABCDEF";       // percent escapes
constexpr std::string_view kHttpDateFormat = "%a, %d %b %Y %H:%M:%S";  // then the zone

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUnreserved(char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

// A lowercase HTTP header name character (RFC 9110 tchar, no uppercase).
bool IsHeaderNameChar(char c) {
  if (c >= 'A' && c <= 'Z') return false;
  return IsAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view Trim(std::string_view s, std::string_view chars = kWhitespace) {
  const std::size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  const std::size_t last = s.find_last_not_of(chars);
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("malformed AWS4-HMAC-SHA256 Authorization header: {}", what));
}

using Digest = common::Sha256Digest;
using common::HmacSha256;

std::string_view AsView(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// Appends `c` percent-encoded unless unreserved (or '/' when `keep_slash`).
void AppendEncoded(std::string& out, char c, bool keep_slash) {
  if (IsUnreserved(c) || (keep_slash && c == '/')) {
    out.push_back(c);
    return;
  }
  const auto byte = static_cast<unsigned char>(c);
  out.push_back('%');
  out.push_back(kUpperHexDigits[byte >> 4]);
  out.push_back(kUpperHexDigits[byte & 0xf]);
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) AppendEncoded(out, c, keep_slash);
  return out;
}

int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return absl::InvalidArgumentError("malformed percent escape in query");
    const int hi = HexValue(s[i + 1]);
    const int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError("malformed percent escape in query");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// The canonical value of every occurrence of a header: trimmed, inner whitespace runs
// collapsed to one space, occurrences joined with ','.
std::string CanonicalHeaderValue(const http::Request& request, std::string_view name,
                                 bool* present) {
  std::string out;
  *present = false;
  const auto range = request.equal_range(boost::beast::string_view(name.data(), name.size()));
  for (auto it = range.first; it != range.second; ++it) {
    if (*present) out.push_back(',');
    *present = true;
    const std::string_view value(it->value().data(), it->value().size());
    bool pending_space = false;
    bool started = false;
    for (char c : value) {
      if (kWhitespace.find(c) != std::string_view::npos) {
        pending_space = started;
        continue;
      }
      if (pending_space) out.push_back(' ');
      pending_space = false;
      started = true;
      out.push_back(c);
    }
  }
  return out;
}

// The single value of header `name`, nullopt when absent; INVALID_ARGUMENT when repeated.
absl::StatusOr<std::optional<std::string_view>> SingleHeader(const http::Request& request,
                                                             std::string_view name) {
  const auto range = request.equal_range(boost::beast::string_view(name.data(), name.size()));
  if (range.first == range.second) return std::optional<std::string_view>();
  if (std::next(range.first) != range.second) {
    return absl::InvalidArgumentError(fmt::format("the {} header appears more than once", name));
  }
  const auto value = range.first->value();
  return std::optional<std::string_view>(Trim(std::string_view(value.data(), value.size())));
}

// Parses 20150830T123600Z strictly.
std::optional<absl::Time> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!IsDigit(s[i])) return std::nullopt;
  }
  const auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int year = num(0, 4);
  const int month = num(4, 2);
  const int day = num(6, 2);
  const int hour = num(9, 2);
  const int minute = num(11, 2);
  const int second = num(13, 2);
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  // CivilSecond normalizes out-of-range fields (month 13, Feb 30): refuse those.
  if (civil.year() != year || civil.month() != month || civil.day() != day ||
      civil.hour() != hour || civil.minute() != minute || civil.second() != second) {
    return std::nullopt;
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

// Parses an HTTP date as botocore writes it ("Sun, 30 Aug 2015 12:36:00 -0000", RFC 2822) or
// as RFC 9110 does ("... GMT"), strictly: formatting the result back must give the input.
std::optional<absl::Time> ParseHttpDate(std::string_view s) {
  std::string_view stamp;
  for (std::string_view zone : {" GMT", " +0000", " -0000"}) {
    if (s.ends_with(zone)) stamp = s.substr(0, s.size() - zone.size());
  }
  if (stamp.empty()) return std::nullopt;
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(std::string(kHttpDateFormat), std::string(stamp), absl::UTCTimeZone(), &t,
                       &error)) {
    return std::nullopt;
  }
  if (absl::FormatTime(std::string(kHttpDateFormat), t, absl::UTCTimeZone()) != stamp)
    return std::nullopt;
  return t;
}

absl::Status ParseCredential(std::string_view value, SigV4Authorization& out) {
  const std::vector<std::string_view> parts = Split(value, '/');
  if (parts.size() != 5) {
    return Malformed("Credential must be ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request");
  }
  const std::string_view key = parts[0];
  if (key.empty() || key.size() > kMaxAccessKeyIdSize ||
      !std::all_of(key.begin(), key.end(), IsAlnum)) {
    return Malformed("the access key id must be 1 to 128 letters or digits");
  }
  const std::string_view date = parts[1];
  if (date.size() != 8 || !std::all_of(date.begin(), date.end(), IsDigit)) {
    return Malformed("the credential date must be YYYYMMDD");
  }
  const auto is_scope_char = [](char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
  };
  for (std::size_t i : {2, 3}) {
    const std::string_view part = parts[i];
    if (part.empty() || part.size() > kMaxScopePartSize ||
        !std::all_of(part.begin(), part.end(), is_scope_char)) {
      return Malformed(i == 2 ? "the credential region must be lowercase letters, digits, '-'"
                              : "the credential service must be lowercase letters, digits, '-'");
    }
  }
  if (parts[4] != kTerminator) return Malformed("the credential must end with aws4_request");
  out.access_key_id = std::string(key);
  out.date = std::string(date);
  out.region = std::string(parts[2]);
  out.service = std::string(parts[3]);
  return absl::OkStatus();
}

absl::Status ParseSignedHeaders(std::string_view value, SigV4Authorization& out) {
  const std::vector<std::string_view> names = Split(value, ';');
  if (names.size() > kMaxSignedHeaders) return Malformed("too many SignedHeaders");
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string_view name = names[i];
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsHeaderNameChar)) {
      return Malformed("SignedHeaders must be lowercase header names separated by ';'");
    }
    if (i > 0 && !(names[i - 1] < name)) {
      return Malformed("SignedHeaders must be sorted and without duplicates");
    }
    out.signed_headers.emplace_back(name);
  }
  return absl::OkStatus();
}

}  // namespace

std::string SigV4Authorization::Scope() const {
  return fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
}

bool IsSigV4Authorization(std::string_view authorization) {
  if (!authorization.starts_with(kSigV4Algorithm)) return false;
  return authorization.size() == kSigV4Algorithm.size() ||
         authorization[kSigV4Algorithm.size()] == ' ';
}

absl::StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view authorization) {
  if (authorization.size() > kMaxAuthorizationSize) return Malformed("too long");
  if (!IsSigV4Authorization(authorization)) return Malformed("not the AWS4-HMAC-SHA256 scheme");
  const std::string_view rest = authorization.substr(kSigV4Algorithm.size());
  SigV4Authorization out;
  bool seen_credential = false;
  bool seen_signed_headers = false;
  bool seen_signature = false;
  for (std::string_view component : Split(rest, ',')) {
    component = Trim(component, " ");
    const std::size_t eq = component.find('=');
    if (eq == std::string_view::npos) {
      return Malformed("each component must be Name=Value (Credential, SignedHeaders, Signature)");
    }
    const std::string_view name = component.substr(0, eq);
    const std::string_view value = component.substr(eq + 1);
    if (name == "Credential") {
      if (seen_credential) return Malformed("Credential appears more than once");
      seen_credential = true;
      if (absl::Status s = ParseCredential(value, out); !s.ok()) return s;
    } else if (name == "SignedHeaders") {
      if (seen_signed_headers) return Malformed("SignedHeaders appears more than once");
      seen_signed_headers = true;
      if (absl::Status s = ParseSignedHeaders(value, out); !s.ok()) return s;
    } else if (name == "Signature") {
      if (seen_signature) return Malformed("Signature appears more than once");
      seen_signature = true;
      if (value.size() != 64 || !std::all_of(value.begin(), value.end(), IsLowerHex)) {
        return Malformed("Signature must be 64 lowercase hex digits");
      }
      out.signature = std::string(value);
    } else {
      return Malformed("unknown component (expected Credential, SignedHeaders, Signature)");
    }
  }
  if (!seen_credential) return Malformed("Credential is missing");
  if (!seen_signed_headers) return Malformed("SignedHeaders is missing");
  if (!seen_signature) return Malformed("Signature is missing");
  return out;
}

std::string SigV4CanonicalUri(std::string_view path) {
  // Dot segments and empty segments go, as botocore's remove_dot_segments and the JS SDK's
  // getCanonicalPath do before signing.
  std::vector<std::string_view> segments;
  for (std::string_view segment : Split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string normalized = path.starts_with('/') ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized.push_back('/');
    normalized.append(segments[i]);
  }
  if (!segments.empty() && path.ends_with('/')) normalized.push_back('/');
  if (normalized.empty()) return "/";
  return UriEncode(normalized, /*keep_slash=*/true);
}

absl::StatusOr<std::string> SigV4CanonicalQuery(std::string_view query) {
  if (query.empty()) return std::string();
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::string_view pair : Split(query, '&')) {
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    absl::StatusOr<std::string> decoded_key = PercentDecode(key);
    if (!decoded_key.ok()) return decoded_key.status();
    absl::StatusOr<std::string> decoded_value = PercentDecode(value);
    if (!decoded_value.ok()) return decoded_value.status();
    pairs.emplace_back(UriEncode(*decoded_key, false), UriEncode(*decoded_value, false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out.push_back('&');
    out.append(key).append("=").append(value);
  }
  return out;
}

absl::StatusOr<std::string> SigV4CanonicalRequest(const http::Request& request,
                                                  const std::vector<std::string>& signed_headers,
                                                  std::string_view payload_hash) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  absl::StatusOr<std::string> canonical_query = SigV4CanonicalQuery(query);
  if (!canonical_query.ok()) return canonical_query.status();

  std::string out(request.method_string().data(), request.method_string().size());
  out.push_back('\n');
  out.append(SigV4CanonicalUri(path)).push_back('\n');
  out.append(*canonical_query).push_back('\n');
  std::string names;
  for (const std::string& name : signed_headers) {
    bool present = false;
    std::string value = CanonicalHeaderValue(request, name, &present);
    if (!present) {
      return absl::InvalidArgumentError(
          fmt::format("signed header {} is not in the request", name));
    }
    out.append(name).append(":").append(value).push_back('\n');
    if (!names.empty()) names.push_back(';');
    names.append(name);
  }
  out.push_back('\n');
  out.append(names).push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kSigV4Algorithm, amz_date, scope,
                     Sha256Hex(canonical_request));
}

std::string SigV4Signature(std::string_view secret_access_key, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign) {
  const std::string first_key = fmt::format("AWS4{}", secret_access_key);
  const Digest k_date = HmacSha256(first_key, date);
  const Digest k_region = HmacSha256(AsView(k_date), region);
  const Digest k_service = HmacSha256(AsView(k_region), service);
  const Digest k_signing = HmacSha256(AsView(k_service), kTerminator);
  const Digest signature = HmacSha256(AsView(k_signing), string_to_sign);
  return common::HexLower(signature);
}

SigV4Verifier::SigV4Verifier(SigV4Options options) : options_(std::move(options)) {}

absl::Status SigV4Verifier::Verify(const http::Request& request) const {
  absl::StatusOr<std::optional<std::string_view>> header = SingleHeader(request, "authorization");
  if (!header.ok()) return header.status();
  if (!header->has_value()) return absl::InvalidArgumentError("no Authorization header");
  absl::StatusOr<SigV4Authorization> authorization = ParseSigV4Authorization(**header);
  if (!authorization.ok()) return authorization.status();
  return VerifyParsed(request, *authorization);
}

absl::Status SigV4Verifier::VerifyParsed(const http::Request& request,
                                         const SigV4Authorization& authorization) const {
  // An unknown key first, as AWS does: nothing else about the request matters then.
  if (options_.access_key_id.empty() ||
      !ConstantTimeEqual(authorization.access_key_id, options_.access_key_id)) {
    return absl::UnauthenticatedError("The security token included in the request is invalid.");
  }
  if (authorization.service != options_.service) {
    return absl::PermissionDeniedError(
        fmt::format("Credential should be scoped to correct service: '{}'.", options_.service));
  }

  // The timestamp: X-Amz-Date, or Date when there is no X-Amz-Date; it must be signed.
  std::string_view date_header = "x-amz-date";
  absl::StatusOr<std::optional<std::string_view>> amz_date = SingleHeader(request, date_header);
  if (!amz_date.ok()) return amz_date.status();
  if (!amz_date->has_value()) {
    date_header = "date";
    amz_date = SingleHeader(request, date_header);
    if (!amz_date.ok()) return amz_date.status();
    if (!amz_date->has_value()) {
      return absl::InvalidArgumentError("the request has neither X-Amz-Date nor Date");
    }
  }
  const std::vector<std::string>& signed_headers = authorization.signed_headers;
  const auto is_signed = [&](std::string_view name) {
    return std::find(signed_headers.begin(), signed_headers.end(), name) != signed_headers.end();
  };
  if (!is_signed("host")) return absl::InvalidArgumentError("SignedHeaders must include host");
  if (!is_signed(date_header)) {
    return absl::InvalidArgumentError(fmt::format("SignedHeaders must include {}", date_header));
  }
  std::optional<absl::Time> when = ParseAmzDate(**amz_date);
  if (!when.has_value() && date_header == "date") when = ParseHttpDate(**amz_date);
  if (!when.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("the {} header must be in the form 20150830T123600Z", date_header));
  }
  // The string to sign always has the ISO 8601 basic form, whatever form Date had.
  const std::string timestamp = absl::FormatTime("%Y%m%dT%H%M%SZ", *when, absl::UTCTimeZone());
  const common::Clock& clock = options_.clock != nullptr ? *options_.clock : common::Clock::Real();
  const absl::Time now = clock.Now();
  if (*when > now + options_.max_skew || *when < now - options_.max_skew) {
    return absl::PermissionDeniedError(fmt::format(
        "Signature expired or not yet valid: {} is more than {} from the server time {}", timestamp,
        absl::FormatDuration(options_.max_skew),
        absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone())));
  }
  if (authorization.date != timestamp.substr(0, 8)) {
    return absl::PermissionDeniedError(fmt::format("the credential date {} is not the day of {} {}",
                                                   authorization.date, date_header, timestamp));
  }

  const std::string body_hash = Sha256Hex(request.body());
  absl::StatusOr<std::optional<std::string_view>> content_sha =
      SingleHeader(request, "x-amz-content-sha256");
  if (!content_sha.ok()) return content_sha.status();
  if (content_sha->has_value() && **content_sha != body_hash) {
    return absl::PermissionDeniedError(
        "The provided x-amz-content-sha256 header does not match what was computed.");
  }

  absl::StatusOr<std::string> canonical = SigV4CanonicalRequest(request, signed_headers, body_hash);
  if (!canonical.ok()) return canonical.status();
  const std::string string_to_sign =
      SigV4StringToSign(timestamp, authorization.Scope(), *canonical);
  const std::string expected =
      SigV4Signature(options_.secret_access_key, authorization.date, authorization.region,
                     authorization.service, string_to_sign);
  if (!ConstantTimeEqual(expected, authorization.signature)) {
    return absl::PermissionDeniedError(
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.");
  }
  return absl::OkStatus();
}

}  // namespace ingestd::admin
