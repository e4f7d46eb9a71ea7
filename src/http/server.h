// The HTTP/1.1 server: Boost.Beast on Asio, one io_context per io thread, keep-alive,
// request limits (414/431/413), header/idle/body/write deadlines, a connection cap, and a
// graceful shutdown that finishes in-flight requests.
//
//   Router router;
//   router.Add("/healthz", {Verb::get}, HealthHandler);
//   ASSIGN_OR_RETURN(auto server, Server::Start({.host = "127.0.0.1", .port = 8080}, router));
//   ...                        // serving on server->port()
//   server->Shutdown(absl::Seconds(10));
//
// Thread-safety: Start/Shutdown from one controlling thread; port() from any. The router must
// outlive the server.
#ifndef INGESTD_HTTP_SERVER_H_
#define INGESTD_HTTP_SERVER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/router.h"
#include "http/server_options.h"

namespace ingestd::http {

class Server {
 public:
  // Binds and starts serving on background io threads. UNAVAILABLE (with the address and
  // the system's reason, e.g. "address already in use") when it cannot listen.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options, const Router& router);

  virtual ~Server() = default;

  // The port actually bound (useful with port 0).
  virtual std::uint16_t port() const = 0;

  // Stops accepting, closes idle connections, lets requests in flight finish and be
  // answered (with Connection: close) for up to `grace`, then closes the rest and joins the
  // io threads. Idempotent; the destructor calls it with a short grace.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace ingestd::http

#endif  // INGESTD_HTTP_SERVER_H_
