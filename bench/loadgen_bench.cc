// The load generator's per-request work outside the network: generating a request's data and
// recording its latency. At 100k requests per second a thread has 10 us per request in all.
#include <benchmark/benchmark.h>

#include "loadgen/data_generator.h"
#include "loadgen/histogram.h"
#include "loadgen/regex_generator.h"

namespace ingestd::loadgen {
namespace {

void BM_DataGeneratorNext(benchmark::State& state) {
  DataOptions options;
  options.invalid_ratio = static_cast<double>(state.range(0)) / 100;
  DataGenerator gen = *DataGenerator::Create(options);
  Rng rng(1);
  RequestData request;
  uint64_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(gen.Next(index++, rng, &request));
  }
  state.SetItemsProcessed(static_cast<int64_t>(index));
}
BENCHMARK(BM_DataGeneratorNext)->Arg(0)->Arg(10);

void BM_UniqueEmail(benchmark::State& state) {
  RegexGenerator gen = *RegexGenerator::Create("[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\\.com");
  Rng rng(1);
  uint64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gen.GenerateUnique(n++, rng));
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_UniqueEmail);

void BM_HistogramRecord(benchmark::State& state) {
  LatencyHistogram h;
  Rng rng(1);
  for (auto _ : state) h.Record(rng.Uniform(60'000'000'000));
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramP99(benchmark::State& state) {
  LatencyHistogram h;
  Rng rng(1);
  for (int i = 0; i < 100'000; ++i) h.Record(rng.Uniform(60'000'000'000));
  for (auto _ : state) benchmark::DoNotOptimize(h.ValueAtQuantile(0.99));
}
BENCHMARK(BM_HistogramP99);

}  // namespace
}  // namespace ingestd::loadgen

BENCHMARK_MAIN();
