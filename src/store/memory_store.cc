#include "store/memory_store.h"

#include <cstdint>
#include <iterator>
#include <optional>
#include <utility>

#include "store/cursor.h"
#include "store/internal/validation.h"

namespace ingestd::store {

MemoryStore::MemoryStore(const StoreOptions& options)
    : clock_(options.clock != nullptr ? *options.clock : common::Clock::Real()),
      observer_(options.observer) {}

MemoryStore::~MemoryStore() {
  Close();
  executor_.Shutdown();
}

bool MemoryStore::Accepting() const {
  internal::MutexLock lock(&mu_);
  return !closed_;
}

// Whether a call is accepted is decided when it is made, so that a call made before Close()
// completes normally even if it runs after; a call made after fails with UNAVAILABLE.
void MemoryStore::Put(Item item, PutCallback done) {
  if (!Accepting()) {
    executor_.Post(
        [done = std::move(done)]() mutable { std::move(done)(internal::ClosedError()); });
    return;
  }
  executor_.Post([this, item = std::move(item), done = std::move(done)]() mutable {
    if (absl::Status s = internal::ValidateId(item.id); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    const absl::Time start = absl::Now();
    PutResult result;
    {
      internal::MutexLock lock(&mu_);
      const absl::Time now = internal::TruncateToMicros(clock_.Now());
      item.updated_at = now;
      auto [it, inserted] = items_.try_emplace(item.id);
      if (inserted) {
        item.created_at = now;
        result.outcome = PutOutcome::kCreated;
      } else {
        item.created_at = it->second.created_at;
        result.outcome = PutOutcome::kReplaced;
      }
      it->second = item;
      result.item = std::move(item);
    }
    if (observer_.on_commit) observer_.on_commit(1, absl::Now() - start, true);
    std::move(done)(std::move(result));
  });
}

void MemoryStore::Get(std::string id, GetCallback done) {
  const bool accepting = Accepting();
  executor_.Post([this, accepting, id = std::move(id), done = std::move(done)]() mutable {
    if (!accepting) {
      std::move(done)(internal::ClosedError());
      return;
    }
    std::optional<Item> found;
    {
      internal::MutexLock lock(&mu_);
      if (auto it = items_.find(id); it != items_.end()) found = it->second;
    }
    std::move(done)(std::move(found));
  });
}

void MemoryStore::Scan(ScanRequest request, ScanCallback done) {
  const bool accepting = Accepting();
  executor_.Post([this, accepting, request = std::move(request), done = std::move(done)]() mutable {
    if (!accepting) {
      std::move(done)(internal::ClosedError());
      return;
    }
    absl::StatusOr<std::string> after = internal::ValidateScan(request);
    if (!after.ok()) {
      std::move(done)(after.status());
      return;
    }
    Page page;
    {
      internal::MutexLock lock(&mu_);
      auto it = after->empty() ? items_.begin() : items_.upper_bound(*after);
      for (; it != items_.end() && page.items.size() < request.limit; ++it) {
        page.items.push_back(it->second);
      }
      if (it != items_.end()) page.next_cursor = EncodeCursor(page.items.back().id);
    }
    std::move(done)(std::move(page));
  });
}

void MemoryStore::PutExecution(ExecutionRecord record, std::int64_t expected_version,
                               ExecutionPutCallback done) {
  if (!Accepting()) {
    executor_.Post(
        [done = std::move(done)]() mutable { std::move(done)(internal::ClosedError()); });
    return;
  }
  executor_.Post(
      [this, record = std::move(record), expected_version, done = std::move(done)]() mutable {
        if (absl::Status s = internal::ValidateExecutionPut(record, expected_version); !s.ok()) {
          std::move(done)(std::move(s));
          return;
        }
        const absl::Time start = absl::Now();
        absl::Status conflict;
        {
          internal::MutexLock lock(&mu_);
          auto it = executions_.find(record.arn);
          std::optional<std::int64_t> current;
          if (it != executions_.end()) current = it->second.version;
          if (current.value_or(0) != expected_version) {
            conflict = internal::ExecutionConflictError(record.arn, expected_version, current);
          } else {
            record.version = expected_version + 1;
            record.updated_at = internal::TruncateToMicros(clock_.Now());
            if (it == executions_.end()) {
              executions_.emplace(record.arn, record);
            } else {
              it->second = record;
            }
          }
        }
        if (observer_.on_commit) observer_.on_commit(1, absl::Now() - start, true);
        if (!conflict.ok()) {
          std::move(done)(std::move(conflict));
        } else {
          std::move(done)(std::move(record));
        }
      });
}

void MemoryStore::GetExecution(std::string arn, ExecutionGetCallback done) {
  const bool accepting = Accepting();
  executor_.Post([this, accepting, arn = std::move(arn), done = std::move(done)]() mutable {
    if (!accepting) {
      std::move(done)(internal::ClosedError());
      return;
    }
    if (absl::Status s = internal::ValidateArn(arn); !s.ok()) {
      std::move(done)(std::move(s));
      return;
    }
    std::optional<ExecutionRecord> found;
    {
      internal::MutexLock lock(&mu_);
      if (auto it = executions_.find(arn); it != executions_.end()) found = it->second;
    }
    std::move(done)(std::move(found));
  });
}

void MemoryStore::ScanExecutions(ExecutionScanRequest request, ExecutionScanCallback done) {
  const bool accepting = Accepting();
  executor_.Post([this, accepting, request = std::move(request), done = std::move(done)]() mutable {
    if (!accepting) {
      std::move(done)(internal::ClosedError());
      return;
    }
    absl::StatusOr<std::string> after = internal::ValidateExecutionScan(request);
    if (!after.ok()) {
      std::move(done)(after.status());
      return;
    }
    ExecutionPage page;
    {
      internal::MutexLock lock(&mu_);
      auto matches = [&](const ExecutionRecord& r) {
        return request.status.empty() || r.status == request.status;
      };
      auto it = after->empty() ? executions_.begin() : executions_.upper_bound(*after);
      for (; it != executions_.end(); ++it) {
        if (!matches(it->second)) continue;
        if (page.records.size() == request.limit) {
          // Another matching record follows this full page.
          page.next_cursor = EncodeCursor(page.records.back().arn);
          break;
        }
        page.records.push_back(it->second);
      }
    }
    std::move(done)(std::move(page));
  });
}

absl::Status MemoryStore::Ping() {
  if (!Accepting()) return internal::ClosedError();
  return absl::OkStatus();
}

void MemoryStore::Close() {
  {
    internal::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
  }
  // Every call accepted before is queued ahead of this; wait for them to finish.
  if (!executor_.InExecutorThread()) executor_.Drain();
}

}  // namespace ingestd::store
