#include "workflow/json_path.h"

#include <string>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;
using ::ingestd::testing::IsOk;
using ::ingestd::testing::StatusIs;

const json::value kDoc = json::parse(R"({
  "a": {"b": [10, 20, 30], "c": {"d": "x"}},
  "odd key": 1, "with.dot": 2, "items": [{"p": 5, "t": "s"}, {"p": 15, "t": "t"}, {"q": 1}],
  "n": null
})");

struct SelectCase {
  const char* path;
  const char* expected;  // JSON text, or nullptr for "no match"
  bool definite;
};

class JsonPathSelectTest : public ::testing::TestWithParam<SelectCase> {};

TEST_P(JsonPathSelectTest, SelectsExpectedValues) {
  const SelectCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(JsonPath p, JsonPath::Parse(c.path));
  EXPECT_EQ(p.is_definite(), c.definite);
  std::optional<json::value> got = p.Select(kDoc);
  if (c.expected == nullptr) {
    EXPECT_FALSE(got.has_value()) << json::serialize(*got);
  } else {
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, json::parse(c.expected)) << json::serialize(*got);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, JsonPathSelectTest,
    ::testing::Values(
        SelectCase{"$.a.c.d", R"("x")", true}, SelectCase{"$.a.b[1]", "20", true},
        SelectCase{"$.a.b[-1]", "30", true}, SelectCase{"$.a.b[3]", nullptr, true},
        SelectCase{"$['odd key']", "1", true}, SelectCase{"$[\"with.dot\"]", "2", true},
        SelectCase{"$.n", "null", true}, SelectCase{"$.missing", nullptr, true},
        SelectCase{"$.a.b[*]", "[10,20,30]", false}, SelectCase{"$.a.b[0:2]", "[10,20]", false},
        SelectCase{"$.a.b[::2]", "[10,30]", false}, SelectCase{"$.a.b[-2:]", "[20,30]", false},
        SelectCase{"$.a.b[0,2]", "[10,30]", false}, SelectCase{"$.items[*].p", "[5,15]", false},
        SelectCase{"$.items[?(@.p > 6)].t", R"(["t"])", false},
        SelectCase{"$.items[?(@.t == 's')].p", "[5]", false},
        SelectCase{"$.items[?(@.q)]", R"([{"q":1}])", false}, SelectCase{"$..d", R"(["x"])", false},
        SelectCase{"$.missing[*]", "[]", false}));

TEST(JsonPathTest, RootSelectsWholeDocument) {
  ASSERT_OK_AND_ASSIGN(JsonPath p, JsonPath::Parse("$"));
  EXPECT_TRUE(p.is_root());
  EXPECT_EQ(*p.Select(kDoc), kDoc);
  ASSERT_OK_AND_ASSIGN(JsonPath ctx, JsonPath::Parse("$$.Execution.Id"));
  EXPECT_TRUE(ctx.is_context());
}

TEST(JsonPathTest, RejectsMalformedPaths) {
  for (const char* bad : {"", "a.b", "$.", "$[", "$.a[", "$['x'", "$[?(x)]", "$.a]", "$[1:2:0]",
                          "$..", "$[?(@.a == )]"}) {
    EXPECT_THAT(JsonPath::Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_))
        << bad;
  }
}

struct AssignCase {
  const char* path;
  const char* before;
  const char* after;  // nullptr: ResultPathMatchFailure
};

class JsonPathAssignTest : public ::testing::TestWithParam<AssignCase> {};

TEST_P(JsonPathAssignTest, AssignsLikeResultPath) {
  const AssignCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(JsonPath p, JsonPath::Parse(c.path));
  json::value doc = json::parse(c.before);
  absl::Status s = p.Assign(doc, json::value("R"));
  if (c.after == nullptr) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  } else {
    ASSERT_THAT(s, IsOk());
    EXPECT_EQ(doc, json::parse(c.after)) << json::serialize(doc);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, JsonPathAssignTest,
    ::testing::Values(AssignCase{"$", R"({"a":1})", R"("R")"},
                      AssignCase{"$.r", R"({"a":1})", R"({"a":1,"r":"R"})"},
                      AssignCase{"$.a", R"({"a":1})", R"({"a":"R"})"},
                      AssignCase{"$.x.y.z", R"({})", R"({"x":{"y":{"z":"R"}}})"},
                      AssignCase{"$.l[1]", R"({"l":[0,1]})", R"({"l":[0,"R"]})"},
                      AssignCase{"$.l[5]", R"({"l":[0,1]})", nullptr},
                      AssignCase{"$.a.b", R"({"a":"str"})", nullptr},
                      AssignCase{"$.a", R"("not an object")", nullptr}));

TEST(JsonPathTest, AssignRejectsNonReferencePaths) {
  ASSERT_OK_AND_ASSIGN(JsonPath p, JsonPath::Parse("$.a[*]"));
  json::value doc = json::parse("{}");
  EXPECT_THAT(p.Assign(doc, 1), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace ingestd::workflow
