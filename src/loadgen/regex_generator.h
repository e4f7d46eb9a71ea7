// Random strings that fully match an RE2 pattern, for load data generated "from the
// validation regexes". Classes, ranges, repetition, alternation, groups, anchors, escapes and
// the (?imsU) flags are honoured; what a generator cannot honour (\b, \B, \C, \p{...}, a
// negated class that leaves nothing printable, anchors in impossible places) is an error at
// Create, never a silent wrong value. `.` and negated classes draw from printable ASCII and
// Latin-1.
//
//   ASSIGN_OR_RETURN(RegexGenerator email,
//                    RegexGenerator::Create("[A-Za-z]+[A-Za-z0-9]*@[A-Za-z0-9]+\\.com"));
//   Rng rng(1);
//   ASSIGN_OR_RETURN(std::string any, email.Generate(rng));
//   ASSIGN_OR_RETURN(std::string first, email.GenerateUnique(0, rng));   // distinct n give
//   ASSIGN_OR_RETURN(std::string second, email.GenerateUnique(1, rng));  // distinct strings
#ifndef INGESTD_LOADGEN_REGEX_GENERATOR_H_
#define INGESTD_LOADGEN_REGEX_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/internal/regex_parser.h"
#include "loadgen/rng.h"

namespace re2 {
class RE2;
}

namespace ingestd::loadgen {

// Immutable after Create: Generate and GenerateUnique are const and thread-safe (each thread
// brings its own Rng). Cheap to copy (the compiled parts are shared).
class RegexGenerator {
 public:
  // Compiles `pattern` with RE2 (INVALID_ARGUMENT with RE2's message when it rejects it) and
  // for generation (UNIMPLEMENTED for constructs a generator cannot honour;
  // FAILED_PRECONDITION when nothing can be generated). As a last guard it generates a sample
  // and checks every value with RE2 (INTERNAL if one does not match).
  static absl::StatusOr<RegexGenerator> Create(std::string_view pattern);

  // A random string that RE2::FullMatch accepts.
  absl::StatusOr<std::string> Generate(Rng& rng) const;

  // A string that RE2::FullMatch accepts and that differs from the one for every other `n`:
  // `n` is written, scrambled, into the first free part of the pattern (the rest is random).
  // FAILED_PRECONDITION when !supports_unique(); OUT_OF_RANGE when n >= unique_capacity().
  absl::StatusOr<std::string> GenerateUnique(uint64_t n, Rng& rng) const;

  // Whether the pattern has a free part at a fixed offset to carry a counter (e.g. a class
  // repeated at the start), and how many distinct values it can carry (at most 2^40 are used).
  bool supports_unique() const { return unique_capacity_ > 1; }
  uint64_t unique_capacity() const { return unique_capacity_; }

  const std::string& pattern() const { return pattern_; }
  // The compiled RE2 (for checking values).
  const re2::RE2& re2() const { return *re2_; }

 private:
  // One position of the unique counter: the top-level element it is written into and how
  // many digits (code points of that element's set) it takes.
  struct Digit {
    size_t element;
    int count;
    uint64_t radix;
  };
  struct Emission;

  RegexGenerator() = default;
  absl::StatusOr<std::string> GenerateImpl(const uint64_t* unique, Rng& rng) const;
  void FindUniqueCarrier();

  std::string pattern_;
  std::shared_ptr<const re2::RE2> re2_;
  std::shared_ptr<const internal::RegexNode> root_;
  std::vector<const internal::RegexNode*> elements_;  // the top-level sequence of root_
  std::vector<Digit> digits_;
  size_t carrier_end_ = 0;  // elements before this index have a fixed length or carry digits
  uint64_t unique_capacity_ = 0;
  uint64_t scramble_mul_ = 1;
  uint64_t scramble_add_ = 0;
};

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_REGEX_GENERATOR_H_
