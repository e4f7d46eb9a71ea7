// The interpreter: one Frame per running state machine (the top level, each Parallel branch,
// each Map iteration). A Frame steps through states in a loop on the calling thread; an
// asynchronous step (Task, Parallel, Map, Wait, Retry) parks it, and the completion resumes
// the loop on the completing thread.
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "common/time_format.h"
#include "workflow/internal/choice.h"
#include "workflow/internal/model.h"
#include "workflow/intrinsics.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace json = boost::json;
using internal::Machine;
using internal::State;
using internal::StateType;
using internal::Template;

namespace {

// An unguessable task token: "<execution name>.<128 random bits in hex>". The name lets the
// durable executions find the record without a secondary index.
std::string NewTaskToken(std::string_view execution_name) {
  return fmt::format("{}.{}", execution_name, common::RandomHex(16));
}

json::value TimeValue(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time TimeFrom(const json::value& v) {
  return v.is_int64() ? absl::FromUnixMicros(v.get_int64()) : absl::UnixEpoch();
}

struct Shared {
  std::shared_ptr<const Workflow> workflow;
  ExecutionOptions options;
  const common::Clock* clock = nullptr;
  Scheduler* scheduler = nullptr;
  json::object context_base;  // Execution + StateMachine; see EnsureIdentity
  std::atomic<std::int64_t> transitions{0};
  absl::Time start_time;
  std::optional<absl::Time> execution_deadline;  // the state machine's TimeoutSeconds
  json::value execution_input;                   // kept only when $$ or callbacks may need it

  // The execution's name, id and context object are made the first time a state reads $$ or
  // waits for a callback: most executions never do, and pay nothing for them.
  void EnsureIdentity() {
    std::call_once(identity_once, [this] {
      if (identity_ready) return;
      if (options.name.empty()) options.name = common::RandomUuid();
      if (options.id.empty()) {
        options.id = fmt::format("arn:aws:states:{}:{}:execution:{}:{}", options.region,
                                 options.account, options.state_machine_name, options.name);
      }
      json::object exec;
      exec["Id"] = options.id;
      exec["Input"] = execution_input;
      exec["Name"] = options.name;
      exec["RoleArn"] = fmt::format("arn:aws:iam::{}:role/ingestd", options.account);
      exec["StartTime"] = common::FormatRfc3339(start_time);
      json::object sm;
      sm["Id"] = fmt::format("arn:aws:states:{}:{}:stateMachine:{}", options.region,
                             options.account, options.state_machine_name);
      sm["Name"] = options.state_machine_name;
      context_base["Execution"] = std::move(exec);
      context_base["StateMachine"] = std::move(sm);
    });
  }
  std::once_flag identity_once;
  bool identity_ready = false;  // restored from a snapshot
};

// Where one running state machine is: plain data (durable executions will persist it).
struct Position {
  int state = 0;                  // index into Machine::states
  json::value data;               // the current state's raw input; after a state, its output
  std::vector<int> retry_counts;  // per Retrier of the current state
  int retry_total = 0;            // $$.State.RetryCount
  absl::Time entered;             // $$.State.EnteredTime
};

struct CancelToken {
  std::atomic<bool> cancelled{false};
  std::shared_ptr<CancelToken> parent;
  bool IsCancelled() const {
    for (const CancelToken* t = this; t != nullptr; t = t->parent.get()) {
      if (t->cancelled.load(std::memory_order_acquire)) return true;
    }
    return false;
  }
};

bool EvaluateTemplate(const Template& t, const json::value& input, const json::value* context,
                      json::value& out, Failure& failure) {
  switch (t.kind) {
    case Template::Kind::kLiteral:
      out = t.literal;
      return true;
    case Template::Kind::kPath: {
      const json::value& root = t.path->is_context() ? *context : input;
      std::optional<json::value> v;
      if (!t.path->is_context() || context != nullptr) v = t.path->Select(root);
      if (!v) {
        failure.error = std::string(kErrorParameterPathFailure);
        failure.cause = fmt::format(
            "The JSONPath '{}' specified for the field '{}' could not be found in the input",
            t.path->text(), t.source_key);
        return false;
      }
      out = *std::move(v);
      return true;
    }
    case Template::Kind::kIntrinsic:
      return t.intrinsic->Evaluate(input, context, out, failure);
    case Template::Kind::kObject: {
      json::object obj;
      obj.reserve(t.members.size());
      for (const Template& member : t.members) {
        json::value v;
        if (!EvaluateTemplate(member, input, context, v, failure)) return false;
        obj.insert_or_assign(member.key, std::move(v));
      }
      out = std::move(obj);
      return true;
    }
    case Template::Kind::kArray: {
      json::array arr;
      arr.reserve(t.members.size());
      for (const Template& element : t.members) {
        json::value v;
        if (!EvaluateTemplate(element, input, context, v, failure)) return false;
        arr.push_back(std::move(v));
      }
      out = std::move(arr);
      return true;
    }
  }
  return false;
}

using FrameDone = absl::AnyInvocable<void(ExecutionResult) &&>;

class Frame : public std::enable_shared_from_this<Frame> {
 public:
  Frame(std::shared_ptr<Shared> shared, const Machine* machine, json::value input,
        std::shared_ptr<CancelToken> cancel, FrameDone done)
      : shared_(std::move(shared)),
        machine_(machine),
        cancel_(std::move(cancel)),
        done_(std::move(done)) {
    pos_.data = std::move(input);
  }

  void Start() {
    EnterState(machine_->start);
    Loop();
  }

  // Continues a top-level frame parked at a callback task (see Resume below).
  void ResumeAt(int state, const json::value& snapshot, TaskResult result) {
    pos_.state = state;
    const json::object& o = snapshot.get_object();
    pos_.retry_counts.assign(Current().retriers.size(), 0);
    if (const json::value* rc = o.if_contains("retry_counts"); rc && rc->is_array()) {
      for (std::size_t i = 0; i < rc->get_array().size() && i < pos_.retry_counts.size(); ++i) {
        pos_.retry_counts[i] = static_cast<int>(rc->get_array()[i].to_number<std::int64_t>());
      }
    }
    if (const json::value* rt = o.if_contains("retry_total"); rt && rt->is_int64()) {
      pos_.retry_total = static_cast<int>(rt->get_int64());
    }
    if (const json::value* e = o.if_contains("entered")) pos_.entered = TimeFrom(*e);
    if (const json::value* t = o.if_contains("token"); t && t->is_string()) {
      task_token_ = std::string(t->get_string());
    }
    if (OnAsyncResult(std::move(result)) == StepResult::kNext) Loop();
  }

 private:
  enum class StepResult { kNext, kPending, kFinished };

  void EnterState(int index) {
    pos_.state = index;
    pos_.retry_counts.assign(Current().retriers.size(), 0);
    pos_.retry_total = 0;
    if (shared_->workflow->uses_context()) pos_.entered = shared_->clock->Now();
  }

  const State& Current() const { return machine_->states[static_cast<std::size_t>(pos_.state)]; }

  void Loop() {
    while (true) {
      if (cancel_->IsCancelled()) return;
      if (shared_->transitions.fetch_add(1, std::memory_order_relaxed) >=
          shared_->options.max_transitions) {
        Finish(
            false, {},
            {std::string(kErrorRuntime), fmt::format("the execution exceeded {} state transitions",
                                                     shared_->options.max_transitions)});
        return;
      }
      if (Step() != StepResult::kNext) return;
    }
  }

  void Finish(bool ok, json::value output, Failure failure) {
    if (!done_) return;
    ExecutionResult r;
    r.succeeded = ok;
    r.output = std::move(output);
    r.failure = std::move(failure);
    FrameDone done = std::move(done_);
    done_ = nullptr;
    std::move(done)(std::move(r));
  }

  // The context object for the current state (only built when the state reads $$).
  const json::value* Context(const State& s) {
    if (!s.uses_context) return nullptr;
    shared_->EnsureIdentity();
    json::object ctx = shared_->context_base;
    json::object st;
    st["EnteredTime"] = common::FormatRfc3339(pos_.entered);
    st["Name"] = s.name;
    st["RetryCount"] = pos_.retry_total;
    ctx["State"] = std::move(st);
    if (s.wait_for_task_token && !task_token_.empty()) {
      json::object task;
      task["Token"] = task_token_;
      ctx["Task"] = std::move(task);
    }
    context_ = std::move(ctx);
    return &context_;
  }

  static Failure RuntimeFailure(std::string cause) {
    return Failure{std::string(kErrorRuntime), std::move(cause)};
  }

  // InputPath: sets `eff` to the effective input, pointing into pos_.data where possible.
  bool EffectiveInput(const State& s, const json::value* ctx, json::value*& eff, json::value& owned,
                      Failure& f) {
    if (s.input_path.is_null) {
      owned = json::object();
      eff = &owned;
      return true;
    }
    if (!s.input_path.path) {
      eff = &pos_.data;
      return true;
    }
    const JsonPath& p = *s.input_path.path;
    const json::value& root = p.is_context() ? *ctx : pos_.data;
    if (p.is_definite()) {
      eff = const_cast<json::value*>(p.Find(root));
      if (eff == nullptr) {
        f = RuntimeFailure(
            fmt::format("Invalid path '{}' : No results for path: $['{}']", p.text(), p.text()));
        return false;
      }
      if (p.is_context()) {
        owned = *eff;
        eff = &owned;
      }
      return true;
    }
    owned = *p.Select(root);
    eff = &owned;
    return true;
  }

  // ResultPath then OutputPath, then the transition. `result` is the state's result.
  StepResult ApplyResult(const State& s, json::value result, const json::value* ctx) {
    if (!s.result_path_null) {
      if (!s.result_path) {
        pos_.data = std::move(result);
      } else if (absl::Status st = s.result_path->Assign(pos_.data, std::move(result)); !st.ok()) {
        return HandleError(
            Failure{std::string(kErrorResultPathMatchFailure), std::string(st.message())});
      }
    }
    return ApplyOutputAndMove(s, ctx);
  }

  // OutputPath on pos_.data.
  bool ApplyOutput(const State& s, const json::value* ctx, Failure& f) {
    if (s.output_path.is_null) {
      pos_.data = json::object();
    } else if (s.output_path.path) {
      const JsonPath& p = *s.output_path.path;
      if (p.is_definite() && !p.is_context()) {
        json::value* v = const_cast<json::value*>(p.Find(pos_.data));
        if (v == nullptr) {
          f = RuntimeFailure(
              fmt::format("Invalid path '{}' : No results for path: $['{}']", p.text(), p.text()));
          return false;
        }
        json::value tmp = std::move(*v);
        pos_.data = std::move(tmp);
      } else {
        std::optional<json::value> v = p.Select(p.is_context() ? *ctx : pos_.data);
        if (!v) {
          f = RuntimeFailure(fmt::format("Invalid path '{}' : No results for path", p.text()));
          return false;
        }
        pos_.data = *std::move(v);
      }
    }
    return true;
  }

  StepResult ApplyOutputAndMove(const State& s, const json::value* ctx) {
    Failure f;
    if (!ApplyOutput(s, ctx, f)) return HandleError(std::move(f));
    return Move(s.next, s.end);
  }

  StepResult Move(int next, bool end) {
    if (end || next < 0) {
      Finish(true, std::move(pos_.data), {});
      return StepResult::kFinished;
    }
    EnterState(next);
    return StepResult::kNext;
  }

  StepResult HandleError(Failure f) {
    const State& s = Current();
    for (std::size_t i = 0; i < s.retriers.size(); ++i) {
      const internal::Retrier& r = s.retriers[i];
      bool match = false;
      for (const std::string& e : r.errors) match |= ErrorMatches(e, f.error);
      if (!match) continue;
      if (pos_.retry_counts[i] >= r.max_attempts) break;  // exhausted: fall through to Catch
      double delay = r.interval_seconds * std::pow(r.backoff_rate, pos_.retry_counts[i]);
      if (r.max_delay_seconds) delay = std::min(delay, *r.max_delay_seconds);
      if (r.full_jitter) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        delay = std::uniform_real_distribution<double>(0, delay)(rng);
      }
      ++pos_.retry_counts[i];
      ++pos_.retry_total;
      shared_->scheduler->RunAt(shared_->clock->Now() + absl::Seconds(delay),
                                [self = shared_from_this()] { self->Loop(); });
      return StepResult::kPending;
    }
    for (const internal::Catcher& c : s.catchers) {
      bool match = false;
      for (const std::string& e : c.errors) match |= ErrorMatches(e, f.error);
      if (!match) continue;
      if (c.result_path) {
        json::object err;
        err["Error"] = f.error;
        err["Cause"] = f.cause;
        if (absl::Status st = c.result_path->Assign(pos_.data, std::move(err)); !st.ok()) {
          Finish(false, {}, {std::string(kErrorResultPathMatchFailure), std::string(st.message())});
          return StepResult::kFinished;
        }
      }
      EnterState(c.next);
      return StepResult::kNext;
    }
    Finish(false, {}, std::move(f));
    return StepResult::kFinished;
  }

  // ----- asynchronous steps ------------------------------------------------------------
  // Begin(): returns the token the completion must present. Park(): after launching; returns
  // the result if it already arrived inline, else nullopt (the completion will resume us).
  std::uint64_t Begin() {
    std::lock_guard<std::mutex> lock(mu_);
    in_step_ = true;
    settled_ = false;
    inline_result_.reset();
    return ++token_;
  }

  std::optional<TaskResult> Park() {
    std::lock_guard<std::mutex> lock(mu_);
    in_step_ = false;
    if (inline_result_) {
      std::optional<TaskResult> r = std::move(inline_result_);
      inline_result_.reset();
      return r;
    }
    return std::nullopt;
  }

  void Complete(std::uint64_t token, TaskResult r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (token != token_ || settled_) return;  // late: a timeout or the result came first
      settled_ = true;
      if (in_step_) {
        inline_result_ = std::move(r);
        return;
      }
    }
    if (cancel_->IsCancelled()) return;
    if (OnAsyncResult(std::move(r)) == StepResult::kNext) Loop();
  }

