// Fuzzes ExtractFields, which sees every client's query string, Content-Type and body.
//
// Two modes, chosen by the first byte:
//  * raw: an arbitrary target ("/?" + bytes), content type and body. It must never crash,
//    and a success must be self-consistent (any_present when a field is set).
//  * round trip: three arbitrary field values (or absent), each placed in the query string,
//    a urlencoded form or a JSON object (with unrelated parameters around them). Extraction
//    must succeed and give back exactly the values that were given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include "absl/status/statusor.h"
#include "ingest/fields.h"

namespace {

using ingestd::ingest::ExtractFields;
using ingestd::ingest::Fields;
using ingestd::ingest::kFieldNames;

// Every byte but unreserved ones as %XX (what a correct client sends).
std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The JSON string literal for `value`, or nullopt when it is not valid UTF-8 (JSON cannot
// carry it).
std::optional<std::string> JsonString(const std::string& value) {
  std::string literal = boost::json::serialize(boost::json::string(value));
  boost::system::error_code ec;
  boost::json::value back = boost::json::parse(literal, ec);
  if (ec || !back.is_string() || back.as_string() != value) return std::nullopt;
  return literal;
}

void Append(std::string& list, char separator, std::string_view item) {
  if (!list.empty()) list += separator;
  list += item;
}

void Raw(FuzzedDataProvider& in) {
  static constexpr std::string_view kTypes[] = {
      "application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
      "text/plain",       "application/problem+json",          ""};
  const std::string target = "/?" + in.ConsumeRandomLengthString(4096);
  std::string content_type;
  if (in.ConsumeBool()) {
    content_type = kTypes[in.ConsumeIntegralInRange<std::size_t>(0, std::size(kTypes) - 1)];
  } else {
    content_type = in.ConsumeRandomLengthString(64);
  }
  const std::string body = in.ConsumeRemainingBytesAsString();
  absl::StatusOr<Fields> fields =
      ExtractFields({.target = target, .content_type = content_type, .body = body});
  if (fields.ok()) {
    const bool any = fields->user_name || fields->email || fields->pincode;
    if (any && !fields->any_present) std::abort();
  }
}

void RoundTrip(FuzzedDataProvider& in) {
  const bool json_body = in.ConsumeBool();
  std::string query;
  std::string body;  // form: "k=v&..."; JSON: members without braces
  std::optional<std::string> given[kFieldNames.size()];
  bool any = false;
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (in.ConsumeBool()) Append(query, '&', "x" + std::to_string(i) + "=1");
    if (in.ConsumeBool()) {
      if (json_body && in.ConsumeBool()) {
        Append(body, ',', "\"" + std::string(kFieldNames[i]) + "\":null");  // null is absent
        any = true;
      }
      continue;
    }
    std::string value = in.ConsumeRandomLengthString(300);
    std::optional<std::string> literal = json_body ? JsonString(value) : std::nullopt;
    const bool in_body = in.ConsumeBool() && (!json_body || literal.has_value());
    const std::string name(kFieldNames[i]);
    if (!in_body) {
      Append(query, '&', name + "=" + PercentEncode(value));
    } else if (json_body) {
      Append(body, ',', "\"" + name + "\":" + *literal);
    } else {
      Append(body, '&', name + "=" + PercentEncode(value));
    }
    given[i] = std::move(value);
    any = true;
  }
  if (json_body) {
    if (in.ConsumeBool()) Append(body, ',', R"("nested":{"email":5,"user_name":[null]})");
    body = "{" + body + "}";
  }
  const std::string target = "/?" + query;
  const std::string_view content_type =
      json_body ? "application/json" : "application/x-www-form-urlencoded";
  absl::StatusOr<Fields> fields =
      ExtractFields({.target = target, .content_type = content_type, .body = body});
  if (!fields.ok()) std::abort();
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if ((*fields)[i] != given[i]) std::abort();
  }
  if (fields->any_present != any) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    RoundTrip(in);
  } else {
    Raw(in);
  }
  return 0;
}
