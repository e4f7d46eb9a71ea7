// Logging: one line per event on stderr, through spdlog.
//
//   ingestd::common::InitLogging("info");
//   spdlog::info("listening on {}", address);
#ifndef INGESTD_COMMON_LOG_H_
#define INGESTD_COMMON_LOG_H_

#include <string_view>

#include <spdlog/spdlog.h>

namespace ingestd::common {

// Sends the default logger to stderr with an ISO-8601 UTC timestamp and the level. `level` is
// one of trace, debug, info, warn, error, off; an unknown name means info. Call once, early.
void InitLogging(std::string_view level);

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_LOG_H_
