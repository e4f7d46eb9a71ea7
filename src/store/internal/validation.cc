#include "store/internal/validation.h"

#include "absl/strings/str_cat.h"
#include "store/cursor.h"

namespace ingestd::store::internal {

absl::Status ValidateId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("item id is empty");
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("item id is ", id.size(), " bytes long; the most is ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ValidateScan(const ScanRequest& request) {
  if (request.limit < 1 || request.limit > kMaxScanLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be between 1 and ", kMaxScanLimit, ", got ", request.limit));
  }
  if (request.cursor.empty()) return std::string();
  return DecodeCursor(request.cursor);
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status ClosedError() { return absl::UnavailableError("the store is closed"); }

}  // namespace ingestd::store::internal
