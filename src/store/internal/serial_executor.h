// A single thread that runs posted tasks in order; the store's way of running callbacks on a
// thread it owns.
//
//   SerialExecutor executor("store-cb");
//   executor.Post([] { ... });   // runs on the executor's thread
//   executor.Shutdown();         // runs every task posted so far, then joins
//
// Thread-safety: Post, Drain and Shutdown may be called from any thread. Tasks posted after
// Shutdown began are run inline by Post (there is no thread left to run them).
#ifndef INGESTD_STORE_INTERNAL_SERIAL_EXECUTOR_H_
#define INGESTD_STORE_INTERNAL_SERIAL_EXECUTOR_H_

#include <condition_variable>
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "store/internal/sync.h"

namespace ingestd::store::internal {

class SerialExecutor {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  SerialExecutor();
  ~SerialExecutor();  // Shutdown()
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  void Post(Task task);

  // Returns once every task posted before the call has run. Must not be called from a task.
  void Drain();

  // Runs the queued tasks and joins the thread. Idempotent; must not be called from a task.
  void Shutdown();

  // True when called from a task of this executor.
  bool InExecutorThread() const;

 private:
  void Loop();

  Mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ingestd::store::internal

#endif  // INGESTD_STORE_INTERNAL_SERIAL_EXECUTOR_H_
