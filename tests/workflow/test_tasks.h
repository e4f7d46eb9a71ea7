// Task resources for tests and golden cases, named like the Lambda ARNs of the AWS docs'
// examples so that the definitions also pass asl-validator:
//   arn:aws:lambda:us-east-1:123456789012:function:Echo   → returns its Parameters
//   ...:function:Fail    → fails with {"error","cause"} from its Parameters
//   ...:function:Flaky   → fails with Parameters.error for the first Parameters.failures calls
//                          (per registry), then returns Parameters.result
//   ...:function:Sleep   → completes after Parameters.seconds on the scheduler, returning
//                          Parameters.result
//   ...:function:Add     → Parameters.a + Parameters.b
#ifndef INGESTD_TESTS_WORKFLOW_TEST_TASKS_H_
#define INGESTD_TESTS_WORKFLOW_TEST_TASKS_H_

#include <atomic>
#include <memory>

#include "common/clock.h"
#include "workflow/scheduler.h"
#include "workflow/task.h"

namespace ingestd::workflow::testing {

inline constexpr char kEchoArn[] = "arn:aws:lambda:us-east-1:123456789012:function:Echo";

// Registers the resources above. `clock` and `scheduler` must outlive the registry's use.
void RegisterTestTasks(TaskRegistry& registry, const common::Clock* clock, Scheduler* scheduler);

}  // namespace ingestd::workflow::testing

#endif  // INGESTD_TESTS_WORKFLOW_TEST_TASKS_H_
