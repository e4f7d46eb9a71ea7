#include "loadgen/internal/regex_parser.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace ingestd::loadgen::internal {
namespace {

constexpr char32_t kMaxRune = 0x10FFFF;
constexpr char32_t kSurrogateLo = 0xD800;
constexpr char32_t kSurrogateHi = 0xDFFF;
constexpr int kMaxRepeat = 1000;  // RE2's limit

// The simple case-fold orbit of a code point of the generation universe (ASCII and Latin-1),
// including the non-Latin-1 partners RE2 folds them with (Kelvin sign, long s, ...).
std::vector<char32_t> FoldOrbit(char32_t c) {
  std::vector<char32_t> orbit{c};
  if (c >= 'a' && c <= 'z') orbit.push_back(c - 32);
  if (c >= 'A' && c <= 'Z') orbit.push_back(c + 32);
  if (c == 'k' || c == 'K') orbit.push_back(0x212A);
  if (c == 's' || c == 'S') orbit.push_back(0x17F);
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) orbit.push_back(c + 0x20);
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) orbit.push_back(c - 0x20);
  if (c == 0xC5 || c == 0xE5) orbit.push_back(0x212B);
  if (c == 0xB5) {
    orbit.push_back(0x39C);
    orbit.push_back(0x3BC);
  }
  if (c == 0xFF) orbit.push_back(0x178);
  if (c == 0xDF) orbit.push_back(0x1E9E);
  return orbit;
}

CharSet PerlClass(char name) {
  CharSet set;
  switch (name) {
    case 'd':
      set.Add('0', '9');
      break;
    case 's':
      set.Add('\t', '\n');
      set.Add('\f', '\r');
      set.Add(' ', ' ');
      break;
    case 'w':
      set.Add('0', '9');
      set.Add('A', 'Z');
      set.Add('a', 'z');
      set.Add('_', '_');
      break;
    default:
      break;
  }
  return set;
}

