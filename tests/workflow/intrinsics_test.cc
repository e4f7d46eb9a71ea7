#include "workflow/intrinsics.h"

#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;
using ::ingestd::testing::StatusIs;

const json::value kInput = json::parse(R"({
  "name": "Ann", "n": 3, "arr": [1, 2, 2, 3], "obj": {"a": 1}, "s": "a-b-c", "b64": "aGk=",
  "json": "{\"k\":[1]}"
})");
const json::value kContext = json::parse(R"({"Execution": {"Name": "exec-1"}})");

struct EvalCase {
  const char* call;
  const char* expected;  // JSON text; nullptr: States.IntrinsicFailure
};

class IntrinsicEvalTest : public ::testing::TestWithParam<EvalCase> {};

TEST_P(IntrinsicEvalTest, Evaluates) {
  const EvalCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(Intrinsic fn, Intrinsic::Parse(c.call));
  json::value out;
  Failure failure;
  bool ok = fn.Evaluate(kInput, &kContext, out, failure);
  if (c.expected == nullptr) {
    EXPECT_FALSE(ok) << json::serialize(out);
    EXPECT_EQ(failure.error, "States.IntrinsicFailure");
    EXPECT_FALSE(failure.cause.empty());
  } else {
    ASSERT_TRUE(ok) << failure.cause;
    EXPECT_EQ(out, json::parse(c.expected)) << json::serialize(out);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, IntrinsicEvalTest,
    ::testing::Values(
        EvalCase{"States.Format('Hi {}, {} items', $.name, $.n)", R"("Hi Ann, 3 items")"},
        EvalCase{"States.Format('\\{\\} {}', 'x')", R"("{} x")"},
        EvalCase{"States.Format('it\\'s {}', $$.Execution.Name)", R"("it's exec-1")"},
        EvalCase{"States.Format('back\\\\slash')", R"("back\\slash")"},
        EvalCase{"States.Format('{} {}', 'one')", nullptr},
        EvalCase{"States.Format('{}', $.obj)", nullptr},
        EvalCase{"States.StringToJson($.json)", R"({"k":[1]})"},
        EvalCase{"States.StringToJson('not json')", nullptr},
        EvalCase{"States.JsonToString($.obj)", R"("{\"a\":1}")"}, EvalCase{"States.Array()", "[]"},
        EvalCase{"States.Array(1, 'a', $.n)", R"([1,"a",3])"},
        EvalCase{"States.ArrayPartition($.arr, 3)", "[[1,2,2],[3]]"},
        EvalCase{"States.ArrayPartition($.arr, 0)", nullptr},
        EvalCase{"States.ArrayContains($.arr, 3)", "true"},
        EvalCase{"States.ArrayContains($.arr, 'x')", "false"},
        EvalCase{"States.ArrayRange(10, 1, -3)", "[10,7,4,1]"},
        EvalCase{"States.ArrayRange(1, 2000, 1)", nullptr},
        EvalCase{"States.ArrayRange(1, 3, 0)", nullptr},
        EvalCase{"States.ArrayGetItem($.arr, 3)", "3"},
        EvalCase{"States.ArrayGetItem($.arr, -1)", nullptr},
        EvalCase{"States.ArrayLength($.arr)", "4"}, EvalCase{"States.ArrayLength($.obj)", nullptr},
        EvalCase{"States.ArrayUnique($.arr)", "[1,2,3]"},
        EvalCase{"States.Base64Encode('hi')", R"("aGk=")"},
        EvalCase{"States.Base64Decode($.b64)", R"("hi")"},
        EvalCase{"States.Base64Decode('***')", nullptr},
        EvalCase{"States.Hash('abc', 'SHA-256')",
                 R"("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")"},
        EvalCase{"States.Hash('abc', 'CRC32')", nullptr},
        EvalCase{"States.JsonMerge($.obj, States.StringToJson('{\"b\":2}'), false)",
                 R"({"a":1,"b":2})"},
        EvalCase{"States.JsonMerge($.obj, $.obj, true)", nullptr},
        EvalCase{"States.MathAdd($.n, -5)", "-2"}, EvalCase{"States.MathAdd(1.5, 1)", "2.5"},
        EvalCase{"States.MathAdd('1', 1)", nullptr}, EvalCase{"States.MathRandom(5, 5)", "5"},
        EvalCase{"States.StringSplit($.s, '-')", R"(["a","b","c"])"},
        EvalCase{"States.ArrayLength($.missing)", nullptr}));

TEST(IntrinsicTest, UuidIsVersion4) {
  ASSERT_OK_AND_ASSIGN(Intrinsic fn, Intrinsic::Parse("States.UUID()"));
  json::value a, b;
  Failure f;
  ASSERT_TRUE(fn.Evaluate(kInput, nullptr, a, f));
  ASSERT_TRUE(fn.Evaluate(kInput, nullptr, b, f));
  std::string s(a.as_string());
  ASSERT_EQ(s.size(), 36u);
  EXPECT_EQ(s[14], '4');
  EXPECT_THAT(std::string("89ab"), ::testing::HasSubstr(std::string(1, s[19])));
  EXPECT_NE(a, b);
}

TEST(IntrinsicTest, MathRandomStaysInRangeAndSeedIsDeterministic) {
  ASSERT_OK_AND_ASSIGN(Intrinsic fn, Intrinsic::Parse("States.MathRandom(1, 3)"));
  for (int i = 0; i < 100; ++i) {
    json::value v;
    Failure f;
    ASSERT_TRUE(fn.Evaluate(kInput, nullptr, v, f));
    EXPECT_GE(v.as_int64(), 1);
    EXPECT_LE(v.as_int64(), 3);
  }
  ASSERT_OK_AND_ASSIGN(Intrinsic seeded, Intrinsic::Parse("States.MathRandom(1, 1000000, 42)"));
  json::value x, y;
  Failure f;
  ASSERT_TRUE(seeded.Evaluate(kInput, nullptr, x, f));
  ASSERT_TRUE(seeded.Evaluate(kInput, nullptr, y, f));
  EXPECT_EQ(x, y);
}

TEST(IntrinsicTest, ParseRejectsBadCalls) {
  for (const char* bad :
       {"States.Nope()", "States.Format(", "States.Format('x'", "States.ArrayLength()",
        "States.UUID(1)", "States.Array('unterminated)", "States.Array('\\n')", "States.Array(foo)",
        "States.Array(1) trailing", "States.JsonMerge($.a, $.b)", "States.Array($.a[)"}) {
    EXPECT_THAT(Intrinsic::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_))
        << bad;
  }
}

TEST(IntrinsicTest, ReportsContextUse) {
  EXPECT_TRUE(Intrinsic::Parse("States.Array(States.Format('{}', $$.State.Name))")->uses_context());
  EXPECT_FALSE(Intrinsic::Parse("States.Array($.a)")->uses_context());
}

}  // namespace
}  // namespace ingestd::workflow
