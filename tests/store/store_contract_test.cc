// The Store contract, run over every backend.
#include <atomic>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "common/clock.h"
#include "store/cursor.h"
#include "store/internal/sync.h"
#include "store/store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace ingestd::store {
namespace {

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
using ::testing::Optional;

struct MemoryBackend {
  static constexpr const char* kUri = "memory:";
};
struct SqliteBackend {
  static constexpr const char* kUri = "sqlite:";
};

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  StoreContractTest() : clock_(absl::FromUnixMicros(1'700'000'000'123'456)) { Reopen(); }

  void Reopen() {
    store_.reset();
    StoreOptions options;
    options.data_dir = dir_.path() + "/data";
    options.clock = &clock_;
    options.observer.on_commit = [this](std::size_t n, absl::Duration, bool ok) {
      if (ok) committed_ += n;
    };
    auto store = OpenStore(Backend::kUri, options);
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  ::ingestd::testing::TempDir dir_;
  common::ManualClock clock_;
  std::atomic<std::size_t> committed_{0};
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryBackend> ? "Memory" : "Sqlite";
  }
};
TYPED_TEST_SUITE(StoreContractTest, Backends, BackendNames);

TYPED_TEST(StoreContractTest, PutCreatesThenReplacesKeepingCreatedAt) {
  Store& store = *this->store_;
  const absl::Time t0 = this->clock_.Now();
  ASSERT_OK_AND_ASSIGN(PutResult first, PutAndWait(store, MakeItem("a@example.com", "Ann")));
  EXPECT_EQ(first.outcome, PutOutcome::kCreated);
  EXPECT_EQ(first.item.id, "a@example.com");
  EXPECT_EQ(first.item.user_name, "Ann");
  EXPECT_EQ(first.item.created_at, t0);
  EXPECT_EQ(first.item.updated_at, t0);

  this->clock_.Advance(absl::Seconds(5));
  ASSERT_OK_AND_ASSIGN(PutResult second, PutAndWait(store, MakeItem("a@example.com", "Anne")));
  EXPECT_EQ(second.outcome, PutOutcome::kReplaced);
  EXPECT_EQ(second.item.user_name, "Anne");
  EXPECT_EQ(second.item.created_at, t0);
  EXPECT_EQ(second.item.updated_at, t0 + absl::Seconds(5));

  EXPECT_THAT(GetAndWait(store, "a@example.com"), IsOk());
  EXPECT_THAT(*GetAndWait(store, "a@example.com"), Optional(second.item));
  EXPECT_EQ(this->committed_.load(), 2u);
}

TYPED_TEST(StoreContractTest, PutIgnoresCallerTimesAndTruncatesToMicros) {
  this->clock_.Set(absl::FromUnixNanos(1'700'000'000'000'000'999));
  Item item = MakeItem("t@example.com");
  item.created_at = absl::UnixEpoch();
  item.updated_at = absl::InfiniteFuture();
  ASSERT_OK_AND_ASSIGN(PutResult r, PutAndWait(*this->store_, item));
  EXPECT_EQ(r.item.created_at, absl::FromUnixMicros(1'700'000'000'000'000));
  EXPECT_EQ(r.item.updated_at, r.item.created_at);
  EXPECT_THAT(*GetAndWait(*this->store_, "t@example.com"), Optional(r.item));
}

TYPED_TEST(StoreContractTest, GetOfMissingIdIsNullopt) {
  ASSERT_OK_AND_ASSIGN(std::optional<Item> item, GetAndWait(*this->store_, "nobody@example.com"));
  EXPECT_EQ(item, std::nullopt);
}

TYPED_TEST(StoreContractTest, PutRejectsMalformedIds) {
  EXPECT_THAT(PutAndWait(*this->store_, MakeItem("")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PutAndWait(*this->store_, MakeItem(std::string(kMaxIdBytes + 1, 'x'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PutAndWait(*this->store_, MakeItem(std::string(kMaxIdBytes, 'x'))), IsOk());
}

TYPED_TEST(StoreContractTest, CallbacksRunOnAStoreThread) {
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id put_thread, get_thread, scan_thread;
  internal::Notification put_done, get_done, scan_done;
  this->store_->Put(MakeItem("a@b.c"), [&](absl::StatusOr<PutResult>) {
    put_thread = std::this_thread::get_id();
    put_done.Notify();
  });
  put_done.WaitForNotification();
  this->store_->Get("a@b.c", [&](absl::StatusOr<std::optional<Item>>) {
    get_thread = std::this_thread::get_id();
    get_done.Notify();
  });
  get_done.WaitForNotification();
  this->store_->Scan({}, [&](absl::StatusOr<Page>) {
    scan_thread = std::this_thread::get_id();
    scan_done.Notify();
  });
  scan_done.WaitForNotification();
  EXPECT_NE(put_thread, caller);
  EXPECT_NE(get_thread, caller);
  EXPECT_NE(scan_thread, caller);
}

TYPED_TEST(StoreContractTest, ScanWalksEveryItemExactlyOnceInOrder) {
  std::set<std::string> ids;
  for (int i = 0; i < 345; ++i) ids.insert("user" + std::to_string(i * 7919 % 1000) + "@x.org");
  for (const std::string& id : ids) ASSERT_THAT(PutAndWait(*this->store_, MakeItem(id)), IsOk());

  for (std::size_t limit : {1u, 7u, 100u, 345u, 1000u}) {
    std::vector<std::string> seen;
    ScanRequest request{.limit = limit, .cursor = ""};
    int pages = 0;
    while (true) {
      ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*this->store_, request));
      ++pages;
      ASSERT_LE(page.items.size(), limit);
      for (const Item& item : page.items) seen.push_back(item.id);
      if (!page.next_cursor) break;
      ASSERT_EQ(page.items.size(), limit) << "a page before the last is full";
      request.cursor = *page.next_cursor;
    }
    EXPECT_EQ(seen, std::vector<std::string>(ids.begin(), ids.end())) << "limit " << limit;
    EXPECT_EQ(pages, static_cast<int>((ids.size() + limit - 1) / limit)) << "limit " << limit;
  }
}

TYPED_TEST(StoreContractTest, ScanOfEmptyStoreIsOneEmptyPage) {
  ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*this->store_, {}));
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(page.next_cursor, std::nullopt);
}

TYPED_TEST(StoreContractTest, ScanCursorAfterLastItemGivesEmptyPage) {
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem("a")), IsOk());
  ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*this->store_, {.limit = 1, .cursor = ""}));
  EXPECT_EQ(page.next_cursor, std::nullopt) << "exactly `limit` items left is the last page";
  ASSERT_OK_AND_ASSIGN(page, ScanAndWait(*this->store_, {.cursor = EncodeCursor("a")}));
  EXPECT_TRUE(page.items.empty());
  // A cursor names a position, not an item: one for an id that was never stored works too.
  ASSERT_OK_AND_ASSIGN(page, ScanAndWait(*this->store_, {.cursor = EncodeCursor("0")}));
  ASSERT_EQ(page.items.size(), 1u);
}

