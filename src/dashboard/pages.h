// What the monitor's routes answer, as plain values (status, Content-Type, body), so the logic
// is testable without a server: the Prometheus exposition, the dashboard page and its embedded
// assets, the JSON data endpoint, and the favicon. routes.h adapts them to http::Router.
//
//   dashboard::Reply r = dashboard::MetricsReply(metrics);  // 200, text format 0.0.4
//   absl::StatusOr<dashboard::Reply> d = dashboard::DataReply("/dashboard/data?window=5m", m);
//
// Thread-safety: free functions; safe from any thread (Metrics is thread-safe).
#ifndef INGESTD_DASHBOARD_PAGES_H_
#define INGESTD_DASHBOARD_PAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "metrics/metrics.h"

namespace ingestd::dashboard {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

struct Reply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string cache_control = "no-store";
};

// GET /metrics: the Prometheus text exposition.
Reply MetricsReply(metrics::Metrics& metrics);

// GET /dashboard: the page (embedded index.html).
Reply DashboardReply();

// GET /dashboard/data?window=W: the time series as JSON (Metrics::DashboardJson). W is whole
// seconds ("300") or a duration ("5m", "1h"), 1 s..1 h; default 300. INVALID_ARGUMENT for a
// bad, repeated or out-of-range window.
absl::StatusOr<Reply> DataReply(std::string_view target, metrics::Metrics& metrics);

// The window parameter of a /dashboard/data target, as above.
absl::StatusOr<int64_t> ParseWindow(std::string_view target);

// GET /dashboard/assets/NAME: an embedded file (chart.min.js, dashboard.js, dashboard.css,
// favicon.svg, index.html), cacheable for an hour; nullopt when there is no such asset.
std::optional<Reply> AssetReply(std::string_view target);

// GET /favicon.ico: the SVG icon (browsers accept image/svg+xml there).
Reply FaviconReply();

}  // namespace ingestd::dashboard

#endif  // INGESTD_DASHBOARD_PAGES_H_