// POSIX classes as RE2 defines them (ASCII only).
bool PosixClass(std::string_view name, CharSet* set) {
  struct Entry {
    std::string_view name;
    std::vector<CodeRange> ranges;
  };
  static const std::vector<Entry>* const kClasses = new std::vector<Entry>{
      {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {"ascii", {{0, 0x7F}}},
      {"blank", {{'\t', '\t'}, {' ', ' '}}},
      {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {"digit", {{'0', '9'}}},
      {"graph", {{'!', '~'}}},
      {"lower", {{'a', 'z'}}},
      {"print", {{' ', '~'}}},
      {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {"space", {{'\t', '\r'}, {' ', ' '}}},
      {"upper", {{'A', 'Z'}}},
      {"word", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}},
      {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  for (const Entry& e : *kClasses) {
    if (e.name == name) {
      for (const CodeRange& r : e.ranges) set->Add(r.lo, r.hi);
      return true;
    }
  }
  return false;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

RegexNode MakeSet(CharSet set) {
  RegexNode node;
  node.kind = RegexNode::Kind::kSet;
  node.set = std::move(set);
  return node;
}

RegexNode MakeKind(RegexNode::Kind kind) {
  RegexNode node;
  node.kind = kind;
  return node;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) : p_(pattern) {}

  absl::StatusOr<RegexNode> Parse() {
    ASSIGN_OR_RETURN(RegexNode root, ParseAlternation());
    if (pos_ != p_.size()) return Error("unmatched ')'");
    return root;
  }

 private:
  struct Flags {
    bool fold = false;
    bool multiline = false;
  };

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        fmt::format("pattern \"{}\": {} at offset {}", p_, what, pos_));
  }
  absl::Status Unsupported(std::string_view what) const {
    return absl::UnimplementedError(
        fmt::format("pattern \"{}\": {} cannot be generated (offset {}); use a pattern without it",
                    p_, what, pos_));
  }

  bool AtEnd() const { return pos_ >= p_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < p_.size() ? p_[pos_ + ahead] : '\0'; }
  bool LookingAt(std::string_view s) const { return p_.substr(pos_, s.size()) == s; }

  // Decodes one UTF-8 code point (RE2 accepted the pattern, so it is well formed).
  char32_t NextRune() {
    const auto b0 = static_cast<unsigned char>(p_[pos_++]);
    if (b0 < 0x80) return b0;
    int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : 1;
    char32_t c = b0 & (0x3F >> extra);
    while (extra-- > 0 && pos_ < p_.size()) {
      c = (c << 6) | (static_cast<unsigned char>(p_[pos_++]) & 0x3F);
    }
    return c;
  }

  absl::StatusOr<RegexNode> ParseAlternation() {
    std::vector<RegexNode> branches;
    while (true) {
      ASSIGN_OR_RETURN(RegexNode branch, ParseConcat());
      branches.push_back(std::move(branch));
      if (Peek() != '|' || AtEnd()) break;
      ++pos_;
    }
    if (branches.size() == 1) return std::move(branches[0]);
    RegexNode alt = MakeKind(RegexNode::Kind::kAlternate);
    alt.children = std::move(branches);
    return alt;
  }

  absl::StatusOr<RegexNode> ParseConcat() {
    std::vector<RegexNode> items;
    bool can_repeat = false;  // is there an atom right before, for a quantifier to apply to?
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      const char c = Peek();
      if (c == '*' || c == '+' || c == '?' || (c == '{' && IsRepeatSpec())) {
        if (!can_repeat) return Error("repetition operator without an argument");
        RETURN_IF_ERROR(ParseQuantifier(&items.back()));
        continue;
      }
      if (c == '(' && Peek(1) == '?' && IsFlagGroupEnd()) {
        RETURN_IF_ERROR(ParseFlags());
        can_repeat = false;
        continue;
      }
      if (LookingAt("\\Q")) {
        pos_ += 2;
        while (!AtEnd() && !LookingAt("\\E")) {
          items.push_back(MakeSet(CharSet::Of(NextRune())));
          can_repeat = true;
        }
        if (LookingAt("\\E")) pos_ += 2;
        continue;
      }
      if (LookingAt("\\E")) {  // a stray \E is ignored by RE2
        pos_ += 2;
        continue;
      }
      ASSIGN_OR_RETURN(RegexNode atom, ParseAtom());
      items.push_back(std::move(atom));
      can_repeat = true;
    }
    // Flatten nested sequences (from groups) so the top level is one flat sequence.
    std::vector<RegexNode> flat;
    for (RegexNode& item : items) {
      if (item.kind == RegexNode::Kind::kConcat) {
        for (RegexNode& child : item.children) flat.push_back(std::move(child));
      } else if (item.kind != RegexNode::Kind::kEmpty) {
        flat.push_back(std::move(item));
      }
    }
    if (flat.empty()) return MakeKind(RegexNode::Kind::kEmpty);
    if (flat.size() == 1) return std::move(flat[0]);
    RegexNode concat = MakeKind(RegexNode::Kind::kConcat);
    concat.children = std::move(flat);
    return concat;
  }

  // True when the text at pos_ is `{n}`, `{n,}` or `{n,m}` (else RE2 reads `{` literally).
  bool IsRepeatSpec() const {
    size_t i = pos_ + 1;
    auto digits = [&] {
      size_t start = i;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') ++i;
      return i > start;
    };
    if (!digits()) return false;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      digits();
    }
    return i < p_.size() && p_[i] == '}';
  }

  // `(?flags)`: a flag group without a sub-expression.
  bool IsFlagGroupEnd() const {
    size_t i = pos_ + 2;
    while (i < p_.size() &&
           (p_[i] == 'i' || p_[i] == 'm' || p_[i] == 's' || p_[i] == 'U' || p_[i] == '-')) {
      ++i;
    }
    return i < p_.size() && p_[i] == ')';
  }

  absl::Status ParseFlags() {
    pos_ += 2;  // "(?"
    bool negate = false;
    while (!AtEnd() && Peek() != ')' && Peek() != ':') {
      const char f = p_[pos_++];
      switch (f) {
        case '-':
          negate = true;
          break;
        case 'i':
          flags_.fold = !negate;
          break;
        case 'm':
          flags_.multiline = !negate;
          break;
        case 's':
        case 'U':
          break;  // dot and greediness do not change what a full match accepts here
        default:
          return Error("unknown flag");
      }
    }
    if (AtEnd()) return Error("unterminated flag group");
    ++pos_;  // ')' or ':'
    return absl::OkStatus();
  }

  absl::Status ParseQuantifier(RegexNode* target) {
    int min = 0;
    int max = RegexNode::kUnbounded;
    const char c = p_[pos_];
    if (c == '*') {
      ++pos_;
    } else if (c == '+') {
      min = 1;
      ++pos_;
    } else if (c == '?') {
      max = 1;
      ++pos_;
    } else {
      ++pos_;  // '{'
      min = ParseInt();
      max = min;
      if (Peek() == ',') {
        ++pos_;
        max = (Peek() == '}') ? RegexNode::kUnbounded : ParseInt();
      }
      ++pos_;  // '}'
      if (min > kMaxRepeat || max > kMaxRepeat || (max != RegexNode::kUnbounded && max < min)) {
        return Error("bad repetition count");
      }
    }
    if (Peek() == '?') ++pos_;  // non-greedy: same language
    RegexNode repeat = MakeKind(RegexNode::Kind::kRepeat);
    repeat.min = min;
    repeat.max = max;
    repeat.children.push_back(std::move(*target));
    *target = std::move(repeat);
    return absl::OkStatus();
  }

  int ParseInt() {
    int value = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      value = std::min(value * 10 + (p_[pos_++] - '0'), kMaxRepeat + 1);
    }
    return value;
  }

  absl::StatusOr<RegexNode> ParseAtom() {
    const char c = Peek();
    switch (c) {
      case '(':
        return ParseGroup();
      case '[':
        return ParseClass();
      case '.': {
        ++pos_;
        CharSet newline = CharSet::Of('\n');
        return MakeSet(newline.ComplementWithin(GenerationUniverse()));
      }
      case '^':
        ++pos_;
        return MakeKind(flags_.multiline ? RegexNode::Kind::kBeginLine
                                         : RegexNode::Kind::kBeginText);
      case '$':
        ++pos_;
        return MakeKind(flags_.multiline ? RegexNode::Kind::kEndLine : RegexNode::Kind::kEndText);
      case '\\':
        return ParseEscapeAtom();
      default:
        return MakeSet(CharSet::Of(NextRune()));
    }
  }

  absl::StatusOr<RegexNode> ParseGroup() {
    ++pos_;  // '('
    if (Peek() == '?') {
      if (LookingAt("?P<") || LookingAt("?<")) {
        const size_t close = p_.find('>', pos_);
        if (close == std::string_view::npos) return Error("unterminated group name");
        pos_ = close + 1;
      } else if (LookingAt("?:")) {
        pos_ += 2;
      } else {
        // "(?flags:...)": the flags hold inside the group only.
        --pos_;
        const Flags saved = flags_;
        RETURN_IF_ERROR(ParseFlags());
        ASSIGN_OR_RETURN(RegexNode inner, ParseAlternation());
        flags_ = saved;
        if (Peek() != ')') return Error("missing ')'");
        ++pos_;
        return inner;
      }
    }
    const Flags saved = flags_;
    ASSIGN_OR_RETURN(RegexNode inner, ParseAlternation());
    flags_ = saved;
    if (Peek() != ')' || AtEnd()) return Error("missing ')'");
    ++pos_;
    return inner;
  }

  // An escape outside a class: anchors, Perl classes, or one code point.
  absl::StatusOr<RegexNode> ParseEscapeAtom() {
    const char e = Peek(1);
    switch (e) {
      case 'A':
        pos_ += 2;
        return MakeKind(RegexNode::Kind::kBeginText);
      case 'z':
        pos_ += 2;
        return MakeKind(RegexNode::Kind::kEndText);
      case 'b':
        return Unsupported("the word boundary \\b");
      case 'B':
        return Unsupported("the non-word-boundary \\B");
      case 'C':
        return Unsupported("the any-byte escape \\C");
      default:
        break;
    }
    ASSIGN_OR_RETURN(CharSet set, ParseEscapeSet());
    return MakeSet(std::move(set));
  }

  // An escape that stands for a set: \d \D \s \S \w \W or one code point. pos_ is at '\'.
  absl::StatusOr<CharSet> ParseEscapeSet() {
    ++pos_;
    if (AtEnd()) return Error("trailing backslash");
    const char e = p_[pos_];
    switch (e) {
      case 'd':
      case 's':
      case 'w':
        ++pos_;
        return FoldIfNeeded(PerlClass(e));
      case 'D':
      case 'S':
      case 'W': {
        ++pos_;
        CharSet positive = FoldIfNeeded(PerlClass(static_cast<char>(e - 'A' + 'a')));
        return positive.ComplementWithin(GenerationUniverse());
      }
      case 'p':
      case 'P':
        return Unsupported("the Unicode class \\p/\\P");
      case 'a':
        ++pos_;
        return CharSet::Of(0x07);
      case 'f':
        ++pos_;
        return CharSet::Of(0x0C);
      case 't':
        ++pos_;
        return CharSet::Of('\t');
      case 'n':
        ++pos_;
        return CharSet::Of('\n');
      case 'r':
        ++pos_;
        return CharSet::Of('\r');
      case 'v':
        ++pos_;
        return CharSet::Of(0x0B);
      case 'x': {
        ++pos_;
        char32_t code = 0;
        if (Peek() == '{') {
          ++pos_;
          while (!AtEnd() && IsHex(Peek())) {
            code = code * 16 + HexValue(p_[pos_++]);
            if (code > kMaxRune) return Error("hex escape out of range");
          }
          if (Peek() != '}') return Error("bad \\x{...} escape");
          ++pos_;
        } else {
          if (!IsHex(Peek()) || !IsHex(Peek(1))) return Error("bad \\x escape");
          code = HexValue(p_[pos_]) * 16 + HexValue(p_[pos_ + 1]);
          pos_ += 2;
        }
        return CharSet::Of(code);
      }
      default:
        break;
    }
    if (e >= '0' && e <= '7') {
      // Octal, as RE2 reads it: \0, or \1-\7 followed by another octal digit; up to 3 digits.
      if (e != '0' && !(Peek(1) >= '0' && Peek(1) <= '7')) {
        return Unsupported("a backreference");
      }
      char32_t code = 0;
      for (int i = 0; i < 3 && !AtEnd() && Peek() >= '0' && Peek() <= '7'; ++i) {
        code = code * 8 + (p_[pos_++] - '0');
      }
      return CharSet::Of(code);
    }
    const auto u = static_cast<unsigned char>(e);
    if (u < 0x80 && !std::isalnum(u)) {
      ++pos_;
      return CharSet::Of(u);
    }
    return Error(fmt::format("unknown escape \\{}", e));
  }

  CharSet FoldIfNeeded(CharSet set) const {
    if (flags_.fold) set.AddCaseFoldsWithin(GenerationUniverse());
    return set;
  }

  absl::StatusOr<RegexNode> ParseClass() {
    ++pos_;  // '['
    bool negated = false;
    if (Peek() == '^') {
      negated = true;
      ++pos_;
    }
    CharSet set;
    bool first = true;
    while (true) {
      if (AtEnd()) return Error("missing ']'");
      if (Peek() == ']' && !first) break;
      first = false;
      if (LookingAt("[:")) {
        const size_t close = p_.find(":]", pos_ + 2);
        if (close != std::string_view::npos) {
          std::string_view name = p_.substr(pos_ + 2, close - pos_ - 2);
          const bool posix_negated = !name.empty() && name[0] == '^';
          if (posix_negated) name.remove_prefix(1);
          CharSet posix;
          if (!PosixClass(name, &posix)) return Error("unknown POSIX class");
          pos_ = close + 2;
          posix = FoldIfNeeded(std::move(posix));
          set.AddSet(posix_negated ? posix.ComplementWithin(GenerationUniverse()) : posix);
          continue;
        }
      }
      ASSIGN_OR_RETURN(CharSet lo_set, ParseClassChar());
      if (Peek() == '-' && Peek(1) != ']' && pos_ + 1 < p_.size()) {
        ++pos_;
        ASSIGN_OR_RETURN(CharSet hi_set, ParseClassChar());
        if (lo_set.size() != 1 || hi_set.size() != 1) return Error("bad character class range");
        const char32_t lo = lo_set.At(0);
        const char32_t hi = hi_set.At(0);
        if (hi < lo) return Error("bad character class range");
        set.Add(lo, hi);
        continue;
      }
      set.AddSet(lo_set);
    }
    ++pos_;  // ']'
    if (negated) {
      if (flags_.fold) set.AddCaseFoldsWithin(GenerationUniverse());  // (?i)[^a] excludes 'A'
      return MakeSet(set.ComplementWithin(GenerationUniverse()));
    }
    return MakeSet(std::move(set));
  }

  // One class member: a code point, or a Perl class escape.
  absl::StatusOr<CharSet> ParseClassChar() {
    if (Peek() == '\\') {
      if (Peek(1) == 'b') {  // inside a class, \b is not an assertion but RE2 rejects it
        return Unsupported("\\b inside a class");
      }
      return ParseEscapeSet();
    }
    return CharSet::Of(NextRune());
  }

  std::string_view p_;
  size_t pos_ = 0;
  Flags flags_;
};

}  // namespace

