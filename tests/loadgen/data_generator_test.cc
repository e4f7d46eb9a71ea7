#include "loadgen/data_generator.h"

#include <map>
#include <string>
#include <unordered_set>

#include <boost/url/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <re2/re2.h>

#include "testing/status_matchers.h"

namespace ingestd::loadgen {
namespace {

using ::ingestd::testing::StatusIs;

constexpr int kRequests = 20'000;  // the 100,000-value checks are in regex_generator_test

// Decodes "a=1&b=2" the way the service does (Boost.URL).
std::map<std::string, std::string> DecodeQuery(const std::string& query) {
  const std::string target = "/?" + query;  // the view below points into it
  auto url = boost::urls::parse_uri_reference(target);
  std::map<std::string, std::string> out;
  for (const auto& param : url->params()) {
    EXPECT_EQ(out.count(param.key), 0u) << "field twice: " << param.key;
    out[param.key] = param.value;
  }
  return out;
}

// API.md's rule for user_name, checked independently of the generator: valid UTF-8, 1-256
// code points, none in Unicode category Cc (C0, DEL, C1).
bool UserNameValid(const std::string& s) {
  size_t code_points = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const size_t len = b0 < 0x80         ? 1
                       : (b0 >> 5) == 6  ? 2
                       : (b0 >> 4) == 14 ? 3
                       : (b0 >> 3) == 30 ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t c = len == 1 ? b0 : b0 & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      c = (c << 6) | (b & 0x3F);
    }
    const uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) return false;
    ++code_points;
    i += len;
  }
  return code_points >= 1 && code_points <= 256;
}

TEST(DataGenerator, RandomValidRequestsFollowEveryDefaultRuleWithDistinctEmails) {
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create({}));
  RE2 email_re(DefaultFieldSpecs()[1].pattern);
  RE2 pincode_re(DefaultFieldSpecs()[2].pattern);
  Rng rng(5);
  RequestData request;
  std::unordered_set<std::string> emails;
  for (uint64_t i = 0; i < kRequests; ++i) {
    ASSERT_OK(gen.Next(i, rng, &request));
    ASSERT_EQ(request.invalid_field, -1);
    std::map<std::string, std::string> fields = DecodeQuery(request.query);
    ASSERT_EQ(fields.size(), 3u) << request.query;
    ASSERT_TRUE(UserNameValid(fields["user_name"])) << fields["user_name"];
    ASSERT_TRUE(RE2::FullMatch(fields["email"], email_re)) << fields["email"];
    ASSERT_TRUE(RE2::FullMatch(fields["pincode"], pincode_re)) << fields["pincode"];
    ASSERT_TRUE(emails.insert(fields["email"]).second) << "duplicate " << fields["email"];
  }
}

TEST(DataGenerator, UniqueOffsetKeepsEmailsDistinctAcrossTheWrap) {
  DataOptions options;
  options.unique_offset = ~uint64_t{0} - 10;  // wraps around the pattern's capacity at once
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create(options));
  Rng rng(1);
  RequestData request;
  std::unordered_set<std::string> emails;
  for (uint64_t i = 0; i < 1000; ++i) {
    ASSERT_OK(gen.Next(i, rng, &request));
    ASSERT_TRUE(emails.insert(DecodeQuery(request.query)["email"]).second);
  }
}

TEST(DataGenerator, InvalidRequestsBreakExactlyOneRuleAndNeverMatch) {
  DataOptions options;
  options.invalid_ratio = 1;
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create(options));
  RE2 email_re(DefaultFieldSpecs()[1].pattern);
  RE2 pincode_re(DefaultFieldSpecs()[2].pattern);
  Rng rng(6);
  RequestData request;
  std::map<int, int> broken;
  for (uint64_t i = 0; i < kRequests; ++i) {
    ASSERT_OK(gen.Next(i, rng, &request));
    ASSERT_GE(request.invalid_field, 0);
    ++broken[request.invalid_field];
    std::map<std::string, std::string> f = DecodeQuery(request.query);
    const bool name_ok = UserNameValid(f["user_name"]);
    const bool email_ok = RE2::FullMatch(f["email"], email_re);
    const bool pincode_ok = RE2::FullMatch(f["pincode"], pincode_re);
    ASSERT_EQ(name_ok, request.invalid_field != 0) << request.query;
    ASSERT_EQ(email_ok, request.invalid_field != 1) << request.query;
    ASSERT_EQ(pincode_ok, request.invalid_field != 2) << request.query;
  }
  // Each field is broken about a third of the time.
  for (int field = 0; field < 3; ++field) EXPECT_NEAR(broken[field], kRequests / 3, 600);
}

