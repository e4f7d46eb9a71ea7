// The contract between the ingest endpoint and the ingest workflow (the default one, and any
// `--workflow FILE` that wants the same HTTP behaviour).
//
// Input (MakeIngestInput): {"user_name": <string|null>, "email": <string|null>,
//   "pincode": <string|null>} — null when the field was absent from the request.
//
// Results:
//   * success, stored: the execution SUCCEEDS with the output of ingestd:store.put:
//       {"outcome": "created"|"replaced",
//        "item": {"id","user_name","email","pincode","created_at","updated_at"}}
//     → IngestOutcome::Kind::kStored; HTTP 201 when created, 200 when replaced; body = item.
//   * validation failure: the execution FAILS with error "ValidationFailed" and a cause that
//     is the JSON text {"message": "...", "fields": {"<field>": "<reason>", ...}} naming
//     exactly the failing fields (each reason is actionable: "is required", "must be 4 to 6
//     digits", ...). → kRejected; HTTP 400 with
//     {"error":"validation_failed","message":...,"fields":{...}}.
//   * waiting for an admin: the execution parked at a callback task (ExecutionResult::waiting)
//     → kPendingApproval; HTTP 202 {"status":"pending_approval","execution":"<ARN>"}.
//   * anything else (another error, or an output of the wrong shape): → kInternalError with
//     the error and cause (log them); HTTP 500 (or 503 when error is "Store.Unavailable").
//
//   ExecutionResult r = ...;   // from Execute(...)
//   IngestOutcome o = InterpretIngestResult(r);
//   switch (o.kind) { case IngestOutcome::Kind::kStored: ...; }
//
// The default workflow keeps each field's check in $.checks.<field> ({"valid", "reason"}) and
// the failing ones in $.fields, so a later approval branch can tell "exactly one of email/
// pincode invalid" apart.
#ifndef INGESTD_WORKFLOW_INGEST_CONTRACT_H_
#define INGESTD_WORKFLOW_INGEST_CONTRACT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "workflow/workflow.h"

namespace ingestd::workflow {

inline constexpr std::string_view kValidationFailedError = "ValidationFailed";

// One year: how long an approval waits by default (a Standard workflow's longest callback wait).
inline constexpr std::int64_t kDefaultApprovalTimeoutSeconds = std::int64_t{365} * 24 * 3600;

struct IngestInput {
  std::optional<std::string> user_name;
  std::optional<std::string> email;
  std::optional<std::string> pincode;
  // How long an approval may wait ($.approval_timeout_seconds; `serve --approval-timeout`).
  std::int64_t approval_timeout_seconds = kDefaultApprovalTimeoutSeconds;
};

// {"user_name": ..., "email": ..., "pincode": ..., "approval_timeout_seconds": N} with null for
// absent fields.
boost::json::value MakeIngestInput(const IngestInput& input);

struct IngestOutcome {
  enum class Kind { kStored, kRejected, kPendingApproval, kInternalError };
  Kind kind = Kind::kInternalError;

  // kStored
  bool created = false;      // true: a new item (201); false: replaced (200)
  boost::json::object item;  // the stored item, as the API prints it

  // kRejected
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  // field → reason, workflow order

  // kPendingApproval: the waiting execution's ARN
  std::string execution;

  // kInternalError
  std::string error;
  std::string cause;
};

// Maps an execution's result to the outcome above. Never fails: anything unexpected is
// kInternalError with a cause that says what was wrong.
IngestOutcome InterpretIngestResult(const ExecutionResult& result);
// Same, moving the item out of `result` instead of copying it.
IngestOutcome InterpretIngestResult(ExecutionResult&& result);

}  // namespace ingestd::workflow

#endif  // INGESTD_WORKFLOW_INGEST_CONTRACT_H_
