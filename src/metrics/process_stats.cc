#include "metrics/process_stats.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include "absl/status/status.h"
#include "common/status_macros.h"

namespace ingestd::metrics {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ParseDouble(std::string_view s, double& out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat, double ticks_per_second,
                                           double page_bytes, double boot_time_seconds) {
  // The command name (field 2) is in parentheses and may itself hold spaces or ')': the
  // fields we want follow the last ')'.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return absl::InvalidArgumentError("/proc/self/stat: no command name");
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest(stat);
  rest.remove_prefix(close + 1);
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // proc(5) numbers fields from 1: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number, double& out) {
    const std::size_t i = static_cast<std::size_t>(number - 3);
    return i < fields.size() && ParseDouble(fields[i], out);
  };
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!field(14, utime) || !field(15, stime) || !field(22, start) || !field(23, vsize) ||
      !field(24, rss)) {
    return absl::InvalidArgumentError("/proc/self/stat: unexpected format");
  }
  ProcessStats s;
  s.cpu_seconds = (utime + stime) / ticks_per_second;
  s.start_time_seconds = boot_time_seconds + start / ticks_per_second;
  s.virtual_bytes = vsize;
  s.resident_bytes = rss * page_bytes;
  return s;
}

absl::StatusOr<double> ParseBootTime(const std::string& proc_stat) {
  std::istringstream in(proc_stat);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      double value = 0;
      if (ParseDouble(std::string_view(line).substr(6), value)) return value;
    }
  }
  return absl::InvalidArgumentError("/proc/stat: no btime line");
}

absl::StatusOr<ProcessStats> ReadProcessStats() {
  ASSIGN_OR_RETURN(std::string stat, ReadWholeFile("/proc/self/stat"));
  // Boot time does not change while we run: read it once.
  static const absl::StatusOr<double> boot_time = []() -> absl::StatusOr<double> {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile("/proc/stat"));
    return ParseBootTime(text);
  }();
  if (!boot_time.ok()) return absl::UnavailableError(std::string(boot_time.status().message()));
  absl::StatusOr<ProcessStats> stats =
      ParseProcStat(stat, static_cast<double>(sysconf(_SC_CLK_TCK)),
                    static_cast<double>(sysconf(_SC_PAGESIZE)), *boot_time);
  if (!stats.ok()) return absl::UnavailableError(std::string(stats.status().message()));

  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  // The iterator's own descriptor is one of the entries.
  stats->open_fds = fds > 0 ? fds - 1 : 0;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    stats->max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : static_cast<double>(limit.rlim_cur);
  }
  return stats;
}

}  // namespace ingestd::metrics
