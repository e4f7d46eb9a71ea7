// The pending approvals as the admin listener shows them: the JSON array of GET /approvals
// and the HTML page (one card per pending task with its input, times, and Approve / Reject
// buttons that are plain HTML forms, so the page works without JavaScript). Pure functions.
//
//   std::string page = RenderApprovalsPage(tasks, {.csrf_token = auth.CsrfToken(),
//                                                   .next_url = "/approvals?format=html&..."});
//   response.set("Content-Security-Policy", ApprovalsPageCsp());
//
// Every value on the page is HTML-escaped; the page loads nothing (no scripts, no external
// assets) and ApprovalsPageCsp() allows only its own inline style (by hash) and form posts to
// its own origin.
//
// Thread-safety: every function is thread-safe.
#ifndef INGESTD_ADMIN_APPROVALS_PAGE_H_
#define INGESTD_ADMIN_APPROVALS_PAGE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "workflow/durable.h"

namespace ingestd::admin {

// {"id", "task_token", "execution", "input", "created_at", "expires_at"}: times in RFC 3339
// UTC, expires_at null when the task has no deadline; input is the task's JSON as is.
boost::json::object PendingTaskJson(const workflow::PendingTask& task);
boost::json::array PendingTasksJson(const std::vector<workflow::PendingTask>& tasks);

// Every byte of `text` outside A-Z a-z 0-9 - . _ ~ as %XX: safe in a path segment or a query.
std::string PercentEncode(std::string_view text);

// "/approvals/{id}/{action}" with `id` percent-encoded.
std::string DecisionPath(std::string_view id, std::string_view action);

struct ApprovalsPageOptions {
  std::string csrf_token;               // sent back by every form (field "csrf_token")
  std::optional<std::string> next_url;  // the next page, when there is one
  bool first_page = true;               // false: a link back to the first page is shown
};

// A complete HTML document: a card per task (its id, its input as a definition list, when it
// started waiting and when it expires) with an Approve form and a Reject form (an optional
// reason, sent as "comment") posting to DecisionPath(); an empty state when there is none.
std::string RenderApprovalsPage(const std::vector<workflow::PendingTask>& tasks,
                                const ApprovalsPageOptions& options);

// A small HTML page for a refused decision (409, 404, ...) with a link back to the list.
std::string RenderDecisionErrorPage(std::string_view title, std::string_view message);

// The Content-Security-Policy for both pages: nothing may load; only the pages' own <style>
// (allowed by its SHA-256) applies; forms post only to this origin; no framing.
const std::string& ApprovalsPageCsp();

}  // namespace ingestd::admin

#endif  // INGESTD_ADMIN_APPROVALS_PAGE_H_
