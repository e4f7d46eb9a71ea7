// Task resources: the C++ code a Task state's "Resource" names, and the registry that maps
// names to code. Built-in resources (ingestd:validate, ingestd:store.put) live in
// builtin_tasks.h; register more with TaskRegistry::Register.
//
//   TaskRegistry registry;
//   registry.Register("test:double", [](const boost::json::value& params, const TaskContext&,
//                                       TaskDone done) {
//     std::move(done)(TaskResult::Ok(params.as_int64() * 2));
//   });
//   absl::StatusOr<std::shared_ptr<const Workflow>> wf = Compile(definition, registry);
//
// A resource may complete `done` inline or later from any thread (e.g. a store thread); the
// execution continues on that thread. It must call `done` exactly once.
//
// Thread-safety: register everything before compiling; afterwards the registry is read-only
// and may be shared by any number of threads. Resources are called concurrently.
#ifndef INGESTD_WORKFLOW_TASK_H_
#define INGESTD_WORKFLOW_TASK_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "workflow/errors.h"

namespace ingestd::workflow {

// What a task produced: its result value, or a named error that Retry/Catch can match
// (e.g. {"Store.Unavailable", "commit failed: disk full"}).
struct TaskResult {
  static TaskResult Ok(boost::json::value v) { return TaskResult{true, std::move(v), {}}; }
  static TaskResult Error(std::string error, std::string cause) {
    return TaskResult{false, {}, Failure{std::move(error), std::move(cause)}};
  }
  bool ok = true;
  boost::json::value output;
  Failure failure;
};

using TaskDone = absl::AnyInvocable<void(TaskResult) &&>;

// What a resource knows about the state calling it.
struct TaskContext {
  std::string_view state_name;
  // The object the resource's prepare function returned for this state at Compile time (null
  // without one). Lives as long as the compiled workflow.
  const void* prepared = nullptr;
};

// `params` (the state's effective Parameters) and `ctx` are valid only during the call: copy
// what an asynchronous resource needs later.
using TaskFn =
    std::function<void(const boost::json::value& params, const TaskContext& ctx, TaskDone done)>;

// Called once per Task state at Compile time with the state's "Parameters" as written in the
// definition (null when absent). Checks them and may precompute (e.g. compile a regex). An
// error fails Compile; its message should name the parameter ("Parameters.pattern: ...").
using TaskPrepareFn = std::function<absl::StatusOr<std::shared_ptr<const void>>(
    const boost::json::value* parameters)>;

class TaskRegistry {
 public:
  struct Entry {
    TaskFn run;
    TaskPrepareFn prepare;  // may be empty
  };

  // Adds or replaces the resource `name` (an ARN-like string such as "ingestd:validate").
  void Register(std::string name, TaskFn run, TaskPrepareFn prepare = nullptr) {
    entries_[std::move(name)] = Entry{std::move(run), std::move(prepare)};
  }

  // The resource `name`, or null when unknown.
  const Entry* Find(std::string_view name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_TASK_H_
