#include "ingest/endpoint.h"

#include <charconv>
#include <string>
#include <utility>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/time_format.h"
#include "http/response.h"
#include "ingest/accept.h"
#include "ingest/html.h"
#include "workflow/builtin_tasks.h"
#include "workflow/ingest_contract.h"

namespace ingestd::ingest {
namespace {

using http::Status;

struct ListQuery {
  std::size_t limit;
  std::string cursor;
  bool html = false;
  bool format_given = false;  // ?format= decides; the Accept header does not
  bool limit_given = false;
};

absl::StatusOr<ListQuery> ParseListQuery(std::string_view target, std::size_t default_limit,
                                         std::size_t max_limit) {
  ListQuery out{.limit = default_limit};
  auto url = ParseTarget(target, "query string");
  if (!url.ok()) return url.status();
  for (const auto& param : url->encoded_params()) {
    const std::string key = param.key.decode();
    if (key == "limit") {
      const std::string value = param.value.decode();
      std::size_t limit = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (ec != std::errc() || end != value.data() + value.size() || limit < 1 ||
          limit > max_limit) {
        return absl::InvalidArgumentError(
            fmt::format("limit must be a whole number from 1 to {}", max_limit));
      }
      out.limit = limit;
      out.limit_given = true;
    } else if (key == "cursor") {
      out.cursor = param.value.decode();
      if (out.cursor.empty()) return absl::InvalidArgumentError("cursor is not valid");
    } else if (key == "format") {
      const std::string value = param.value.decode();
      if (value != "html" && value != "json") {
        return absl::InvalidArgumentError("format must be html or json");
      }
      out.html = value == "html";
      out.format_given = true;
    }
  }
  return out;
}

std::string PageUrl(const ListQuery& q, const std::optional<std::string>& cursor) {
  std::string url = fmt::format("/?limit={}", q.limit);
  if (cursor) url += "&cursor=" + *cursor;  // cursors are URL-safe base64
  if (q.html) url += "&format=html";
  return url;
}

http::Response ValidationFailed(const workflow::IngestOutcome& outcome) {
  boost::json::object fields;
  for (const auto& [name, reason] : outcome.fields) fields[name] = reason;
  boost::json::object body;
  body["error"] = "validation_failed";
  body["message"] = outcome.message;
  body["fields"] = std::move(fields);
  return http::MakeJson(Status::bad_request, boost::json::serialize(body));
}

}  // namespace

Endpoint::Endpoint(store::Store& store, std::shared_ptr<const workflow::Workflow> ingest_workflow,
                   EndpointOptions options)
    : store_(store), workflow_(std::move(ingest_workflow)), options_(std::move(options)) {
  if (options_.engine == Engine::kDirect) {
    for (workflow::FieldRule& rule : workflow::FieldRules(*workflow_)) {
      // The rules come from a compiled workflow, whose validator tasks already accepted them.
      if (auto validator = workflow::FieldValidator::Create(std::move(rule)); validator.ok()) {
        validators_.push_back(*std::move(validator));
      }
    }
  }
}

void Endpoint::Report(Outcome outcome) const {
  if (options_.on_outcome) options_.on_outcome(outcome);
}

void Endpoint::Handle(http::Request request, http::Responder respond) const {
  const std::string_view target = request.target();
  const bool is_get = request.method() == http::Verb::get || request.method() == http::Verb::head;

  auto fields =
      ExtractFields({.target = target,
                     .content_type = std::string_view(request[http::bhttp::field::content_type]),
                     .body = is_get ? std::string_view() : std::string_view(request.body())});
  if (!fields.ok()) {
    if (fields.status().code() == absl::StatusCode::kUnimplemented) {
      std::move(respond).Send(http::MakeError(Status::unsupported_media_type,
                                              "unsupported_media_type",
                                              std::string(fields.status().message())));
    } else {
      std::move(respond).Send(http::MakeErrorFromStatus(fields.status()));
    }
    if (!is_get || target.find('=') != std::string_view::npos) Report(Outcome::kRejected);
    return;
  }
  if (is_get && !fields->any_present) {
    List(request, target, std::move(respond));
    return;
  }
  Ingest(*std::move(fields), std::move(respond));
}

void Endpoint::Ingest(Fields fields, http::Responder respond) const {
  if (options_.engine == Engine::kDirect) {
    IngestDirect(std::move(fields), std::move(respond));
    return;
  }
  boost::json::value input =
      workflow::MakeIngestInput({.user_name = std::move(fields.user_name),
                                 .email = std::move(fields.email),
                                 .pincode = std::move(fields.pincode),
                                 .approval_timeout_seconds = options_.approval_timeout_seconds});
  workflow::Execute(
      workflow_, std::move(input), options_.execution,
      [this, started = absl::Now(),
       respond = std::move(respond)](workflow::ExecutionResult result) mutable {
        if (options_.on_execution) {
          options_.on_execution(result.succeeded, absl::Now() - started, result.transitions);
        }
        workflow::IngestOutcome outcome = workflow::InterpretIngestResult(std::move(result));
        switch (outcome.kind) {
          case workflow::IngestOutcome::Kind::kStored:
            Report(outcome.created ? Outcome::kCreated : Outcome::kReplaced);
            std::move(respond).Send(http::MakeJson(outcome.created ? Status::created : Status::ok,
                                                   boost::json::serialize(outcome.item)));
            return;
          case workflow::IngestOutcome::Kind::kRejected:
            Report(Outcome::kRejected);
            std::move(respond).Send(ValidationFailed(outcome));
            return;
          case workflow::IngestOutcome::Kind::kPendingApproval: {
            // The wait is durable already (the engine reports "waiting" only after that).
            Report(Outcome::kPendingApproval);
            boost::json::object body;
            body["status"] = "pending_approval";
            body["execution"] = outcome.execution;
            std::move(respond).Send(http::MakeJson(Status::accepted, boost::json::serialize(body)));
            return;
          }
          case workflow::IngestOutcome::Kind::kInternalError:
            Report(Outcome::kFailed);
            spdlog::error("ingest workflow failed: {}: {}", outcome.error, outcome.cause);
            std::move(respond).Send(
                outcome.error == "Store.Unavailable"
                    ? http::MakeError(Status::service_unavailable, "unavailable",
                                      "the store is unavailable; try again later")
                    : http::MakeError(Status::internal_server_error, "internal",
                                      "the ingest workflow failed; see the server log"));
            return;
        }
      });
}

void Endpoint::IngestDirect(Fields fields, http::Responder respond) const {
  workflow::IngestOutcome rejected{.kind = workflow::IngestOutcome::Kind::kRejected};
  for (const workflow::FieldValidator& validator : validators_) {
    const std::string& name = validator.rule().field;
    std::optional<std::string> reason = validator.Check(boost::json::value(nullptr));
    for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
      if (kFieldNames[i] == name && fields[i].has_value())
        reason = validator.CheckString(*fields[i]);
    }
    if (reason) rejected.fields.emplace_back(name, *std::move(reason));
  }
  if (!rejected.fields.empty()) {
    Report(Outcome::kRejected);
    rejected.message = "Some fields are invalid; correct the ones listed in \"fields\".";
    std::move(respond).Send(ValidationFailed(rejected));
    return;
  }
  store::Item item{.id = *fields.email,
                   .user_name = *std::move(fields.user_name),
                   .email = *std::move(fields.email),
                   .pincode = *std::move(fields.pincode)};
  store_.Put(std::move(item),
             [this, respond = std::move(respond)](absl::StatusOr<store::PutResult> result) mutable {
               if (!result.ok()) {
                 Report(Outcome::kFailed);
                 std::move(respond).Send(http::MakeErrorFromStatus(result.status()));
                 return;
               }
               const bool created = result->outcome == store::PutOutcome::kCreated;
               Report(created ? Outcome::kCreated : Outcome::kReplaced);
               std::move(respond).Send(
                   http::MakeJson(created ? Status::created : Status::ok,
                                  boost::json::serialize(workflow::ItemToJson(result->item))));
             });
}

