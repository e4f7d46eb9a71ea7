// GoogleTest matchers for absl::Status and absl::StatusOr<T>.
//
//   EXPECT_THAT(store->Ping(), IsOk());
//   EXPECT_THAT(DecodeCursor("%%%"), StatusIs(absl::StatusCode::kInvalidArgument));
//   ASSERT_OK_AND_ASSIGN(Item item, GetItem("a@b.com"));
#ifndef INGESTD_TESTS_TESTING_STATUS_MATCHERS_H_
#define INGESTD_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ingestd::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has status code and message") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace ingestd::testing

#define INGESTD_TESTING_CONCAT_INNER(a, b) a##b
#define INGESTD_TESTING_CONCAT(a, b) INGESTD_TESTING_CONCAT_INNER(a, b)

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::ingestd::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::ingestd::testing::IsOk())

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(INGESTD_TESTING_CONCAT(ingestd_statusor_, __LINE__), lhs, rexpr)
#define ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = *std::move(statusor)

#endif  // INGESTD_TESTS_TESTING_STATUS_MATCHERS_H_
