#include "admin/sfn_api.h"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "admin/routes.h"
#include "admin_routes_fixture.h"
#include "common/clock.h"
#include "http/handler.h"
#include "http/router.h"
#include "store/store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/durable.h"
#include "workflow/scheduler.h"
#include "workflow/workflow.h"

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

// ---- end to end: the API through the Router on a real DurableExecutions ----

// Asks an admin about $.item (then stores it); without an item it succeeds at once, and with
// $.fail it fails at once. A manual clock and scheduler: deadlines fire when a test says so.
constexpr std::string_view kWorkflow = R"({
  "StartAt": "Route",
  "States": {
    "Route": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.fail", "IsPresent": true, "Next": "Boom"},
        {"Variable": "$.item", "IsPresent": true, "Next": "Ask"}
      ],
      "Default": "Done"
    },
    "Done": {"Type": "Pass", "Result": {"done": true}, "End": true},
    "Boom": {"Type": "Fail", "Error": "Test.Boom", "Cause": "asked to fail"},
    "Ask": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ingestd:approval.waitForTaskToken",
      "Parameters": {"TaskToken.$": "$$.Task.Token", "item.$": "$.item"},
      "TimeoutSeconds": 3600,
      "ResultPath": "$.approval",
      "Next": "Store"
    },
    "Store": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ingestd:store.put",
      "Parameters": {"id.$": "$.item.email", "user_name.$": "$.item.user_name",
                     "email.$": "$.item.email", "pincode.$": "$.item.pincode"},
      "End": true
    }
  }
})";

constexpr std::string_view kItemInput =
    R"({\"item\":{\"user_name\":\"Ann\",\"email\":\"ann@x.com\",\"pincode\":\"12\"}})";

class SfnRoutesTest : public AdminRoutesFixture {
 protected:
  void SetUp() override { OpenRoutes(kWorkflow, "c"); }

  http::Response Post(std::string path, std::string target, std::string body,
                      std::string content_type = std::string(kAmzJsonType)) {
    http::Request request{http::Verb::post, path, 11};
    if (!target.empty()) request.set("X-Amz-Target", target);
    request.set(http::bhttp::field::content_type, content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    return Dispatch(std::move(request));
  }

  // Calls AWSStepFunctions.<op> on POST / and expects 200; returns the reply.
  json::value Ok(std::string_view op, const std::string& body) {
    http::Response r = Post("/", std::string(kTargetPrefix) + std::string(op), body);
    EXPECT_EQ(r.result(), http::Status::ok) << op << ": " << r.body();
    EXPECT_EQ(r[http::bhttp::field::content_type], kAmzJsonType);
    return Parsed(r);
  }

  // Calls AWSStepFunctions.<op> and expects an AWS error; returns its __type.
  std::string Fails(std::string_view op, const std::string& body, int http_status = 400) {
    http::Response r = Post("/", std::string(kTargetPrefix) + std::string(op), body);
    EXPECT_EQ(static_cast<int>(r.result()), http_status) << op << ": " << r.body();
    EXPECT_EQ(r[http::bhttp::field::content_type], kAmzJsonType);
    json::value v = Parsed(r);
    if (!v.is_object() || !v.as_object().contains("__type")) return "(no __type)";
    EXPECT_TRUE(v.at("message").is_string());
    return std::string(v.at("__type").as_string());
  }

  static json::value Parsed(const http::Response& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body(), ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.body();
    return v;
  }

  // Starts an execution waiting for an approval (StartExecution); returns its ARN.
  std::string StartPending(const std::string& name) {
    json::value started =
        Ok("StartExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":")" + name +
                                 R"(","input":")" + std::string(kItemInput) + R"("})");
    return started.is_object() ? std::string(started.at("executionArn").as_string()) : "";
  }

