#include "http/response.h"

#include <string>
#include <utility>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

namespace ingestd::http {

Response MakeResponse(Status status, std::string_view content_type, std::string body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response MakeJson(Status status, std::string json) {
  return MakeResponse(status, kJsonType, std::move(json));
}

Response MakeText(Status status, std::string text) {
  return MakeResponse(status, kTextType, std::move(text));
}

Response MakeHtml(Status status, std::string html) {
  return MakeResponse(status, kHtmlType, std::move(html));
}

Response MakeError(Status status, std::string_view code, std::string_view message) {
  boost::json::object body;
  body["error"] = boost::json::string_view(code.data(), code.size());
  body["message"] = boost::json::string_view(message.data(), message.size());
  return MakeJson(status, boost::json::serialize(body));
}

Status HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return Status::ok;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return Status::bad_request;
    case absl::StatusCode::kNotFound:
      return Status::not_found;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kFailedPrecondition:
      return Status::conflict;
    case absl::StatusCode::kUnauthenticated:
      return Status::unauthorized;
    case absl::StatusCode::kPermissionDenied:
      return Status::forbidden;
    case absl::StatusCode::kResourceExhausted:
      return Status::too_many_requests;
    case absl::StatusCode::kUnimplemented:
      return Status::not_implemented;
    case absl::StatusCode::kUnavailable:
      return Status::service_unavailable;
    case absl::StatusCode::kDeadlineExceeded:
      return Status::gateway_timeout;
    default:
      return Status::internal_server_error;
  }
}

namespace {

std::string_view ErrorCodeFor(Status status) {
  switch (status) {
    case Status::bad_request:
      return "bad_request";
    case Status::not_found:
      return "not_found";
    case Status::conflict:
      return "conflict";
    case Status::unauthorized:
      return "unauthorized";
    case Status::forbidden:
      return "forbidden";
    case Status::too_many_requests:
      return "too_many_requests";
    case Status::not_implemented:
      return "not_implemented";
    case Status::service_unavailable:
      return "unavailable";
    case Status::gateway_timeout:
      return "timeout";
    default:
      return "internal";
  }
}

}  // namespace

Response MakeErrorFromStatus(const absl::Status& status) {
  const Status http_status = HttpStatusFor(status.code());
  const bool client_fault = static_cast<unsigned>(http_status) < 500;
  if (!client_fault) spdlog::error("request failed: {}", status.ToString());
  return MakeError(http_status, ErrorCodeFor(http_status),
                   client_fault ? std::string(status.message())
                                : std::string("the server could not complete the request; "
                                              "try again later"));
}

}  // namespace ingestd::http