void Endpoint::List(const http::Request& request, std::string_view target,
                    http::Responder respond) const {
  auto parsed = ParseListQuery(target, options_.default_limit, options_.max_limit);
  if (!parsed.ok()) {
    std::move(respond).Send(http::MakeErrorFromStatus(parsed.status()));
    return;
  }
  ListQuery list = *std::move(parsed);
  if (!list.format_given) list.html = PrefersHtml(request[http::bhttp::field::accept]);
  store::ScanRequest scan{.limit = list.limit, .cursor = list.cursor};
  store_.Scan(std::move(scan), [list, respond = std::move(respond)](
                                   absl::StatusOr<store::Page> page) mutable {
    if (!page.ok()) {
      std::move(respond).Send(http::MakeErrorFromStatus(page.status()));
      return;
    }
    std::optional<std::string> next_url;
    if (page->next_cursor) next_url = PageUrl(list, page->next_cursor);
    http::Response response;
    if (list.html) {
      std::optional<std::string> first_url;
      if (!list.cursor.empty()) first_url = PageUrl(list, std::nullopt);
      response = http::MakeHtml(Status::ok, RenderItemsPage(page->items, next_url, first_url));
    } else {
      boost::json::array items;
      items.reserve(page->items.size());
      for (const store::Item& item : page->items) items.emplace_back(workflow::ItemToJson(item));
      response = http::MakeJson(Status::ok, boost::json::serialize(items));
    }
    if (next_url) {
      response.set(http::bhttp::field::link, fmt::format("<{}>; rel=\"next\"", *next_url));
    }
    response.set(http::bhttp::field::vary, "Accept");
    std::move(respond).Send(std::move(response));
  });
}

}  // namespace ingestd::ingest
