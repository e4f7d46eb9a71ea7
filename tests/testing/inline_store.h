// A store::Store that answers every call inline, on the caller's thread, without keeping
// anything: Put answers "created" (after failing with UNAVAILABLE a chosen number of times),
// Get/GetExecution find nothing, scans are empty, PutExecution succeeds unchecked. For tests
// and benchmarks that exercise the workflow engine, not storage.
//
//   InlineStore store(/*put_failures=*/2);   // the first two Puts fail, the rest succeed
//   RegisterBuiltinTasks(registry, &store);
#ifndef INGESTD_TESTING_INLINE_STORE_H_
#define INGESTD_TESTING_INLINE_STORE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace ingestd::testing {

class InlineStore final : public store::Store {
 public:
  explicit InlineStore(int put_failures = 0) : failures_(put_failures) {}

  void Put(store::Item item, store::PutCallback done) override {
    puts.fetch_add(1, std::memory_order_relaxed);
    if (failures_.fetch_sub(1, std::memory_order_relaxed) > 0) {
      std::move(done)(absl::UnavailableError("disk full"));
      return;
    }
    item.created_at = item.updated_at = absl::UnixEpoch();
    std::move(done)(store::PutResult{store::PutOutcome::kCreated, std::move(item)});
  }
  void Get(std::string, store::GetCallback done) override { std::move(done)(std::nullopt); }
  void Scan(store::ScanRequest, store::ScanCallback done) override {
    std::move(done)(store::Page{});
  }
  void PutExecution(store::ExecutionRecord record, std::int64_t expected_version,
                    store::ExecutionPutCallback done) override {
    record.version = expected_version + 1;
    std::move(done)(std::move(record));
  }
  void GetExecution(std::string, store::ExecutionGetCallback done) override {
    std::move(done)(std::nullopt);
  }
  void ScanExecutions(store::ExecutionScanRequest, store::ExecutionScanCallback done) override {
    std::move(done)(store::ExecutionPage{});
  }
  absl::Status Ping() override { return absl::OkStatus(); }
  void Close() override {}

  std::atomic<int> puts{0};  // Put calls so far

 private:
  std::atomic<int> failures_;
};

}  // namespace ingestd::testing

#endif  // INGESTD_TESTING_INLINE_STORE_H_
