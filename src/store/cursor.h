// The opaque keyset cursor of Store::Scan: the id of the last item of a page, wrapped so that
// it is URL-safe and can change format later without breaking old links.
//
//   std::string cursor = EncodeCursor("a@example.com");     // "AWFAZXhhbXBsZS5jb20"
//   absl::StatusOr<std::string> last_id = DecodeCursor(cursor);  // "a@example.com"
//
// Format: base64url without padding (RFC 4648 §5) of a version byte (kCursorVersion) followed
// by the id's bytes. Ids are treated as arbitrary bytes. Only canonical encodings decode.
//
// Thread-safety: pure functions.
#ifndef INGESTD_STORE_CURSOR_H_
#define INGESTD_STORE_CURSOR_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ingestd::store {

inline constexpr char kCursorVersion = 1;

// The longest cursor text DecodeCursor accepts.
inline constexpr std::size_t kMaxCursorChars = 2048;

// The cursor that continues a scan after `last_id` (which must not be empty).
std::string EncodeCursor(std::string_view last_id);

// The last id a cursor names. INVALID_ARGUMENT "cursor is not valid" when `text` is empty,
// longer than kMaxCursorChars, not canonical base64url, of another version, or names an empty
// id.
absl::StatusOr<std::string> DecodeCursor(std::string_view text);

}  // namespace ingestd::store

#endif  // INGESTD_STORE_CURSOR_H_
