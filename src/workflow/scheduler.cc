#include "workflow/scheduler.h"

#include <vector>

namespace ingestd::workflow {

TimerThreadScheduler::TimerThreadScheduler() : thread_([this] { Loop(); }) {}

TimerThreadScheduler::~TimerThreadScheduler() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void TimerThreadScheduler::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  absl::MutexLock lock(&mu_);
  timers_.emplace(when, std::move(fn));
  ++seq_;  // wakes the loop so it re-reads the earliest deadline
}

void TimerThreadScheduler::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    std::uint64_t seen = seq_;
    absl::Time deadline = timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first;
    if (deadline <= absl::Now()) {
      auto fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
      mu_.Unlock();
      std::move(fn)();
      mu_.Lock();
      continue;
    }
    auto changed = [this, seen]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || seq_ != seen; };
    mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  }
}

Scheduler& DefaultScheduler() {
  static TimerThreadScheduler* const kScheduler = new TimerThreadScheduler();
  return *kScheduler;
}

void ManualScheduler::RunAt(absl::Time when, absl::AnyInvocable<void() &&> fn) {
  absl::MutexLock lock(&mu_);
  timers_.emplace(when, std::move(fn));
}

int ManualScheduler::RunDue() {
  int ran = 0;
  while (true) {
    absl::AnyInvocable<void() &&> fn;
    {
      absl::MutexLock lock(&mu_);
      if (timers_.empty() || timers_.begin()->first > clock_->Now()) break;
      fn = std::move(timers_.begin()->second);
      timers_.erase(timers_.begin());
    }
    std::move(fn)();
    ++ran;
  }
  return ran;
}

bool ManualScheduler::AdvanceToNext() {
  {
    absl::MutexLock lock(&mu_);
    if (timers_.empty()) return false;
    absl::Time next = timers_.begin()->first;
    if (next > clock_->Now()) clock_->Set(next);
  }
  RunDue();
  return true;
}

std::size_t ManualScheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return timers_.size();
}

}  // namespace ingestd::workflow
