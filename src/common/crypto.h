// The few cryptographic helpers the service needs, on OpenSSL's libcrypto: SHA-256, HMAC-SHA256,
// hex, constant-time comparison, and unguessable random ids (task tokens, execution names,
// webhook delivery ids).
//
//   std::string sig = common::HmacSha256Hex(secret, body);     // lowercase hex
//   if (common::ConstantTimeEqual(sig, given)) { ... }
//   std::string name = common::RandomUuid();                   // "3f2a...-4...-8...-..."
//
// Thread-safety: every function may be called from any thread.
#ifndef INGESTD_COMMON_CRYPTO_H_
#define INGESTD_COMMON_CRYPTO_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace ingestd::common {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest Sha256(std::string_view data);
// HMAC-SHA256 of `data` keyed by `key` (either may be empty).
Sha256Digest HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of `size` bytes at `data`.
std::string HexLower(const unsigned char* data, std::size_t size);
inline std::string HexLower(const Sha256Digest& d) { return HexLower(d.data(), d.size()); }

// Lowercase hex of Sha256 / HmacSha256.
std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares without leaking where `a` and `b` differ (their lengths may leak).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// `bytes` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes), as lowercase hex.
// Aborts the process if no randomness is available: every caller needs it to be unguessable.
std::string RandomHex(std::size_t bytes);
// A random version-4 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx") from the same source.
std::string RandomUuid();

}  // namespace ingestd::common

#endif  // INGESTD_COMMON_CRYPTO_H_
