#include "http/internal/request_parser.h"

#include <algorithm>
#include <string>

#include <boost/beast/http/error.hpp>

namespace ingestd::http::internal {

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
  // The whole header (request line + fields + CRLFs) may use both budgets; the finer checks
  // below decide which one a request broke.
  header_limit(static_cast<std::uint32_t>(limits.max_request_line + limits.max_header_bytes +
                                          4 * (limits.max_header_count + 2)));
  body_limit(limits.max_body_bytes);
}

void RequestParser::ClassifyHeaderOverflow(std::string_view received) {
  if (saw_request_line_) {
    limit_broken_ = LimitBroken::kHeaderFields;
    return;
  }
  const std::size_t eol = received.find('\n');
  limit_broken_ = (eol == std::string_view::npos || eol > limits_.max_request_line + 1)
                      ? LimitBroken::kRequestLine
                      : LimitBroken::kHeaderFields;
}

void RequestParser::on_request_impl(Verb method, beast_sv method_str, beast_sv target, int version,
                                    boost::beast::error_code& ec) {
  // "METHOD SP target SP HTTP/x.y"
  if (method_str.size() + target.size() + 10 > limits_.max_request_line) {
    limit_broken_ = LimitBroken::kRequestLine;
    ec = bhttp::error::header_limit;
    return;
  }
  saw_request_line_ = true;
  if (method == Verb::unknown) {
    request_.method_string(method_str);
  } else {
    request_.method(method);
  }
  request_.target(target);
  request_.version(version);
}

void RequestParser::on_response_impl(int, beast_sv, int, boost::beast::error_code& ec) {
  ec = bhttp::error::bad_version;  // never a response on a server connection
}

void RequestParser::on_field_impl(bhttp::field name, beast_sv name_string, beast_sv value,
                                  boost::beast::error_code& ec) {
  ++field_count_;
  field_bytes_ += name_string.size() + value.size() + 4;  // ": " and CRLF
  if (field_count_ > limits_.max_header_count || field_bytes_ > limits_.max_header_bytes) {
    limit_broken_ = LimitBroken::kHeaderFields;
    ec = bhttp::error::header_limit;
    return;
  }
  request_.insert(name, name_string, value);
}

void RequestParser::on_header_impl(boost::beast::error_code&) {}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      boost::beast::error_code& ec) {
  if (content_length) {
    if (*content_length > limits_.max_body_bytes) {
      limit_broken_ = LimitBroken::kBody;
      ec = bhttp::error::body_limit;
      return;
    }
    request_.body().reserve(static_cast<std::size_t>(*content_length));
  }
}

std::size_t RequestParser::on_body_impl(beast_sv body, boost::beast::error_code& ec) {
  if (request_.body().size() + body.size() > limits_.max_body_bytes) {
    limit_broken_ = LimitBroken::kBody;
    ec = bhttp::error::body_limit;
    return 0;
  }
  request_.body().append(body);
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, beast_sv,
                                         boost::beast::error_code& ec) {
  if (request_.body().size() + size > limits_.max_body_bytes) {
    limit_broken_ = LimitBroken::kBody;
    ec = bhttp::error::body_limit;
  }
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, beast_sv body,
                                              boost::beast::error_code& ec) {
  return on_body_impl(body, ec);
}

void RequestParser::on_finish_impl(boost::beast::error_code&) {}

}  // namespace ingestd::http::internal
