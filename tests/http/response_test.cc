// Tests of response builders and the status mapping.
#include "http/response.h"

#include <string>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"

namespace ingestd::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct StatusCase {
  absl::StatusCode code;
  Status http;
};

class HttpStatusForTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(HttpStatusForTest, Maps) {
  EXPECT_EQ(HttpStatusFor(GetParam().code), GetParam().http)
      << absl::StatusCodeToString(GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HttpStatusForTest,
    ::testing::Values(StatusCase{absl::StatusCode::kOk, Status::ok},
                      StatusCase{absl::StatusCode::kInvalidArgument, Status::bad_request},
                      StatusCase{absl::StatusCode::kOutOfRange, Status::bad_request},
                      StatusCase{absl::StatusCode::kNotFound, Status::not_found},
                      StatusCase{absl::StatusCode::kAlreadyExists, Status::conflict},
                      StatusCase{absl::StatusCode::kAborted, Status::conflict},
                      StatusCase{absl::StatusCode::kFailedPrecondition, Status::conflict},
                      StatusCase{absl::StatusCode::kUnauthenticated, Status::unauthorized},
                      StatusCase{absl::StatusCode::kPermissionDenied, Status::forbidden},
                      StatusCase{absl::StatusCode::kResourceExhausted, Status::too_many_requests},
                      StatusCase{absl::StatusCode::kUnimplemented, Status::not_implemented},
                      StatusCase{absl::StatusCode::kUnavailable, Status::service_unavailable},
                      StatusCase{absl::StatusCode::kDeadlineExceeded, Status::gateway_timeout},
                      StatusCase{absl::StatusCode::kInternal, Status::internal_server_error},
                      StatusCase{absl::StatusCode::kUnknown, Status::internal_server_error},
                      StatusCase{absl::StatusCode::kDataLoss, Status::internal_server_error},
                      StatusCase{absl::StatusCode::kCancelled, Status::internal_server_error}));

boost::json::object Body(const Response& res) { return boost::json::parse(res.body()).as_object(); }

TEST(MakeErrorTest, Shape) {
  Response res = MakeError(Status::not_found, "not_found", "no \"route\" here");
  EXPECT_EQ(res.result(), Status::not_found);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(res.body().size()));
  boost::json::object body = Body(res);
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["error"], "not_found");
  EXPECT_EQ(body["message"], "no \"route\" here");
}

TEST(MakeResponseTest, ContentTypes) {
  EXPECT_EQ(MakeJson(Status::ok, "{}")[bhttp::field::content_type], "application/json");
  EXPECT_EQ(MakeText(Status::ok, "x")[bhttp::field::content_type], "text/plain; charset=utf-8");
  EXPECT_EQ(MakeHtml(Status::ok, "x")[bhttp::field::content_type], "text/html; charset=utf-8");
  Response res = MakeResponse(Status::accepted, "a/b", "12345");
  EXPECT_EQ(res.result(), Status::accepted);
  EXPECT_EQ(res[bhttp::field::content_length], "5");
  EXPECT_EQ(res.body(), "12345");
}

TEST(MakeErrorFromStatusTest, ClientErrorsKeepTheirMessage) {
  Response res = MakeErrorFromStatus(absl::InvalidArgumentError("limit must be 1 to 1000"));
  EXPECT_EQ(res.result(), Status::bad_request);
  EXPECT_EQ(Body(res)["error"], "bad_request");
  EXPECT_EQ(Body(res)["message"], "limit must be 1 to 1000");

  Response nf = MakeErrorFromStatus(absl::NotFoundError("no item x"));
  EXPECT_EQ(nf.result(), Status::not_found);
  EXPECT_EQ(Body(nf)["message"], "no item x");

  Response conflict = MakeErrorFromStatus(absl::FailedPreconditionError("decided already"));
  EXPECT_EQ(conflict.result(), Status::conflict);
  EXPECT_EQ(Body(conflict)["error"], "conflict");
  EXPECT_EQ(Body(conflict)["message"], "decided already");
}

TEST(MakeErrorFromStatusTest, ServerFaultsHideTheirMessage) {
  for (const absl::Status& s :
       {absl::InternalError("secret /var/db path"), absl::UnavailableError("secret fsync EIO"),
        absl::UnknownError("secret"), absl::DataLossError("secret"),
        absl::UnimplementedError("secret"), absl::DeadlineExceededError("secret")}) {
    Response res = MakeErrorFromStatus(s);
    EXPECT_GE(res.result_int(), 500u) << s;
    EXPECT_THAT(res.body(), Not(HasSubstr("secret"))) << s;
    EXPECT_THAT(std::string(Body(res)["message"].as_string()), HasSubstr("try again later"));
  }
  EXPECT_EQ(Body(MakeErrorFromStatus(absl::UnavailableError("x")))["error"], "unavailable");
  EXPECT_EQ(Body(MakeErrorFromStatus(absl::InternalError("x")))["error"], "internal");
  EXPECT_EQ(Body(MakeErrorFromStatus(absl::DeadlineExceededError("x")))["error"], "timeout");
}

}  // namespace
}  // namespace ingestd::http
