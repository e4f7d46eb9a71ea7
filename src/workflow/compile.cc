// Definition → internal::Machine: the ASL structural rules, checked once.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <deque>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/file.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "workflow/internal/model.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace json = boost::json;
using internal::ChoiceRule;
using internal::Machine;
using internal::Op;
using internal::State;
using internal::StateType;
using internal::Template;

namespace {

constexpr std::size_t kMaxStateNameLength = 80;

struct OpInfo {
  std::string_view name;
  Op op;
  enum class Operand { kString, kNumber, kBool, kTimestamp, kPath } operand;
};

constexpr OpInfo kOps[] = {
    {"StringEquals", Op::kStringEquals, OpInfo::Operand::kString},
    {"StringEqualsPath", Op::kStringEquals, OpInfo::Operand::kPath},
    {"StringLessThan", Op::kStringLessThan, OpInfo::Operand::kString},
    {"StringLessThanPath", Op::kStringLessThan, OpInfo::Operand::kPath},
    {"StringGreaterThan", Op::kStringGreaterThan, OpInfo::Operand::kString},
    {"StringGreaterThanPath", Op::kStringGreaterThan, OpInfo::Operand::kPath},
    {"StringLessThanEquals", Op::kStringLessThanEquals, OpInfo::Operand::kString},
    {"StringLessThanEqualsPath", Op::kStringLessThanEquals, OpInfo::Operand::kPath},
    {"StringGreaterThanEquals", Op::kStringGreaterThanEquals, OpInfo::Operand::kString},
    {"StringGreaterThanEqualsPath", Op::kStringGreaterThanEquals, OpInfo::Operand::kPath},
    {"StringMatches", Op::kStringMatches, OpInfo::Operand::kString},
    {"NumericEquals", Op::kNumericEquals, OpInfo::Operand::kNumber},
    {"NumericEqualsPath", Op::kNumericEquals, OpInfo::Operand::kPath},
    {"NumericLessThan", Op::kNumericLessThan, OpInfo::Operand::kNumber},
    {"NumericLessThanPath", Op::kNumericLessThan, OpInfo::Operand::kPath},
    {"NumericGreaterThan", Op::kNumericGreaterThan, OpInfo::Operand::kNumber},
    {"NumericGreaterThanPath", Op::kNumericGreaterThan, OpInfo::Operand::kPath},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals, OpInfo::Operand::kNumber},
    {"NumericLessThanEqualsPath", Op::kNumericLessThanEquals, OpInfo::Operand::kPath},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals, OpInfo::Operand::kNumber},
    {"NumericGreaterThanEqualsPath", Op::kNumericGreaterThanEquals, OpInfo::Operand::kPath},
    {"BooleanEquals", Op::kBooleanEquals, OpInfo::Operand::kBool},
    {"BooleanEqualsPath", Op::kBooleanEquals, OpInfo::Operand::kPath},
    {"TimestampEquals", Op::kTimestampEquals, OpInfo::Operand::kTimestamp},
    {"TimestampEqualsPath", Op::kTimestampEquals, OpInfo::Operand::kPath},
    {"TimestampLessThan", Op::kTimestampLessThan, OpInfo::Operand::kTimestamp},
    {"TimestampLessThanPath", Op::kTimestampLessThan, OpInfo::Operand::kPath},
    {"TimestampGreaterThan", Op::kTimestampGreaterThan, OpInfo::Operand::kTimestamp},
    {"TimestampGreaterThanPath", Op::kTimestampGreaterThan, OpInfo::Operand::kPath},
    {"TimestampLessThanEquals", Op::kTimestampLessThanEquals, OpInfo::Operand::kTimestamp},
    {"TimestampLessThanEqualsPath", Op::kTimestampLessThanEquals, OpInfo::Operand::kPath},
    {"TimestampGreaterThanEquals", Op::kTimestampGreaterThanEquals, OpInfo::Operand::kTimestamp},
    {"TimestampGreaterThanEqualsPath", Op::kTimestampGreaterThanEquals, OpInfo::Operand::kPath},
    {"IsNull", Op::kIsNull, OpInfo::Operand::kBool},
    {"IsPresent", Op::kIsPresent, OpInfo::Operand::kBool},
    {"IsNumeric", Op::kIsNumeric, OpInfo::Operand::kBool},
    {"IsString", Op::kIsString, OpInfo::Operand::kBool},
    {"IsBoolean", Op::kIsBoolean, OpInfo::Operand::kBool},
    {"IsTimestamp", Op::kIsTimestamp, OpInfo::Operand::kBool},
};

// Errors name the state (when there is one) and the field, as AWS's validator does.
constexpr std::string_view kWaitForTaskToken = ".waitForTaskToken";

class Compiler {
 public:
  explicit Compiler(const TaskRegistry& registry) : registry_(registry) {}

  absl::Status Err(std::string_view state, std::string_view field, std::string_view why) const {
    if (state.empty()) {
      return absl::InvalidArgumentError(fmt::format("field \"{}\": {}", field, why));
    }
    if (field.empty()) {
      return absl::InvalidArgumentError(fmt::format("state \"{}\": {}", state, why));
    }
    return absl::InvalidArgumentError(
        fmt::format("state \"{}\": field \"{}\": {}", state, field, why));
  }