CharSet CharSet::Range(char32_t lo, char32_t hi) {
  CharSet set;
  set.Add(lo, hi);
  return set;
}

void CharSet::Add(char32_t lo, char32_t hi) {
  if (hi > kMaxRune) hi = kMaxRune;
  if (lo > hi) return;
  // Surrogates are not scalar values: UTF-8 cannot carry them, RE2 never matches them.
  if (lo <= kSurrogateHi && hi >= kSurrogateLo) {
    if (lo < kSurrogateLo) Add(lo, kSurrogateLo - 1);
    if (hi > kSurrogateHi) Add(kSurrogateHi + 1, hi);
    return;
  }
  ranges_.push_back({lo, hi});
  std::sort(ranges_.begin(), ranges_.end(),
            [](const CodeRange& a, const CodeRange& b) { return a.lo < b.lo; });
  std::vector<CodeRange> merged;
  for (const CodeRange& r : ranges_) {
    if (!merged.empty() && r.lo <= merged.back().hi + 1) {
      merged.back().hi = std::max(merged.back().hi, r.hi);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
  Recount();
}

void CharSet::AddSet(const CharSet& other) {
  for (const CodeRange& r : other.ranges_) Add(r.lo, r.hi);
}

bool CharSet::Contains(char32_t c) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [c](const CodeRange& r) { return r.lo <= c && c <= r.hi; });
}

