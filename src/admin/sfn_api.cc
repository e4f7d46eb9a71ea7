#include "admin/sfn_api.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

namespace ingestd::admin {
namespace {

namespace json = boost::json;

SfnError Validation(std::string message) {
  return SfnError{400, "ValidationException", std::move(message)};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

json::string_view JsonView(std::string_view s) { return {s.data(), s.size()}; }
std::string_view View(json::string_view s) { return {s.data(), s.size()}; }

// The members of one request body. A member that is null counts as absent (as Smithy's JSON
// protocols say); one of another type than asked is a ValidationException.
class Members {
 public:
  explicit Members(const json::object& object) : object_(object) {}

  // The string member `name`, nullopt when absent; an error when it is not a string or its
  // byte length is outside [min_bytes, max_bytes].
  std::variant<std::optional<std::string>, SfnError> String(std::string_view name,
                                                            std::size_t min_bytes,
                                                            std::size_t max_bytes) const {
    const json::value* v = object_.if_contains(JsonView(name));
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    if (!v->is_string()) return Validation(fmt::format("'{}' must be a string", name));
    std::string_view s = View(v->get_string());
    if (s.size() < min_bytes || s.size() > max_bytes) {
      return Validation(fmt::format("'{}' must be {} to {} bytes long, not {}", name, min_bytes,
                                    max_bytes, s.size()));
    }
    return std::optional<std::string>(std::string(s));
  }

  std::variant<std::string, SfnError> Required(std::string_view name, std::size_t min_bytes,
                                               std::size_t max_bytes) const {
    auto got = String(name, min_bytes, max_bytes);
    if (auto* error = std::get_if<SfnError>(&got)) return std::move(*error);
    auto& value = std::get<std::optional<std::string>>(got);
    if (!value) return Validation(fmt::format("'{}' is required", name));
    return std::move(*value);
  }

  std::variant<std::string, SfnError> Optional(std::string_view name, std::size_t min_bytes,
                                               std::size_t max_bytes) const {
    auto got = String(name, min_bytes, max_bytes);
    if (auto* error = std::get_if<SfnError>(&got)) return std::move(*error);
    return std::get<std::optional<std::string>>(got).value_or("");
  }

  const json::value* Find(std::string_view name) const {
    const json::value* v = object_.if_contains(JsonView(name));
    return v == nullptr || v->is_null() ? nullptr : v;
  }

 private:
  const json::object& object_;
};

// Assigns the member's value to `out`, or returns its error from the enclosing function.
#define SFN_ASSIGN_OR_RETURN(out, expr)                      \
  do {                                                       \
    auto sfn_got = (expr);                                   \
    if (auto* sfn_error = std::get_if<SfnError>(&sfn_got)) { \
      return std::move(*sfn_error);                          \
    }                                                        \
    (out) = std::move(std::get<0>(sfn_got));                 \
  } while (false)

// The code points in valid UTF-8 (boost::json has validated it).
std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<SfnError> CheckName(std::string_view name) {
  const std::size_t chars = CodePoints(name);
  if (chars < 1 || chars > kMaxNameChars) {
    return SfnError{400, "InvalidName",
                    fmt::format("the name must be 1 to {} characters long", kMaxNameChars)};
  }
  static constexpr std::string_view kForbidden = " <>{}[]?*\"#%\\^|~`$&,;:/";
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    bool bad =
        c < 0x20 || c == 0x7F || kForbidden.find(static_cast<char>(c)) != std::string_view::npos;
    // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F; other whitespace than the
    // ASCII space (U+00A0, U+2000.., U+3000) is allowed by AWS only in theory: refuse the
    // common ones too, so a name is always safe to show and to put in a URL path segment.
    if (c == 0xC2 && i + 1 < name.size()) {
      const auto next = static_cast<unsigned char>(name[i + 1]);
      bad = bad || (next >= 0x80 && next <= 0xA0);
    }
    if (bad) {
      return SfnError{400, "InvalidName",
                      "the name must not contain whitespace, control characters or any of "
                      "< > { } [ ] ? * \" # % \\ ^ | ~ ` $ & , ; : /"};
    }
  }
  return std::nullopt;
}

// Splits "arn:partition:states:region:account:type:rest" into its fixed fields; false when
// the shape is not that of a Step Functions ARN of `type` with `min_rest_parts` or more
// ':'-separated, non-empty parts after it.
bool IsStatesArn(std::string_view arn, std::string_view type, std::size_t rest_parts) {
  std::array<std::string_view, 6> head;
  std::size_t pos = 0;
  for (std::string_view& part : head) {
    const std::size_t colon = arn.find(':', pos);
    if (colon == std::string_view::npos) return false;
    part = arn.substr(pos, colon - pos);
    pos = colon + 1;
  }
  if (head[0] != "arn" || head[1].substr(0, 3) != "aws" || head[2] != "states" || head[3].empty() ||
      head[4].empty() || head[5] != type) {
    return false;
  }
  std::string_view rest = arn.substr(pos);
  std::size_t parts = 0;
  while (true) {
    const std::size_t colon = rest.find(':');
    if (rest.substr(0, colon).empty()) return false;
    ++parts;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  // A state machine ARN may carry a version or alias (stateMachine:name:1).
  return parts == rest_parts || (type == "stateMachine" && parts == rest_parts + 1);
}

std::optional<SfnError> CheckArn(std::string_view member, std::string_view arn,
                                 std::string_view type, std::size_t rest_parts) {
  if (IsStatesArn(arn, type, rest_parts)) return std::nullopt;
  return SfnError{400, "InvalidArn",
                  fmt::format("Invalid Arn: '{}' is not a Step Functions {} ARN", member, type)};
}

std::variant<SfnRequest, SfnError> ParseStart(const Members& m, bool sync) {
  StartExecutionRequest r;
  r.sync = sync;
  SFN_ASSIGN_OR_RETURN(r.state_machine_arn, m.Required("stateMachineArn", 1, kMaxArnBytes));
  if (auto error = CheckArn("stateMachineArn", r.state_machine_arn, "stateMachine", 1)) {
    return *std::move(error);
  }
  std::optional<std::string> name;
  SFN_ASSIGN_OR_RETURN(name, m.String("name", 0, 4 * kMaxNameChars));
  if (name) {
    if (auto error = CheckName(*name)) return *std::move(error);
    r.name = std::move(*name);
  }
  std::optional<std::string> input;
  SFN_ASSIGN_OR_RETURN(input, m.String("input", 0, kMaxPayloadBytes));
  if (input) {
    boost::system::error_code ec;
    json::value parsed = json::parse(*input, ec);
    if (ec) {
      return SfnError{400, "InvalidExecutionInput",
                      fmt::format("'input' is not valid JSON: {}", ec.message())};
    }
    r.input = std::move(parsed);
    r.input_text = std::move(*input);
  }
  return SfnRequest(std::move(r));
}

std::variant<SfnRequest, SfnError> ParseList(const Members& m) {
  ListExecutionsRequest r;
  SFN_ASSIGN_OR_RETURN(r.state_machine_arn, m.Required("stateMachineArn", 1, kMaxArnBytes));
  if (auto error = CheckArn("stateMachineArn", r.state_machine_arn, "stateMachine", 1)) {
    return *std::move(error);
  }
  SFN_ASSIGN_OR_RETURN(r.status_filter, m.Optional("statusFilter", 1, 32));
  static constexpr std::array<std::string_view, 6> kStatuses = {
      "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"};
  if (!r.status_filter.empty() &&
      std::find(kStatuses.begin(), kStatuses.end(), r.status_filter) == kStatuses.end()) {
    return Validation(
        "'statusFilter' must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, "
        "PENDING_REDRIVE");
  }
  if (const json::value* max = m.Find("maxResults")) {
    std::optional<std::int64_t> n;
    if (max->is_int64()) n = max->get_int64();
    if (max->is_uint64() && max->get_uint64() <= kMaxListResults) {
      n = static_cast<std::int64_t>(max->get_uint64());
    }
    if (!n || *n < 0 || *n > static_cast<std::int64_t>(kMaxListResults)) {
      return Validation(
          fmt::format("'maxResults' must be a whole number from 0 to {}", kMaxListResults));
    }
    r.max_results = *n == 0 ? kDefaultListResults : static_cast<std::size_t>(*n);
  }
  SFN_ASSIGN_OR_RETURN(r.next_token, m.Optional("nextToken", 1, kMaxNextTokenBytes));
  return SfnRequest(std::move(r));
}

std::variant<SfnRequest, SfnError> ParseOperation(std::string_view op, const Members& m) {
  if (op == "SendTaskSuccess") {
    SendTaskSuccessRequest r;
    SFN_ASSIGN_OR_RETURN(r.task_token, m.Required("taskToken", 1, kMaxTaskTokenBytes));
    std::string output;
    SFN_ASSIGN_OR_RETURN(output, m.Required("output", 0, kMaxPayloadBytes));
    boost::system::error_code ec;
    r.output = json::parse(output, ec);
    if (ec) {
      return SfnError{400, "InvalidOutput",
                      fmt::format("'output' is not valid JSON: {}", ec.message())};
    }
    return SfnRequest(std::move(r));
  }
  if (op == "SendTaskFailure") {
    SendTaskFailureRequest r;
    SFN_ASSIGN_OR_RETURN(r.task_token, m.Required("taskToken", 1, kMaxTaskTokenBytes));
    SFN_ASSIGN_OR_RETURN(r.error, m.Optional("error", 0, kMaxErrorBytes));
    SFN_ASSIGN_OR_RETURN(r.cause, m.Optional("cause", 0, kMaxCauseBytes));
    return SfnRequest(std::move(r));
  }
  if (op == "SendTaskHeartbeat") {
    SendTaskHeartbeatRequest r;
    SFN_ASSIGN_OR_RETURN(r.task_token, m.Required("taskToken", 1, kMaxTaskTokenBytes));
    return SfnRequest(std::move(r));
  }
  if (op == "StartExecution") return ParseStart(m, /*sync=*/false);
  if (op == "StartSyncExecution") return ParseStart(m, /*sync=*/true);
  if (op == "DescribeExecution") {
    DescribeExecutionRequest r;
    SFN_ASSIGN_OR_RETURN(r.execution_arn, m.Required("executionArn", 1, kMaxArnBytes));
    if (auto error = CheckArn("executionArn", r.execution_arn, "execution", 2)) {
      return *std::move(error);
    }
    return SfnRequest(std::move(r));
  }
  if (op == "ListExecutions") return ParseList(m);
  // Unreachable: the caller checked the name.
  return SfnError{400, "UnknownOperationException", "unknown operation"};
}

#undef SFN_ASSIGN_OR_RETURN

constexpr std::array<std::string_view, 7> kOperations = {
    "SendTaskSuccess",    "SendTaskFailure",   "SendTaskHeartbeat", "StartExecution",
    "StartSyncExecution", "DescribeExecution", "ListExecutions"};

void PutTime(json::object& out, std::string_view key, absl::Time t) {
  out[JsonView(key)] = EpochSeconds(t);
}

json::object DescriptionObject(const workflow::ExecutionDescription& d, bool with_data) {
  json::object out;
  out["executionArn"] = JsonView(d.arn);
  out["stateMachineArn"] = JsonView(d.state_machine_arn);
  out["name"] = JsonView(d.name);
  out["status"] = JsonView(d.status);
  PutTime(out, "startDate", d.start_date);
  if (d.stop_date) PutTime(out, "stopDate", *d.stop_date);
  if (!with_data) return out;
  out["input"] = JsonView(d.input);
  if (d.output) out["output"] = JsonView(*d.output);
  if (d.error) out["error"] = JsonView(*d.error);
  if (d.cause) out["cause"] = JsonView(*d.cause);
  return out;
}

}  // namespace

SfnParseResult ParseSfnRequest(const SfnHttpRequest& request) {
  const std::string_view target = Trim(request.target);
  if (target.empty()) {
    return SfnError{400, "UnknownOperationException",
                    "missing X-Amz-Target header (AWSStepFunctions.<Operation>)"};
  }
  std::string_view op;
  if (target.substr(0, kTargetPrefix.size()) == kTargetPrefix) {
    op = target.substr(kTargetPrefix.size());
  }
  if (std::find(kOperations.begin(), kOperations.end(), op) == kOperations.end()) {
    return SfnError{400, "UnknownOperationException",
                    "unknown or unsupported operation in X-Amz-Target; supported: "
                    "SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, StartExecution, "
                    "StartSyncExecution, DescribeExecution, ListExecutions"};
  }
  const std::string_view media = Trim(request.content_type.substr(
      0, std::min(request.content_type.size(), request.content_type.find(';'))));
  if (!EqualsIgnoringCase(media, kAmzJsonType) &&
      !EqualsIgnoringCase(media, "application/x-amz-json-1.1")) {
    return SfnError{400, "SerializationException",
                    fmt::format("Content-Type must be {}", kAmzJsonType)};
  }
  json::value body;
  if (!Trim(request.body).empty()) {
    boost::system::error_code ec;
    body = json::parse(JsonView(request.body), ec);
    if (ec) {
      return SfnError{400, "SerializationException",
                      fmt::format("the body is not valid JSON: {}", ec.message())};
    }
  } else {
    body = json::object();
  }
  if (!body.is_object()) {
    return SfnError{400, "SerializationException", "the body must be a JSON object"};
  }
  std::variant<SfnRequest, SfnError> parsed = ParseOperation(op, Members(body.get_object()));
  if (auto* error = std::get_if<SfnError>(&parsed)) return std::move(*error);
  return std::get<SfnRequest>(std::move(parsed));
}

std::string_view OperationName(const SfnRequest& request) {
  struct Namer {
    std::string_view operator()(const SendTaskSuccessRequest&) const { return "SendTaskSuccess"; }
    std::string_view operator()(const SendTaskFailureRequest&) const { return "SendTaskFailure"; }
    std::string_view operator()(const SendTaskHeartbeatRequest&) const {
      return "SendTaskHeartbeat";
    }
    std::string_view operator()(const StartExecutionRequest& r) const {
      return r.sync ? "StartSyncExecution" : "StartExecution";
    }
    std::string_view operator()(const DescribeExecutionRequest&) const {
      return "DescribeExecution";
    }
    std::string_view operator()(const ListExecutionsRequest&) const { return "ListExecutions"; }
  };
  return std::visit(Namer{}, request);
}

std::optional<SfnError> CheckStateMachineArn(std::string_view arn, std::string_view ours) {
  if (arn == ours) return std::nullopt;
  return SfnError{
      400, "StateMachineDoesNotExist",
      fmt::format("State Machine Does Not Exist: '{}' (this service runs '{}')", arn, ours)};
}

SfnError SfnErrorFromStatus(const absl::Status& status, std::string_view aws_type) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return SfnError{503, "ServiceUnavailable", "the service is unavailable; retry"};
    default:
      break;
  }
  if (aws_type == "ServiceUnavailable") {
    return SfnError{503, "ServiceUnavailable", "the service is unavailable; retry"};
  }
  if (!aws_type.empty() && !status.ok()) return SfnError{400, std::string(aws_type), message};
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return SfnError{400, "ValidationException", message};
    case absl::StatusCode::kNotFound:
      return SfnError{400, "ResourceNotFound", message};
    case absl::StatusCode::kFailedPrecondition:
      return SfnError{400, "ConflictException", message};
    case absl::StatusCode::kAlreadyExists:
      return SfnError{400, "ExecutionAlreadyExists", message};
    default:
      return SfnError{500, "InternalFailure", "internal error"};
  }
}

