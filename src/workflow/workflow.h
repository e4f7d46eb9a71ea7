// The Amazon States Language engine: compile a definition once into an immutable Workflow,
// then run it any number of times, concurrently.
//
//   TaskRegistry registry;
//   RegisterBuiltinTasks(registry, store.get());                  // builtin_tasks.h
//   absl::StatusOr<std::shared_ptr<const Workflow>> wf = CompileText(text, registry);
//   if (!wf.ok()) { /* INVALID_ARGUMENT: 'state "X": field "Y": why' */ }
//   Execute(*wf, input, {}, [](ExecutionResult r) {
//     // r.succeeded ? r.output : r.failure.error / r.failure.cause
//   });
//
// Execution model: states run synchronously on the calling thread until a Task's resource,
// a Wait, a Retry interval or a branch completes later; the completion (on a store thread,
// the scheduler's thread, ...) continues the execution there. No thread per execution, no
// blocking. The final callback runs exactly once, on whichever thread finished the run.
//
// Semantics follow https://states-language.net/spec.html and the AWS Step Functions
// documentation: InputPath/Parameters/ResultSelector/ResultPath/OutputPath, the context object
// ($$), every Choice operator, intrinsic functions, Retry/Catch, TimeoutSeconds, Parallel and
// inline Map. Not supported: JSONata, variables (Assign), distributed-Map readers/writers,
// activities; they are rejected at Compile with a clear error.
//
// Thread-safety: a Workflow is immutable and may be executed from any number of threads.
#ifndef INGESTD_WORKFLOW_WORKFLOW_H_
#define INGESTD_WORKFLOW_WORKFLOW_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "workflow/errors.h"
#include "workflow/scheduler.h"
#include "workflow/task.h"

namespace ingestd::workflow {

namespace internal {
struct Machine;
}  // namespace internal

// A compiled, validated state machine. Create with Compile/CompileText.
class Workflow {
 public:
  ~Workflow();
  const internal::Machine& machine() const { return *machine_; }
  // The definition as given to Compile.
  const boost::json::value& definition() const { return definition_; }
  // True when some state reads the context object ($$), which the engine then builds.
  bool uses_context() const { return uses_context_; }

 private:
  friend absl::StatusOr<std::shared_ptr<const Workflow>> Compile(const boost::json::value&,
                                                                 const TaskRegistry&);
  Workflow() = default;
  std::unique_ptr<internal::Machine> machine_;
  boost::json::value definition_;
  bool uses_context_ = false;
};

// Parses and validates `definition` against the ASL structural rules; resolves every Task
// resource in `registry` (which must outlive the Workflow) and lets it prepare its Parameters.
// INVALID_ARGUMENT naming the state and field at fault, e.g.
//   state "Email Check": field "Choices[0].Next": no state named "CheckPincod"
absl::StatusOr<std::shared_ptr<const Workflow>> Compile(const boost::json::value& definition,
                                                        const TaskRegistry& registry);
// Same, from JSON text (INVALID_ARGUMENT when it is not JSON).
absl::StatusOr<std::shared_ptr<const Workflow>> CompileText(std::string_view json_text,
                                                            const TaskRegistry& registry);

// Same, from a file (NOT_FOUND/PERMISSION_DENIED when it cannot be read; INVALID_ARGUMENT,
// prefixed with the path, when the definition is not valid).
absl::StatusOr<std::shared_ptr<const Workflow>> CompileFile(const std::string& path,
                                                            const TaskRegistry& registry);

class CallbackSink;

struct ExecutionOptions {
  // Execution name ($$.Execution.Name); a random UUID when empty (and $$ is used).
  std::string name;
  // Execution id ($$.Execution.Id); "arn:aws:states:local:000000000000:execution:<sm>:<name>"
  // when empty (and $$ is used).
  std::string id;
  std::string state_machine_name = "ingestd";
  const common::Clock* clock = nullptr;  // null: common::Clock::Real()
  Scheduler* scheduler = nullptr;        // null: DefaultScheduler()
  // Guard against endless loops: the run fails with States.Runtime after this many states.
  std::int64_t max_transitions = 25000;
  // Where an execution reaching a ".waitForTaskToken" Task goes to wait (DurableExecutions).
  // Null: such a Task fails with States.Runtime.
  CallbackSink* callbacks = nullptr;
  // The ARN's region and account (arn:aws:states:<region>:<account>:execution:<sm>:<name>).
  std::string region = "local";
  std::string account = "000000000000";
};

struct ExecutionResult {
  bool succeeded = false;
  // The execution stopped at a callback task and now waits durably (succeeded is false).
  bool waiting = false;
  std::string execution;         // its ARN, when waiting
  boost::json::value output;     // when succeeded
  Failure failure;               // when not: {error, cause}
  std::int64_t transitions = 0;  // states entered (for metrics and cost estimates)
};

using ExecutionCallback = absl::AnyInvocable<void(ExecutionResult) &&>;

// Starts an execution of `workflow` on `input`. See the execution model above. `done` is
// called exactly once.
void Execute(std::shared_ptr<const Workflow> workflow, boost::json::value input,
             ExecutionOptions options, ExecutionCallback done);

// An execution parked at a ".waitForTaskToken" Task: everything needed to continue it.
struct Suspension {
  std::string execution;                         // ARN
  std::string name;                              // execution name
  std::string token;                             // $$.Task.Token
  std::string state;                             // the Task state's name
  boost::json::value parameters;                 // the Task's effective Parameters (with the token)
  std::optional<absl::Time> task_deadline;       // TimeoutSeconds
  std::optional<double> heartbeat_seconds;       // HeartbeatSeconds
  std::optional<absl::Time> execution_deadline;  // the state machine's TimeoutSeconds
  absl::Time start_time;                         // of the execution
  boost::json::value execution_input;
  boost::json::value snapshot;  // opaque: what Resume takes
};

// Receives executions that park at a callback task. `Suspend` must make the suspension
// durable, then call `persisted` (OK, or an error that the Task fails with).
class CallbackSink {
 public:
  virtual ~CallbackSink() = default;
  virtual void Suspend(Suspension suspension,
                       absl::AnyInvocable<void(absl::Status) &&> persisted) = 0;
};

// Continues a suspended execution with the callback's result (a success output, or an error
// such as States.Timeout), exactly as if the Task had completed with it: ResultSelector,
// ResultPath, Retry and Catch apply. `snapshot` is Suspension::snapshot.
void Resume(std::shared_ptr<const Workflow> workflow, const boost::json::value& snapshot,
            TaskResult result, ExecutionOptions options, ExecutionCallback done);

// Runs an execution and blocks until it ends. For the CLI and tools, never for a server thread.
ExecutionResult ExecuteAndWait(std::shared_ptr<const Workflow> workflow, boost::json::value input,
                               ExecutionOptions options = {});

// One field check that an ingestd:validate task performs, as written in the definition (for
// the load generator, which produces data that passes or fails on purpose).
struct FieldRule {
  std::string field;
  std::string state;  // the Task state that checks it
  bool required = true;
  std::optional<std::string> pattern;  // RE2 syntax, full match
  std::int64_t min_length = 0;         // Unicode code points
  std::optional<std::int64_t> max_length;
  bool allow_control_characters = true;
  std::string reason;  // the message reported when the pattern does not match
};

// Every ingestd:validate task in `workflow` (including inside Parallel/Map), in definition
// order, with literal (compile-time) parameters.
std::vector<FieldRule> FieldRules(const Workflow& workflow);

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_WORKFLOW_H_
