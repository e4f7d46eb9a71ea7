#include "workflow/ingest_contract.h"

#include <boost/json.hpp>

namespace ingestd::workflow {
namespace json = boost::json;

json::value MakeIngestInput(const IngestInput& input) {
  json::object o;
  o.reserve(4);
  auto put = [&](std::string_view key, const std::optional<std::string>& v) {
    if (v) {
      o[key] = json::string(*v);
    } else {
      o[key] = nullptr;
    }
  };
  put("user_name", input.user_name);
  put("email", input.email);
  put("pincode", input.pincode);
  o["approval_timeout_seconds"] = input.approval_timeout_seconds;
  return o;
}

namespace {

IngestOutcome Internal(std::string error, std::string cause) {
  IngestOutcome o;
  o.kind = IngestOutcome::Kind::kInternalError;
  o.error = std::move(error);
  o.cause = std::move(cause);
  return o;
}

}  // namespace

IngestOutcome InterpretIngestResult(ExecutionResult&& result) {
  if (result.succeeded) {
    json::object* out = result.output.if_object();
    json::value* item = out ? out->if_contains("item") : nullptr;
    const json::value* outcome = out ? out->if_contains("outcome") : nullptr;
    if (item != nullptr && item->is_object() && outcome != nullptr &&
        (*outcome == "created" || *outcome == "replaced")) {
      IngestOutcome o;
      o.kind = IngestOutcome::Kind::kStored;
      o.created = *outcome == "created";
      o.item = std::move(item->get_object());
      return o;
    }
  }
  return InterpretIngestResult(static_cast<const ExecutionResult&>(result));
}

IngestOutcome InterpretIngestResult(const ExecutionResult& result) {
  if (result.waiting) {
    IngestOutcome o;
    o.kind = IngestOutcome::Kind::kPendingApproval;
    o.execution = result.execution;
    return o;
  }
  if (result.succeeded) {
    const json::object* out = result.output.if_object();
    const json::value* outcome = out ? out->if_contains("outcome") : nullptr;
    const json::value* item = out ? out->if_contains("item") : nullptr;
    if (outcome == nullptr || item == nullptr || !item->is_object() ||
        (*outcome != "created" && *outcome != "replaced")) {
      return Internal("ingestd.BadWorkflowOutput",
                      "the workflow succeeded without an ingestd:store.put result "
                      "({\"outcome\", \"item\"}); got " +
                          json::serialize(result.output));
    }
    IngestOutcome o;
    o.kind = IngestOutcome::Kind::kStored;
    o.created = *outcome == "created";
    o.item = item->get_object();
    return o;
  }
  if (result.failure.error != kValidationFailedError) {
    return Internal(result.failure.error, result.failure.cause);
  }
  IngestOutcome o;
  o.kind = IngestOutcome::Kind::kRejected;
  json::error_code ec;
  json::value cause = json::parse(result.failure.cause, ec);
  const json::object* c = ec ? nullptr : cause.if_object();
  if (c == nullptr) {
    o.message = result.failure.cause;  // a plain-text cause from a custom workflow
    return o;
  }
  if (const json::value* m = c->if_contains("message"); m && m->is_string()) {
    o.message = std::string(m->get_string());
  }
  if (const json::value* f = c->if_contains("fields"); f && f->is_object()) {
    for (const auto& kv : f->get_object()) {
      std::string reason = kv.value().is_string() ? std::string(kv.value().get_string())
                                                  : json::serialize(kv.value());
      o.fields.emplace_back(std::string(kv.key()), std::move(reason));
    }
  }
  if (o.message.empty()) o.message = "The request has invalid fields.";
  return o;
}

}  // namespace ingestd::workflow
