#include "metrics/process_stats.h"

#include <string>

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::metrics {
namespace {

using ::ingestd::testing::StatusIs;

// A real /proc/self/stat line, with a command name holding ") (" to trip naive parsers.
constexpr char kStat[] =
    "4242 (ingestd) (x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 12345 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ParseProcStat, ReadsCpuMemoryAndStartTime) {
  ASSERT_OK_AND_ASSIGN(ProcessStats s, ParseProcStat(kStat, 100, 4096, 1'700'000'000));
  EXPECT_DOUBLE_EQ(s.cpu_seconds, 3.0);  // (250 + 50) ticks / 100
  EXPECT_DOUBLE_EQ(s.virtual_bytes, 104857600);
  EXPECT_DOUBLE_EQ(s.resident_bytes, 2560.0 * 4096);
  EXPECT_DOUBLE_EQ(s.start_time_seconds, 1'700'000'000 + 123.45);
}

TEST(ParseProcStat, RejectsTruncatedText) {
  EXPECT_THAT(ParseProcStat("4242 (ingestd) S 1 2 3", 100, 4096, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseProcStat("garbage", 100, 4096, 0), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseBootTime, FindsTheBtimeLine) {
  ASSERT_OK_AND_ASSIGN(double btime, ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1699999000\n"));
  EXPECT_DOUBLE_EQ(btime, 1699999000);
  EXPECT_THAT(ParseBootTime("cpu 1\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ReadProcessStats, DescribesThisProcess) {
  ASSERT_OK_AND_ASSIGN(ProcessStats s, ReadProcessStats());
  EXPECT_GT(s.resident_bytes, 0);
  EXPECT_GE(s.virtual_bytes, s.resident_bytes);
  EXPECT_GE(s.open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GT(s.max_fds, 0);
  EXPECT_GT(s.start_time_seconds, 1'600'000'000);
  EXPECT_GE(s.cpu_seconds, 0);
}

}  // namespace
}  // namespace ingestd::metrics
