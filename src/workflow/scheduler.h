// Timers for Wait states, Retry intervals and task timeouts. The engine never sleeps or blocks:
// it asks a Scheduler to run a continuation at a time of a common::Clock.
//
//   ManualClock clock(absl::UnixEpoch());
//   ManualScheduler scheduler(&clock);
//   Execute(wf, input, {.clock = &clock, .scheduler = &scheduler}, done);
//   while (scheduler.AdvanceToNext()) {}   // virtual time: runs every due timer
//
// Thread-safety: both implementations may be called from any thread.
#ifndef INGESTD_WORKFLOW_SCHEDULER_H_
#define INGESTD_WORKFLOW_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ingestd::workflow {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `fn` once, at or after `when` (by the scheduler's clock), on a scheduler thread or,
  // for ManualScheduler, on the thread that advances it. Never inline in the caller.
  virtual void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) = 0;
};

// One background thread serving every timer, by the real clock.
class TimerThreadScheduler final : public Scheduler {
 public:
  TimerThreadScheduler();
  // Stops the thread; timers not yet due are dropped.
  ~TimerThreadScheduler() override;
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) override;

 private:
  void Loop();
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::uint64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::multimap<absl::Time, absl::AnyInvocable<void() &&>> timers_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// The process-wide TimerThreadScheduler, started on first use, never destroyed.
Scheduler& DefaultScheduler();

// Timers driven by hand against a ManualClock: tests and the golden-case runner.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(common::ManualClock* clock) : clock_(clock) {}
  void RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) override;

  // Runs every timer due at the clock's current time (including ones they add that are due).
  // Returns how many ran.
  int RunDue();
  // Moves the clock to the earliest pending timer (if later than now) and runs what is due.
  // False when no timer is pending.
  bool AdvanceToNext();
  std::size_t pending() const;

 private:
  common::ManualClock* clock_;
  mutable absl::Mutex mu_;
  std::multimap<absl::Time, absl::AnyInvocable<void() &&>> timers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_SCHEDULER_H_
