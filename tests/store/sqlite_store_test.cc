#include "store/sqlite_store.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "store/fault_injection_vfs.h"
#include "store/internal/sync.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace ingestd::store {
namespace {

using ::ingestd::store::testing::FaultInjectionVfs;
using ::ingestd::store::testing::GetAndWait;
using ::ingestd::store::testing::GetExecutionAndWait;
using ::ingestd::store::testing::MakeExecution;
using ::ingestd::store::testing::MakeItem;
using ::ingestd::store::testing::PutAndWait;
using ::ingestd::store::testing::PutExecutionAndWait;
using ::ingestd::store::testing::ScanAndWait;
using ::ingestd::store::testing::ScanExecutionsAndWait;
using ::ingestd::testing::IsOk;
using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

class SqliteStoreTest : public ::testing::Test {
 protected:
  StoreOptions Options() {
    StoreOptions options;
    options.data_dir = data_dir_;
    options.clock = &clock_;
    return options;
  }

  ::ingestd::testing::TempDir dir_;
  std::string data_dir_ = dir_.path() + "/data";
  common::ManualClock clock_{absl::FromUnixSeconds(1'700'000'000)};
};

void RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

// The first column of the first row `sql` returns, as text ("" when none).
std::string QuerySql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string out;
  auto collect = [](void* o, int, char** values, char**) {
    auto* text = static_cast<std::string*>(o);
    if (text->empty() && values[0] != nullptr) *text = values[0];
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), collect, &out, nullptr), SQLITE_OK) << sql;
  sqlite3_close(db);
  return out;
}

TEST_F(SqliteStoreTest, CreatesDataDirPrivately) {
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  struct stat st {};
  ASSERT_EQ(stat(data_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(data_dir_ + "/ingestd.db"));
  EXPECT_TRUE(std::filesystem::exists(data_dir_ + "/LOCK"));
}

TEST_F(SqliteStoreTest, DataSurvivesReopen) {
  PutResult stored;
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
    ASSERT_OK_AND_ASSIGN(stored, PutAndWait(*store, MakeItem("keep@example.com")));
  }
  clock_.Advance(absl::Hours(1));
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  EXPECT_THAT(*GetAndWait(*store, "keep@example.com"), Optional(stored.item));
  ASSERT_OK_AND_ASSIGN(PutResult again, PutAndWait(*store, MakeItem("keep@example.com")));
  EXPECT_EQ(again.outcome, PutOutcome::kReplaced);
  EXPECT_EQ(again.item.created_at, stored.item.created_at);
}

TEST_F(SqliteStoreTest, CloseCommitsQueuedPutsDurably) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
    store->PauseWriterForTest();
    std::atomic<int> ok{0};
    for (int i = 0; i < 100; ++i) {
      store->Put(MakeItem(absl::StrCat("queued", i)), [&](absl::StatusOr<PutResult> r) {
        if (r.ok()) ++ok;
      });
    }
    store->Close();  // drains even while paused
    EXPECT_EQ(ok.load(), 100);
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*store, {.limit = 1000, .cursor = ""}));
  EXPECT_EQ(page.items.size(), 100u);
}

TEST_F(SqliteStoreTest, BackgroundCheckpointMovesWalIntoDatabase) {
  SqliteStoreOptions sqlite_options;
  sqlite_options.checkpoint_pages = 4;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options(), sqlite_options));
  const std::string db_file = data_dir_ + "/ingestd.db";
  const auto size_before = std::filesystem::file_size(db_file);
  for (int i = 0; i < 200; ++i) {
    ASSERT_THAT(PutAndWait(*store, MakeItem(absl::StrCat("ckpt", i, std::string(200, 'x')))),
                IsOk());
  }
  store->WaitForCheckpointsForTest(1);
  EXPECT_GT(std::filesystem::file_size(db_file), size_before)
      << "pages were copied from the WAL while the store is open";
  // The WAL starts over instead of growing with every commit: 200 commits of a few pages
  // each would make it over 2 MB; restarts at 32 pages keep it near that.
  EXPECT_LT(std::filesystem::file_size(db_file + "-wal"), 100u * 4120u);
  ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*store, {.limit = 1000, .cursor = ""}));
  EXPECT_EQ(page.items.size(), 200u);
}

