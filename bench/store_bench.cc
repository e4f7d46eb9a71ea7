// Store workloads on every backend: Put throughput with concurrent producers (SQLite durable:
// group commit, one fsync per batch; memory for comparison) and Scan page latency on a large
// store.
//
//   build/<dir>/bench/store_bench --benchmark_filter=Put
//   INGESTD_BENCH_DIR=/var/tmp/ingestd-bench build/<dir>/bench/store_bench --benchmark_filter=Scan
//
// The 1M-item SQLite database of the Scan benchmark is built once (through the store's own
// Put path) under $INGESTD_BENCH_DIR (default /tmp/ingestd-store-bench) and reused by later
// runs.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/cursor.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace ingestd::store {
namespace {

std::string BenchDir() {
  const char* dir = std::getenv("INGESTD_BENCH_DIR");
  return dir != nullptr ? dir : "/tmp/ingestd-store-bench";
}

// Ids spread over the key space, as emails are: consecutive puts land on different pages.
std::string IdFor(std::uint64_t i) {
  std::uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
  return absl::StrFormat("user%016x.%d@example.com", h, i);
}

Item ItemFor(std::uint64_t i) {
  Item item;
  item.id = IdFor(i);
  item.email = item.id;
  item.user_name = absl::StrCat("User Number ", i);
  item.pincode = absl::StrFormat("%06d", 100000 + i % 900000);
  return item;
}

// Caps the Puts in flight: a producer with a window of W has at most W unanswered Puts.
class Window {
 public:
  explicit Window(int size) : free_(size), size_(size) {}
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* free) { return *free > 0; }, &free_));
    --free_;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    ++free_;
  }
  void WaitAllReleased() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Window::AllFree));
  }

 private:
  bool AllFree() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return free_ == size_; }
  absl::Mutex mu_;
  int free_ ABSL_GUARDED_BY(mu_);
  const int size_;
};

// One store shared by the benchmark's threads; thread 0 opens and closes it.
std::unique_ptr<Store> g_store;

using Opener = absl::StatusOr<std::unique_ptr<Store>> (*)(const StoreOptions&);

absl::StatusOr<std::unique_ptr<Store>> OpenSqlite(const StoreOptions& options) {
  return OpenStore("sqlite:", options);
}
// SQLite's own checkpointing inside COMMIT, for comparison with the default background one.
absl::StatusOr<std::unique_ptr<Store>> OpenSqliteInlineCheckpoint(const StoreOptions& options) {
  SqliteStoreOptions sqlite_options;
  sqlite_options.background_checkpoint = false;
  auto store = SqliteStore::Open("", options, sqlite_options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}
absl::StatusOr<std::unique_ptr<Store>> OpenMemory(const StoreOptions& options) {
  return OpenStore("memory:", options);
}

void BM_Put(benchmark::State& state, Opener open) {
  const int window_size = static_cast<int>(state.range(0));
  static std::atomic<std::uint64_t> next_id{0};
  static std::atomic<std::uint64_t> commits{0};
  static std::string dir;
  // Written by the store's writer thread only, read after the store is closed.
  static std::vector<double> commit_ms;
  if (state.thread_index() == 0) {
    dir = absl::StrCat(BenchDir(), "/put-", absl::ToUnixNanos(absl::Now()));
    StoreOptions options;
    options.data_dir = dir;
    options.observer.on_commit = [](std::size_t, absl::Duration took, bool) {
      ++commits;
      commit_ms.push_back(absl::ToDoubleMilliseconds(took));
    };
    commits = 0;
    commit_ms.clear();
    next_id = 0;
    auto store = open(options);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    g_store = *std::move(store);
  }
  Window window(window_size);
  for (auto _ : state) {
    window.Acquire();
    g_store->Put(ItemFor(next_id++), [&window](absl::StatusOr<PutResult> r) {
      if (!r.ok()) std::abort();
      window.Release();
    });
  }
  window.WaitAllReleased();
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_store.reset();
    std::filesystem::remove_all(dir);
    state.counters["puts_per_commit"] = benchmark::Counter(
        static_cast<double>(next_id.load()) / std::max<std::uint64_t>(1, commits.load()));
    if (!commit_ms.empty()) {
      std::sort(commit_ms.begin(), commit_ms.end());
      state.counters["commit_p50_ms"] = commit_ms[commit_ms.size() / 2];
      state.counters["commit_p99_ms"] = commit_ms[commit_ms.size() * 99 / 100];
    }
  }
}
BENCHMARK_CAPTURE(BM_Put, sqlite, OpenSqlite)
    ->ArgName("window")
    ->Arg(1)
    ->Arg(64)
    ->Threads(1)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Put, sqlite_inline_checkpoint, OpenSqliteInlineCheckpoint)
    ->ArgName("window")
    ->Arg(64)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Put, memory, OpenMemory)
    ->ArgName("window")
    ->Arg(64)
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();

constexpr std::uint64_t kScanItems = 1'000'000;

// Opens the large store, building it on first use.
std::unique_ptr<Store> OpenLargeStore(std::uint64_t items, std::string* error) {
  const std::string dir = absl::StrCat(BenchDir(), "/scan-", items);
  const std::string marker = dir + "/COMPLETE";
  const bool built = std::filesystem::exists(marker);
  StoreOptions options;
  options.data_dir = dir;
  SqliteStoreOptions sqlite_options;
  sqlite_options.quick_check_on_open = false;
  auto store = SqliteStore::Open("", options, sqlite_options);
  if (!store.ok()) {
    *error = std::string(store.status().message());
    return nullptr;
  }
  if (!built) {
    const absl::Time start = absl::Now();
    Window window(4096);
    for (std::uint64_t i = 0; i < items; ++i) {
      window.Acquire();
      (*store)->Put(ItemFor(i), [&window](absl::StatusOr<PutResult> r) {
        if (!r.ok()) std::abort();
        window.Release();
      });
    }
    window.WaitAllReleased();
    std::ofstream(marker) << items << "\n";
    std::fprintf(stderr, "built %llu items in %s\n", static_cast<unsigned long long>(items),
                 absl::FormatDuration(absl::Now() - start).c_str());
  }
  return *std::move(store);
}

void BM_ScanPage(benchmark::State& state) {
  std::string error;
  std::unique_ptr<Store> store = OpenLargeStore(kScanItems, &error);
  if (store == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<std::string> cursors;
  for (std::uint64_t i = 0; i < 4096; ++i) {
    cursors.push_back(EncodeCursor(IdFor((i * 7919) % kScanItems)));
  }
  std::vector<double> micros;
  std::size_t i = 0;
  for (auto _ : state) {
    absl::Notification done;
    const absl::Time start = absl::Now();
    store->Scan({.limit = 100, .cursor = cursors[i++ % cursors.size()]},
                [&](absl::StatusOr<Page> page) {
                  if (!page.ok()) {
                    std::fprintf(stderr, "scan failed: %s\n", page.status().ToString().c_str());
                    std::abort();
                  }
                  if (page->items.empty()) std::abort();
                  done.Notify();
                });
    done.WaitForNotification();
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_ScanPage)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ingestd::store

BENCHMARK_MAIN();
