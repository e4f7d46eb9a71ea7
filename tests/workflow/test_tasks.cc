#include "workflow/test_tasks.h"

#include <string>
#include <utility>

#include <boost/json.hpp>

namespace ingestd::workflow::testing {
namespace json = boost::json;

namespace {
constexpr char kPrefix[] = "arn:aws:lambda:us-east-1:123456789012:function:";

const json::value& Param(const json::value& params, const char* key) {
  static const json::value kNull;
  const json::object* o = params.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v ? *v : kNull;
}

std::string Str(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : json::serialize(v);
}
}  // namespace

void RegisterTestTasks(TaskRegistry& registry, const common::Clock* clock, Scheduler* scheduler) {
  std::string p = kPrefix;
  registry.Register(p + "Echo", [](const json::value& params, const TaskContext&, TaskDone done) {
    std::move(done)(TaskResult::Ok(params));
  });
  registry.Register(p + "Fail", [](const json::value& params, const TaskContext&, TaskDone done) {
    std::move(done)(TaskResult::Error(Str(Param(params, "error")), Str(Param(params, "cause"))));
  });
  auto calls = std::make_shared<std::atomic<int>>(0);
  registry.Register(
      p + "Flaky", [calls](const json::value& params, const TaskContext&, TaskDone done) {
        int n = calls->fetch_add(1);
        if (n < Param(params, "failures").to_number<int>()) {
          std::move(done)(
              TaskResult::Error(Str(Param(params, "error")), "attempt " + std::to_string(n + 1)));
        } else {
          std::move(done)(TaskResult::Ok(Param(params, "result")));
        }
      });
  registry.Register(p + "Sleep", [clock, scheduler](const json::value& params, const TaskContext&,
                                                    TaskDone done) {
    scheduler->RunAt(clock->Now() + absl::Seconds(Param(params, "seconds").to_number<double>()),
                     [done = std::move(done), result = Param(params, "result")]() mutable {
                       std::move(done)(TaskResult::Ok(result));
                     });
  });
  registry.Register(p + "Add", [](const json::value& params, const TaskContext&, TaskDone done) {
    std::move(done)(TaskResult::Ok(Param(params, "a").to_number<double>() +
                                   Param(params, "b").to_number<double>()));
  });
}

}  // namespace ingestd::workflow::testing
