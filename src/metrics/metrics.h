// ingestd's metrics: the Prometheus registry (text exposition for GET /metrics), the
// per-second time series behind the dashboard, and the running-cost estimate. The other
// modules' wiring calls the cheap Record* methods; dashboard serves the renderings.
//
//   metrics::Metrics m({.pricing = pricing, .storage_dir = "ingestd-data"});
//   store_options.observer.on_commit = m.CommitCallback();
//   ...  // per request, after the response is sent:
//   m.RecordRequest(router.RouteLabel(target), "POST", 201, elapsed, bytes_in, bytes_out);
//   m.RecordIngest(metrics::IngestOutcome::kCreated);
//   std::string text = m.RenderPrometheus();          // text format 0.0.4
//   absl::StatusOr<std::string> json = m.DashboardJson(300);
//
// Metric names (all with HELP and TYPE):
//   ingestd_http_requests_total{route,method,code}          counter
//   ingestd_http_request_duration_seconds{route}            histogram
//   ingestd_http_request_bytes_total{route}, ingestd_http_response_bytes_total{route}
//   ingestd_ingest_outcomes_total{outcome=created|replaced|rejected|pending_approval|failed}
//   ingestd_workflow_executions_total{status}, ingestd_workflow_execution_duration_seconds{status}
//   ingestd_workflow_state_transitions_total
//   ingestd_store_commit_batch_size, ingestd_store_commit_duration_seconds   histograms
//   ingestd_store_commits_total{result=ok|error}
//   ingestd_store_items, ingestd_store_size_bytes                             gauges
//   ingestd_list_pages_total
//   ingestd_serverless_lambda_invocations_total, ingestd_serverless_lambda_billed_seconds_total,
//   ingestd_serverless_dynamodb_write_units_total, ingestd_serverless_dynamodb_read_units_total
//   ingestd_estimated_cost_usd_total{stack=self_hosted|serverless,component}  counter
//   ingestd_estimated_cost_usd{stack}                                          gauge (the sums)
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds
//
// "Traffic" for the dashboard and the cost model is every request except the monitor's own
// routes (MetricsOptions::untracked_routes: /metrics, /dashboard..., /healthz, /readyz,
// /favicon.ico): a browser watching the dashboard does not inflate what it shows. Prometheus
// counters count every request. Errors: 5xx are errors (they lower the success rate); 4xx are
// counted separately as client errors (a 400 for invalid data is the service working).
//
// Thread-safety: every method may be called from any thread at any time. RecordRequest does
// not contend across threads in the common case: each thread records into its own shard (an
// uncontended mutex and a hash lookup, no allocation once a label set has been seen), and
// shards are folded into the registry and the time series about once a second and on every
// rendering.
#ifndef INGESTD_METRICS_METRICS_H_
#define INGESTD_METRICS_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "metrics/pricing.h"
#include "metrics/process_stats.h"
#include "metrics/time_series.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace ingestd::metrics {

// kFailed: the request was valid but could not be completed (e.g. the store commit failed).
enum class IngestOutcome { kCreated, kReplaced, kRejected, kPendingApproval, kFailed };
enum class WorkflowStatus { kSucceeded, kFailed, kTimedOut, kAborted };

struct MetricsOptions {
  // Where time comes from (time series buckets, cost accrual). Null = common::Clock::Real().
  // Not owned; must outlive the Metrics.
  const common::Clock* clock = nullptr;
  Pricing pricing;
  // When set, the stored bytes (ingestd_store_size_bytes, storage cost) are the total size of
  // the files under this directory, measured at every sample. Otherwise SetStoredBytes().
  std::string storage_dir;
  // Route labels that are not traffic (see above).
  std::vector<std::string> untracked_routes = {
      "/metrics",     "/dashboard", "/dashboard/data", "/dashboard/assets/*",
      "/favicon.ico", "/healthz",   "/readyz"};
  // How often a background thread samples CPU, storage and cost into the time series. Zero:
  // no thread (tests call SampleNow()).
  absl::Duration sample_interval = absl::Seconds(1);
  // Source of the process_* figures; null = ReadProcessStats(). For tests.
  std::function<absl::StatusOr<ProcessStats>()> process_stats;
};

class Metrics {
 public:
  explicit Metrics(MetricsOptions options = {});
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  // Stops the sampler thread.
  ~Metrics();

  // One answered request. `route` is the router's label (a bounded set: "/", "/healthz",
  // "/approvals/*", "other"...); `method` the request method ("GET"; methods outside the
  // standard set are counted as "other"); `status_code` the HTTP status sent; `duration` from
  // the first byte read to the response written.
  void RecordRequest(std::string_view route, std::string_view method, int status_code,
                     absl::Duration duration, uint64_t bytes_in, uint64_t bytes_out);

  // The outcome of one ingest request. kCreated also counts one more stored item; kCreated and
  // kReplaced are one DynamoDB write unit in the serverless estimate.
  void RecordIngest(IngestOutcome outcome);

