// Checks shared by every backend, so that they refuse the same inputs with the same messages.
#ifndef INGESTD_STORE_INTERNAL_VALIDATION_H_
#define INGESTD_STORE_INTERNAL_VALIDATION_H_

#include <cstdint>
#include <optional>
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

// INVALID_ARGUMENT when the record's arn is empty or longer than kMaxIdBytes, its status is
// empty or longer than kMaxExecutionStatusBytes, or `expected_version` is negative.
absl::Status ValidateExecutionPut(const ExecutionRecord& record, std::int64_t expected_version);

// INVALID_ARGUMENT when `arn` is empty or longer than kMaxIdBytes.
absl::Status ValidateArn(const std::string& arn);

// As ValidateScan, for ScanExecutions; also refuses a status filter over
// kMaxExecutionStatusBytes.
absl::StatusOr<std::string> ValidateExecutionScan(const ExecutionScanRequest& request);

// The ABORTED answer of a PutExecution whose condition does not hold. `current_version` is the
// stored record's version, or nullopt when there is none.
absl::Status ExecutionConflictError(const std::string& arn, std::int64_t expected_version,
                                    std::optional<std::int64_t> current_version);

// `t` truncated to whole microseconds, the precision every backend stores.
absl::Time TruncateToMicros(absl::Time t);

absl::Status ClosedError();

}  // namespace ingestd::store::internal

#endif  // INGESTD_STORE_INTERNAL_VALIDATION_H_
