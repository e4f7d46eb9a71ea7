// Durable executions: callback tasks park in the store and are moved on by decisions,
// heartbeats and deadlines; a reopened DurableExecutions recovers them.
#include "workflow/durable.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/default_workflow.h"
#include "workflow/ingest_contract.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kAskWorkflow[] = R"({
  "StartAt": "Ask",
  "States": {
    "Ask": {
      "Type": "Task",
      "Resource": "arn:aws:states:::ingestd:approval.waitForTaskToken",
      "Parameters": {"TaskToken.$": "$$.Task.Token", "what.$": "$.what"},
      "TimeoutSeconds": 100,
      "HeartbeatSeconds": 10,
      "ResultPath": "$.answer",
      "Catch": [{"ErrorEquals": ["Custom.Error"], "ResultPath": "$.caught", "Next": "Caught"}],
      "Next": "Put"
    },
    "Caught": {"Type": "Pass", "Result": "caught", "ResultPath": "$.note", "End": true},
    "Put": {
      "Type": "Task",
      "Resource": "ingestd:store.put",
      "Parameters": {"id.$": "$.what", "user_name": "u", "email.$": "$.what", "pincode": "1"},
      "End": true
    }
  }
})";

// Waits (bounded) for an asynchronous call's single answer.
template <typename T, typename Fn>
T Await(Fn&& start) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  start([promise](T value) { promise->set_value(std::move(value)); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 10 s";
    std::abort();
  }
  return future.get();
}

class DurableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore("memory:", options));
    RegisterBuiltinTasks(registry_, store_.get());
    Open(kAskWorkflow);
  }
  void TearDown() override {
    executions_.reset();
    store_->Close();
  }

  void Open(std::string definition, json::object start_defaults = {}) {
    if (executions_) executions_->Close();
    executions_.reset();
    auto wf = CompileText(definition, registry_);
    ASSERT_OK(wf.status());
    ASSERT_OK_AND_ASSIGN(executions_, DurableExecutions::Open({.store = store_.get(),
                                                               .workflow = *wf,
                                                               .definition_text = definition,
                                                               .registry = &registry_,
                                                               .start_defaults = start_defaults,
                                                               .clock = &clock_,
                                                               .scheduler = &scheduler_}));
  }

  StartResult Start(json::value input) {
    absl::StatusOr<StartResult> r = Await<absl::StatusOr<StartResult>>(
        [&](auto done) { executions_->Start(std::move(input), "", false, std::move(done)); });
    EXPECT_OK(r.status());
    return *std::move(r);
  }

  std::vector<PendingTask> Pending() {
    absl::StatusOr<PendingPage> page = Await<absl::StatusOr<PendingPage>>(
        [&](auto done) { executions_->ListPending(100, "", std::move(done)); });
    EXPECT_OK(page.status());
    return page.ok() ? page->tasks : std::vector<PendingTask>{};
  }

  absl::StatusOr<ExecutionDescription> Describe(const std::string& arn) {
    return Await<absl::StatusOr<ExecutionDescription>>(
        [&](auto done) { executions_->Describe(arn, std::move(done)); });
  }

  // Decisions by token answer once the decision is durable; the execution then moves on in
  // the background. Waits (bounded) until it is no longer RUNNING.
  ExecutionDescription Settled(const std::string& arn) {
    for (int i = 0; i < 5000; ++i) {
      absl::StatusOr<ExecutionDescription> d = Describe(arn);
      if (d.ok() && d->status != "RUNNING") return *d;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ADD_FAILURE() << arn << " is still RUNNING";
    return {};
  }

  absl::Status Success(const std::string& token, json::value output) {
    return Await<absl::Status>([&](auto done) {
      executions_->SendTaskSuccess(token, std::move(output), std::move(done));
    });
  }
  absl::Status Failure(const std::string& token, std::string error) {
    return Await<absl::Status>([&](auto done) {
      executions_->SendTaskFailure(token, std::move(error), "why", std::move(done));
    });
  }
  absl::Status Heartbeat(const std::string& token) {
    return Await<absl::Status>(
        [&](auto done) { executions_->SendTaskHeartbeat(token, std::move(done)); });
  }

  std::optional<store::Item> Item(const std::string& id) {
    absl::StatusOr<std::optional<store::Item>> r =
        Await<absl::StatusOr<std::optional<store::Item>>>(
            [&](auto done) { store_->Get(id, std::move(done)); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::nullopt;
  }

  // Moves virtual time on and runs the deadline timers due by then.
  void AdvanceAndRunTimers(absl::Duration d) {
    clock_.Advance(d);
    scheduler_.RunDue();
  }

  common::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  ManualScheduler scheduler_{&clock_};
  std::unique_ptr<store::Store> store_;
  TaskRegistry registry_;
  std::unique_ptr<DurableExecutions> executions_;
};

TEST_F(DurableTest, CallbackTaskWaitsDurablyAndIsListed) {
  StartResult s = Start(json::parse(R"({"what":"a@b.com"})"));
  ASSERT_TRUE(s.result.waiting);
  EXPECT_EQ(s.result.execution, s.arn);
  EXPECT_THAT(s.arn, StartsWith("arn:aws:states:local:000000000000:execution:ingestd:"));

  std::vector<PendingTask> pending = Pending();
  ASSERT_EQ(pending.size(), 1u);
  const PendingTask& t = pending[0];
  EXPECT_EQ(t.execution, s.arn);
  EXPECT_EQ(s.arn, executions_->ExecutionArn(t.id));
  EXPECT_THAT(t.task_token, StartsWith(t.id + "."));
  EXPECT_EQ(t.state, "Ask");
  EXPECT_EQ(t.input, json::parse(R"({"what":"a@b.com"})"));  // the token is not repeated
  EXPECT_EQ(t.created_at, clock_.Now());
  EXPECT_EQ(t.expires_at, clock_.Now() + absl::Seconds(10));  // the heartbeat comes first

  ASSERT_OK_AND_ASSIGN(ExecutionDescription d, Describe(s.arn));
  EXPECT_EQ(d.status, "RUNNING");
  EXPECT_EQ(json::parse(d.input), json::parse(R"({"what":"a@b.com"})"));
}

TEST_F(DurableTest, SendTaskSuccessContinuesTheExecution) {
  StartResult s = Start(json::parse(R"({"what":"a@b.com"})"));
  std::string token = Pending().at(0).task_token;
  ASSERT_OK(Success(token, json::parse(R"({"approved":true})")));
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  ASSERT_TRUE(d.output.has_value());
  EXPECT_EQ(json::parse(*d.output).at("outcome"), "created");
  EXPECT_TRUE(Item("a@b.com").has_value());
  EXPECT_TRUE(Pending().empty());

  // The task is over: every later call on its token is TaskTimedOut.
  absl::Status again = Success(token, json::object());
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(AwsErrorType(again), "TaskTimedOut");
  EXPECT_EQ(AwsErrorType(Failure(token, "X")), "TaskTimedOut");
  EXPECT_EQ(AwsErrorType(Heartbeat(token)), "TaskTimedOut");
}

TEST_F(DurableTest, SendTaskFailureGoesThroughCatch) {
  StartResult s = Start(json::parse(R"({"what":"c@d.com"})"));
  ASSERT_OK(Failure(Pending().at(0).task_token, "Custom.Error"));
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  json::value out = json::parse(*d.output);
  EXPECT_EQ(out.at("note"), "caught");
  EXPECT_EQ(out.at("caught").at("Error"), "Custom.Error");
  EXPECT_FALSE(Item("c@d.com").has_value());
}

TEST_F(DurableTest, AnUncaughtFailureFailsTheExecution) {
  StartResult s = Start(json::parse(R"({"what":"c@d.com"})"));
  ASSERT_OK(Failure(Pending().at(0).task_token, "Other.Error"));
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error, "Other.Error");
  EXPECT_EQ(d.cause, "why");
}

TEST_F(DurableTest, TokenErrorsHaveTheirAwsNames) {
  absl::Status s = Success("garbage", json::object());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AwsErrorType(s), "InvalidToken");
  EXPECT_EQ(AwsErrorType(Success("name.0123", json::object())), "InvalidToken");
  const std::string unknown = "no-such-execution.0123456789abcdef0123456789abcdef";
  s = Success(unknown, json::object());
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(AwsErrorType(s), "TaskDoesNotExist");
  EXPECT_EQ(AwsErrorType(Heartbeat(unknown)), "TaskDoesNotExist");

  // The right execution with a wrong secret part is unknown too.
  Start(json::parse(R"({"what":"a@b.com"})"));
  std::string token = Pending().at(0).task_token;
  std::string forged = token.substr(0, token.rfind('.') + 1) + std::string(32, '0');
  EXPECT_EQ(AwsErrorType(Success(forged, json::object())), "TaskDoesNotExist");
  EXPECT_EQ(Pending().size(), 1u);
}

