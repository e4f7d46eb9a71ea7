// The golden cases: tests/workflow/cases/<NNN_name>/ holds definition.asl.json, optionally
// input.json, and expected.json — one of
//   {"output": <JSON>}                       the execution succeeds with exactly this output
//   {"error": "E", "cause": "C"}             it fails with error E (and cause C, if given)
//   {"invalid": "text"}                      Compile rejects the definition; the message
//                                            contains "text"
// plus optionally "elapsed_seconds": N (virtual time the run took: Wait, Retry, timeouts).
// Time is virtual (ManualClock + ManualScheduler); executions are named "golden".
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "store/store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/test_tasks.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json::value ReadJson(const fs::path& p) { return json::parse(Slurp(p)); }

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(INGESTD_WORKFLOW_CASES_DIR)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpected) {
  fs::path dir = fs::path(INGESTD_WORKFLOW_CASES_DIR) / GetParam();
  json::value expected = ReadJson(dir / "expected.json");
  const json::object& exp = expected.as_object();

  const absl::Time start = absl::FromUnixSeconds(1'700'000'000);  // 2023-11-14T22:13:20Z
  common::ManualClock clock(start);
  ManualScheduler scheduler(&clock);
  store::StoreOptions store_options;
  store_options.clock = &clock;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Store> store,
                       store::OpenStore("memory:", store_options));
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, store.get());
  testing::RegisterTestTasks(registry, &clock, &scheduler);

  absl::StatusOr<std::shared_ptr<const Workflow>> wf =
      CompileText(Slurp(dir / "definition.asl.json"), registry);
  if (const json::value* invalid = exp.if_contains("invalid")) {
    ASSERT_FALSE(wf.ok()) << "the definition should be rejected";
    EXPECT_THAT(std::string(wf.status().message()),
                ::testing::HasSubstr(std::string(invalid->as_string())));
    return;
  }
  ASSERT_OK(wf.status());
  json::value input =
      fs::exists(dir / "input.json") ? ReadJson(dir / "input.json") : json::value(json::object());

  ExecutionOptions options;
  options.name = "golden";
  options.clock = &clock;
  options.scheduler = &scheduler;
  absl::Notification finished;
  ExecutionResult result;
  Execute(*wf, input, options, [&](ExecutionResult r) {
    result = std::move(r);
    finished.Notify();
  });
  // Virtual time: run timers until the execution ends. Store callbacks arrive on the store's
  // thread in real time, so when no timer is pending, wait (briefly) for one of them.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!finished.HasBeenNotified()) {
    if (!scheduler.AdvanceToNext()) {
      finished.WaitForNotificationWithTimeout(absl::Milliseconds(1));
    }
    ASSERT_LT(absl::Now(), deadline) << "the execution never finished";
  }
  store->Close();

  if (const json::value* output = exp.if_contains("output")) {
    ASSERT_TRUE(result.succeeded) << result.failure.error << ": " << result.failure.cause;
    EXPECT_EQ(result.output, *output) << "got " << json::serialize(result.output);
  } else {
    ASSERT_FALSE(result.succeeded) << "unexpected success: " << json::serialize(result.output);
    EXPECT_EQ(result.failure.error, exp.at("error").as_string()) << result.failure.cause;
    if (const json::value* cause = exp.if_contains("cause")) {
      EXPECT_EQ(result.failure.cause, cause->as_string());
    }
    if (const json::value* cause = exp.if_contains("cause_contains")) {
      EXPECT_THAT(result.failure.cause, ::testing::HasSubstr(std::string(cause->as_string())));
    }
  }
  if (const json::value* elapsed = exp.if_contains("elapsed_seconds")) {
    EXPECT_EQ(absl::ToDoubleSeconds(clock.Now() - start), elapsed->to_number<double>());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace ingestd::workflow
