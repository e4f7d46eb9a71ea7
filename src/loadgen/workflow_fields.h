// The field rules of a workflow definition, as the load generator's FieldSpecs: the rules
// the service will check are the rules the load is generated from.
//
//   ASSIGN_OR_RETURN(std::vector<FieldSpec> fields, FieldSpecsFromWorkflowText(text));
//   ASSIGN_OR_RETURN(std::vector<FieldSpec> defaults, FieldSpecsFromWorkflowText(
//                        workflow::DefaultIngestWorkflowText()));
#ifndef INGESTD_LOADGEN_WORKFLOW_FIELDS_H_
#define INGESTD_LOADGEN_WORKFLOW_FIELDS_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "loadgen/field_spec.h"

namespace ingestd::workflow {
class Workflow;
}  // namespace ingestd::workflow

namespace ingestd::loadgen {

// One FieldSpec per field that an ingestd:validate task checks, in definition order (the
// first rule of a field wins when several tasks check it). FAILED_PRECONDITION when there is
// none.
absl::StatusOr<std::vector<FieldSpec>> FieldSpecsFromWorkflow(const workflow::Workflow& workflow);

// Compiles `json_text` (an ASL definition) with the built-in tasks and lists its fields.
// INVALID_ARGUMENT from the workflow compiler.
absl::StatusOr<std::vector<FieldSpec>> FieldSpecsFromWorkflowText(std::string_view json_text);

}  // namespace ingestd::loadgen

#endif  // INGESTD_LOADGEN_WORKFLOW_FIELDS_H_