TEST_F(DurableTest, MissedHeartbeatTimesTheTaskOut) {
  StartResult s = Start(json::parse(R"({"what":"a@b.com"})"));
  std::string token = Pending().at(0).task_token;
  AdvanceAndRunTimers(absl::Seconds(8));
  ASSERT_OK(Heartbeat(token));            // the heartbeat deadline is now t+18
  AdvanceAndRunTimers(absl::Seconds(4));  // t+12: the first deadline passed, unheeded
  ASSERT_OK_AND_ASSIGN(ExecutionDescription d, Describe(s.arn));
  EXPECT_EQ(d.status, "RUNNING");
  EXPECT_EQ(Pending().at(0).expires_at, s.start_date + absl::Seconds(18));
  AdvanceAndRunTimers(absl::Seconds(7));  // t+19
  d = Settled(s.arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error, "States.HeartbeatTimeout");
  EXPECT_FALSE(Item("a@b.com").has_value());
  EXPECT_EQ(AwsErrorType(Success(token, json::object())), "TaskTimedOut");
}

TEST_F(DurableTest, TaskTimeoutSecondsFailsWithStatesTimeout) {
  Open(R"({"StartAt":"Ask","States":{"Ask":{"Type":"Task",
      "Resource":"ingestd:approval.waitForTaskToken",
      "Parameters":{"TaskToken.$":"$$.Task.Token"},"TimeoutSeconds":30,"End":true}}})");
  StartResult s = Start(json::object());
  AdvanceAndRunTimers(absl::Seconds(29));
  EXPECT_EQ(Pending().size(), 1u);
  AdvanceAndRunTimers(absl::Seconds(1));
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "FAILED");
  EXPECT_EQ(d.error, "States.Timeout");
}

TEST_F(DurableTest, StateMachineTimeoutEndsAWaitingExecutionTimedOut) {
  Open(R"({"StartAt":"Ask","TimeoutSeconds":60,"States":{"Ask":{"Type":"Task",
      "Resource":"ingestd:approval.waitForTaskToken",
      "Parameters":{"TaskToken.$":"$$.Task.Token"},"End":true}}})");
  StartResult s = Start(json::object());
  AdvanceAndRunTimers(absl::Seconds(61));
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "TIMED_OUT");
  EXPECT_EQ(d.error, "States.Timeout");
}

