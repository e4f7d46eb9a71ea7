#include "store/cursor.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace ingestd::store {
namespace {

absl::Status InvalidCursor() { return absl::InvalidArgumentError("cursor is not valid"); }

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::string EncodeCursor(std::string_view last_id) {
  std::string raw;
  raw.reserve(last_id.size() + 1);
  raw.push_back(kCursorVersion);
  raw.append(last_id);
  return absl::WebSafeBase64Escape(absl::string_view(raw.data(), raw.size()));
}

absl::StatusOr<std::string> DecodeCursor(std::string_view text) {
  if (text.empty() || text.size() > kMaxCursorChars) return InvalidCursor();
  // abseil's decoder also accepts padding and skips some characters; a cursor has exactly one
  // spelling, so check the alphabet here and the canonical form (no stray low bits) below.
  for (char c : text) {
    if (!IsBase64UrlChar(c)) return InvalidCursor();
  }
  std::string raw;
  if (!absl::WebSafeBase64Unescape(absl::string_view(text.data(), text.size()), &raw))
    return InvalidCursor();
  if (raw.size() < 2 || raw[0] != kCursorVersion) return InvalidCursor();
  if (absl::WebSafeBase64Escape(raw) != text) return InvalidCursor();
  return raw.substr(1);
}

}  // namespace ingestd::store
