// Building responses: JSON, error JSON, text and HTML, with the right Content-Type.
// Version and keep-alive are filled in by the connection that sends them.
//
//   respond.Send(MakeError(Status::not_found, "not_found", "no route for /nope"));
//   // {"error":"not_found","message":"no route for /nope"}
#ifndef INGESTD_HTTP_RESPONSE_H_
#define INGESTD_HTTP_RESPONSE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "http/handler.h"

namespace ingestd::http {

inline constexpr std::string_view kJsonType = "application/json";
inline constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
inline constexpr std::string_view kTextType = "text/plain; charset=utf-8";

// A response with `body` and Content-Type `content_type`.
Response MakeResponse(Status status, std::string_view content_type, std::string body);

// `json` must already be serialized JSON.
Response MakeJson(Status status, std::string json);

Response MakeText(Status status, std::string text);
Response MakeHtml(Status status, std::string html);

// {"error": code, "message": message} with the given status.
Response MakeError(Status status, std::string_view code, std::string_view message);

// The HTTP status for a canonical code, e.g. INVALID_ARGUMENT -> 400, NOT_FOUND -> 404,
// FAILED_PRECONDITION -> 409, UNAVAILABLE -> 503, anything unexpected -> 500.
Status HttpStatusFor(absl::StatusCode code);

// An error response for a failed Status. The client sees the message only for codes that
// describe its own request (4xx); server faults answer a generic message (log the detail).
Response MakeErrorFromStatus(const absl::Status& status);

}  // namespace ingestd::http

#endif  // INGESTD_HTTP_RESPONSE_H_
