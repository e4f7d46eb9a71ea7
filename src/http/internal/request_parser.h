// A request parser on Beast's basic_parser that enforces ingestd's limits and tells which one
// a request broke, so the connection can answer 414 / 431 / 413 precisely.
#ifndef INGESTD_HTTP_INTERNAL_REQUEST_PARSER_H_
#define INGESTD_HTTP_INTERNAL_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/optional/optional.hpp>

#include "http/handler.h"
#include "http/server_options.h"

namespace ingestd::http::internal {

enum class LimitBroken { kNone, kRequestLine, kHeaderFields, kBody };

// Not thread-safe; one per request.
// Beast 1.81 hands the parser boost::core::string_view.
using beast_sv = boost::beast::string_view;

class RequestParser final : public bhttp::basic_parser<true> {
 public:
  explicit RequestParser(const Limits& limits);

  Request& get() { return request_; }
  Request release() { return std::move(request_); }

  // Which limit the request broke, once the parser reported an error.
  LimitBroken limit_broken() const { return limit_broken_; }

  // Called after error::header_limit: decides whether the request line or the header fields
  // were too long. Beast consumes the request line as soon as it is complete, so `received`
  // (the unparsed bytes) only matters while the request line has not been seen.
  void ClassifyHeaderOverflow(std::string_view received);

 private:
  void on_request_impl(Verb method, beast_sv method_str, beast_sv target, int version,
                       boost::beast::error_code& ec) override;
  void on_response_impl(int code, beast_sv reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(bhttp::field name, beast_sv name_string, beast_sv value,
                     boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(beast_sv body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, beast_sv extensions,
                            boost::beast::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, beast_sv body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  const Limits& limits_;
  Request request_;
  std::size_t field_count_ = 0;
  std::size_t field_bytes_ = 0;
  LimitBroken limit_broken_ = LimitBroken::kNone;
  bool saw_request_line_ = false;
};

}  // namespace ingestd::http::internal

#endif  // INGESTD_HTTP_INTERNAL_REQUEST_PARSER_H_
