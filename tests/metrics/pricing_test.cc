#include "metrics/pricing.h"

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace ingestd::metrics {
namespace {

using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParsePricing, EmptyObjectKeepsTheDocumentedDefaults) {
  ASSERT_OK_AND_ASSIGN(Pricing p, ParsePricing("{}"));
  EXPECT_DOUBLE_EQ(p.self_hosted.vcpu_hour, 0.04);
  EXPECT_DOUBLE_EQ(p.self_hosted.storage_gb_month, 0.08);
  EXPECT_DOUBLE_EQ(p.self_hosted.requests_per_million, 0.0);
  EXPECT_DOUBLE_EQ(p.serverless.lambda_requests_per_million, 0.20);
  EXPECT_DOUBLE_EQ(p.serverless.lambda_gb_second, 0.0000166667);
  EXPECT_DOUBLE_EQ(p.serverless.lambda_memory_mb, 128);
  EXPECT_DOUBLE_EQ(p.serverless.step_functions_per_1000_transitions, 0.025);
  EXPECT_DOUBLE_EQ(p.serverless.dynamodb_write_per_million, 1.25);
  EXPECT_DOUBLE_EQ(p.serverless.dynamodb_read_per_million, 0.25);
  EXPECT_DOUBLE_EQ(p.serverless.dynamodb_storage_gb_month, 0.25);
}

TEST(ParsePricing, OverridesOnlyTheKeysGiven) {
  ASSERT_OK_AND_ASSIGN(Pricing p, ParsePricing(R"({"self_hosted":{"vcpu_hour":0.1},
      "serverless":{"lambda_memory_mb":1024,"dynamodb_write_per_million":0}})"));
  EXPECT_DOUBLE_EQ(p.self_hosted.vcpu_hour, 0.1);
  EXPECT_DOUBLE_EQ(p.self_hosted.storage_gb_month, 0.08);
  EXPECT_DOUBLE_EQ(p.serverless.lambda_memory_mb, 1024);
  EXPECT_DOUBLE_EQ(p.serverless.dynamodb_write_per_million, 0);
  EXPECT_DOUBLE_EQ(p.serverless.lambda_requests_per_million, 0.20);
}

TEST(ParsePricing, RejectsWhatIsNotAPricingFile) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{"not json", "not valid JSON"},
           Case{"[1]", "must be a JSON object"},
           Case{R"({"self_hosted":{"vcpu_hours":1}})", "unknown key \"self_hosted.vcpu_hours\""},
           Case{R"({"selfhosted":{}})", "unknown key \"selfhosted\""},
           Case{R"({"serverless":3})", "must be an object"},
           Case{R"({"serverless":{"lambda_gb_second":"cheap"}})", "must be a number"},
           Case{R"({"serverless":{"lambda_gb_second":-1}})", ">= 0"},
           Case{R"({"serverless":{"lambda_memory_mb":64}})", "between 128 and 10240"},
       }) {
    EXPECT_THAT(ParsePricing(c.json),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.json;
  }
}

TEST(ParsePricing, RoundTripsThroughPricingToJson) {
  Pricing p;
  p.self_hosted.vcpu_hour = 0.5;
  p.serverless.step_functions_per_1000_transitions = 0.03;
  ASSERT_OK_AND_ASSIGN(Pricing back, ParsePricing(PricingToJson(p)));
  EXPECT_DOUBLE_EQ(back.self_hosted.vcpu_hour, 0.5);
  EXPECT_DOUBLE_EQ(back.serverless.step_functions_per_1000_transitions, 0.03);
}

TEST(LoadPricingFile, ReadsAFileAndNamesItInErrors) {
  ingestd::testing::TempDir dir;
  const std::string good = dir.path() + "/pricing.json";
  std::ofstream(good) << R"({"self_hosted":{"storage_gb_month":0.1}})";
  ASSERT_OK_AND_ASSIGN(Pricing p, LoadPricingFile(good));
  EXPECT_DOUBLE_EQ(p.self_hosted.storage_gb_month, 0.1);

  const std::string bad = dir.path() + "/bad.json";
  std::ofstream(bad) << R"({"oops":1})";
  EXPECT_THAT(LoadPricingFile(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
  EXPECT_THAT(LoadPricingFile(dir.path() + "/missing.json"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing.json")));
}

TEST(EstimateCosts, AppliesEachUnitPrice) {
  Pricing p;  // defaults
  Usage u;
  u.cpu_seconds = 3600;                                       // one vCPU-hour
  u.stored_byte_seconds = 1024.0 * 1024 * 1024 * 30 * 86400;  // one GB-month
  u.requests = 2'000'000;
  u.lambda_billed_ms = 8'000'000;  // 8000 s at 128 MB = 1000 GB-s
  u.state_transitions = 4000;
  u.write_units = 1'000'000;
  u.read_half_units = 4'000'000;  // 2M read units

  const Costs c = EstimateCosts(u, p);
  EXPECT_DOUBLE_EQ(c.self_hosted_cpu, 0.04);
  EXPECT_DOUBLE_EQ(c.self_hosted_storage, 0.08);
  EXPECT_DOUBLE_EQ(c.self_hosted_requests, 0.0);
  EXPECT_DOUBLE_EQ(c.self_hosted_usd, 0.12);
  EXPECT_DOUBLE_EQ(c.lambda_requests, 0.40);
  EXPECT_NEAR(c.lambda_compute, 1000 * 0.0000166667, 1e-12);
  EXPECT_DOUBLE_EQ(c.step_functions, 0.1);
  EXPECT_DOUBLE_EQ(c.dynamodb_writes, 1.25);
  EXPECT_DOUBLE_EQ(c.dynamodb_reads, 0.5);
  EXPECT_DOUBLE_EQ(c.dynamodb_storage, 0.25);
  EXPECT_NEAR(c.serverless_usd, 0.40 + 0.0166667 + 0.1 + 1.25 + 0.5 + 0.25, 1e-9);

  p.self_hosted.requests_per_million = 1.0;
  EXPECT_DOUBLE_EQ(EstimateCosts(u, p).self_hosted_requests, 2.0);
  EXPECT_DOUBLE_EQ(EstimateCosts(Usage{}, p).serverless_usd, 0.0);
}

}  // namespace
}  // namespace ingestd::metrics
