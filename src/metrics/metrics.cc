#include "metrics/metrics.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "common/log.h"

namespace ingestd::metrics {
namespace {

namespace json = boost::json;

// Bounds of ingestd_http_request_duration_seconds, in seconds and in nanoseconds.
constexpr std::array<double, 14> kDurationBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
constexpr std::array<int64_t, 14> kDurationBoundsNs = [] {
  std::array<int64_t, 14> ns{};
  for (std::size_t i = 0; i < ns.size(); ++i) {
    ns[i] = static_cast<int64_t>(kDurationBounds[i] * 1e9 + 0.5);
  }
  return ns;
}();

// Per-thread shards: enough that io threads rarely share one.
constexpr std::size_t kShards = 16;

std::size_t ThreadShardIndex() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

// Methods outside this set (a client may send any token) share one label value, so that
// clients cannot grow the label set without bound.
std::string_view NormalizeMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

struct SeriesKey {
  std::string route;
  std::string method;
  int code = 0;
};
struct SeriesKeyView {
  std::string_view route;
  std::string_view method;
  int code = 0;
};
struct SeriesHash {
  using is_transparent = void;
  template <typename K>
  std::size_t operator()(const K& k) const {
    const std::hash<std::string_view> h;
    return h(std::string_view(k.route)) * 31 + h(std::string_view(k.method)) * 7 +
           static_cast<std::size_t>(k.code);
  }
};
struct SeriesEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return a.code == b.code && std::string_view(a.route) == std::string_view(b.route) &&
           std::string_view(a.method) == std::string_view(b.method);
  }
};

prometheus::Histogram::BucketBoundaries Bounds(std::initializer_list<double> b) { return b; }

prometheus::ClientMetric Value(double v, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = v;
  m.gauge.value = v;
  return m;
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                std::vector<prometheus::ClientMetric> metrics) {
  return prometheus::MetricFamily{std::move(name), std::move(help), type, std::move(metrics)};
}

json::value OrNull(bool present, double v) { return present ? json::value(v) : json::value(); }

}  // namespace

struct Metrics::RouteEntry {
  bool traffic = false;
  prometheus::Histogram* duration = nullptr;
  prometheus::Counter* bytes_in = nullptr;
  prometheus::Counter* bytes_out = nullptr;
  // Not yet folded into the registry.
  bool dirty = false;
  std::array<uint64_t, kDurationBounds.size() + 1> buckets{};
  int64_t sum_ns = 0;
  uint64_t pending_in = 0;
  uint64_t pending_out = 0;
};

struct Metrics::Shard {
  struct SeriesEntry {
    prometheus::Counter* requests = nullptr;
    RouteEntry* route = nullptr;
    uint64_t pending = 0;
  };