  absl::Status CheckFields(std::string_view state, const json::object& o,
                           std::initializer_list<std::string_view> allowed,
                           std::string_view prefix = "") const {
    for (const auto& kv : o) {
      std::string_view key(kv.key().data(), kv.key().size());
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string hint;
        if (key == "ItemReader" || key == "ResultWriter" || key == "ItemBatcher" ||
            key == "ToleratedFailurePercentage" || key == "ToleratedFailureCount" ||
            key == "ToleratedFailurePercentagePath" || key == "ToleratedFailureCountPath" ||
            key == "Label") {
          hint = " (distributed Map features are not supported)";
        } else if (key == "Assign" || key == "Arguments" || key == "Output" ||
                   key == "QueryLanguage") {
          hint = " (JSONata and variables are not supported)";
        }
        return Err(state, fmt::format("{}{}", prefix, key), "is not a known field here" + hint);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> OptString(std::string_view state,
                                                       const json::object& o,
                                                       std::string_view key) const {
    auto it = o.find(key);
    if (it == o.end()) return std::optional<std::string>();
    if (!it->value().is_string()) return Err(state, key, "must be a string");
    return std::optional<std::string>(std::string(it->value().get_string()));
  }

  // A non-negative (or positive) integer-valued number.
  absl::StatusOr<std::optional<double>> OptInteger(std::string_view state, const json::object& o,
                                                   std::string_view key, bool positive) const {
    auto it = o.find(key);
    if (it == o.end()) return std::optional<double>();
    const json::value& v = it->value();
    double d = v.is_number() ? v.to_number<double>() : -1;
    if (!v.is_number() || std::trunc(d) != d || d < (positive ? 1 : 0) || d > 99999999) {
      return Err(state, key,
                 positive ? "must be a positive integer" : "must be a non-negative integer");
    }
    return std::optional<double>(d);
  }

  absl::StatusOr<JsonPath> ParsePath(std::string_view state, std::string_view field,
                                     std::string_view text, bool reference) const {
    absl::StatusOr<JsonPath> p = JsonPath::Parse(text);
    if (!p.ok()) return Err(state, field, p.status().message().data());
    if (reference && (!p->is_definite() || p->is_context())) {
      return Err(
          state, field,
          fmt::format("\"{}\" must be a reference path (names and indices only, from $)", text));
    }
    return p;
  }

  absl::StatusOr<std::optional<JsonPath>> OptPath(std::string_view state, const json::object& o,
                                                  std::string_view key, bool reference) const {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptString(state, o, key));
    if (!s) return std::optional<JsonPath>();
    ASSIGN_OR_RETURN(JsonPath p, ParsePath(state, key, *s, reference));
    return std::optional<JsonPath>(std::move(p));
  }

  absl::StatusOr<internal::OptionalPath> NullablePath(std::string_view state, const json::object& o,
                                                      std::string_view key) const {
    internal::OptionalPath out;
    auto it = o.find(key);
    if (it == o.end()) return out;
    if (it->value().is_null()) {
      out.is_null = true;
      return out;
    }
    if (!it->value().is_string()) return Err(state, key, "must be a path string or null");
    ASSIGN_OR_RETURN(JsonPath p, ParsePath(state, key, it->value().get_string(), false));
    if (!p.is_root() || p.is_context()) out.path = std::move(p);
    return out;
  }

  absl::StatusOr<Template> CompileTemplate(std::string_view state, std::string_view field,
                                           const json::value& v, bool& uses_context) const {
    Template t;
    if (const json::array* elements = v.if_array()) {
      // Objects inside arrays are payload templates too ({"list": [{"a.$": "$.x"}]}).
      bool dynamic = false;
      for (std::size_t i = 0; i < elements->size(); ++i) {
        ASSIGN_OR_RETURN(Template element, CompileTemplate(state, fmt::format("{}[{}]", field, i),
                                                           (*elements)[i], uses_context));
        dynamic |= element.kind != Template::Kind::kLiteral;
        t.members.push_back(std::move(element));
      }
      if (dynamic) {
        t.kind = Template::Kind::kArray;
      } else {
        t.members.clear();
        t.literal = v;
      }
      return t;
    }
    if (!v.is_object()) {
      t.literal = v;
      return t;
    }
    t.kind = Template::Kind::kObject;
    bool dynamic = false;
    for (const auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string sub_field = fmt::format("{}.{}", field, key);
      Template member;
      if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
        if (!kv.value().is_string()) {
          return Err(state, sub_field, "a key ending in \".$\" needs a path or intrinsic string");
        }
        std::string_view text(kv.value().get_string().data(), kv.value().get_string().size());
        if (LooksLikeIntrinsic(text)) {
          absl::StatusOr<Intrinsic> fn = Intrinsic::Parse(text);
          if (!fn.ok()) return Err(state, sub_field, fn.status().message().data());
          uses_context |= fn->uses_context();
          member.kind = Template::Kind::kIntrinsic;
          member.intrinsic = *std::move(fn);
        } else if (LooksLikePath(text)) {
          ASSIGN_OR_RETURN(JsonPath p, ParsePath(state, sub_field, text, false));
          uses_context |= p.is_context();
          member.kind = Template::Kind::kPath;
          member.path = std::move(p);
        } else {
          return Err(
              state, sub_field,
              fmt::format("\"{}\" is neither a path ($...) nor an intrinsic function", text));
        }
        member.source_key = key;
        key.resize(key.size() - 2);
        dynamic = true;
      } else {
        ASSIGN_OR_RETURN(member, CompileTemplate(state, sub_field, kv.value(), uses_context));
        dynamic |= member.kind != Template::Kind::kLiteral;
      }
      member.key = std::move(key);
      t.members.push_back(std::move(member));
    }
    if (!dynamic) {
      Template lit;
      lit.literal = v;
      return lit;
    }
    return t;
  }

