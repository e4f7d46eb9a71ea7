// The compiled form of an ASL definition: states linked by index, paths parsed, templates and
// Choice rules pre-built. Produced by compile.cc, read by execute.cc. Immutable.
#ifndef INGESTD_WORKFLOW_INTERNAL_MODEL_H_
#define INGESTD_WORKFLOW_INTERNAL_MODEL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "workflow/intrinsics.h"
#include "workflow/json_path.h"
#include "workflow/task.h"

namespace ingestd::workflow::internal {

// A Parameters / ResultSelector / ItemSelector payload template.
struct Template {
  enum class Kind { kLiteral, kPath, kIntrinsic, kObject, kArray };
  Kind kind = Kind::kLiteral;
  boost::json::value literal;          // kLiteral
  std::optional<JsonPath> path;        // kPath
  std::optional<Intrinsic> intrinsic;  // kIntrinsic
  std::vector<Template> members;       // kObject: one per key; kArray: one per element
  std::string key;                     // as a member: the output key (without ".$")
  std::string source_key;              // the key as written, for error messages
};

enum class Op {
  kAnd,
  kOr,
  kNot,
  kStringEquals,
  kStringLessThan,
  kStringGreaterThan,
  kStringLessThanEquals,
  kStringGreaterThanEquals,
  kStringMatches,
  kNumericEquals,
  kNumericLessThan,
  kNumericGreaterThan,
  kNumericLessThanEquals,
  kNumericGreaterThanEquals,
  kBooleanEquals,
  kTimestampEquals,
  kTimestampLessThan,
  kTimestampGreaterThan,
  kTimestampLessThanEquals,
  kTimestampGreaterThanEquals,
  kIsNull,
  kIsPresent,
  kIsNumeric,
  kIsString,
  kIsBoolean,
  kIsTimestamp,
};

struct ChoiceRule {
  Op op = Op::kAnd;
  std::optional<JsonPath> variable;
  boost::json::value operand;            // literal operand
  std::optional<JsonPath> operand_path;  // for the ...Path variants
  std::vector<ChoiceRule> children;      // And/Or/Not
  int next = -1;                         // top-level rules only
};

struct Retrier {
  std::vector<std::string> errors;
  double interval_seconds = 1;
  int max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  bool full_jitter = false;
};

struct Catcher {
  std::vector<std::string> errors;
  std::optional<JsonPath> result_path;  // nullopt: ResultPath null (discard the error)
  int next = -1;
};

enum class StateType { kPass, kTask, kChoice, kWait, kSucceed, kFail, kParallel, kMap };

struct Machine;

// A path-or-null field (InputPath, OutputPath): `null` in the definition means {}.
struct OptionalPath {
  bool is_null = false;
  std::optional<JsonPath> path;  // nullopt (and !is_null): "$", the default
};

struct State {
  std::string name;
  StateType type = StateType::kPass;
  int next = -1;  // -1 with end == true: terminal
  bool end = false;
  bool uses_context = false;

  OptionalPath input_path, output_path;
  bool result_path_null = false;
  std::optional<JsonPath> result_path;  // nullopt (and !null): "$"
  std::optional<Template> parameters, result_selector;

  // Pass
  std::optional<boost::json::value> result;
  // Task
  std::string resource;
  const TaskRegistry::Entry* task = nullptr;
  std::shared_ptr<const void> prepared;
  std::optional<double> timeout_seconds;
  std::optional<JsonPath> timeout_seconds_path;
  // ".waitForTaskToken": after `task` ran, the state waits for SendTaskSuccess/Failure.
  bool wait_for_task_token = false;
  std::optional<double> heartbeat_seconds;
  std::optional<JsonPath> heartbeat_seconds_path;
  // Choice
  std::vector<ChoiceRule> choices;
  int default_next = -1;
  // Wait
  std::optional<double> wait_seconds;
  std::optional<std::string> wait_timestamp;
  std::optional<JsonPath> wait_seconds_path, wait_timestamp_path;
  // Fail
  std::optional<std::string> error, cause;
  std::optional<JsonPath> error_path, cause_path;
  std::optional<Intrinsic> error_fn, cause_fn;
  // Parallel
  std::vector<std::unique_ptr<Machine>> branches;
  // Map
  std::unique_ptr<Machine> iterator;
  std::optional<JsonPath> items_path;
  std::optional<Template> item_selector;  // ItemSelector or (legacy) Parameters
  int max_concurrency = 0;                // 0: unlimited

  std::vector<Retrier> retriers;
  std::vector<Catcher> catchers;
};

struct Machine {
  std::vector<State> states;
  int start = 0;
  std::optional<double> timeout_seconds;
};

}  // namespace ingestd::workflow::internal

#endif  // INGESTD_WORKFLOW_INTERNAL_MODEL_H_