  // Moves what the shard holds into the registry, the time series and the totals of `m`.
  void FlushLocked(Metrics& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The entry of a route label not seen before by this shard; registers its series.
  RouteEntry* NewRouteLocked(Metrics& m, std::string_view route) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  absl::Mutex mu;
  int64_t second ABSL_GUARDED_BY(mu) = -1;
  SecondStats acc ABSL_GUARDED_BY(mu);  // traffic requests of `second`
  uint64_t traffic_requests ABSL_GUARDED_BY(mu) = 0;
  uint64_t lambda_billed_ms ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<SeriesKey, SeriesEntry, SeriesHash, SeriesEq> series ABSL_GUARDED_BY(mu);
  // node_hash_map: SeriesEntry keeps pointers to the values.
  absl::node_hash_map<std::string, RouteEntry> routes ABSL_GUARDED_BY(mu);
};

Metrics::Metrics(MetricsOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : common::Clock::Real()),
      registry_(std::make_shared<prometheus::Registry>()),
      shards_(std::make_unique<Shard[]>(kShards)) {
  prometheus::Registry& r = *registry_;
  http_requests_ = &prometheus::BuildCounter()
                        .Name("ingestd_http_requests_total")
                        .Help("HTTP requests answered, by route, method and status code.")
                        .Register(r);
  http_duration_ = &prometheus::BuildHistogram()
                        .Name("ingestd_http_request_duration_seconds")
                        .Help("Time from reading a request to writing its response, by route.")
                        .Register(r);
  http_bytes_in_ = &prometheus::BuildCounter()
                        .Name("ingestd_http_request_bytes_total")
                        .Help("Bytes of HTTP requests received, by route.")
                        .Register(r);
  http_bytes_out_ = &prometheus::BuildCounter()
                         .Name("ingestd_http_response_bytes_total")
                         .Help("Bytes of HTTP responses sent, by route.")
                         .Register(r);

  auto& ingest = prometheus::BuildCounter()
                     .Name("ingestd_ingest_outcomes_total")
                     .Help("Ingest requests by outcome.")
                     .Register(r);
  const char* outcomes[] = {"created", "replaced", "rejected", "pending_approval", "failed"};
  for (int i = 0; i < 5; ++i) ingest_[i] = &ingest.Add({{"outcome", outcomes[i]}});

  auto& executions = prometheus::BuildCounter()
                         .Name("ingestd_workflow_executions_total")
                         .Help("Workflow executions finished, by status.")
                         .Register(r);
  auto& exec_duration = prometheus::BuildHistogram()
                            .Name("ingestd_workflow_execution_duration_seconds")
                            .Help("Duration of finished workflow executions, by status.")
                            .Register(r);
  const char* statuses[] = {"succeeded", "failed", "timed_out", "aborted"};
  const auto exec_bounds = Bounds({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                   0.1, 0.5, 1, 10, 60, 3600, 86400});
  for (int i = 0; i < 4; ++i) {
    workflow_executions_[i] = &executions.Add({{"status", statuses[i]}});
    workflow_duration_[i] = &exec_duration.Add({{"status", statuses[i]}}, exec_bounds);
  }
  workflow_transitions_ = &prometheus::BuildCounter()
                               .Name("ingestd_workflow_state_transitions_total")
                               .Help("State transitions made by workflow executions.")
                               .Register(r)
                               .Add({});
  commit_batch_ = &prometheus::BuildHistogram()
                       .Name("ingestd_store_commit_batch_size")
                       .Help("Writes per store commit (group commit batch size).")
                       .Register(r)
                       .Add({}, Bounds({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}));
  commit_duration_ = &prometheus::BuildHistogram()
                          .Name("ingestd_store_commit_duration_seconds")
                          .Help("Duration of store commits, fsync included.")
                          .Register(r)
                          .Add({}, Bounds({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                           0.025, 0.05, 0.1, 0.25, 0.5, 1}));
  auto& commits = prometheus::BuildCounter()
                      .Name("ingestd_store_commits_total")
                      .Help("Store commits by result.")
                      .Register(r);
  commits_ok_ = &commits.Add({{"result", "ok"}});
  commits_failed_ = &commits.Add({{"result", "error"}});
  items_stored_ = &prometheus::BuildGauge()
                       .Name("ingestd_store_items")
                       .Help("Items in the store.")
                       .Register(r)
                       .Add({});
  list_pages_ = &prometheus::BuildCounter()
                     .Name("ingestd_list_pages_total")
                     .Help("List pages served.")
                     .Register(r)
                     .Add({});

  {
    absl::MutexLock lock(&usage_mu_);
    last_sample_ = clock_.Now();
  }
  if (options_.sample_interval > absl::ZeroDuration()) {
    sampler_ = std::thread([this] { SamplerLoop(); });
  }
}

Metrics::~Metrics() {
  {
    absl::MutexLock lock(&stop_mu_);
    stopping_ = true;
  }
  if (sampler_.joinable()) sampler_.join();
}

Metrics::Shard& Metrics::ThisThreadShard() { return shards_[ThreadShardIndex()]; }

Metrics::RouteEntry* Metrics::Shard::NewRouteLocked(Metrics& m, std::string_view route) {
  RouteEntry& entry = routes[std::string(route)];
  const std::string label(route);
  const std::vector<std::string>& untracked = m.options_.untracked_routes;
  entry.traffic = std::find(untracked.begin(), untracked.end(), label) == untracked.end();
  entry.duration = &m.http_duration_->Add(
      {{"route", label}},
      prometheus::Histogram::BucketBoundaries(kDurationBounds.begin(), kDurationBounds.end()));
  entry.bytes_in = &m.http_bytes_in_->Add({{"route", label}});
  entry.bytes_out = &m.http_bytes_out_->Add({{"route", label}});
  return &entry;
}

void Metrics::RecordRequest(std::string_view route, std::string_view method, int status_code,
                            absl::Duration duration, uint64_t bytes_in, uint64_t bytes_out) {
  const int64_t ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(duration));
  const int64_t second = absl::ToUnixSeconds(clock_.Now());
  method = NormalizeMethod(method);

