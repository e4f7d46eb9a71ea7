#include "store/cursor.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace ingestd::store {
namespace {

using ::ingestd::testing::StatusIs;

TEST(CursorTest, RoundTripsArbitraryBytes) {
  const std::string ids[] = {
      "a@example.com",
      "x",
      std::string("nul\0inside", 10),
      "\xff\xfe\x80 not utf-8",
      "ünïcødé@例え.jp",
      "'); DROP TABLE items;--",
      std::string(1024, 'z'),
  };
  for (const std::string& id : ids) {
    std::string cursor = EncodeCursor(id);
    EXPECT_EQ(cursor.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << cursor;
    EXPECT_LE(cursor.size(), kMaxCursorChars);
    ASSERT_OK_AND_ASSIGN(std::string decoded, DecodeCursor(cursor));
    EXPECT_EQ(decoded, id);
  }
}

TEST(CursorTest, EncodingIsStable) {
  // Cursors end up in links people keep; the format must not drift silently.
  EXPECT_EQ(EncodeCursor("a@example.com"), "AWFAZXhhbXBsZS5jb20");
}

TEST(CursorTest, RejectsWhatDoesNotDecode) {
  const std::string valid = EncodeCursor("a@example.com");
  struct Case {
    std::string name;
    std::string text;
  };
  const Case cases[] = {
      {"empty", ""},
      {"not base64", "%%%"},
      {"padding", valid + "="},
      {"standard alphabet", "AWF+ZXhh"},
      {"whitespace", "AWFA ZXhh"},
      {"newline", valid + "\n"},
      {"impossible length", "AWFAZ"},
      {"non-canonical low bits", "AWFAZXhhbXBsZS5jb21"},
      {"wrong version", EncodeCursor("a").replace(0, 2, "Am")},
      {"version only", "AQ"},
      {"zero version", "AGE"},
      {"too long", std::string(kMaxCursorChars + 4, 'A')},
      {"nul byte", std::string("AW\0E", 4)},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeCursor(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, "cursor is not valid"))
        << c.name;
  }
}

}  // namespace
}  // namespace ingestd::store
