// A volatile Store backed by a std::map: the reference implementation of the Store contract,
// and a fast stand-in for tests of the modules above the store.
//
//   auto store = std::make_unique<MemoryStore>(StoreOptions{.clock = &manual_clock});
//   store->Put(item, [](absl::StatusOr<PutResult> r) { ... });  // runs on the store's thread
//   store->PutExecution(record, 0, [](absl::StatusOr<ExecutionRecord> r) { ... });
//
// Thread-safety: as Store. Every operation runs, in call order, on one thread the store owns;
// callbacks run there too.
#ifndef INGESTD_STORE_MEMORY_STORE_H_
#define INGESTD_STORE_MEMORY_STORE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/clock.h"
#include "store/internal/serial_executor.h"
#include "store/internal/sync.h"
#include "store/store.h"

namespace ingestd::store {

class MemoryStore final : public Store {
 public:
  // `options.data_dir` is ignored; `options.clock`, if set, must outlive the store.
  explicit MemoryStore(const StoreOptions& options);
  ~MemoryStore() override;

  void Put(Item item, PutCallback done) override;
  void Get(std::string id, GetCallback done) override;
  void Scan(ScanRequest request, ScanCallback done) override;
  void PutExecution(ExecutionRecord record, std::int64_t expected_version,
                    ExecutionPutCallback done) override;
  void GetExecution(std::string arn, ExecutionGetCallback done) override;
  void ScanExecutions(ExecutionScanRequest request, ExecutionScanCallback done) override;
  absl::Status Ping() override;
  void Close() override;

 private:
  bool Accepting() const;

  const common::Clock& clock_;
  const StoreObserver observer_;

  mutable internal::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, Item> items_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ExecutionRecord> executions_ ABSL_GUARDED_BY(mu_);

  // Last member: its thread stops before the members above are destroyed.
  internal::SerialExecutor executor_;
};

}  // namespace ingestd::store

#endif  // INGESTD_STORE_MEMORY_STORE_H_
