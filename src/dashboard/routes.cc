#include "dashboard/routes.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "dashboard/pages.h"
#include "http/handler.h"
#include "http/response.h"

namespace ingestd::dashboard {
namespace {

http::Response ToResponse(Reply reply) {
  http::Response response = http::MakeResponse(static_cast<http::Status>(reply.status),
                                               reply.content_type, std::move(reply.body));
  response.set(http::bhttp::field::cache_control, reply.cache_control);
  return response;
}

}  // namespace

void RegisterRoutes(http::Router& router, metrics::Metrics& metrics) {
  router.Add("/metrics", {http::Verb::get}, [&metrics](http::Request, http::Responder respond) {
    std::move(respond).Send(ToResponse(MetricsReply(metrics)));
  });
  router.Add("/dashboard", {http::Verb::get}, [](http::Request, http::Responder respond) {
    std::move(respond).Send(ToResponse(DashboardReply()));
  });
  router.Add("/dashboard/data", {http::Verb::get},
             [&metrics](http::Request request, http::Responder respond) {
               absl::StatusOr<Reply> reply = DataReply(request.target(), metrics);
               std::move(respond).Send(reply.ok() ? ToResponse(*std::move(reply))
                                                  : http::MakeErrorFromStatus(reply.status()));
             });
  router.AddPrefix(
      "/dashboard/assets/", {http::Verb::get}, [](http::Request request, http::Responder respond) {
        std::optional<Reply> reply = AssetReply(request.target());
        std::move(respond).Send(reply ? ToResponse(*std::move(reply))
                                      : http::MakeError(http::Status::not_found, "not_found",
                                                        "no such dashboard asset"));
      });
  router.Add("/favicon.ico", {http::Verb::get}, [](http::Request, http::Responder respond) {
    std::move(respond).Send(ToResponse(FaviconReply()));
  });
}

}  // namespace ingestd::dashboard
