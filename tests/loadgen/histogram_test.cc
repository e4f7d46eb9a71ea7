#include "loadgen/histogram.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "loadgen/rng.h"

namespace ingestd::loadgen {
namespace {

TEST(LatencyHistogram, QuantilesWithinOnePercentFromOneMicrosecondToOneMinute) {
  Rng rng(11);
  LatencyHistogram h;
  std::vector<uint64_t> values;
  // Log-uniform over 1 us .. 60 s, so every decade is exercised.
  const double lo = std::log(1e3);
  const double hi = std::log(60e9);
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<uint64_t>(std::exp(lo + (hi - lo) * rng.NextDouble()));
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999}) {
    const auto rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(h.ValueAtQuantile(q));
    EXPECT_LE(std::abs(got - exact) / exact, 0.01) << "q=" << q << " exact=" << exact;
  }
  EXPECT_EQ(h.ValueAtQuantile(1.0), values.back());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.count(), values.size());
}

TEST(LatencyHistogram, EveryBucketIsNarrowerThanOnePercentOfItsValues) {
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    const uint64_t low = LatencyHistogram::BucketLow(i);
    const uint64_t high = LatencyHistogram::BucketHigh(i);
    ASSERT_LE(low, high);
    if (i + 1 < LatencyHistogram::kBuckets) {
      ASSERT_EQ(LatencyHistogram::BucketLow(i + 1), high + 1) << i;
    }
    if (low >= 1000) {
      ASSERT_LE(static_cast<double>(high - low) / low, 0.01) << i;
    }
    ASSERT_EQ(LatencyHistogram::BucketOf(low), i);
    ASSERT_EQ(LatencyHistogram::BucketOf(high), i);
  }
}

TEST(LatencyHistogram, HugeValuesClampIntoTheLastBucketButMaxStaysExact) {
  LatencyHistogram h;
  h.Record(~uint64_t{0});
  EXPECT_EQ(LatencyHistogram::BucketOf(~uint64_t{0}), LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(h.max(), ~uint64_t{0});
  EXPECT_EQ(h.ValueAtQuantile(0.5), ~uint64_t{0});  // clamped to [min, max]
}

TEST(LatencyHistogram, MergeAndResetAndEmpty) {
  LatencyHistogram a;
  LatencyHistogram b;
  EXPECT_EQ(a.ValueAtQuantile(0.5), 0u);
  EXPECT_EQ(a.mean(), 0);
  for (uint64_t v = 1; v <= 100; ++v) a.Record(v * 1000);
  for (uint64_t v = 101; v <= 200; ++v) b.Record(v * 1000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_EQ(a.min(), 1000u);
  EXPECT_EQ(a.max(), 200'000u);
  EXPECT_NEAR(static_cast<double>(a.ValueAtQuantile(0.5)), 100'000, 1000);
  EXPECT_NEAR(a.mean(), 100'500, 1);
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.max(), 0u);
}

}  // namespace
}  // namespace ingestd::loadgen