CharSet CharSet::ComplementWithin(const CharSet& universe) const {
  CharSet out;
  for (const CodeRange& u : universe.ranges_) {
    char32_t next = u.lo;
    for (const CodeRange& r : ranges_) {
      if (r.hi < next || r.lo > u.hi) continue;
      if (r.lo > next) out.Add(next, r.lo - 1);
      next = r.hi + 1;
      if (next > u.hi) break;
    }
    if (next <= u.hi && next >= u.lo) out.Add(next, u.hi);
  }
  return out;
}

void CharSet::AddCaseFoldsWithin(const CharSet& universe) {
  std::vector<char32_t> add;
  for (const CodeRange& u : universe.ranges_) {
    for (char32_t c = u.lo; c <= u.hi; ++c) {
      if (Contains(c)) continue;
      for (char32_t partner : FoldOrbit(c)) {
        if (Contains(partner)) {
          add.push_back(c);
          break;
        }
      }
    }
  }
  for (char32_t c : add) Add(c, c);
}

void CharSet::Recount() {
  size_ = 0;
  for (const CodeRange& r : ranges_) size_ += static_cast<uint64_t>(r.hi - r.lo) + 1;
}

char32_t CharSet::At(uint64_t i) const {
  for (const CodeRange& r : ranges_) {
    const uint64_t width = static_cast<uint64_t>(r.hi - r.lo) + 1;
    if (i < width) return static_cast<char32_t>(r.lo + i);
    i -= width;
  }
  return ranges_.empty() ? 0 : ranges_.back().hi;
}

const CharSet& GenerationUniverse() {
  static const CharSet* const kUniverse = [] {
    auto* set = new CharSet;
    set->Add(0x20, 0x7E);
    set->Add(0xA1, 0xFF);
    return set;
  }();
  return *kUniverse;
}

absl::StatusOr<RegexNode> ParseRegexForGeneration(std::string_view pattern) {
  return Parser(pattern).Parse();
}

}  // namespace ingestd::loadgen::internal
