#include "dashboard/pages.h"

#include <cstdint>
#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "dashboard/internal/assets.h"
#include "metrics/metrics.h"
#include "testing/status_matchers.h"

namespace ingestd::dashboard {
namespace {

namespace json = boost::json;
using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kT0 = 1'700'000'000;

metrics::MetricsOptions TestOptions(const common::Clock* clock) {
  metrics::MetricsOptions o;
  o.clock = clock;
  o.sample_interval = absl::ZeroDuration();
  o.process_stats = [] { return absl::StatusOr<metrics::ProcessStats>(metrics::ProcessStats{}); };
  return o;
}

TEST(ParseWindow, AcceptsSecondsAndDurationsWithinAnHour) {
  struct Case {
    const char* target;
    int64_t seconds;
  };
  for (const Case& c :
       {Case{"/dashboard/data", 300}, Case{"/dashboard/data?window=900", 900},
        Case{"/dashboard/data?window=5m", 300}, Case{"/dashboard/data?window=1h", 3600},
        Case{"/dashboard/data?x=1&window=1", 1},
        Case{"/dashboard/data?window=3600&other=2", 3600}}) {
    const absl::StatusOr<int64_t> window = ParseWindow(c.target);
    ASSERT_TRUE(window.ok()) << c.target << ": " << window.status();
    EXPECT_EQ(*window, c.seconds) << c.target;
  }
}

TEST(ParseWindow, RejectsBadWindows) {
  for (const char* target :
       {"/dashboard/data?window=0", "/dashboard/data?window=3601", "/dashboard/data?window=2h",
        "/dashboard/data?window=", "/dashboard/data?window=abc", "/dashboard/data?window=1.5s",
        "/dashboard/data?window=-5", "/dashboard/data?window=300&window=900",
        "/dashboard/data?window=99999999999999999999999"}) {
    EXPECT_THAT(ParseWindow(target), StatusIs(absl::StatusCode::kInvalidArgument)) << target;
  }
}

TEST(DataReply, ServesTheTimeSeriesAsJson) {
  common::ManualClock clock(absl::FromUnixSeconds(kT0));
  metrics::Metrics m(TestOptions(&clock));
  m.RecordRequest("/", "POST", 201, absl::Milliseconds(3), 10, 10);
  m.RecordRequest("/", "POST", 503, absl::Milliseconds(5), 10, 10);
  clock.Advance(absl::Seconds(1));

  ASSERT_OK_AND_ASSIGN(Reply r, DataReply("/dashboard/data?window=60", m));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.cache_control, "no-store");
  const json::value d = json::parse(r.body);
  EXPECT_EQ(d.at("window").to_number<int64_t>(), 60);
  const json::array& requests = d.at("requests").as_array();
  ASSERT_EQ(requests.size(), 60u);
  EXPECT_EQ(requests.back().to_number<int64_t>(), 2);
  EXPECT_DOUBLE_EQ(d.at("success_rate").as_array().back().to_number<double>(), 50.0);
  EXPECT_EQ(d.at("errors_5xx").as_array().back().to_number<int64_t>(), 1);

  EXPECT_THAT(DataReply("/dashboard/data?window=nope", m),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("window")));
}

TEST(MetricsReply, IsPrometheusTextFormat) {
  common::ManualClock clock(absl::FromUnixSeconds(kT0));
  metrics::Metrics m(TestOptions(&clock));
  m.RecordIngest(metrics::IngestOutcome::kCreated);
  const Reply r = MetricsReply(m);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("ingestd_ingest_outcomes_total{outcome=\"created\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE process_cpu_seconds_total counter"));
}

TEST(DashboardReply, IsThePageWithFourWidgetsAndItsScripts) {
  const Reply r = DashboardReply();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, StartsWith("<!doctype html>"));
  for (const char* id : {"chart-invocations", "chart-durations", "chart-errors", "chart-cost"}) {
    EXPECT_THAT(r.body, HasSubstr(std::string("id=\"") + id + "\"")) << id;
  }
  EXPECT_THAT(r.body, HasSubstr("src=\"/dashboard/assets/chart.min.js\""));
  EXPECT_THAT(r.body, HasSubstr("src=\"/dashboard/assets/dashboard.js\""));
  EXPECT_THAT(r.body, HasSubstr("name=\"viewport\""));
}

TEST(AssetReply, ServesEmbeddedFilesByName) {
  const std::optional<Reply> chart = AssetReply("/dashboard/assets/chart.min.js");
  ASSERT_TRUE(chart.has_value());
  EXPECT_EQ(chart->content_type, "text/javascript; charset=utf-8");
  EXPECT_THAT(chart->body, HasSubstr("Chart.js v3.9.1"));
  EXPECT_THAT(chart->body, HasSubstr("window.Chart="));
  EXPECT_EQ(chart->cache_control, "public, max-age=3600");

  const std::optional<Reply> js = AssetReply("/dashboard/assets/dashboard.js?v=1");
  ASSERT_TRUE(js.has_value());
  EXPECT_THAT(js->body, HasSubstr("window.chartReady"));
  EXPECT_THAT(js->body, HasSubstr("animation: false"));
  ASSERT_TRUE(AssetReply("/dashboard/assets/dashboard.css").has_value());
  EXPECT_EQ(AssetReply("/dashboard/assets/dashboard.css")->content_type, "text/css; charset=utf-8");

  EXPECT_FALSE(AssetReply("/dashboard/assets/missing.js").has_value());
  EXPECT_FALSE(AssetReply("/dashboard/assets/../../etc/passwd").has_value());
  EXPECT_FALSE(AssetReply("/dashboard/assets/").has_value());
  EXPECT_FALSE(AssetReply("/elsewhere/chart.min.js").has_value());
}

TEST(EmbeddedAssets, AreByteExactCopiesOfTheSourceFiles) {
  const internal::EmbeddedAsset* css = internal::FindAsset("dashboard.css");
  ASSERT_NE(css, nullptr);
  EXPECT_GT(css->size, 100u);
  EXPECT_EQ(css->data[css->size], '\0');  // terminated, but the size excludes it
  EXPECT_NE(std::string(css->data, css->size).find(".grid"), std::string::npos);
}

TEST(FaviconReply, IsAnSvgIcon) {
  const Reply r = FaviconReply();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/svg+xml");
  EXPECT_THAT(r.body, StartsWith("<svg"));
}

}  // namespace
}  // namespace ingestd::dashboard
