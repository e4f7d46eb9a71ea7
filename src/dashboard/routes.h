// Registers the monitor's routes on the public router: GET /metrics (Prometheus text format
// 0.0.4), GET /dashboard (the page), GET /dashboard/data?window=W (its JSON), GET
// /dashboard/assets/* (Chart.js and the page's own files, embedded in the binary), and GET
// /favicon.ico. HEAD is served wherever GET is (by the router).
//
//   metrics::Metrics metrics(options);
//   http::Router router;
//   dashboard::RegisterRoutes(router, metrics);
//
// Thread-safety: call before serving. The handlers are safe on any io thread; `metrics` must
// outlive the router.
#ifndef INGESTD_DASHBOARD_ROUTES_H_
#define INGESTD_DASHBOARD_ROUTES_H_

#include "http/router.h"
#include "metrics/metrics.h"

namespace ingestd::dashboard {

void RegisterRoutes(http::Router& router, metrics::Metrics& metrics);

}  // namespace ingestd::dashboard

#endif  // INGESTD_DASHBOARD_ROUTES_H_
