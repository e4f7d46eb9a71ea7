#include "admin/sfn_api.h"

#include <string>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ingestd::admin {
namespace {

namespace json = boost::json;

constexpr std::string_view kSm = "arn:aws:states:local:000000000000:stateMachine:ingestd";
constexpr std::string_view kExec = "arn:aws:states:local:000000000000:execution:ingestd:run-1";

SfnParseResult Parse(std::string_view op, std::string_view body,
                     std::string_view content_type = kAmzJsonType) {
  const std::string target = std::string(kTargetPrefix) + std::string(op);
  return ParseSfnRequest({.target = target, .content_type = content_type, .body = body});
}

// The parsed request of type T, or a test failure.
template <typename T>
T Expect(const SfnParseResult& parsed) {
  if (const auto* error = std::get_if<SfnError>(&parsed)) {
    ADD_FAILURE() << "unexpected error " << error->type << ": " << error->message;
    return T{};
  }
  const auto* request = std::get_if<T>(&std::get<SfnRequest>(parsed));
  if (request == nullptr) {
    ADD_FAILURE() << "parsed as another operation: " << OperationName(std::get<SfnRequest>(parsed));
    return T{};
  }
  return *request;
}

std::string ErrorType(const SfnParseResult& parsed) {
  const auto* error = std::get_if<SfnError>(&parsed);
  if (error == nullptr)
    return "(parsed: " + std::string(OperationName(std::get<SfnRequest>(parsed))) + ")";
  EXPECT_EQ(error->http_status, 400) << error->type;
  EXPECT_FALSE(error->message.empty()) << error->type;
  return error->type;
}

TEST(ParseSfnRequest, SendTaskSuccessParsesTheOutputJson) {
  auto r = Expect<SendTaskSuccessRequest>(
      Parse("SendTaskSuccess", R"({"taskToken":"tok-1","output":"{\"approved\":true}"})"));
  EXPECT_EQ(r.task_token, "tok-1");
  EXPECT_EQ(json::serialize(r.output), R"({"approved":true})");
}

TEST(ParseSfnRequest, SendTaskFailureErrorAndCauseAreOptional) {
  auto full = Expect<SendTaskFailureRequest>(
      Parse("SendTaskFailure", R"({"taskToken":"t","error":"Rejected","cause":"bad data"})"));
  EXPECT_EQ(full.task_token, "t");
  EXPECT_EQ(full.error, "Rejected");
  EXPECT_EQ(full.cause, "bad data");
  auto bare = Expect<SendTaskFailureRequest>(Parse("SendTaskFailure", R"({"taskToken":"t"})"));
  EXPECT_EQ(bare.error, "");
  EXPECT_EQ(bare.cause, "");
}

TEST(ParseSfnRequest, SendTaskHeartbeat) {
  auto r = Expect<SendTaskHeartbeatRequest>(
      Parse("SendTaskHeartbeat", R"({"taskToken":"t","someNewMember":1})"));
  EXPECT_EQ(r.task_token, "t");
}

TEST(ParseSfnRequest, StartExecutionDefaultsToEmptyInputAndGeneratedName) {
  auto r = Expect<StartExecutionRequest>(
      Parse("StartExecution", R"({"stateMachineArn":")" + std::string(kSm) + R"("})"));
  EXPECT_FALSE(r.sync);
  EXPECT_EQ(r.state_machine_arn, kSm);
  EXPECT_EQ(r.name, "");
  EXPECT_EQ(json::serialize(r.input), "{}");
  EXPECT_EQ(r.input_text, "{}");
}

TEST(ParseSfnRequest, StartSyncExecutionWithNameAndInput) {
  auto r = Expect<StartExecutionRequest>(
      Parse("StartSyncExecution", R"({"stateMachineArn":")" + std::string(kSm) +
                                      R"(","name":"run-1","input":"{\"email\":\"a@b.com\"}"})"));
  EXPECT_TRUE(r.sync);
  EXPECT_EQ(r.name, "run-1");
  EXPECT_EQ(r.input_text, R"({"email":"a@b.com"})");
  EXPECT_EQ(r.input.at("email").as_string(), "a@b.com");
}

TEST(ParseSfnRequest, StateMachineArnWithVersionIsAnArn) {
  auto r = Expect<StartExecutionRequest>(
      Parse("StartExecution", R"({"stateMachineArn":")" + std::string(kSm) + R"(:3"})"));
  EXPECT_EQ(r.state_machine_arn, std::string(kSm) + ":3");
}

TEST(ParseSfnRequest, DescribeExecution) {
  auto r = Expect<DescribeExecutionRequest>(
      Parse("DescribeExecution", R"({"executionArn":")" + std::string(kExec) + R"("})"));
  EXPECT_EQ(r.execution_arn, kExec);
}

TEST(ParseSfnRequest, ListExecutionsDefaultsAndZeroMaxResults) {
  const std::string sm = R"("stateMachineArn":")" + std::string(kSm) + R"(")";
  auto plain = Expect<ListExecutionsRequest>(Parse("ListExecutions", "{" + sm + "}"));
  EXPECT_EQ(plain.status_filter, "");
  EXPECT_EQ(plain.max_results, kDefaultListResults);
  EXPECT_EQ(plain.next_token, "");
  auto zero =
      Expect<ListExecutionsRequest>(Parse("ListExecutions", "{" + sm + R"(,"maxResults":0})"));
  EXPECT_EQ(zero.max_results, kDefaultListResults);
  auto full = Expect<ListExecutionsRequest>(
      Parse("ListExecutions",
            "{" + sm + R"(,"statusFilter":"RUNNING","maxResults":1000,"nextToken":"abc"})"));
  EXPECT_EQ(full.status_filter, "RUNNING");
  EXPECT_EQ(full.max_results, 1000u);
  EXPECT_EQ(full.next_token, "abc");
}

TEST(ParseSfnRequest, NullMembersCountAsAbsent) {
  auto r = Expect<SendTaskFailureRequest>(
      Parse("SendTaskFailure", R"({"taskToken":"t","error":null,"cause":null})"));
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(ErrorType(Parse("SendTaskHeartbeat", R"({"taskToken":null})")), "ValidationException");
}

TEST(ParseSfnRequest, AcceptsContentTypeParametersAndJson11) {
  Expect<SendTaskHeartbeatRequest>(Parse("SendTaskHeartbeat", R"({"taskToken":"t"})",
                                         "Application/X-Amz-Json-1.0; charset=utf-8"));
  Expect<SendTaskHeartbeatRequest>(
      Parse("SendTaskHeartbeat", R"({"taskToken":"t"})", "application/x-amz-json-1.1"));
}

struct ErrorCase {
  std::string name;
  std::string target;  // the whole X-Amz-Target
  std::string content_type;
  std::string body;
  std::string type;
};

std::string Sm() { return std::string(kSm); }

std::vector<ErrorCase> ErrorCases() {
  const std::string t = "AWSStepFunctions.";
  const std::string ct(kAmzJsonType);
  const std::string long_token(kMaxTaskTokenBytes + 1, 'x');
  const std::string long_error(kMaxErrorBytes + 1, 'e');
  const std::string long_output = "\"" + std::string(kMaxPayloadBytes + 1, 'o') + "\"";
  return {
      {"no target", "", ct, "{}", "UnknownOperationException"},
      {"other service", "AWSLambda.Invoke", ct, "{}", "UnknownOperationException"},
      {"unsupported op", t + "DeleteStateMachine", ct, "{}", "UnknownOperationException"},
      {"prefix only", t, ct, "{}", "UnknownOperationException"},
      {"case matters", "awsstepfunctions.SendTaskSuccess", ct, "{}", "UnknownOperationException"},
      {"form content type", t + "SendTaskHeartbeat", "application/x-www-form-urlencoded",
       R"({"taskToken":"t"})", "SerializationException"},
      {"no content type", t + "SendTaskHeartbeat", "", R"({"taskToken":"t"})",
       "SerializationException"},
      {"not json", t + "SendTaskHeartbeat", ct, "{taskToken:", "SerializationException"},
      {"array body", t + "SendTaskHeartbeat", ct, "[]", "SerializationException"},
      {"string body", t + "SendTaskHeartbeat", ct, R"("t")", "SerializationException"},
      {"trailing garbage", t + "SendTaskHeartbeat", ct, R"({"taskToken":"t"} x)",
       "SerializationException"},
      {"invalid utf-8", t + "SendTaskHeartbeat", ct, "{\"taskToken\":\"\xff\"}",
       "SerializationException"},
      {"empty body, token required", t + "SendTaskHeartbeat", ct, "", "ValidationException"},
      {"token missing", t + "SendTaskSuccess", ct, R"({"output":"{}"})", "ValidationException"},
      {"token a number", t + "SendTaskSuccess", ct, R"({"taskToken":1,"output":"{}"})",
       "ValidationException"},
      {"token empty", t + "SendTaskHeartbeat", ct, R"({"taskToken":""})", "ValidationException"},
      {"token too long", t + "SendTaskHeartbeat", ct, R"({"taskToken":")" + long_token + R"("})",
       "ValidationException"},
      {"output missing", t + "SendTaskSuccess", ct, R"({"taskToken":"t"})", "ValidationException"},
      {"output an object", t + "SendTaskSuccess", ct, R"({"taskToken":"t","output":{}})",
       "ValidationException"},
      {"output not json", t + "SendTaskSuccess", ct, R"({"taskToken":"t","output":"{nope"})",
       "InvalidOutput"},
      {"output empty", t + "SendTaskSuccess", ct, R"({"taskToken":"t","output":""})",
       "InvalidOutput"},
      {"output too long", t + "SendTaskSuccess", ct,
       R"({"taskToken":"t","output":)" + long_output + "}", "ValidationException"},
      {"error a number", t + "SendTaskFailure", ct, R"({"taskToken":"t","error":5})",
       "ValidationException"},
      {"error too long", t + "SendTaskFailure", ct,
       R"({"taskToken":"t","error":")" + long_error + R"("})", "ValidationException"},
      {"start without arn", t + "StartExecution", ct, "{}", "ValidationException"},
      {"start arn not an arn", t + "StartExecution", ct, R"({"stateMachineArn":"ingestd"})",
       "InvalidArn"},
      {"start arn of an execution", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + std::string(kExec) + R"("})", "InvalidArn"},
      {"start arn of lambda", t + "StartExecution", ct,
       R"({"stateMachineArn":"arn:aws:lambda:local:000000000000:function:f"})", "InvalidArn"},
      {"start arn empty part", t + "StartExecution", ct,
       R"({"stateMachineArn":"arn:aws:states::000000000000:stateMachine:x"})", "InvalidArn"},
      {"start input not json", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","input":"{"})", "InvalidExecutionInput"},
      {"start input an object", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","input":{}})", "ValidationException"},
      {"start name with space", t + "StartSyncExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":"a b"})", "InvalidName"},
      {"start name with slash", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":"a/b"})", "InvalidName"},
      {"start name with control", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":"a\u0001b"})", "InvalidName"},
      {"start name with C1 control", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":"a\u0085b"})", "InvalidName"},
      {"start name empty", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":""})", "InvalidName"},
      {"start name 81 chars", t + "StartExecution", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","name":")" + std::string(81, 'n') + R"("})",
       "InvalidName"},
      {"describe without arn", t + "DescribeExecution", ct, "{}", "ValidationException"},
      {"describe a state machine arn", t + "DescribeExecution", ct,
       R"({"executionArn":")" + Sm() + R"("})", "InvalidArn"},
      {"describe arn too many parts", t + "DescribeExecution", ct,
       R"({"executionArn":")" + std::string(kExec) + R"(:x"})", "InvalidArn"},
      {"list without arn", t + "ListExecutions", ct, "{}", "ValidationException"},
      {"list bad filter", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","statusFilter":"DONE"})", "ValidationException"},
      {"list max 1001", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","maxResults":1001})", "ValidationException"},
      {"list max negative", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","maxResults":-1})", "ValidationException"},
      {"list max fraction", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","maxResults":1.5})", "ValidationException"},
      {"list max string", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","maxResults":"10"})", "ValidationException"},
      {"list max huge", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","maxResults":18446744073709551615})",
       "ValidationException"},
      {"list empty token", t + "ListExecutions", ct,
       R"({"stateMachineArn":")" + Sm() + R"(","nextToken":""})", "ValidationException"},
  };
}

TEST(ParseSfnRequest, RefusesWithAwsErrorTypes) {
  for (const ErrorCase& c : ErrorCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ErrorType(ParseSfnRequest(
                  {.target = c.target, .content_type = c.content_type, .body = c.body})),
              c.type);
  }
}

