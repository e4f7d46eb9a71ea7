// ASL error names (the spec's "States.*" set and ingestd's own) and the failure value an
// execution, a state or a task reports. ASL errors are data for Retry/Catch, not C++ errors.
//
//   Failure f{kErrorTaskFailed, "the store is closed"};
//   if (ErrorMatches(kErrorAll, f.error)) ...
#ifndef INGESTD_WORKFLOW_ERRORS_H_
#define INGESTD_WORKFLOW_ERRORS_H_

#include <string>
#include <string_view>

namespace ingestd::workflow {

inline constexpr std::string_view kErrorAll = "States.ALL";
inline constexpr std::string_view kErrorRuntime = "States.Runtime";
inline constexpr std::string_view kErrorTaskFailed = "States.TaskFailed";
inline constexpr std::string_view kErrorTimeout = "States.Timeout";
inline constexpr std::string_view kErrorHeartbeatTimeout = "States.HeartbeatTimeout";
inline constexpr std::string_view kErrorBranchFailed = "States.BranchFailed";
inline constexpr std::string_view kErrorNoChoiceMatched = "States.NoChoiceMatched";
inline constexpr std::string_view kErrorParameterPathFailure = "States.ParameterPathFailure";
inline constexpr std::string_view kErrorResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr std::string_view kErrorIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr std::string_view kErrorDataLimitExceeded = "States.DataLimitExceeded";

// An error as ASL sees it: a name (matched by ErrorEquals) and a human-readable cause.
struct Failure {
  std::string error;
  std::string cause;
};

// Whether a Retrier/Catcher whose ErrorEquals holds `pattern` handles `error`. States.ALL
// matches every error except the terminal States.Runtime and States.DataLimitExceeded;
// States.TaskFailed matches every error except those two and States.Timeout (AWS semantics).
inline bool ErrorMatches(std::string_view pattern, std::string_view error) {
  if (pattern == error) return true;
  bool terminal = error == kErrorRuntime || error == kErrorDataLimitExceeded;
  if (pattern == kErrorAll) return !terminal;
  if (pattern == kErrorTaskFailed) return !terminal && error != kErrorTimeout;
  return false;
}

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_ERRORS_H_
