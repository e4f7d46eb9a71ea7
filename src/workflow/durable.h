// Durable executions: executions that stop at a callback task (".waitForTaskToken") are
// persisted in the store and wait there — across restarts and kill -9 — until a task token
// decision (SendTaskSuccess/Failure), a heartbeat, or a deadline (TimeoutSeconds,
// HeartbeatSeconds, the state machine's TimeoutSeconds) moves them on. Executions that never
// wait stay in memory: the fast path writes nothing extra.
//
//   DurableOptions options{.store = store.get(), .workflow = compiled};
//   ASSIGN_OR_RETURN(std::unique_ptr<DurableExecutions> executions,
//                    DurableExecutions::Open(std::move(options)));   // recovers pending work
//   ExecutionOptions exec = executions->ExecutionDefaults();          // for ingest::Endpoint
//   executions->SendTaskSuccess(token, output, [](absl::Status s) { ... });
//
// Exactly once: every decision is a conditional write of the execution record (version
// check), so of two concurrent decisions on one token exactly one wins; the loser gets
// FAILED_PRECONDITION (TaskTimedOut). A won decision is durable before the execution continues
// ("RESUMING"); a crash before the execution reaches its next durable point replays that
// decision at startup (store.put is an idempotent upsert, so nothing is stored twice).
//
// Errors are absl::Status values whose AwsErrorType() is the Step Functions error name:
//   INVALID_ARGUMENT  InvalidToken / InvalidArn / InvalidExecutionInput / InvalidName /
//                     ValidationException
//   NOT_FOUND         TaskDoesNotExist / ExecutionDoesNotExist
//   FAILED_PRECONDITION TaskTimedOut (the task already ended: decided, timed out, or replaced)
//   ALREADY_EXISTS    ExecutionAlreadyExists
//   UNAVAILABLE       the store failed (ServiceUnavailable; retry)
//
// Thread-safety: every method may be called from any thread; callbacks run on store or
// scheduler threads and must not block.
#ifndef INGESTD_WORKFLOW_DURABLE_H_
#define INGESTD_WORKFLOW_DURABLE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "workflow/scheduler.h"
#include "workflow/workflow.h"

namespace ingestd::store {
class Store;
}  // namespace ingestd::store

