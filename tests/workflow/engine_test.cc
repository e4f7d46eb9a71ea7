// The execution model: asynchronous tasks completing on other threads, timers on an injected
// scheduler, concurrency of executions, Retry jitter.
#include <atomic>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "testing/status_matchers.h"
#include "workflow/test_tasks.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;

TEST(EngineTest, TaskCompletingOnAnotherThreadContinuesThere) {
  TaskRegistry registry;
  std::vector<std::thread> threads;
  registry.Register("arn:aws:states:::test:async",
                    [&threads](const json::value& params, const TaskContext&, TaskDone done) {
                      threads.emplace_back([p = params, done = std::move(done)]() mutable {
                        std::move(done)(TaskResult::Ok(p.as_int64() + 1));
                      });
                    });
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"A","States":{
      "A":{"Type":"Task","Resource":"arn:aws:states:::test:async","InputPath":"$.n","ResultPath":"$.n","Next":"B"},
      "B":{"Type":"Task","Resource":"arn:aws:states:::test:async","InputPath":"$.n","End":true}}})",
                                            registry));
  std::thread::id caller = std::this_thread::get_id(), finisher;
  absl::Notification done;
  ExecutionResult result;
  Execute(wf, json::parse(R"({"n":1})"), {}, [&](ExecutionResult r) {
    finisher = std::this_thread::get_id();
    result = std::move(r);
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(result.succeeded) << result.failure.cause;
  EXPECT_EQ(result.output, json::value(3));
  EXPECT_NE(finisher, caller);
}

TEST(EngineTest, SynchronousRunFinishesBeforeExecuteReturns) {
  TaskRegistry registry;
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Result":1,"End":true}}})",
                                            registry));
  bool finished = false;
  Execute(wf, json::object(), {}, [&](ExecutionResult r) {
    EXPECT_TRUE(r.succeeded);
    finished = true;
  });
  EXPECT_TRUE(finished);
}

TEST(EngineTest, WaitUsesInjectedClockAndScheduler) {
  TaskRegistry registry;
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":3600,"End":true}}})",
                                            registry));
  common::ManualClock clock(absl::FromUnixSeconds(1000));
  ManualScheduler scheduler(&clock);
  bool finished = false;
  Execute(wf, json::object(), {.clock = &clock, .scheduler = &scheduler},
          [&](ExecutionResult) { finished = true; });
  EXPECT_FALSE(finished);
  clock.Advance(absl::Seconds(3599));
  EXPECT_EQ(scheduler.RunDue(), 0);
  EXPECT_FALSE(finished);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(scheduler.RunDue(), 1);
  EXPECT_TRUE(finished);
}

TEST(EngineTest, FullJitterRetryDelayIsWithinTheBackoff) {
  common::ManualClock clock(absl::FromUnixSeconds(0));
  ManualScheduler scheduler(&clock);
  TaskRegistry registry;
  testing::RegisterTestTasks(registry, &clock, &scheduler);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:Flaky",
           "Parameters":{"failures":1,"error":"E","result":1},
           "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":8,"JitterStrategy":"FULL"}],
           "End":true}}})",
                                            registry));
  bool finished = false;
  Execute(wf, json::object(), {.clock = &clock, .scheduler = &scheduler},
          [&](ExecutionResult r) { finished = r.succeeded; });
  ASSERT_TRUE(scheduler.AdvanceToNext());
  EXPECT_TRUE(finished);
  EXPECT_LE(clock.Now(), absl::FromUnixSeconds(8));
}

TEST(EngineTest, LateCompletionAfterTimeoutIsIgnored) {
  common::ManualClock clock(absl::FromUnixSeconds(0));
  ManualScheduler scheduler(&clock);
  TaskRegistry registry;
  TaskDone held;
  registry.Register(
      "arn:aws:states:::test:hold",
      [&held](const json::value&, const TaskContext&, TaskDone done) { held = std::move(done); });
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::test:hold","TimeoutSeconds":1,"End":true}}})",
                                            registry));
  int calls = 0;
  ExecutionResult result;
  Execute(wf, json::object(), {.clock = &clock, .scheduler = &scheduler}, [&](ExecutionResult r) {
    ++calls;
    result = std::move(r);
  });
  ASSERT_TRUE(scheduler.AdvanceToNext());
  EXPECT_EQ(result.failure.error, "States.Timeout");
  std::move(held)(TaskResult::Ok(1));  // too late
  EXPECT_EQ(calls, 1);
}

TEST(EngineTest, ConcurrentExecutionsShareOneWorkflow) {
  TaskRegistry registry;
  testing::RegisterTestTasks(registry, nullptr, nullptr);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"json({"StartAt":"M","States":{
      "M":{"Type":"Map","ItemProcessor":{"StartAt":"Add","States":{"Add":{"Type":"Task",
        "Resource":"arn:aws:lambda:us-east-1:123456789012:function:Add",
        "Parameters":{"a.$":"$","b":1},"End":true}}},
      "ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}})json",
                                            registry));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        ExecutionResult r = ExecuteAndWait(wf, json::parse("[1,2,3,4,5]"));
        if (r.succeeded && r.output == json::parse(R"({"n":5})")) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST(EngineTest, ParallelFailureStopsAndReportsOnce) {
  TaskRegistry registry;
  testing::RegisterTestTasks(registry, nullptr, nullptr);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"json({"StartAt":"P","States":{
      "P":{"Type":"Parallel","Branches":[
        {"StartAt":"F1","States":{"F1":{"Type":"Fail","Error":"One"}}},
        {"StartAt":"F2","States":{"F2":{"Type":"Fail","Error":"Two"}}}],"End":true}}})json",
                                            registry));
  int calls = 0;
  ExecutionResult result;
  Execute(wf, json::object(), {}, [&](ExecutionResult r) {
    ++calls;
    result = std::move(r);
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(result.failure.error, "One");
}

TEST(EngineTest, CompileErrorsNameStateAndField) {
  TaskRegistry registry;
  EXPECT_THAT(CompileText("{not json", registry),
              ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("not valid JSON")));
  EXPECT_THAT(
      CompileText(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":"yes"}}})", registry),
      ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                   "state \"A\": field \"End\": must be a boolean"));
  EXPECT_THAT(CompileText("[]", registry),
              ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace ingestd::workflow

namespace ingestd::workflow {
namespace {

TEST(TimerThreadSchedulerTest, RunsTimersInDeadlineOrder) {
  TimerThreadScheduler scheduler;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  absl::Time now = absl::Now();
  scheduler.RunAt(now + absl::Milliseconds(20), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
    done.Notify();
  });
  scheduler.RunAt(now, [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(TimerThreadSchedulerTest, DropsPendingTimersOnDestruction) {
  bool ran = false;
  {
    TimerThreadScheduler scheduler;
    scheduler.RunAt(absl::Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace ingestd::workflow
