#include "loadgen/regex_generator.h"

#include <string>
#include <unordered_set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include "loadgen/field_spec.h"
#include "loadgen/internal/regex_parser.h"
#include "testing/status_matchers.h"

namespace ingestd::loadgen {
namespace {

using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kSamples = 100'000;

// Every generated value must fully match under RE2 itself.
void ExpectAllMatch(const std::string& pattern, int samples) {
  SCOPED_TRACE(pattern);
  ASSERT_OK_AND_ASSIGN(RegexGenerator gen, RegexGenerator::Create(pattern));
  RE2 re(pattern);
  ASSERT_TRUE(re.ok());
  Rng rng(0xC0FFEE);
  for (int i = 0; i < samples; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string value, gen.Generate(rng));
    ASSERT_TRUE(RE2::FullMatch(value, re)) << "value \"" << value << "\" (sample " << i << ")";
  }
}

TEST(RegexGenerator, DefaultPatternsAlwaysMatch) {
  for (const FieldSpec& field : DefaultFieldSpecs()) {
    if (!field.pattern.empty()) ExpectAllMatch(field.pattern, kSamples);
  }
}

TEST(RegexGenerator, TableOfPatternsAlwaysMatch) {
  const char* const kPatterns[] = {
      "[0-9]{4,6}",
      "[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}",
      "(foo|bar)+baz?",
      "\\d{3}-\\d{2}-\\d{4}",
      "[^@\\s]+@[^@\\s]+\\.[a-z]{2,3}",
      "(?i)hello[[:digit:]]",
      "\\w+\\.\\w+",
      "a.b",
      "[\\x41-\\x5A]{2}\\x{e9}",
      "\\Q.*+?\\E",
      "(?:ab){2,}",
      "^abc$",
      "\\Aabc\\z",
      "[α-ω]+",
      "é+ü?",
      "x*",
      "(a|)b",
      "[[:^alpha:]]{3}",
      "[^a-z]{2}",
      "(?i)[^a]{5}",
      "(?i)[^k]\\W",
      "colou?r",
      "a{0}b",
      "a{2}b{0,3}c{1,}",
      "\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\",
      "[\\]\\-\\\\]+",
      "[]a]+",
      "[a-]+[-b]",
      "x{",
      "a{,3}",
      "(?P<year>\\d{4})-(?P<month>0[1-9]|1[0-2])",
      "(?s:.)+",
      "(?m)^a$",
      "(?U)a+?b*?",
      "\\101\\0",
      "\\t\\n\\r\\f\\v\\a",
      "[\\d\\s\\w]{10}",
      "[\\D]{3}[\\S][\\W]",
  };
  for (const char* pattern : kPatterns) {
    ExpectAllMatch(pattern, kSamples);
  }
}

TEST(RegexGenerator, UniqueEmailsAreDistinctAndMatch) {
  const std::string pattern = DefaultFieldSpecs()[1].pattern;
  ASSERT_OK_AND_ASSIGN(RegexGenerator gen, RegexGenerator::Create(pattern));
  ASSERT_TRUE(gen.supports_unique());
  EXPECT_GE(gen.unique_capacity(), uint64_t{1} << 40);
  RE2 re(pattern);
  Rng rng(9);
  std::unordered_set<std::string> seen;
  for (uint64_t n = 0; n < kSamples; ++n) {
    ASSERT_OK_AND_ASSIGN(std::string email, gen.GenerateUnique(n, rng));
    ASSERT_TRUE(RE2::FullMatch(email, re)) << email;
    ASSERT_TRUE(seen.insert(email).second) << "duplicate " << email << " at " << n;
  }
}

TEST(RegexGenerator, UniqueValuesForOtherPatterns) {
  struct Case {
    const char* pattern;
    uint64_t capacity;  // 0: at least 2^40
  };
  const Case kCases[] = {
      {"user[0-9]+@example\\.com", 0},  {"[a-z]{3,}", 0},
      {"(ab|cd)[0-9][a-z]{2}x*", 6760},  // fixed-length prefix, then digits in two parts
      {"[0-9]{4,6}", 1'000'000},        {"[ab][cd][ef]", 8},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.pattern);
    ASSERT_OK_AND_ASSIGN(RegexGenerator gen, RegexGenerator::Create(c.pattern));
    ASSERT_TRUE(gen.supports_unique());
    if (c.capacity == 0) {
      EXPECT_GE(gen.unique_capacity(), uint64_t{1} << 40);
    } else {
      EXPECT_EQ(gen.unique_capacity(), c.capacity);
    }
    RE2 re(c.pattern);
    Rng rng(3);
    std::unordered_set<std::string> seen;
    const uint64_t n = std::min<uint64_t>(gen.unique_capacity(), 20'000);
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string value, gen.GenerateUnique(i, rng));
      ASSERT_TRUE(RE2::FullMatch(value, re)) << value;
      ASSERT_TRUE(seen.insert(value).second) << "duplicate " << value;
    }
    if (gen.unique_capacity() < 1'000'000'000) {
      EXPECT_THAT(gen.GenerateUnique(gen.unique_capacity(), rng),
                  StatusIs(absl::StatusCode::kOutOfRange));
    }
  }
}

