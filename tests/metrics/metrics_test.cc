#include "metrics/metrics.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace ingestd::metrics {
namespace {

namespace json = boost::json;
using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1'700'000'000;

// The value of the sample line `series` (name and labels exactly as exposed), if present.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsOptions Options() {
    MetricsOptions o;
    o.clock = &clock_;
    o.sample_interval = absl::ZeroDuration();
    o.process_stats = [this]() -> absl::StatusOr<ProcessStats> { return process_; };
    return o;
  }
  common::ManualClock clock_{absl::FromUnixSeconds(kT0)};
  ProcessStats process_{.cpu_seconds = 0,
                        .resident_bytes = 50e6,
                        .virtual_bytes = 200e6,
                        .start_time_seconds = kT0 - 10,
                        .open_fds = 12,
                        .max_fds = 1024};
};

TEST_F(MetricsTest, CountsRequestsByRouteMethodAndCode) {
  Metrics m(Options());
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(2), 100, 200);
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(3), 100, 200);
  m.RecordRequest("/", "GET", 400, absl::Microseconds(300), 50, 80);
  m.RecordRequest("other", "BREW", 404, absl::Microseconds(10), 10, 20);
  const std::string text = m.RenderPrometheus();
  EXPECT_EQ(Sample(text, R"(ingestd_http_requests_total{code="201",method="POST",route="/"})"), 2);
  EXPECT_EQ(Sample(text, R"(ingestd_http_requests_total{code="400",method="GET",route="/"})"), 1);
  // An unknown method does not become its own label value.
  EXPECT_EQ(Sample(text, R"(ingestd_http_requests_total{code="404",method="other",route="other"})"),
            1);
  EXPECT_EQ(Sample(text, R"(ingestd_http_request_bytes_total{route="/"})"), 250);
  EXPECT_EQ(Sample(text, R"(ingestd_http_response_bytes_total{route="/"})"), 480);
}

TEST_F(MetricsTest, DurationHistogramIsCumulativeAndEndsWithInf) {
  Metrics m(Options());
  m.RecordRequest("/", "GET", 200, absl::Microseconds(400), 0, 0);  // <= 0.5 ms
  m.RecordRequest("/", "GET", 200, absl::Microseconds(500), 0, 0);  // exactly 0.5 ms
  m.RecordRequest("/", "GET", 200, absl::Milliseconds(20), 0, 0);   // <= 25 ms
  m.RecordRequest("/", "GET", 200, absl::Seconds(30), 0, 0);        // beyond 10 s
  const std::string text = m.RenderPrometheus();
  const std::string h = "ingestd_http_request_duration_seconds";
  EXPECT_EQ(Sample(text, h + R"(_bucket{route="/",le="0.0005"})"), 2);
  EXPECT_EQ(Sample(text, h + R"(_bucket{route="/",le="0.01"})"), 2);
  EXPECT_EQ(Sample(text, h + R"(_bucket{route="/",le="0.025"})"), 3);
  EXPECT_EQ(Sample(text, h + R"(_bucket{route="/",le="10"})"), 3);
  EXPECT_EQ(Sample(text, h + R"(_bucket{route="/",le="+Inf"})"), 4);
  EXPECT_EQ(Sample(text, h + R"(_count{route="/"})"), 4);
  EXPECT_NEAR(*Sample(text, h + R"(_sum{route="/"})"), 30.0209, 1e-9);
}

