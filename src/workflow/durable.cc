// Durable executions over store::Store execution records. One record per execution that ever
// waited (or was started with record=true), keyed by its ARN:
//
//   status WAITING   parked at a callback task: body has the engine's snapshot, the token,
//                    the task's parameters and deadlines
//   status RESUMING  a decision won the race (it is in the body); the execution runs in memory
//                    until its next durable point. Replayed at startup after a crash.
//   SUCCEEDED | FAILED | TIMED_OUT   ended: output or error/cause
//
// Every transition is a conditional write on the record's version, so exactly one decision
// per wait wins, in this process or any other sharing the store.
#include "workflow/durable.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "absl/strings/cord.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/time_format.h"
#include "store/store.h"

namespace ingestd::workflow {
namespace json = boost::json;

namespace {

constexpr std::string_view kAwsTypeUrl = "type.ingestd/aws-error-type";
constexpr std::string_view kWaiting = "WAITING";
constexpr std::string_view kResuming = "RESUMING";
constexpr std::size_t kMaxNameLength = 80;
constexpr std::size_t kTokenSecretHex = 32;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

json::value TimeJson(absl::Time t) { return absl::ToUnixMicros(t); }
std::optional<absl::Time> TimeOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  return absl::FromUnixMicros(v->get_int64());
}
std::string StringOf(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The public status of a record's status.
std::string PublicStatus(std::string_view status) {
  if (status == kWaiting || status == kResuming) return "RUNNING";
  return std::string(status);
}

absl::Status TaskTimedOut(std::string_view why) {
  return AwsError(absl::StatusCode::kFailedPrecondition, "TaskTimedOut", why);
}
absl::Status TaskDoesNotExist() {
  return AwsError(absl::StatusCode::kNotFound, "TaskDoesNotExist",
                  "Task does not exist anymore or the token is unknown");
}
absl::Status StoreTrouble(const absl::Status& s) {
  return AwsError(absl::StatusCode::kUnavailable, "ServiceUnavailable",
                  fmt::format("the store failed: {}", std::string(s.message())));
}

}  // namespace

std::string AwsErrorType(const absl::Status& status) {
  auto p = status.GetPayload(std::string(kAwsTypeUrl));
  return p ? std::string(*p) : std::string();
}

absl::Status AwsError(absl::StatusCode code, std::string_view aws_type, std::string_view message) {
  absl::Status s(code, std::string(message));
  s.SetPayload(std::string(kAwsTypeUrl), absl::Cord(std::string(aws_type)));
  return s;
}

// A decision on a waiting task: the result the callback task completes with.
struct Decision {
  TaskResult result;
  json::value ToJson() const {
    json::object o;
    o["ok"] = result.ok;
    if (result.ok) {
      o["output"] = result.output;
    } else {
      o["error"] = result.failure.error;
      o["cause"] = result.failure.cause;
    }
    return o;
  }
  static Decision FromJson(const json::value& v) {
    const json::object* o = v.if_object();
    if (o == nullptr) return {TaskResult::Error(std::string(kErrorRuntime), "lost decision")};
    const json::value* ok = o->if_contains("ok");
    if (ok != nullptr && ok->is_bool() && ok->get_bool()) {
      const json::value* out = o->if_contains("output");
      return {TaskResult::Ok(out ? *out : json::value(json::object()))};
    }
    return {TaskResult::Error(StringOf(*o, "error"), StringOf(*o, "cause"))};
  }
};

class DurableExecutions::Impl : public CallbackSink, public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(DurableOptions options) : options_(std::move(options)) {
    clock_ = options_.clock ? options_.clock : &common::Clock::Real();
    scheduler_ = options_.scheduler ? options_.scheduler : &DefaultScheduler();
    current_hash_ = common::Sha256Hex(options_.definition_text);
    compiled_[current_hash_] = options_.workflow;
  }

  // ----- naming --------------------------------------------------------------------------
  std::string ExecutionArn(std::string_view name) const {
    return fmt::format("arn:aws:states:{}:{}:execution:{}:{}", options_.region, options_.account,
                       options_.state_machine_name, name);
  }
  std::string StateMachineArn() const {
    return fmt::format("arn:aws:states:{}:{}:stateMachine:{}", options_.region, options_.account,
                       options_.state_machine_name);
  }

