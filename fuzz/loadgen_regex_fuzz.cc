// libFuzzer target for the load generator's regex parser and generator. Any input must parse
// or fail cleanly; a pattern that RE2 accepts and the generator takes must yield values that
// RE2 fully matches (unique values distinct), else the target aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <re2/re2.h>

#include "loadgen/internal/regex_parser.h"
#include "loadgen/regex_generator.h"

// Says what went wrong (for the crash report), then aborts so libFuzzer saves the input.
[[noreturn]] void Fail(const char* what, const std::string& pattern, const std::string& detail) {
  std::fprintf(stderr, "%s: pattern \"%s\": %s\n", what, pattern.c_str(), detail.c_str());
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 200) return 0;
  const std::string pattern(reinterpret_cast<const char*>(data), size);
  (void)ingestd::loadgen::internal::ParseRegexForGeneration(pattern);  // must not crash

  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(pattern, options);
  // Huge programs make huge values; they say nothing more about correctness.
  if (!re.ok() || re.ProgramSize() > 2000) return 0;
  auto gen = ingestd::loadgen::RegexGenerator::Create(pattern);
  if (!gen.ok()) {
    // INTERNAL is the generator's self-check refusing a pattern it would get wrong (found
    // here: some (?i) classes and \W folds). A clean refusal is the contract ("a pattern it
    // cannot generate for is a clear error"); what must never happen is a wrong value below.
    return 0;
  }
  ingestd::loadgen::Rng rng(size);
  std::set<std::string> seen;
  for (uint64_t i = 0; i < 16; ++i) {
    auto value = gen->Generate(rng);
    if (value.ok() && !RE2::FullMatch(*value, re)) Fail("Generate", pattern, *value);
    if (gen->supports_unique() && i < gen->unique_capacity()) {
      auto unique = gen->GenerateUnique(i, rng);
      // A clean refusal (e.g. "$*" followed by text: anchors it cannot place) is allowed.
      if (!unique.ok()) continue;
      if (!RE2::FullMatch(*unique, re)) Fail("GenerateUnique mismatch", pattern, *unique);
      if (!seen.insert(*unique).second) Fail("GenerateUnique duplicate", pattern, *unique);
    }
  }
  return 0;
}
