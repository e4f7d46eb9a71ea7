// Durations as users write them on the command line: a number and a unit.
//
//   ParseDuration("250ms") -> absl::Milliseconds(250)
//   ParseDuration("365d")  -> absl::Hours(24 * 365)
//   ParseDuration("10")    -> INVALID_ARGUMENT (a unit is required)
#ifndef INGESTD_COMMON_DURATION_H_
#define INGESTD_COMMON_DURATION_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ingestd::common {

// Accepts a non-negative decimal number (fractions allowed: "1.5s") followed by one of the
// units us, ms, s, m, h, d. Anything else is INVALID_ARGUMENT with a message that shows the
// accepted form.
absl::StatusOr<absl::Duration> ParseDuration(std::string_view text);

// The shortest exact rendering in the same syntax ("1500ms" -> "1.5s" is not attempted;
// whole units are preferred: 90s -> "90s", 2h -> "2h").
std::string FormatDuration(absl::Duration d);

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_DURATION_H_
