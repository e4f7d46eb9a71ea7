// A small, fast, seedable pseudo-random generator for load data (xoshiro256**, seeded with
// splitmix64). Not for cryptography: it only has to be quick and well spread, and
// reproducible from a seed in tests.
//
//   ingestd::loadgen::Rng rng(42);
//   uint64_t die = rng.Uniform(6) + 1;  // 1..6
//   bool heads = rng.Bernoulli(0.5);
#ifndef INGESTD_LOADGEN_RNG_H_
#define INGESTD_LOADGEN_RNG_H_

#include <cstdint>

namespace ingestd::loadgen {

// Thread-compatible: one instance per thread.
class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed) {
    for (uint64_t& word : s_) word = SplitMix(seed);
  }

  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t{0}; }

  uint64_t operator()() { return Next(); }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n); n must be > 0. Lemire's multiply-shift with rejection: no modulo bias.
  uint64_t Uniform(uint64_t n) {
    __extension__ using U128 = unsigned __int128;
    U128 m = static_cast<U128>(Next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<U128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi], both inclusive.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Uniform(static_cast<uint64_t>(hi - lo) + 1));
  }

  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  bool Bernoulli(double p) { return NextDouble() < p; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  uint64_t s_[4];
};

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_RNG_H_