  Shard& shard = ThisThreadShard();
  absl::MutexLock lock(&shard.mu);
  auto it = shard.series.find(SeriesKeyView{route, method, status_code});
  if (it == shard.series.end()) {
    auto route_it = shard.routes.find(absl::string_view(route.data(), route.size()));
    RouteEntry* route_entry =
        route_it != shard.routes.end() ? &route_it->second : shard.NewRouteLocked(*this, route);
    prometheus::Counter& counter = http_requests_->Add({{"route", std::string(route)},
                                                        {"method", std::string(method)},
                                                        {"code", std::to_string(status_code)}});
    it = shard.series
             .emplace(SeriesKey{std::string(route), std::string(method), status_code},
                      Shard::SeriesEntry{&counter, route_entry, 0})
             .first;
  }
  ++it->second.pending;
  RouteEntry& r = *it->second.route;
  r.dirty = true;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kDurationBoundsNs.begin(), kDurationBoundsNs.end(), ns) -
      kDurationBoundsNs.begin());
  ++r.buckets[bucket];
  r.sum_ns += ns;
  r.pending_in += bytes_in;
  r.pending_out += bytes_out;

  if (!r.traffic) return;
  if (shard.second != second) {
    shard.FlushLocked(*this);
    shard.second = second;
  }
  shard.acc.Add(ns, status_code);
  ++shard.traffic_requests;
  // Lambda bills duration rounded up to the millisecond, at least 1 ms.
  shard.lambda_billed_ms += static_cast<uint64_t>(std::max<int64_t>(1, (ns + 999'999) / 1'000'000));
}

void Metrics::Shard::FlushLocked(Metrics& m) {
  if (!acc.empty()) {
    m.series_.Merge(second, acc);
    acc = SecondStats{};
  }
  if (traffic_requests != 0) {
    absl::MutexLock lock(&m.usage_mu_);
    m.traffic_requests_ += traffic_requests;
    m.lambda_billed_ms_ += lambda_billed_ms;
  }
  traffic_requests = 0;
  lambda_billed_ms = 0;
  for (auto& [key, entry] : series) {
    if (entry.pending == 0) continue;
    entry.requests->Increment(static_cast<double>(entry.pending));
    entry.pending = 0;
  }
  for (auto& [route, entry] : routes) {
    if (!entry.dirty) continue;
    std::vector<double> increments(entry.buckets.begin(), entry.buckets.end());
    entry.duration->ObserveMultiple(increments, static_cast<double>(entry.sum_ns) / 1e9);
    if (entry.pending_in != 0) entry.bytes_in->Increment(static_cast<double>(entry.pending_in));
    if (entry.pending_out != 0) {
      entry.bytes_out->Increment(static_cast<double>(entry.pending_out));
    }
    entry.buckets.fill(0);
    entry.sum_ns = 0;
    entry.pending_in = 0;
    entry.pending_out = 0;
    entry.dirty = false;
  }
}

void Metrics::FlushAll() {
  for (std::size_t i = 0; i < kShards; ++i) {
    absl::MutexLock lock(&shards_[i].mu);
    shards_[i].FlushLocked(*this);
  }
}

void Metrics::RecordIngest(IngestOutcome outcome) {
  ingest_[static_cast<int>(outcome)]->Increment();
  if (outcome == IngestOutcome::kCreated) items_stored_->Increment();
  if (outcome == IngestOutcome::kCreated || outcome == IngestOutcome::kReplaced) {
    write_units_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Metrics::RecordWorkflow(WorkflowStatus status, absl::Duration duration, uint64_t transitions) {
  const int i = static_cast<int>(status);
  workflow_executions_[i]->Increment();
  workflow_duration_[i]->Observe(absl::ToDoubleSeconds(duration));
  RecordStateTransitions(transitions);
}

void Metrics::RecordStateTransitions(uint64_t transitions) {
  if (transitions == 0) return;
  workflow_transitions_->Increment(static_cast<double>(transitions));
  state_transitions_.fetch_add(transitions, std::memory_order_relaxed);
}

void Metrics::RecordCommit(std::size_t batch_size, absl::Duration duration, bool ok) {
  commit_batch_->Observe(static_cast<double>(batch_size));
  commit_duration_->Observe(absl::ToDoubleSeconds(duration));
  (ok ? commits_ok_ : commits_failed_)->Increment();
}

std::function<void(std::size_t, absl::Duration, bool)> Metrics::CommitCallback() {
  return [this](std::size_t batch_size, absl::Duration duration, bool ok) {
    RecordCommit(batch_size, duration, ok);
  };
}

void Metrics::RecordList(std::size_t /*items*/, uint64_t bytes) {
  list_pages_->Increment();
  // A Scan reads in 4 KB units; eventually consistent reads cost half a unit each.
  read_half_units_.fetch_add(std::max<uint64_t>(1, (bytes + 4095) / 4096),
                             std::memory_order_relaxed);
}

void Metrics::SetItemsStored(int64_t items) { items_stored_->Set(static_cast<double>(items)); }

void Metrics::SetStoredBytes(uint64_t bytes) {
  stored_bytes_set_.store(bytes, std::memory_order_relaxed);
}

ProcessStats Metrics::ReadProcess() {
  absl::StatusOr<ProcessStats> stats =
      options_.process_stats ? options_.process_stats() : ReadProcessStats();
  if (!stats.ok()) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      spdlog::warn("metrics: process figures unavailable: {}",
                   std::string(stats.status().message()));
    }
    return ProcessStats{};
  }
  return *stats;
}

double Metrics::MeasureStoredBytes() {
  if (options_.storage_dir.empty()) {
    return static_cast<double>(stored_bytes_set_.load(std::memory_order_relaxed));
  }
  // Files may come and go while we walk (SQLite's journal): skip what vanishes.
  std::error_code ec;
  double total = 0;
  for (std::filesystem::recursive_directory_iterator it(options_.storage_dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<double>(size);
    }
  }
  return total;
}

Usage Metrics::UsageLocked(double cpu_seconds, absl::Time now) {
  Usage u;
  u.cpu_seconds = cpu_seconds;
  u.stored_byte_seconds = stored_byte_seconds_ +
                          stored_bytes_ * std::max(0.0, absl::ToDoubleSeconds(now - last_sample_));
  u.requests = traffic_requests_;
  u.lambda_billed_ms = lambda_billed_ms_;
  u.state_transitions = state_transitions_.load(std::memory_order_relaxed);
  u.write_units = write_units_.load(std::memory_order_relaxed);
  u.read_half_units = read_half_units_.load(std::memory_order_relaxed);
  return u;
}

void Metrics::SampleNow() {
  FlushAll();
  const ProcessStats process = ReadProcess();
  const double bytes = MeasureStoredBytes();
  const absl::Time now = clock_.Now();
  CostSample sample;
  {
    absl::MutexLock lock(&usage_mu_);
    stored_byte_seconds_ +=
        stored_bytes_ * std::max(0.0, absl::ToDoubleSeconds(now - last_sample_));
    last_sample_ = std::max(last_sample_, now);
    stored_bytes_ = bytes;
    cpu_seconds_ = process.cpu_seconds;
    const Costs costs = EstimateCosts(UsageLocked(cpu_seconds_, now), options_.pricing);
    sample = {costs.self_hosted_usd, costs.serverless_usd};
  }
  series_.SetCost(absl::ToUnixSeconds(now), sample);
}

Usage Metrics::CurrentUsage() {
  FlushAll();
  const ProcessStats process = ReadProcess();
  absl::MutexLock lock(&usage_mu_);
  return UsageLocked(process.cpu_seconds, clock_.Now());
}

Costs Metrics::CurrentCosts() { return EstimateCosts(CurrentUsage(), options_.pricing); }

void Metrics::SamplerLoop() {
  while (true) {
    {
      absl::MutexLock lock(&stop_mu_);
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.sample_interval)) {
        return;
      }
    }
    SampleNow();
  }
}

