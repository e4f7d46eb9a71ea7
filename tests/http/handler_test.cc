// Tests of Responder: exactly one answer, 500 when dropped, nothing from a moved-from one.
#include "http/handler.h"

#include <memory>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/response.h"

namespace ingestd::http {
namespace {

using ::testing::HasSubstr;

// A SendFn that records what it is given.
struct Recorder {
  std::shared_ptr<std::vector<Response>> sent = std::make_shared<std::vector<Response>>();
  Responder::SendFn Fn() const {
    return [sent = sent](Response r) { sent->push_back(std::move(r)); };
  }
};

TEST(ResponderTest, SendsOnce) {
  Recorder rec;
  Responder respond(rec.Fn());
  EXPECT_TRUE(respond.pending());
  std::move(respond).Send(MakeText(Status::ok, "hi"));
  EXPECT_FALSE(respond.pending());
  ASSERT_EQ(rec.sent->size(), 1u);
  EXPECT_EQ(rec.sent->at(0).body(), "hi");
  // A second Send on the consumed Responder does nothing, nor does its destruction.
  std::move(respond).Send(MakeText(Status::ok, "again"));
  { Responder gone = std::move(respond); }
  EXPECT_EQ(rec.sent->size(), 1u);
}

TEST(ResponderTest, DroppedResponderAnswers500) {
  Recorder rec;
  { Responder respond(rec.Fn()); }
  ASSERT_EQ(rec.sent->size(), 1u);
  const Response& res = rec.sent->at(0);
  EXPECT_EQ(res.result(), Status::internal_server_error);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_THAT(res.body(), HasSubstr("\"error\":\"internal\""));
}

TEST(ResponderTest, MovedFromDoesNotAnswer) {
  Recorder rec;
  Responder first(rec.Fn());
  Responder second(std::move(first));
  EXPECT_FALSE(first.pending());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_TRUE(second.pending());
  { Responder drop = std::move(first); }  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(rec.sent->empty());
  std::move(second).Send(MakeText(Status::created, "x"));
  ASSERT_EQ(rec.sent->size(), 1u);
  EXPECT_EQ(rec.sent->at(0).result(), Status::created);
}

TEST(ResponderTest, MoveAssignOverPendingAnswers500ForTheOverwritten) {
  Recorder a;
  Recorder b;
  Responder ra(a.Fn());
  Responder rb(b.Fn());
  ra = std::move(rb);
  ASSERT_EQ(a.sent->size(), 1u);
  EXPECT_EQ(a.sent->at(0).result(), Status::internal_server_error);
  EXPECT_TRUE(b.sent->empty());
  std::move(ra).Send(MakeText(Status::ok, "b"));
  ASSERT_EQ(b.sent->size(), 1u);
  EXPECT_EQ(b.sent->at(0).body(), "b");
  EXPECT_EQ(a.sent->size(), 1u);
}

TEST(ResponderTest, DefaultConstructedIsNotPending) {
  Responder respond;
  EXPECT_FALSE(respond.pending());
}

}  // namespace
}  // namespace ingestd::http