TYPED_TEST(StoreContractTest, ScanRejectsBadLimitsAndCursors) {
  EXPECT_THAT(ScanAndWait(*this->store_, {.limit = 0, .cursor = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ScanAndWait(*this->store_, {.limit = 1001, .cursor = ""}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ScanAndWait(*this->store_, {.limit = 1000, .cursor = ""}), IsOk());
  EXPECT_THAT(ScanAndWait(*this->store_, {.limit = 1, .cursor = ""}), IsOk());
  EXPECT_THAT(ScanAndWait(*this->store_, {.cursor = "not a cursor!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "cursor is not valid"));
}

TYPED_TEST(StoreContractTest, ValuesAreByteExact) {
  const std::vector<std::string> values = {
      "'); DROP TABLE items;--",
      "\" OR 1=1 --",
      std::string("nul\0byte", 8),
      std::string("\0", 1),
      "ünïcødé 例え 🙂",
      "\xff\xfe not utf-8 \x80",
      "back\\slash %s %n ?1 :name @p $x",
      "",
      std::string(5000, 'v'),
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    Item item;
    item.id = values[i].empty() ? "empty" : values[i].substr(0, 100);
    item.user_name = values[i];
    item.email = values[(i + 1) % values.size()];
    item.pincode = values[(i + 2) % values.size()];
    ASSERT_OK_AND_ASSIGN(PutResult r, PutAndWait(*this->store_, item));
    EXPECT_EQ(r.item.id, item.id);
    ASSERT_OK_AND_ASSIGN(std::optional<Item> got, GetAndWait(*this->store_, item.id));
    ASSERT_TRUE(got.has_value()) << i;
    EXPECT_EQ(got->id, item.id);
    EXPECT_EQ(got->user_name, item.user_name);
    EXPECT_EQ(got->email, item.email);
    EXPECT_EQ(got->pincode, item.pincode);
  }
  // Ids differing only after a NUL byte are different ids, ordered bytewise.
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem(std::string("k\0b", 3))), IsOk());
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem(std::string("k\0a", 3))), IsOk());
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem("k")), IsOk());
  ASSERT_OK_AND_ASSIGN(Page page,
                       ScanAndWait(*this->store_, {.limit = 3, .cursor = EncodeCursor("j")}));
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].id, "k");
  EXPECT_EQ(page.items[1].id, std::string("k\0a", 3));
  EXPECT_EQ(page.items[2].id, std::string("k\0b", 3));
  // The table survived the injection attempt.
  EXPECT_THAT(*GetAndWait(*this->store_, "'); DROP TABLE items;--"), Optional(::testing::_));
}

