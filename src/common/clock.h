// Time as a dependency: production code asks a Clock, tests inject a ManualClock and move it
// by hand instead of sleeping.
//
//   ingestd::common::ManualClock clock(absl::FromUnixSeconds(1'700'000'000));
//   store.SetClockForTest(&clock);
//   clock.Advance(absl::Seconds(5));
#ifndef INGESTD_COMMON_CLOCK_H_
#define INGESTD_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ingestd::common {

// Thread-safe: Now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // The process-wide wall clock. Never null, never destroyed.
  static const Clock& Real();
};

// A clock that only moves when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_CLOCK_H_
