// A fixed-memory, per-second time series of request aggregates and estimated costs: the data
// behind the dashboard. A ring buffer of kCapacitySeconds slots, each one second of traffic
// (count, 4xx, 5xx, min/sum/max duration and a log-bucket latency histogram for p99) plus the
// cumulative cost sampled in that second. Old seconds are overwritten; memory never grows.
//
//   TimeSeries series;
//   SecondStats s;
//   s.Add(/*duration_ns=*/1'500'000, /*status_code=*/201);
//   series.Merge(/*unix_second=*/1'700'000'000, s);
//   series.SetCost(1'700'000'000, CostSample{.self_hosted_usd = 0.01, .serverless_usd = 0.02});
//   std::vector<Point> points = series.Window(/*end_second=*/1'700'000'001, 300, /*step=*/1);
//
// Thread-safety: all methods may be called concurrently (one internal mutex). Recording on the
// hot path goes through per-thread SecondStats accumulators (see Metrics), which are merged
// here about once a second.
#ifndef INGESTD_METRICS_TIME_SERIES_H_
#define INGESTD_METRICS_TIME_SERIES_H_

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ingestd::metrics {

// The latency histogram of SecondStats: bucket 0..3 are [0,256), [256,512), [512,768),
// [768,1024) ns; above that, every power of two is split into four linear sub-buckets (at most
// 25% wide), up to ~137 s; the last bucket takes everything longer.
inline constexpr int kLatencyBuckets = 112;

// The bucket index of a duration in nanoseconds (negative counts as 0).
int LatencyBucket(int64_t ns);
// The smallest duration of bucket `index`, and the smallest of the next one (its exclusive
// upper bound; the last bucket's is the int64 maximum).
int64_t LatencyBucketLower(int index);
int64_t LatencyBucketUpper(int index);

// The aggregate of the requests of one second (or of several, merged).
struct SecondStats {
  uint64_t count = 0;
  uint64_t errors_4xx = 0;
  uint64_t errors_5xx = 0;
  uint64_t sum_ns = 0;
  int64_t min_ns = std::numeric_limits<int64_t>::max();  // max() when count == 0
  int64_t max_ns = 0;
  std::array<uint32_t, kLatencyBuckets> buckets{};

  // Records one request that took `duration_ns` and answered `status_code`.
  void Add(int64_t duration_ns, int status_code);
  void Merge(const SecondStats& other);
  bool empty() const { return count == 0; }
  // The q-quantile (0 < q <= 1) estimated from the buckets: the upper bound of the bucket
  // holding the rank-ceil(q*count) request, clamped to [min_ns, max_ns]. 0 when empty.
  int64_t QuantileNs(double q) const;
};

// Cumulative estimated costs at one moment.
struct CostSample {
  double self_hosted_usd = 0;
  double serverless_usd = 0;
};

// One point of a window: `step` seconds starting at `start_second`.
struct Point {
  int64_t start_second = 0;
  SecondStats stats;               // merged over the step
  std::optional<CostSample> cost;  // the latest sample within the step, if any
};

class TimeSeries {
 public:
  // More than an hour, so that a full one-hour window of complete seconds is always held.
  static constexpr int64_t kCapacitySeconds = 3660;

  TimeSeries();
  TimeSeries(const TimeSeries&) = delete;
  TimeSeries& operator=(const TimeSeries&) = delete;

  // Adds `stats` to the slot of `unix_second`. A second older than the ring holds is dropped.
  void Merge(int64_t unix_second, const SecondStats& stats);

  // Records the cumulative cost at `unix_second` (a later sample in the same second wins).
  void SetCost(int64_t unix_second, const CostSample& cost);

  // The seconds [end_second - window_seconds, end_second) in points of `step_seconds` each
  // (window_seconds must be a multiple of step_seconds, both > 0, window <= capacity),
  // oldest first. Seconds with no data are empty points.
  std::vector<Point> Window(int64_t end_second, int64_t window_seconds, int64_t step_seconds) const;

  // The number of slots; constant (for tests: memory does not grow).
  static constexpr std::size_t SlotCountForTest() { return kCapacitySeconds; }

 private:
  struct Slot {
    int64_t second = -1;  // which second this slot holds; -1 = never used
    SecondStats stats;
    std::optional<CostSample> cost;
  };
  // The slot for `second`, reset if it held an older second. Null when `second` is older
  // than what the ring holds.
  Slot* SlotFor(int64_t second) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<Slot> slots_ ABSL_GUARDED_BY(mu_);  // sized once, kCapacitySeconds
  int64_t newest_second_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace ingestd::metrics

#endif  // INGESTD_METRICS_TIME_SERIES_H_