TYPED_TEST(StoreContractTest, ConcurrentPutsOfOneIdMakeOneItem) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> created{0}, replaced{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = PutAndWait(*this->store_, MakeItem("same@example.com", std::to_string(t)));
        if (!r.ok()) {
          ++failed;
        } else if (r->outcome == PutOutcome::kCreated) {
          ++created;
        } else {
          ++replaced;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(replaced.load(), kThreads * kPerThread - 1);
  ASSERT_OK_AND_ASSIGN(Page page, ScanAndWait(*this->store_, {}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, "same@example.com");
}

TYPED_TEST(StoreContractTest, CloseDrainsPendingPutsThenRefuses) {
  constexpr int kPuts = 500;
  std::atomic<int> ok{0};
  for (int i = 0; i < kPuts; ++i) {
    this->store_->Put(MakeItem("drain" + std::to_string(i)), [&](absl::StatusOr<PutResult> r) {
      if (r.ok()) ++ok;
    });
  }
  this->store_->Close();
  EXPECT_EQ(ok.load(), kPuts) << "every put accepted before Close() completes before it returns";
  EXPECT_THAT(PutAndWait(*this->store_, MakeItem("late")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(GetAndWait(*this->store_, "drain0"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ScanAndWait(*this->store_, {}), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(this->store_->Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(PutExecutionAndWait(*this->store_, MakeExecution("late"), 0),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(GetExecutionAndWait(*this->store_, "late"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ScanExecutionsAndWait(*this->store_, {}), StatusIs(absl::StatusCode::kUnavailable));
  this->store_->Close();  // idempotent
}

TYPED_TEST(StoreContractTest, PingAnswersWhileOpen) { EXPECT_THAT(this->store_->Ping(), IsOk()); }

TYPED_TEST(StoreContractTest, CallbacksMayCallTheStore) {
  internal::Notification done;
  std::optional<absl::StatusOr<std::optional<Item>>> got;
  this->store_->Put(MakeItem("chain@x.org"), [&](absl::StatusOr<PutResult> r) {
    ASSERT_TRUE(r.ok());
    this->store_->Get("chain@x.org", [&](absl::StatusOr<std::optional<Item>> g) {
      got = std::move(g);
      done.Notify();
    });
  });
  done.WaitForNotification();
  ASSERT_THAT(*got, IsOk());
  EXPECT_TRUE(got->value().has_value());
}

// --- Execution records ---

TYPED_TEST(StoreContractTest, ExecutionCreateWithExpectedZeroIsVersionOne) {
  Store& store = *this->store_;
  ExecutionRecord record = MakeExecution("arn:exec:1", "WAITING", R"({"token":"t1"})");
  record.version = 42;                         // ignored
  record.updated_at = absl::InfiniteFuture();  // ignored
  this->clock_.Set(absl::FromUnixNanos(1'700'000'000'000'000'999));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord written, PutExecutionAndWait(store, record, 0));
  EXPECT_EQ(written.arn, "arn:exec:1");
  EXPECT_EQ(written.status, "WAITING");
  EXPECT_EQ(written.body, R"({"token":"t1"})");
  EXPECT_EQ(written.version, 1);
  EXPECT_EQ(written.updated_at, absl::FromUnixMicros(1'700'000'000'000'000));
  EXPECT_THAT(GetExecutionAndWait(store, "arn:exec:1"), IsOk());
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:exec:1"), Optional(written));
  EXPECT_EQ(this->committed_.load(), 1u);
}

TYPED_TEST(StoreContractTest, ExecutionCreateTwiceIsAbortedAndKeepsTheFirst) {
  Store& store = *this->store_;
  ASSERT_OK_AND_ASSIGN(ExecutionRecord first,
                       PutExecutionAndWait(store, MakeExecution("arn:x", "WAITING", "first"), 0));
  this->clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution("arn:x", "FAILED", "second"), 0),
              StatusIs(absl::StatusCode::kAborted, ::testing::HasSubstr("already exists")));
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:x"), Optional(first));
}

TYPED_TEST(StoreContractTest, ExecutionUpdateWithTheRightVersionBumpsIt) {
  Store& store = *this->store_;
  const absl::Time t0 = this->clock_.Now();
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v1,
                       PutExecutionAndWait(store, MakeExecution("arn:u", "WAITING", "b1"), 0));
  this->clock_.Advance(absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v2,
                       PutExecutionAndWait(store, MakeExecution("arn:u", "RESUMING", "b2"), 1));
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.status, "RESUMING");
  EXPECT_EQ(v2.body, "b2");
  EXPECT_EQ(v2.updated_at, t0 + absl::Seconds(3));
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:u"), Optional(v2));
  this->clock_.Advance(absl::Seconds(3));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v3,
                       PutExecutionAndWait(store, MakeExecution("arn:u", "SUCCEEDED", ""), 2));
  EXPECT_EQ(v3.version, 3);
  EXPECT_EQ(v3.body, "") << "an empty body is a body";
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:u"), Optional(v3));
  EXPECT_EQ(v1.version, 1);
}

TYPED_TEST(StoreContractTest, ExecutionUpdateWithAWrongVersionIsAbortedAndChangesNothing) {
  Store& store = *this->store_;
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v1,
                       PutExecutionAndWait(store, MakeExecution("arn:w", "WAITING", "b1"), 0));
  ASSERT_OK_AND_ASSIGN(ExecutionRecord v2,
                       PutExecutionAndWait(store, MakeExecution("arn:w", "WAITING", "b2"), 1));
  for (std::int64_t wrong : {1, 3, 1000}) {
    EXPECT_THAT(PutExecutionAndWait(store, MakeExecution("arn:w", "FAILED", "bad"), wrong),
                StatusIs(absl::StatusCode::kAborted,
                         ::testing::HasSubstr("is at version 2, not the expected")))
        << wrong;
  }
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:w"), Optional(v2));
  // An update of a record that does not exist is a conflict too, and creates nothing.
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution("arn:none"), 1),
              StatusIs(absl::StatusCode::kAborted, ::testing::HasSubstr("does not exist")));
  EXPECT_THAT(*GetExecutionAndWait(store, "arn:none"), std::nullopt);
  EXPECT_EQ(v1.version, 1);
}

TYPED_TEST(StoreContractTest, ExecutionRacesOnOneVersionHaveExactlyOneWinner) {
  constexpr int kThreads = 16;
  Store& store = *this->store_;
  for (std::int64_t expected : {0, 1}) {
    std::latch start(kThreads);
    std::atomic<int> ok{0}, aborted{0}, other{0};
    std::vector<std::string> winner_body(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        auto r = PutExecutionAndWait(
            store, MakeExecution("arn:race", "RESUMING", "thread " + std::to_string(t)), expected);
        if (r.ok()) {
          ++ok;
          winner_body[t] = r->body;
        } else if (r.status().code() == absl::StatusCode::kAborted) {
          ++aborted;
        } else {
          ++other;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1) << "expected " << expected;
    EXPECT_EQ(aborted.load(), kThreads - 1);
    EXPECT_EQ(other.load(), 0);
    ASSERT_OK_AND_ASSIGN(std::optional<ExecutionRecord> stored,
                         GetExecutionAndWait(store, "arn:race"));
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->version, expected + 1);
    int winners = 0;
    for (const std::string& body : winner_body) {
      if (body.empty()) continue;
      ++winners;
      EXPECT_EQ(stored->body, body) << "the stored record is the winner's";
    }
    EXPECT_EQ(winners, 1);
  }
}

TYPED_TEST(StoreContractTest, GetExecutionOfMissingArnIsNullopt) {
  ASSERT_OK_AND_ASSIGN(std::optional<ExecutionRecord> got,
                       GetExecutionAndWait(*this->store_, "arn:missing"));
  EXPECT_EQ(got, std::nullopt);
  // Executions and items are separate key spaces.
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem("shared-key")), IsOk());
  EXPECT_THAT(*GetExecutionAndWait(*this->store_, "shared-key"), std::nullopt);
  ASSERT_THAT(PutExecutionAndWait(*this->store_, MakeExecution("only-exec"), 0), IsOk());
  EXPECT_THAT(*GetAndWait(*this->store_, "only-exec"), std::nullopt);
}

