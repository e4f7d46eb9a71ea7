#include "store/internal/serial_executor.h"

#include <utility>

#include "absl/synchronization/notification.h"

namespace ingestd::store::internal {

SerialExecutor::SerialExecutor() : thread_([this] { Loop(); }) {}

SerialExecutor::~SerialExecutor() { Shutdown(); }

void SerialExecutor::Post(Task task) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopped_) {
      tasks_.push_back(std::move(task));
      return;
    }
  }
  std::move(task)();
}

void SerialExecutor::Drain() {
  absl::Notification done;
  Post([&done] { done.Notify(); });
  done.WaitForNotification();
}

void SerialExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  thread_.join();
}

bool SerialExecutor::InExecutorThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void SerialExecutor::Loop() {
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !tasks_.empty() || stopping_; };
  while (true) {
    std::deque<Task> batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&ready));
      if (tasks_.empty()) {
        // stopping_ and nothing left: from now on Post runs tasks inline.
        stopped_ = true;
        return;
      }
      batch.swap(tasks_);
    }
    for (Task& task : batch) std::move(task)();
  }
}

}  // namespace ingestd::store::internal
