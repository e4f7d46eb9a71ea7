#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ingestd::loadgen {

size_t LatencyHistogram::BucketOf(uint64_t value_ns) {
  if (value_ns < kSubBuckets) return static_cast<size_t>(value_ns);
  const int exponent = std::min(static_cast<int>(std::bit_width(value_ns)) - 1, kMaxExponent - 1);
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = std::min(value_ns >> shift, 2 * kSubBuckets - 1);
  return static_cast<size_t>(static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

uint64_t LatencyHistogram::BucketLow(size_t index) {
  if (index < 2 * kSubBuckets) return index;
  const uint64_t shift = index / kSubBuckets - 1;
  const uint64_t sub = index - shift * kSubBuckets;
  return sub << shift;
}

uint64_t LatencyHistogram::BucketHigh(size_t index) {
  if (index < 2 * kSubBuckets) return index;
  const uint64_t shift = index / kSubBuckets - 1;
  return BucketLow(index) + (uint64_t{1} << shift) - 1;
}

void LatencyHistogram::Record(uint64_t value_ns) {
  ++counts_[BucketOf(value_ns)];
  ++count_;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ += static_cast<double>(value_ns);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void LatencyHistogram::Reset() { *this = LatencyHistogram(); }

uint64_t LatencyHistogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1) return max_;
  const auto rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(std::max(q, 0.0) * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const uint64_t mid = BucketLow(i) + (BucketHigh(i) - BucketLow(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace ingestd::loadgen
