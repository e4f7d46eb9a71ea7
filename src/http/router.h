// Maps a request path to a handler. Exact paths and prefixes ("/approvals/"); the query
// string is ignored for matching. A known path with a method it does not serve answers 405
// with Allow; an unknown path 404 — both as error JSON.
//
//   Router router;
//   router.Add("/", {Verb::get, Verb::put, Verb::post}, ingest_handler);
//   router.AddPrefix("/approvals/", {Verb::post}, approvals_handler);
//   router.Dispatch(std::move(request), std::move(responder));
//
// A guard, when set, sees every request before routing (any path or method, known or not) and
// may answer it itself, e.g. the admin listener's authentication:
//
//   router.SetGuard([&auth](const Request& req) { return admin::Authenticate(auth, req); });
//
// Thread-safety: build it before serving; afterwards it is read-only and safe to share.
#ifndef INGESTD_HTTP_ROUTER_H_
#define INGESTD_HTTP_ROUTER_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/handler.h"

namespace ingestd::http {

class Router {
 public:
  // Runs before routing on every request: returns the response that answers the request
  // instead of routing it (e.g. a 401), or nullopt to let the request through to its route.
  // Must not keep a reference to the request.
  using Guard = std::function<std::optional<Response>(const Request& request)>;

  // `path` must start with '/'. HEAD is served wherever GET is (the body is dropped by the
  // connection). Adding the same path twice replaces the earlier route.
  void Add(std::string path, std::vector<Verb> methods, Handler handler);
  void AddPrefix(std::string prefix, std::vector<Verb> methods, Handler handler);

  // Installs the guard (replacing any earlier one); an empty function removes it.
  void SetGuard(Guard guard) { guard_ = std::move(guard); }

  // The route label for metrics: the registered path or prefix ("/approvals/*"), or "other"
  // for unknown paths. Cheap; no allocation.
  std::string_view RouteLabel(std::string_view target) const;

  // Answers the request through the guard's response, its route, or 404/405.
  void Dispatch(Request request, Responder respond) const;

 private:
  struct Route {
    std::string path;  // exact path, or prefix when is_prefix
    bool is_prefix = false;
    std::string label;
    std::vector<Verb> methods;
    Handler handler;
  };
  const Route* Find(std::string_view path) const;

  std::vector<Route> routes_;
  Guard guard_;
};

// The path part of a request target ("/a?b" -> "/a").
std::string_view PathOf(std::string_view target);

}  // namespace ingestd::http

#endif  // INGESTD_HTTP_ROUTER_H_
