#include "workflow/internal/choice.h"

#include <optional>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/time_format.h"

namespace ingestd::workflow::internal {
namespace json = boost::json;

bool GlobMatches(std::string_view pattern, std::string_view text) {
  // Iterative wildcard matching with one backtrack point (linear in practice).
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      char c = pattern[p];
      std::size_t width = 1;
      if (c == '\\' && p + 1 < pattern.size()) {
        c = pattern[p + 1];
        width = 2;
      }
      if (c == text[t]) {
        p += width;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

const json::value* Resolve(const JsonPath& path, const json::value& input,
                           const json::value* context, json::value& owned) {
  const json::value& root = path.is_context() ? (context ? *context : owned) : input;
  if (path.is_context() && context == nullptr) return nullptr;
  if (path.is_definite()) return path.Find(root);
  std::optional<json::value> v = path.Select(root);
  if (!v) return nullptr;
  owned = *std::move(v);
  return &owned;
}

int Compare(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool ApplyOrder(Op op, int cmp) {
  switch (op) {
    case Op::kStringEquals:
    case Op::kNumericEquals:
    case Op::kTimestampEquals:
      return cmp == 0;
    case Op::kStringLessThan:
    case Op::kNumericLessThan:
    case Op::kTimestampLessThan:
      return cmp < 0;
    case Op::kStringGreaterThan:
    case Op::kNumericGreaterThan:
    case Op::kTimestampGreaterThan:
      return cmp > 0;
    case Op::kStringLessThanEquals:
    case Op::kNumericLessThanEquals:
    case Op::kTimestampLessThanEquals:
      return cmp <= 0;
    case Op::kStringGreaterThanEquals:
    case Op::kNumericGreaterThanEquals:
    case Op::kTimestampGreaterThanEquals:
      return cmp >= 0;
    default:
      return false;
  }
}

bool IsStringOp(Op op) { return op >= Op::kStringEquals && op <= Op::kStringGreaterThanEquals; }
bool IsNumericOp(Op op) { return op >= Op::kNumericEquals && op <= Op::kNumericGreaterThanEquals; }
bool IsTimestampOp(Op op) {
  return op >= Op::kTimestampEquals && op <= Op::kTimestampGreaterThanEquals;
}

std::optional<absl::Time> AsTime(const json::value& v) {
  if (!v.is_string()) return std::nullopt;
  return common::ParseRfc3339(std::string(v.get_string()));
}

}  // namespace

bool EvaluateRule(const ChoiceRule& rule, const json::value& input, const json::value* context,
                  bool& matched, Failure& failure) {
  switch (rule.op) {
    case Op::kAnd:
      for (const ChoiceRule& c : rule.children) {
        if (!EvaluateRule(c, input, context, matched, failure)) return false;
        if (!matched) return true;
      }
      matched = true;
      return true;
    case Op::kOr:
      for (const ChoiceRule& c : rule.children) {
        if (!EvaluateRule(c, input, context, matched, failure)) return false;
        if (matched) return true;
      }
      matched = false;
      return true;
    case Op::kNot:
      if (!EvaluateRule(rule.children[0], input, context, matched, failure)) return false;
      matched = !matched;
      return true;
    default:
      break;
  }
  json::value owned_var;
  const json::value* var = Resolve(*rule.variable, input, context, owned_var);
  if (rule.op == Op::kIsPresent) {
    bool present = var != nullptr &&
                   !(!rule.variable->is_definite() && var->is_array() && var->get_array().empty());
    matched = present == rule.operand.get_bool();
    return true;
  }
  if (var == nullptr) {
    failure.error = std::string(kErrorRuntime);
    failure.cause = fmt::format(
        "Invalid path '{}': The choice state's condition path references an invalid value.",
        rule.variable->text());
    return false;
  }
  const json::value* operand = &rule.operand;
  json::value owned_operand;
  if (rule.operand_path) {
    operand = Resolve(*rule.operand_path, input, context, owned_operand);
    if (operand == nullptr) {
      failure.error = std::string(kErrorRuntime);
      failure.cause = fmt::format(
          "Invalid path '{}': The choice state's condition path references an invalid value.",
          rule.operand_path->text());
      return false;
    }
  }
  switch (rule.op) {
    case Op::kIsNull:
      matched = var->is_null() == rule.operand.get_bool();
      return true;
    case Op::kIsNumeric:
      matched = var->is_number() == rule.operand.get_bool();
      return true;
    case Op::kIsString:
      matched = var->is_string() == rule.operand.get_bool();
      return true;
    case Op::kIsBoolean:
      matched = var->is_bool() == rule.operand.get_bool();
      return true;
    case Op::kIsTimestamp:
      matched = AsTime(*var).has_value() == rule.operand.get_bool();
      return true;
    case Op::kBooleanEquals:
      matched = var->is_bool() && operand->is_bool() && var->get_bool() == operand->get_bool();
      return true;
    case Op::kStringMatches:
      matched =
          var->is_string() && operand->is_string() &&
          GlobMatches(std::string_view(operand->get_string().data(), operand->get_string().size()),
                      std::string_view(var->get_string().data(), var->get_string().size()));
      return true;
    default:
      break;
  }
  if (IsStringOp(rule.op)) {
    if (!var->is_string() || !operand->is_string()) {
      matched = false;
      return true;
    }
    int c = var->get_string().compare(operand->get_string());
    matched = ApplyOrder(rule.op, c < 0 ? -1 : (c > 0 ? 1 : 0));
    return true;
  }
  if (IsNumericOp(rule.op)) {
    if (!var->is_number() || !operand->is_number()) {
      matched = false;
      return true;
    }
    int c = 0;
    if (var->is_int64() && operand->is_int64()) {
      c = var->get_int64() < operand->get_int64() ? -1 : (var->get_int64() > operand->get_int64());
    } else {
      c = Compare(var->to_number<double>(), operand->to_number<double>());
    }
    matched = ApplyOrder(rule.op, c);
    return true;
  }
  if (IsTimestampOp(rule.op)) {
    std::optional<absl::Time> a = AsTime(*var), b = AsTime(*operand);
    if (!a || !b) {
      matched = false;
      return true;
    }
    matched = ApplyOrder(rule.op, *a < *b ? -1 : (*a > *b ? 1 : 0));
    return true;
  }
  matched = false;
  return true;
}

}  // namespace ingestd::workflow::internal
