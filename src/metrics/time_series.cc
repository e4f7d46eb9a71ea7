#include "metrics/time_series.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ingestd::metrics {

int LatencyBucket(int64_t ns) {
  if (ns < 0) ns = 0;
  const uint64_t v = static_cast<uint64_t>(ns) >> 8;  // 256 ns units
  if (v < 4) return static_cast<int>(v);
  const int msb = std::bit_width(v) - 1;  // >= 2
  const int sub = static_cast<int>((v >> (msb - 2)) & 3);
  return std::min((msb - 1) * 4 + sub, kLatencyBuckets - 1);
}

int64_t LatencyBucketLower(int index) {
  if (index < 4) return static_cast<int64_t>(index) * 256;
  const int msb = index / 4 + 1;
  const int sub = index % 4;
  return (static_cast<int64_t>(4 + sub) << (msb - 2)) << 8;
}

int64_t LatencyBucketUpper(int index) {
  if (index >= kLatencyBuckets - 1) return std::numeric_limits<int64_t>::max();
  return LatencyBucketLower(index + 1);
}

void SecondStats::Add(int64_t duration_ns, int status_code) {
  if (duration_ns < 0) duration_ns = 0;
  ++count;
  if (status_code >= 500) {
    ++errors_5xx;
  } else if (status_code >= 400) {
    ++errors_4xx;
  }
  sum_ns += static_cast<uint64_t>(duration_ns);
  min_ns = std::min(min_ns, duration_ns);
  max_ns = std::max(max_ns, duration_ns);
  ++buckets[static_cast<std::size_t>(LatencyBucket(duration_ns))];
}

void SecondStats::Merge(const SecondStats& other) {
  if (other.count == 0) return;
  count += other.count;
  errors_4xx += other.errors_4xx;
  errors_5xx += other.errors_5xx;
  sum_ns += other.sum_ns;
  min_ns = std::min(min_ns, other.min_ns);
  max_ns = std::max(max_ns, other.max_ns);
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
}

int64_t SecondStats::QuantileNs(double q) const {
  if (count == 0) return 0;
  const auto rank = static_cast<uint64_t>(
      std::max(1.0, std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count))));
  uint64_t seen = 0;
  for (int i = 0; i < kLatencyBuckets; ++i) {
    seen += buckets[static_cast<std::size_t>(i)];
    if (seen >= rank) return std::clamp(LatencyBucketUpper(i), min_ns, max_ns);
  }
  return max_ns;
}

TimeSeries::TimeSeries() : slots_(kCapacitySeconds) {}

TimeSeries::Slot* TimeSeries::SlotFor(int64_t second) {
  if (second < 0) return nullptr;
  if (newest_second_ >= 0 && second <= newest_second_ - kCapacitySeconds) return nullptr;
  newest_second_ = std::max(newest_second_, second);
  Slot& slot = slots_[static_cast<std::size_t>(second % kCapacitySeconds)];
  if (slot.second != second) {
    slot = Slot{};
    slot.second = second;
  }
  return &slot;
}

void TimeSeries::Merge(int64_t unix_second, const SecondStats& stats) {
  if (stats.empty()) return;
  absl::MutexLock lock(&mu_);
  if (Slot* slot = SlotFor(unix_second)) slot->stats.Merge(stats);
}

void TimeSeries::SetCost(int64_t unix_second, const CostSample& cost) {
  absl::MutexLock lock(&mu_);
  if (Slot* slot = SlotFor(unix_second)) slot->cost = cost;
}

std::vector<Point> TimeSeries::Window(int64_t end_second, int64_t window_seconds,
                                      int64_t step_seconds) const {
  std::vector<Point> points;
  if (window_seconds <= 0 || step_seconds <= 0 || window_seconds % step_seconds != 0 ||
      window_seconds > kCapacitySeconds) {
    return points;
  }
  points.resize(static_cast<std::size_t>(window_seconds / step_seconds));
  const int64_t first = end_second - window_seconds;
  absl::MutexLock lock(&mu_);
  for (std::size_t p = 0; p < points.size(); ++p) {
    Point& point = points[p];
    point.start_second = first + static_cast<int64_t>(p) * step_seconds;
    for (int64_t s = point.start_second; s < point.start_second + step_seconds; ++s) {
      if (s < 0) continue;
      const Slot& slot = slots_[static_cast<std::size_t>(s % kCapacitySeconds)];
      if (slot.second != s) continue;
      point.stats.Merge(slot.stats);
      if (slot.cost) point.cost = slot.cost;
    }
  }
  return points;
}

}  // namespace ingestd::metrics
