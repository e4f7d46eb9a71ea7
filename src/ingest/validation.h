// Field rules and the validator that checks one value against one rule: RE2 full match,
// length bounds in Unicode code points, UTF-8 validity, no control characters (Unicode Cc:
// C0, DEL, C1). Pure functions; the rules themselves are data (the workflow definition).
//
//   FieldRule rule{.name = "pincode", .pattern = "[0-9]{4,6}"};
//   ASSIGN_OR_RETURN(CompiledRule compiled, CompiledRule::Compile(rule));
//   std::optional<std::string> reason = compiled.Check("12a4");  // "must match ..."
#ifndef INGESTD_INGEST_VALIDATION_H_
#define INGESTD_INGEST_VALIDATION_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace ingestd::ingest {

struct FieldRule {
  std::string name;
  bool required = true;
  std::size_t min_length = 0;       // in code points
  std::size_t max_length = 0;       // 0 = no bound
  bool utf8_no_control = false;     // valid UTF-8, no Cc characters
  std::string pattern;              // RE2 syntax, full match; empty = none
  std::string pattern_description;  // for messages: "4 to 6 digits"
};

// A rule with its pattern compiled once. Thread-safe (immutable) after Compile.
class CompiledRule {
 public:
  // INVALID_ARGUMENT when the pattern does not compile (the message quotes RE2's reason).
  static absl::StatusOr<CompiledRule> Compile(FieldRule rule);

  // nullopt when `value` passes; else a reason a person can act on ("is required", "must be
  // 4 to 6 digits", "must not contain control characters", ...).
  std::optional<std::string> Check(const std::optional<std::string>& value) const;

  const FieldRule& rule() const { return rule_; }

 private:
  FieldRule rule_;
  std::shared_ptr<const re2::RE2> regex_;
};

// Number of code points in `s` when it is valid UTF-8 (no overlongs, no surrogates, at most
// U+10FFFF); nullopt otherwise.
std::optional<std::size_t> Utf8Length(std::string_view s);

// True when the valid UTF-8 text `s` contains a Cc character (U+0000–U+001F, U+007F,
// U+0080–U+009F).
bool HasControlCharacter(std::string_view s);

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_VALIDATION_H_
