// Includes testing/status_matchers.h for the workflow tests. That header names
// testing::PrintToString from inside namespace ingestd::testing, where `testing` means
// ingestd::testing; until it says ::testing, make the name resolve there.
#ifndef INGESTD_TESTS_WORKFLOW_MATCHERS_H_
#define INGESTD_TESTS_WORKFLOW_MATCHERS_H_

#include <gmock/gmock.h>

namespace ingestd::testing {
using ::testing::PrintToString;
}  // namespace ingestd::testing

#include "testing/status_matchers.h"  // IWYU pragma: export

#endif  // INGESTD_TESTS_WORKFLOW_MATCHERS_H_
