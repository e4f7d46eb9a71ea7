// The storage interface every backend implements: asynchronous, keyed by item id, with
// conditional-free upserts that report whether they created or replaced, point reads, and
// keyset-paginated scans with an opaque cursor. Beside the items it keeps execution records
// (durable workflow executions) with conditional, versioned writes. Nothing SQL- or
// DynamoDB-specific leaks out.
//
//   StoreOptions options;
//   options.data_dir = "ingestd-data";
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore("sqlite:", options));
//   store->Put(item, [](absl::StatusOr<PutResult> r) {
//     // Runs on a store thread once the item is durable (or the commit failed).
//   });
//   store->PutExecution(record, /*expected_version=*/0, [](absl::StatusOr<ExecutionRecord> r) {
//     // OK: created with version 1. ABORTED: it already existed; nothing was written.
//   });
//
// Backends: store/sqlite_store.h (embedded, durable, group commit), store/memory_store.h
// (volatile; the contract's reference and a stand-in in tests). Cursors: store/cursor.h.
//
// Execution records are shaped to map onto DynamoDB later: a table with partition key `arn`
// and attributes status, version, updated_at, body (one item, so a body must stay well under
// DynamoDB's 400 KB item limit); PutExecution is a PutItem with the condition
// `attribute_not_exists(arn)` (expected_version 0) or `version = :expected`, a failed
// condition (ConditionalCheckFailedException) being ABORTED; GetExecution a consistent
// GetItem; ScanExecutions by status a Query of a global secondary index (partition key status,
// sort key arn), and without status a Query of an index with a constant partition key and sort
// key arn. The index reads of DynamoDB are eventually consistent, which the contract of
// ScanExecutions allows (see there); nothing relies on a transaction across records.
//
// Thread-safety: every method may be called from any thread. Callbacks run on a thread owned
// by the store, never inline in the caller, and must not block; hand work back to your own
// executor (the HTTP layer posts to the connection's io_context). A callback may call Put,
// Get, Scan and the execution methods, but must not call Close() or destroy the store.
#ifndef INGESTD_STORE_STORE_H_
#define INGESTD_STORE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace ingestd::store {

// The longest id (and execution arn) a store accepts, in bytes (so that a cursor stays short).
inline constexpr std::size_t kMaxIdBytes = 1024;

// The longest execution status a store accepts, in bytes.
inline constexpr std::size_t kMaxExecutionStatusBytes = 128;

// One stored record (API.md: {"id","user_name","email","pincode","created_at","updated_at"}).
// Values are kept byte-exact as received.
struct Item {
  std::string id;  // the key, 1..kMaxIdBytes bytes; equals email in the default workflow
  std::string user_name;
  std::string email;
  std::string pincode;
  absl::Time created_at;  // first time this id was stored; kept across replacements
  absl::Time updated_at;  // time of the latest write

  friend bool operator==(const Item&, const Item&) = default;
};

enum class PutOutcome { kCreated, kReplaced };

struct PutResult {
  PutOutcome outcome;
  Item item;  // as stored: created_at is the original one when replaced
};

struct ScanRequest {
  std::size_t limit = 100;  // 1..1000
  std::string cursor;       // empty = from the start; else a Page::next_cursor
};

struct Page {
  std::vector<Item> items;                 // ascending by id
  std::optional<std::string> next_cursor;  // set when more items follow
};

// A durable workflow execution (one that waits for a callback, or was started through the
// admin API). The workflow module owns the meaning of `body`; the store keeps it opaque and
// indexes only the key, the status and the version.
struct ExecutionRecord {
  std::string arn;  // the key, 1..kMaxIdBytes bytes
  // 1..kMaxExecutionStatusBytes bytes (an index key; DynamoDB refuses empty ones), e.g.
  // "WAITING", "RESUMING", "SUCCEEDED", "FAILED", "TIMED_OUT".
  std::string status;
  // Optimistic concurrency: 1 for a new record, bumped by one by every successful write.
  std::int64_t version = 0;
  absl::Time updated_at;  // set by the store on every write
  std::string body;       // JSON text (snapshot, input, output, deadlines ...)

  friend bool operator==(const ExecutionRecord&, const ExecutionRecord&) = default;
};

struct ExecutionScanRequest {
  std::string status;       // only records with this status; empty = every record
  std::size_t limit = 100;  // 1..1000
  std::string cursor;       // empty = from the start; else an ExecutionPage::next_cursor
};

struct ExecutionPage {
  std::vector<ExecutionRecord> records;    // ascending by arn
  std::optional<std::string> next_cursor;  // set when more records follow
};