TEST(ParseSfnRequest, NamesFollowAwsRules) {
  const std::string prefix = R"({"stateMachineArn":")" + Sm() + R"(","name":")";
  for (const std::string& name :
       std::vector<std::string>{"a", "run-1_x.y", "ünïcödé", std::string(80, 'n')}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Expect<StartExecutionRequest>(Parse("StartExecution", prefix + name + "\"}")).name,
              name);
  }
  // 80 code points of two bytes each are still 80 characters.
  std::string wide;
  for (int i = 0; i < 80; ++i) wide += "é";
  Expect<StartExecutionRequest>(Parse("StartExecution", prefix + wide + "\"}"));
  for (char c : std::string("<>{}[]?*#%^|~`$&,;:/")) {
    SCOPED_TRACE(std::string(1, c));
    EXPECT_EQ(ErrorType(Parse("StartExecution", prefix + "a" + std::string(1, c) + "b\"}")),
              "InvalidName");
  }
  EXPECT_EQ(ErrorType(Parse("StartExecution", prefix + "a\\\"b\"}")), "InvalidName");
  EXPECT_EQ(ErrorType(Parse("StartExecution", prefix + "a\\\\b\"}")), "InvalidName");
  EXPECT_EQ(ErrorType(Parse("StartExecution", prefix + "a\\u00a0b\"}")), "InvalidName");
}

