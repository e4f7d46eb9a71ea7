#include "common/crypto.h"

#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ingestd::common {
namespace {

using ::testing::MatchesRegex;

TEST(CryptoTest, Sha256MatchesFips180Vectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexLower(Sha256("abc")), Sha256Hex("abc"));
}

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
  // Test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key and empty data are valid inputs (RFC 2104), not errors.
  EXPECT_EQ(HmacSha256Hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(HexLower(HmacSha256("k", "d")), HmacSha256Hex("k", "d"));
}

TEST(CryptoTest, ConstantTimeEqualComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoTest, RandomValuesHaveTheirShapeAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string hex = RandomHex(16);
    EXPECT_THAT(hex, MatchesRegex("[0-9a-f]{32}"));
    std::string uuid = RandomUuid();
    EXPECT_THAT(uuid, MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                   "[0-9a-f]{12}"));
    seen.insert(hex);
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

}  // namespace
}  // namespace ingestd::common
