#include "ingest/validation.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include "absl/status/status.h"

namespace ingestd::ingest {

std::optional<std::size_t> Utf8Length(std::string_view s) {
  std::size_t count = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++p;
      ++count;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (static_cast<std::size_t>(end - p) <= extra) return std::nullopt;
    for (std::size_t i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    p += extra + 1;
    ++count;
  }
  return count;
}

bool HasControlCharacter(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

absl::StatusOr<CompiledRule> CompiledRule::Compile(FieldRule rule) {
  CompiledRule compiled;
  if (!rule.pattern.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    auto regex = std::make_shared<const RE2>(rule.pattern, options);
    if (!regex->ok()) {
      return absl::InvalidArgumentError(
          fmt::format("pattern for field \"{}\" does not compile: {}", rule.name, regex->error()));
    }
    compiled.regex_ = std::move(regex);
  }
  compiled.rule_ = std::move(rule);
  return compiled;
}

std::optional<std::string> CompiledRule::Check(const std::optional<std::string>& value) const {
  if (!value.has_value()) {
    if (rule_.required) return std::string("is required");
    return std::nullopt;
  }
  const std::string& v = *value;
  const std::optional<std::size_t> length = Utf8Length(v);
  if (rule_.utf8_no_control) {
    if (!length) return std::string("must be valid UTF-8 text");
    if (HasControlCharacter(v)) {
      return std::string("must not contain control characters (tab, newline, DEL, ...)");
    }
  }
  const std::size_t n = length.value_or(v.size());
  if (n < rule_.min_length || (rule_.max_length > 0 && n > rule_.max_length)) {
    if (rule_.min_length == 1 && n == 0) return std::string("must not be empty");
    return fmt::format("must be {} to {} characters long (got {})", rule_.min_length,
                       rule_.max_length, n);
  }
  if (regex_ && !RE2::FullMatch(v, *regex_)) {
    if (v.empty()) return std::string("must not be empty");
    return rule_.pattern_description.empty()
               ? fmt::format("must match the pattern {}", rule_.pattern)
               : fmt::format("must be {}", rule_.pattern_description);
  }
  return std::nullopt;
}

}  // namespace ingestd::ingest