std::string Metrics::RenderPrometheus() {
  FlushAll();
  const ProcessStats process = ReadProcess();
  Usage usage;
  double stored_bytes = 0;
  {
    absl::MutexLock lock(&usage_mu_);
    usage = UsageLocked(process.cpu_seconds, clock_.Now());
    stored_bytes = stored_bytes_;
  }
  const Costs c = EstimateCosts(usage, options_.pricing);

  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  using prometheus::MetricType;
  families.push_back(Family("ingestd_store_size_bytes",
                            "Bytes the store occupies on disk (sampled every second).",
                            MetricType::Gauge, {Value(stored_bytes)}));
  families.push_back(Family("ingestd_serverless_lambda_invocations_total",
                            "Serverless equivalent: Lambda invocations the traffic would make.",
                            MetricType::Counter, {Value(static_cast<double>(usage.requests))}));
  families.push_back(Family(
      "ingestd_serverless_lambda_billed_seconds_total",
      "Serverless equivalent: Lambda billed duration (each request rounded up to 1 ms); times "
      "the configured memory in GB gives the GB-seconds.",
      MetricType::Counter, {Value(static_cast<double>(usage.lambda_billed_ms) / 1000.0)}));
  families.push_back(Family("ingestd_serverless_dynamodb_write_units_total",
                            "Serverless equivalent: DynamoDB write request units.",
                            MetricType::Counter, {Value(static_cast<double>(usage.write_units))}));
  families.push_back(Family("ingestd_serverless_dynamodb_read_units_total",
                            "Serverless equivalent: DynamoDB read request units.",
                            MetricType::Counter,
                            {Value(static_cast<double>(usage.read_half_units) / 2.0)}));
  auto part = [](std::string stack, std::string component, double v) {
    return Value(v, {{"stack", std::move(stack)}, {"component", std::move(component)}});
  };
  families.push_back(Family(
      "ingestd_estimated_cost_usd_total",
      "Estimated charges in USD since start, by stack (self_hosted: this process; serverless: "
      "the same traffic on Lambda + Step Functions + DynamoDB) and component.",
      MetricType::Counter,
      {part("self_hosted", "cpu", c.self_hosted_cpu),
       part("self_hosted", "storage", c.self_hosted_storage),
       part("self_hosted", "requests", c.self_hosted_requests),
       part("serverless", "lambda_requests", c.lambda_requests),
       part("serverless", "lambda_compute", c.lambda_compute),
       part("serverless", "step_functions", c.step_functions),
       part("serverless", "dynamodb_writes", c.dynamodb_writes),
       part("serverless", "dynamodb_reads", c.dynamodb_reads),
       part("serverless", "dynamodb_storage", c.dynamodb_storage)}));
  families.push_back(Family("ingestd_estimated_cost_usd",
                            "Estimated charges in USD since start, by stack.", MetricType::Gauge,
                            {Value(c.self_hosted_usd, {{"stack", "self_hosted"}}),
                             Value(c.serverless_usd, {{"stack", "serverless"}})}));
  families.push_back(Family("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", MetricType::Counter,
                            {Value(process.cpu_seconds)}));
  families.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                            MetricType::Gauge, {Value(process.resident_bytes)}));
  families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                            MetricType::Gauge, {Value(process.virtual_bytes)}));
  families.push_back(Family("process_open_fds", "Number of open file descriptors.",
                            MetricType::Gauge, {Value(process.open_fds)}));
  families.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                            MetricType::Gauge, {Value(process.max_fds)}));
  families.push_back(Family("process_start_time_seconds",
                            "Start time of the process since unix epoch in seconds.",
                            MetricType::Gauge, {Value(process.start_time_seconds)}));

  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