  ExecutionOptions Defaults() {
    ExecutionOptions o;
    o.state_machine_name = options_.state_machine_name;
    o.region = options_.region;
    o.account = options_.account;
    o.clock = clock_;
    o.scheduler = scheduler_;
    o.callbacks = this;
    return o;
  }

  // The execution name a token names, or InvalidToken.
  static absl::StatusOr<std::string> NameOfToken(std::string_view token) {
    std::size_t dot = token.rfind('.');
    if (dot == std::string_view::npos || token.size() - dot - 1 != kTokenSecretHex ||
        !ValidName(token.substr(0, dot))) {
      return AwsError(absl::StatusCode::kInvalidArgument, "InvalidToken",
                      "Invalid Token: the task token is malformed");
    }
    for (char c : token.substr(dot + 1)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return AwsError(absl::StatusCode::kInvalidArgument, "InvalidToken",
                        "Invalid Token: the task token is malformed");
      }
    }
    return std::string(token.substr(0, dot));
  }

  // ----- CallbackSink --------------------------------------------------------------------
  void Suspend(Suspension s, absl::AnyInvocable<void(absl::Status) &&> persisted) override {
    std::int64_t expected = TakeVersion(s.execution);
    json::object body;
    body["name"] = s.name;
    body["arn"] = s.execution;
    body["state_machine_arn"] = StateMachineArn();
    body["start"] = TimeJson(s.start_time);
    body["input"] = s.execution_input;
    body["definition_hash"] = current_hash_;
    body["definition"] = options_.definition_text;
    body["token"] = s.token;
    body["task_state"] = s.state;
    body["task_input"] = TaskInput(s.parameters, s.token);
    absl::Time now = clock_->Now();
    body["created_at"] = TimeJson(now);
    if (s.task_deadline) body["task_deadline"] = TimeJson(*s.task_deadline);
    if (s.heartbeat_seconds) {
      body["heartbeat_seconds"] = *s.heartbeat_seconds;
      body["heartbeat_deadline"] = TimeJson(now + absl::Seconds(*s.heartbeat_seconds));
    }
    if (s.execution_deadline) body["execution_deadline"] = TimeJson(*s.execution_deadline);
    body["snapshot"] = std::move(s.snapshot);
    store::ExecutionRecord record;
    record.arn = s.execution;
    record.status = std::string(kWaiting);
    record.body = json::serialize(body);
    options_.store->PutExecution(
        std::move(record), expected,
        [self = shared_from_this(), body = std::move(body),
         persisted = std::move(persisted)](absl::StatusOr<store::ExecutionRecord> r) mutable {
          if (!r.ok()) {
            std::move(persisted)(r.status());
            return;
          }
          self->ScheduleDeadline(r->arn, body);
          if (self->options_.on_pending) self->options_.on_pending(self->Pending(r->arn, body));
          std::move(persisted)(absl::OkStatus());
        });
  }

  // ----- decisions -----------------------------------------------------------------------
  enum class Origin { kToken, kAdmin, kTimer };

  // Claims the wait of execution `arn` (matching `token` unless empty) with `decision`, then
  // resumes it. `claimed` runs once the claim is durable (or failed); `finished` (optional)
  // once the resumed execution reached its next durable point.
  void DecideOn(const std::string& arn, std::string token, Decision decision, Origin origin,
                StatusCallback claimed, DescribeCallback finished) {
    options_.store->GetExecution(
        arn,
        [self = shared_from_this(), arn, token = std::move(token), decision = std::move(decision),
         origin, claimed = std::move(claimed), finished = std::move(finished)](
            absl::StatusOr<std::optional<store::ExecutionRecord>> got) mutable {
          auto refuse = [&](const absl::Status& s) {
            std::move(claimed)(s);
            if (finished) std::move(finished)(s);
          };
          if (!got.ok()) return refuse(StoreTrouble(got.status()));
          if (!got->has_value()) {
            return refuse(origin == Origin::kAdmin
                              ? AwsError(absl::StatusCode::kNotFound, "ExecutionDoesNotExist",
                                         "no such approval")
                              : TaskDoesNotExist());
          }
          store::ExecutionRecord rec = **std::move(got);
          json::value parsed = json::parse(rec.body);
          json::object& body = parsed.as_object();
          if (!token.empty() && StringOf(body, "token") != token) {
            // A token of this execution that is not the current one: an earlier attempt.
            return refuse(rec.status == kWaiting ? TaskDoesNotExist()
                                                 : TaskTimedOut("Task Timed Out: the task "
                                                                "has already ended"));
          }
          if (rec.status != kWaiting) {
            return refuse(TaskTimedOut(
                "Task Timed Out: the task has already ended (it was decided or timed out)"));
          }
          body["decision"] = decision.ToJson();
          body["decided_at"] = TimeJson(self->clock_->Now());
          const std::int64_t version = rec.version;
          rec.status = std::string(kResuming);
          rec.body = json::serialize(body);
          self->options_.store->PutExecution(
              std::move(rec), version,
              [self, body = std::move(body), decision = std::move(decision),
               claimed = std::move(claimed),
               finished = std::move(finished)](absl::StatusOr<store::ExecutionRecord> put) mutable {
                if (!put.ok()) {
                  absl::Status s = put.status().code() == absl::StatusCode::kAborted
                                       ? TaskTimedOut(
                                             "Task Timed Out: another decision on this "
                                             "task came first")
                                       : StoreTrouble(put.status());
                  std::move(claimed)(s);
                  if (finished) std::move(finished)(s);
                  return;
                }
                std::move(claimed)(absl::OkStatus());
                self->RunResume(put->arn, put->version, body, std::move(decision.result),
                                std::move(finished));
              });
        });
  }

  // Continues a claimed execution in memory until its next durable point.
  void RunResume(const std::string& arn, std::int64_t version, const json::object& body,
                 TaskResult result, DescribeCallback finished) {
    absl::StatusOr<std::shared_ptr<const Workflow>> wf = WorkflowFor(body);
    BeginInflight();
    if (!wf.ok()) {
      ExecutionResult r;
      r.failure = {std::string(kErrorRuntime), std::string(wf.status().message())};
      return Finished(arn, version, body, std::move(r), std::move(finished));
    }
    SetVersion(arn, version);
    const json::value* snapshot = body.if_contains("snapshot");
    Resume(*std::move(wf), snapshot ? *snapshot : json::value(), std::move(result), Defaults(),
           [self = shared_from_this(), arn, version, body,
            finished = std::move(finished)](ExecutionResult r) mutable {
             self->Finished(arn, version, body, std::move(r), std::move(finished));
           });
  }

  // The resumed (or recorded) execution reached a durable point: waiting again (Suspend wrote
  // the record), or ended (write the outcome).
  void Finished(const std::string& arn, std::int64_t version, const json::object& body,
                ExecutionResult r, DescribeCallback finished) {
    if (r.waiting) {
      Describe(arn, std::move(finished));
      EndInflight();
      return;
    }
    std::int64_t expected = TakeVersion(arn);
    if (expected == 0) expected = version;
    json::object out;
    for (std::string_view k : {"name", "arn", "state_machine_arn", "start", "input"}) {
      if (const json::value* v = body.if_contains(k)) out[k] = *v;
    }
    out["stop"] = TimeJson(clock_->Now());
    std::string status;
    if (r.succeeded) {
      status = "SUCCEEDED";
      out["output"] = std::move(r.output);
    } else {
      std::optional<absl::Time> deadline = TimeOf(body, "execution_deadline");
      status = r.failure.error == kErrorTimeout && deadline && *deadline <= clock_->Now()
                   ? "TIMED_OUT"
                   : "FAILED";
      out["error"] = r.failure.error;
      out["cause"] = r.failure.cause;
    }
    out["status"] = status;
    std::optional<absl::Time> start = TimeOf(body, "start");
    const absl::Duration took = start ? clock_->Now() - *start : absl::ZeroDuration();
    store::ExecutionRecord rec;
    rec.arn = arn;
    rec.status = status;
    rec.body = json::serialize(out);
    options_.store->PutExecution(
        std::move(rec), expected,
        [self = shared_from_this(), r = std::move(r), took,
         finished = std::move(finished)](absl::StatusOr<store::ExecutionRecord> put) mutable {
          // Reported once the outcome is durable: a Describe after
          // it sees the end.
          if (put.ok() && self->options_.on_finished) {
            self->options_.on_finished(r, took);
          }
          if (!put.ok()) {
            spdlog::warn("could not record the end of execution: {}",
                         std::string(put.status().message()));
            if (finished) std::move(finished)(StoreTrouble(put.status()));
          } else if (finished) {
            std::move(finished)(self->Describe(*put));
          }
          self->EndInflight();
        });
  }

  // ----- deadlines -----------------------------------------------------------------------
  static std::optional<absl::Time> EarliestDeadline(const json::object& body) {
    std::optional<absl::Time> best;
    for (std::string_view k : {"task_deadline", "heartbeat_deadline", "execution_deadline"}) {
      std::optional<absl::Time> t = TimeOf(body, k);
      if (t && (!best || *t < *best)) best = t;
    }
    return best;
  }

  void ScheduleDeadline(const std::string& arn, const json::object& body) {
    std::optional<absl::Time> when = EarliestDeadline(body);
    if (!when) return;
    std::weak_ptr<Impl> weak = weak_from_this();
    scheduler_->RunAt(*when, [weak, arn, token = StringOf(body, "token")] {
      if (std::shared_ptr<Impl> self = weak.lock()) self->OnDeadline(arn, token);
    });
  }

  // A deadline timer fired: re-read the record (a heartbeat may have moved the deadline) and
  // time the task or execution out when its deadline really passed.
  void OnDeadline(const std::string& arn, const std::string& token) {
    if (closed_.load()) return;
    options_.store->GetExecution(
        arn, [self = shared_from_this(), arn,
              token](absl::StatusOr<std::optional<store::ExecutionRecord>> got) {
          if (!got.ok() || !got->has_value()) return;
          const store::ExecutionRecord& rec = **got;
          if (rec.status != kWaiting) return;
          json::value parsed = json::parse(rec.body);
          const json::object& body = parsed.as_object();
          if (StringOf(body, "token") != token) return;
          absl::Time now = self->clock_->Now();
          auto passed = [&](std::string_view k) {
            std::optional<absl::Time> t = TimeOf(body, k);
            return t && *t <= now;
          };
          std::optional<Decision> d;
          if (passed("execution_deadline")) {
            d = Decision{TaskResult::Error(std::string(kErrorTimeout),
                                           "The execution did not finish within the state "
                                           "machine's TimeoutSeconds")};
            // Not resumable: the whole execution is over.
            return self->TimeOutExecution(rec, body);
          }
          // When both passed (the process was down), the one that passed first counts.
          std::optional<absl::Time> task = TimeOf(body, "task_deadline");
          std::optional<absl::Time> beat = TimeOf(body, "heartbeat_deadline");
          if (passed("task_deadline") && !(passed("heartbeat_deadline") && *beat < *task)) {
            d = Decision{TaskResult::Error(std::string(kErrorTimeout),
                                           "The callback task was not decided within its "
                                           "TimeoutSeconds")};
          } else if (passed("heartbeat_deadline")) {
            d = Decision{TaskResult::Error(std::string(kErrorHeartbeatTimeout),
                                           "No heartbeat arrived within HeartbeatSeconds")};
          }
          if (!d) {  // moved by a heartbeat: wait for the new deadline
            self->ScheduleDeadline(arn, body);
            return;
          }
          self->DecideOn(
              arn, token, *std::move(d), Origin::kTimer, [](const absl::Status&) {}, nullptr);
        });
  }

  void TimeOutExecution(store::ExecutionRecord rec, json::object body) {
    body["decision"] = Decision{TaskResult::Error(std::string(kErrorTimeout), "")}.ToJson();
    const std::int64_t version = rec.version;
    ExecutionResult r;
    r.failure = {std::string(kErrorTimeout),
                 "The execution did not finish within the state machine's TimeoutSeconds"};
    BeginInflight();
    rec.status = std::string(kResuming);
    rec.body = json::serialize(body);
    options_.store->PutExecution(
        std::move(rec), version,
        [self = shared_from_this(), body, r](absl::StatusOr<store::ExecutionRecord> put) mutable {
          if (!put.ok()) return self->EndInflight();
          self->Finished(put->arn, put->version, body, std::move(r), nullptr);  // ends it
        });
  }

  // ----- heartbeat -----------------------------------------------------------------------
  void Heartbeat(const std::string& token, StatusCallback done) {
    absl::StatusOr<std::string> name = NameOfToken(token);
    if (!name.ok()) return std::move(done)(name.status());
    std::string arn = ExecutionArn(*name);
    options_.store->GetExecution(
        arn, [self = shared_from_this(), token, done = std::move(done)](
                 absl::StatusOr<std::optional<store::ExecutionRecord>> got) mutable {
          if (!got.ok()) return std::move(done)(StoreTrouble(got.status()));
          if (!got->has_value()) return std::move(done)(TaskDoesNotExist());
          store::ExecutionRecord rec = **std::move(got);
          json::value parsed = json::parse(rec.body);
          json::object& body = parsed.as_object();
          if (StringOf(body, "token") != token) {
            return std::move(done)(rec.status == kWaiting ? TaskDoesNotExist()
                                                          : TaskTimedOut("Task Timed Out"));
          }
          if (rec.status != kWaiting) {
            return std::move(done)(TaskTimedOut("Task Timed Out: the task has already ended"));
          }
          const json::value* hb = body.if_contains("heartbeat_seconds");
          if (hb == nullptr || !hb->is_number()) return std::move(done)(absl::OkStatus());
          absl::Time next = self->clock_->Now() + absl::Seconds(hb->to_number<double>());
          body["heartbeat_deadline"] = TimeJson(next);
          const std::int64_t version = rec.version;
          rec.body = json::serialize(body);
          self->options_.store->PutExecution(
              std::move(rec), version,
              [self, body,
               done = std::move(done)](absl::StatusOr<store::ExecutionRecord> put) mutable {
                if (!put.ok()) {
                  return std::move(done)(put.status().code() == absl::StatusCode::kAborted
                                             ? TaskTimedOut("Task Timed Out: the task ended "
                                                            "meanwhile")
                                             : StoreTrouble(put.status()));
                }
                self->ScheduleDeadline(put->arn, body);
                std::move(done)(absl::OkStatus());
              });
        });
  }

  // ----- reading -------------------------------------------------------------------------
  static ExecutionDescription Describe(const store::ExecutionRecord& rec) {
    ExecutionDescription d;
    json::value parsed = json::parse(rec.body);
    const json::object& body = parsed.as_object();
    d.arn = rec.arn;
    d.name = StringOf(body, "name");
    d.state_machine_arn = StringOf(body, "state_machine_arn");
    d.status = PublicStatus(rec.status);
    d.start_date = TimeOf(body, "start").value_or(rec.updated_at);
    d.stop_date = TimeOf(body, "stop");
    if (const json::value* in = body.if_contains("input")) d.input = json::serialize(*in);
    if (const json::value* out = body.if_contains("output")) d.output = json::serialize(*out);
    if (body.contains("error")) d.error = StringOf(body, "error");
    if (body.contains("cause")) d.cause = StringOf(body, "cause");
    return d;
  }

  void Describe(std::string arn, DescribeCallback done) {
    if (!done) return;
    options_.store->GetExecution(
        std::move(arn), [self = shared_from_this(), done = std::move(done)](
                            absl::StatusOr<std::optional<store::ExecutionRecord>> got) mutable {
          if (!got.ok()) return std::move(done)(StoreTrouble(got.status()));
          if (!got->has_value()) {
            return std::move(done)(AwsError(absl::StatusCode::kNotFound, "ExecutionDoesNotExist",
                                            "Execution Does Not Exist"));
          }
          std::move(done)(self->Describe(**got));
        });
  }

  static PendingTask Pending(const std::string& arn, const json::object& body) {
    PendingTask t;
    t.id = StringOf(body, "name");
    t.task_token = StringOf(body, "token");
    t.execution = arn;
    t.state = StringOf(body, "task_state");
    if (const json::value* in = body.if_contains("task_input")) t.input = *in;
    t.created_at = TimeOf(body, "created_at").value_or(absl::UnixEpoch());
    t.expires_at = EarliestDeadline(body);
    return t;
  }

  // The task's parameters as the admin sees them: without the token itself.
  static json::value TaskInput(const json::value& params, const std::string& token) {
    if (!params.is_object()) return params;
    json::object o;
    for (const auto& kv : params.get_object()) {
      if (kv.value().is_string() && kv.value().get_string() == token) continue;
      o[kv.key()] = kv.value();
    }
    return o;
  }

  // ----- recovery ------------------------------------------------------------------------
  absl::Status Recover() {
    for (std::string_view status : {kWaiting, kResuming}) {
      std::string cursor;
      while (true) {
        absl::Notification n;
        absl::StatusOr<store::ExecutionPage> page;
        options_.store->ScanExecutions(
            {.status = std::string(status), .limit = 1000, .cursor = cursor},
            [&](absl::StatusOr<store::ExecutionPage> p) {
              page = std::move(p);
              n.Notify();
            });
        n.WaitForNotification();
        if (!page.ok()) return page.status();
        for (store::ExecutionRecord& rec : page->records) {
          json::error_code ec;
          json::value parsed = json::parse(rec.body, ec);
          if (ec || !parsed.is_object()) {
            spdlog::warn("execution {}: unreadable record; left alone", rec.arn);
            continue;
          }
          json::object& body = parsed.as_object();
          if (rec.status == kWaiting) {
            ++recovered_waiting_;
            ScheduleDeadline(rec.arn, body);
          } else {
            ++recovered_resuming_;
            const json::value* d = body.if_contains("decision");
            RunResume(rec.arn, rec.version, body, Decision::FromJson(d ? *d : json::value()).result,
                      nullptr);
          }
        }
        if (!page->next_cursor) break;
        cursor = *page->next_cursor;
      }
    }
    if (recovered_waiting_ + recovered_resuming_ > 0) {
      spdlog::info("durable executions: {} waiting, {} decided but unfinished (replayed)",
                   recovered_waiting_, recovered_resuming_);
    }
    return absl::OkStatus();
  }

  void Close() {
    closed_.store(true);
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait_for(lock, std::chrono::seconds(10), [&] { return inflight_ == 0; });
  }

  void BeginInflight() {
    std::lock_guard<std::mutex> lock(mu_);
    ++inflight_;
  }
  void EndInflight() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--inflight_ == 0) idle_.notify_all();
  }

  DurableOptions options_;
  const common::Clock* clock_ = nullptr;
  Scheduler* scheduler_ = nullptr;

 private:
  absl::StatusOr<std::shared_ptr<const Workflow>> WorkflowFor(const json::object& body) {
    std::string hash = StringOf(body, "definition_hash");
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = compiled_.find(hash); it != compiled_.end()) return it->second;
    if (options_.registry == nullptr) {
      return absl::FailedPreconditionError(
          "the execution started with another workflow definition, and no task registry is "
          "available to compile it");
    }
    absl::StatusOr<std::shared_ptr<const Workflow>> wf =
        CompileText(StringOf(body, "definition"), *options_.registry);
    if (wf.ok()) compiled_[hash] = *wf;
    return wf;
  }

  void SetVersion(const std::string& arn, std::int64_t version) {
    std::lock_guard<std::mutex> lock(mu_);
    versions_[arn] = version;
  }
  // The version of `arn`'s record while it runs resumed in memory (0: never written).
  std::int64_t TakeVersion(const std::string& arn) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = versions_.find(arn);
    if (it == versions_.end()) return 0;
    std::int64_t v = it->second;
    versions_.erase(it);
    return v;
  }
  std::mutex mu_;
  std::condition_variable idle_;
  int inflight_ = 0;
  std::map<std::string, std::int64_t> versions_;
  std::map<std::string, std::shared_ptr<const Workflow>> compiled_;
  std::string current_hash_;
  std::atomic<bool> closed_{false};
  int recovered_waiting_ = 0;
  int recovered_resuming_ = 0;
};