namespace ingestd::workflow {

// The Step Functions error name ("TaskDoesNotExist", ...) carried by `status`, or "" when it
// carries none.
std::string AwsErrorType(const absl::Status& status);
// A status with an AWS error name attached.
absl::Status AwsError(absl::StatusCode code, std::string_view aws_type, std::string_view message);

// What DescribeExecution reports.
struct ExecutionDescription {
  std::string arn;
  std::string name;
  std::string state_machine_arn;
  std::string status;  // RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
  absl::Time start_date;
  std::optional<absl::Time> stop_date;
  std::string input;                  // JSON text
  std::optional<std::string> output;  // JSON text, when SUCCEEDED
  std::optional<std::string> error;   // when FAILED / TIMED_OUT
  std::optional<std::string> cause;
};

// One callback task that waits for a decision (an approval, in the default workflow).
struct PendingTask {
  std::string id;            // the execution's name: stable, URL-safe; /approvals/{id}/...
  std::string task_token;    // what SendTaskSuccess/Failure/Heartbeat take
  std::string execution;     // the execution ARN
  std::string state;         // the Task state's name
  boost::json::value input;  // the task's effective Parameters (what the admin decides on)
  absl::Time created_at;     // when the task started waiting
  std::optional<absl::Time> expires_at;  // the earliest deadline, if any
};

struct ListExecutionsRequest {
  std::string status_filter;      // "" or RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
  std::size_t max_results = 100;  // 1..1000
  std::string next_token;         // from ListExecutionsPage::next_token
};

struct ListExecutionsPage {
  std::vector<ExecutionDescription> executions;  // without input/output
  std::optional<std::string> next_token;
};

struct PendingPage {
  std::vector<PendingTask> tasks;
  std::optional<std::string> next_token;
};

// How an execution ended, or that it now waits durably.
struct StartResult {
  std::string arn;
  absl::Time start_date;
  ExecutionResult result;  // result.waiting: it waits for a callback (result.execution = arn)
};

struct DurableOptions {
  store::Store* store = nullptr;             // not owned; must outlive DurableExecutions
  std::shared_ptr<const Workflow> workflow;  // what Start runs
  std::string definition_text;               // its ASL text, kept with waiting executions
  const TaskRegistry* registry = nullptr;    // to compile definitions of older executions
  std::string region = "local";
  std::string account = "000000000000";
  std::string state_machine_name = "ingestd";
  // Members added to a Start input object that lacks them, so that executions started through
  // the API see what the ingest endpoint adds (serve: {"approval_timeout_seconds": N}).
  boost::json::object start_defaults;
  const common::Clock* clock = nullptr;  // null: the real clock
  Scheduler* scheduler = nullptr;        // null: DefaultScheduler()
  // Called (on a store thread, must not block) once a task's wait is durable: the webhook.
  std::function<void(const PendingTask&)> on_pending;
  // Called when an execution ends (for metrics), with its result.
  std::function<void(const ExecutionResult&, absl::Duration)> on_finished;
};

class DurableExecutions {
 public:
  using StatusCallback = absl::AnyInvocable<void(absl::Status) &&>;
  using StartCallback = absl::AnyInvocable<void(absl::StatusOr<StartResult>) &&>;
  using DescribeCallback = absl::AnyInvocable<void(absl::StatusOr<ExecutionDescription>) &&>;
  using ListCallback = absl::AnyInvocable<void(absl::StatusOr<ListExecutionsPage>) &&>;
  using PendingCallback = absl::AnyInvocable<void(absl::StatusOr<PendingPage>) &&>;

  // Opens the durable executions over `options.store` and recovers: every waiting execution's
  // deadlines are scheduled again (ones that passed while the process was down fire now), and
  // decisions that were taken but not finished are replayed. Blocks while it scans the store.
  static absl::StatusOr<std::unique_ptr<DurableExecutions>> Open(DurableOptions options);
  ~DurableExecutions();  // Close()

  // Options for workflow::Execute that send callback tasks here (the ingest endpoint's).
  ExecutionOptions ExecutionDefaults();

  // StartExecution: runs the workflow on `input` under `name` (a fresh UUID when empty).
  // `record`: keep the execution's outcome durably (so DescribeExecution finds it) even when it
  // never waits. `done` runs when it has ended or waits durably.
  void Start(boost::json::value input, std::string name, bool record, StartCallback done);

  // The Step Functions callback API.
  void SendTaskSuccess(std::string token, boost::json::value output, StatusCallback done);
  void SendTaskFailure(std::string token, std::string error, std::string cause,
                       StatusCallback done);
  void SendTaskHeartbeat(const std::string& token, StatusCallback done);

  // The admin's decision on the pending task of execution `id` (PendingTask::id): approve
  // sends {"approved":true,...} as the task's output, reject the error "Approval.Rejected".
  // `done` runs once the execution has moved on to its next durable point (ended, or waiting
  // again) with its description. NOT_FOUND: no such execution; FAILED_PRECONDITION: it is not
  // waiting (already decided, timed out).
  void Decide(const std::string& id, bool approve, const std::string& comment,
              DescribeCallback done);

  void Describe(std::string arn, DescribeCallback done);
  void List(ListExecutionsRequest request, ListCallback done);
  void ListPending(std::size_t limit, std::string next_token, PendingCallback done);

  // The ARN of the execution named `name`.
  std::string ExecutionArn(std::string_view name) const;
  std::string StateMachineArn() const;

  // Stops the timers and waits for resumed executions in flight to reach a durable point.
  void Close();

  class Impl;

 private:
  explicit DurableExecutions(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_DURABLE_H_
