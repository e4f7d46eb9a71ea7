// The parse tree the load generator builds from an RE2 pattern, and its parser. Only what a
// generator needs is kept: sets of code points, sequences, alternatives, bounded or unbounded
// repetition and the zero-width anchors it can honour. Capture groups dissolve into their
// contents; flags (?i) (?m) (?s) (?U) are applied while parsing.
//
//   ASSIGN_OR_RETURN(RegexNode root, ParseRegexForGeneration("[0-9]{4,6}"));
//   // root.kind == RegexNode::Kind::kRepeat, root.min == 4, root.max == 6
//
// The pattern must already be accepted by RE2 (callers compile it with RE2 first): the parser
// does not re-diagnose every syntax error RE2 reports, it only refuses, with a clear
// UNIMPLEMENTED error, what a generator cannot honour (\b, \B, \C, \p{..} Unicode classes).
#ifndef INGESTD_LOADGEN_INTERNAL_REGEX_PARSER_H_
#define INGESTD_LOADGEN_INTERNAL_REGEX_PARSER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ingestd::loadgen::internal {

// An inclusive range of Unicode scalar values.
struct CodeRange {
  char32_t lo;
  char32_t hi;
  friend bool operator==(const CodeRange&, const CodeRange&) = default;
};

// A set of code points as sorted, disjoint, non-adjacent ranges.
class CharSet {
 public:
  CharSet() = default;
  static CharSet Of(char32_t c) { return Range(c, c); }
  static CharSet Range(char32_t lo, char32_t hi);

  void Add(char32_t lo, char32_t hi);
  void AddSet(const CharSet& other);
  bool Contains(char32_t c) const;
  // The complement within `universe`.
  CharSet ComplementWithin(const CharSet& universe) const;
  // Adds the simple case-fold partners of every member that lies in `universe` (enough for
  // the complement of a case-insensitive class to be exact within that universe).
  void AddCaseFoldsWithin(const CharSet& universe);

  bool empty() const { return ranges_.empty(); }
  uint64_t size() const { return size_; }  // number of code points
  // The i-th code point in ascending order, i < size().
  char32_t At(uint64_t i) const;
  const std::vector<CodeRange>& ranges() const { return ranges_; }

 private:
  void Recount();

  std::vector<CodeRange> ranges_;
  uint64_t size_ = 0;
};

struct RegexNode {
  enum class Kind {
    kEmpty,      // matches ""
    kSet,        // one code point from `set`
    kConcat,     // children in order
    kAlternate,  // one of the children
    kRepeat,     // children[0] repeated min..max times (max == kUnbounded: no limit)
    kBeginText,  // ^ without (?m), \A
    kEndText,    // $ without (?m), \z
    kBeginLine,  // ^ with (?m)
    kEndLine,    // $ with (?m)
  };
  static constexpr int kUnbounded = -1;

  Kind kind = Kind::kEmpty;
  CharSet set;
  std::vector<RegexNode> children;
  int min = 0;
  int max = 0;
};

// The code points `.` and negated classes draw from: printable ASCII and printable Latin-1.
// A negated class is generated as its complement within this set.
const CharSet& GenerationUniverse();

// Parses an RE2 pattern (already accepted by RE2) into a tree. UNIMPLEMENTED for constructs
// a generator cannot honour, INVALID_ARGUMENT for syntax it does not understand.
absl::StatusOr<RegexNode> ParseRegexForGeneration(std::string_view pattern);

}  // namespace ingestd::loadgen::internal

#endif  // INGESTD_LOADGEN_INTERNAL_REGEX_PARSER_H_
