// Whole-file reads with errors as values.
//
//   ASSIGN_OR_RETURN(std::string text, ReadFile("workflows/ingest.asl.json"));
#ifndef INGESTD_COMMON_FILE_H_
#define INGESTD_COMMON_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace ingestd::common {

// The bytes of the file at `path`. NOT_FOUND when it does not exist, PERMISSION_DENIED when it
// cannot be read, INVALID_ARGUMENT for a directory; the message names the path and the reason.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_FILE_H_
