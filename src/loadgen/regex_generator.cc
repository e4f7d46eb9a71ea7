#include "loadgen/regex_generator.h"

#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <re2/re2.h>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace ingestd::loadgen {
namespace {

using internal::RegexNode;
using Kind = internal::RegexNode::Kind;

// An unbounded repetition (`*`, `+`, `{n,}`) is generated with up to this many extra copies.
constexpr int kUnboundedExtra = 8;
// How many distinct values a unique field needs at most (2^40: ~10^12 requests).
constexpr uint64_t kUniqueTarget = uint64_t{1} << 40;
// Attempts before giving up on anchors that random choices keep violating.
constexpr int kMaxAttempts = 64;
// Size of the sample that Create checks against RE2.
constexpr int kSelfCheckSamples = 256;

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Removes what cannot produce any string (empty sets, and alternatives/repetitions of them).
// Returns false when `node` itself cannot.
bool Prune(RegexNode& node) {
  switch (node.kind) {
    case Kind::kSet:
      return !node.set.empty();
    case Kind::kConcat:
      for (RegexNode& child : node.children) {
        if (!Prune(child)) return false;
      }
      return true;
    case Kind::kAlternate: {
      std::vector<RegexNode> kept;
      for (RegexNode& child : node.children) {
        if (Prune(child)) kept.push_back(std::move(child));
      }
      if (kept.empty()) return false;
      node.children = std::move(kept);
      return true;
    }
    case Kind::kRepeat:
      if (Prune(node.children[0])) return true;
      if (node.min > 0) return false;
      node = RegexNode{};  // only zero copies are possible
      return true;
    default:
      return true;
  }
}

// The number of code points every string of `node` has, if that number is fixed.
std::optional<int64_t> FixedLength(const RegexNode& node) {
  switch (node.kind) {
    case Kind::kSet:
      return 1;
    case Kind::kConcat: {
      int64_t total = 0;
      for (const RegexNode& child : node.children) {
        std::optional<int64_t> n = FixedLength(child);
        if (!n) return std::nullopt;
        total += *n;
      }
      return total;
    }
    case Kind::kAlternate: {
      std::optional<int64_t> first = FixedLength(node.children[0]);
      for (const RegexNode& child : node.children) {
        if (FixedLength(child) != first) return std::nullopt;
      }
      return first;
    }
    case Kind::kRepeat: {
      if (node.max != node.min) return std::nullopt;
      std::optional<int64_t> n = FixedLength(node.children[0]);
      if (!n) return std::nullopt;
      return *n * node.min;
    }
    default:
      return 0;
  }
}

}  // namespace

struct RegexGenerator::Emission {
  std::string out;
  std::vector<std::pair<Kind, size_t>> assertions;  // anchor and the byte offset it sits at

  void Emit(const RegexNode& node, Rng& rng) {
    switch (node.kind) {
      case Kind::kEmpty:
        return;
      case Kind::kSet:
        // Literals are sets of one: no random number needed.
        AppendUtf8(node.set.At(node.set.size() == 1 ? 0 : rng.Uniform(node.set.size())), &out);
        return;
      case Kind::kConcat:
        for (const RegexNode& child : node.children) Emit(child, rng);
        return;
      case Kind::kAlternate:
        Emit(node.children[rng.Uniform(node.children.size())], rng);
        return;
      case Kind::kRepeat: {
        const int64_t span =
            node.max == RegexNode::kUnbounded ? kUnboundedExtra : node.max - node.min;
        const int64_t count = node.min + static_cast<int64_t>(rng.Uniform(span + 1));
        for (int64_t i = 0; i < count; ++i) Emit(node.children[0], rng);
        return;
      }
      default:
        assertions.emplace_back(node.kind, out.size());
        return;
    }
  }

  bool AnchorsHold() const {
    for (const auto& [kind, at] : assertions) {
      const bool ok = kind == Kind::kBeginText   ? at == 0
                      : kind == Kind::kEndText   ? at == out.size()
                      : kind == Kind::kBeginLine ? at == 0 || out[at - 1] == '\n'
                                                 : at == out.size() || out[at] == '\n';  // kEndLine
      if (!ok) return false;
    }
    return true;
  }
};

absl::StatusOr<RegexGenerator> RegexGenerator::Create(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    return absl::InvalidArgumentError(
        fmt::format("pattern \"{}\" is not a valid RE2 pattern: {}", pattern, re->error()));
  }
  ASSIGN_OR_RETURN(RegexNode root, internal::ParseRegexForGeneration(pattern));
  if (!Prune(root)) {
    return absl::FailedPreconditionError(fmt::format(
        "pattern \"{}\" matches nothing the generator can produce (a negated class or `.` leaves "
        "no printable ASCII or Latin-1 character)",
        pattern));
  }
  RegexGenerator gen;
  gen.pattern_ = std::string(pattern);
  gen.re2_ = std::move(re);
  gen.root_ = std::make_shared<const RegexNode>(std::move(root));
  if (gen.root_->kind == Kind::kConcat) {
    for (const RegexNode& child : gen.root_->children) gen.elements_.push_back(&child);
  } else {
    gen.elements_.push_back(gen.root_.get());
  }
  gen.FindUniqueCarrier();

  // The last guard: a sample must match under RE2, and unique values must be distinct.
  Rng rng(0x5EED);
  std::set<std::string> seen;
  for (int i = 0; i < kSelfCheckSamples; ++i) {
    ASSIGN_OR_RETURN(std::string value, gen.Generate(rng));
    if (!RE2::FullMatch(value, *gen.re2_)) {
      return absl::InternalError(fmt::format(
          "pattern \"{}\": the generator produced \"{}\", which does not match; please report "
          "this pattern",
          pattern, value));
    }
    if (gen.supports_unique() && static_cast<uint64_t>(i) < gen.unique_capacity()) {
      ASSIGN_OR_RETURN(std::string unique, gen.GenerateUnique(i, rng));
      if (!RE2::FullMatch(unique, *gen.re2_) || !seen.insert(unique).second) {
        return absl::InternalError(
            fmt::format("pattern \"{}\": unique value \"{}\" is wrong; please report this pattern",
                        pattern, unique));
      }
    }
  }
  return gen;
}

