// RFC 3339 timestamps as the API prints them: UTC, millisecond precision, "Z" suffix.
//
//   FormatRfc3339(absl::FromUnixMillis(0)) == "1970-01-01T00:00:00.000Z"
#ifndef INGESTD_COMMON_TIME_FORMAT_H_
#define INGESTD_COMMON_TIME_FORMAT_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace ingestd::common {

std::string FormatRfc3339(absl::Time t);

// Parses what FormatRfc3339 prints (and any RFC 3339 time with an offset). nullopt when the
// text is not a timestamp.
std::optional<absl::Time> ParseRfc3339(std::string_view text);

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_TIME_FORMAT_H_