TEST_F(MetricsTest, RecordsIngestWorkflowCommitsAndProcess) {
  Metrics m(Options());
  m.SetItemsStored(10);
  m.RecordIngest(IngestOutcome::kCreated);
  m.RecordIngest(IngestOutcome::kCreated);
  m.RecordIngest(IngestOutcome::kReplaced);
  m.RecordIngest(IngestOutcome::kRejected);
  m.RecordIngest(IngestOutcome::kPendingApproval);
  m.RecordIngest(IngestOutcome::kFailed);
  m.RecordWorkflow(WorkflowStatus::kSucceeded, absl::Milliseconds(1), 5);
  m.RecordWorkflow(WorkflowStatus::kFailed, absl::Milliseconds(2), 3);
  m.RecordStateTransitions(2);
  m.CommitCallback()(16, absl::Milliseconds(3), true);
  m.RecordCommit(1, absl::Milliseconds(1), false);
  const std::string text = m.RenderPrometheus();
  EXPECT_EQ(Sample(text, R"(ingestd_ingest_outcomes_total{outcome="created"})"), 2);
  EXPECT_EQ(Sample(text, R"(ingestd_ingest_outcomes_total{outcome="replaced"})"), 1);
  EXPECT_EQ(Sample(text, R"(ingestd_ingest_outcomes_total{outcome="rejected"})"), 1);
  EXPECT_EQ(Sample(text, R"(ingestd_ingest_outcomes_total{outcome="pending_approval"})"), 1);
  EXPECT_EQ(Sample(text, R"(ingestd_ingest_outcomes_total{outcome="failed"})"), 1);
  EXPECT_EQ(Sample(text, "ingestd_store_items"), 12);
  EXPECT_EQ(Sample(text, R"(ingestd_workflow_executions_total{status="succeeded"})"), 1);
  EXPECT_EQ(Sample(text, R"(ingestd_workflow_executions_total{status="failed"})"), 1);
  EXPECT_EQ(Sample(text, "ingestd_workflow_state_transitions_total"), 10);
  EXPECT_EQ(m.CurrentUsage().state_transitions, 10u);
  EXPECT_EQ(Sample(text, R"(ingestd_store_commit_batch_size_bucket{le="16"})"), 2);
  EXPECT_EQ(Sample(text, R"(ingestd_store_commit_batch_size_bucket{le="8"})"), 1);
  EXPECT_EQ(Sample(text, "ingestd_store_commit_batch_size_sum"), 17);
  EXPECT_EQ(Sample(text, "ingestd_store_commit_duration_seconds_count"), 2);
  EXPECT_EQ(Sample(text, R"(ingestd_store_commits_total{result="error"})"), 1);
  EXPECT_EQ(Sample(text, "ingestd_serverless_dynamodb_write_units_total"), 3);
  EXPECT_EQ(Sample(text, "process_resident_memory_bytes"), 50e6);
  EXPECT_EQ(Sample(text, "process_open_fds"), 12);
  EXPECT_EQ(Sample(text, "process_max_fds"), 1024);
  EXPECT_EQ(Sample(text, "process_start_time_seconds"), kT0 - 10);
  EXPECT_EQ(Sample(text, "process_cpu_seconds_total"), 0);
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE ingestd_store_commit_duration_seconds histogram"));
}

TEST_F(MetricsTest, ManyThreadsRecordingLoseNothing) {
  Metrics m(Options());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordRequest("/", t % 2 == 0 ? "GET" : "POST", i % 10 == 0 ? 500 : 201,
                        absl::Microseconds(100 + i % 50), 10, 20);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = m.RenderPrometheus();
  const double total =
      Sample(text, R"(ingestd_http_requests_total{code="201",method="GET",route="/"})").value() +
      Sample(text, R"(ingestd_http_requests_total{code="201",method="POST",route="/"})").value() +
      Sample(text, R"(ingestd_http_requests_total{code="500",method="GET",route="/"})").value() +
      Sample(text, R"(ingestd_http_requests_total{code="500",method="POST",route="/"})").value();
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_EQ(Sample(text, R"(ingestd_http_request_duration_seconds_count{route="/"})"),
            kThreads * kPerThread);
  EXPECT_EQ(Sample(text, "ingestd_serverless_lambda_invocations_total"), kThreads * kPerThread);
  EXPECT_EQ(m.CurrentUsage().requests, static_cast<uint64_t>(kThreads * kPerThread));
}

json::value Data(Metrics& m, int64_t window) {
  absl::StatusOr<std::string> text = m.DashboardJson(window);
  EXPECT_TRUE(text.ok()) << text.status();
  return json::parse(text.ok() ? *text : "{}");
}

TEST_F(MetricsTest, DashboardJsonHasOnePointPerCompleteSecond) {
  Metrics m(Options());
  clock_.Set(absl::FromUnixSeconds(kT0) + absl::Milliseconds(100));
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(2), 0, 0);
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(4), 0, 0);
  m.RecordRequest("/", "POST", 500, absl::Milliseconds(6), 0, 0);
  m.RecordRequest("/", "GET", 400, absl::Milliseconds(8), 0, 0);
  // The monitor's own requests are not traffic.
  m.RecordRequest("/dashboard/data", "GET", 200, absl::Milliseconds(1), 0, 0);
  m.RecordRequest("/metrics", "GET", 200, absl::Milliseconds(1), 0, 0);
  clock_.Advance(absl::Seconds(1));
  m.RecordRequest("/", "GET", 200, absl::Milliseconds(1), 0, 0);  // current second: not shown

  const json::value d = Data(m, 5);
  EXPECT_EQ(d.at("window").to_number<int64_t>(), 5);
  EXPECT_EQ(d.at("step").to_number<int64_t>(), 1);
  const json::array& t = d.at("t").as_array();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.back().to_number<int64_t>(), kT0);
  EXPECT_EQ(t.front().to_number<int64_t>(), kT0 - 4);
  EXPECT_EQ(d.at("requests").as_array().back().to_number<uint64_t>(), 4u);
  EXPECT_EQ(d.at("requests").as_array().front().to_number<uint64_t>(), 0u);
  EXPECT_DOUBLE_EQ(d.at("invocations_per_second").as_array().back().to_number<double>(), 4.0);
  EXPECT_EQ(d.at("errors_5xx").as_array().back().to_number<uint64_t>(), 1u);
  EXPECT_EQ(d.at("errors_4xx").as_array().back().to_number<uint64_t>(), 1u);
  EXPECT_DOUBLE_EQ(d.at("success_rate").as_array().back().to_number<double>(), 75.0);
  EXPECT_TRUE(d.at("success_rate").as_array().front().is_null());
  const json::value& ms = d.at("duration_ms");
  EXPECT_DOUBLE_EQ(ms.at("min").as_array().back().to_number<double>(), 2.0);
  EXPECT_DOUBLE_EQ(ms.at("avg").as_array().back().to_number<double>(), 5.0);
  EXPECT_DOUBLE_EQ(ms.at("max").as_array().back().to_number<double>(), 8.0);
  EXPECT_DOUBLE_EQ(ms.at("p99").as_array().back().to_number<double>(), 8.0);
  EXPECT_TRUE(ms.at("max").as_array().front().is_null());
  EXPECT_EQ(d.at("totals").at("requests").to_number<uint64_t>(), 4u);
  EXPECT_TRUE(d.at("pricing").at("serverless").at("lambda_gb_second").is_number());
}

