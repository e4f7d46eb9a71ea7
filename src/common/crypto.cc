#include "common/crypto.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace ingestd::common {
namespace {

// OpenSSL refuses null pointers even with length 0.
const unsigned char* Bytes(std::string_view s) {
  static constexpr unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

void FillRandom(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    std::fputs("ingestd: the system's random number generator failed\n", stderr);
    std::abort();
  }
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest out{};
  SHA256(Bytes(data), data.size(), out.data());
  return out;
}

Sha256Digest HmacSha256(std::string_view key, std::string_view data) {
  Sha256Digest out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), Bytes(key), static_cast<int>(key.size()), Bytes(data), data.size(), out.data(),
       &size);
  return out;
}

std::string HexLower(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";  // NOLINT(modernize-avoid-c-arrays)
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexLower(Sha256(data)); }

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexLower(HmacSha256(key, data));
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(Bytes(a), Bytes(b), a.size()) == 0;
}

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  FillRandom(buf.data(), buf.size());
  return HexLower(buf.data(), buf.size());
}

std::string RandomUuid() {
  std::array<unsigned char, 16> b{};
  FillRandom(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  const std::string hex = HexLower(b.data(), b.size());
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20);
}

}  // namespace ingestd::common
