#include "http/router.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "http/response.h"

namespace ingestd::http {

std::string_view PathOf(std::string_view target) {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

void Router::Add(std::string path, std::vector<Verb> methods, Handler handler) {
  std::erase_if(routes_, [&](const Route& r) { return !r.is_prefix && r.path == path; });
  std::string label = path;
  routes_.push_back(
      {std::move(path), false, std::move(label), std::move(methods), std::move(handler)});
}

void Router::AddPrefix(std::string prefix, std::vector<Verb> methods, Handler handler) {
  std::erase_if(routes_, [&](const Route& r) { return r.is_prefix && r.path == prefix; });
  std::string label = prefix + "*";
  routes_.push_back(
      {std::move(prefix), true, std::move(label), std::move(methods), std::move(handler)});
}

const Router::Route* Router::Find(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!r.is_prefix) {
      if (r.path == path) return &r;
    } else if (path.starts_with(r.path) && (best == nullptr || r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

std::string_view Router::RouteLabel(std::string_view target) const {
  const Route* route = Find(PathOf(target));
  return route == nullptr ? std::string_view("other") : std::string_view(route->label);
}

void Router::Dispatch(Request request, Responder respond) const {
  if (guard_) {
    if (std::optional<Response> answer = guard_(request)) {
      std::move(respond).Send(*std::move(answer));
      return;
    }
  }
  const Route* route = Find(PathOf(request.target()));
  if (route == nullptr) {
    std::move(respond).Send(
        MakeError(Status::not_found, "not_found", "no such resource; see the API documentation"));
    return;
  }
  const Verb method = request.method();
  const auto serves = [&](Verb v) {
    return std::find(route->methods.begin(), route->methods.end(), v) != route->methods.end();
  };
  if (serves(method) || (method == Verb::head && serves(Verb::get))) {
    route->handler(std::move(request), std::move(respond));
    return;
  }
  std::string allow;
  for (Verb v : route->methods) {
    if (!allow.empty()) allow += ", ";
    allow += bhttp::to_string(v);
    if (v == Verb::get) allow += ", HEAD";
  }
  Response res = MakeError(
      Status::method_not_allowed, "method_not_allowed",
      "method " + std::string(request.method_string()) + " is not allowed here; allowed: " + allow);
  res.set(bhttp::field::allow, allow);
  std::move(respond).Send(std::move(res));
}

}  // namespace ingestd::http