TEST_F(MetricsTest, DashboardJsonDownsamplesLongWindowsAndRejectsBadOnes) {
  Metrics m(Options());
  for (int s = 0; s < 24; ++s) {
    for (int i = 0; i <= s; ++i) m.RecordRequest("/", "GET", 200, absl::Milliseconds(1), 0, 0);
    clock_.Advance(absl::Seconds(1));
  }
  const json::value hour = Data(m, 3600);
  EXPECT_EQ(hour.at("step").to_number<int64_t>(), 12);
  ASSERT_EQ(hour.at("t").as_array().size(), 300u);
  const json::array& req = hour.at("requests").as_array();
  // The last two 12-second points hold seconds 0..11 and 12..23 (1..12 and 13..24 requests).
  EXPECT_EQ(req[298].to_number<uint64_t>(), 78u);
  EXPECT_EQ(req[299].to_number<uint64_t>(), 222u);
  EXPECT_DOUBLE_EQ(hour.at("invocations_per_second").as_array()[299].to_number<double>(),
                   222.0 / 12);
  EXPECT_EQ(Data(m, 900).at("step").to_number<int64_t>(), 3);
  EXPECT_EQ(Data(m, 900).at("t").as_array().size(), 300u);
  EXPECT_EQ(Data(m, 301).at("step").to_number<int64_t>(), 7);  // 301 = 7 * 43

  EXPECT_THAT(m.DashboardJson(0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(m.DashboardJson(3601), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MetricsTest, TwoHoursOfTrafficKeepTheLastHourInFixedMemory) {
  Metrics m(Options());
  for (int s = 0; s < 7200; ++s) {
    m.RecordRequest("/", "GET", 200, absl::Milliseconds(1 + s % 7), 0, 0);
    if (s % 600 == 0) m.SampleNow();
    clock_.Advance(absl::Seconds(1));
  }
  const json::value hour = Data(m, 3600);
  const json::array& requests = hour.at("requests").as_array();
  ASSERT_EQ(requests.size(), 300u);
  for (const json::value& r : requests) ASSERT_EQ(r.to_number<uint64_t>(), 12u);  // 12 s a point
  EXPECT_EQ(hour.at("totals").at("requests").to_number<uint64_t>(), 3600u);
  EXPECT_EQ(hour.at("t").as_array().front().to_number<int64_t>(), kT0 + 3600);
  EXPECT_EQ(TimeSeries::SlotCountForTest(), static_cast<std::size_t>(TimeSeries::kCapacitySeconds));
  // The counters, unlike the window, keep everything.
  EXPECT_EQ(m.CurrentUsage().requests, 7200u);
}

TEST_F(MetricsTest, SamplingAccruesCostsIntoTheSeries) {
  ingestd::testing::TempDir dir;
  std::ofstream(dir.path() + "/ingestd.db") << std::string(4096, 'x');
  MetricsOptions o = Options();
  o.storage_dir = dir.path();
  o.pricing.self_hosted.storage_gb_month = 1e6;  // make storage visible at this scale
  Metrics m(o);

  m.SampleNow();  // kT0: measures 4096 bytes stored
  for (int i = 0; i < 1000; ++i) m.RecordRequest("/", "POST", 201, absl::Microseconds(1500), 0, 0);
  for (int i = 0; i < 1000; ++i) m.RecordIngest(IngestOutcome::kCreated);
  m.RecordWorkflow(WorkflowStatus::kSucceeded, absl::Milliseconds(1), 4000);
  m.RecordList(10, 10'000);  // 3 units of 4 KB, eventually consistent: 1.5 RRU
  process_.cpu_seconds = 36;
  clock_.Advance(absl::Seconds(10));
  m.SampleNow();  // kT0 + 10

  const Usage u = m.CurrentUsage();
  EXPECT_EQ(u.requests, 1000u);
  EXPECT_EQ(u.lambda_billed_ms, 2000u);  // 1.5 ms rounds up to 2 ms
  EXPECT_EQ(u.state_transitions, 4000u);
  EXPECT_EQ(u.write_units, 1000u);
  EXPECT_EQ(u.read_half_units, 3u);
  EXPECT_DOUBLE_EQ(u.stored_byte_seconds, 4096.0 * 10);
  const Costs c = m.CurrentCosts();
  EXPECT_DOUBLE_EQ(c.self_hosted_cpu, 36.0 / 3600 * 0.04);
  EXPECT_DOUBLE_EQ(c.step_functions, 0.1);

  clock_.Advance(absl::Seconds(1));  // kT0 + 10 is complete now
  const json::value d = Data(m, 30);
  const json::array& self = d.at("cost_usd").at("self_hosted").as_array();
  const json::array& serverless = d.at("cost_usd").at("serverless").as_array();
  ASSERT_EQ(self.size(), 30u);
  // Samples at kT0 (index 19) and kT0+10 (index 29) only; the later one has the costs.
  EXPECT_TRUE(self[18].is_null());
  EXPECT_DOUBLE_EQ(self[19].to_number<double>(), 0.0);
  EXPECT_TRUE(self[28].is_null());
  EXPECT_NEAR(self[29].to_number<double>(), c.self_hosted_usd, 1e-12);
  EXPECT_NEAR(serverless[29].to_number<double>(), c.serverless_usd, 1e-12);
  EXPECT_GT(c.serverless_usd, c.self_hosted_cpu);
  // Totals are as of now: one more second of storage accrued.
  EXPECT_GT(d.at("totals").at("cost_usd").at("serverless").to_number<double>(), c.serverless_usd);

  const std::string text = m.RenderPrometheus();
  EXPECT_EQ(Sample(text, "ingestd_store_size_bytes"), 4096);
  EXPECT_NEAR(
      *Sample(text,
              R"(ingestd_estimated_cost_usd_total{stack="serverless",component="step_functions"})"),
      0.1, 1e-12);
  EXPECT_NEAR(*Sample(text, R"(ingestd_estimated_cost_usd{stack="serverless"})"), c.serverless_usd,
              1e-9);
  EXPECT_EQ(Sample(text, "ingestd_serverless_dynamodb_read_units_total"), 1.5);
}

TEST_F(MetricsTest, SamplerThreadSamplesAndStopsOnDestruction) {
  MetricsOptions o;
  o.sample_interval = absl::Milliseconds(1);
  auto m = std::make_unique<Metrics>(o);
  // The sampler runs on real time: poll, bounded, for it to record a recent cost sample.
  bool sampled = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!sampled && absl::Now() < deadline) {
    const absl::Time now = absl::Now();
    for (const Point& p : m->time_series().Window(absl::ToUnixSeconds(now) + 1, 3, 1)) {
      sampled = sampled || p.cost.has_value();
    }
    if (!sampled) std::this_thread::yield();
  }
  EXPECT_TRUE(sampled);
  m.reset();  // joins the sampler
}

// promtool is the referee of the exposition format: check the real output with it.
TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) GTEST_SKIP() << "promtool not installed";
  MetricsOptions o;
  o.sample_interval = absl::ZeroDuration();
  Metrics m(o);  // real process figures
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(2), 100, 200);
  m.RecordRequest("/approvals/*", "POST", 409, absl::Milliseconds(2), 100, 200);
  m.RecordIngest(IngestOutcome::kCreated);
  m.RecordWorkflow(WorkflowStatus::kTimedOut, absl::Hours(24 * 365), 2);
  m.RecordCommit(3, absl::Milliseconds(4), true);
  m.SampleNow();
  ingestd::testing::TempDir dir;
  const std::string file = dir.path() + "/metrics.txt";
  std::ofstream(file) << m.RenderPrometheus();
  const std::string command =
      std::string(promtool) + " check metrics < " + file + " > " + dir.path() + "/out.txt 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream out(dir.path() + "/out.txt");
  std::stringstream output;
  output << out.rdbuf();
  EXPECT_EQ(rc, 0) << output.str();
  EXPECT_EQ(output.str(), "");
}

}  // namespace
}  // namespace ingestd::metrics
