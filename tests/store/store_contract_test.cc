// The Store contract, run over every backend.
#include <atomic>
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
using ::ingestd::store::testing::MakeItem;
using ::ingestd::store::testing::PutAndWait;
using ::ingestd::store::testing::ScanAndWait;
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

TEST(OpenStoreTest, RejectsUnknownScheme) {
  EXPECT_THAT(OpenStore("postgres://x", {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("expected sqlite: or memory:")));
  EXPECT_THAT(OpenStore("", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ingestd::store
