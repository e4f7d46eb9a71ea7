// Fuzzes DecodeCursor with arbitrary text (cursors come from clients' query strings): it must
// never crash, and whatever decodes must re-encode to exactly the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/cursor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> id = ingestd::store::DecodeCursor(text);
  if (id.ok()) {
    if (id->empty()) std::abort();
    if (ingestd::store::EncodeCursor(*id) != text) std::abort();
  }
  // Encoding any id yields a cursor that decodes back to it.
  if (size > 0) {
    absl::StatusOr<std::string> back =
        ingestd::store::DecodeCursor(ingestd::store::EncodeCursor(text));
    if (!back.ok() && size + 1 <= ingestd::store::kMaxCursorChars * 3 / 4) std::abort();
    if (back.ok() && *back != text) std::abort();
  }
  return 0;
}
