// The built-in Task resources (Resource "arn:aws:states:::ingestd:<name>", or the short
// alias "ingestd:<name>"):
//
//   "ingestd:validate"  — checks one field; the rules are the state's Parameters (data):
//       {"field": "email",                 name reported back (required, literal)
//        "value.$": "$.email",             the value to check (or "value": literal)
//        "required": true,                 null/absent is "is required" (default true)
//        "min_length": 1, "max_length": 256,   bounds in Unicode code points
//        "allow_control_characters": false,    reject Unicode Cc (C0, DEL, C1); default true
//        "pattern": "[0-9]{4,6}",          RE2, full match ("pattern.$" for a dynamic one)
//        "reason": "must be 4 to 6 digits"}    the message when the pattern does not match
//     Result: {"field": "email", "valid": true} or {"field": ..., "valid": false,
//     "reason": "<what a person should fix>"}. Strings are also checked for valid UTF-8.
//     A literal pattern is compiled once, at Compile time; a bad one fails Compile.
//   "ingestd:store.put" — upserts {"id","user_name","email","pincode"} (strings) through
//     store::Store::Put. Result: {"outcome": "created"|"replaced", "item": {id, user_name,
//     email, pincode, created_at, updated_at}} (RFC 3339 times). Errors: "Store.Unavailable"
//     (commit failed or no store; worth a Retry), "Store.InvalidItem", "Store.Error".
//   "ingestd:approval.waitForTaskToken" — asks an admin: the execution waits durably (see
//     workflow/durable.h) until the task token is decided — at /approvals, through
//     SendTaskSuccess/SendTaskFailure, or by the timeout. An approval's output is
//     {"approved": true, "comment"?}; a rejection fails with "Approval.Rejected". Parameters
//     must carry "TaskToken.$": "$$.Task.Token"; the rest is what the admin is shown.
//
//   TaskRegistry registry;
//   RegisterBuiltinTasks(registry, store.get());   // the store must outlive every execution
//
// FieldValidator is the same check as plain C++ (used by the task, benchmarks and tools).
// Thread-safety: FieldValidator is immutable; Check may run concurrently.
#ifndef INGESTD_WORKFLOW_BUILTIN_TASKS_H_
#define INGESTD_WORKFLOW_BUILTIN_TASKS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "absl/status/statusor.h"
#include "store/store.h"
#include "workflow/task.h"
#include "workflow/workflow.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace ingestd::store {
class Store;
}  // namespace ingestd::store

namespace ingestd::workflow {

// Canonical names are ARN-shaped (like AWS's "arn:aws:states:::dynamodb:putItem") so that
// standard ASL tooling accepts the definitions; the short forms are accepted as aliases.
inline constexpr std::string_view kValidateResource = "arn:aws:states:::ingestd:validate";
inline constexpr std::string_view kStorePutResource = "arn:aws:states:::ingestd:store.put";
inline constexpr std::string_view kValidateResourceAlias = "ingestd:validate";
inline constexpr std::string_view kStorePutResourceAlias = "ingestd:store.put";
inline constexpr std::string_view kApprovalResource = "arn:aws:states:::ingestd:approval";
inline constexpr std::string_view kApprovalResourceAlias = "ingestd:approval";

// Registers ingestd:validate, ingestd:store.put and ingestd:approval. `store` may be null:
// store.put then fails with Store.Unavailable (definitions still validate).
void RegisterBuiltinTasks(TaskRegistry& registry, store::Store* store);

// An item as the API prints it: {"id","user_name","email","pincode","created_at","updated_at"}
// (times in RFC 3339 UTC). ingestd:store.put returns this; the list endpoint prints the same.
boost::json::object ItemToJson(const store::Item& item);

class FieldValidator {
 public:
  // INVALID_ARGUMENT when the pattern does not compile or the bounds are inconsistent.
  static absl::StatusOr<FieldValidator> Create(FieldRule rule);

  // nullopt when `value` passes, else the reason (e.g. "is required", "must be 4 to 6
  // digits"). `value` null means absent.
  std::optional<std::string> Check(const boost::json::value& value) const;
  // Same for a present string.
  std::optional<std::string> CheckString(std::string_view value) const;

  const FieldRule& rule() const { return rule_; }

 private:
  FieldRule rule_;
  std::shared_ptr<const re2::RE2> re_;
};

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_BUILTIN_TASKS_H_
