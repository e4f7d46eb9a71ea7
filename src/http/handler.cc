#include "http/handler.h"

#include <utility>

#include "http/response.h"
#include "spdlog/spdlog.h"

namespace ingestd::http {

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (send_) SendInternalError();
    send_ = std::move(other.send_);
    other.send_ = nullptr;
  }
  return *this;
}

Responder::~Responder() {
  if (send_) SendInternalError();
}

void Responder::Send(Response response) && {
  SendFn send = std::move(send_);
  send_ = nullptr;
  if (send) std::move(send)(std::move(response));
}

void Responder::SendInternalError() {
  spdlog::error("a handler dropped its request without answering; answered 500");
  std::move(*this).Send(
      MakeError(Status::internal_server_error, "internal", "the server failed to answer"));
}

}  // namespace ingestd::http
