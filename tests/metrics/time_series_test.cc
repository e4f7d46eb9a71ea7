#include "metrics/time_series.h"

#include <cstdint>
#include <limits>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ingestd::metrics {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

TEST(LatencyBucket, BoundsContainTheirValues) {
  for (int64_t ns :
       {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{1000}, int64_t{1023},
        int64_t{1024}, int64_t{1'500'000}, int64_t{999'999'999}, int64_t{60'000'000'000}}) {
    const int b = LatencyBucket(ns);
    EXPECT_LE(LatencyBucketLower(b), ns) << ns;
    EXPECT_LT(ns, LatencyBucketUpper(b)) << ns;
  }
  EXPECT_EQ(LatencyBucket(-5), 0);
  EXPECT_EQ(LatencyBucket(std::numeric_limits<int64_t>::max()), kLatencyBuckets - 1);
}

TEST(LatencyBucket, IsContiguousMonotonicAndAtMostAQuarterWide) {
  for (int i = 0; i + 1 < kLatencyBuckets; ++i) {
    EXPECT_EQ(LatencyBucketUpper(i), LatencyBucketLower(i + 1));
    EXPECT_LT(LatencyBucketLower(i), LatencyBucketUpper(i));
    EXPECT_EQ(LatencyBucket(LatencyBucketLower(i)), i);
    EXPECT_EQ(LatencyBucket(LatencyBucketUpper(i) - 1), i);
    if (i >= 4) {
      const double width = static_cast<double>(LatencyBucketUpper(i) - LatencyBucketLower(i));
      EXPECT_LE(width / static_cast<double>(LatencyBucketLower(i)), 0.25 + 1e-9) << i;
    }
  }
  // The top regular bucket reaches past two minutes.
  EXPECT_GT(LatencyBucketLower(kLatencyBuckets - 1), int64_t{120'000'000'000});
}

TEST(SecondStats, AggregatesCountErrorsAndDurations) {
  SecondStats s;
  s.Add(1'000'000, 200);
  s.Add(3'000'000, 201);
  s.Add(2'000'000, 404);
  s.Add(5'000'000, 503);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.errors_4xx, 1u);
  EXPECT_EQ(s.errors_5xx, 1u);
  EXPECT_EQ(s.sum_ns, 11'000'000u);
  EXPECT_EQ(s.min_ns, 1'000'000);
  EXPECT_EQ(s.max_ns, 5'000'000);
}

TEST(SecondStats, P99IsWithinItsBucketAndClampedToMax) {
  SecondStats s;
  for (int i = 0; i < 99; ++i) s.Add(1'000'000, 200);  // 1 ms
  s.Add(100'000'000, 200);                             // one 100 ms outlier
  // The 99th of 100 requests is a 1 ms one.
  const int64_t p99 = s.QuantileNs(0.99);
  EXPECT_GE(p99, 1'000'000);
  EXPECT_LE(p99, 1'250'000);
  // The maximum is exact, not a bucket bound.
  EXPECT_EQ(s.QuantileNs(1.0), 100'000'000);

  SecondStats slow;
  for (int i = 0; i < 10; ++i) slow.Add(50'000'000, 200);
  slow.Add(80'000'000, 200);
  EXPECT_EQ(slow.QuantileNs(0.99), 80'000'000);
  EXPECT_EQ(SecondStats{}.QuantileNs(0.99), 0);
}

TEST(SecondStats, MergeEqualsAddingEverything) {
  SecondStats a, b, all;
  for (int i = 1; i <= 50; ++i) {
    a.Add(i * 10'000, 200);
    all.Add(i * 10'000, 200);
    b.Add(i * 70'000, i % 10 == 0 ? 500 : 200);
    all.Add(i * 70'000, i % 10 == 0 ? 500 : 200);
  }
  a.Merge(b);
  EXPECT_EQ(a.count, all.count);
  EXPECT_EQ(a.errors_5xx, all.errors_5xx);
  EXPECT_EQ(a.sum_ns, all.sum_ns);
  EXPECT_EQ(a.min_ns, all.min_ns);
  EXPECT_EQ(a.max_ns, all.max_ns);
  EXPECT_EQ(a.buckets, all.buckets);
  EXPECT_EQ(a.QuantileNs(0.99), all.QuantileNs(0.99));
}

SecondStats Requests(int n, int64_t ns = 1'000'000, int code = 200) {
  SecondStats s;
  for (int i = 0; i < n; ++i) s.Add(ns, code);
  return s;
}

TEST(TimeSeries, WindowPutsEachSecondInItsPointOldestFirst) {
  TimeSeries series;
  series.Merge(kT0 - 3, Requests(3));
  series.Merge(kT0 - 1, Requests(1));
  series.Merge(kT0 - 1, Requests(1));  // merges into the same second
  series.Merge(kT0, Requests(7));      // the current second: not in a window ending at kT0

  const std::vector<Point> points = series.Window(kT0, 5, 1);
  ASSERT_EQ(points.size(), 5u);
  std::vector<uint64_t> counts;
  std::vector<int64_t> seconds;
  for (const Point& p : points) {
    counts.push_back(p.stats.count);
    seconds.push_back(p.start_second);
  }
  EXPECT_THAT(seconds, ::testing::ElementsAre(kT0 - 5, kT0 - 4, kT0 - 3, kT0 - 2, kT0 - 1));
  EXPECT_THAT(counts, ::testing::ElementsAre(0, 0, 3, 0, 2));
}

TEST(TimeSeries, StepsMergeSecondsAndKeepTheLatestCost) {
  TimeSeries series;
  for (int64_t s = 0; s < 12; ++s) {
    series.Merge(kT0 - 12 + s, Requests(static_cast<int>(s + 1), (s + 1) * 1'000'000));
    series.SetCost(kT0 - 12 + s, CostSample{.self_hosted_usd = static_cast<double>(s),
                                            .serverless_usd = 10.0 * static_cast<double>(s)});
  }
  const std::vector<Point> points = series.Window(kT0, 12, 4);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].stats.count, 1u + 2 + 3 + 4);
  EXPECT_EQ(points[0].stats.min_ns, 1'000'000);
  EXPECT_EQ(points[0].stats.max_ns, 4'000'000);
  EXPECT_EQ(points[2].stats.count, 9u + 10 + 11 + 12);
  ASSERT_TRUE(points[1].cost.has_value());
  EXPECT_DOUBLE_EQ(points[1].cost->self_hosted_usd, 7);
  EXPECT_DOUBLE_EQ(points[1].cost->serverless_usd, 70);
}

TEST(TimeSeries, RejectsBadWindows) {
  TimeSeries series;
  EXPECT_TRUE(series.Window(kT0, 0, 1).empty());
  EXPECT_TRUE(series.Window(kT0, 10, 3).empty());
  EXPECT_TRUE(series.Window(kT0, TimeSeries::kCapacitySeconds + 1, 1).empty());
  EXPECT_EQ(series.Window(kT0, 3600, 12).size(), 300u);
}

TEST(TimeSeries, KeepsAFullHourAndOverwritesOlderSecondsWithoutGrowing) {
  TimeSeries series;
  const int64_t kTwoHours = 7200;
  for (int64_t s = 0; s < kTwoHours; ++s) {
    series.Merge(kT0 + s, Requests(static_cast<int>(s % 5) + 1));
    EXPECT_EQ(TimeSeries::SlotCountForTest(),
              static_cast<std::size_t>(TimeSeries::kCapacitySeconds));
  }
  const int64_t end = kT0 + kTwoHours;
  const std::vector<Point> hour = series.Window(end, 3600, 1);
  ASSERT_EQ(hour.size(), 3600u);
  for (const Point& p : hour) {
    ASSERT_EQ(p.stats.count, static_cast<uint64_t>((p.start_second - kT0) % 5 + 1))
        << p.start_second;
  }
  // A second that fell off the ring is dropped, not written over a newer one.
  series.Merge(kT0 + 10, Requests(100));
  for (const Point& p : series.Window(end, 3600, 1)) ASSERT_LT(p.stats.count, 100u);
  // A gap longer than the ring leaves only empty seconds behind.
  const int64_t later = end + 10'000;
  series.Merge(later, Requests(1));
  const std::vector<Point> after_gap = series.Window(later, 3600, 1);
  for (const Point& p : after_gap) ASSERT_EQ(p.stats.count, 0u);
}

}  // namespace
}  // namespace ingestd::metrics
