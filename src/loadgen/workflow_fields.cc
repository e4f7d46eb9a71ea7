#include "loadgen/workflow_fields.h"

#include <set>
#include <string>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "workflow/builtin_tasks.h"
#include "workflow/task.h"
#include "workflow/workflow.h"

namespace ingestd::loadgen {

absl::StatusOr<std::vector<FieldSpec>> FieldSpecsFromWorkflow(const workflow::Workflow& wf) {
  std::vector<FieldSpec> specs;
  std::set<std::string> seen;
  for (const workflow::FieldRule& rule : workflow::FieldRules(wf)) {
    if (!seen.insert(rule.field).second) continue;
    FieldSpec spec;
    spec.name = rule.field;
    spec.pattern = rule.pattern.value_or("");
    spec.min_len = static_cast<int>(rule.min_length);
    spec.max_len = rule.max_length ? static_cast<int>(*rule.max_length) : FieldSpec::kNoMaxLen;
    spec.control_characters_allowed = rule.allow_control_characters;
    specs.push_back(std::move(spec));
  }
  if (specs.empty()) {
    return absl::FailedPreconditionError(
        "the workflow checks no fields (no ingestd:validate task with literal parameters), so "
        "there is nothing to generate data from");
  }
  return specs;
}

absl::StatusOr<std::vector<FieldSpec>> FieldSpecsFromWorkflowText(std::string_view json_text) {
  workflow::TaskRegistry registry;
  workflow::RegisterBuiltinTasks(registry, nullptr);  // compiled to read, never run
  ASSIGN_OR_RETURN(std::shared_ptr<const workflow::Workflow> wf,
                   workflow::CompileText(json_text, registry));
  return FieldSpecsFromWorkflow(*wf);
}

}  // namespace ingestd::loadgen
