#include "common/duration.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "absl/status/status.h"

namespace ingestd::common {
namespace {

struct Unit {
  std::string_view name;
  absl::Duration size;
};

constexpr std::string_view kForm = "expected a number and a unit (us, ms, s, m, h, d), e.g. 250ms";

}  // namespace

absl::StatusOr<absl::Duration> ParseDuration(std::string_view text) {
  static const std::array<Unit, 6> kUnits = {{
      {"us", absl::Microseconds(1)},
      {"ms", absl::Milliseconds(1)},
      {"s", absl::Seconds(1)},
      {"m", absl::Minutes(1)},
      {"h", absl::Hours(1)},
      {"d", absl::Hours(24)},
  }};
  std::size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  const std::string_view number = text.substr(0, digits);
  const std::string_view unit = text.substr(digits);
  if (number.empty() || unit.empty()) {
    return absl::InvalidArgumentError(fmt::format("bad duration \"{}\": {}", text, kForm));
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size() || value > 1e12) {
    return absl::InvalidArgumentError(fmt::format("bad duration \"{}\": {}", text, kForm));
  }
  for (const Unit& u : kUnits) {
    if (unit == u.name) return value * u.size;
  }
  return absl::InvalidArgumentError(fmt::format("bad duration unit in \"{}\": {}", text, kForm));
}

std::string FormatDuration(absl::Duration d) {
  static const std::array<Unit, 6> kLargestFirst = {{
      {"d", absl::Hours(24)},
      {"h", absl::Hours(1)},
      {"m", absl::Minutes(1)},
      {"s", absl::Seconds(1)},
      {"ms", absl::Milliseconds(1)},
      {"us", absl::Microseconds(1)},
  }};
  if (d == absl::ZeroDuration()) return "0s";
  for (const Unit& u : kLargestFirst) {
    if (d % u.size == absl::ZeroDuration()) {
      return fmt::format("{}{}", absl::IDivDuration(d, u.size, &d), u.name);
    }
  }
  return fmt::format("{}us", absl::ToInt64Microseconds(d));
}

}  // namespace ingestd::common
