#include "admin/routes.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encoding_opts.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/status/statusor.h"
#include "admin/approvals_page.h"
#include "admin/sfn_api.h"
#include "http/response.h"
#include "ingest/accept.h"
#include "ingest/fields.h"

namespace ingestd::admin {
namespace {

namespace json = boost::json;
using http::Responder;
using http::Status;
using workflow::DurableExecutions;

constexpr std::size_t kMaxPageSize = 1000;
constexpr std::size_t kMaxCommentBytes = 4096;
constexpr std::string_view kHtmlListUrl = "/approvals?format=html";

std::string_view Header(const http::Request& request, http::bhttp::field field) {
  const auto value = request[field];
  return {value.data(), value.size()};
}

bool BrowserWantsHtml(const http::Request& request) {
  return ingest::PrefersHtml(Header(request, http::bhttp::field::accept));
}

// Headers every admin answer carries: nothing here may be cached or sniffed.
void SetCommonHeaders(http::Response& response) {
  response.set(http::bhttp::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
}

http::Response HtmlPage(Status status, std::string html) {
  http::Response response = http::MakeHtml(status, std::move(html));
  SetCommonHeaders(response);
  response.set("Content-Security-Policy", ApprovalsPageCsp());
  response.set("X-Frame-Options", "DENY");
  response.set("Referrer-Policy", "no-referrer");
  return response;
}

http::Response Json(Status status, const json::value& body) {
  http::Response response = http::MakeJson(status, json::serialize(body));
  SetCommonHeaders(response);
  return response;
}

http::Response SeeOther(std::string_view location) {
  http::Response response = http::MakeText(Status::see_other, "see other\n");
  response.set(http::bhttp::field::location, location);
  SetCommonHeaders(response);
  return response;
}

// An error as error JSON, or as a small HTML page for a browser.
http::Response Error(bool html, Status status, std::string_view code, std::string_view title,
                     std::string_view message, json::object extra = {}) {
  if (html) return HtmlPage(status, RenderDecisionErrorPage(title, message));
  json::object body;
  body["error"] = json::string_view(code.data(), code.size());
  body["message"] = json::string_view(message.data(), message.size());
  for (auto& member : extra) body[member.key()] = std::move(member.value());
  return Json(status, body);
}

// ---- GET /approvals ----

struct ListQuery {
  std::size_t limit = 0;
  std::string cursor;
  bool html = false;
  bool format_given = false;
};

absl::StatusOr<ListQuery> ParseListQuery(std::string_view target, std::size_t default_limit) {
  ListQuery out{.limit = default_limit};
  auto url = ingest::ParseTarget(target, "query string");
  if (!url.ok()) return url.status();
  bool seen_limit = false;
  bool seen_cursor = false;
  bool seen_format = false;
  for (const auto& param : url->encoded_params()) {
    const std::string key = param.key.decode();
    const std::string value = param.value.decode();
    bool* seen = key == "limit"    ? &seen_limit
                 : key == "cursor" ? &seen_cursor
                 : key == "format" ? &seen_format
                                   : nullptr;
    if (seen == nullptr) continue;  // other parameters are ignored, as on the public list
    if (*seen) return absl::InvalidArgumentError(fmt::format("{} given twice", key));
    *seen = true;
    if (key == "limit") {
      std::size_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit < 1 ||
          limit > kMaxPageSize) {
        return absl::InvalidArgumentError(
            fmt::format("limit must be a whole number from 1 to {}", kMaxPageSize));
      }
      out.limit = limit;
    } else if (key == "cursor") {
      if (value.empty()) return absl::InvalidArgumentError("cursor is not valid");
      out.cursor = value;
    } else {
      if (value != "html" && value != "json") {
        return absl::InvalidArgumentError("format must be html or json");
      }
      out.html = value == "html";
      out.format_given = true;
    }
  }
  return out;
}

std::string PageUrl(const ListQuery& q, std::string_view cursor) {
  std::string url = fmt::format("/approvals?limit={}&cursor={}", q.limit, PercentEncode(cursor));
  if (q.html) url += "&format=html";
  return url;
}

void ListApprovals(const AdminContext& ctx, const http::Request& request, Responder respond) {
  absl::StatusOr<ListQuery> parsed = ParseListQuery(request.target(), ctx.page_size);
  if (!parsed.ok()) {
    std::move(respond).Send(http::MakeErrorFromStatus(parsed.status()));
    return;
  }
  ListQuery query = *std::move(parsed);
  if (!query.format_given) query.html = BrowserWantsHtml(request);
  ctx.executions->ListPending(
      query.limit, query.cursor,
      [query, csrf = ctx.csrf_token,
       respond = std::move(respond)](absl::StatusOr<workflow::PendingPage> page) mutable {
        if (!page.ok()) {
          if (page.status().code() != absl::StatusCode::kInvalidArgument) {
            spdlog::error("admin: listing pending approvals failed: {}",
                          std::string(page.status().message()));
          }
          std::move(respond).Send(http::MakeErrorFromStatus(page.status()));
          return;
        }
        std::optional<std::string> next_url;
        if (page->next_token) next_url = PageUrl(query, *page->next_token);
        http::Response response;
        if (query.html) {
          response = HtmlPage(
              Status::ok, RenderApprovalsPage(page->tasks, {.csrf_token = csrf,
                                                            .next_url = next_url,
                                                            .first_page = query.cursor.empty()}));
        } else {
          response = Json(Status::ok, PendingTasksJson(page->tasks));
        }
        if (next_url) {
          response.set(http::bhttp::field::link, fmt::format("<{}>; rel=\"next\"", *next_url));
        }
        response.set(http::bhttp::field::vary, "Accept");
        std::move(respond).Send(std::move(response));
      });
}

// ---- POST /approvals/{id}/approve|reject ----

struct DecisionTarget {
  std::string id;
  bool approve = false;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/approvals/{id}/approve" -> {id, true}; nullopt for any other shape (a 404).
std::optional<DecisionTarget> ParseDecisionPath(std::string_view path) {
  static constexpr std::string_view kPrefix = "/approvals/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const std::size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view encoded = path.substr(0, slash);
  const std::string_view action = path.substr(slash + 1);
  if (action != "approve" && action != "reject") return std::nullopt;
  DecisionTarget out{.approve = action == "approve"};
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out.id += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    const int hi = HexValue(encoded[i + 1]);
    const int lo = HexValue(encoded[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.id += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  if (out.id.empty()) return std::nullopt;
  return out;
}

struct DecisionBody {
  std::string comment;
  bool form = false;  // the body was an HTML form
};

std::string_view MediaType(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) {
    media.remove_prefix(1);
  }
  return media;
}

bool MediaIs(std::string_view media, std::string_view expected) {
  return media.size() == expected.size() &&
         std::equal(media.begin(), media.end(), expected.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

// The optional comment from a form or JSON body. INVALID_ARGUMENT for a malformed body, a
// comment that is not a string, given twice, or too long; UNIMPLEMENTED (415) for a body of
// another media type.
absl::StatusOr<DecisionBody> ParseDecisionBody(std::string_view content_type,
                                               std::string_view body) {
  DecisionBody out;
  const std::string_view media = MediaType(content_type);
  std::optional<std::string> comment;
  if (MediaIs(media, "application/x-www-form-urlencoded")) {
    out.form = true;
    const std::string target = "/?" + std::string(body);
    auto url = ingest::ParseTarget(target, "form body");
    if (!url.ok()) return url.status();
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    for (const auto& param : url->encoded_params()) {
      if (param.key.decode(opts) != "comment") continue;
      if (comment) return absl::InvalidArgumentError("comment given twice");
      comment = param.value.decode(opts);
    }
  } else if (MediaIs(media, "application/json")) {
    boost::system::error_code ec;
    json::value parsed = json::parse(json::string_view(body.data(), body.size()), ec);
    if (ec || !parsed.is_object()) {
      return absl::InvalidArgumentError("the body must be a JSON object");
    }
    if (const json::value* c = parsed.get_object().if_contains("comment");
        c != nullptr && !c->is_null()) {
      if (!c->is_string()) return absl::InvalidArgumentError("comment must be a string");
      comment = std::string(c->get_string().data(), c->get_string().size());
    }
  } else if (!body.empty()) {
    return absl::UnimplementedError(
        "the body must be application/x-www-form-urlencoded or application/json");
  }
  if (comment && comment->size() > kMaxCommentBytes) {
    return absl::InvalidArgumentError(
        fmt::format("comment must be at most {} bytes", kMaxCommentBytes));
  }
  out.comment = comment.value_or("");
  return out;
}

json::object DecisionJson(const std::string& id, const workflow::ExecutionDescription& d) {
  json::object out;
  out["id"] = id;
  out["execution"] = d.arn;
  out["status"] = d.status;
  if (d.output) {
    boost::system::error_code ec;
    json::value output = json::parse(*d.output, ec);
    out["output"] = ec ? json::value(*d.output) : std::move(output);
  }
  if (d.error) out["error"] = *d.error;
  if (d.cause) out["cause"] = *d.cause;
  return out;
}

http::Response DecisionError(bool html, const std::string& id, const absl::Status& status) {
  json::object extra;
  extra["id"] = id;
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return Error(html, Status::not_found, "not_found", "Not found",
                   fmt::format("no approval with id {}", id), std::move(extra));
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return Error(html, Status::conflict, "conflict", "Already decided",
                   "this approval was already decided or has expired", std::move(extra));
    case absl::StatusCode::kInvalidArgument:
      return Error(html, Status::bad_request, "bad_request", "Bad request",
                   std::string(status.message()), std::move(extra));
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      spdlog::warn("admin: decision on {} failed: {}", id, std::string(status.message()));
      return Error(html, Status::service_unavailable, "unavailable", "Try again",
                   "the store is unavailable; try again", std::move(extra));
    default:
      spdlog::error("admin: decision on {} failed: {}", id, status.ToString());
      return Error(html, Status::internal_server_error, "internal", "Internal error",
                   "internal error", std::move(extra));
  }
}

void Decide(const AdminContext& ctx, const http::Request& request, Responder respond) {
  const bool html = BrowserWantsHtml(request);
  std::optional<DecisionTarget> target = ParseDecisionPath(http::PathOf(request.target()));
  if (!target) {
    std::move(respond).Send(Error(html, Status::not_found, "not_found", "Not found",
                                  fmt::format("no route for {}", http::PathOf(request.target()))));
    return;
  }
  if (request.method() != http::Verb::post) {
    http::Response response = Error(html, Status::method_not_allowed, "method_not_allowed",
                                    "Method not allowed", "use POST to decide on an approval");
    response.set(http::bhttp::field::allow, "POST");
    std::move(respond).Send(std::move(response));
    return;
  }
  absl::StatusOr<DecisionBody> body =
      ParseDecisionBody(Header(request, http::bhttp::field::content_type), request.body());
  if (!body.ok()) {
    const bool unsupported = body.status().code() == absl::StatusCode::kUnimplemented;
    std::move(respond).Send(
        Error(html, unsupported ? Status::unsupported_media_type : Status::bad_request,
              unsupported ? "unsupported_media_type" : "bad_request", "Bad request",
              std::string(body.status().message())));
    return;
  }
  const bool redirect = html || body->form;
  std::string id = target->id;
  ctx.executions->Decide(
      std::move(target->id), target->approve, std::move(body->comment),
      [html, redirect, id = std::move(id), respond = std::move(respond)](
          absl::StatusOr<workflow::ExecutionDescription> description) mutable {
        if (!description.ok()) {
          std::move(respond).Send(DecisionError(html, id, description.status()));
        } else if (redirect) {
          std::move(respond).Send(SeeOther(kHtmlListUrl));
        } else {
          std::move(respond).Send(Json(Status::ok, DecisionJson(id, *description)));
        }
      });
}

// ---- the Step Functions JSON API ----

http::Response SfnReply(int status, std::string body) {
  http::Response response =
      http::MakeResponse(static_cast<Status>(status), kAmzJsonType, std::move(body));
  SetCommonHeaders(response);
  return response;
}

http::Response SfnErrorReply(const SfnError& error) {
  return SfnReply(error.http_status, SfnErrorBody(error));
}

// The reply for a failed DurableExecutions call; server faults are logged here.
http::Response SfnFailure(std::string_view operation, const absl::Status& status) {
  SfnError error = SfnErrorFromStatus(status, workflow::AwsErrorType(status));
  if (error.http_status >= 500) {
    spdlog::error("admin: {} failed: {}", operation, status.ToString());
  }
  return SfnErrorReply(error);
}

// Runs one parsed request on the executions and answers it.
class SfnCall {
 public:
  SfnCall(DurableExecutions& executions, Responder respond)
      : executions_(executions), respond_(std::move(respond)) {}

  void operator()(SendTaskSuccessRequest& r) {
    executions_.SendTaskSuccess(std::move(r.task_token), std::move(r.output),
                                Empty("SendTaskSuccess"));
  }
  void operator()(SendTaskFailureRequest& r) {
    executions_.SendTaskFailure(std::move(r.task_token), std::move(r.error), std::move(r.cause),
                                Empty("SendTaskFailure"));
  }
  void operator()(SendTaskHeartbeatRequest& r) {
    executions_.SendTaskHeartbeat(std::move(r.task_token), Empty("SendTaskHeartbeat"));
  }

  void operator()(StartExecutionRequest& r) {
    if (auto error = CheckStateMachineArn(r.state_machine_arn, executions_.StateMachineArn())) {
      std::move(respond_).Send(SfnErrorReply(*error));
      return;
    }
    const bool sync = r.sync;
    executions_.Start(
        std::move(r.input), std::move(r.name), /*record=*/true,
        [sync, executions = &executions_,
         respond = std::move(respond_)](absl::StatusOr<workflow::StartResult> started) mutable {
          const std::string_view op = sync ? "StartSyncExecution" : "StartExecution";
          if (!started.ok()) {
            std::move(respond).Send(SfnFailure(op, started.status()));
            return;
          }
          if (!sync) {
            std::move(respond).Send(
                SfnReply(200, StartExecutionBody(started->arn, started->start_date)));
            return;
          }
          // The execution has ended or waits durably, and was recorded: describe it, so the
          // reply says exactly what DescribeExecution will (RUNNING while it waits).
          executions->Describe(
              started->arn, [op, respond = std::move(respond)](
                                absl::StatusOr<workflow::ExecutionDescription> d) mutable {
                std::move(respond).Send(d.ok() ? SfnReply(200, StartSyncExecutionBody(*d))
                                               : SfnFailure(op, d.status()));
              });
        });
  }

  void operator()(DescribeExecutionRequest& r) {
    executions_.Describe(
        std::move(r.execution_arn),
        [respond = std::move(respond_)](absl::StatusOr<workflow::ExecutionDescription> d) mutable {
          std::move(respond).Send(d.ok() ? SfnReply(200, DescribeExecutionBody(*d))
                                         : SfnFailure("DescribeExecution", d.status()));
        });
  }

  void operator()(ListExecutionsRequest& r) {
    if (auto error = CheckStateMachineArn(r.state_machine_arn, executions_.StateMachineArn())) {
      std::move(respond_).Send(SfnErrorReply(*error));
      return;
    }
    if (r.status_filter == "PENDING_REDRIVE") {
      // Nothing here is ever redriven.
      std::move(respond_).Send(SfnReply(200, ListExecutionsBody({})));
      return;
    }
    workflow::ListExecutionsRequest list{.status_filter = std::move(r.status_filter),
                                         .max_results = r.max_results,
                                         .next_token = std::move(r.next_token)};
    executions_.List(
        std::move(list),
        [respond = std::move(respond_)](absl::StatusOr<workflow::ListExecutionsPage> page) mutable {
          std::move(respond).Send(page.ok() ? SfnReply(200, ListExecutionsBody(*page))
                                            : SfnFailure("ListExecutions", page.status()));
        });
  }

 private:
  DurableExecutions::StatusCallback Empty(std::string_view operation) {
    return [operation, respond = std::move(respond_)](const absl::Status& status) mutable {
      std::move(respond).Send(status.ok() ? SfnReply(200, "{}") : SfnFailure(operation, status));
    };
  }

  DurableExecutions& executions_;
  Responder respond_;
};

void ServeSfn(const AdminContext& ctx, const http::Request& request, Responder respond) {
  SfnParseResult parsed = ParseSfnRequest({
      .target = std::string_view(request["X-Amz-Target"].data(), request["X-Amz-Target"].size()),
      .content_type = Header(request, http::bhttp::field::content_type),
      .body = request.body(),
  });
  if (auto* error = std::get_if<SfnError>(&parsed)) {
    std::move(respond).Send(SfnErrorReply(*error));
    return;
  }
  std::visit(SfnCall(*ctx.executions, std::move(respond)), std::get<SfnRequest>(parsed));
}

}  // namespace

void RegisterAdminRoutes(http::Router& router, const AdminContext& ctx) {
  auto shared = std::make_shared<const AdminContext>(ctx);
  router.Add("/approvals", {http::Verb::get},
             [shared](const http::Request& request, Responder respond) {
               ListApprovals(*shared, request, std::move(respond));
             });
  // GET too, so that an unknown sub-path is a 404 rather than a 405 (Decide sorts it out).
  router.AddPrefix("/approvals/", {http::Verb::get, http::Verb::post},
                   [shared](const http::Request& request, Responder respond) {
                     Decide(*shared, request, std::move(respond));
                   });
  auto sfn = [shared](const http::Request& request, Responder respond) {
    ServeSfn(*shared, request, std::move(respond));
  };
  router.Add(
      "/", {http::Verb::get, http::Verb::post},
      [sfn](const http::Request& request, Responder respond) {
        if (request.method() == http::Verb::post) {
          sfn(request, std::move(respond));
          return;
        }
        std::move(respond).Send(SeeOther(BrowserWantsHtml(request) ? kHtmlListUrl : "/approvals"));
      });
  router.Add("/sfn", {http::Verb::post}, sfn);
  router.Add("/sfn/", {http::Verb::post}, sfn);
}

}  // namespace ingestd::admin
