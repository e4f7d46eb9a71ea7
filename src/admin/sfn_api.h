// The AWS Step Functions JSON protocol subset served on the admin listener, as pure functions:
// parsing an untrusted request (X-Amz-Target, Content-Type, body) into a typed SfnRequest, and
// shaping replies and errors the way AWS does, so the official SDKs and the AWS CLI raise the
// right typed errors. No I/O here: routes.cc runs the requests on DurableExecutions.
//
//   SfnParseResult parsed = ParseSfnRequest({.target = "AWSStepFunctions.SendTaskSuccess",
//                                            .content_type = "application/x-amz-json-1.0",
//                                            .body = R"({"taskToken":"t","output":"{}"})"});
//   if (const SfnError* error = std::get_if<SfnError>(&parsed)) {
//     reply(error->http_status, SfnErrorBody(*error));  // {"__type":"...","message":"..."}
//   } else if (auto* r = std::get_if<SendTaskSuccessRequest>(&std::get<SfnRequest>(parsed))) {
//     executions->SendTaskSuccess(r->task_token, r->output, ...);
//   }
//
// What is accepted (AWS's member names, types and length limits):
//
//   operation            members (required*)                         reply
//   SendTaskSuccess      taskToken*, output* (a JSON text)           {}
//   SendTaskFailure      taskToken*, error, cause                    {}
//   SendTaskHeartbeat    taskToken*                                  {}
//   StartExecution       stateMachineArn*, name, input (JSON text)   {executionArn, startDate}
//   StartSyncExecution   same as StartExecution                      see StartSyncExecutionBody
//   DescribeExecution    executionArn*                               see DescribeExecutionBody
//   ListExecutions       stateMachineArn*, statusFilter, maxResults, {executions, nextToken?}
//                        nextToken
//
// Unknown members are ignored (newer SDKs send more, e.g. traceHeader). Timestamps in replies
// are JSON numbers, epoch seconds with a fraction. Errors are HTTP 400 with
// {"__type": Name, "message": ...}, except server faults (5xx, which the SDKs retry).
//
// Thread-safety: every function is pure and thread-safe.
#ifndef INGESTD_ADMIN_SFN_API_H_
#define INGESTD_ADMIN_SFN_API_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/value.hpp>

#include "absl/status/status.h"
#include "workflow/durable.h"