  StepResult OnAsyncResult(TaskResult r) {
    const State& s = Current();
    if (!r.ok) return HandleError(std::move(r.failure));
    const json::value* ctx = Context(s);
    if (s.result_selector) {
      json::value selected;
      Failure f;
      if (!EvaluateTemplate(*s.result_selector, r.output, ctx, selected, f)) {
        return HandleError(std::move(f));
      }
      return ApplyResult(s, std::move(selected), ctx);
    }
    return ApplyResult(s, std::move(r.output), ctx);
  }

  void Resume(std::uint64_t token, TaskResult r) { Complete(token, std::move(r)); }

  StepResult FinishAsync(std::uint64_t token) {
    (void)token;
    std::optional<TaskResult> r = Park();
    if (!r) return StepResult::kPending;
    return OnAsyncResult(*std::move(r));
  }

  // ----- the states ----------------------------------------------------------------------
  StepResult Step() {
    const State& s = Current();
    // Every attempt of a callback task gets a fresh token (a retried one invalidates the old).
    if (s.wait_for_task_token) {
      shared_->EnsureIdentity();
      task_token_ = NewTaskToken(shared_->options.name);
    }
    const json::value* ctx = Context(s);
    Failure f;
    json::value* eff = nullptr;
    json::value owned;
    if (s.type == StateType::kFail) return StepFail(s, ctx);
    if (!EffectiveInput(s, ctx, eff, owned, f)) return HandleError(std::move(f));
    switch (s.type) {
      case StateType::kPass: {
        json::value result;
        if (s.result) {
          result = *s.result;
        } else if (s.parameters) {
          if (!EvaluateTemplate(*s.parameters, *eff, ctx, result, f)) {
            return HandleError(std::move(f));
          }
        } else if (eff == &pos_.data && !s.result_path && !s.result_path_null) {
          return ApplyOutputAndMove(s, ctx);  // the input is the output: nothing to copy
        } else {
          result = *eff;
        }
        return ApplyResult(s, std::move(result), ctx);
      }
      case StateType::kSucceed:
      case StateType::kChoice: {
        int next = -1;
        if (s.type == StateType::kChoice) {
          for (const internal::ChoiceRule& rule : s.choices) {
            bool matched = false;
            if (!internal::EvaluateRule(rule, *eff, ctx, matched, f)) {
              return HandleError(std::move(f));
            }
            if (matched) {
              next = rule.next;
              break;
            }
          }
          if (next < 0) next = s.default_next;
          if (next < 0) {
            return HandleError(Failure{std::string(kErrorNoChoiceMatched),
                                       "No Choice rule matched and there is no Default"});
          }
        }
        if (eff != &pos_.data) {
          json::value tmp = std::move(*eff);
          pos_.data = std::move(tmp);
        }
        if (s.type == StateType::kSucceed) return ApplyOutputAndMove(s, ctx);
        if (!ApplyOutput(s, ctx, f)) return HandleError(std::move(f));
        EnterState(next);
        return StepResult::kNext;
      }
      case StateType::kWait:
        return StepWait(s, eff, ctx);
      case StateType::kTask:
        return StepTask(s, eff, owned, ctx);
      case StateType::kParallel:
        return StepParallel(s, eff, ctx);
      case StateType::kMap:
        return StepMap(s, eff, ctx);
      case StateType::kFail:
        break;
    }
    return StepResult::kFinished;
  }

