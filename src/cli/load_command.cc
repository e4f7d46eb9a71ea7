// `ingestd load`: the load generator (see loadgen/runner.h for what the flags mean).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/duration.h"
#include "common/file.h"
#include "loadgen/data_generator.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"
#include "loadgen/workflow_fields.h"
#include "workflow/default_workflow.h"

namespace ingestd::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int /*signal*/) { g_interrupted.store(true); }

struct LoadFlags {
  std::string url;
  int workers = 2;
  std::string rate = "1";
  int connections = 0;
  int threads = 0;
  std::string duration = "60s";
  uint64_t requests = 0;
  std::string method = "GET";
  std::string data = "random-valid";
  std::string invalid_ratio = "0";
  std::string workflow;
  std::string report;
  std::string max_error_rate;
  std::string max_p99;
  std::string timeout = "10s";
  bool duration_given = false;
  bool requests_given = false;
};

int Fail(const absl::Status& status) {
  std::cerr << "ingestd load: " << status.message() << "\n";
  return 2;
}

int RunLoad(const LoadFlags& flags) {
  loadgen::LoadOptions options;
  options.url = flags.url;
  options.workers = flags.workers;
  if (flags.rate == "max") {
    options.rate = std::nullopt;
  } else {
    try {
      size_t used = 0;
      options.rate = std::stod(flags.rate, &used);
      if (used != flags.rate.size()) throw std::invalid_argument(flags.rate);
    } catch (const std::exception&) {
      std::cerr << "ingestd load: --rate " << flags.rate
                << ": expected requests per second per worker, or max\n";
      return 2;
    }
  }
  options.connections = flags.connections;
  options.threads = flags.threads;
  options.method = flags.method;
  if (flags.requests_given) options.requests = flags.requests;
  if (flags.duration_given || !flags.requests_given) {
    auto duration = common::ParseDuration(flags.duration);
    if (!duration.ok()) return Fail(duration.status());
    options.duration = *duration;
  } else {
    options.duration = std::nullopt;
  }
  auto timeout = common::ParseDuration(flags.timeout);
  if (!timeout.ok()) return Fail(timeout.status());
  options.timeout = *timeout;

  loadgen::DataOptions data;
  auto mode = loadgen::ParseDataMode(flags.data);
  if (!mode.ok()) return Fail(mode.status());
  data.mode = *mode;
  auto ratio = loadgen::ParseRatio(flags.invalid_ratio);
  if (!ratio.ok()) return Fail(ratio.status());
  data.invalid_ratio = *ratio;
  // The rules the data is generated from are the workflow's own (the built-in one unless
  // --workflow names another), so the load matches what the service checks.
  std::string workflow_text(workflow::DefaultIngestWorkflowText());
  if (!flags.workflow.empty()) {
    auto file = common::ReadFile(flags.workflow);
    if (!file.ok()) return Fail(file.status());
    workflow_text = *std::move(file);
  }
  auto fields = loadgen::FieldSpecsFromWorkflowText(workflow_text);
  if (!fields.ok()) return Fail(fields.status());
  data.fields = *std::move(fields);
  data.unique_offset = (uint64_t{std::random_device()()} << 32) | std::random_device()();

  loadgen::Gates gates;
  if (!flags.max_error_rate.empty()) {
    auto rate = loadgen::ParseRatio(flags.max_error_rate);
    if (!rate.ok()) return Fail(rate.status());
    gates.max_error_rate = *rate;
  }
  if (!flags.max_p99.empty()) {
    auto p99 = common::ParseDuration(flags.max_p99);
    if (!p99.ok()) return Fail(p99.status());
    gates.max_p99 = *p99;
  }

  auto generator = loadgen::DataGenerator::Create(std::move(data));
  if (!generator.ok()) return Fail(generator.status());
  const std::vector<loadgen::FieldSpec> field_specs = generator->options().fields;
  auto runner = loadgen::LoadRunner::Create(std::move(options), *std::move(generator));
  if (!runner.ok()) return Fail(runner.status());

  const bool tty = isatty(STDERR_FILENO) != 0;
  size_t last_width = 0;
  loadgen::RunCallbacks callbacks;
  callbacks.on_progress = [&](const loadgen::Progress& progress) {
    std::string line = loadgen::FormatProgressLine(progress);
    if (tty) {
      const size_t width = line.size();
      if (width < last_width) line.append(last_width - width, ' ');
      last_width = width;
      std::cerr << '\r' << line << std::flush;
    } else {
      std::cerr << line << '\n';
    }
  };
  callbacks.should_stop = [] { return g_interrupted.load(); };

  g_interrupted = false;
  auto previous_int = std::signal(SIGINT, OnInterrupt);
  auto previous_term = std::signal(SIGTERM, OnInterrupt);
  absl::StatusOr<loadgen::LoadResult> result = (*runner)->Run(callbacks);
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  if (tty && last_width > 0) std::cerr << '\n';
  if (!result.ok()) {
    std::cerr << "ingestd load: the run stopped: " << result.status().message() << "\n";
    return 1;
  }

  std::vector<std::string> breaches = loadgen::CheckGates(*result, gates);
  std::cout << loadgen::FormatSummary(*result, (*runner)->options(), field_specs) << std::flush;
  if (!flags.report.empty()) {
    std::ofstream out(flags.report, std::ios::trunc);
    out << loadgen::ReportJson(*result, (*runner)->options(), field_specs, breaches);
    out.close();
    if (!out) {
      std::cerr << "ingestd load: cannot write the report to " << flags.report << "\n";
      return 1;
    }
  }
  for (const std::string& breach : breaches)
    std::cerr << "ingestd load: FAILED: " << breach << "\n";
  if (!breaches.empty()) return 1;
  if (result->counts.responses == 0) {
    std::cerr << "ingestd load: no request got a response; is the server at " << flags.url
              << " up?\n";
    return 1;
  }
  return 0;
}

}  // namespace