// A crash (kill -9) right after acknowledgements loses none of them: the child process puts
// items and reports each acknowledged id through a pipe; the parent kills it mid-stream and
// reopens the store.
TEST_F(SqliteStoreTest, KillNineLosesNothingAcknowledged) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto store = SqliteStore::Open("", Options());
    if (!store.ok()) _exit(2);
    std::atomic<int> acked{0};
    for (int i = 0;; ++i) {
      // Up to 256 puts in flight, so that kills land between and inside group commits.
      while (i - acked.load() > 256) std::this_thread::yield();
      (*store)->Put(MakeItem(absl::StrCat("crash", i)), [fd = fds[1], i, &acked](auto r) {
        if (!r.ok()) _exit(3);
        std::string line = absl::StrCat(i, "\n");
        if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
        ++acked;
      });
    }
  }
  close(fds[1]);
  std::vector<int> acknowledged;
  {
    FILE* in = fdopen(fds[0], "r");
    int id = 0;
    while (acknowledged.size() < 2000 && fscanf(in, "%d", &id) == 1) acknowledged.push_back(id);
    kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    // Acknowledgements already in the pipe when the child died count too.
    while (fscanf(in, "%d", &id) == 1) acknowledged.push_back(id);
    fclose(in);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  }
  ASSERT_GE(acknowledged.size(), 2000u);
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  for (int id : acknowledged) {
    ASSERT_THAT(*GetAndWait(*store, absl::StrCat("crash", id)), Optional(::testing::_)) << id;
  }
}

TEST_F(SqliteStoreTest, ExplicitPathViaUri) {
  const std::string path = dir_.path() + "/elsewhere/my.db";
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore("sqlite:" + path, Options()));
    ASSERT_THAT(PutAndWait(*store, MakeItem("p@x.org")), IsOk());
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(path + ".lock"));
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/ingestd.db"));
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore("sqlite:" + path, Options()));
  EXPECT_THAT(*GetAndWait(*store, "p@x.org"), Optional(::testing::_));
}

TEST_F(SqliteStoreTest, LockRefusesSecondOpenUntilClosed) {
  ASSERT_OK_AND_ASSIGN(auto first, OpenStore("sqlite:", Options()));
  EXPECT_THAT(
      OpenStore("sqlite:", Options()),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr(absl::StrCat("data directory ", data_dir_,
                                      " is in use by another ingestd (pid ", getpid(), ")"))));
  first->Close();
  EXPECT_THAT(OpenStore("sqlite:", Options()), IsOk()) << "Close() releases the lock";
}