  bool StringField(const std::optional<JsonPath>& path, const std::optional<Intrinsic>& fn,
                   const json::value* ctx, std::string& out, std::string_view field, Failure& f) {
    json::value v;
    if (path) {
      std::optional<json::value> sel = path->Select(path->is_context() ? *ctx : pos_.data);
      if (!sel) {
        f = RuntimeFailure(fmt::format("Invalid path '{}' for {}", path->text(), field));
        return false;
      }
      v = *std::move(sel);
    } else if (fn) {
      if (!fn->Evaluate(pos_.data, ctx, v, f)) return false;
    } else {
      return true;
    }
    if (!v.is_string()) {
      f = RuntimeFailure(fmt::format("{} must resolve to a string", field));
      return false;
    }
    out = std::string(v.get_string());
    return true;
  }

  StepResult StepFail(const State& s, const json::value* ctx) {
    Failure out{s.error.value_or(""), s.cause.value_or("")};
    Failure f;
    if (!StringField(s.error_path, s.error_fn, ctx, out.error, "ErrorPath", f) ||
        !StringField(s.cause_path, s.cause_fn, ctx, out.cause, "CausePath", f)) {
      Finish(false, {}, std::move(f));
      return StepResult::kFinished;
    }
    Finish(false, {}, std::move(out));
    return StepResult::kFinished;
  }

