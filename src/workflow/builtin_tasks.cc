#include "workflow/builtin_tasks.h"

#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <re2/re2.h>

#include "common/time_format.h"
#include "store/store.h"
#include "workflow/internal/model.h"

namespace ingestd::workflow {
namespace json = boost::json;

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

namespace {

// Code points of valid UTF-8, and whether any is a Unicode Cc control (C0, DEL, C1).
void Scan(std::string_view s, std::size_t& code_points, bool& has_control) {
  code_points = 0;
  has_control = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) ++code_points;
    if (c < 0x20 || c == 0x7F) has_control = true;
    // C1: U+0080..U+009F is encoded C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d >= 0x80 && d <= 0x9F) has_control = true;
    }
  }
}

std::string Characters(std::int64_t n) {
  return n == 1 ? "1 character" : fmt::format("{} characters", n);
}

}  // namespace

absl::StatusOr<FieldValidator> FieldValidator::Create(FieldRule rule) {
  FieldValidator v;
  if (rule.min_length < 0 || (rule.max_length && *rule.max_length < rule.min_length)) {
    return absl::InvalidArgumentError(
        fmt::format("field \"{}\": length bounds are inconsistent", rule.field));
  }
  if (rule.pattern) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(*rule.pattern, options);
    if (!re->ok()) {
      return absl::InvalidArgumentError(
          fmt::format("invalid regular expression \"{}\": {}", *rule.pattern, re->error()));
    }
    v.re_ = std::move(re);
  }
  v.rule_ = std::move(rule);
  return v;
}

std::optional<std::string> FieldValidator::CheckString(std::string_view s) const {
  if (!IsValidUtf8(s)) return "must be valid UTF-8 text";
  std::size_t code_points = 0;
  bool has_control = false;
  Scan(s, code_points, has_control);
  if (!rule_.allow_control_characters && has_control) {
    return "must not contain control characters (such as tab, carriage return or line feed)";
  }
  auto n = static_cast<std::int64_t>(code_points);
  if (n < rule_.min_length) {
    if (rule_.min_length == 1) return "must not be empty";
    return fmt::format("must be at least {}", Characters(rule_.min_length));
  }
  if (rule_.max_length && n > *rule_.max_length) {
    return fmt::format("must be at most {}", Characters(*rule_.max_length));
  }
  if (re_ && !RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *re_)) {
    if (!rule_.reason.empty()) return rule_.reason;
    return fmt::format("must match the pattern {}", *rule_.pattern);
  }
  return std::nullopt;
}

std::optional<std::string> FieldValidator::Check(const json::value& value) const {
  if (value.is_null()) {
    if (rule_.required) return std::string("is required");
    return std::nullopt;
  }
  const json::string* s = value.if_string();
  if (s == nullptr) return std::string("must be a string");
  return CheckString(std::string_view(s->data(), s->size()));
}

