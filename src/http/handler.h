// What a request handler sees: a parsed request, and a Responder to answer it exactly once,
// now or later from any thread (e.g. from a store callback once a commit is durable).
//
//   router.Add("/healthz", {verb::get}, [](Request req, Responder respond) {
//     std::move(respond).Send(MakeText(status::ok, "ok\n"));
//   });
#ifndef INGESTD_HTTP_HANDLER_H_
#define INGESTD_HTTP_HANDLER_H_

#include <functional>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "absl/functional/any_invocable.h"

namespace ingestd::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Status = bhttp::status;
using Verb = bhttp::verb;

// Sends the answer to one request. Move-only; Send() consumes it. Thread-safe: Send() may run
// on any thread; the connection writes the response on its own executor. A Responder
// destroyed without Send() answers 500 (and logs it: a handler bug), so a connection never
// hangs.
class Responder {
 public:
  using SendFn = absl::AnyInvocable<void(Response) &&>;

  Responder() = default;
  explicit Responder(SendFn send) : send_(std::move(send)) {}
  // absl::AnyInvocable does not promise to be empty after a move: clear it by hand, so a
  // moved-from Responder never answers.
  Responder(Responder&& other) noexcept : send_(std::move(other.send_)) { other.send_ = nullptr; }
  Responder& operator=(Responder&&) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void Send(Response response) &&;

  // True until Send() (or a move) has consumed it.
  bool pending() const { return static_cast<bool>(send_); }

 private:
  void SendInternalError();

  SendFn send_;
};

// A handler owns the request (moved in) and must eventually Send() exactly once.
using Handler = std::function<void(Request request, Responder respond)>;

}  // namespace ingestd::http

#endif  // INGESTD_HTTP_HANDLER_H_