TEST(OperationName, NamesEveryOperation) {
  EXPECT_EQ(OperationName(SendTaskSuccessRequest{}), "SendTaskSuccess");
  EXPECT_EQ(OperationName(SendTaskFailureRequest{}), "SendTaskFailure");
  EXPECT_EQ(OperationName(SendTaskHeartbeatRequest{}), "SendTaskHeartbeat");
  EXPECT_EQ(OperationName(StartExecutionRequest{}), "StartExecution");
  EXPECT_EQ(OperationName(StartExecutionRequest{.sync = true}), "StartSyncExecution");
  EXPECT_EQ(OperationName(DescribeExecutionRequest{}), "DescribeExecution");
  EXPECT_EQ(OperationName(ListExecutionsRequest{}), "ListExecutions");
}

TEST(CheckStateMachineArn, OnlyOursExists) {
  EXPECT_EQ(CheckStateMachineArn(kSm, kSm), std::nullopt);
  std::optional<SfnError> other =
      CheckStateMachineArn("arn:aws:states:local:000000000000:stateMachine:other", kSm);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->type, "StateMachineDoesNotExist");
  EXPECT_EQ(other->http_status, 400);
}

TEST(SfnErrorFromStatus, MapsTypesAndCodes) {
  EXPECT_EQ(SfnErrorFromStatus(absl::NotFoundError("no task"), "TaskDoesNotExist"),
            (SfnError{400, "TaskDoesNotExist", "no task"}));
  EXPECT_EQ(SfnErrorFromStatus(absl::FailedPreconditionError("ended"), "TaskTimedOut"),
            (SfnError{400, "TaskTimedOut", "ended"}));
  EXPECT_EQ(SfnErrorFromStatus(absl::InvalidArgumentError("bad"), "InvalidToken").type,
            "InvalidToken");
  EXPECT_EQ(SfnErrorFromStatus(absl::InvalidArgumentError("bad"), "").type, "ValidationException");
  EXPECT_EQ(SfnErrorFromStatus(absl::AlreadyExistsError("dup"), "").type, "ExecutionAlreadyExists");
  // Server faults: retryable 5xx with a message that reveals nothing.
  SfnError unavailable = SfnErrorFromStatus(absl::UnavailableError("disk I/O at /x"), "");
  EXPECT_EQ(unavailable.http_status, 503);
  EXPECT_EQ(unavailable.type, "ServiceUnavailable");
  EXPECT_THAT(unavailable.message, ::testing::Not(::testing::HasSubstr("/x")));
  EXPECT_EQ(SfnErrorFromStatus(absl::UnavailableError("x"), "ServiceUnavailable").http_status, 503);
  SfnError internal = SfnErrorFromStatus(absl::InternalError("secret detail"), "");
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(internal.type, "InternalFailure");
  EXPECT_THAT(internal.message, ::testing::Not(::testing::HasSubstr("secret")));
}

