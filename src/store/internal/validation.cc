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

absl::Status ValidateArn(const std::string& arn) {
  if (arn.empty()) return absl::InvalidArgumentError("execution arn is empty");
  if (arn.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("execution arn is ", arn.size(), " bytes long; the most is ", kMaxIdBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateExecutionPut(const ExecutionRecord& record, std::int64_t expected_version) {
  if (absl::Status s = ValidateArn(record.arn); !s.ok()) return s;
  if (record.status.empty()) return absl::InvalidArgumentError("execution status is empty");
  if (record.status.size() > kMaxExecutionStatusBytes) {
    return absl::InvalidArgumentError(absl::StrCat("execution status is ", record.status.size(),
                                                   " bytes long; the most is ",
                                                   kMaxExecutionStatusBytes));
  }
  if (expected_version < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected_version must be 0 (create) or a stored version, got ", expected_version));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ValidateExecutionScan(const ExecutionScanRequest& request) {
  if (request.status.size() > kMaxExecutionStatusBytes) {
    return absl::InvalidArgumentError(absl::StrCat("status filter is ", request.status.size(),
                                                   " bytes long; the most is ",
                                                   kMaxExecutionStatusBytes));
  }
  return ValidateScan(ScanRequest{.limit = request.limit, .cursor = request.cursor});
}

absl::Status ExecutionConflictError(const std::string& arn, std::int64_t expected_version,
                                    std::optional<std::int64_t> current_version) {
  if (expected_version == 0) {
    return absl::AbortedError(absl::StrCat("execution record ", arn, " already exists (version ",
                                           current_version.value_or(0), ")"));
  }
  if (!current_version.has_value()) {
    return absl::AbortedError(absl::StrCat("execution record ", arn,
                                           " does not exist; expected version ", expected_version));
  }
  return absl::AbortedError(absl::StrCat("execution record ", arn, " is at version ",
                                         *current_version, ", not the expected ",
                                         expected_version));
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

absl::Status ClosedError() { return absl::UnavailableError("the store is closed"); }

}  // namespace ingestd::store::internal