TEST_F(SqliteStoreTest, GarbageFileIsRefusedAndKept) {
  std::filesystem::create_directories(data_dir_);
  const std::string garbage(8192, 'G');
  std::ofstream(data_dir_ + "/ingestd.db") << garbage;
  EXPECT_THAT(SqliteStore::Open("", Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not an ingestd database or is corrupt")));
  std::ifstream in(data_dir_ + "/ingestd.db");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, garbage) << "the file is left as it was";
}

TEST_F(SqliteStoreTest, CorruptPageIsRefused) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
    for (int i = 0; i < 300; ++i) {
      store->Put(MakeItem(absl::StrCat("user", i, "@example.com")), [](auto) {});
    }
    store->Close();
  }
  // Checkpoint the WAL into the file, then scribble over the table's pages.
  RunSql(data_dir_ + "/ingestd.db", "PRAGMA wal_checkpoint(TRUNCATE)");
  {
    std::fstream f(data_dir_ + "/ingestd.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);  // page 2 on: the items b-tree
    std::string junk(8192, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  EXPECT_THAT(SqliteStore::Open("", Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is not an ingestd database or is corrupt")));
}

TEST_F(SqliteStoreTest, AnotherProgramsDatabaseIsRefused) {
  std::filesystem::create_directories(data_dir_);
  RunSql(data_dir_ + "/ingestd.db", "CREATE TABLE accounts(x)");
  EXPECT_THAT(SqliteStore::Open("", Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another program")));
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options())); }
  RunSql(data_dir_ + "/ingestd.db", absl::StrCat("PRAGMA user_version=", kSqliteSchemaVersion + 1));
  EXPECT_THAT(SqliteStore::Open("", Options()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("has schema version ", kSqliteSchemaVersion + 1,
                                              " but this ingestd knows only up to ",
                                              kSqliteSchemaVersion))));
}

TEST_F(SqliteStoreTest, UnwritableDirIsPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores permissions";
  std::filesystem::create_directories(data_dir_);
  chmod(data_dir_.c_str(), 0500);
  EXPECT_THAT(SqliteStore::Open("", Options()), StatusIs(absl::StatusCode::kPermissionDenied));
  chmod(data_dir_.c_str(), 0700);
}

TEST_F(SqliteStoreTest, PutsWaitingTogetherCommitAsOneBatchInOrder) {
  std::vector<std::size_t> batches;
  internal::Mutex mu;
  StoreOptions options = Options();
  options.observer.on_commit = [&](std::size_t n, absl::Duration, bool ok) {
    internal::MutexLock lock(&mu);
    if (ok) batches.push_back(n);
  };
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", options));
  store->PauseWriterForTest();
  std::vector<absl::StatusOr<PutResult>> results(3, absl::UnknownError("not run"));
  internal::Notification done;
  std::atomic<int> left{3};
  auto collect = [&](int i) {
    return [&, i](absl::StatusOr<PutResult> r) {
      results[i] = std::move(r);
      if (--left == 0) done.Notify();
    };
  };
  store->Put(MakeItem("twice@x.org", "first"), collect(0));
  store->Put(MakeItem("other@x.org"), collect(1));
  store->Put(MakeItem("twice@x.org", "second"), collect(2));
  store->ResumeWriterForTest();
  done.WaitForNotification();
  ASSERT_THAT(results[0], IsOk());
  ASSERT_THAT(results[2], IsOk());
  EXPECT_EQ(results[0]->outcome, PutOutcome::kCreated);
  EXPECT_EQ(results[2]->outcome, PutOutcome::kReplaced);
  EXPECT_EQ(results[2]->item.user_name, "second");
  EXPECT_THAT(*GetAndWait(*store, "twice@x.org"), Optional(results[2]->item));
  internal::MutexLock lock(&mu);
  EXPECT_EQ(batches, std::vector<std::size_t>{3});
}

TEST_F(SqliteStoreTest, ExecutionsSurviveReopen) {
  ExecutionRecord v2;
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
    ASSERT_THAT(PutExecutionAndWait(*store, MakeExecution("arn:keep", "WAITING", "b1"), 0), IsOk());
    ASSERT_OK_AND_ASSIGN(v2,
                         PutExecutionAndWait(*store, MakeExecution("arn:keep", "DONE", "b2"), 1));
    ASSERT_THAT(PutExecutionAndWait(*store, MakeExecution("arn:other", "WAITING"), 0), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:keep"), Optional(v2));
  ASSERT_OK_AND_ASSIGN(ExecutionPage waiting,
                       ScanExecutionsAndWait(*store, {.status = "WAITING", .limit = 10}));
  ASSERT_EQ(waiting.records.size(), 1u);
  EXPECT_EQ(waiting.records[0].arn, "arn:other");
  // The version survives too: the next write must expect 2.
  EXPECT_THAT(PutExecutionAndWait(*store, MakeExecution("arn:keep", "X"), 1),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v3,
                       PutExecutionAndWait(*store, MakeExecution("arn:keep", "X"), 2));
  EXPECT_EQ(v3.version, 3);
}

// A database written by the previous release (schema 1: items only) opens, keeps its items,
// and gains the executions table. The file is made as that release made it (PrepareDatabase
// and kMigrations[0] of src/store/sqlite_store.cc before schema 2).
TEST_F(SqliteStoreTest, SchemaOneDatabaseIsMigrated) {
  std::filesystem::create_directories(data_dir_);
  const std::string db_file = data_dir_ + "/ingestd.db";
  RunSql(db_file, R"sql(
    PRAGMA journal_mode=WAL;
    BEGIN IMMEDIATE;
    CREATE TABLE items(
      id TEXT PRIMARY KEY NOT NULL,
      user_name TEXT NOT NULL,
      email TEXT NOT NULL,
      pincode TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      version INTEGER NOT NULL
    ) WITHOUT ROWID;
    PRAGMA user_version=1;
    PRAGMA application_id=1768843108;  -- 0x696e6764, "ingd"
    COMMIT;
    INSERT INTO items VALUES('old@example.com', 'Old', 'old@example.com', '560001',
                             1600000000000000, 1600000000000001, 2);
  )sql");
  ASSERT_EQ(QuerySql(db_file, "PRAGMA user_version"), "1");
  {
    ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
    ASSERT_OK_AND_ASSIGN(std::optional<Item> old, GetAndWait(*store, "old@example.com"));
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(old->user_name, "Old");
    EXPECT_EQ(old->created_at, absl::FromUnixMicros(1600000000000000));
    EXPECT_EQ(old->updated_at, absl::FromUnixMicros(1600000000000001));
    ASSERT_OK_AND_ASSIGN(PutResult replaced, PutAndWait(*store, MakeItem("old@example.com")));
    EXPECT_EQ(replaced.outcome, PutOutcome::kReplaced);
    ASSERT_THAT(PutExecutionAndWait(*store, MakeExecution("arn:new"), 0), IsOk());
    ASSERT_OK_AND_ASSIGN(ExecutionPage page,
                         ScanExecutionsAndWait(*store, {.status = "WAITING", .limit = 10}));
    EXPECT_EQ(page.records.size(), 1u);
  }
  EXPECT_EQ(QuerySql(db_file, "PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(QuerySql(db_file,
                     "SELECT name FROM sqlite_master WHERE name = "
                     "'executions_by_status'"),
            "executions_by_status");
  // Opening the migrated database again migrates nothing and finds everything.
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options()));
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:new"), Optional(::testing::_));
  EXPECT_THAT(*GetAndWait(*store, "old@example.com"), Optional(::testing::_));
}

// The status scan reads the (status, arn) index in order: no full scan, no sort.
TEST_F(SqliteStoreTest, StatusScanUsesTheIndexWithoutSorting) {
  { ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options())); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data_dir_ + "/ingestd.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT arn, status, version, updated_at, body "
                               "FROM executions WHERE status = ?3 AND arn > ?1 ORDER BY arn "
                               "LIMIT ?2",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  std::string details;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    details += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    details += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_THAT(details, HasSubstr("USING INDEX executions_by_status (status=? AND arn>?)"));
  EXPECT_THAT(details, ::testing::Not(HasSubstr("TEMP B-TREE")));
}