  StepResult StepWait(const State& s, json::value* eff, const json::value* ctx) {
    absl::Time now = shared_->clock->Now();
    absl::Time when = now;
    if (s.wait_seconds) {
      when = now + absl::Seconds(*s.wait_seconds);
    } else if (s.wait_timestamp) {
      when = *common::ParseRfc3339(*s.wait_timestamp);
    } else if (s.wait_seconds_path) {
      const json::value* v =
          s.wait_seconds_path->Find(s.wait_seconds_path->is_context() ? *ctx : *eff);
      if (v == nullptr || !v->is_number() || v->to_number<double>() < 0 ||
          std::trunc(v->to_number<double>()) != v->to_number<double>()) {
        return HandleError(
            RuntimeFailure(fmt::format("SecondsPath '{}' must reference a non-negative integer",
                                       s.wait_seconds_path->text())));
      }
      when = now + absl::Seconds(v->to_number<double>());
    } else if (s.wait_timestamp_path) {
      const json::value* v =
          s.wait_timestamp_path->Find(s.wait_timestamp_path->is_context() ? *ctx : *eff);
      std::optional<absl::Time> t;
      if (v != nullptr && v->is_string()) t = common::ParseRfc3339(std::string(v->get_string()));
      if (!t) {
        return HandleError(
            RuntimeFailure(fmt::format("TimestampPath '{}' must reference an RFC 3339 timestamp",
                                       s.wait_timestamp_path->text())));
      }
      when = *t;
    }
    if (eff != &pos_.data) {
      json::value tmp = std::move(*eff);
      pos_.data = std::move(tmp);
    }
    if (when <= now) return ApplyOutputAndMove(s, ctx);
    shared_->scheduler->RunAt(when, [self = shared_from_this()] {
      if (self->cancel_->IsCancelled()) return;
      const State& st = self->Current();
      if (self->ApplyOutputAndMove(st, self->Context(st)) == StepResult::kNext) self->Loop();
    });
    return StepResult::kPending;
  }