// Every page walk of `request` (limit and status as given) returns these arns in order,
// each exactly once, with full pages before the last.
void ExpectExecutionWalk(Store& store, ExecutionScanRequest request,
                         const std::vector<std::string>& want) {
  std::vector<std::string> seen;
  const std::size_t limit = request.limit;
  int pages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(ExecutionPage page, ScanExecutionsAndWait(store, request));
    ++pages;
    ASSERT_LE(page.records.size(), limit);
    for (const ExecutionRecord& r : page.records) {
      seen.push_back(r.arn);
      if (!request.status.empty()) {
        EXPECT_EQ(r.status, request.status) << r.arn;
      }
    }
    if (!page.next_cursor) break;
    ASSERT_EQ(page.records.size(), limit) << "a page before the last is full";
    request.cursor = *page.next_cursor;
  }
  EXPECT_EQ(seen, want) << "status '" << request.status << "' limit " << limit;
  const std::size_t want_pages = want.empty() ? 1 : (want.size() + limit - 1) / limit;
  EXPECT_EQ(pages, static_cast<int>(want_pages))
      << "status '" << request.status << "' limit " << limit;
}

TYPED_TEST(StoreContractTest, ScanExecutionsWalksEveryRecordOnceInOrderByStatus) {
  const std::vector<std::string> statuses = {"WAITING", "SUCCEEDED", "FAILED"};
  std::map<std::string, std::string> status_of;  // arn -> status
  for (int i = 0; i < 157; ++i) {
    std::string arn = "arn:aws:states:local:0:execution:wf:" + std::to_string(i * 7919 % 1000);
    status_of[arn] = statuses[static_cast<std::size_t>(i) % (i < 150 ? 3 : 1)];
  }
  for (const auto& [arn, status] : status_of) {
    ASSERT_THAT(PutExecutionAndWait(*this->store_, MakeExecution(arn, "WAITING"), 0), IsOk());
    if (status != "WAITING") {
      ASSERT_THAT(PutExecutionAndWait(*this->store_, MakeExecution(arn, status), 1), IsOk());
    }
  }
  std::vector<std::string> all;
  std::map<std::string, std::vector<std::string>> by_status;
  for (const auto& [arn, status] : status_of) {
    all.push_back(arn);
    by_status[status].push_back(arn);
  }
  for (std::size_t limit : {1u, 7u, 64u, 157u, 1000u}) {
    ExpectExecutionWalk(*this->store_, {.status = "", .limit = limit, .cursor = ""}, all);
    for (const std::string& status : statuses) {
      ExpectExecutionWalk(*this->store_, {.status = status, .limit = limit, .cursor = ""},
                          by_status[status]);
    }
    ExpectExecutionWalk(*this->store_, {.status = "TIMED_OUT", .limit = limit, .cursor = ""}, {});
  }
  // A page that ends exactly at the last matching record is the last page.
  const std::vector<std::string>& failed = by_status["FAILED"];
  ASSERT_OK_AND_ASSIGN(
      ExecutionPage page,
      ScanExecutionsAndWait(*this->store_,
                            {.status = "FAILED", .limit = failed.size(), .cursor = ""}));
  EXPECT_EQ(page.records.size(), failed.size());
  EXPECT_EQ(page.next_cursor, std::nullopt);
  // A cursor names a position: it may come from another filter or name no record.
  ASSERT_OK_AND_ASSIGN(
      page, ScanExecutionsAndWait(
                *this->store_,
                {.status = "FAILED", .limit = 1000, .cursor = EncodeCursor(failed[0] + "\x01")}));
  EXPECT_EQ(page.records.size(), failed.size() - 1);
  // Records come back whole.
  ASSERT_OK_AND_ASSIGN(page, ScanExecutionsAndWait(*this->store_, {.limit = 1}));
  ASSERT_EQ(page.records.size(), 1u);
  EXPECT_THAT(*GetExecutionAndWait(*this->store_, page.records[0].arn), Optional(page.records[0]));
}

