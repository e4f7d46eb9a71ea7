#include "workflow/builtin_tasks.h"

#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;

FieldRule UserNameRule() {
  FieldRule r;
  r.field = "user_name";
  r.min_length = 1;
  r.max_length = 4;
  r.allow_control_characters = false;
  return r;
}

struct CheckCase {
  const char* value;   // nullptr: absent (null)
  const char* reason;  // nullptr: valid
};

class UserNameRuleTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(UserNameRuleTest, Checks) {
  ASSERT_OK_AND_ASSIGN(FieldValidator v, FieldValidator::Create(UserNameRule()));
  const CheckCase& c = GetParam();
  json::value value = c.value ? json::value(json::string(c.value)) : json::value(nullptr);
  std::optional<std::string> got = v.Check(value);
  if (c.reason == nullptr) {
    EXPECT_FALSE(got.has_value()) << *got;
  } else {
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, c.reason);
  }
}

constexpr char kControl[] =
    "must not contain control characters (such as tab, carriage return or line feed)";

INSTANTIATE_TEST_SUITE_P(
    Table, UserNameRuleTest,
    ::testing::Values(CheckCase{"Ann", nullptr}, CheckCase{nullptr, "is required"},
                      CheckCase{"", "must not be empty"},
                      CheckCase{"Zoë!", nullptr},      // 4 code points, 5 bytes
                      CheckCase{"日本語字", nullptr},  // 4 code points, 12 bytes
                      CheckCase{"😀😀😀😀", nullptr},      // 4 code points, 16 bytes
                      CheckCase{"Annie", "must be at most 4 characters"},
                      CheckCase{"a\tb", kControl}, CheckCase{"a\rb", kControl},
                      CheckCase{"a\nb", kControl}, CheckCase{"a\x7f", kControl},
                      CheckCase{"a\xc2\x85", kControl},  // U+0085 NEL (C1)
                      CheckCase{"a\xc2\x9f", kControl},  // U+009F (C1)
                      CheckCase{"a\xc2\xa0", nullptr},   // U+00A0 NBSP is not Cc
                      CheckCase{"\xff", "must be valid UTF-8 text"},
                      CheckCase{"\xc0\xaf", "must be valid UTF-8 text"},          // overlong
                      CheckCase{"\xed\xa0\x80", "must be valid UTF-8 text"},      // surrogate
                      CheckCase{"\xf4\x90\x80\x80", "must be valid UTF-8 text"},  // > U+10FFFF
                      CheckCase{"\xe6\x97", "must be valid UTF-8 text"}));        // truncated

TEST(FieldValidatorTest, PatternIsAFullMatchWithItsReason) {
  FieldRule r;
  r.field = "pincode";
  r.pattern = "[0-9]{4,6}";
  r.reason = "must be 4 to 6 digits";
  ASSERT_OK_AND_ASSIGN(FieldValidator v, FieldValidator::Create(r));
  EXPECT_EQ(v.CheckString("1234"), std::nullopt);
  EXPECT_EQ(v.CheckString("123456"), std::nullopt);
  EXPECT_EQ(v.CheckString("123"), "must be 4 to 6 digits");
  EXPECT_EQ(v.CheckString("1234567"), "must be 4 to 6 digits");
  EXPECT_EQ(v.CheckString("12a4"), "must be 4 to 6 digits");
  EXPECT_EQ(v.CheckString(" 1234"), "must be 4 to 6 digits");
  EXPECT_EQ(v.Check(json::value(1234)), "must be a string");
  r.reason.clear();
  ASSERT_OK_AND_ASSIGN(FieldValidator plain, FieldValidator::Create(r));
  EXPECT_EQ(plain.CheckString("1"), "must match the pattern [0-9]{4,6}");
}

TEST(FieldValidatorTest, OptionalFieldMayBeAbsent) {
  FieldRule r;
  r.field = "nick";
  r.required = false;
  ASSERT_OK_AND_ASSIGN(FieldValidator v, FieldValidator::Create(r));
  EXPECT_EQ(v.Check(json::value(nullptr)), std::nullopt);
}

TEST(FieldValidatorTest, RejectsBadRules) {
  FieldRule r;
  r.field = "x";
  r.pattern = "(";
  EXPECT_THAT(FieldValidator::Create(r),
              ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  r.pattern.reset();
  r.min_length = 5;
  r.max_length = 2;
  EXPECT_THAT(FieldValidator::Create(r),
              ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(BuiltinTasksTest, ValidateRejectsUnknownParameters) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  EXPECT_THAT(CompileText(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"ingestd:validate","Parameters":{"field":"x","value":"y","patern":"a"},
      "End":true}}})",
                          registry),
              ::ingestd::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  ::testing::HasSubstr("state \"T\": field \"Parameters.patern\"")));
  EXPECT_THAT(CompileText(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"ingestd:validate","Parameters":{"field":"x"},"End":true}}})",
                          registry),
              ::ingestd::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                           ::testing::HasSubstr("Parameters.value")));
}

TEST(BuiltinTasksTest, StorePutWithoutStoreIsUnavailable) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry, nullptr);
  ASSERT_OK_AND_ASSIGN(auto wf, CompileText(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"ingestd:store.put","Parameters":{"id":"a","user_name":"b","email":"a",
      "pincode":"1234"},"End":true}}})",
                                            registry));
  ExecutionResult r = ExecuteAndWait(wf, json::object());
  EXPECT_EQ(r.failure.error, "Store.Unavailable");
}

}  // namespace
}  // namespace ingestd::workflow