  // A workflow execution that finished, how long it ran, and how many state transitions it
  // made (for the Step Functions estimate).
  void RecordWorkflow(WorkflowStatus status, absl::Duration duration, uint64_t transitions);

  // State transitions of workflow runs not reported through RecordWorkflow (e.g. when the
  // engine only reports outcomes): counted in ingestd_workflow_state_transitions_total and
  // priced as Step Functions transitions.
  void RecordStateTransitions(uint64_t transitions);

  // One store commit (group commit): how many writes, how long incl. fsync, whether it worked.
  void RecordCommit(std::size_t batch_size, absl::Duration duration, bool ok);
  // The same as a callable for store::StoreObserver::on_commit. The Metrics must outlive it.
  std::function<void(std::size_t, absl::Duration, bool)> CommitCallback();

  // One list page served: `bytes` of items read (for the DynamoDB read-unit estimate).
  void RecordList(std::size_t items, uint64_t bytes);

  // The number of items in the store (e.g. counted at startup); RecordIngest(kCreated) adds 1.
  void SetItemsStored(int64_t items);
  // The store's size when no storage_dir is set.
  void SetStoredBytes(uint64_t bytes);

  // Folds the shards, samples the process's CPU time and the stored bytes, accrues storage
  // cost since the last sample, and writes the cumulative costs into the time series. The
  // sampler thread calls it every sample_interval.
  void SampleNow();

  // The whole registry in Prometheus text format 0.0.4, process_* and cost metrics included.
  std::string RenderPrometheus();

  // The dashboard's data for the last `window_seconds` complete seconds (1..3600) as JSON:
  //   {"now":T,"window":W,"step":S,"t":[unix seconds...],
  //    "invocations_per_second":[...],"requests":[...],"errors_5xx":[...],"errors_4xx":[...],
  //    "success_rate":[percent or null],
  //    "duration_ms":{"min":[...],"avg":[...],"p99":[...],"max":[...]}   (null: no requests)
  //    "cost_usd":{"self_hosted":[...],"serverless":[...]}              (null: no sample)
  //    "totals":{"requests":N,"errors_5xx":N,"errors_4xx":N,"success_rate":P|null,
  //              "duration_ms":{"min","avg","p99","max"},
  //              "cost_usd":{"self_hosted":X,"serverless":Y}},
  //    "pricing":{...the pricing file format...}}
  // Windows over 300 s are downsampled to at most 300 points (step = window / 300, rounded
  // up to a divisor of the window). INVALID_ARGUMENT for a window outside 1..3600.
  absl::StatusOr<std::string> DashboardJson(int64_t window_seconds);

  // What has been used since start, and its cost now.
  Usage CurrentUsage();
  Costs CurrentCosts();

  const Pricing& pricing() const { return options_.pricing; }
  const TimeSeries& time_series() const { return series_; }

 private:
  struct Shard;
  struct RouteEntry;

  Shard& ThisThreadShard();
  void FlushAll();
  ProcessStats ReadProcess();
  double MeasureStoredBytes();
  Usage UsageLocked(double cpu_seconds, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(usage_mu_);
  void SamplerLoop();

  MetricsOptions options_;
  const common::Clock& clock_;
  std::shared_ptr<prometheus::Registry> registry_;

  prometheus::Family<prometheus::Counter>* http_requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* http_duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* http_bytes_in_ = nullptr;
  prometheus::Family<prometheus::Counter>* http_bytes_out_ = nullptr;
  prometheus::Counter* ingest_[5] = {};
  prometheus::Counter* workflow_executions_[4] = {};
  prometheus::Histogram* workflow_duration_[4] = {};
  prometheus::Counter* workflow_transitions_ = nullptr;
  prometheus::Histogram* commit_batch_ = nullptr;
  prometheus::Histogram* commit_duration_ = nullptr;
  prometheus::Counter* commits_ok_ = nullptr;
  prometheus::Counter* commits_failed_ = nullptr;
  prometheus::Gauge* items_stored_ = nullptr;
  prometheus::Counter* list_pages_ = nullptr;

  std::unique_ptr<Shard[]> shards_;
  TimeSeries series_;

  std::atomic<uint64_t> state_transitions_{0};
  std::atomic<uint64_t> write_units_{0};
  std::atomic<uint64_t> read_half_units_{0};
  std::atomic<uint64_t> stored_bytes_set_{0};

  absl::Mutex usage_mu_;
  uint64_t traffic_requests_ ABSL_GUARDED_BY(usage_mu_) = 0;
  uint64_t lambda_billed_ms_ ABSL_GUARDED_BY(usage_mu_) = 0;
  double cpu_seconds_ ABSL_GUARDED_BY(usage_mu_) = 0;
  double stored_bytes_ ABSL_GUARDED_BY(usage_mu_) = 0;
  double stored_byte_seconds_ ABSL_GUARDED_BY(usage_mu_) = 0;
  absl::Time last_sample_ ABSL_GUARDED_BY(usage_mu_);

  absl::Mutex stop_mu_;
  bool stopping_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread sampler_;
};

}  // namespace ingestd::metrics

#endif  // INGESTD_METRICS_METRICS_H_