TEST(RegexGenerator, NoUniqueCarrierIsReported) {
  for (const char* pattern : {"(a|bc)[0-9]+", "abc", "x*[0-9]+"}) {
    SCOPED_TRACE(pattern);
    ASSERT_OK_AND_ASSIGN(RegexGenerator gen, RegexGenerator::Create(pattern));
    EXPECT_FALSE(gen.supports_unique());
    Rng rng(1);
    EXPECT_THAT(gen.GenerateUnique(0, rng), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST(RegexGenerator, RejectsWhatItCannotHonour) {
  struct Case {
    const char* pattern;
    absl::StatusCode code;
    const char* message;
  };
  const Case kCases[] = {
      {"\\bword\\b", absl::StatusCode::kUnimplemented, "word boundary"},
      {"a\\Bb", absl::StatusCode::kUnimplemented, "non-word-boundary"},
      {"\\pL+", absl::StatusCode::kUnimplemented, "Unicode class"},
      {"\\p{Greek}", absl::StatusCode::kUnimplemented, "Unicode class"},
      {"[\\PN]", absl::StatusCode::kUnimplemented, "Unicode class"},
      {"a\\C", absl::StatusCode::kUnimplemented, "any-byte"},
      {"a^b", absl::StatusCode::kFailedPrecondition, "anchors"},
      {"a$b", absl::StatusCode::kFailedPrecondition, "anchors"},
      {"[^\\x00-\\x{10FFFF}]", absl::StatusCode::kFailedPrecondition, "matches nothing"},
      {"[^\\x20-\\x{ff}]", absl::StatusCode::kFailedPrecondition, "matches nothing"},
      {"(", absl::StatusCode::kInvalidArgument, "not a valid RE2 pattern"},
      {"a**", absl::StatusCode::kInvalidArgument, "not a valid RE2 pattern"},
      {"(a)\\1", absl::StatusCode::kInvalidArgument, "not a valid RE2 pattern"},
      {"(?=a)", absl::StatusCode::kInvalidArgument, "not a valid RE2 pattern"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.pattern);
    EXPECT_THAT(RegexGenerator::Create(c.pattern), StatusIs(c.code, HasSubstr(c.message)));
  }
}

TEST(RegexGenerator, PrunesImpossibleAlternatives) {
  // One branch can never be produced; the other can, so the pattern is fine.
  ExpectAllMatch("[^\\x00-\\x{10FFFF}]|ok", 1000);
  ExpectAllMatch("x(a^b)?y", 1000);
}

TEST(CharSet, ComplementAndFold) {
  using internal::CharSet;
  CharSet letters = CharSet::Range('a', 'z');
  CharSet universe = CharSet::Range(0x20, 0x7E);
  CharSet rest = letters.ComplementWithin(universe);
  EXPECT_EQ(rest.size(), 95u - 26u);
  EXPECT_FALSE(rest.Contains('q'));
  EXPECT_TRUE(rest.Contains('Q'));
  letters.AddCaseFoldsWithin(universe);
  EXPECT_TRUE(letters.Contains('Q'));
  EXPECT_EQ(letters.size(), 52u);
  CharSet k = CharSet::Of(0x212A);  // KELVIN SIGN folds with k and K
  k.AddCaseFoldsWithin(universe);
  EXPECT_TRUE(k.Contains('k'));
  EXPECT_TRUE(k.Contains('K'));
  CharSet around_surrogates = CharSet::Range(0xD000, 0xE000);
  EXPECT_EQ(around_surrogates.size(), 0x1001u - 0x800u);
  EXPECT_FALSE(around_surrogates.Contains(0xD800));
}

}  // namespace
}  // namespace ingestd::loadgen