  std::string TokenOf(const std::string& arn) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<workflow::PendingPage>>>();
    auto future = promise->get_future();
    executions_->ListPending(100, "", [promise](absl::StatusOr<workflow::PendingPage> p) mutable {
      promise->set_value(std::move(p));
    });
    absl::StatusOr<workflow::PendingPage> page = future.get();
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const workflow::PendingTask& t : page->tasks) {
        if (t.execution == arn) return t.task_token;
      }
    }
    ADD_FAILURE() << "no pending task for " << arn;
    return "";
  }

  json::value DescribeOk(const std::string& arn) {
    return Ok("DescribeExecution", R"({"executionArn":")" + arn + R"("})");
  }

  // DescribeExecution of `arn` once it has ended. A decision by token is answered once it is
  // durable and the execution ends just after, so this asks again (bounded) until it has.
  json::value DescribeEnded(const std::string& arn) {
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    json::value d = DescribeOk(arn);
    while (d.is_object() && d.at("status") == "RUNNING" && absl::Now() < give_up) {
      std::this_thread::yield();
      d = DescribeOk(arn);
    }
    return d;
  }

  std::optional<store::Item> StoredItem(const std::string& id) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<std::optional<store::Item>>>>();
    auto future = promise->get_future();
    store_->Get(id, [promise](absl::StatusOr<std::optional<store::Item>> r) mutable {
      promise->set_value(std::move(r));
    });
    absl::StatusOr<std::optional<store::Item>> got = future.get();
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : std::nullopt;
  }

  static std::string Token(const std::string& token) {
    return R"({"taskToken":")" + token + R"("})";
  }
};

TEST_F(SfnRoutesTest, StateMachineArnIsOurs) { EXPECT_EQ(executions_->StateMachineArn(), kSm); }

TEST_F(SfnRoutesTest, StartExecutionWaitsAndSendTaskSuccessFinishesIt) {
  json::value started =
      Ok("StartExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":"run-1","input":")" +
                               std::string(kItemInput) + R"("})");
  ASSERT_TRUE(started.is_object());
  EXPECT_EQ(started.at("executionArn").as_string(), kExec);
  EXPECT_DOUBLE_EQ(started.at("startDate").to_number<double>(), 1764892345.0);

  json::value running = DescribeOk(std::string(kExec));
  EXPECT_EQ(running.at("status").as_string(), "RUNNING");
  EXPECT_EQ(running.at("name").as_string(), "run-1");
  EXPECT_EQ(running.at("stateMachineArn").as_string(), kSm);
  EXPECT_EQ(running.as_object().if_contains("stopDate"), nullptr);
  EXPECT_EQ(json::parse(running.at("input").as_string()).at("item").at("email"), "ann@x.com");

  const std::string token = TokenOf(std::string(kExec));
  EXPECT_EQ(Ok("SendTaskHeartbeat", Token(token)), json::object());
  EXPECT_EQ(
      Ok("SendTaskSuccess", R"({"taskToken":")" + token + R"(","output":"{\"approved\":true}"})"),
      json::object());
  json::value done = DescribeEnded(std::string(kExec));
  EXPECT_EQ(done.at("status").as_string(), "SUCCEEDED");
  EXPECT_TRUE(done.at("stopDate").is_number());
  EXPECT_TRUE(done.at("output").is_string());
  EXPECT_TRUE(StoredItem("ann@x.com").has_value());

  // The task has ended: every further call with its token is TaskTimedOut, as on AWS.
  EXPECT_EQ(Fails("SendTaskSuccess", R"({"taskToken":")" + token + R"(","output":"{}"})"),
            "TaskTimedOut");
  EXPECT_EQ(Fails("SendTaskFailure", Token(token)), "TaskTimedOut");
  EXPECT_EQ(Fails("SendTaskHeartbeat", Token(token)), "TaskTimedOut");
}

TEST_F(SfnRoutesTest, SendTaskFailureFailsTheExecutionWithItsError) {
  const std::string arn = StartPending("run-2");
  const std::string token = TokenOf(arn);
  EXPECT_EQ(Ok("SendTaskFailure",
               R"({"taskToken":")" + token + R"(","error":"Admin.Says","cause":"no"})"),
            json::object());
  json::value failed = DescribeEnded(arn);
  EXPECT_EQ(failed.at("status").as_string(), "FAILED");
  EXPECT_EQ(failed.at("error").as_string(), "Admin.Says");
  EXPECT_EQ(failed.at("cause").as_string(), "no");
  EXPECT_EQ(StoredItem("ann@x.com"), std::nullopt);
}

