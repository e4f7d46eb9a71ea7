#include "dashboard/routes.h"

#include <optional>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "http/handler.h"
#include "http/router.h"
#include "metrics/metrics.h"

namespace ingestd::dashboard {
namespace {

using ::testing::HasSubstr;

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() : metrics_(Options()) { RegisterRoutes(router_, metrics_); }

  metrics::MetricsOptions Options() {
    metrics::MetricsOptions o;
    o.clock = &clock_;
    o.sample_interval = absl::ZeroDuration();
    return o;
  }

  // Dispatches a request and returns the response the handler sent (synchronously).
  http::Response Call(http::Verb method, const std::string& target) {
    http::Request request(method, target, 11);
    std::optional<http::Response> sent;
    router_.Dispatch(std::move(request),
                     http::Responder([&sent](http::Response r) { sent = std::move(r); }));
    EXPECT_TRUE(sent.has_value()) << target;
    return sent ? *std::move(sent) : http::Response{};
  }

  common::ManualClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  metrics::Metrics metrics_;
  http::Router router_;
};

TEST_F(RoutesTest, MetricsIsPrometheusText) {
  metrics_.RecordIngest(metrics::IngestOutcome::kRejected);
  const http::Response r = Call(http::Verb::get, "/metrics");
  EXPECT_EQ(r.result(), http::Status::ok);
  EXPECT_EQ(r[http::bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body(), HasSubstr("ingestd_ingest_outcomes_total{outcome=\"rejected\"} 1"));
  EXPECT_EQ(router_.RouteLabel("/metrics"), "/metrics");
}

TEST_F(RoutesTest, DashboardPageDataAssetsAndFavicon) {
  const http::Response page = Call(http::Verb::get, "/dashboard");
  EXPECT_EQ(page.result(), http::Status::ok);
  EXPECT_EQ(page[http::bhttp::field::content_type], "text/html; charset=utf-8");
  EXPECT_THAT(page.body(), HasSubstr("chart-cost"));

  metrics_.RecordRequest("/", "GET", 200, absl::Milliseconds(1), 0, 0);
  clock_.Advance(absl::Seconds(1));
  const http::Response data = Call(http::Verb::get, "/dashboard/data?window=15m");
  EXPECT_EQ(data.result(), http::Status::ok);
  EXPECT_EQ(data[http::bhttp::field::content_type], "application/json");
  EXPECT_EQ(data[http::bhttp::field::cache_control], "no-store");
  const boost::json::value d = boost::json::parse(data.body());
  EXPECT_EQ(d.at("window").to_number<int>(), 900);
  EXPECT_EQ(d.at("totals").at("requests").to_number<int>(), 1);

  const http::Response chart = Call(http::Verb::get, "/dashboard/assets/chart.min.js");
  EXPECT_EQ(chart.result(), http::Status::ok);
  EXPECT_THAT(chart.body(), HasSubstr("Chart.js v3.9.1"));
  EXPECT_EQ(router_.RouteLabel("/dashboard/assets/chart.min.js"), "/dashboard/assets/*");

  const http::Response icon = Call(http::Verb::get, "/favicon.ico");
  EXPECT_EQ(icon.result(), http::Status::ok);
  EXPECT_EQ(icon[http::bhttp::field::content_type], "image/svg+xml");
}

TEST_F(RoutesTest, ErrorsAreErrorJson) {
  const http::Response bad = Call(http::Verb::get, "/dashboard/data?window=2h");
  EXPECT_EQ(bad.result(), http::Status::bad_request);
  EXPECT_THAT(bad.body(), HasSubstr("\"error\""));
  EXPECT_THAT(bad.body(), HasSubstr("window"));

  const http::Response missing = Call(http::Verb::get, "/dashboard/assets/nope.js");
  EXPECT_EQ(missing.result(), http::Status::not_found);
  EXPECT_THAT(missing.body(), HasSubstr("\"error\""));

  const http::Response post = Call(http::Verb::post, "/metrics");
  EXPECT_EQ(post.result(), http::Status::method_not_allowed);
}

}  // namespace
}  // namespace ingestd::dashboard
