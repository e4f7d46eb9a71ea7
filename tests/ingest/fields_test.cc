// Tests of ExtractFields: the query string, JSON and form bodies, duplicates, and errors.
#include "ingest/fields.h"

#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::ingest {
namespace {

using ::ingestd::testing::StatusIs;
using ::testing::HasSubstr;

struct OkCase {
  std::string name;
  RequestParts parts;
  std::optional<std::string> user_name;
  std::optional<std::string> email;
  std::optional<std::string> pincode;
  bool any_present;
};

class ExtractFieldsOkTest : public ::testing::TestWithParam<OkCase> {};

TEST_P(ExtractFieldsOkTest, ExtractsTheGivenValues) {
  const OkCase& c = GetParam();
  ASSERT_OK_AND_ASSIGN(Fields fields, ExtractFields(c.parts));
  EXPECT_EQ(fields.user_name, c.user_name);
  EXPECT_EQ(fields.email, c.email);
  EXPECT_EQ(fields.pincode, c.pincode);
  EXPECT_EQ(fields.any_present, c.any_present);
}

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

INSTANTIATE_TEST_SUITE_P(
    Cases, ExtractFieldsOkTest,
    ::testing::Values(
        OkCase{"NoQuery", {.target = "/"}, std::nullopt, std::nullopt, std::nullopt, false},
        OkCase{"AllThreeInQuery",
               {.target = "/?user_name=Ann&email=a%40b.com&pincode=1234"},
               "Ann",
               "a@b.com",
               "1234",
               true},
        OkCase{"PercentDecoding",
               {.target = "/?user_name=%C3%A9%20x%2By%26z%3D"},
               "\xC3\xA9 x+y&z=",
               std::nullopt,
               std::nullopt,
               true},
        OkCase{"PlusIsSpaceInQuery",
               {.target = "/?user_name=Ann+Lee"},
               "Ann Lee",
               std::nullopt,
               std::nullopt,
               true},
        OkCase{"PlusIsSpaceInForm",
               {.target = "/", .content_type = kForm, .body = "user_name=Ann+Lee&pincode=12%2B3"},
               "Ann Lee",
               std::nullopt,
               "12+3",
               true},
        OkCase{"EmptyValueIsPresent", {.target = "/?email="}, std::nullopt, "", std::nullopt, true},
        OkCase{"KeyWithoutEqualsIsPresentAndEmpty",
               {.target = "/?pincode"},
               std::nullopt,
               std::nullopt,
               "",
               true},
        OkCase{"UnknownParametersIgnored",
               {.target = "/?limit=5&format=html&User_Name=x"},
               std::nullopt,
               std::nullopt,
               std::nullopt,
               false},
        OkCase{
            "QueryAndBodyCombine",
            {.target = "/?user_name=Ann", .content_type = kJson, .body = R"({"email":"a@b.com"})"},
            "Ann",
            "a@b.com",
            std::nullopt,
            true},
        OkCase{"JsonAllThree",
               {.target = "/",
                .content_type = kJson,
                .body = R"({"user_name":"A\u00e9\n","email":"a@b.com","pincode":"1234"})"},
               "A\xC3\xA9\n",
               "a@b.com",
               "1234",
               true},
        OkCase{"JsonWithCharsetParameter",
               {.target = "/",
                .content_type = "application/json; charset=utf-8",
                .body = R"({"pincode":"9999"})"},
               std::nullopt,
               std::nullopt,
               "9999",
               true},
        OkCase{"JsonMediaTypeIsCaseInsensitive",
               {.target = "/", .content_type = " Application/JSON ", .body = R"({"pincode":"1"})"},
               std::nullopt,
               std::nullopt,
               "1",
               true},
        OkCase{"JsonNullIsAbsent",
               {.target = "/", .content_type = kJson, .body = R"({"email":null,"pincode":"1"})"},
               std::nullopt,
               std::nullopt,
               "1",
               true},
        OkCase{"JsonNestedKeysIgnored",
               {.target = "/",
                .content_type = kJson,
                .body = R"({"x":{"email":"nested@b.com","user_name":5},"y":[{"pincode":1}],)"
                        R"("email":"top@b.com"})"},
               std::nullopt,
               "top@b.com",
               std::nullopt,
               true},
        OkCase{"JsonOtherKeysOfAnyType",
               {.target = "/",
                .content_type = kJson,
                .body = R"({"n":1,"b":true,"z":null,"a":[1,2],"user_name":"u"})"},
               "u",
               std::nullopt,
               std::nullopt,
               true},
        OkCase{"JsonSurroundingWhitespace",
               {.target = "/", .content_type = kJson, .body = " \r\n\t{\"pincode\":\"1\"} \n"},
               std::nullopt,
               std::nullopt,
               "1",
               true},
        OkCase{"JsonEmptyObject",
               {.target = "/", .content_type = kJson, .body = "{}"},
               std::nullopt,
               std::nullopt,
               std::nullopt,
               false},
        OkCase{"EmptyBodyWithUnknownTypeIsFine",
               {.target = "/?pincode=1", .content_type = "text/plain", .body = ""},
               std::nullopt,
               std::nullopt,
               "1",
               true},
        OkCase{"FormPercentDecoding",
               {.target = "/", .content_type = kForm, .body = "email=a%40b.com&other=1"},
               std::nullopt,
               "a@b.com",
               std::nullopt,
               true}),
    [](const ::testing::TestParamInfo<OkCase>& p) { return p.param.name; });

struct ErrorCase {
  std::string name;
  RequestParts parts;
  absl::StatusCode code;
  std::string message_part;
};

class ExtractFieldsErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ExtractFieldsErrorTest, Fails) {
  const ErrorCase& c = GetParam();
  EXPECT_THAT(ExtractFields(c.parts), StatusIs(c.code, HasSubstr(c.message_part)));
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

INSTANTIATE_TEST_SUITE_P(
    Cases, ExtractFieldsErrorTest,
    ::testing::Values(
        ErrorCase{"DuplicateInQuery", {.target = "/?email=a&email=b"}, kInvalid, "\"email\""},
        ErrorCase{"JsonTopLevelString",
                  {.target = "/", .content_type = kJson, .body = "\"x\""},
                  kInvalid,
                  "must be an object"},
        ErrorCase{
            "DuplicateEmptyInQuery", {.target = "/?pincode&pincode="}, kInvalid, "more than once"},
        ErrorCase{"DuplicateInForm",
                  {.target = "/", .content_type = kForm, .body = "user_name=a&user_name=a"},
                  kInvalid,
                  "\"user_name\""},
        ErrorCase{"DuplicateInJson",
                  {.target = "/", .content_type = kJson, .body = R"({"email":"a","email":"a"})"},
                  kInvalid,
                  "\"email\""},
        ErrorCase{"DuplicateInJsonWithNull",
                  {.target = "/", .content_type = kJson, .body = R"({"email":null,"email":"a"})"},
                  kInvalid,
                  "\"email\""},
        ErrorCase{"DuplicateAcrossQueryAndJson",
                  {.target = "/?email=a", .content_type = kJson, .body = R"({"email":"a"})"},
                  kInvalid,
                  "\"email\""},
        ErrorCase{"DuplicateAcrossQueryAndForm",
                  {.target = "/?pincode=1", .content_type = kForm, .body = "pincode=2"},
                  kInvalid,
                  "\"pincode\""},
        ErrorCase{
            "JsonArray", {.target = "/", .content_type = kJson, .body = "[]"}, kInvalid, "object"},
        ErrorCase{
            "JsonNumber", {.target = "/", .content_type = kJson, .body = "5"}, kInvalid, "object"},
        ErrorCase{
            "JsonNull", {.target = "/", .content_type = kJson, .body = "null"}, kInvalid, "object"},
        ErrorCase{
            "JsonTrue", {.target = "/", .content_type = kJson, .body = "true"}, kInvalid, "object"},
        ErrorCase{"JsonFieldNumber",
                  {.target = "/", .content_type = kJson, .body = R"({"pincode":1234})"},
                  kInvalid,
                  "\"pincode\" must be a JSON string"},
        ErrorCase{"JsonFieldDouble",
                  {.target = "/", .content_type = kJson, .body = R"({"pincode":1.5})"},
                  kInvalid,
                  "must be a JSON string"},
        ErrorCase{"JsonFieldBool",
                  {.target = "/", .content_type = kJson, .body = R"({"email":false})"},
                  kInvalid,
                  "\"email\" must be a JSON string"},
        ErrorCase{"JsonFieldObject",
                  {.target = "/", .content_type = kJson, .body = R"({"user_name":{"a":"b"}})"},
                  kInvalid,
                  "\"user_name\" must be a JSON string"},
        ErrorCase{"JsonFieldArray",
                  {.target = "/", .content_type = kJson, .body = R"({"user_name":["a"]})"},
                  kInvalid,
                  "\"user_name\" must be a JSON string"},
        ErrorCase{"JsonInvalidUtf8",
                  {.target = "/", .content_type = kJson, .body = "{\"user_name\":\"\xFF\"}"},
                  kInvalid,
                  "does not parse"},
        ErrorCase{"JsonTruncated",
                  {.target = "/", .content_type = kJson, .body = R"({"user_name":"a")"},
                  kInvalid,
                  "does not parse"},
        ErrorCase{"JsonTrailingObject",
                  {.target = "/", .content_type = kJson, .body = R"({"email":"a"} {})"},
                  kInvalid,
                  ""},
        ErrorCase{"JsonTrailingArray",
                  {.target = "/", .content_type = kJson, .body = R"({"email":"a"}[])"},
                  kInvalid,
                  ""},
        ErrorCase{"JsonTrailingGarbage",
                  {.target = "/", .content_type = kJson, .body = R"({} x)"},
                  kInvalid,
                  ""},
        ErrorCase{"JsonSyntax",
                  {.target = "/", .content_type = kJson, .body = "{user_name:1}"},
                  kInvalid,
                  "does not parse"},
        ErrorCase{"UnknownContentType",
                  {.target = "/", .content_type = "text/plain", .body = "user_name=a"},
                  absl::StatusCode::kUnimplemented,
                  "text/plain"},
        ErrorCase{"MissingContentTypeWithBody",
                  {.target = "/", .content_type = "", .body = "user_name=a"},
                  absl::StatusCode::kUnimplemented,
                  "Content-Type"},
        ErrorCase{"MalformedEscapeInQuery", {.target = "/?email=%zz"}, kInvalid, "query string"},
        ErrorCase{"TruncatedEscapeInQuery", {.target = "/?email=a%4"}, kInvalid, "query string"},
        ErrorCase{"MalformedEscapeInForm",
                  {.target = "/", .content_type = kForm, .body = "email=%zz"},
                  kInvalid,
                  "form body"},
        ErrorCase{"SpaceInQuery", {.target = "/?email=a b"}, kInvalid, "query string"}),
    [](const ::testing::TestParamInfo<ErrorCase>& p) { return p.param.name; });

}  // namespace
}  // namespace ingestd::ingest
