// Choice rules, table-driven: each row is one rule (as JSON) and an input; the rule is
// compiled into a one-Choice workflow and must pick "Yes", "No" (Default) or fail.
#include "workflow/internal/choice.h"

#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;

struct ChoiceCase {
  const char* rule;      // a top-level rule without "Next"
  const char* input;     // JSON
  const char* expected;  // "Yes", "No", or an error name
};

class ChoiceRuleTest : public ::testing::TestWithParam<ChoiceCase> {};

TEST_P(ChoiceRuleTest, Decides) {
  const ChoiceCase& c = GetParam();
  json::value rule = json::parse(c.rule);
  rule.as_object()["Next"] = "Yes";
  json::object def = json::parse(R"({"StartAt":"C","States":{
      "C":{"Type":"Choice","Default":"No"},
      "Yes":{"Type":"Pass","Result":"Yes","End":true},
      "No":{"Type":"Pass","Result":"No","End":true}}})")
                         .as_object();
  def["States"].as_object()["C"].as_object()["Choices"] = json::array{rule};
  TaskRegistry registry;
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const Workflow> wf, Compile(def, registry));
  ExecutionResult r = ExecuteAndWait(wf, json::parse(c.input));
  if (r.succeeded) {
    EXPECT_EQ(r.output, json::value(c.expected));
  } else {
    EXPECT_EQ(r.failure.error, c.expected) << r.failure.cause;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ChoiceRuleTest,
    ::testing::Values(
        ChoiceCase{R"({"Variable":"$.s","StringEquals":"abc"})", R"({"s":"abc"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringEquals":"abc"})", R"({"s":"abd"})", "No"},
        ChoiceCase{R"({"Variable":"$.s","StringEquals":"1"})", R"({"s":1})", "No"},
        ChoiceCase{R"({"Variable":"$.s","StringLessThan":"b"})", R"({"s":"a"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringGreaterThan":"b"})", R"({"s":"a"})", "No"},
        ChoiceCase{R"({"Variable":"$.s","StringLessThanEquals":"a"})", R"({"s":"a"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringGreaterThanEquals":"a"})", R"({"s":"b"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringMatches":"log-*.txt"})", R"({"s":"log-1.txt"})",
                   "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringMatches":"*"})", R"({"s":""})", "Yes"},
        ChoiceCase{R"({"Variable":"$.s","StringMatches":"a\\*"})", R"({"s":"ab"})", "No"},
        ChoiceCase{R"({"Variable":"$.n","NumericEquals":5})", R"({"n":5.0})", "Yes"},
        ChoiceCase{R"({"Variable":"$.n","NumericEquals":5})", R"({"n":"5"})", "No"},
        ChoiceCase{R"({"Variable":"$.n","NumericLessThan":5})", R"({"n":-1})", "Yes"},
        ChoiceCase{R"({"Variable":"$.n","NumericGreaterThan":5})", R"({"n":5})", "No"},
        ChoiceCase{R"({"Variable":"$.n","NumericLessThanEquals":5.5})", R"({"n":5.5})", "Yes"},
        ChoiceCase{R"({"Variable":"$.n","NumericGreaterThanEquals":5})", R"({"n":4.9})", "No"},
        ChoiceCase{R"({"Variable":"$.b","BooleanEquals":false})", R"({"b":false})", "Yes"},
        ChoiceCase{R"({"Variable":"$.b","BooleanEquals":false})", R"({"b":0})", "No"},
        ChoiceCase{R"({"Variable":"$.t","TimestampEquals":"2020-01-01T00:00:00Z"})",
                   R"({"t":"2020-01-01T01:00:00+01:00"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.t","TimestampLessThan":"2020-01-01T00:00:00Z"})",
                   R"({"t":"2019-12-31T23:59:59Z"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.t","TimestampGreaterThan":"2020-01-01T00:00:00Z"})",
                   R"({"t":"not a time"})", "No"},
        ChoiceCase{R"({"Variable":"$.t","TimestampGreaterThanEquals":"2020-01-01T00:00:00Z"})",
                   R"({"t":"2020-01-01T00:00:00Z"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.t","TimestampLessThanEquals":"2020-01-01T00:00:00Z"})",
                   R"({"t":"2021-01-01T00:00:00Z"})", "No"},
        ChoiceCase{R"({"Variable":"$.a","NumericEqualsPath":"$.b"})", R"({"a":2,"b":2})", "Yes"},
        ChoiceCase{R"({"Variable":"$.a","NumericGreaterThanPath":"$.b"})", R"({"a":2,"b":1})",
                   "Yes"},
        ChoiceCase{R"({"Variable":"$.a","NumericLessThanEqualsPath":"$.b"})", R"({"a":3,"b":1})",
                   "No"},
        ChoiceCase{R"({"Variable":"$.a","StringGreaterThanPath":"$.b"})", R"({"a":"b","b":"a"})",
                   "Yes"},
        ChoiceCase{R"({"Variable":"$.a","StringLessThanEqualsPath":"$.b"})", R"({"a":"b","b":"a"})",
                   "No"},
        ChoiceCase{R"({"Variable":"$.a","StringGreaterThanEqualsPath":"$.b"})",
                   R"({"a":"a","b":"a"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.a","NumericLessThanPath":"$.missing"})", R"({"a":1})",
                   "States.Runtime"},
        ChoiceCase{R"({"Variable":"$.a","TimestampEqualsPath":"$.b"})",
                   R"({"a":"2020-01-01T00:00:00Z","b":"2020-01-01T00:00:00Z"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.a","TimestampLessThanEqualsPath":"$.b"})",
                   R"({"a":"2020-01-01T00:00:00Z","b":"2019-01-01T00:00:00Z"})", "No"},
        ChoiceCase{R"({"Variable":"$.a","TimestampGreaterThanEqualsPath":"$.b"})",
                   R"({"a":"2020-01-01T00:00:00Z","b":"2019-01-01T00:00:00Z"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.a","BooleanEqualsPath":"$.b"})", R"({"a":true,"b":false})",
                   "No"},
        ChoiceCase{R"({"Variable":"$.x","IsNull":true})", R"({"x":null})", "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsNull":false})", R"({"x":null})", "No"},
        ChoiceCase{R"({"Variable":"$.x","IsPresent":true})", R"({})", "No"},
        ChoiceCase{R"({"Variable":"$.x","IsPresent":false})", R"({})", "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsPresent":true})", R"({"x":null})", "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsNumeric":true})", R"({"x":"1"})", "No"},
        ChoiceCase{R"({"Variable":"$.x","IsString":true})", R"({"x":"1"})", "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsBoolean":true})", R"({"x":true})", "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsTimestamp":true})", R"({"x":"2016-08-18T17:33:00Z"})",
                   "Yes"},
        ChoiceCase{R"({"Variable":"$.x","IsTimestamp":true})", R"({"x":"2016-08-18"})", "No"},
        ChoiceCase{R"({"Variable":"$.x","StringEquals":"a"})", R"({})", "States.Runtime"},
        ChoiceCase{
            R"({"And":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","NumericEquals":1}]})",
            R"({"a":1})", "Yes"},
        ChoiceCase{
            R"({"And":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.a","NumericEquals":1}]})",
            R"({})", "No"},
        ChoiceCase{
            R"({"Or":[{"Variable":"$.a","NumericEquals":1},{"Variable":"$.a","NumericEquals":2}]})",
            R"({"a":2})", "Yes"},
        ChoiceCase{R"({"Not":{"Variable":"$.a","NumericEquals":1}})", R"({"a":1})", "No"},
        ChoiceCase{R"({"Variable":"$.items[*].p","IsPresent":true})", R"({"items":[]})", "No"},
        ChoiceCase{R"({"Variable":"$$.State.Name","StringEquals":"C"})", R"({})", "Yes"}));

struct GlobCase {
  const char* pattern;
  const char* text;
  bool matches;
};

class GlobTest : public ::testing::TestWithParam<GlobCase> {};

TEST_P(GlobTest, Matches) {
  EXPECT_EQ(internal::GlobMatches(GetParam().pattern, GetParam().text), GetParam().matches)
      << GetParam().pattern << " vs " << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, GlobTest,
    ::testing::Values(GlobCase{"*", "", true}, GlobCase{"", "", true}, GlobCase{"", "a", false},
                      GlobCase{"a*", "abc", true}, GlobCase{"*c", "abc", true},
                      GlobCase{"*b*", "abc", true}, GlobCase{"a*b*c", "aXbYc", true},
                      GlobCase{"a*b*c", "aXbY", false}, GlobCase{"**", "x", true},
                      GlobCase{"a\\*", "a*", true}, GlobCase{"a\\*", "ab", false},
                      GlobCase{"a\\\\b", "a\\b", true}, GlobCase{"*.log", "x.log.gz", false}));

}  // namespace
}  // namespace ingestd::workflow