  StepResult StepTask(const State& s, json::value* eff, json::value& owned,
                      const json::value* ctx) {
    Failure f;
    const json::value* params = eff;
    if (s.parameters) {
      if (!EvaluateTemplate(*s.parameters, *eff, ctx, params_, f)) {
        return HandleError(std::move(f));
      }
      params = &params_;
    } else if (eff == &owned) {
      params_ = std::move(owned);
      params = &params_;
    }
    std::optional<double> timeout = s.timeout_seconds;
    if (s.timeout_seconds_path) {
      const json::value* v = s.timeout_seconds_path->Find(*eff);
      if (v == nullptr || !v->is_number() || v->to_number<double>() <= 0) {
        return HandleError(
            RuntimeFailure(fmt::format("TimeoutSecondsPath '{}' must reference a positive integer",
                                       s.timeout_seconds_path->text())));
      }
      timeout = v->to_number<double>();
    }
    if (s.wait_for_task_token) return StepCallbackTask(s, *params, timeout, eff);
    std::uint64_t token = Begin();
    if (timeout) {
      shared_->scheduler->RunAt(
          shared_->clock->Now() + absl::Seconds(*timeout),
          // Weak: a finished task must not keep its frame alive until a long timeout fires.
          [weak = weak_from_this(), token, secs = *timeout] {
            if (std::shared_ptr<Frame> self = weak.lock()) {
              self->Complete(token,
                             TaskResult::Error(
                                 std::string(kErrorTimeout),
                                 fmt::format("The task did not finish within {} seconds", secs)));
            }
          });
    }
    TaskContext tc{s.name, s.prepared.get()};
    s.task->run(*params, tc, [self = shared_from_this(), token](TaskResult r) {
      self->Complete(token, std::move(r));
    });
    return FinishAsync(token);
  }

