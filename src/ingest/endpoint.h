// The endpoint "/" of API.md: ingest (GET with fields, PUT, POST) and list (GET without
// fields), JSON or HTML. It adapts HTTP to the ingest workflow (which validates and stores,
// see workflow/ingest_contract.h) and to the store's scan.
//
//   ingest::Endpoint endpoint(*store, compiled_ingest_workflow);
//   router.Add("/", {Verb::get, Verb::put, Verb::post},
//              [&](Request req, Responder r) { endpoint.Handle(std::move(req), std::move(r)); });
//
// Thread-safety: Handle() may run concurrently on any number of io threads.
#ifndef INGESTD_INGEST_ENDPOINT_H_
#define INGESTD_INGEST_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "absl/time/time.h"
#include "http/handler.h"
#include "ingest/fields.h"
#include "store/store.h"
#include "workflow/builtin_tasks.h"
#include "workflow/ingest_contract.h"
#include "workflow/workflow.h"

namespace ingestd::ingest {

enum class Outcome { kCreated, kReplaced, kRejected, kPendingApproval, kFailed };

// How an ingest is validated and stored.
enum class Engine {
  kWorkflow,  // run the ingest workflow (the product)
  // A benchmark reference: the workflow's own field rules checked and the store written in
  // plain C++, without the state machine, so `make bench` can show what the engine costs.
  // Only field checks followed by store.put are reproduced; not for production use.
  kDirect,
};

struct EndpointOptions {
  Engine engine = Engine::kWorkflow;
  std::size_t default_limit = 100;
  std::size_t max_limit = 1000;
  // Called once per ingest with its outcome (for metrics). Any thread; must be cheap.
  std::function<void(Outcome)> on_outcome;
  // Called once per ingest workflow execution (for metrics): whether it succeeded, how long
  // it took, how many states it entered. Any thread; must be cheap.
  std::function<void(bool succeeded, absl::Duration duration, std::int64_t transitions)>
      on_execution;
  // How each ingest's workflow execution runs (clock, scheduler, and — for the approval
  // branch — the durable executions that callback tasks wait in).
  workflow::ExecutionOptions execution;
  // How long an approval waits before it times out ($.approval_timeout_seconds).
  std::int64_t approval_timeout_seconds = workflow::kDefaultApprovalTimeoutSeconds;
};

class Endpoint {
 public:
  // `store` (for listing) must outlive the endpoint. Every ingest runs `ingest_workflow`, whose
  // results follow workflow/ingest_contract.h; it writes the item itself (ingestd:store.put).
  Endpoint(store::Store& store, std::shared_ptr<const workflow::Workflow> ingest_workflow,
           EndpointOptions options = {});

  void Handle(http::Request request, http::Responder respond) const;

 private:
  void Ingest(Fields fields, http::Responder respond) const;
  void IngestDirect(Fields fields, http::Responder respond) const;
  void List(const http::Request& request, std::string_view target, http::Responder respond) const;
  void Report(Outcome outcome) const;

  store::Store& store_;
  std::shared_ptr<const workflow::Workflow> workflow_;
  std::vector<workflow::FieldValidator> validators_;  // Engine::kDirect only
  EndpointOptions options_;
};

}  // namespace ingestd::ingest

#endif  // INGESTD_INGEST_ENDPOINT_H_