  absl::StatusOr<std::optional<Template>> OptTemplate(std::string_view state, const json::object& o,
                                                      std::string_view key,
                                                      bool& uses_context) const {
    auto it = o.find(key);
    if (it == o.end()) return std::optional<Template>();
    ASSIGN_OR_RETURN(Template t, CompileTemplate(state, key, it->value(), uses_context));
    return std::optional<Template>(std::move(t));
  }

  absl::Status CompileRule(std::string_view state, std::string field, const json::value& v,
                           bool top_level, const std::map<std::string, int>& index,
                           ChoiceRule& rule) const {
    if (!v.is_object()) return Err(state, field, "a Choice rule must be an object");
    const json::object& o = v.get_object();
    if (top_level) {
      ASSIGN_OR_RETURN(std::optional<std::string> next, OptString(state, o, "Next"));
      if (!next) return Err(state, field + ".Next", "is required in a top-level Choice rule");
      auto it = index.find(*next);
      if (it == index.end()) {
        return Err(state, field + ".Next", fmt::format("no state named \"{}\"", *next));
      }
      rule.next = it->second;
    } else if (o.contains("Next")) {
      return Err(state, field + ".Next", "only top-level Choice rules may have Next");
    }
    for (std::string_view logical : {"And", "Or", "Not"}) {
      auto it = o.find(logical);
      if (it == o.end()) continue;
      for (const auto& kv : o) {
        std::string_view k(kv.key().data(), kv.key().size());
        if (k != logical && k != "Next" && k != "Comment") {
          return Err(state, fmt::format("{}.{}", field, k),
                     fmt::format("is not allowed beside {}", logical));
        }
      }
      std::string sub = fmt::format("{}.{}", field, logical);
      if (logical == "Not") {
        rule.op = Op::kNot;
        rule.children.emplace_back();
        return CompileRule(state, sub, it->value(), false, index, rule.children.back());
      }
      rule.op = logical == "And" ? Op::kAnd : Op::kOr;
      if (!it->value().is_array() || it->value().get_array().empty()) {
        return Err(state, sub, "must be a non-empty array of rules");
      }
      const json::array& arr = it->value().get_array();
      rule.children.resize(arr.size());
      for (std::size_t i = 0; i < arr.size(); ++i) {
        RETURN_IF_ERROR(CompileRule(state, fmt::format("{}[{}]", sub, i), arr[i], false, index,
                                    rule.children[i]));
      }
      return absl::OkStatus();
    }
    const OpInfo* found = nullptr;
    for (const auto& kv : o) {
      std::string_view k(kv.key().data(), kv.key().size());
      if (k == "Variable" || k == "Next" || k == "Comment") continue;
      const OpInfo* info = nullptr;
      for (const OpInfo& candidate : kOps) {
        if (candidate.name == k) info = &candidate;
      }
      if (info == nullptr) {
        return Err(state, fmt::format("{}.{}", field, k), "is not a comparison operator");
      }
      if (found != nullptr) {
        return Err(state, field, "a rule must have exactly one comparison operator");
      }
      found = info;
      std::string sub = fmt::format("{}.{}", field, k);
      const json::value& operand = kv.value();
      switch (info->operand) {
        case OpInfo::Operand::kString:
          if (!operand.is_string()) return Err(state, sub, "must be a string");
          break;
        case OpInfo::Operand::kNumber:
          if (!operand.is_number()) return Err(state, sub, "must be a number");
          break;
        case OpInfo::Operand::kBool:
          if (!operand.is_bool()) return Err(state, sub, "must be a boolean");
          break;
        case OpInfo::Operand::kTimestamp:
          if (!operand.is_string() || !common::ParseRfc3339(std::string(operand.get_string()))) {
            return Err(state, sub, "must be an RFC 3339 timestamp string");
          }
          break;
        case OpInfo::Operand::kPath: {
          if (!operand.is_string()) return Err(state, sub, "must be a path string");
          ASSIGN_OR_RETURN(JsonPath p, ParsePath(state, sub, operand.get_string(), false));
          rule.operand_path = std::move(p);
          break;
        }
      }
      rule.op = info->op;
      rule.operand = operand;
    }
    if (found == nullptr) return Err(state, field, "needs a comparison operator, And, Or or Not");
    auto var = o.find("Variable");
    if (var == o.end() || !var->value().is_string()) {
      return Err(state, field + ".Variable", "is required and must be a path string");
    }
    ASSIGN_OR_RETURN(JsonPath p,
                     ParsePath(state, field + ".Variable", var->value().get_string(), false));
    rule.variable = std::move(p);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ErrorEquals(std::string_view state,
                                                       std::string_view field,
                                                       const json::object& o) const {
    auto it = o.find("ErrorEquals");
    std::string f = fmt::format("{}.ErrorEquals", field);
    if (it == o.end() || !it->value().is_array() || it->value().get_array().empty()) {
      return Err(state, f, "is required: a non-empty array of error names");
    }
    std::vector<std::string> out;
    for (const json::value& e : it->value().get_array()) {
      if (!e.is_string()) return Err(state, f, "error names must be strings");
      out.emplace_back(e.get_string());
    }
    if (out.size() > 1 && std::find(out.begin(), out.end(), std::string(kErrorAll)) != out.end()) {
      return Err(state, f, "States.ALL must appear alone");
    }
    return out;
  }

  absl::Status CompileRetry(std::string_view state, const json::object& o, State& s) const {
    auto it = o.find("Retry");
    if (it == o.end()) return absl::OkStatus();
    if (!it->value().is_array()) return Err(state, "Retry", "must be an array of retriers");
    const json::array& arr = it->value().get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string field = fmt::format("Retry[{}]", i);
      if (!arr[i].is_object()) return Err(state, field, "must be an object");
      const json::object& r = arr[i].get_object();
      RETURN_IF_ERROR(CheckFields(state, r,
                                  {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                                   "MaxDelaySeconds", "JitterStrategy", "Comment"},
                                  field + "."));
      internal::Retrier retrier;
      ASSIGN_OR_RETURN(retrier.errors, ErrorEquals(state, field, r));
      if (retrier.errors[0] == kErrorAll && i + 1 != arr.size()) {
        return Err(state, field + ".ErrorEquals", "States.ALL must be in the last retrier");
      }
      ASSIGN_OR_RETURN(std::optional<double> interval,
                       OptInteger(state, r, "IntervalSeconds", true));
      if (interval) retrier.interval_seconds = *interval;
      ASSIGN_OR_RETURN(std::optional<double> attempts, OptInteger(state, r, "MaxAttempts", false));
      if (attempts) retrier.max_attempts = static_cast<int>(*attempts);
      if (auto b = r.find("BackoffRate"); b != r.end()) {
        if (!b->value().is_number() || b->value().to_number<double>() < 1.0) {
          return Err(state, field + ".BackoffRate", "must be a number >= 1.0");
        }
        retrier.backoff_rate = b->value().to_number<double>();
      }
      ASSIGN_OR_RETURN(retrier.max_delay_seconds, OptInteger(state, r, "MaxDelaySeconds", true));
      ASSIGN_OR_RETURN(std::optional<std::string> jitter, OptString(state, r, "JitterStrategy"));
      if (jitter) {
        if (*jitter != "FULL" && *jitter != "NONE") {
          return Err(state, field + ".JitterStrategy", "must be \"FULL\" or \"NONE\"");
        }
        retrier.full_jitter = *jitter == "FULL";
      }
      s.retriers.push_back(std::move(retrier));
    }
    return absl::OkStatus();
  }