void RegexGenerator::FindUniqueCarrier() {
  uint64_t capacity = 1;
  for (size_t i = 0; i < elements_.size() && capacity < kUniqueTarget; ++i) {
    const RegexNode& e = *elements_[i];
    const RegexNode* set_node = nullptr;
    int max_count = 1;
    if (e.kind == Kind::kSet) {
      set_node = &e;
    } else if (e.kind == Kind::kRepeat && e.children[0].kind == Kind::kSet && e.max != 0) {
      set_node = &e.children[0];
      max_count = e.max;  // kUnbounded (-1) means no limit
    }
    if (set_node != nullptr && set_node->set.size() >= 2) {
      const uint64_t radix = set_node->set.size();
      int count = 0;
      while (capacity < kUniqueTarget && (max_count < 0 || count < max_count)) {
        capacity *= radix;
        ++count;
      }
      digits_.push_back({i, count, radix});
      carrier_end_ = i + 1;
      continue;
    }
    // A part of fixed length keeps every later digit at a fixed offset; anything else ends
    // the carrier.
    if (!FixedLength(e)) break;
  }
  if (digits_.empty()) return;
  unique_capacity_ = capacity;
  // n -> (mul * n + add) mod capacity is a bijection when gcd(mul, capacity) == 1; it makes
  // consecutive counters look unrelated.
  scramble_mul_ = 0x9E3779B97F4A7C15ULL % capacity;
  if (scramble_mul_ == 0) scramble_mul_ = 1;
  while (std::gcd(scramble_mul_, capacity) != 1) scramble_mul_ = scramble_mul_ % capacity + 1;
  scramble_add_ = 0x632BE59BD9B4E019ULL % capacity;
}

absl::StatusOr<std::string> RegexGenerator::Generate(Rng& rng) const {
  return GenerateImpl(nullptr, rng);
}

absl::StatusOr<std::string> RegexGenerator::GenerateUnique(uint64_t n, Rng& rng) const {
  if (!supports_unique()) {
    return absl::FailedPreconditionError(fmt::format(
        "pattern \"{}\" has no free part at a fixed position to make values unique", pattern_));
  }
  if (n >= unique_capacity_) {
    return absl::OutOfRangeError(fmt::format("pattern \"{}\" has only {} distinct values to give",
                                             pattern_, unique_capacity_));
  }
  return GenerateImpl(&n, rng);
}

absl::StatusOr<std::string> RegexGenerator::GenerateImpl(const uint64_t* unique, Rng& rng) const {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Emission emission;
    if (unique == nullptr) {
      emission.Emit(*root_, rng);
    } else {
      __extension__ using U128 = unsigned __int128;
      uint64_t value = static_cast<uint64_t>(
          (static_cast<U128>(scramble_mul_) * *unique + scramble_add_) % unique_capacity_);
      size_t next_digit = 0;
      for (size_t i = 0; i < elements_.size(); ++i) {
        const RegexNode& e = *elements_[i];
        if (next_digit == digits_.size() || digits_[next_digit].element != i) {
          emission.Emit(e, rng);
          continue;
        }
        const Digit& digit = digits_[next_digit++];
        const RegexNode& set_node = e.kind == Kind::kSet ? e : e.children[0];
        for (int d = 0; d < digit.count; ++d) {
          AppendUtf8(set_node.set.At(value % digit.radix), &emission.out);
          value /= digit.radix;
        }
        if (e.kind == Kind::kRepeat) {
          // Only the last carrier element may vary in length; earlier ones use all their
          // copies for digits, so `extra` is 0 for them.
          int64_t low = std::max<int64_t>(e.min, digit.count);
          int64_t high = e.max == RegexNode::kUnbounded ? low + kUnboundedExtra : e.max;
          if (i + 1 != carrier_end_) high = low;
          const int64_t total = low + static_cast<int64_t>(rng.Uniform(high - low + 1));
          for (int64_t k = digit.count; k < total; ++k) emission.Emit(set_node, rng);
        }
      }
    }
    if (emission.AnchorsHold()) return std::move(emission.out);
  }
  return absl::FailedPreconditionError(fmt::format(
      "pattern \"{}\": its anchors (^ $ \\A \\z) cannot be satisfied by generated values",
      pattern_));
}

}  // namespace ingestd::loadgen