namespace {

// What Compile prepared for one ingestd:validate state.
struct PreparedValidate {
  std::optional<FieldValidator> validator;  // set when the rules are all literal
  FieldRule rule;                           // the literal parts
  bool dynamic = false;                     // some rule parameter is a ".$" key
};

absl::StatusOr<FieldRule> RuleFromParams(const json::object& p, bool allow_missing_dynamic) {
  FieldRule rule;
  auto str = [&](std::string_view key) -> absl::StatusOr<std::optional<std::string>> {
    auto it = p.find(key);
    if (it == p.end()) return std::optional<std::string>();
    if (!it->value().is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("field \"Parameters.{}\": must be a string", key));
    }
    return std::optional<std::string>(std::string(it->value().get_string()));
  };
  auto integer = [&](std::string_view key) -> absl::StatusOr<std::optional<std::int64_t>> {
    auto it = p.find(key);
    if (it == p.end()) return std::optional<std::int64_t>();
    const json::value& v = it->value();
    if (v.is_int64() && v.get_int64() >= 0) return std::optional<std::int64_t>(v.get_int64());
    if (v.is_uint64())
      return std::optional<std::int64_t>(static_cast<std::int64_t>(v.get_uint64()));
    return absl::InvalidArgumentError(
        fmt::format("field \"Parameters.{}\": must be a non-negative integer", key));
  };
  auto boolean = [&](std::string_view key, bool def) -> absl::StatusOr<bool> {
    auto it = p.find(key);
    if (it == p.end()) return def;
    if (!it->value().is_bool()) {
      return absl::InvalidArgumentError(
          fmt::format("field \"Parameters.{}\": must be a boolean", key));
    }
    return it->value().get_bool();
  };
  absl::StatusOr<std::optional<std::string>> field = str("field");
  if (!field.ok()) return field.status();
  if (!*field) {
    if (allow_missing_dynamic && p.contains("field.$")) {
      rule.field = "";
    } else {
      return absl::InvalidArgumentError("field \"Parameters.field\": is required (the field name)");
    }
  } else {
    rule.field = **field;
  }
  absl::StatusOr<std::optional<std::string>> pattern = str("pattern");
  if (!pattern.ok()) return pattern.status();
  rule.pattern = *pattern;
  absl::StatusOr<std::optional<std::string>> reason = str("reason");
  if (!reason.ok()) return reason.status();
  rule.reason = reason->value_or("");
  absl::StatusOr<std::optional<std::int64_t>> min = integer("min_length");
  if (!min.ok()) return min.status();
  rule.min_length = min->value_or(0);
  absl::StatusOr<std::optional<std::int64_t>> max = integer("max_length");
  if (!max.ok()) return max.status();
  rule.max_length = *max;
  absl::StatusOr<bool> required = boolean("required", true);
  if (!required.ok()) return required.status();
  rule.required = *required;
  absl::StatusOr<bool> control = boolean("allow_control_characters", true);
  if (!control.ok()) return control.status();
  rule.allow_control_characters = *control;
  return rule;
}

absl::StatusOr<std::shared_ptr<const void>> PrepareValidate(const json::value* params) {
  if (params == nullptr || !params->is_object()) {
    return absl::InvalidArgumentError(
        "field \"Parameters\": ingestd:validate needs Parameters with at least \"field\" and "
        "\"value\"/\"value.$\"");
  }
  const json::object& p = params->get_object();
  static constexpr std::string_view kKnown[] = {
      "field",   "value", "required", "min_length", "max_length", "allow_control_characters",
      "pattern", "reason"};
  bool dynamic = false;
  for (const auto& kv : p) {
    std::string_view key(kv.key().data(), kv.key().size());
    bool is_dynamic = key.size() > 2 && key.substr(key.size() - 2) == ".$";
    std::string_view base = is_dynamic ? key.substr(0, key.size() - 2) : key;
    if (std::find(std::begin(kKnown), std::end(kKnown), base) == std::end(kKnown)) {
      return absl::InvalidArgumentError(
          fmt::format("field \"Parameters.{}\": not a parameter of ingestd:validate", key));
    }
    if (is_dynamic && base != "value") dynamic = true;
  }
  if (!p.contains("value") && !p.contains("value.$")) {
    return absl::InvalidArgumentError("field \"Parameters.value\": is required (or \"value.$\")");
  }
  auto prepared = std::make_shared<PreparedValidate>();
  prepared->dynamic = dynamic;
  absl::StatusOr<FieldRule> rule = RuleFromParams(p, true);
  if (!rule.ok()) return rule.status();
  prepared->rule = *rule;
  if (!dynamic) {
    absl::StatusOr<FieldValidator> v = FieldValidator::Create(*std::move(rule));
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("field \"Parameters.pattern\": {}", std::string(v.status().message())));
    }
    prepared->validator = *std::move(v);
  }
  return std::shared_ptr<const void>(prepared);
}

void RunValidate(const json::value& params, const TaskContext& ctx, TaskDone done) {
  const auto* prepared = static_cast<const PreparedValidate*>(ctx.prepared);
  const json::object* p = params.if_object();
  if (prepared == nullptr || p == nullptr) {
    std::move(done)(TaskResult::Error(std::string(kErrorTaskFailed),
                                      "ingestd:validate: Parameters must be an object"));
    return;
  }
  std::optional<FieldValidator> dynamic_validator;
  const FieldValidator* validator = prepared->validator ? &*prepared->validator : nullptr;
  if (validator == nullptr) {
    absl::StatusOr<FieldRule> rule = RuleFromParams(*p, false);
    absl::StatusOr<FieldValidator> v =
        rule.ok() ? FieldValidator::Create(*std::move(rule)) : rule.status();
    if (!v.ok()) {
      std::move(done)(
          TaskResult::Error(std::string(kErrorTaskFailed), std::string(v.status().message())));
      return;
    }
    dynamic_validator = *std::move(v);
    validator = &*dynamic_validator;
  }
  auto it = p->find("value");
  static const json::value kNull;
  std::optional<std::string> reason = validator->Check(it == p->end() ? kNull : it->value());
  json::object out;
  out.reserve(3);
  out["field"] = validator->rule().field;
  out["valid"] = !reason.has_value();
  if (reason) out["reason"] = *reason;
  std::move(done)(TaskResult::Ok(std::move(out)));
}

}  // namespace

