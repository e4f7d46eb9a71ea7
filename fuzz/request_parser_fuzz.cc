// Fuzzes the HTTP request parser with ingestd's default limits, fed the way a connection
// feeds it: bytes arrive in pieces of arbitrary size into a flat buffer and put() runs in a
// loop (as Beast's own parser fuzz test does). It must never crash, never accept a body over
// the limit, and name a broken limit only with the matching error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "http/internal/request_parser.h"
#include "http/server_options.h"

namespace {

using ingestd::http::Limits;
using ingestd::http::internal::LimitBroken;
using ingestd::http::internal::RequestParser;
namespace bhttp = boost::beast::http;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte sets how many bytes each "read" delivers (1..256).
  const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
  ++data;
  --size;

  static const Limits kLimits;
  RequestParser parser(kLimits);
  parser.eager(true);
  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (!ec && !parser.is_done()) {
    if (offset < size) {
      const std::size_t n = std::min(piece, size - offset);
      buffer.commit(
          boost::asio::buffer_copy(buffer.prepare(n), boost::asio::buffer(data + offset, n)));
      offset += n;
    }
    bool progressed = false;
    while (!ec && !parser.is_done() && buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (used == 0) break;
      progressed = true;
    }
    if (offset >= size && !progressed) {
      // put_eof() requires that some of a message arrived (Beast asserts it).
      if (!ec && !parser.is_done() && parser.got_some()) parser.put_eof(ec);
      break;
    }
  }
  if (ec == bhttp::error::header_limit && parser.limit_broken() == LimitBroken::kNone) {
    const auto bytes = buffer.cdata();
    parser.ClassifyHeaderOverflow(
        std::string_view(static_cast<const char*>(bytes.data()), bytes.size()));
  }
  switch (parser.limit_broken()) {
    case LimitBroken::kNone:
      break;
    case LimitBroken::kRequestLine:
    case LimitBroken::kHeaderFields:
      if (ec != bhttp::error::header_limit) std::abort();
      break;
    case LimitBroken::kBody:
      if (ec != bhttp::error::body_limit) std::abort();
      break;
  }
  if (parser.get().body().size() > kLimits.max_body_bytes) std::abort();
  if (parser.is_done() && !ec) {
    // A complete request: what the server hands to a handler must be readable.
    const auto& req = parser.get();
    if (req.target().size() > kLimits.max_request_line) std::abort();
    (void)req.method_string();
    (void)req.keep_alive();
  }
  return 0;
}