TEST_F(DurableTest, ConcurrentDecisionsOnOneTaskHaveExactlyOneWinner) {
  StartResult s = Start(json::parse(R"({"what":"race@b.com"})"));
  const std::string id = Pending().at(0).id;
  std::atomic<int> won{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<ExecutionDescription> d = Await<absl::StatusOr<ExecutionDescription>>(
          [&](auto done) { executions_->Decide(id, i % 2 == 0, "", std::move(done)); });
      if (d.ok()) {
        ++won;
      } else if (d.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++conflict;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(conflict.load(), 15);
  ExecutionDescription d = Settled(s.arn);
  EXPECT_TRUE(d.status == "SUCCEEDED" || d.status == "FAILED") << d.status;
  EXPECT_EQ(Item("race@b.com").has_value(), d.status == "SUCCEEDED");
}

TEST_F(DurableTest, DecideAnswersWithTheOutcomeAndRefusesUnknownIds) {
  Start(json::parse(R"({"what":"a@b.com"})"));
  const std::string id = Pending().at(0).id;
  absl::StatusOr<ExecutionDescription> d = Await<absl::StatusOr<ExecutionDescription>>(
      [&](auto done) { executions_->Decide(id, false, "not today", std::move(done)); });
  ASSERT_OK(d.status());
  EXPECT_EQ(d->status, "FAILED");
  EXPECT_EQ(d->error, "Approval.Rejected");
  EXPECT_EQ(d->cause, "not today");
  d = Await<absl::StatusOr<ExecutionDescription>>(
      [&](auto done) { executions_->Decide("nope", true, "", std::move(done)); });
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  d = Await<absl::StatusOr<ExecutionDescription>>(
      [&](auto done) { executions_->Decide("../x", true, "", std::move(done)); });
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(DurableTest, AReopenedInstanceRecoversWaitsAndTheirDeadlines) {
  StartResult s = Start(json::parse(R"({"what":"a@b.com"})"));
  std::string token = Pending().at(0).task_token;
  Open(kAskWorkflow);  // as after a restart: nothing in memory, everything in the store
  ASSERT_EQ(Pending().size(), 1u);
  EXPECT_EQ(Pending().at(0).task_token, token);
  AdvanceAndRunTimers(absl::Seconds(11));  // the heartbeat deadline passes after the restart
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.error, "States.HeartbeatTimeout");
}

TEST_F(DurableTest, ADeadlineThatPassedWhileDownFiresOnOpen) {
  StartResult s = Start(json::parse(R"({"what":"a@b.com"})"));
  executions_.reset();
  clock_.Advance(absl::Hours(1));
  Open(kAskWorkflow);
  scheduler_.RunDue();
  EXPECT_EQ(Settled(s.arn).error, "States.HeartbeatTimeout");
}

TEST_F(DurableTest, ADecisionTakenBeforeACrashIsReplayedOnOpen) {
  StartResult s = Start(json::parse(R"({"what":"replay@b.com"})"));
  executions_.reset();
  // What a crash right after a won decision leaves: RESUMING with the decision in the body.
  auto rec = Await<absl::StatusOr<std::optional<store::ExecutionRecord>>>(
      [&](auto done) { store_->GetExecution(s.arn, std::move(done)); });
  ASSERT_OK(rec.status());
  ASSERT_TRUE(rec->has_value());
  store::ExecutionRecord r = **rec;
  json::value body = json::parse(r.body);
  body.as_object()["decision"] = json::parse(R"({"ok":true,"output":{"approved":true}})");
  r.status = "RESUMING";
  r.body = json::serialize(body);
  const std::int64_t version = r.version;
  ASSERT_OK(Await<absl::StatusOr<store::ExecutionRecord>>([&](auto done) {
              store_->PutExecution(r, version, std::move(done));
            }).status());
  Open(kAskWorkflow);
  ExecutionDescription d = Settled(s.arn);
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_TRUE(Item("replay@b.com").has_value());
}

TEST_F(DurableTest, AnExecutionResumesWithTheDefinitionItStartedWith) {
  StartResult s = Start(json::parse(R"({"what":"old@b.com"})"));
  // The service restarts with another workflow; the waiting execution keeps its own.
  Open(R"({"StartAt":"Other","States":{"Other":{"Type":"Succeed"}}})");
  absl::StatusOr<ExecutionDescription> d = Await<absl::StatusOr<ExecutionDescription>>(
      [&](auto done) { executions_->Decide(Pending().at(0).id, true, "", std::move(done)); });
  ASSERT_OK(d.status());
  EXPECT_EQ(d->status, "SUCCEEDED");
  EXPECT_TRUE(Item("old@b.com").has_value());
}

TEST_F(DurableTest, RecordedStartsAreDescribedAndListed) {
  Open(R"({"StartAt":"Done","States":{"Done":{"Type":"Pass","Result":{"x":1},"End":true}}})");
  absl::StatusOr<StartResult> r = Await<absl::StatusOr<StartResult>>([&](auto done) {
    executions_->Start(json::parse(R"({"a":1})"), "my-run", true, std::move(done));
  });
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->result.succeeded);
  EXPECT_EQ(r->arn, executions_->ExecutionArn("my-run"));
  ASSERT_OK_AND_ASSIGN(ExecutionDescription d, Describe(r->arn));
  EXPECT_EQ(d.status, "SUCCEEDED");
  EXPECT_EQ(json::parse(*d.output), json::parse(R"({"x":1})"));
  // The same name again is refused.
  r = Await<absl::StatusOr<StartResult>>(
      [&](auto done) { executions_->Start(json::object(), "my-run", true, std::move(done)); });
  EXPECT_EQ(AwsErrorType(r.status()), "ExecutionAlreadyExists");
  r = Await<absl::StatusOr<StartResult>>(
      [&](auto done) { executions_->Start(json::object(), "bad name!", true, std::move(done)); });
  EXPECT_EQ(AwsErrorType(r.status()), "InvalidName");

  absl::StatusOr<ListExecutionsPage> page = Await<absl::StatusOr<ListExecutionsPage>>(
      [&](auto done) { executions_->List({.status_filter = "SUCCEEDED"}, std::move(done)); });
  ASSERT_OK(page.status());
  ASSERT_EQ(page->executions.size(), 1u);
  EXPECT_EQ(page->executions[0].name, "my-run");
  page = Await<absl::StatusOr<ListExecutionsPage>>(
      [&](auto done) { executions_->List({.status_filter = "RUNNING"}, std::move(done)); });
  ASSERT_OK(page.status());
  EXPECT_TRUE(page->executions.empty());
  page = Await<absl::StatusOr<ListExecutionsPage>>(
      [&](auto done) { executions_->List({.status_filter = "BOGUS"}, std::move(done)); });
  EXPECT_EQ(AwsErrorType(page.status()), "ValidationException");
  absl::StatusOr<ExecutionDescription> bad = Describe("not-an-arn");
  EXPECT_EQ(AwsErrorType(bad.status()), "InvalidArn");
  bad = Describe(executions_->ExecutionArn("never"));
  EXPECT_EQ(AwsErrorType(bad.status()), "ExecutionDoesNotExist");
}

TEST_F(DurableTest, DefaultWorkflowAsksForApprovalOnlyWhenExactlyOneIsInvalid) {
  Open(std::string(DefaultIngestWorkflowText()));
  StartResult s = Start(MakeIngestInput({"Ann", "ann@example.com", "12"}));
  ASSERT_TRUE(s.result.waiting);
  PendingTask t = Pending().at(0);
  EXPECT_EQ(t.input, json::parse(R"({"item":{"user_name":"Ann","email":"ann@example.com",
      "pincode":"12"},"fields":{"pincode":"must be 4 to 6 digits"}})"));
  EXPECT_EQ(t.expires_at, clock_.Now() + absl::Seconds(kDefaultApprovalTimeoutSeconds));
  absl::StatusOr<ExecutionDescription> d = Await<absl::StatusOr<ExecutionDescription>>(
      [&](auto done) { executions_->Decide(t.id, true, "", std::move(done)); });
  ASSERT_OK(d.status());
  EXPECT_EQ(d->status, "SUCCEEDED");
  ASSERT_TRUE(Item("ann@example.com").has_value());
  EXPECT_EQ(Item("ann@example.com")->pincode, "12");

  // A short approval timeout passes: not stored.
  IngestInput in{"Bob", "bob@example", "1234"};
  in.approval_timeout_seconds = 5;
  s = Start(MakeIngestInput(in));
  ASSERT_TRUE(s.result.waiting);
  AdvanceAndRunTimers(absl::Seconds(5));
  EXPECT_EQ(Settled(s.arn).error, "States.Timeout");
  EXPECT_FALSE(Item("bob@example").has_value());

  // Both invalid: rejected at once, nothing waits.
  s = Start(MakeIngestInput({"Cy", "bad", "1"}));
  EXPECT_FALSE(s.result.waiting);
  EXPECT_EQ(s.result.failure.error, "ValidationFailed");
}

