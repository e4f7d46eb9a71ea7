// Mutex, scoped lock and one-shot notification on the standard library, annotated for clang's
// -Wthread-safety like absl::Mutex.
//
//   Mutex mu;
//   std::condition_variable cv;
//   int n ABSL_GUARDED_BY(mu) = 0;
//   { MutexLock lock(&mu); mu.Await(cv, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return n > 0; });
//   }
//
// Why not absl::Mutex: Debian's abseil is a shared library built without ThreadSanitizer
// instrumentation, so TSan cannot see its happens-before edges and reports every handoff
// through it as a race. The store is the module with the most threads; it must be checkable.
//
// Thread-safety: Mutex and Notification are thread-safe; MutexLock is a scoped object.
#ifndef INGESTD_STORE_INTERNAL_SYNC_H_
#define INGESTD_STORE_INTERNAL_SYNC_H_

#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace ingestd::store::internal {

class ABSL_LOCKABLE Mutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

  // Waits on `cv` until `ready()` holds; the mutex is held before and after. Whoever changes
  // what `ready` reads must notify `cv`.
  template <typename Predicate>
  void Await(std::condition_variable& cv, Predicate ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    cv.wait(lock, ready);
    lock.release();
  }

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Set once, waited for by anyone.
class Notification {
 public:
  void Notify() {
    MutexLock lock(&mu_);
    notified_ = true;
    cv_.notify_all();
  }
  void WaitForNotification() {
    MutexLock lock(&mu_);
    mu_.Await(cv_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return notified_; });
  }

 private:
  Mutex mu_;
  std::condition_variable cv_;
  bool notified_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ingestd::store::internal

#endif  // INGESTD_STORE_INTERNAL_SYNC_H_
