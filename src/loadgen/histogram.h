// A latency histogram in the HDR style: log-linear buckets (128 per power of two) over
// nanoseconds, so every quantile is within 0.4% of the true value from 1 ns to 73 minutes, in
// a fixed 37 KiB with no allocation after construction.
//
//   LatencyHistogram h;
//   h.Record(absl::ToInt64Nanoseconds(latency));
//   uint64_t p99_ns = h.ValueAtQuantile(0.99);
#ifndef INGESTD_LOADGEN_HISTOGRAM_H_
#define INGESTD_LOADGEN_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace ingestd::loadgen {

// Thread-compatible (guard it, or keep one per thread and Merge).
class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxExponent = 42;  // values from 2^42 ns (~73 min) up share a bucket
  static constexpr size_t kBuckets = (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  // Adds one value (nanoseconds). Values past the range count in the last bucket; max() stays
  // exact.
  void Record(uint64_t value_ns);
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }

  // The value at quantile q in [0, 1] (0 when empty): the smallest recorded value whose
  // bucket reaches rank ceil(q * count), reported as its bucket's midpoint clamped to
  // [min, max]. q >= 1 gives max() exactly.
  uint64_t ValueAtQuantile(double q) const;

  // Bucket geometry, exposed for tests.
  static size_t BucketOf(uint64_t value_ns);
  static uint64_t BucketLow(size_t index);
  static uint64_t BucketHigh(size_t index);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = ~uint64_t{0};
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_HISTOGRAM_H_