using PutCallback = absl::AnyInvocable<void(absl::StatusOr<PutResult>) &&>;
using GetCallback = absl::AnyInvocable<void(absl::StatusOr<std::optional<Item>>) &&>;
using ScanCallback = absl::AnyInvocable<void(absl::StatusOr<Page>) &&>;
// The record as written (version and updated_at set by the store).
using ExecutionPutCallback = absl::AnyInvocable<void(absl::StatusOr<ExecutionRecord>) &&>;
using ExecutionGetCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::optional<ExecutionRecord>>) &&>;
using ExecutionScanCallback = absl::AnyInvocable<void(absl::StatusOr<ExecutionPage>) &&>;

// Observations a backend reports for metrics; all optional. Called on store threads.
struct StoreObserver {
  // A commit finished: how many writes it held, how long the commit (incl. fsync) took.
  std::function<void(std::size_t batch_size, absl::Duration commit_time, bool ok)> on_commit;
};

class Store {
 public:
  virtual ~Store() = default;

  // Inserts or replaces the item with key `item.id`. `item.created_at`/`updated_at` are
  // ignored: the store sets both (created_at kept on replace). `done` runs once the write is
  // durable — a 2xx may be sent from it — or with an error (UNAVAILABLE: the commit failed;
  // INVALID_ARGUMENT: the item is malformed — an empty id or one over kMaxIdBytes). Exactly
  // one call of `done`. Stored times have microsecond precision.
  virtual void Put(Item item, PutCallback done) = 0;

  // The item with key `id`, or nullopt.
  virtual void Get(std::string id, GetCallback done) = 0;

  // One page of items in ascending id order after `request.cursor`. INVALID_ARGUMENT when the
  // cursor does not decode or the limit is out of range.
  virtual void Scan(ScanRequest request, ScanCallback done) = 0;

  // Conditional write of an execution record: with `expected_version` 0 the record must not
  // exist yet and is written with version 1; otherwise the stored record must have exactly
  // that version and is replaced by `record` with version expected_version + 1 (record.version
  // and record.updated_at are ignored; the store sets updated_at, microsecond precision). A
  // condition that does not hold is ABORTED (nothing written; the message names the stored
  // version): this is what makes a decision on a callback exactly-once, even across processes
  // sharing a store. Of concurrent writes expecting the same version exactly one succeeds.
  // Writes are applied in the order the calls are made. Durable before `done` runs with the
  // record as stored, like Put; UNAVAILABLE when the commit failed (then nothing is known to
  // be written: read the record again). INVALID_ARGUMENT for an empty or over-long arn, an
  // empty or over-long status, or a negative expected_version. Exactly one call of `done`.
  virtual void PutExecution(ExecutionRecord record, std::int64_t expected_version,
                            ExecutionPutCallback done) = 0;

  // The execution record with key `arn`, or nullopt; it reflects every write whose `done`
  // has run. INVALID_ARGUMENT for an empty or over-long arn.
  virtual void GetExecution(std::string arn, ExecutionGetCallback done) = 0;

  // One page of execution records in ascending arn order after `request.cursor`, only those
  // with `request.status` when it is set. A record that keeps its status during a paginated
  // scan is returned exactly once; one whose status changes meanwhile may be missed or show
  // either status (a scan is no snapshot, and a DynamoDB index lags a little behind writes).
  // INVALID_ARGUMENT for a cursor that does not decode, a limit out of range, or an over-long
  // status filter.
  virtual void ScanExecutions(ExecutionScanRequest request, ExecutionScanCallback done) = 0;

  // OK when the store answers a trivial read now (for /readyz). Blocking, short.
  virtual absl::Status Ping() = 0;

  // Finishes every accepted write, runs its callback, and stops the store's threads. Further
  // calls fail with UNAVAILABLE. Idempotent; also done by the destructor.
  virtual void Close() = 0;
};

struct StoreOptions {
  std::string data_dir = "ingestd-data";  // created if missing; locked while open
  StoreObserver observer;
  // Where created_at/updated_at come from; null means common::Clock::Real(). Not owned; must
  // outlive the store.
  const common::Clock* clock = nullptr;
};

// Opens the backend a URI names: "sqlite:" (file ingestd.db in data_dir) or
// "sqlite:/path/to/file.db"; "memory:" (volatile, for tests). Errors: INVALID_ARGUMENT for an
// unknown scheme; FAILED_PRECONDITION when the data directory is locked by another process or
// the database is corrupt/not ours; PERMISSION_DENIED/UNAVAILABLE when it cannot be opened.
// The message always says what to do.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& uri,
                                                 const StoreOptions& options);

}  // namespace ingestd::store

#endif  // INGESTD_STORE_STORE_H_
