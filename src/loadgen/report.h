// What a load run tells people and machines: the live progress line, the final summary, the
// JSON report (--report), and the CI gates (--max-error-rate, --max-p99).
//
//   std::cerr << FormatProgressLine(progress);
//   std::cout << FormatSummary(result, runner.options(), fields);
//   std::vector<std::string> breaches = CheckGates(result, {.max_error_rate = 0.01});
//   WriteFile(path, ReportJson(result, runner.options(), fields, breaches));
//   return breaches.empty() ? 0 : 1;
//
// JSON report fields: url, method, workers, connections, threads, target_rate (null for
// max), achieved_rate, elapsed_s, requests {sent, responses, errors, error_rate},
// status {"201": n, ...}, latency_us {min, mean, p50, p90, p99, p999, max},
// errors {connect, write, read, timeout, bad_response, status_5xx, unexpected_status},
// reconnects, data {valid, invalid {field: n}}, interrupted, gates {passed, breaches [...]}.
#ifndef INGESTD_LOADGEN_REPORT_H_
#define INGESTD_LOADGEN_REPORT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/data_generator.h"
#include "loadgen/runner.h"

namespace ingestd::loadgen {

struct Gates {
  std::optional<double> max_error_rate;  // errors / sent, in [0, 1]
  std::optional<absl::Duration> max_p99;
};

// "0.05" or "5%" -> 0.05; INVALID_ARGUMENT outside [0, 1] or not a number.
absl::StatusOr<double> ParseRatio(std::string_view text);

// errors / sent (0 when nothing was sent).
double ErrorRate(const LoadCounts& counts);

// "850us", "12.3ms", "1.20s".
std::string FormatLatency(uint64_t ns);

// One line, no newline: "  3s  1999.8 req/s  p50 1.2ms  p99 3.4ms  errors 0  sent 6000".
std::string FormatProgressLine(const Progress& progress);

// The multi-line end-of-run summary.
std::string FormatSummary(const LoadResult& result, const LoadOptions& options,
                          const std::vector<FieldSpec>& fields);

// The breached gates, each as a sentence; empty when all pass.
std::vector<std::string> CheckGates(const LoadResult& result, const Gates& gates);

// The machine-readable report.
std::string ReportJson(const LoadResult& result, const LoadOptions& options,
                       const std::vector<FieldSpec>& fields,
                       const std::vector<std::string>& breaches);

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_REPORT_H_
