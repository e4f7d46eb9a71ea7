// The embedded, durable Store: one SQLite database in WAL mode with synchronous=FULL, written
// by one thread that commits every waiting write in one transaction (group commit: one fsync for
// many writes), read by a small pool of reader connections.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
//                    SqliteStore::Open("", {.data_dir = "ingestd-data"}));
//   store->Put(item, [](absl::StatusOr<PutResult> r) { /* durable, or UNAVAILABLE */ });
//   store->PutExecution(record, 3, [](absl::StatusOr<ExecutionRecord> r) { /* or ABORTED */ });
//
// Files: `<data_dir>/ingestd.db` (+ `-wal`, `-shm`) and the lock `<data_dir>/LOCK`; or, with
// an explicit path, `<path>` and `<path>.lock`. The lock is held until Close().
//
// Options (SqliteStoreOptions):
//
// | field               | default | meaning                                                  |
// |---------------------|---------|----------------------------------------------------------|
// | reader_threads      | 2       | reader connections/threads serving Get and Scan          |
// | max_batch           | 1024    | most writes (Put, PutExecution) in one transaction       |
// | quick_check_on_open | true    | run PRAGMA quick_check when opening (≈0.3 s per 1M items)|
// | busy_timeout        | 5 s     | SQLite busy timeout of every connection                  |
// | writer_cache_kib    | 24576   | page cache of the writer connection                      |
// | reader_cache_kib    | 8192    | page cache of each reader connection                     |
// | background_checkpoint | true  | checkpoint the WAL on a separate thread, not in COMMIT   |
// | checkpoint_pages    | 1000    | WAL size (pages) that triggers a checkpoint              |
// | vfs                 | ""      | SQLite VFS name; tests pass a fault-injecting one        |
//
// The caches bound most of the process's memory (the OS page cache holds the rest of the
// file): 24 + 2 × 8 MiB keeps a serving ingestd well under 64 MiB resident.
//
// Execution records live in their own table (`executions`, indexed by status). PutExecution
// goes through the writer thread like Put and shares its group commits: the version check and
// the write run inside the batch's transaction, so a conflicting write is ABORTED and writes
// nothing while the rest of the batch commits; a failed commit fails every write of the batch
// with UNAVAILABLE.
//
// Thread-safety: as Store. Put and PutExecution callbacks run on the writer thread, the read
// callbacks on a reader thread, callbacks of calls made after Close() on a separate store
// thread.
#ifndef INGESTD_STORE_SQLITE_STORE_H_
#define INGESTD_STORE_SQLITE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace ingestd::store {

struct SqliteStoreOptions {
  int reader_threads = 2;
  std::size_t max_batch = 1024;
  bool quick_check_on_open = true;
  absl::Duration busy_timeout = absl::Seconds(5);
  int writer_cache_kib = 24 * 1024;
  int reader_cache_kib = 8 * 1024;
  bool background_checkpoint = true;
  int checkpoint_pages = 1000;
  std::string vfs;
};

// The newest schema version this binary knows (PRAGMA user_version of its databases).
// 1: items. 2: + executions (an older database is migrated when opened).
inline constexpr int kSqliteSchemaVersion = 2;

class SqliteStore final : public Store {
 public:
  // Opens (creating if missing) the database at `db_path`, or, when `db_path` is empty,
  // `<options.data_dir>/ingestd.db`, creating data_dir (mode 0700) if missing.
  // Errors: FAILED_PRECONDITION when the directory is locked by another store, the file is
  // not an ingestd database or is corrupt, or its schema is newer than this binary;
  // PERMISSION_DENIED / UNAVAILABLE when it cannot be created or opened.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& db_path, const StoreOptions& options,
      const SqliteStoreOptions& sqlite_options = {});

  ~SqliteStore() override;  // Close()

  void Put(Item item, PutCallback done) override;
  void Get(std::string id, GetCallback done) override;
  void Scan(ScanRequest request, ScanCallback done) override;
  void PutExecution(ExecutionRecord record, std::int64_t expected_version,
                    ExecutionPutCallback done) override;
  void GetExecution(std::string arn, ExecutionGetCallback done) override;
  void ScanExecutions(ExecutionScanRequest request, ExecutionScanCallback done) override;
  absl::Status Ping() override;
  void Close() override;

  // While paused the writer takes no new batch, so that Puts made meanwhile land in one batch
  // (up to max_batch) once resumed. Close() drains even when paused.
  void PauseWriterForTest();
  void ResumeWriterForTest();

  // Blocks until the background checkpointer has completed `n` checkpoints since Open.
  void WaitForCheckpointsForTest(int n);

  class Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingestd::store

#endif  // INGESTD_STORE_SQLITE_STORE_H_
