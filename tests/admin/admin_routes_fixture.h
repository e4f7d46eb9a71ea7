// The admin routes over a real DurableExecutions on a memory store, with virtual time: what
// the approvals and Step Functions route tests share.
//
//   class MyTest : public AdminRoutesFixture {
//     void SetUp() override { OpenRoutes(kWorkflowText, "csrf-token"); }
//   };
//   http::Response r = Dispatch(std::move(request));
#ifndef INGESTD_TESTS_ADMIN_ADMIN_ROUTES_FIXTURE_H_
#define INGESTD_TESTS_ADMIN_ADMIN_ROUTES_FIXTURE_H_

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "admin/routes.h"
#include "common/clock.h"
#include "http/handler.h"
#include "http/router.h"
#include "store/store.h"
#include "testing/status_matchers.h"
#include "workflow/builtin_tasks.h"
#include "workflow/durable.h"
#include "workflow/scheduler.h"
#include "workflow/workflow.h"

namespace ingestd::admin {

class AdminRoutesFixture : public ::testing::Test {
 protected:
  // Opens the store, compiles `workflow_text`, opens the durable executions and registers the
  // admin routes with `csrf_token`. Call from SetUp (it uses ASSERT_*).
  void OpenRoutes(std::string_view workflow_text, std::string csrf_token) {
    store::StoreOptions store_options;
    store_options.clock = &clock_;
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore("memory:", store_options));
    workflow::RegisterBuiltinTasks(registry_, store_.get());
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<const workflow::Workflow> compiled,
                         workflow::CompileText(workflow_text, registry_));
    workflow::DurableOptions options;
    options.store = store_.get();
    options.workflow = compiled;
    options.definition_text = std::string(workflow_text);
    options.registry = &registry_;
    options.clock = &clock_;
    options.scheduler = &scheduler_;
    ASSERT_OK_AND_ASSIGN(executions_, workflow::DurableExecutions::Open(std::move(options)));
    RegisterAdminRoutes(router_,
                        {.executions = executions_.get(), .csrf_token = std::move(csrf_token)});
  }

  void TearDown() override {
    if (executions_) executions_->Close();
    if (store_) store_->Close();
  }

  // Routes `request` and waits (bounded) for the answer, which may come from a store thread.
  http::Response Dispatch(http::Request request) {
    const std::string target(request.target());
    auto promise = std::make_shared<std::promise<http::Response>>();
    std::future<http::Response> future = promise->get_future();
    router_.Dispatch(std::move(request), http::Responder([promise](http::Response r) mutable {
                       promise->set_value(std::move(r));
                     }));
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer to " << target;
      return http::Response{http::Status::internal_server_error, 11};
    }
    return future.get();
  }

  common::ManualClock clock_{absl::FromUnixSeconds(1764892345)};
  workflow::ManualScheduler scheduler_{&clock_};
  std::unique_ptr<store::Store> store_;
  workflow::TaskRegistry registry_;
  std::unique_ptr<workflow::DurableExecutions> executions_;
  http::Router router_;
};

}  // namespace ingestd::admin

#endif  // INGESTD_TESTS_ADMIN_ADMIN_ROUTES_FIXTURE_H_