TEST_F(DurableTest, StartAddsTheDefaultsTheIngestEndpointWouldAdd) {
  Open(std::string(DefaultIngestWorkflowText()),
       json::parse(R"({"approval_timeout_seconds": 60})").as_object());
  StartResult s = Start(json::parse(R"({"user_name":"W","email":"w@example.com","pincode":"12"})"));
  ASSERT_TRUE(s.result.waiting) << s.result.failure.error << ": " << s.result.failure.cause;
  EXPECT_EQ(Pending().at(0).expires_at, clock_.Now() + absl::Seconds(60));
  // A given value wins over the default.
  s = Start(json::parse(
      R"({"user_name":"V","email":"v@example.com","pincode":"1","approval_timeout_seconds":5})"));
  ASSERT_TRUE(s.result.waiting);
  AdvanceAndRunTimers(absl::Seconds(5));
  EXPECT_EQ(Settled(s.arn).error, "States.Timeout");
}

TEST(CallbackCompileTest, RefusesWhatCannotWork) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  auto compile = [&](std::string_view text) { return CompileText(text, registry).status(); };
  EXPECT_THAT(compile(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"ingestd:approval.waitForTaskToken","Parameters":{"x":1},"End":true}}})")
                  .message(),
              HasSubstr("$$.Task.Token"));
  EXPECT_THAT(compile(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"ingestd:approval.waitForTaskToken",
      "Parameters":{"TaskToken.$":"$$.Task.Token"},"End":true}}}]}}})")
                  .message(),
              HasSubstr("top-level"));
  EXPECT_THAT(compile(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"ingestd:approval","HeartbeatSeconds":5,"End":true}}})")
                  .message(),
              HasSubstr("heartbeat"));
  EXPECT_THAT(compile(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"ingestd:nothing.waitForTaskToken",
      "Parameters":{"TaskToken.$":"$$.Task.Token"},"End":true}}})")
                  .message(),
              HasSubstr("unknown resource"));
}

TEST(CallbackCompileTest, WithoutDurableExecutionsACallbackTaskFailsClearly) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"ingestd:approval.waitForTaskToken",
      "Parameters":{"TaskToken.$":"$$.Task.Token"},"End":true}}})",
                                            registry));
  ExecutionResult r = ExecuteAndWait(wf, json::object());
  EXPECT_FALSE(r.succeeded);
  EXPECT_FALSE(r.waiting);
  EXPECT_EQ(r.failure.error, "States.Runtime");
  EXPECT_THAT(r.failure.cause, HasSubstr("durable executions"));
}

}  // namespace
}  // namespace ingestd::workflow