CommandRunner AddLoadCommand(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand(
      "load",
      "Send load to an ingestd (or any HTTP) endpoint: open-loop at a fixed rate (latency "
      "from the scheduled send, no coordinated omission) or closed-loop at --rate max, with "
      "data generated from the validation rules");
  auto flags = std::make_shared<LoadFlags>();
  cmd->add_option("--url", flags->url, "Where to send, http://HOST[:PORT][/PATH]")->required();
  cmd->add_option("--workers", flags->workers, "Simulated clients; total rate = workers x rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--rate", flags->rate,
                  "Requests per second per worker, or \"max\" for a closed-loop maximum-"
                  "throughput run")
      ->capture_default_str();
  cmd->add_option("--connections", flags->connections,
                  "Keep-alive connections (default: one per worker)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", flags->threads,
                  "Event-loop threads (default: min(connections, cores))")
      ->check(CLI::PositiveNumber);
  CLI::Option* duration =
      cmd->add_option("--duration", flags->duration,
                      "How long to send (default 60s; with only --requests, until they are done)")
          ->check(DurationValidator());
  CLI::Option* requests =
      cmd->add_option("--requests", flags->requests, "How many requests to send in all")
          ->check(CLI::PositiveNumber);
  cmd->add_option("--method", flags->method, "GET, PUT or POST (fields in the query string)")
      ->capture_default_str()
      ->check(CLI::IsMember({"GET", "PUT", "POST"}));
  cmd->add_option("--data", flags->data,
                  "random-valid: every field generated from the workflow's rules, unique "
                  "emails; fixed: the seed's fixed query string")
      ->capture_default_str()
      ->check(CLI::IsMember({"random-valid", "fixed"}));
  cmd->add_option("--invalid-ratio", flags->invalid_ratio,
                  "Share of requests that break one rule (a field chosen at random), e.g. 0.1 "
                  "or 10%")
      ->capture_default_str();
  cmd->add_option("--workflow", flags->workflow,
                  "Workflow definition to take the field rules from (default: built-in)");
  cmd->add_option("--report", flags->report, "Write a JSON report to this file");
  cmd->add_option("--max-error-rate", flags->max_error_rate,
                  "Exit 1 when errors / requests is above this, e.g. 0.01 or 1%");
  cmd->add_option("--max-p99", flags->max_p99, "Exit 1 when the p99 latency is above this")
      ->check(DurationValidator());
  cmd->add_option("--timeout", flags->timeout, "Per-request timeout")
      ->capture_default_str()
      ->check(DurationValidator());
  return [flags, duration, requests] {
    flags->duration_given = duration->count() > 0;
    flags->requests_given = requests->count() > 0;
    return RunLoad(*flags);
  };
}

}  // namespace ingestd::cli
