// Configuration of an http::Server.
//
// | option            | default      | meaning                                              |
// |-------------------|--------------|------------------------------------------------------|
// | host, port        | 127.0.0.1:0  | where to listen (0 = any free port)                  |
// | threads           | 0            | io threads (one io_context each); 0 = one per core   |
// | max_connections   | 10000        | connections beyond it get 503 and are closed         |
// | limits            | see Limits   | request line 8 KiB, headers 16 KiB / 100, body 1 MiB |
// | header_timeout    | 10s          | a request's header block must arrive within it       |
// | idle_timeout      | 60s          | a keep-alive connection may wait this long for more  |
// | body_timeout      | 30s          | the body must arrive within it after the headers     |
// | write_timeout     | 30s          | the client must take the response within it          |
#ifndef INGESTD_HTTP_SERVER_OPTIONS_H_
#define INGESTD_HTTP_SERVER_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "http/handler.h"

namespace ingestd::http {

struct Limits {
  std::size_t max_request_line = 8 * 1024;   // 414 beyond
  std::size_t max_header_bytes = 16 * 1024;  // 431 beyond (names + values + separators)
  std::size_t max_header_count = 100;        // 431 beyond
  std::size_t max_body_bytes = 1024 * 1024;  // 413 beyond
};

// What the server reports after each answered request (e.g. for metrics). Called on an io
// thread; must be cheap and thread-safe.
struct RequestRecord {
  std::string_view route;  // Router::RouteLabel, or "invalid" for unparseable requests
  Verb method;
  unsigned status;
  absl::Duration duration;  // from the complete header to the response written
  std::size_t request_bytes;
  std::size_t response_bytes;
};

struct ServerOptions {
  std::string name = "http";  // used in log lines
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int threads = 0;
  std::size_t max_connections = 10000;
  Limits limits;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration write_timeout = absl::Seconds(30);
  std::function<void(const RequestRecord&)> on_request;
};

}  // namespace ingestd::http

#endif  // INGESTD_HTTP_SERVER_OPTIONS_H_
