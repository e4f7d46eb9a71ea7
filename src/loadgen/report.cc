#include "loadgen/report.h"

#include <charconv>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "absl/status/status.h"

namespace ingestd::loadgen {
namespace {

constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kQuantileNames[] = {"p50", "p90", "p99", "p999"};
constexpr const char* kQuantileLabels[] = {"p50", "p90", "p99", "p99.9"};

}  // namespace

absl::StatusOr<double> ParseRatio(std::string_view text) {
  std::string_view number = text;
  double scale = 1;
  if (!number.empty() && number.back() == '%') {
    number.remove_suffix(1);
    scale = 0.01;
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" is not a ratio: expected e.g. 0.05 or 5%", text));
  }
  value *= scale;
  if (!(value >= 0 && value <= 1)) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" is not a ratio within 0 and 1 (0% and 100%)", text));
  }
  return value;
}

double ErrorRate(const LoadCounts& counts) {
  if (counts.sent == 0) return 0;
  return static_cast<double>(counts.total_errors()) / static_cast<double>(counts.sent);
}

std::string FormatLatency(uint64_t ns) {
  if (ns < 1'000) return fmt::format("{}ns", ns);
  if (ns < 1'000'000) return fmt::format("{:.0f}us", static_cast<double>(ns) / 1e3);
  if (ns < 1'000'000'000) return fmt::format("{:.2f}ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
}

std::string FormatProgressLine(const Progress& p) {
  return fmt::format("{:>4.0f}s  {:>9.1f} req/s  p50 {:>8}  p99 {:>8}  errors {}  sent {}",
                     absl::ToDoubleSeconds(p.elapsed), p.interval_rate,
                     FormatLatency(p.interval_p50_ns), FormatLatency(p.interval_p99_ns),
                     p.total_errors, p.total_sent);
}

std::string FormatSummary(const LoadResult& result, const LoadOptions& options,
                          const std::vector<FieldSpec>& fields) {
  const LoadCounts& c = result.counts;
  std::string out;
  out += fmt::format("{} {}  workers {}  connections {}  threads {}{}\n", options.method,
                     options.url, options.workers, options.connections, options.threads,
                     result.interrupted ? "  (interrupted)" : "");
  out += fmt::format("  requests   {} sent, {} answered in {:.3f}s\n", c.sent, c.responses,
                     absl::ToDoubleSeconds(result.elapsed));
  if (result.target_rate > 0) {
    out += fmt::format("  rate       {:.1f} req/s achieved of {:.1f} req/s target ({:.2f}%)\n",
                       result.achieved_rate, result.target_rate,
                       100 * result.achieved_rate / result.target_rate);
  } else {
    out += fmt::format("  rate       {:.1f} req/s (closed loop, max)\n", result.achieved_rate);
  }
  std::string statuses;
  for (size_t code = 0; code < c.status.size(); ++code) {
    if (c.status[code] > 0) statuses += fmt::format("  {}: {}", code, c.status[code]);
  }
  out += fmt::format("  status    {}\n", statuses.empty() ? std::string("  none") : statuses);
  std::string latency;
  for (size_t i = 0; i < std::size(kQuantiles); ++i) {
    latency += fmt::format("  {} {}", kQuantileLabels[i],
                           FormatLatency(c.latency.ValueAtQuantile(kQuantiles[i])));
  }
  latency += fmt::format("  max {}", FormatLatency(c.latency.max()));
  out += fmt::format("  latency   {}{}\n", latency,
                     result.target_rate > 0 ? "  (from the scheduled send time)" : "");
  std::string errors;
  for (int k = 0; k < kErrorKinds; ++k) {
    if (c.errors[static_cast<size_t>(k)] > 0) {
      errors += fmt::format("  {}: {}", ErrorKindName(static_cast<ErrorKind>(k)),
                            c.errors[static_cast<size_t>(k)]);
    }
  }
  out += fmt::format("  errors     {} ({:.3f}%){}\n", c.total_errors(), 100 * ErrorRate(c), errors);
  out += fmt::format("  reconnects {}\n", c.reconnects);
  std::string invalid;
  for (size_t i = 0; i < c.invalid_sent.size() && i < fields.size(); ++i) {
    if (c.invalid_sent[i] > 0)
      invalid += fmt::format("  {}: {}", fields[i].name, c.invalid_sent[i]);
  }
  out += fmt::format("  data       {} valid{}{}\n", c.valid_sent,
                     invalid.empty() ? "" : ", invalid by field:", invalid);
  if (result.target_rate > 0 && !result.interrupted &&
      result.achieved_rate < 0.99 * result.target_rate) {
    out +=
        "  note       the target rate was not reached: the server is slower than the "
        "schedule, or there are too few --connections for its latency\n";
  }
  return out;
}

std::vector<std::string> CheckGates(const LoadResult& result, const Gates& gates) {
  std::vector<std::string> breaches;
  const LoadCounts& c = result.counts;
  if (gates.max_error_rate && ErrorRate(c) > *gates.max_error_rate) {
    breaches.push_back(fmt::format("error rate {:.3f}% is above --max-error-rate {:.3f}%",
                                   100 * ErrorRate(c), 100 * *gates.max_error_rate));
  }
  if (gates.max_p99) {
    const uint64_t p99 = c.latency.ValueAtQuantile(0.99);
    if (c.latency.count() == 0) {
      breaches.push_back("no responses, so p99 is unknown (--max-p99 needs responses)");
    } else if (absl::Nanoseconds(p99) > *gates.max_p99) {
      breaches.push_back(fmt::format("p99 {} is above --max-p99 {}", FormatLatency(p99),
                                     absl::FormatDuration(*gates.max_p99)));
    }
  }
  return breaches;
}

std::string ReportJson(const LoadResult& result, const LoadOptions& options,
                       const std::vector<FieldSpec>& fields,
                       const std::vector<std::string>& breaches) {
  namespace json = boost::json;
  const LoadCounts& c = result.counts;
  json::object report;
  report["url"] = options.url;
  report["method"] = options.method;
  report["workers"] = options.workers;
  report["connections"] = options.connections;
  report["threads"] = options.threads;
  if (result.target_rate > 0) {
    report["target_rate"] = result.target_rate;
  } else {
    report["target_rate"] = nullptr;
  }
  report["achieved_rate"] = result.achieved_rate;
  report["elapsed_s"] = absl::ToDoubleSeconds(result.elapsed);
  report["requests"] = {{"sent", c.sent},
                        {"responses", c.responses},
                        {"errors", c.total_errors()},
                        {"error_rate", ErrorRate(c)}};
  json::object status;
  for (size_t code = 0; code < c.status.size(); ++code) {
    if (c.status[code] > 0) status[std::to_string(code)] = c.status[code];
  }
  report["status"] = std::move(status);
  json::object latency;
  latency["min"] = static_cast<double>(c.latency.min()) / 1e3;
  latency["mean"] = c.latency.mean() / 1e3;
  for (size_t i = 0; i < std::size(kQuantiles); ++i) {
    latency[kQuantileNames[i]] =
        static_cast<double>(c.latency.ValueAtQuantile(kQuantiles[i])) / 1e3;
  }
  latency["max"] = static_cast<double>(c.latency.max()) / 1e3;
  report["latency_us"] = std::move(latency);
  json::object errors;
  for (int k = 0; k < kErrorKinds; ++k) {
    errors[std::string(ErrorKindName(static_cast<ErrorKind>(k)))] =
        c.errors[static_cast<size_t>(k)];
  }
  report["errors"] = std::move(errors);
  report["reconnects"] = c.reconnects;
  json::object invalid;
  for (size_t i = 0; i < fields.size(); ++i) {
    invalid[fields[i].name] = i < c.invalid_sent.size() ? c.invalid_sent[i] : 0;
  }
  report["data"] = {{"valid", c.valid_sent}, {"invalid", std::move(invalid)}};
  report["interrupted"] = result.interrupted;
  json::array breach_list;
  for (const std::string& b : breaches) breach_list.emplace_back(b);
  report["gates"] = {{"passed", breaches.empty()}, {"breaches", std::move(breach_list)}};
  return json::serialize(report) + "\n";
}

}  // namespace ingestd::loadgen
