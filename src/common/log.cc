#include "common/log.h"

#include <memory>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace ingestd::common {

void InitLogging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("ingestd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  spdlog::level::level_enum parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace ingestd::common