namespace ingestd::admin {

inline constexpr std::string_view kAmzJsonType = "application/x-amz-json-1.0";
inline constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";

// AWS's limits on the members (bytes, except where said).
inline constexpr std::size_t kMaxTaskTokenBytes = 2048;
inline constexpr std::size_t kMaxPayloadBytes = 262144;  // output, input (256 KiB)
inline constexpr std::size_t kMaxErrorBytes = 256;
inline constexpr std::size_t kMaxCauseBytes = 32768;
inline constexpr std::size_t kMaxArnBytes = 256;
inline constexpr std::size_t kMaxNameChars = 80;  // code points
inline constexpr std::size_t kMaxNextTokenBytes = 3096;
inline constexpr std::size_t kMaxListResults = 1000;
inline constexpr std::size_t kDefaultListResults = 100;  // maxResults absent or 0

struct SendTaskSuccessRequest {
  std::string task_token;
  boost::json::value output;  // parsed from the "output" string
};

struct SendTaskFailureRequest {
  std::string task_token;
  std::string error;  // "" when absent
  std::string cause;  // "" when absent
};

struct SendTaskHeartbeatRequest {
  std::string task_token;
};

struct StartExecutionRequest {
  bool sync = false;  // StartSyncExecution
  std::string state_machine_arn;
  std::string name;                                  // "" when absent (a fresh UUID is used)
  boost::json::value input = boost::json::object();  // parsed from "input"; {} when absent
  std::string input_text = "{}";                     // "input" as sent
};

struct DescribeExecutionRequest {
  std::string execution_arn;
};

struct ListExecutionsRequest {
  std::string state_machine_arn;
  std::string status_filter;  // "" or RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
  std::size_t max_results = kDefaultListResults;  // 1..kMaxListResults
  std::string next_token;                         // "" for the first page
};

using SfnRequest =
    std::variant<SendTaskSuccessRequest, SendTaskFailureRequest, SendTaskHeartbeatRequest,
                 StartExecutionRequest, DescribeExecutionRequest, ListExecutionsRequest>;

// An error as the Step Functions protocol reports it. These are data for the wire (like ASL's
// States.* errors), not C++ failures: every refusal of a client request is one.
struct SfnError {
  int http_status = 400;
  std::string type;  // the __type: "ValidationException", "TaskDoesNotExist", ...
  std::string message;
  friend bool operator==(const SfnError&, const SfnError&) = default;
};

using SfnParseResult = std::variant<SfnRequest, SfnError>;

// The parts of an HTTP request the protocol reads.
struct SfnHttpRequest {
  std::string_view target;        // the X-Amz-Target header's value
  std::string_view content_type;  // the Content-Type header's value
  std::string_view body;
};

// Parses and validates a request strictly. Errors (all HTTP 400):
//   UnknownOperationException  X-Amz-Target missing, not "AWSStepFunctions.<Op>", or an Op
//                              outside the subset
//   SerializationException     Content-Type not application/x-amz-json-1.0 (or 1.1), or a
//                              body that is not one JSON object (an empty body counts as {})
//   ValidationException        a required member missing, a member of the wrong type or
//                              length, an unknown statusFilter, maxResults outside 0..1000
//   InvalidOutput              SendTaskSuccess output that is not JSON
//   InvalidExecutionInput      StartExecution input that is not JSON
//   InvalidName                an execution name outside AWS's rules (1..80 code points of
//                              UTF-8; no whitespace, control characters, or < > { } [ ] ? *
//                              " # % \ ^ | ~ ` $ & , ; : /)
//   InvalidArn                 stateMachineArn / executionArn that is not a Step Functions ARN
//                              of the right resource type
// Whether an ARN names *our* state machine is the caller's check (CheckStateMachineArn).
SfnParseResult ParseSfnRequest(const SfnHttpRequest& request);

// The operation's name ("SendTaskSuccess", ...), for logs and metrics.
std::string_view OperationName(const SfnRequest& request);

// nullopt when `arn` is `ours`; StateMachineDoesNotExist otherwise.
std::optional<SfnError> CheckStateMachineArn(std::string_view arn, std::string_view ours);

// The wire error for a failed DurableExecutions call whose AwsErrorType() is `aws_type`:
// client errors (a type given, or INVALID_ARGUMENT/NOT_FOUND/FAILED_PRECONDITION/
// ALREADY_EXISTS) are 400 with their message; UNAVAILABLE / DEADLINE_EXCEEDED / ABORTED are
// 503 ServiceUnavailable; anything else is 500 InternalFailure. Server faults carry a generic
// message (the caller logs the detail).
SfnError SfnErrorFromStatus(const absl::Status& status, std::string_view aws_type);

// {"__type": type, "message": message}
std::string SfnErrorBody(const SfnError& error);

// Seconds since the epoch as a JSON number (millisecond precision).
double EpochSeconds(absl::Time t);

// {"executionArn", "startDate"}
std::string StartExecutionBody(std::string_view execution_arn, absl::Time start_date);

// {"executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate"?, "input",
//  "output"?, "error"?, "cause"?} — DescribeExecution's reply.
std::string DescribeExecutionBody(const workflow::ExecutionDescription& description);

// StartSyncExecution's reply: DescribeExecution's members. An execution that stopped at a
// callback task has not ended: it is reported as it is, "RUNNING" without stopDate or output.
std::string StartSyncExecutionBody(const workflow::ExecutionDescription& description);

// {"executions": [{"executionArn", "stateMachineArn", "name", "status", "startDate",
//  "stopDate"?}], "nextToken"?}
std::string ListExecutionsBody(const workflow::ListExecutionsPage& page);

}  // namespace ingestd::admin

#endif  // INGESTD_ADMIN_SFN_API_H_