  // A ".waitForTaskToken" task: run the resource (which hands the token to someone), then park
  // the execution durably with the CallbackSink and end this in-memory run as "waiting".
  StepResult StepCallbackTask(const State& s, const json::value& params,
                              std::optional<double> timeout, const json::value* eff) {
    CallbackSink* sink = shared_->options.callbacks;
    if (sink == nullptr || machine_ != &shared_->workflow->machine()) {
      return HandleError(RuntimeFailure(
          fmt::format("state \"{}\" waits for a task token, which needs durable executions "
                      "(ingestd serve); this run has none",
                      s.name)));
    }
    std::optional<double> heartbeat = s.heartbeat_seconds;
    if (s.heartbeat_seconds_path) {
      const json::value* v = s.heartbeat_seconds_path->Find(*eff);
      if (v == nullptr || !v->is_number() || v->to_number<double>() <= 0) {
        return HandleError(RuntimeFailure(
            fmt::format("HeartbeatSecondsPath '{}' must reference a positive integer",
                        s.heartbeat_seconds_path->text())));
      }
      heartbeat = v->to_number<double>();
    }
    absl::Time now = shared_->clock->Now();
    Suspension susp;
    susp.execution = shared_->options.id;
    susp.name = shared_->options.name;
    susp.token = task_token_;
    susp.state = s.name;
    susp.parameters = params;
    if (timeout) susp.task_deadline = now + absl::Seconds(*timeout);
    susp.heartbeat_seconds = heartbeat;
    susp.execution_deadline = shared_->execution_deadline;
    susp.start_time = shared_->start_time;
    susp.execution_input = shared_->execution_input;
    std::uint64_t token = Begin();
    TaskContext tc{s.name, s.prepared.get()};
    s.task->run(params, tc,
                [self = shared_from_this(), token, susp = std::move(susp)](TaskResult r) mutable {
                  if (!r.ok) {
                    self->Complete(token, std::move(r));
                    return;
                  }
                  self->SuspendAt(token, std::move(susp));
                });
    return FinishAsync(token);
  }

  // The resource of a callback task has run: persist the suspension, then report "waiting".
  void SuspendAt(std::uint64_t token, Suspension susp) {
    json::object snap;
    snap["v"] = 1;
    snap["state"] = Current().name;
    snap["data"] = pos_.data;
    json::array counts;
    for (int c : pos_.retry_counts) counts.push_back(c);
    snap["retry_counts"] = std::move(counts);
    snap["retry_total"] = pos_.retry_total;
    snap["entered"] = TimeValue(pos_.entered);
    snap["token"] = task_token_;
    snap["context"] = shared_->context_base;
    snap["name"] = shared_->options.name;
    snap["id"] = shared_->options.id;
    snap["state_machine_name"] = shared_->options.state_machine_name;
    snap["start_time"] = TimeValue(shared_->start_time);
    snap["execution_input"] = shared_->execution_input;
    if (shared_->execution_deadline) {
      snap["execution_deadline"] = TimeValue(*shared_->execution_deadline);
    }
    snap["transitions"] = shared_->transitions.load(std::memory_order_relaxed);
    susp.snapshot = std::move(snap);
    std::string arn = susp.execution;
    shared_->options.callbacks->Suspend(
        std::move(susp), [self = shared_from_this(), token, arn](const absl::Status& persisted) {
          if (!persisted.ok()) {
            self->Complete(token, TaskResult::Error("Store.Unavailable",
                                                    fmt::format("could not persist the wait: {}",
                                                                std::string(persisted.message()))));
            return;
          }
          self->Suspended(token, arn);
        });
  }

