// Fuzzes ParseSfnRequest, which sees every Step Functions API call on the admin listener:
// X-Amz-Target, Content-Type and an untrusted JSON body.
//
// Input layout: byte 0 picks the X-Amz-Target (one of the seven operations, an unknown one, or
// the raw bytes up to the first newline), byte 1 the Content-Type; the rest is the body. The
// parser must never crash, and its answer must be self-consistent: an error is a 400 with a
// __type and a message that serialize to JSON; a request keeps AWS's limits (token, name,
// payload sizes; maxResults in range; input/output that are JSON).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "admin/sfn_api.h"

namespace {

using namespace ingestd::admin;  // NOLINT(google-build-using-namespace): a fuzz driver

constexpr std::string_view kOperations[] = {
    "SendTaskSuccess",    "SendTaskFailure",   "SendTaskHeartbeat", "StartExecution",
    "StartSyncExecution", "DescribeExecution", "ListExecutions",    "DeleteStateMachine"};
constexpr std::string_view kContentTypes[] = {"application/x-amz-json-1.0",
                                              "application/x-amz-json-1.1; charset=utf-8",
                                              "application/json", "", "APPLICATION/X-AMZ-JSON-1.0"};

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

bool IsJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  return !ec;
}

void CheckRequest(const SfnRequest& request) {
  if (const auto* r = std::get_if<SendTaskSuccessRequest>(&request)) {
    Check(!r->task_token.empty() && r->task_token.size() <= kMaxTaskTokenBytes, "token size");
    Check(IsJson(boost::json::serialize(r->output)), "output round trip");
  } else if (const auto* f = std::get_if<SendTaskFailureRequest>(&request)) {
    Check(!f->task_token.empty() && f->task_token.size() <= kMaxTaskTokenBytes, "token size");
    Check(f->error.size() <= kMaxErrorBytes && f->cause.size() <= kMaxCauseBytes, "error size");
  } else if (const auto* h = std::get_if<SendTaskHeartbeatRequest>(&request)) {
    Check(!h->task_token.empty() && h->task_token.size() <= kMaxTaskTokenBytes, "token size");
  } else if (const auto* s = std::get_if<StartExecutionRequest>(&request)) {
    Check(!s->state_machine_arn.empty() && s->state_machine_arn.size() <= kMaxArnBytes, "arn size");
    Check(s->input_text.size() <= kMaxPayloadBytes && IsJson(s->input_text), "input is JSON");
    for (char c : s->name) {
      Check(static_cast<unsigned char>(c) > 0x20 && c != '/' && c != ':' && c != 0x7F,
            "name characters");
    }
  } else if (const auto* d = std::get_if<DescribeExecutionRequest>(&request)) {
    Check(d->execution_arn.rfind("arn:", 0) == 0 && d->execution_arn.size() <= kMaxArnBytes,
          "execution arn");
  } else if (const auto* l = std::get_if<ListExecutionsRequest>(&request)) {
    Check(l->max_results >= 1 && l->max_results <= kMaxListResults, "maxResults range");
    Check(l->next_token.size() <= kMaxNextTokenBytes, "nextToken size");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t op = static_cast<unsigned char>(bytes[0]);
  const std::size_t ct = static_cast<unsigned char>(bytes[1]) % std::size(kContentTypes);
  bytes.remove_prefix(2);
  std::string target;
  if (op < std::size(kOperations)) {
    target = std::string(kTargetPrefix) + std::string(kOperations[op]);
  } else {
    const std::size_t newline = bytes.find('\n');
    target = std::string(bytes.substr(0, newline));
    bytes.remove_prefix(newline == std::string_view::npos ? bytes.size() : newline + 1);
  }
  SfnParseResult parsed =
      ParseSfnRequest({.target = target, .content_type = kContentTypes[ct], .body = bytes});
  if (const auto* error = std::get_if<SfnError>(&parsed)) {
    Check(error->http_status == 400, "errors are 400");
    Check(!error->type.empty() && !error->message.empty(), "error has type and message");
    Check(IsJson(SfnErrorBody(*error)), "error body is JSON");
  } else {
    CheckRequest(std::get<SfnRequest>(parsed));
  }
  return 0;
}
