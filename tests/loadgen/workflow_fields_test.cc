#include "loadgen/workflow_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "loadgen/data_generator.h"
#include "testing/status_matchers.h"
#include "workflow/default_workflow.h"

namespace ingestd::loadgen {
namespace {

using ::ingestd::testing::StatusIs;

// The fallback in field_spec.cc and the built-in workflow must say the same thing.
TEST(FieldSpecsFromWorkflow, TheDefaultWorkflowHasTheFallbackRules) {
  ASSERT_OK_AND_ASSIGN(std::vector<FieldSpec> from_workflow,
                       FieldSpecsFromWorkflowText(workflow::DefaultIngestWorkflowText()));
  const std::vector<FieldSpec> fallback = DefaultFieldSpecs();
  ASSERT_EQ(from_workflow.size(), fallback.size());
  for (size_t i = 0; i < fallback.size(); ++i) {
    SCOPED_TRACE(fallback[i].name);
    EXPECT_EQ(from_workflow[i].name, fallback[i].name);
    EXPECT_EQ(from_workflow[i].pattern, fallback[i].pattern);
    EXPECT_EQ(from_workflow[i].min_len, fallback[i].min_len);
    EXPECT_EQ(from_workflow[i].max_len, fallback[i].max_len);
    EXPECT_EQ(from_workflow[i].control_characters_allowed, fallback[i].control_characters_allowed);
  }
  ASSERT_OK(DataGenerator::Create({.fields = from_workflow, .invalid_ratio = 0.5}).status());
}

TEST(FieldSpecsFromWorkflow, ReadsACustomDefinition) {
  const char* kDefinition = R"({
    "StartAt": "CheckCode",
    "States": {
      "CheckCode": {
        "Type": "Task",
        "Resource": "arn:aws:states:::ingestd:validate",
        "Parameters": {"field": "email", "value.$": "$.email", "pattern": "[a-z]{4,}@x\\.org",
                       "max_length": 40},
        "ResultPath": "$.checks.email",
        "End": true
      }
    }
  })";
  ASSERT_OK_AND_ASSIGN(std::vector<FieldSpec> fields, FieldSpecsFromWorkflowText(kDefinition));
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(fields[0].name, "email");
  EXPECT_EQ(fields[0].pattern, "[a-z]{4,}@x\\.org");
  EXPECT_EQ(fields[0].max_len, 40);
}

TEST(FieldSpecsFromWorkflow, RejectsBrokenOrFieldlessDefinitions) {
  EXPECT_THAT(FieldSpecsFromWorkflowText("{not json"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      FieldSpecsFromWorkflowText(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})"),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace ingestd::loadgen