TEST_F(SfnRoutesTest, TokensThatDoNotNameAWaitingTask) {
  const std::string arn = StartPending("run-3");
  const std::string token = TokenOf(arn);
  // Well formed, but for an execution that does not exist.
  const std::string stranger = "nobody" + token.substr(token.rfind('.'));
  EXPECT_EQ(Fails("SendTaskSuccess", R"({"taskToken":")" + stranger + R"(","output":"{}"})"),
            "TaskDoesNotExist");
  EXPECT_EQ(Fails("SendTaskHeartbeat", Token(stranger)), "TaskDoesNotExist");
  EXPECT_EQ(Fails("SendTaskFailure", Token("garbage")), "InvalidToken");
  EXPECT_EQ(Fails("SendTaskSuccess", R"({"taskToken":"t","output":"{nope"})"), "InvalidOutput");

  // The deadline passes: the token has timed out.
  ASSERT_TRUE(scheduler_.AdvanceToNext());
  json::value timed_out = DescribeEnded(arn);
  EXPECT_EQ(Fails("SendTaskSuccess", R"({"taskToken":")" + token + R"(","output":"{}"})"),
            "TaskTimedOut");
  EXPECT_EQ(timed_out.at("error").as_string(), "States.Timeout");
}

TEST_F(SfnRoutesTest, StartSyncExecutionReportsTheOutcome) {
  json::value succeeded = Ok("StartSyncExecution", R"({"stateMachineArn":")" + Sm() +
                                                       R"(","name":"sync-1","input":"{}"})");
  EXPECT_EQ(succeeded.at("status").as_string(), "SUCCEEDED");
  EXPECT_EQ(succeeded.at("name").as_string(), "sync-1");
  EXPECT_EQ(succeeded.at("stateMachineArn").as_string(), kSm);
  EXPECT_EQ(json::parse(succeeded.at("output").as_string()), json::parse(R"({"done":true})"));
  EXPECT_TRUE(succeeded.at("startDate").is_number());
  EXPECT_TRUE(succeeded.at("stopDate").is_number());
  EXPECT_EQ(succeeded.at("input").as_string(), "{}");

  json::value failed =
      Ok("StartSyncExecution", R"({"stateMachineArn":")" + Sm() + R"(","input":"{\"fail\":1}"})");
  EXPECT_EQ(failed.at("status").as_string(), "FAILED");
  EXPECT_EQ(failed.at("error").as_string(), "Test.Boom");
  EXPECT_EQ(failed.at("cause").as_string(), "asked to fail");
  EXPECT_EQ(failed.as_object().if_contains("output"), nullptr);

  // One that stops at the approval has not ended: RUNNING, as DescribeExecution says.
  json::value waiting =
      Ok("StartSyncExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":"sync-3","input":")" +
                                   std::string(kItemInput) + R"("})");
  EXPECT_EQ(waiting.at("status").as_string(), "RUNNING");
  EXPECT_EQ(waiting.as_object().if_contains("stopDate"), nullptr);
  EXPECT_EQ(waiting.as_object().if_contains("output"), nullptr);
  EXPECT_EQ(DescribeOk(std::string(waiting.at("executionArn").as_string())).at("status"),
            "RUNNING");
}

TEST_F(SfnRoutesTest, StartExecutionErrors) {
  const std::string other = "arn:aws:states:local:000000000000:stateMachine:other";
  EXPECT_EQ(Fails("StartExecution", R"({"stateMachineArn":")" + other + R"("})"),
            "StateMachineDoesNotExist");
  EXPECT_EQ(Fails("StartSyncExecution", R"({"stateMachineArn":")" + other + R"("})"),
            "StateMachineDoesNotExist");
  EXPECT_EQ(Fails("StartExecution", R"({"stateMachineArn":"nope"})"), "InvalidArn");
  EXPECT_EQ(Fails("StartExecution", R"({"stateMachineArn":")" + Sm() + R"(","input":"{"})"),
            "InvalidExecutionInput");
  EXPECT_EQ(Fails("StartExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":"a b"})"),
            "InvalidName");
  StartPending("dup");
  EXPECT_EQ(Fails("StartExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":"dup"})"),
            "ExecutionAlreadyExists");
  EXPECT_EQ(Fails("StartExecution", "{}"), "ValidationException");
}

TEST_F(SfnRoutesTest, DescribeExecutionErrors) {
  EXPECT_EQ(Fails("DescribeExecution", R"({"executionArn":")" + std::string(kExec) + R"("})"),
            "ExecutionDoesNotExist");
  EXPECT_EQ(Fails("DescribeExecution", R"({"executionArn":"arn:nope"})"), "InvalidArn");
  EXPECT_EQ(Fails("DescribeExecution", R"({"executionArn":7})"), "ValidationException");
}

