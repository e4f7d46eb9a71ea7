// The standard process_* figures of the running process, read from /proc/self (Linux).
//
//   ASSIGN_OR_RETURN(metrics::ProcessStats stats, metrics::ReadProcessStats());
//   // stats.cpu_seconds, stats.resident_bytes, stats.open_fds, stats.start_time_seconds ...
//
// Thread-safe: plain functions without shared state.
#ifndef INGESTD_METRICS_PROCESS_STATS_H_
#define INGESTD_METRICS_PROCESS_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ingestd::metrics {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system time
  double resident_bytes = 0;      // RSS
  double virtual_bytes = 0;       // VSZ
  double start_time_seconds = 0;  // Unix time the process started
  double open_fds = 0;            // entries of /proc/self/fd
  double max_fds = 0;             // RLIMIT_NOFILE soft limit
};

// Reads /proc/self/stat, /proc/stat (boot time), /proc/self/fd and the fd limit. UNAVAILABLE
// when /proc cannot be read or does not parse.
absl::StatusOr<ProcessStats> ReadProcessStats();

// Parses the text of /proc/<pid>/stat into cpu_seconds, resident_bytes, virtual_bytes and
// start_time_seconds; `ticks_per_second` is sysconf(_SC_CLK_TCK), `page_bytes` the page size,
// `boot_time_seconds` the btime line of /proc/stat. INVALID_ARGUMENT when it does not parse.
absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat, double ticks_per_second,
                                           double page_bytes, double boot_time_seconds);

// The "btime" value of /proc/stat's text. INVALID_ARGUMENT when absent.
absl::StatusOr<double> ParseBootTime(const std::string& proc_stat);

}  // namespace ingestd::metrics

#endif  // INGESTD_METRICS_PROCESS_STATS_H_