// A PutExecution whose condition fails inside a group commit answers ABORTED and writes
// nothing; the other writes of the batch, items and executions, commit.
TEST_F(SqliteStoreTest, ConflictingExecutionWriteDoesNotFailItsBatch) {
  std::vector<std::size_t> batches;
  internal::Mutex mu;
  StoreOptions options = Options();
  options.observer.on_commit = [&](std::size_t n, absl::Duration, bool ok) {
    internal::MutexLock lock(&mu);
    if (ok) batches.push_back(n);
  };
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", options));
  ASSERT_THAT(PutExecutionAndWait(*store, MakeExecution("arn:existing", "WAITING", "v1"), 0),
              IsOk());

  store->PauseWriterForTest();
  constexpr int kWrites = 6;
  std::vector<absl::Status> statuses(kWrites, absl::UnknownError("not run"));
  std::vector<std::int64_t> versions(kWrites, -1);
  internal::Notification done;
  std::atomic<int> left{kWrites};
  auto finish = [&](int i, absl::Status status) {
    statuses[i] = std::move(status);
    if (--left == 0) done.Notify();
  };
  auto exec_cb = [&](int i) {
    return [&, i](absl::StatusOr<ExecutionRecord> r) {
      if (r.ok()) versions[i] = r->version;
      finish(i, r.status());
    };
  };
  store->Put(MakeItem("item1@x.org"), [&](absl::StatusOr<PutResult> r) { finish(0, r.status()); });
  store->PutExecution(MakeExecution("arn:new", "WAITING", "first"), 0, exec_cb(1));
  // Conflicts with the create just before it in the same batch.
  store->PutExecution(MakeExecution("arn:new", "WAITING", "second"), 0, exec_cb(2));
  // Conflicts with the stored version 1.
  store->PutExecution(MakeExecution("arn:existing", "FAILED", "stale"), 7, exec_cb(3));
  store->PutExecution(MakeExecution("arn:existing", "SUCCEEDED", "v2"), 1, exec_cb(4));
  store->Put(MakeItem("item2@x.org"), [&](absl::StatusOr<PutResult> r) { finish(5, r.status()); });
  store->ResumeWriterForTest();
  done.WaitForNotification();

  EXPECT_THAT(statuses[0], IsOk());
  EXPECT_THAT(statuses[1], IsOk());
  EXPECT_THAT(statuses[2], StatusIs(absl::StatusCode::kAborted, HasSubstr("already exists")));
  EXPECT_THAT(statuses[3], StatusIs(absl::StatusCode::kAborted, HasSubstr("is at version 1")));
  EXPECT_THAT(statuses[4], IsOk());
  EXPECT_THAT(statuses[5], IsOk());
  EXPECT_EQ(versions[1], 1);
  EXPECT_EQ(versions[4], 2);
  {
    internal::MutexLock lock(&mu);
    EXPECT_EQ(batches, (std::vector<std::size_t>{1, kWrites})) << "one group commit";
  }
  // Durable: visible after a reopen, and the conflicting writes left no trace.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, SqliteStore::Open("", Options()));
  EXPECT_THAT(*GetAndWait(*store, "item1@x.org"), Optional(::testing::_));
  EXPECT_THAT(*GetAndWait(*store, "item2@x.org"), Optional(::testing::_));
  ASSERT_OK_AND_ASSIGN(std::optional<ExecutionRecord> created,
                       GetExecutionAndWait(*store, "arn:new"));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->body, "first");
  EXPECT_EQ(created->version, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<ExecutionRecord> existing,
                       GetExecutionAndWait(*store, "arn:existing"));
  ASSERT_TRUE(existing.has_value());
  EXPECT_EQ(existing->body, "v2");
  EXPECT_EQ(existing->status, "SUCCEEDED");
  EXPECT_EQ(existing->version, 2);
}