absl::StatusOr<std::string> Metrics::DashboardJson(int64_t window_seconds) {
  if (window_seconds < 1 || window_seconds > 3600) {
    return absl::InvalidArgumentError(
        fmt::format("window must be 1..3600 seconds, got {}", window_seconds));
  }
  // At most 300 points: the step is the smallest divisor of the window giving that.
  int64_t step = (window_seconds + 299) / 300;
  while (window_seconds % step != 0) ++step;

  FlushAll();
  const ProcessStats process = ReadProcess();
  const absl::Time now = clock_.Now();
  Usage usage;
  {
    absl::MutexLock lock(&usage_mu_);
    usage = UsageLocked(process.cpu_seconds, now);
  }
  const Costs costs = EstimateCosts(usage, options_.pricing);
  // The current second is still filling: show complete seconds only.
  const int64_t end = absl::ToUnixSeconds(now);
  const std::vector<Point> points = series_.Window(end, window_seconds, step);

  json::array t, ips, requests, e5, e4, success, dmin, davg, dp99, dmax, self, serverless;
  SecondStats total;
  for (const Point& p : points) {
    const SecondStats& s = p.stats;
    const bool any = !s.empty();
    const double count = static_cast<double>(s.count);
    total.Merge(s);
    t.emplace_back(p.start_second);
    ips.emplace_back(count / static_cast<double>(step));
    requests.emplace_back(s.count);
    e5.emplace_back(s.errors_5xx);
    e4.emplace_back(s.errors_4xx);
    success.push_back(
        OrNull(any, any ? 100.0 * (count - static_cast<double>(s.errors_5xx)) / count : 0));
    dmin.push_back(OrNull(any, static_cast<double>(s.min_ns) / 1e6));
    davg.push_back(OrNull(any, any ? static_cast<double>(s.sum_ns) / count / 1e6 : 0));
    dp99.push_back(OrNull(any, static_cast<double>(s.QuantileNs(0.99)) / 1e6));
    dmax.push_back(OrNull(any, static_cast<double>(s.max_ns) / 1e6));
    self.push_back(OrNull(p.cost.has_value(), p.cost ? p.cost->self_hosted_usd : 0));
    serverless.push_back(OrNull(p.cost.has_value(), p.cost ? p.cost->serverless_usd : 0));
  }
  const bool any = !total.empty();
  const double count = static_cast<double>(total.count);

  json::object doc;
  doc["now"] = absl::ToDoubleSeconds(now - absl::UnixEpoch());
  doc["window"] = window_seconds;
  doc["step"] = step;
  doc["t"] = std::move(t);
  doc["invocations_per_second"] = std::move(ips);
  doc["requests"] = std::move(requests);
  doc["errors_5xx"] = std::move(e5);
  doc["errors_4xx"] = std::move(e4);
  doc["success_rate"] = std::move(success);
  doc["duration_ms"] = json::object{{"min", std::move(dmin)},
                                    {"avg", std::move(davg)},
                                    {"p99", std::move(dp99)},
                                    {"max", std::move(dmax)}};
  doc["cost_usd"] =
      json::object{{"self_hosted", std::move(self)}, {"serverless", std::move(serverless)}};
  json::object totals;
  totals["requests"] = total.count;
  totals["errors_5xx"] = total.errors_5xx;
  totals["errors_4xx"] = total.errors_4xx;
  totals["success_rate"] =
      OrNull(any, any ? 100.0 * (count - static_cast<double>(total.errors_5xx)) / count : 0);
  totals["duration_ms"] =
      json::object{{"min", OrNull(any, static_cast<double>(total.min_ns) / 1e6)},
                   {"avg", OrNull(any, any ? static_cast<double>(total.sum_ns) / count / 1e6 : 0)},
                   {"p99", OrNull(any, static_cast<double>(total.QuantileNs(0.99)) / 1e6)},
                   {"max", OrNull(any, static_cast<double>(total.max_ns) / 1e6)}};
  totals["cost_usd"] =
      json::object{{"self_hosted", costs.self_hosted_usd}, {"serverless", costs.serverless_usd}};
  doc["totals"] = std::move(totals);
  doc["pricing"] = json::parse(PricingToJson(options_.pricing));
  return json::serialize(doc);
}

}  // namespace ingestd::metrics