json::object ItemToJson(const store::Item& item) {
  json::object o;
  o.reserve(6);
  o["id"] = item.id;
  o["user_name"] = item.user_name;
  o["email"] = item.email;
  o["pincode"] = item.pincode;
  o["created_at"] = common::FormatRfc3339(item.created_at);
  o["updated_at"] = common::FormatRfc3339(item.updated_at);
  return o;
}

namespace {

void RunStorePut(store::Store* store, const json::value& params, TaskDone done) {
  const json::object* p = params.if_object();
  store::Item item;
  for (auto [key, target] : {std::pair<std::string_view, std::string*>{"id", &item.id},
                             {"user_name", &item.user_name},
                             {"email", &item.email},
                             {"pincode", &item.pincode}}) {
    const json::value* v = p ? p->if_contains(key) : nullptr;
    if (v == nullptr || !v->is_string()) {
      std::move(done)(
          TaskResult::Error("Store.InvalidItem",
                            fmt::format("ingestd:store.put: Parameters.{} must be a string", key)));
      return;
    }
    *target = std::string(v->get_string());
  }
  if (store == nullptr) {
    std::move(done)(TaskResult::Error("Store.Unavailable", "no store is configured"));
    return;
  }
  store->Put(std::move(item), [done = std::move(done)](absl::StatusOr<store::PutResult> r) mutable {
    if (!r.ok()) {
      std::string error = r.status().code() == absl::StatusCode::kUnavailable ? "Store.Unavailable"
                          : r.status().code() == absl::StatusCode::kInvalidArgument
                              ? "Store.InvalidItem"
                              : "Store.Error";
      std::move(done)(TaskResult::Error(std::move(error), std::string(r.status().message())));
      return;
    }
    json::object out;
    out["outcome"] = r->outcome == store::PutOutcome::kCreated ? "created" : "replaced";
    out["item"] = ItemToJson(r->item);
    std::move(done)(TaskResult::Ok(std::move(out)));
  });
}

void CollectRules(const internal::Machine& m, std::vector<FieldRule>& out) {
  for (const internal::State& s : m.states) {
    if (s.type == internal::StateType::kTask &&
        (s.resource == kValidateResource || s.resource == kValidateResourceAlias) && s.prepared) {
      const auto* prepared = static_cast<const PreparedValidate*>(s.prepared.get());
      FieldRule rule = prepared->rule;
      rule.state = s.name;
      out.push_back(std::move(rule));
    }
    for (const auto& b : s.branches) CollectRules(*b, out);
    if (s.iterator) CollectRules(*s.iterator, out);
  }
}

}  // namespace

void RegisterBuiltinTasks(TaskRegistry& registry, store::Store* store) {
  for (std::string_view name : {kValidateResource, kValidateResourceAlias}) {
    registry.Register(std::string(name), RunValidate, PrepareValidate);
  }
  for (std::string_view name : {kStorePutResource, kStorePutResourceAlias}) {
    registry.Register(std::string(name),
                      [store](const json::value& params, const TaskContext&, TaskDone done) {
                        RunStorePut(store, params, std::move(done));
                      });
  }
  // The callback's "send": the durable wait record itself is the request (listed at
  // /approvals, announced by the webhook), so there is nothing more to do here.
  for (std::string_view name : {kApprovalResource, kApprovalResourceAlias}) {
    registry.Register(std::string(name), [](const json::value&, const TaskContext&, TaskDone done) {
      std::move(done)(TaskResult::Ok(json::object()));
    });
  }
}

std::vector<FieldRule> FieldRules(const Workflow& workflow) {
  std::vector<FieldRule> out;
  CollectRules(workflow.machine(), out);
  return out;
}

}  // namespace ingestd::workflow
