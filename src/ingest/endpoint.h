// The endpoint "/" of API.md: ingest (GET with fields, PUT, POST) and list (GET without
// fields), JSON or HTML. It adapts HTTP to the plain functions of this module and the store.
//
//   ingest::Endpoint endpoint(store, ingest::DefaultRules());
//   router.Add("/", {Verb::get, Verb::put, Verb::post},
//              [&](Request req, Responder r) { endpoint.Handle(std::move(req), std::move(r)); });
//
// Thread-safety: Handle() may run concurrently on any number of io threads.
#ifndef INGESTD_INGEST_ENDPOINT_H_
#define INGESTD_INGEST_ENDPOINT_H_

#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "http/handler.h"
#include "ingest/fields.h"
#include "ingest/validation.h"
#include "store/store.h"

namespace ingestd::ingest {

enum class Outcome { kCreated, kReplaced, kRejected, kPendingApproval, kFailed };

struct EndpointOptions {
  std::size_t default_limit = 100;
  std::size_t max_limit = 1000;
  // Called once per ingest with its outcome (for metrics). Any thread; must be cheap.
  std::function<void(Outcome)> on_outcome;
};

// The rules of API.md for user_name, email and pincode.
std::vector<CompiledRule> DefaultRules();

// {"id","user_name","email","pincode","created_at","updated_at"}
boost::json::object ItemToJson(const store::Item& item);

class Endpoint {
 public:
  // `store` must outlive the endpoint. `rules` are checked in order; every failing field is
  // reported.
  Endpoint(store::Store& store, std::vector<CompiledRule> rules, EndpointOptions options = {});

  void Handle(http::Request request, http::Responder respond) const;

 private:
  void Ingest(Fields fields, http::Responder respond) const;
  void List(const http::Request& request, std::string_view target, http::Responder respond) const;
  void Report(Outcome outcome) const;

  store::Store& store_;
  std::vector<CompiledRule> rules_;
  EndpointOptions options_;
};

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_ENDPOINT_H_
