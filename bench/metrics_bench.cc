// The cost of metrics on the request path, to show it stays far below 2% of ingest
// throughput: what one request's recording costs (RecordRequest alone, and the whole set an
// ingest makes: request + outcome + workflow), on one thread and on several at once (each
// reported time is per request, per thread), plus the occasional renderings.
//
//   build/release/bench/metrics_bench --benchmark_filter=Record
//
// Fraction of throughput = per-request recording time x requests per second per core; e.g.
// 100 ns at 20k ingests/s/core is 0.2%.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "absl/time/time.h"
#include "metrics/metrics.h"

namespace ingestd::metrics {
namespace {

MetricsOptions BenchOptions() {
  MetricsOptions o;
  o.sample_interval = absl::ZeroDuration();  // no sampler thread competing for the cores
  return o;
}

// Several label sets, as a server sees them.
struct Request {
  std::string_view route;
  std::string_view method;
  int code;
};
constexpr std::array<Request, 8> kMix = {{{"/", "POST", 201},
                                          {"/", "GET", 200},
                                          {"/", "PUT", 200},
                                          {"/", "GET", 400},
                                          {"/", "POST", 202},
                                          {"/healthz", "GET", 200},
                                          {"/", "GET", 200},
                                          {"/", "POST", 201}}};

Metrics* shared_metrics = nullptr;

void SetUpShared(const benchmark::State& state) {
  if (state.thread_index() == 0) shared_metrics = new Metrics(BenchOptions());
}
void TearDownShared(const benchmark::State& state) {
  if (state.thread_index() == 0) {
    delete shared_metrics;
    shared_metrics = nullptr;
  }
}

void BM_RecordRequest(benchmark::State& state) {
  Metrics& m = *shared_metrics;
  std::size_t i = static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    const Request& r = kMix[i++ % kMix.size()];
    m.RecordRequest(r.route, r.method, r.code, absl::Microseconds(150 + (i & 63)), 120, 240);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequest)
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared)
    ->ThreadRange(1, 4)
    ->UseRealTime();

// Everything the wiring records for one ingest request.
void BM_RecordIngestRequest(benchmark::State& state) {
  Metrics& m = *shared_metrics;
  std::size_t i = static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    m.RecordRequest("/", "POST", 201, absl::Microseconds(150 + (i++ & 63)), 120, 240);
    m.RecordIngest(IngestOutcome::kCreated);
    m.RecordWorkflow(WorkflowStatus::kSucceeded, absl::Microseconds(40), 5);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordIngestRequest)
    ->Setup(SetUpShared)
    ->Teardown(TearDownShared)
    ->ThreadRange(1, 4)
    ->UseRealTime();

// A store commit, recorded once per group-commit batch (not per request).
void BM_RecordCommit(benchmark::State& state) {
  Metrics m(BenchOptions());
  for (auto _ : state) m.RecordCommit(16, absl::Microseconds(900), true);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordCommit);

// A Prometheus scrape after traffic on the usual routes.
void BM_RenderPrometheus(benchmark::State& state) {
  Metrics m(BenchOptions());
  for (int i = 0; i < 10'000; ++i) {
    const Request& r = kMix[static_cast<std::size_t>(i) % kMix.size()];
    m.RecordRequest(r.route, r.method, r.code, absl::Microseconds(100 + i % 900), 100, 200);
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = m.RenderPrometheus();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderPrometheus)->Unit(benchmark::kMicrosecond);

// The dashboard's poll: the JSON for a 5 min or 1 h window.
void BM_DashboardJson(benchmark::State& state) {
  Metrics m(BenchOptions());
  for (int i = 0; i < 1000; ++i) m.RecordRequest("/", "GET", 200, absl::Microseconds(200), 0, 0);
  for (auto _ : state) {
    auto json = m.DashboardJson(state.range(0));
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_DashboardJson)->Arg(300)->Arg(3600)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ingestd::metrics

BENCHMARK_MAIN();
