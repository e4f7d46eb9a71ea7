#include "loadgen/report.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::loadgen {
namespace {

using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseRatio, AcceptsFractionsAndPercentages) {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c : {Case{"0", 0}, Case{"0.05", 0.05}, Case{"1", 1}, Case{"5%", 0.05},
                        Case{"100%", 1}, Case{"0.5%", 0.005}}) {
    ASSERT_OK_AND_ASSIGN(double v, ParseRatio(c.text));
    EXPECT_DOUBLE_EQ(v, c.value) << c.text;
  }
  for (const char* bad : {"", "%", "1.5", "-0.1", "150%", "abc", "0.1x", "nan"}) {
    EXPECT_THAT(ParseRatio(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

LoadResult SampleResult() {
  LoadResult r;
  r.counts.sent = 1000;
  r.counts.responses = 990;
  r.counts.valid_sent = 900;
  r.counts.invalid_sent = {50, 30, 20};
  r.counts.status[201] = 890;
  r.counts.status[400] = 100;
  r.counts.errors[static_cast<size_t>(ErrorKind::kTimeout)] = 10;
  r.counts.reconnects = 3;
  for (int i = 1; i <= 990; ++i) r.counts.latency.Record(static_cast<uint64_t>(i) * 10'000);
  r.elapsed = absl::Seconds(10);
  r.target_rate = 100;
  r.achieved_rate = 99;
  return r;
}

TEST(CheckGates, BreachesOnlyWhatIsOverTheLimit) {
  const LoadResult r = SampleResult();  // 1% errors, p99 about 9.8 ms
  EXPECT_TRUE(CheckGates(r, {}).empty());
  EXPECT_TRUE(CheckGates(r, {.max_error_rate = 0.01, .max_p99 = absl::Milliseconds(10)}).empty());
  std::vector<std::string> breaches =
      CheckGates(r, {.max_error_rate = 0.005, .max_p99 = absl::Milliseconds(5)});
  ASSERT_EQ(breaches.size(), 2u);
  EXPECT_THAT(breaches[0], HasSubstr("error rate 1.000%"));
  EXPECT_THAT(breaches[1], HasSubstr("p99"));
  LoadResult empty;
  EXPECT_EQ(CheckGates(empty, {.max_p99 = absl::Seconds(1)}).size(), 1u);
}

TEST(ReportJson, CarriesTheCountsForMachines) {
  LoadOptions options;
  options.url = "http://127.0.0.1:1/";
  const std::vector<FieldSpec> fields = DefaultFieldSpecs();
  const std::string text = ReportJson(SampleResult(), options, fields, {"p99 too high"});
  boost::json::value v = boost::json::parse(text);
  EXPECT_EQ(v.at("requests").at("sent").as_int64(), 1000);
  EXPECT_EQ(v.at("requests").at("responses").as_int64(), 990);
  EXPECT_DOUBLE_EQ(v.at("requests").at("error_rate").as_double(), 0.01);
  EXPECT_EQ(v.at("status").at("201").as_int64(), 890);
  EXPECT_EQ(v.at("status").at("400").as_int64(), 100);
  EXPECT_EQ(v.at("errors").at("timeout").as_int64(), 10);
  EXPECT_EQ(v.at("data").at("invalid").at("email").as_int64(), 30);
  EXPECT_EQ(v.at("data").at("valid").as_int64(), 900);
  EXPECT_NEAR(v.at("latency_us").at("p50").as_double(), 4950, 50);
  EXPECT_DOUBLE_EQ(v.at("target_rate").as_double(), 100);
  EXPECT_FALSE(v.at("gates").at("passed").as_bool());
  EXPECT_EQ(v.at("gates").at("breaches").as_array().size(), 1u);
}

TEST(FormatSummary, ShowsRateStatusLatencyAndErrors) {
  LoadOptions options;
  options.url = "http://127.0.0.1:1/";
  const std::string text = FormatSummary(SampleResult(), options, DefaultFieldSpecs());
  EXPECT_THAT(text, HasSubstr("99.0 req/s achieved of 100.0 req/s target"));
  EXPECT_THAT(text, HasSubstr("201: 890"));
  EXPECT_THAT(text, HasSubstr("p99.9"));
  EXPECT_THAT(text, HasSubstr("timeout: 10"));
  EXPECT_THAT(text, HasSubstr("email: 30"));
}

TEST(FormatLatency, PicksAReadableUnit) {
  EXPECT_EQ(FormatLatency(999), "999ns");
  EXPECT_EQ(FormatLatency(850'000), "850us");
  EXPECT_EQ(FormatLatency(12'340'000), "12.34ms");
  EXPECT_EQ(FormatLatency(1'200'000'000), "1.20s");
}

}  // namespace
}  // namespace ingestd::loadgen