// Fault injection: the disk fails under a commit.
class SqliteFaultTest : public SqliteStoreTest, public ::testing::WithParamInterface<bool> {
 protected:
  // Counter so that every test registers its own VFS name.
  static std::string NextVfsName() {
    static std::atomic<int> n{0};
    return absl::StrCat("ingestd-fault-", n++);
  }
  FaultInjectionVfs vfs_{NextVfsName()};
};

TEST_P(SqliteFaultTest, FailedCommitFailsEveryWaiterAndLosesNothingAcknowledged) {
  const bool fail_sync = GetParam();
  struct Commit {
    std::size_t n;
    bool ok;
  };
  std::vector<Commit> commits;
  internal::Mutex mu;
  StoreOptions options = Options();
  options.observer.on_commit = [&](std::size_t n, absl::Duration, bool ok) {
    internal::MutexLock lock(&mu);
    commits.push_back({n, ok});
  };
  SqliteStoreOptions sqlite_options;
  sqlite_options.vfs = vfs_.name();
  sqlite_options.reader_threads = 1;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", options, sqlite_options));

  std::vector<std::string> acknowledged;
  for (int i = 0; i < 20; ++i) {
    std::string id = absl::StrCat("before", i);
    ASSERT_THAT(PutAndWait(*store, MakeItem(id)), IsOk());
    acknowledged.push_back(id);
  }

  // A batch of 10, including a replacement of an acknowledged item, hits the fault.
  constexpr int kBatch = 10;
  store->PauseWriterForTest();
  std::vector<absl::Status> statuses(kBatch);
  internal::Notification done;
  std::atomic<int> left{kBatch};
  for (int i = 0; i < kBatch; ++i) {
    Item item = MakeItem(i == 0 ? "before0" : absl::StrCat("doomed", i), "changed");
    store->Put(item, [&, i](absl::StatusOr<PutResult> r) {
      statuses[i] = r.status();
      if (--left == 0) done.Notify();
    });
  }
  if (fail_sync) {
    vfs_.FailNextSyncs(1);
  } else {
    vfs_.FailNextWrites(1);
  }
  store->ResumeWriterForTest();
  done.WaitForNotification();
  EXPECT_EQ(fail_sync ? vfs_.failed_syncs() : vfs_.failed_writes(), 1);
  for (int i = 0; i < kBatch; ++i) {
    EXPECT_THAT(statuses[i], StatusIs(absl::StatusCode::kUnavailable)) << i;
  }
  {
    internal::MutexLock lock(&mu);
    ASSERT_FALSE(commits.empty());
    EXPECT_EQ(commits.back().n, static_cast<std::size_t>(kBatch));
    EXPECT_FALSE(commits.back().ok);
  }

  // Nothing of the failed batch is visible.
  for (int i = 1; i < kBatch; ++i) {
    EXPECT_THAT(*GetAndWait(*store, absl::StrCat("doomed", i)), std::nullopt);
  }
  ASSERT_OK_AND_ASSIGN(std::optional<Item> before0, GetAndWait(*store, "before0"));
  ASSERT_TRUE(before0.has_value());
  EXPECT_EQ(before0->user_name, "Jane Doe");

  // The fault has cleared: the store works again.
  for (int i = 0; i < 20; ++i) {
    std::string id = absl::StrCat("after", i);
    ASSERT_THAT(PutAndWait(*store, MakeItem(id)), IsOk());
    acknowledged.push_back(id);
  }
  EXPECT_THAT(store->Ping(), IsOk());
  store.reset();

  // Everything acknowledged is still there after reopening; nothing failed came back.
  ASSERT_OK_AND_ASSIGN(store, SqliteStore::Open("", Options()));
  for (const std::string& id : acknowledged) {
    EXPECT_THAT(*GetAndWait(*store, id), Optional(::testing::_)) << id;
  }
  for (int i = 1; i < kBatch; ++i) {
    EXPECT_THAT(*GetAndWait(*store, absl::StrCat("doomed", i)), std::nullopt);
  }
  EXPECT_EQ((*GetAndWait(*store, "before0"))->user_name, "Jane Doe");
}

