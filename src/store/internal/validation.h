// Checks shared by every backend, so that they refuse the same inputs with the same messages.
#ifndef INGESTD_STORE_INTERNAL_VALIDATION_H_
#define INGESTD_STORE_INTERNAL_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace ingestd::store::internal {

// INVALID_ARGUMENT when `id` is empty or longer than kMaxIdBytes.
absl::Status ValidateId(const std::string& id);

// The id after which the scan starts ("" = from the beginning). INVALID_ARGUMENT when the
// limit is outside 1..kMaxScanLimit or the cursor does not decode.
inline constexpr std::size_t kMaxScanLimit = 1000;
absl::StatusOr<std::string> ValidateScan(const ScanRequest& request);

// `t` truncated to whole microseconds, the precision every backend stores.
absl::Time TruncateToMicros(absl::Time t);

absl::Status ClosedError();

}  // namespace ingestd::store::internal

#endif  // INGESTD_STORE_INTERNAL_VALIDATION_H_