// ----- DurableExecutions -------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<DurableExecutions>> DurableExecutions::Open(DurableOptions options) {
  if (options.store == nullptr || options.workflow == nullptr) {
    return absl::InvalidArgumentError("durable executions need a store and a workflow");
  }
  if (!ValidName(options.state_machine_name)) {
    return absl::InvalidArgumentError(
        fmt::format("state machine name \"{}\": use 1-80 letters, digits, '-' or '_'",
                    options.state_machine_name));
  }
  auto impl = std::make_shared<Impl>(std::move(options));
  if (absl::Status s = impl->Recover(); !s.ok()) {
    return absl::Status(s.code(),
                        fmt::format("recovering durable executions: {}", std::string(s.message())));
  }
  std::unique_ptr<DurableExecutions> out(new DurableExecutions(nullptr));
  out->impl_ = std::move(impl);
  return out;
}

DurableExecutions::DurableExecutions(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DurableExecutions::~DurableExecutions() { Close(); }

ExecutionOptions DurableExecutions::ExecutionDefaults() { return impl_->Defaults(); }
std::string DurableExecutions::ExecutionArn(std::string_view name) const {
  return impl_->ExecutionArn(name);
}
std::string DurableExecutions::StateMachineArn() const { return impl_->StateMachineArn(); }

void DurableExecutions::Start(json::value input, std::string name, bool record,
                              StartCallback done) {
  if (name.empty()) {
    name = common::RandomUuid();
  } else if (!ValidName(name)) {
    return std::move(done)(AwsError(absl::StatusCode::kInvalidArgument, "InvalidName",
                                    "Invalid Name: use 1-80 letters, digits, '-' or '_'"));
  }
  if (json::object* o = input.if_object()) {
    for (const auto& kv : impl_->options_.start_defaults) {
      if (!o->contains(kv.key())) (*o)[kv.key()] = kv.value();
    }
  }
  std::shared_ptr<Impl> impl = impl_;
  auto reply = std::make_shared<StartCallback>(std::move(done));
  auto run = [impl, input = std::move(input), name, record, reply]() mutable {
    ExecutionOptions options = impl->Defaults();
    options.name = name;
    options.id = impl->ExecutionArn(name);
    const absl::Time start = impl->clock_->Now();
    json::object body;
    if (record) {
      body["name"] = name;
      body["arn"] = options.id;
      body["state_machine_arn"] = impl->StateMachineArn();
      body["start"] = TimeJson(start);
      body["input"] = input;
    }
    Execute(impl->options_.workflow, std::move(input), std::move(options),
            [impl, record, start, arn = impl->ExecutionArn(name), body = std::move(body),
             reply](ExecutionResult r) mutable {
              StartResult out{arn, start, {}};
              if (r.waiting || !record) {
                out.result = std::move(r);
                return std::move(*reply)(std::move(out));
              }
              // Record the outcome (so DescribeExecution finds it), then answer.
              ExecutionResult copy = r;
              out.result = std::move(r);
              impl->BeginInflight();
              impl->Finished(arn, 0, body, std::move(copy),
                             [out = std::move(out),
                              reply](const absl::StatusOr<ExecutionDescription>& d) mutable {
                               if (!d.ok()) return std::move(*reply)(d.status());
                               std::move (*reply)(std::move(out));
                             });
            });
  };
  if (!record) return run();
  // A recorded execution's name must be new.
  impl->options_.store->GetExecution(
      impl->ExecutionArn(name),
      [run = std::move(run),
       reply](absl::StatusOr<std::optional<store::ExecutionRecord>> got) mutable {
        if (got.ok() && !got->has_value()) return run();
        std::move (*reply)(got.ok() ? AwsError(absl::StatusCode::kAlreadyExists,
                                               "ExecutionAlreadyExists", "Execution Already Exists")
                                    : StoreTrouble(got.status()));
      });
}

void DurableExecutions::SendTaskSuccess(std::string token, json::value output,
                                        StatusCallback done) {
  absl::StatusOr<std::string> name = Impl::NameOfToken(token);
  if (!name.ok()) return std::move(done)(name.status());
  impl_->DecideOn(impl_->ExecutionArn(*name), std::move(token),
                  Decision{TaskResult::Ok(std::move(output))}, Impl::Origin::kToken,
                  std::move(done), nullptr);
}

void DurableExecutions::SendTaskFailure(std::string token, std::string error, std::string cause,
                                        StatusCallback done) {
  absl::StatusOr<std::string> name = Impl::NameOfToken(token);
  if (!name.ok()) return std::move(done)(name.status());
  impl_->DecideOn(impl_->ExecutionArn(*name), std::move(token),
                  Decision{TaskResult::Error(std::move(error), std::move(cause))},
                  Impl::Origin::kToken, std::move(done), nullptr);
}

void DurableExecutions::SendTaskHeartbeat(const std::string& token, StatusCallback done) {
  impl_->Heartbeat(token, std::move(done));
}

void DurableExecutions::Decide(const std::string& id, bool approve, const std::string& comment,
                               DescribeCallback done) {
  if (!ValidName(id)) {
    return std::move(done)(
        AwsError(absl::StatusCode::kNotFound, "ExecutionDoesNotExist", "no such approval"));
  }
  Decision d;
  if (approve) {
    json::object out;
    out["approved"] = true;
    if (!comment.empty()) out["comment"] = comment;
    d.result = TaskResult::Ok(std::move(out));
  } else {
    d.result = TaskResult::Error("Approval.Rejected",
                                 comment.empty() ? "rejected by an administrator" : comment);
  }
  impl_->DecideOn(
      impl_->ExecutionArn(id), "", std::move(d), Impl::Origin::kAdmin, [](const absl::Status&) {},
      std::move(done));
}

void DurableExecutions::Describe(std::string arn, DescribeCallback done) {
  if (!arn.starts_with("arn:aws:states:") || arn.find(":execution:") == std::string::npos) {
    return std::move(done)(AwsError(absl::StatusCode::kInvalidArgument, "InvalidArn",
                                    "Invalid Arn: not an execution ARN"));
  }
  impl_->Describe(std::move(arn), std::move(done));
}

void DurableExecutions::List(ListExecutionsRequest request, ListCallback done) {
  const std::string& f = request.status_filter;
  if (!(f.empty() || f == "RUNNING" || f == "SUCCEEDED" || f == "FAILED" || f == "TIMED_OUT" ||
        f == "ABORTED")) {
    return std::move(done)(
        AwsError(absl::StatusCode::kInvalidArgument, "ValidationException",
                 "statusFilter must be one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED"));
  }
  if (request.max_results < 1 || request.max_results > 1000) {
    return std::move(done)(AwsError(absl::StatusCode::kInvalidArgument, "ValidationException",
                                    "maxResults must be between 1 and 1000"));
  }
  // RUNNING covers two stored states, so that filter scans everything and keeps some.
  std::string stored = f == "RUNNING" ? std::string() : f;
  impl_->options_.store->ScanExecutions(
      {.status = stored, .limit = request.max_results, .cursor = std::move(request.next_token)},
      [impl = impl_, filter = f,
       done = std::move(done)](absl::StatusOr<store::ExecutionPage> page) mutable {
        if (!page.ok()) {
          return std::move(done)(page.status().code() == absl::StatusCode::kInvalidArgument
                                     ? AwsError(absl::StatusCode::kInvalidArgument, "InvalidToken",
                                                "Invalid Token: nextToken is not valid")
                                     : StoreTrouble(page.status()));
        }
        ListExecutionsPage out;
        for (const store::ExecutionRecord& rec : page->records) {
          if (!filter.empty() && PublicStatus(rec.status) != filter) continue;
          ExecutionDescription d = impl->Describe(rec);
          d.input.clear();
          d.output.reset();
          out.executions.push_back(std::move(d));
        }
        out.next_token = std::move(page->next_cursor);
        std::move(done)(std::move(out));
      });
}

void DurableExecutions::ListPending(std::size_t limit, std::string next_token,
                                    PendingCallback done) {
  impl_->options_.store->ScanExecutions(
      {.status = std::string(kWaiting), .limit = limit, .cursor = std::move(next_token)},
      [impl = impl_, done = std::move(done)](absl::StatusOr<store::ExecutionPage> page) mutable {
        if (!page.ok()) {
          return std::move(done)(page.status().code() == absl::StatusCode::kInvalidArgument
                                     ? page.status()
                                     : StoreTrouble(page.status()));
        }
        PendingPage out;
        for (const store::ExecutionRecord& rec : page->records) {
          json::error_code ec;
          json::value parsed = json::parse(rec.body, ec);
          if (ec || !parsed.is_object()) continue;
          out.tasks.push_back(impl->Pending(rec.arn, parsed.as_object()));
        }
        out.next_token = std::move(page->next_cursor);
        std::move(done)(std::move(out));
      });
}

void DurableExecutions::Close() {
  if (impl_) impl_->Close();
}

}  // namespace ingestd::workflow