std::string SfnErrorBody(const SfnError& error) {
  json::object body;
  body["__type"] = JsonView(error.type);
  body["message"] = JsonView(error.message);
  return json::serialize(body);
}

double EpochSeconds(absl::Time t) { return static_cast<double>(absl::ToUnixMillis(t)) / 1000.0; }

std::string StartExecutionBody(std::string_view execution_arn, absl::Time start_date) {
  json::object body;
  body["executionArn"] = JsonView(execution_arn);
  PutTime(body, "startDate", start_date);
  return json::serialize(body);
}

std::string DescribeExecutionBody(const workflow::ExecutionDescription& description) {
  return json::serialize(DescriptionObject(description, /*with_data=*/true));
}

std::string StartSyncExecutionBody(const workflow::ExecutionDescription& description) {
  return json::serialize(DescriptionObject(description, /*with_data=*/true));
}

std::string ListExecutionsBody(const workflow::ListExecutionsPage& page) {
  json::object body;
  json::array& executions = body["executions"].emplace_array();
  executions.reserve(page.executions.size());
  for (const workflow::ExecutionDescription& d : page.executions) {
    executions.emplace_back(DescriptionObject(d, /*with_data=*/false));
  }
  if (page.next_token) body["nextToken"] = JsonView(*page.next_token);
  return json::serialize(body);
}

}  // namespace ingestd::admin