  absl::Status CompileCatch(std::string_view state, const json::object& o,
                            const std::map<std::string, int>& index, State& s) const {
    auto it = o.find("Catch");
    if (it == o.end()) return absl::OkStatus();
    if (!it->value().is_array()) return Err(state, "Catch", "must be an array of catchers");
    const json::array& arr = it->value().get_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      std::string field = fmt::format("Catch[{}]", i);
      if (!arr[i].is_object()) return Err(state, field, "must be an object");
      const json::object& c = arr[i].get_object();
      RETURN_IF_ERROR(
          CheckFields(state, c, {"ErrorEquals", "Next", "ResultPath", "Comment"}, field + "."));
      internal::Catcher catcher;
      ASSIGN_OR_RETURN(catcher.errors, ErrorEquals(state, field, c));
      if (catcher.errors[0] == kErrorAll && i + 1 != arr.size()) {
        return Err(state, field + ".ErrorEquals", "States.ALL must be in the last catcher");
      }
      ASSIGN_OR_RETURN(std::optional<std::string> next, OptString(state, c, "Next"));
      if (!next) return Err(state, field + ".Next", "is required");
      auto target = index.find(*next);
      if (target == index.end()) {
        return Err(state, field + ".Next", fmt::format("no state named \"{}\"", *next));
      }
      catcher.next = target->second;
      catcher.result_path = JsonPath::Parse("$").value();
      if (auto rp = c.find("ResultPath"); rp != c.end()) {
        if (rp->value().is_null()) {
          catcher.result_path.reset();
        } else if (!rp->value().is_string()) {
          return Err(state, field + ".ResultPath", "must be a reference path or null");
        } else {
          ASSIGN_OR_RETURN(catcher.result_path,
                           ParsePath(state, field + ".ResultPath", rp->value().get_string(), true));
        }
      }
      s.catchers.push_back(std::move(catcher));
    }
    return absl::OkStatus();
  }

  absl::Status CompileTransition(std::string_view state, const json::object& o,
                                 const std::map<std::string, int>& index, State& s) const {
    ASSIGN_OR_RETURN(std::optional<std::string> next, OptString(state, o, "Next"));
    bool end = false;
    if (auto it = o.find("End"); it != o.end()) {
      if (!it->value().is_bool()) return Err(state, "End", "must be a boolean");
      end = it->value().get_bool();
    }
    if (next && end) return Err(state, "Next", "a state cannot have both Next and End");
    if (!next && !end) return Err(state, "Next", "is required (or \"End\": true)");
    if (next) {
      auto it = index.find(*next);
      if (it == index.end()) return Err(state, "Next", fmt::format("no state named \"{}\"", *next));
      s.next = it->second;
    }
    s.end = end;
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Machine>> CompileMachine(const json::value& v,
                                                          std::string_view owner,
                                                          std::string_view field, bool top) {
    if (!v.is_object()) return Err(owner, field, "must be an object with StartAt and States");
    const json::object& o = v.get_object();
    std::string prefix = field.empty() ? "" : fmt::format("{}.", field);
    // Which machine the states being compiled belong to (branches and iterators nest).
    struct RestoreTopLevel {
      bool& flag;
      bool saved;
      ~RestoreTopLevel() { flag = saved; }
    } restore{top_level_, top_level_};
    top_level_ = top;
    if (top) {
      RETURN_IF_ERROR(CheckFields(
          owner, o, {"Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage"},
          prefix));
      if (auto q = o.find("QueryLanguage"); q != o.end() && q->value() != "JSONPath") {
        return Err(owner, "QueryLanguage", "only \"JSONPath\" is supported");
      }
      if (auto ver = o.find("Version"); ver != o.end() && !ver->value().is_string()) {
        return Err(owner, "Version", "must be a string");
      }
    } else {
      RETURN_IF_ERROR(
          CheckFields(owner, o, {"Comment", "StartAt", "States", "ProcessorConfig"}, prefix));
    }
    if (auto c = o.find("Comment"); c != o.end() && !c->value().is_string()) {
      return Err(owner, prefix + "Comment", "must be a string");
    }
    auto machine = std::make_unique<Machine>();
    if (top) {
      ASSIGN_OR_RETURN(machine->timeout_seconds, OptInteger(owner, o, "TimeoutSeconds", true));
    }
    auto states_it = o.find("States");
    if (states_it == o.end() || !states_it->value().is_object() ||
        states_it->value().get_object().empty()) {
      return Err(owner, prefix + "States", "is required: an object of one or more states");
    }
    const json::object& states = states_it->value().get_object();
    std::map<std::string, int> index;
    for (const auto& kv : states) {
      std::string name(kv.key());
      if (name.empty() || CodePoints(name) > kMaxStateNameLength) {
        return Err(name, "", "a state name must be 1 to 80 characters");
      }
      if (!all_names_.insert(name).second) {
        return Err(name, "", "state names must be unique in the whole state machine");
      }
      index.emplace(name, static_cast<int>(machine->states.size()));
      machine->states.emplace_back();
      machine->states.back().name = name;
    }
    auto start_it = o.find("StartAt");
    if (start_it == o.end() || !start_it->value().is_string()) {
      return Err(owner, prefix + "StartAt", "is required and must be a state name");
    }
    auto start = index.find(std::string(start_it->value().get_string()));
    if (start == index.end()) {
      return Err(owner, prefix + "StartAt",
                 fmt::format("no state named \"{}\"", std::string(start_it->value().get_string())));
    }
    machine->start = start->second;
    for (const auto& kv : states) {
      State& s = machine->states[static_cast<std::size_t>(index.at(std::string(kv.key())))];
      RETURN_IF_ERROR(CompileState(kv.value(), index, s));
    }
    // Every state must be reachable from StartAt.
    std::vector<bool> seen(machine->states.size(), false);
    std::deque<int> queue{machine->start};
    seen[static_cast<std::size_t>(machine->start)] = true;
    auto visit = [&](int i) {
      if (i >= 0 && !seen[static_cast<std::size_t>(i)]) {
        seen[static_cast<std::size_t>(i)] = true;
        queue.push_back(i);
      }
    };
    while (!queue.empty()) {
      const State& s = machine->states[static_cast<std::size_t>(queue.front())];
      queue.pop_front();
      visit(s.next);
      visit(s.default_next);
      for (const ChoiceRule& r : s.choices) visit(r.next);
      for (const internal::Catcher& c : s.catchers) visit(c.next);
    }
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (!seen[i]) {
        return Err(machine->states[i].name, "", "is not reachable from StartAt");
      }
    }
    return machine;
  }

  static std::size_t CodePoints(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  }

  absl::Status CompileState(const json::value& v, const std::map<std::string, int>& index,
                            State& s) {
    const std::string& name = s.name;
    if (!v.is_object()) return Err(name, "", "a state must be an object");
    const json::object& o = v.get_object();
    ASSIGN_OR_RETURN(std::optional<std::string> type, OptString(name, o, "Type"));
    if (!type) return Err(name, "Type", "is required");
    if (auto c = o.find("Comment"); c != o.end() && !c->value().is_string()) {
      return Err(name, "Comment", "must be a string");
    }
    bool ctx = false;
    if (*type == "Pass") {
      s.type = StateType::kPass;
      RETURN_IF_ERROR(CheckFields(name, o,
                                  {"Type", "Comment", "Next", "End", "InputPath", "OutputPath",
                                   "ResultPath", "Parameters", "Result"}));
      if (auto r = o.find("Result"); r != o.end()) s.result = r->value();
    } else if (*type == "Task") {
      s.type = StateType::kTask;
      RETURN_IF_ERROR(CheckFields(
          name, o,
          {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
           "ResultSelector", "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
           "HeartbeatSecondsPath", "Retry", "Catch"}));
      ASSIGN_OR_RETURN(std::optional<std::string> resource, OptString(name, o, "Resource"));
      if (!resource) return Err(name, "Resource", "is required");
      s.resource = *resource;
      std::string_view base = *resource;
      if (base.ends_with(kWaitForTaskToken)) {
        base.remove_suffix(kWaitForTaskToken.size());
        s.wait_for_task_token = true;
        if (!top_level_) {
          return Err(name, "Resource",
                     "a .waitForTaskToken task can only be a state of the top-level state "
                     "machine (not inside Parallel or Map)");
        }
        auto p = o.find("Parameters");
        if (p == o.end() ||
            json::serialize(p->value()).find("\"$$.Task.Token\"") == std::string::npos) {
          return Err(name, "Parameters",
                     "a .waitForTaskToken task must pass the task token: add "
                     "\"TaskToken.$\": \"$$.Task.Token\" to its Parameters");
        }
      }
      s.task = registry_.Find(base);
      if (s.task == nullptr) {
        return Err(name, "Resource", fmt::format("unknown resource \"{}\"", *resource));
      }
      if (s.task->prepare) {
        auto p = o.find("Parameters");
        absl::StatusOr<std::shared_ptr<const void>> prepared =
            s.task->prepare(p == o.end() ? nullptr : &p->value());
        if (!prepared.ok()) return Err(name, "", prepared.status().message().data());
        s.prepared = *std::move(prepared);
      }
      ASSIGN_OR_RETURN(s.timeout_seconds, OptInteger(name, o, "TimeoutSeconds", true));
      ASSIGN_OR_RETURN(s.timeout_seconds_path, OptPath(name, o, "TimeoutSecondsPath", true));
      if (s.timeout_seconds && s.timeout_seconds_path) {
        return Err(name, "TimeoutSecondsPath", "cannot be used together with TimeoutSeconds");
      }
      ASSIGN_OR_RETURN(s.heartbeat_seconds, OptInteger(name, o, "HeartbeatSeconds", true));
      if (s.heartbeat_seconds && s.timeout_seconds && *s.heartbeat_seconds >= *s.timeout_seconds) {
        return Err(name, "HeartbeatSeconds", "must be smaller than TimeoutSeconds");
      }
      ASSIGN_OR_RETURN(s.heartbeat_seconds_path, OptPath(name, o, "HeartbeatSecondsPath", true));
      if (s.heartbeat_seconds && s.heartbeat_seconds_path) {
        return Err(name, "HeartbeatSecondsPath", "cannot be used together with HeartbeatSeconds");
      }
      if ((s.heartbeat_seconds || s.heartbeat_seconds_path) && !s.wait_for_task_token) {
        return Err(name, "HeartbeatSeconds",
                   "only a .waitForTaskToken task can have a heartbeat: ingestd's own tasks "
                   "never send heartbeats");
      }
      ASSIGN_OR_RETURN(s.result_selector, OptTemplate(name, o, "ResultSelector", ctx));
    } else if (*type == "Choice") {
      s.type = StateType::kChoice;
      RETURN_IF_ERROR(CheckFields(
          name, o, {"Type", "Comment", "InputPath", "OutputPath", "Choices", "Default"}));
      auto c = o.find("Choices");
      if (c == o.end() || !c->value().is_array() || c->value().get_array().empty()) {
        return Err(name, "Choices", "is required: a non-empty array of rules");
      }
      const json::array& arr = c->value().get_array();
      s.choices.resize(arr.size());
      for (std::size_t i = 0; i < arr.size(); ++i) {
        RETURN_IF_ERROR(
            CompileRule(name, fmt::format("Choices[{}]", i), arr[i], true, index, s.choices[i]));
      }
      ASSIGN_OR_RETURN(std::optional<std::string> def, OptString(name, o, "Default"));
      if (def) {
        auto it = index.find(*def);
        if (it == index.end()) {
          return Err(name, "Default", fmt::format("no state named \"{}\"", *def));
        }
        s.default_next = it->second;
      }
      for (const ChoiceRule& r : s.choices) ctx |= RuleUsesContext(r);
    } else if (*type == "Wait") {
      s.type = StateType::kWait;
      RETURN_IF_ERROR(CheckFields(name, o,
                                  {"Type", "Comment", "Next", "End", "InputPath", "OutputPath",
                                   "Seconds", "Timestamp", "SecondsPath", "TimestampPath"}));
      int count = 0;
      for (std::string_view k : {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"}) {
        count += o.contains(k);
      }
      if (count != 1) {
        return Err(name, "Seconds",
                   "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, "
                   "TimestampPath");
      }
      ASSIGN_OR_RETURN(s.wait_seconds, OptInteger(name, o, "Seconds", false));
      ASSIGN_OR_RETURN(s.wait_timestamp, OptString(name, o, "Timestamp"));
      if (s.wait_timestamp && !common::ParseRfc3339(*s.wait_timestamp)) {
        return Err(name, "Timestamp", "must be an RFC 3339 timestamp");
      }
      ASSIGN_OR_RETURN(s.wait_seconds_path, OptPath(name, o, "SecondsPath", false));
      ASSIGN_OR_RETURN(s.wait_timestamp_path, OptPath(name, o, "TimestampPath", false));
    } else if (*type == "Succeed") {
      s.type = StateType::kSucceed;
      RETURN_IF_ERROR(CheckFields(name, o, {"Type", "Comment", "InputPath", "OutputPath"}));
    } else if (*type == "Fail") {
      s.type = StateType::kFail;
      RETURN_IF_ERROR(
          CheckFields(name, o, {"Type", "Comment", "Error", "Cause", "ErrorPath", "CausePath"}));
      ASSIGN_OR_RETURN(s.error, OptString(name, o, "Error"));
      ASSIGN_OR_RETURN(s.cause, OptString(name, o, "Cause"));
      if (s.error && o.contains("ErrorPath")) {
        return Err(name, "ErrorPath", "cannot be used together with Error");
      }
      if (s.cause && o.contains("CausePath")) {
        return Err(name, "CausePath", "cannot be used together with Cause");
      }
      RETURN_IF_ERROR(PathOrIntrinsic(name, o, "ErrorPath", s.error_path, s.error_fn, ctx));
      RETURN_IF_ERROR(PathOrIntrinsic(name, o, "CausePath", s.cause_path, s.cause_fn, ctx));
    } else if (*type == "Parallel") {
      s.type = StateType::kParallel;
      RETURN_IF_ERROR(
          CheckFields(name, o,
                      {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath",
                       "Parameters", "ResultSelector", "Branches", "Retry", "Catch"}));
      auto b = o.find("Branches");
      if (b == o.end() || !b->value().is_array() || b->value().get_array().empty()) {
        return Err(name, "Branches", "is required: a non-empty array of state machines");
      }
      const json::array& arr = b->value().get_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        ASSIGN_OR_RETURN(std::unique_ptr<Machine> m,
                         CompileMachine(arr[i], name, fmt::format("Branches[{}]", i), false));
        s.branches.push_back(std::move(m));
      }
      ASSIGN_OR_RETURN(s.result_selector, OptTemplate(name, o, "ResultSelector", ctx));
    } else if (*type == "Map") {
      s.type = StateType::kMap;
      RETURN_IF_ERROR(
          CheckFields(name, o,
                      {"Type", "Comment", "Next", "End", "InputPath", "OutputPath", "ResultPath",
                       "Parameters", "ItemSelector", "ResultSelector", "Iterator", "ItemProcessor",
                       "ItemsPath", "MaxConcurrency", "Retry", "Catch"}));
      bool has_iterator = o.contains("Iterator"), has_processor = o.contains("ItemProcessor");
      if (has_iterator == has_processor) {
        return Err(name, "ItemProcessor",
                   "a Map state needs exactly one of ItemProcessor, Iterator");
      }
      std::string_view field = has_iterator ? "Iterator" : "ItemProcessor";
      const json::value& proc = o.at(field);
      if (has_processor && proc.is_object()) {
        if (auto pc = proc.get_object().find("ProcessorConfig"); pc != proc.get_object().end()) {
          if (!pc->value().is_object()) {
            return Err(name, "ItemProcessor.ProcessorConfig", "must be an object");
          }
          RETURN_IF_ERROR(CheckFields(name, pc->value().get_object(), {"Mode", "ExecutionType"},
                                      "ItemProcessor.ProcessorConfig."));
          auto mode = pc->value().get_object().find("Mode");
          if (mode != pc->value().get_object().end() && mode->value() != "INLINE") {
            return Err(name, "ItemProcessor.ProcessorConfig.Mode", "only \"INLINE\" is supported");
          }
        }
      } else if (proc.is_object() && proc.get_object().contains("ProcessorConfig")) {
        return Err(name, "Iterator.ProcessorConfig", "is only allowed in ItemProcessor");
      }
      ASSIGN_OR_RETURN(s.iterator, CompileMachine(proc, name, field, false));
      ASSIGN_OR_RETURN(s.items_path, OptPath(name, o, "ItemsPath", true));
      if (s.items_path && s.items_path->is_root()) s.items_path.reset();
      if (o.contains("ItemSelector") && o.contains("Parameters")) {
        return Err(name, "ItemSelector", "cannot be used together with Parameters");
      }
      ASSIGN_OR_RETURN(
          s.item_selector,
          OptTemplate(name, o, o.contains("Parameters") ? "Parameters" : "ItemSelector", ctx));
      ctx = true;  // $$.Map.Item is read by ItemSelector; cheap enough to always provide
      ASSIGN_OR_RETURN(std::optional<double> mc, OptInteger(name, o, "MaxConcurrency", false));
      if (mc) s.max_concurrency = static_cast<int>(*mc);
      ASSIGN_OR_RETURN(s.result_selector, OptTemplate(name, o, "ResultSelector", ctx));
    } else {
      return Err(name, "Type", fmt::format("unknown state type \"{}\"", *type));
    }

    if (s.type != StateType::kFail) {
      ASSIGN_OR_RETURN(s.input_path, NullablePath(name, o, "InputPath"));
      ASSIGN_OR_RETURN(s.output_path, NullablePath(name, o, "OutputPath"));
      for (const auto* p : {&s.input_path, &s.output_path}) {
        if (p->path && p->path->is_context()) ctx = true;
      }
    }
    if (auto rp = o.find("ResultPath"); rp != o.end()) {
      if (rp->value().is_null()) {
        s.result_path_null = true;
      } else if (!rp->value().is_string()) {
        return Err(name, "ResultPath", "must be a reference path or null");
      } else {
        ASSIGN_OR_RETURN(JsonPath p, ParsePath(name, "ResultPath", rp->value().get_string(), true));
        if (!p.is_root()) s.result_path = std::move(p);
      }
    }
    if (s.type == StateType::kPass || s.type == StateType::kTask ||
        s.type == StateType::kParallel) {
      ASSIGN_OR_RETURN(s.parameters, OptTemplate(name, o, "Parameters", ctx));
    }
    if (s.type == StateType::kPass || s.type == StateType::kTask || s.type == StateType::kWait ||
        s.type == StateType::kParallel || s.type == StateType::kMap) {
      RETURN_IF_ERROR(CompileTransition(name, o, index, s));
    } else {
      for (std::string_view k : {"Next", "End"}) {
        if (o.contains(k)) {
          return Err(name, k, fmt::format("a {} state cannot have {}", *type, k));
        }
      }
    }
    if (s.type == StateType::kTask || s.type == StateType::kParallel || s.type == StateType::kMap) {
      RETURN_IF_ERROR(CompileRetry(name, o, s));
      RETURN_IF_ERROR(CompileCatch(name, o, index, s));
    }
    s.uses_context = ctx;
    any_context_ |= ctx;
    return absl::OkStatus();
  }

  absl::Status PathOrIntrinsic(std::string_view state, const json::object& o, std::string_view key,
                               std::optional<JsonPath>& path, std::optional<Intrinsic>& fn,
                               bool& ctx) const {
    ASSIGN_OR_RETURN(std::optional<std::string> text, OptString(state, o, key));
    if (!text) return absl::OkStatus();
    if (LooksLikeIntrinsic(*text)) {
      absl::StatusOr<Intrinsic> f = Intrinsic::Parse(*text);
      if (!f.ok()) return Err(state, key, f.status().message().data());
      ctx |= f->uses_context();
      fn = *std::move(f);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(JsonPath p, ParsePath(state, key, *text, false));
    ctx |= p.is_context();
    path = std::move(p);
    return absl::OkStatus();
  }

  static bool RuleUsesContext(const ChoiceRule& r) {
    if (r.variable && r.variable->is_context()) return true;
    if (r.operand_path && r.operand_path->is_context()) return true;
    for (const ChoiceRule& c : r.children) {
      if (RuleUsesContext(c)) return true;
    }
    return false;
  }

  bool any_context() const { return any_context_; }

 private:
  const TaskRegistry& registry_;
  std::set<std::string> all_names_;
  bool any_context_ = false;
  bool top_level_ = true;  // compiling a state of the top-level machine
};

