// The admin listener's routes (API.md, "The admin listener"): the pending approvals, the
// admin's decisions on them, and the AWS Step Functions JSON API subset. Authentication is not
// done here: the admin server runs admin/auth.h before it dispatches to this router.
//
//   http::Router router;
//   admin::RegisterAdminRoutes(router, {.executions = executions.get(),
//                                       .csrf_token = authenticator.CsrfToken()});
//
// Routes:
//
//   GET  /approvals                 the pending approvals, one page: a JSON array of
//                                   {"id","task_token","execution","input","created_at",
//                                   "expires_at"}. ?limit=N (1..1000, default
//                                   `AdminContext::page_size`), ?cursor=C from the Link header
//                                   (`Link: </approvals?limit=N&cursor=C>; rel="next"` while
//                                   more follow). ?format=html|json, or an Accept header that
//                                   prefers text/html: the HTML page (approvals_page.h).
//   POST /approvals/{id}/approve    DurableExecutions::Decide. Optional "comment" as a form
//   POST /approvals/{id}/reject     field or a JSON body member. JSON 200
//                                   {"id","execution","status","output"|"error","cause"};
//                                   a browser (Accept prefers text/html) or a form post gets
//                                   303 See Other to /approvals?format=html. 404 unknown id,
//                                   409 already decided or expired, 503 store unavailable
//                                   (HTML pages for a browser, error JSON otherwise).
//   POST /, /sfn, /sfn/             the Step Functions JSON API (sfn_api.h), by X-Amz-Target.
//   GET  /                          303 See Other to /approvals (?format=html for a browser).
//
// Any other path under /approvals/ is 404; a known path with another method is 405.
//
// Thread-safety: call before serving; the handlers run on any thread. `executions` must
// outlive the router.
#ifndef INGESTD_ADMIN_ROUTES_H_
#define INGESTD_ADMIN_ROUTES_H_

#include <cstddef>
#include <string>

#include "http/router.h"
#include "workflow/durable.h"

namespace ingestd::admin {

struct AdminContext {
  workflow::DurableExecutions* executions = nullptr;  // not owned; required
  // The CSRF token the approvals page puts in its forms (Authenticator::CsrfToken()).
  std::string csrf_token;
  // Pending approvals per page of GET /approvals when ?limit is not given (1..1000).
  std::size_t page_size = 100;
};

void RegisterAdminRoutes(http::Router& router, const AdminContext& ctx);

}  // namespace ingestd::admin

#endif  // INGESTD_ADMIN_ROUTES_H_