TEST(SfnErrorBody, HasTypeAndMessage) {
  json::value body =
      json::parse(SfnErrorBody({400, "TaskDoesNotExist", "Task \"x\" does not exist"}));
  EXPECT_EQ(body,
            json::parse(R"({"__type":"TaskDoesNotExist","message":"Task \"x\" does not exist"})"));
}

workflow::ExecutionDescription Described() {
  workflow::ExecutionDescription d;
  d.arn = std::string(kExec);
  d.name = "run-1";
  d.state_machine_arn = std::string(kSm);
  d.status = "SUCCEEDED";
  d.start_date = absl::FromUnixMillis(1764892345123);
  d.stop_date = absl::FromUnixMillis(1764892346000);
  d.input = R"({"a":1})";
  d.output = R"({"b":2})";
  return d;
}

TEST(ReplyBodies, TimestampsAreEpochSecondNumbers) {
  EXPECT_DOUBLE_EQ(EpochSeconds(absl::FromUnixMillis(1764892345123)), 1764892345.123);
  json::value start = json::parse(StartExecutionBody(kExec, absl::FromUnixSeconds(1700000000)));
  EXPECT_EQ(start.at("executionArn").as_string(), kExec);
  ASSERT_TRUE(start.at("startDate").is_number());
  EXPECT_DOUBLE_EQ(start.at("startDate").to_number<double>(), 1700000000.0);
}