// Finds a key that appears twice in one JSON object (boost::json keeps only one of them, which
// would silently hide a duplicated state name). `text` is valid JSON. Returns the object's own
// key and the duplicate, or nullopt.
std::optional<std::pair<std::string, std::string>> FindDuplicateKey(std::string_view text) {
  struct Frame {
    bool is_object;
    std::string name;  // the key this object/array is the value of
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  std::string last_key, last_string;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      std::size_t start = ++i;
      while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
      last_string = std::string(text.substr(start, i - start));
      std::size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && text[j] == ':' && !stack.empty() && stack.back().is_object) {
        if (!stack.back().keys.insert(last_string).second) {
          return std::make_pair(stack.back().name, last_string);
        }
        last_key = last_string;
      }
    } else if (c == '{' || c == '[') {
      stack.push_back(Frame{c == '{', last_key, {}});
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
    }
  }
  return std::nullopt;
}

}  // namespace

Workflow::~Workflow() = default;

absl::StatusOr<std::shared_ptr<const Workflow>> Compile(const json::value& definition,
                                                        const TaskRegistry& registry) {
  if (!definition.is_object()) {
    return absl::InvalidArgumentError("a state machine definition must be a JSON object");
  }
  Compiler compiler(registry);
  ASSIGN_OR_RETURN(std::unique_ptr<Machine> machine,
                   compiler.CompileMachine(definition, "", "", true));
  std::shared_ptr<Workflow> wf(new Workflow());
  wf->machine_ = std::move(machine);
  wf->definition_ = definition;
  wf->uses_context_ = compiler.any_context();
  return std::shared_ptr<const Workflow>(std::move(wf));
}

absl::StatusOr<std::shared_ptr<const Workflow>> CompileText(std::string_view json_text,
                                                            const TaskRegistry& registry) {
  json::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("the definition is not valid JSON: {}", ec.message()));
  }
  if (auto dup = FindDuplicateKey(json_text)) {
    return absl::InvalidArgumentError(
        dup->first.empty()
            ? fmt::format("field \"{}\": appears twice", dup->second)
            : fmt::format("field \"{}\": key \"{}\" appears twice (state names must be unique)",
                          dup->first, dup->second));
  }
  return Compile(v, registry);
}

absl::StatusOr<std::shared_ptr<const Workflow>> CompileFile(const std::string& path,
                                                            const TaskRegistry& registry) {
  ASSIGN_OR_RETURN(const std::string text, common::ReadFile(path));
  auto workflow = CompileText(text, registry);
  if (!workflow.ok() && workflow.status().code() == absl::StatusCode::kInvalidArgument) {
    return absl::InvalidArgumentError(
        fmt::format("{}: invalid workflow: {}", path, std::string(workflow.status().message())));
  }
  return workflow;
}

}  // namespace ingestd::workflow