TEST_F(SfnRoutesTest, ListExecutionsPagesAndFilters) {
  StartPending("list-a");
  StartPending("list-b");
  Ok("StartSyncExecution", R"({"stateMachineArn":")" + Sm() + R"(","name":"list-c"})");

  std::vector<std::string> names;
  std::string next;
  for (int pages = 0; pages < 10; ++pages) {
    std::string body = R"({"stateMachineArn":")" + Sm() + R"(","maxResults":1)";
    if (!next.empty()) body += R"(,"nextToken":")" + next + R"(")";
    json::value page = Ok("ListExecutions", body + "}");
    ASSERT_TRUE(page.is_object());
    for (const json::value& e : page.at("executions").as_array()) {
      names.emplace_back(e.at("name").as_string());
      EXPECT_EQ(e.at("stateMachineArn").as_string(), kSm);
      EXPECT_TRUE(e.at("startDate").is_number());
      EXPECT_EQ(e.as_object().if_contains("input"), nullptr);
    }
    const json::value* token = page.as_object().if_contains("nextToken");
    if (token == nullptr) break;
    next = std::string(token->as_string());
  }
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("list-a", "list-b", "list-c"));

  json::value running =
      Ok("ListExecutions", R"({"stateMachineArn":")" + Sm() + R"(","statusFilter":"RUNNING"})");
  std::vector<std::string> running_names;
  for (const json::value& e : running.at("executions").as_array()) {
    EXPECT_EQ(e.at("status").as_string(), "RUNNING");
    running_names.emplace_back(e.at("name").as_string());
  }
  EXPECT_THAT(running_names, ::testing::UnorderedElementsAre("list-a", "list-b"));
  json::value redrive = Ok("ListExecutions", R"({"stateMachineArn":")" + Sm() +
                                                 R"(","statusFilter":"PENDING_REDRIVE"})");
  EXPECT_TRUE(redrive.at("executions").as_array().empty());

  EXPECT_EQ(Fails("ListExecutions",
                  R"({"stateMachineArn":"arn:aws:states:local:000000000000:stateMachine:x"})"),
            "StateMachineDoesNotExist");
  EXPECT_EQ(
      Fails("ListExecutions", R"({"stateMachineArn":")" + Sm() + R"(","nextToken":"not-a-token"})"),
      "InvalidToken");
}

TEST_F(SfnRoutesTest, EveryPathAndProtocolError) {
  for (std::string path : {"/", "/sfn", "/sfn/"}) {
    SCOPED_TRACE(path);
    http::Response r = Post(path, "AWSStepFunctions.DescribeExecution",
                            R"({"executionArn":")" + std::string(kExec) + R"("})");
    EXPECT_EQ(r.result(), http::Status::bad_request);
    EXPECT_THAT(r.body(), ::testing::HasSubstr("ExecutionDoesNotExist"));
  }
  http::Response unknown = Post("/sfn", "AWSStepFunctions.DeleteStateMachine", "{}");
  EXPECT_THAT(unknown.body(), ::testing::HasSubstr("UnknownOperationException"));
  http::Response missing = Post("/", "", "{}");
  EXPECT_THAT(missing.body(), ::testing::HasSubstr("UnknownOperationException"));
  http::Response garbage = Post("/", "AWSStepFunctions.ListExecutions", "not json");
  EXPECT_THAT(garbage.body(), ::testing::HasSubstr("SerializationException"));
  http::Response form =
      Post("/", "AWSStepFunctions.ListExecutions", "{}", "application/x-www-form-urlencoded");
  EXPECT_THAT(form.body(), ::testing::HasSubstr("SerializationException"));
  EXPECT_EQ(form[http::bhttp::field::content_type], kAmzJsonType);
}

TEST_F(SfnRoutesTest, StoreTroubleIsARetryable5xx) {
  const std::string arn = StartPending("run-9");
  const std::string token = TokenOf(arn);
  store_->Close();
  EXPECT_EQ(Fails("DescribeExecution", R"({"executionArn":")" + arn + R"("})", 503),
            "ServiceUnavailable");
  EXPECT_EQ(Fails("SendTaskSuccess", R"({"taskToken":")" + token + R"(","output":"{}"})", 503),
            "ServiceUnavailable");
}

}  // namespace
}  // namespace ingestd::admin