TYPED_TEST(StoreContractTest, ScanExecutionsOfEmptyStoreIsOneEmptyPage) {
  ASSERT_THAT(PutAndWait(*this->store_, MakeItem("an-item")), IsOk());
  ASSERT_OK_AND_ASSIGN(ExecutionPage page, ScanExecutionsAndWait(*this->store_, {}));
  EXPECT_TRUE(page.records.empty());
  EXPECT_EQ(page.next_cursor, std::nullopt);
}

TYPED_TEST(StoreContractTest, ScanExecutionsRejectsBadLimitsCursorsAndStatuses) {
  Store& store = *this->store_;
  EXPECT_THAT(ScanExecutionsAndWait(store, {.limit = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ScanExecutionsAndWait(store, {.status = "WAITING", .limit = 1001}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ScanExecutionsAndWait(store, {.limit = 1000}), IsOk());
  EXPECT_THAT(ScanExecutionsAndWait(store, {.limit = 1}), IsOk());
  EXPECT_THAT(ScanExecutionsAndWait(store, {.cursor = "not a cursor!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "cursor is not valid"));
  EXPECT_THAT(ScanExecutionsAndWait(store, {.status = "WAITING", .cursor = "%%%"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "cursor is not valid"));
  EXPECT_THAT(
      ScanExecutionsAndWait(store, {.status = std::string(kMaxExecutionStatusBytes + 1, 'S')}),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TYPED_TEST(StoreContractTest, ExecutionRejectsMalformedArnsStatusesAndVersions) {
  Store& store = *this->store_;
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution(""), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "execution arn is empty"));
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution(std::string(kMaxIdBytes + 1, 'a')), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution("arn:s", ""), 0),
              StatusIs(absl::StatusCode::kInvalidArgument, "execution status is empty"));
  EXPECT_THAT(PutExecutionAndWait(
                  store, MakeExecution("arn:s", std::string(kMaxExecutionStatusBytes + 1, 'S')), 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PutExecutionAndWait(store, MakeExecution("arn:s"), -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GetExecutionAndWait(store, ""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GetExecutionAndWait(store, std::string(kMaxIdBytes + 1, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(ExecutionPage page, ScanExecutionsAndWait(store, {}));
  EXPECT_TRUE(page.records.empty()) << "nothing malformed was written";
  // The limits are inclusive.
  const std::string longest(kMaxIdBytes, 'a');
  ASSERT_THAT(PutExecutionAndWait(
                  store, MakeExecution(longest, std::string(kMaxExecutionStatusBytes, 'S')), 0),
              IsOk());
  EXPECT_THAT(*GetExecutionAndWait(store, longest), Optional(::testing::_));
}

TYPED_TEST(StoreContractTest, ExecutionValuesAreByteExact) {
  Store& store = *this->store_;
  const std::string arn("arn\0with nul '); DROP TABLE executions;--", 42);
  const std::string status("ST\0\xff", 4);
  const std::string body =
      std::string("{\"b\":\"\0\xfe ünï 🙂\"}", 21) + std::string(70000, 'x');
  ASSERT_OK_AND_ASSIGN(ExecutionRecord written,
                       PutExecutionAndWait(store, MakeExecution(arn, status, body), 0));
  EXPECT_EQ(written.arn, arn);
  EXPECT_EQ(written.status, status);
  EXPECT_EQ(written.body, body);
  EXPECT_THAT(*GetExecutionAndWait(store, arn), Optional(written));
  EXPECT_THAT(*GetExecutionAndWait(store, "arn"), std::nullopt) << "no truncation at the NUL";
  ASSERT_OK_AND_ASSIGN(ExecutionPage page,
                       ScanExecutionsAndWait(store, {.status = status, .limit = 10}));
  ASSERT_EQ(page.records.size(), 1u);
  EXPECT_EQ(page.records[0], written);
  ASSERT_OK_AND_ASSIGN(page, ScanExecutionsAndWait(store, {.status = "ST", .limit = 10}));
  EXPECT_TRUE(page.records.empty());
}

TYPED_TEST(StoreContractTest, ExecutionCallbacksRunOnAStoreThreadAndMayCallTheStore) {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> threads;
  internal::Notification done;
  std::optional<absl::StatusOr<ExecutionRecord>> second;
  Store& store = *this->store_;
  store.PutExecution(MakeExecution("arn:cb"), 0, [&](absl::StatusOr<ExecutionRecord> r) {
    threads.push_back(std::this_thread::get_id());
    ASSERT_TRUE(r.ok());
    store.GetExecution("arn:cb", [&](absl::StatusOr<std::optional<ExecutionRecord>> g) {
      threads.push_back(std::this_thread::get_id());
      ASSERT_TRUE(g.ok() && g->has_value());
      store.ScanExecutions({}, [&, version = (*g)->version](absl::StatusOr<ExecutionPage>) {
        threads.push_back(std::this_thread::get_id());
        store.PutExecution(MakeExecution("arn:cb", "SUCCEEDED"), version,
                           [&](absl::StatusOr<ExecutionRecord> p) {
                             threads.push_back(std::this_thread::get_id());
                             second = std::move(p);
                             done.Notify();
                           });
      });
    });
  });
  done.WaitForNotification();
  ASSERT_EQ(threads.size(), 4u);
  for (std::thread::id id : threads) EXPECT_NE(id, caller);
  ASSERT_THAT(*second, IsOk());
  EXPECT_EQ((*second)->version, 2);
}

TEST(OpenStoreTest, RejectsUnknownScheme) {
  EXPECT_THAT(OpenStore("postgres://x", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("expected sqlite: or memory:")));
  EXPECT_THAT(OpenStore("", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ingestd::store