TEST_P(SqliteFaultTest, FailedCommitFailsExecutionWritesWithUnavailable) {
  SqliteStoreOptions sqlite_options;
  sqlite_options.vfs = vfs_.name();
  sqlite_options.reader_threads = 1;
  ASSERT_OK_AND_ASSIGN(auto store, SqliteStore::Open("", Options(), sqlite_options));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v1,
                       PutExecutionAndWait(*store, MakeExecution("arn:f", "WAITING", "v1"), 0));

  // One batch: an update, a create, and a create that conflicts with it.
  store->PauseWriterForTest();
  std::vector<absl::Status> statuses(3);
  internal::Notification done;
  std::atomic<int> left{3};
  auto cb = [&](int i) {
    return [&, i](absl::StatusOr<ExecutionRecord> r) {
      statuses[i] = r.status();
      if (--left == 0) done.Notify();
    };
  };
  store->PutExecution(MakeExecution("arn:f", "SUCCEEDED", "v2"), 1, cb(0));
  store->PutExecution(MakeExecution("arn:g"), 0, cb(1));
  store->PutExecution(MakeExecution("arn:g"), 0, cb(2));
  if (GetParam()) {
    vfs_.FailNextSyncs(1);
  } else {
    vfs_.FailNextWrites(1);
  }
  store->ResumeWriterForTest();
  done.WaitForNotification();
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(statuses[i], StatusIs(absl::StatusCode::kUnavailable)) << i;
  }
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:f"), Optional(v1));
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:g"), std::nullopt);

  // The fault has cleared: the same write with the same expected version now succeeds.
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v2,
                       PutExecutionAndWait(*store, MakeExecution("arn:f", "SUCCEEDED", "v2"), 1));
  EXPECT_EQ(v2.version, 2);
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, SqliteStore::Open("", Options()));
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:f"), Optional(v2));
  EXPECT_THAT(*GetExecutionAndWait(*store, "arn:g"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(SyncOrWrite, SqliteFaultTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Sync" : "Write";
                         });

}  // namespace
}  // namespace ingestd::store