  void Suspended(std::uint64_t token, const std::string& arn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (token != token_ || settled_) return;
      settled_ = true;
    }
    if (!done_) return;
    ExecutionResult r;
    r.waiting = true;
    r.execution = arn;
    FrameDone done = std::move(done_);
    done_ = nullptr;
    std::move(done)(std::move(r));
  }

  // Collects branch / iteration results and resumes the parent once.
  struct Join {
    std::mutex mu;
    std::vector<json::value> results;
    std::size_t remaining = 0;
    bool failed = false;
    // Map only:
    std::vector<json::value> inputs;
    std::size_t next = 0;
    std::size_t running = 0;
    std::size_t max_running = 0;  // 0: unlimited
    bool pumping = false;
    const Machine* machine = nullptr;
    std::shared_ptr<CancelToken> cancel;
    std::uint64_t token = 0;
  };

  void ChildDone(const std::shared_ptr<Join>& join, std::size_t i, ExecutionResult r, bool is_map) {
    std::unique_lock<std::mutex> lock(join->mu);
    if (join->failed) return;
    if (!r.succeeded) {
      join->failed = true;
      join->cancel->cancelled.store(true, std::memory_order_release);
      lock.unlock();
      Complete(join->token,
               TaskResult::Error(std::move(r.failure.error), std::move(r.failure.cause)));
      return;
    }
    join->results[i] = std::move(r.output);
    --join->running;
    if (--join->remaining == 0) {
      json::array out;
      out.reserve(join->results.size());
      for (json::value& v : join->results) out.push_back(std::move(v));
      lock.unlock();
      Complete(join->token, TaskResult::Ok(std::move(out)));
      return;
    }
    lock.unlock();
    if (is_map) Pump(join);
  }

  void Pump(const std::shared_ptr<Join>& join) {
    std::unique_lock<std::mutex> lock(join->mu);
    if (join->pumping) return;
    join->pumping = true;
    while (!join->failed && join->next < join->inputs.size() &&
           (join->max_running == 0 || join->running < join->max_running)) {
      std::size_t i = join->next++;
      ++join->running;
      json::value input = std::move(join->inputs[i]);
      lock.unlock();
      auto child = std::make_shared<Frame>(shared_, join->machine, std::move(input), join->cancel,
                                           [self = shared_from_this(), join, i](ExecutionResult r) {
                                             self->ChildDone(join, i, std::move(r), true);
                                           });
      child->Start();
      lock.lock();
    }
    join->pumping = false;
  }

  StepResult StepParallel(const State& s, json::value* eff, const json::value* ctx) {
    Failure f;
    json::value input;
    if (s.parameters) {
      if (!EvaluateTemplate(*s.parameters, *eff, ctx, input, f)) return HandleError(std::move(f));
    } else {
      input = *eff;
    }
    auto join = std::make_shared<Join>();
    join->results.resize(s.branches.size());
    join->remaining = s.branches.size();
    join->running = s.branches.size();
    join->cancel = std::make_shared<CancelToken>();
    join->cancel->parent = cancel_;
    join->token = Begin();
    for (std::size_t i = 0; i < s.branches.size(); ++i) {
      auto child = std::make_shared<Frame>(
          shared_, s.branches[i].get(), i + 1 == s.branches.size() ? std::move(input) : input,
          join->cancel, [self = shared_from_this(), join, i](ExecutionResult r) {
            self->ChildDone(join, i, std::move(r), false);
          });
      child->Start();
      if (join->cancel->IsCancelled()) break;
    }
    return FinishAsync(join->token);
  }

  StepResult StepMap(const State& s, json::value* eff, const json::value* ctx) {
    Failure f;
    const json::value* items = eff;
    if (s.items_path) items = s.items_path->Find(*eff);
    if (items == nullptr || !items->is_array()) {
      return HandleError(
          RuntimeFailure(fmt::format("Map state \"{}\": ItemsPath '{}' must reference a JSON array",
                                     s.name, s.items_path ? s.items_path->text() : "$")));
    }
    const json::array& arr = items->get_array();
    auto join = std::make_shared<Join>();
    join->inputs.reserve(arr.size());
    json::value map_ctx = ctx ? *ctx : json::value(json::object());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (!s.item_selector) {
        join->inputs.push_back(arr[i]);
        continue;
      }
      json::object item;
      item["Index"] = static_cast<std::int64_t>(i);
      item["Value"] = arr[i];
      json::object m;
      m["Item"] = std::move(item);
      map_ctx.as_object()["Map"] = std::move(m);
      json::value v;
      if (!EvaluateTemplate(*s.item_selector, *eff, &map_ctx, v, f)) {
        return HandleError(std::move(f));
      }
      join->inputs.push_back(std::move(v));
    }
    if (arr.empty()) return ApplyResultFromAsync(s, json::array(), ctx);
    join->results.resize(arr.size());
    join->remaining = arr.size();
    join->max_running = static_cast<std::size_t>(s.max_concurrency);
    join->machine = s.iterator.get();
    join->cancel = std::make_shared<CancelToken>();
    join->cancel->parent = cancel_;
    join->token = Begin();
    Pump(join);
    return FinishAsync(join->token);
  }

  StepResult ApplyResultFromAsync(const State&, json::value result, const json::value*) {
    return OnAsyncResult(TaskResult::Ok(std::move(result)));
  }

  std::shared_ptr<Shared> shared_;
  const Machine* machine_;
  std::shared_ptr<CancelToken> cancel_;
  FrameDone done_;
  Position pos_;
  json::value context_;
  json::value params_;
  std::string task_token_;  // of the current callback task attempt

  std::mutex mu_;
  bool in_step_ = false;
  bool settled_ = false;
  std::uint64_t token_ = 0;
  std::optional<TaskResult> inline_result_;
};

}  // namespace

