#include "store/internal/serial_executor.h"

#include <utility>

namespace ingestd::store::internal {

SerialExecutor::SerialExecutor() : thread_([this] { Loop(); }) {}

SerialExecutor::~SerialExecutor() { Shutdown(); }

void SerialExecutor::Post(Task task) {
  {
    MutexLock lock(&mu_);
    if (!stopped_) {
      tasks_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  std::move(task)();
}

void SerialExecutor::Drain() {
  Notification done;
  Post([&done] { done.Notify(); });
  done.WaitForNotification();
}

void SerialExecutor::Shutdown() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
}

bool SerialExecutor::InExecutorThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void SerialExecutor::Loop() {
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !tasks_.empty() || stopping_; };
  while (true) {
    std::deque<Task> batch;
    {
      MutexLock lock(&mu_);
      mu_.Await(cv_, ready);
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