TEST(DataGenerator, InvalidRatioIsTheShareOfInvalidRequests) {
  DataOptions options;
  options.invalid_ratio = 0.2;
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create(options));
  Rng rng(8);
  RequestData request;
  int invalid = 0;
  for (uint64_t i = 0; i < 20'000; ++i) {
    ASSERT_OK(gen.Next(i, rng, &request));
    invalid += request.invalid_field >= 0;
  }
  EXPECT_NEAR(invalid, 4000, 250);
}

TEST(DataGenerator, FixedModeSendsTheSeedsTriple) {
  DataOptions options;
  options.mode = DataMode::kFixed;
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create(options));
  Rng rng(1);
  RequestData request;
  ASSERT_OK(gen.Next(0, rng, &request));
  EXPECT_EQ(request.query, "user_name=Rishabh&email=rishabh@example.com&pincode=560001");
  std::map<std::string, std::string> f = DecodeQuery(request.query);
  EXPECT_TRUE(RE2::FullMatch(f["email"], RE2(DefaultFieldSpecs()[1].pattern)));
  EXPECT_TRUE(RE2::FullMatch(f["pincode"], RE2(DefaultFieldSpecs()[2].pattern)));
}

TEST(DataGenerator, FieldsFromAWorkflowAreHonoured) {
  DataOptions options;
  options.fields = {
      {.name = "user_name", .pattern = "", .min_len = 3, .max_len = 5},
      {.name = "email", .pattern = "[a-z]+@corp\\.example", .min_len = 0, .max_len = 26},
      {.name = "pincode", .pattern = "[1-9][0-9]{5}", .min_len = 0, .max_len = -1},
      {.name = "team", .pattern = "(red|blue|green)", .min_len = 0, .max_len = -1},
  };
  options.invalid_ratio = 0.5;
  ASSERT_OK_AND_ASSIGN(DataGenerator gen, DataGenerator::Create(options));
  Rng rng(12);
  RequestData request;
  std::unordered_set<std::string> emails;
  for (uint64_t i = 0; i < 20'000; ++i) {
    ASSERT_OK(gen.Next(i, rng, &request));
    std::map<std::string, std::string> f = DecodeQuery(request.query);
    for (size_t k = 0; k < gen.fields().size(); ++k) {
      const std::string& value = f[gen.fields()[k].spec().name];
      ASSERT_EQ(gen.fields()[k].IsValid(value), static_cast<int>(k) != request.invalid_field)
          << gen.fields()[k].spec().name << "=" << value;
    }
    if (request.invalid_field != 1) {
      ASSERT_TRUE(emails.insert(f["email"]).second);
    }
  }
}

TEST(DataGenerator, RejectsBadOptions) {
  DataOptions bad_ratio;
  bad_ratio.invalid_ratio = 1.5;
  EXPECT_THAT(DataGenerator::Create(bad_ratio), StatusIs(absl::StatusCode::kInvalidArgument));

  DataOptions fixed_invalid;
  fixed_invalid.mode = DataMode::kFixed;
  fixed_invalid.invalid_ratio = 0.1;
  EXPECT_THAT(DataGenerator::Create(fixed_invalid), StatusIs(absl::StatusCode::kInvalidArgument));

  DataOptions no_carrier;
  no_carrier.fields = {{.name = "email", .pattern = "(a|bc)@x\\.com"}};
  EXPECT_THAT(DataGenerator::Create(no_carrier), StatusIs(absl::StatusCode::kInvalidArgument));

  DataOptions impossible_length;
  impossible_length.fields = {{.name = "email", .pattern = "[a-z]{2}", .min_len = 5, .max_len = 9}};
  EXPECT_THAT(DataGenerator::Create(impossible_length),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  DataOptions matches_all;
  matches_all.unique_field = "";
  matches_all.fields = {{.name = "note", .pattern = "(?s).*", .control_characters_allowed = true}};
  matches_all.invalid_ratio = 0.1;
  EXPECT_THAT(DataGenerator::Create(matches_all), StatusIs(absl::StatusCode::kFailedPrecondition));

  DataOptions fixed_against_other_rules;
  fixed_against_other_rules.mode = DataMode::kFixed;
  fixed_against_other_rules.fields = DefaultFieldSpecs();
  fixed_against_other_rules.fields[2].pattern = "[0-9]{4}";
  EXPECT_THAT(DataGenerator::Create(fixed_against_other_rules),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  EXPECT_THAT(ParseDataMode("sometimes"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AppendQueryEncoded, EncodesEverythingButUnreservedAndAt) {
  std::string out;
  AppendQueryEncoded("a b&c=d+é@x~_.-", &out);
  EXPECT_EQ(out, "a%20b%26c%3Dd%2B%C3%A9@x~_.-");
}

}  // namespace
}  // namespace ingestd::loadgen