namespace {

// Fills `shared` for a new execution (or, with `snapshot`, a resumed one).
std::shared_ptr<Shared> MakeShared(std::shared_ptr<const Workflow> workflow,
                                   const json::value& input, ExecutionOptions options,
                                   const json::object* snapshot) {
  auto shared = std::make_shared<Shared>();
  shared->clock = options.clock ? options.clock : &common::Clock::Real();
  shared->scheduler = options.scheduler ? options.scheduler : &DefaultScheduler();
  const Machine& machine = workflow->machine();
  if (snapshot != nullptr) {
    auto str = [&](std::string_view key) {
      const json::value* v = snapshot->if_contains(key);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    options.name = str("name");
    options.id = str("id");
    if (std::string sm = str("state_machine_name"); !sm.empty()) options.state_machine_name = sm;
    if (const json::value* c = snapshot->if_contains("context"); c && c->is_object()) {
      shared->context_base = c->get_object();
    }
    if (const json::value* t = snapshot->if_contains("start_time")) {
      shared->start_time = TimeFrom(*t);
    }
    if (const json::value* d = snapshot->if_contains("execution_deadline")) {
      shared->execution_deadline = TimeFrom(*d);
    }
    if (const json::value* n = snapshot->if_contains("transitions"); n && n->is_int64()) {
      shared->transitions.store(n->get_int64());
    }
    if (const json::value* in = snapshot->if_contains("execution_input")) {
      shared->execution_input = *in;
    }
    shared->identity_ready = true;
  } else {
    shared->start_time = shared->clock->Now();
    if (machine.timeout_seconds) {
      shared->execution_deadline = shared->start_time + absl::Seconds(*machine.timeout_seconds);
    }
    if (workflow->uses_context()) shared->execution_input = input;
  }
  shared->workflow = std::move(workflow);
  shared->options = std::move(options);
  return shared;
}

// Creates the top-level frame, racing it against the state machine's TimeoutSeconds; `done`
// hears from whichever ends first.
std::shared_ptr<Frame> MakeTopFrame(const std::shared_ptr<Shared>& shared, json::value input,
                                    ExecutionCallback done) {
  auto cancel = std::make_shared<CancelToken>();
  struct Once {
    std::atomic<bool> fired{false};
    ExecutionCallback done;
  };
  auto once = std::make_shared<Once>();
  once->done = std::move(done);
  if (shared->execution_deadline) {
    shared->scheduler->RunAt(*shared->execution_deadline, [once, cancel] {
      if (once->fired.exchange(true)) return;
      cancel->cancelled.store(true);
      ExecutionResult r;
      r.failure = {std::string(kErrorTimeout),
                   "The execution did not finish within the state machine's TimeoutSeconds"};
      std::move(once->done)(std::move(r));
    });
  }
  return std::make_shared<Frame>(shared, &shared->workflow->machine(), std::move(input), cancel,
                                 [once, shared](ExecutionResult r) {
                                   if (once->fired.exchange(true)) return;
                                   r.transitions =
                                       shared->transitions.load(std::memory_order_relaxed);
                                   std::move(once->done)(std::move(r));
                                 });
}

}  // namespace

void Execute(std::shared_ptr<const Workflow> workflow, json::value input, ExecutionOptions options,
             ExecutionCallback done) {
  std::shared_ptr<Shared> shared =
      MakeShared(std::move(workflow), input, std::move(options), nullptr);
  MakeTopFrame(shared, std::move(input), std::move(done))->Start();
}

void Resume(std::shared_ptr<const Workflow> workflow, const json::value& snapshot,
            TaskResult result, ExecutionOptions options, ExecutionCallback done) {
  auto fail = [&](std::string cause) {
    ExecutionResult r;
    r.failure = {std::string(kErrorRuntime), std::move(cause)};
    std::move(done)(std::move(r));
  };
  if (!snapshot.is_object()) return fail("the saved execution is not a JSON object");
  const json::object& o = snapshot.get_object();
  const json::value* state = o.if_contains("state");
  const Machine& machine = workflow->machine();
  int index = -1;
  for (std::size_t i = 0; state && state->is_string() && i < machine.states.size(); ++i) {
    if (machine.states[i].name == state->get_string()) index = static_cast<int>(i);
  }
  if (index < 0 || !machine.states[static_cast<std::size_t>(index)].wait_for_task_token) {
    return fail(fmt::format(
        "the saved execution waits in state {}, which is not a .waitForTaskToken task of this "
        "workflow",
        state && state->is_string() ? json::serialize(*state) : std::string("(none)")));
  }
  std::shared_ptr<Shared> shared = MakeShared(std::move(workflow), {}, std::move(options), &o);
  const json::value* data = o.if_contains("data");
  MakeTopFrame(shared, data ? *data : json::value(json::object()), std::move(done))
      ->ResumeAt(index, snapshot, std::move(result));
}

ExecutionResult ExecuteAndWait(std::shared_ptr<const Workflow> workflow, json::value input,
                               ExecutionOptions options) {
  absl::Notification finished;
  ExecutionResult result;
  Execute(std::move(workflow), std::move(input), std::move(options), [&](ExecutionResult r) {
    result = std::move(r);
    finished.Notify();
  });
  finished.WaitForNotification();
  return result;
}

}  // namespace ingestd::workflow