TEST(ReplyBodies, DescribeExecutionHasEveryMember) {
  json::value d = json::parse(DescribeExecutionBody(Described()));
  EXPECT_EQ(d.at("executionArn").as_string(), kExec);
  EXPECT_EQ(d.at("stateMachineArn").as_string(), kSm);
  EXPECT_EQ(d.at("name").as_string(), "run-1");
  EXPECT_EQ(d.at("status").as_string(), "SUCCEEDED");
  EXPECT_DOUBLE_EQ(d.at("startDate").to_number<double>(), 1764892345.123);
  EXPECT_DOUBLE_EQ(d.at("stopDate").to_number<double>(), 1764892346.0);
  // input and output are JSON *strings*, as AWS sends them.
  EXPECT_EQ(d.at("input").as_string(), R"({"a":1})");
  EXPECT_EQ(d.at("output").as_string(), R"({"b":2})");
  EXPECT_EQ(d.as_object().if_contains("error"), nullptr);
  EXPECT_EQ(d.as_object().if_contains("cause"), nullptr);
}

TEST(ReplyBodies, DescribeFailedAndRunning) {
  workflow::ExecutionDescription failed = Described();
  failed.status = "FAILED";
  failed.output.reset();
  failed.error = "Approval.Rejected";
  failed.cause = "no";
  json::value f = json::parse(DescribeExecutionBody(failed));
  EXPECT_EQ(f.at("error").as_string(), "Approval.Rejected");
  EXPECT_EQ(f.at("cause").as_string(), "no");
  EXPECT_EQ(f.as_object().if_contains("output"), nullptr);

  workflow::ExecutionDescription running = Described();
  running.status = "RUNNING";
  running.stop_date.reset();
  running.output.reset();
  json::value r = json::parse(StartSyncExecutionBody(running));
  EXPECT_EQ(r.at("status").as_string(), "RUNNING");
  EXPECT_EQ(r.as_object().if_contains("stopDate"), nullptr);
  EXPECT_EQ(r.as_object().if_contains("output"), nullptr);
  EXPECT_EQ(r.at("input").as_string(), R"({"a":1})");
}

TEST(ReplyBodies, ListExecutionsOmitsDataAndCarriesNextToken) {
  workflow::ListExecutionsPage page;
  page.executions.push_back(Described());
  page.next_token = "more";
  json::value l = json::parse(ListExecutionsBody(page));
  ASSERT_EQ(l.at("executions").as_array().size(), 1u);
  const json::object& e = l.at("executions").as_array()[0].as_object();
  EXPECT_EQ(e.at("executionArn").as_string(), kExec);
  EXPECT_EQ(e.at("stateMachineArn").as_string(), kSm);
  EXPECT_EQ(e.at("name").as_string(), "run-1");
  EXPECT_EQ(e.at("status").as_string(), "SUCCEEDED");
  EXPECT_TRUE(e.at("startDate").is_number());
  EXPECT_TRUE(e.at("stopDate").is_number());
  EXPECT_EQ(e.if_contains("input"), nullptr);
  EXPECT_EQ(e.if_contains("output"), nullptr);
  EXPECT_EQ(l.at("nextToken").as_string(), "more");

  json::value last = json::parse(ListExecutionsBody({}));
  EXPECT_TRUE(last.at("executions").as_array().empty());
  EXPECT_EQ(last.as_object().if_contains("nextToken"), nullptr);
}

}  // namespace
}  // namespace ingestd::admin
