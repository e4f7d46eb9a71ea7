// Fuzzes the ASL definition parser/validator: any bytes → CompileText must return a status,
// never crash or hang; a definition that compiles is also run once (with no task resources
// that block, and a small transition budget) on a fixed input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "workflow/builtin_tasks.h"
#include "workflow/workflow.h"

namespace {

ingestd::workflow::TaskRegistry& Registry() {
  static auto* const kRegistry = [] {
    auto* r = new ingestd::workflow::TaskRegistry();
    ingestd::workflow::RegisterBuiltinTasks(*r, nullptr);
    r->Register("arn:aws:lambda:us-east-1:123456789012:function:Echo",
                [](const boost::json::value& params, const ingestd::workflow::TaskContext&,
                   ingestd::workflow::TaskDone done) {
                  std::move(done)(ingestd::workflow::TaskResult::Ok(params));
                });
    return r;
  }();
  return *kRegistry;
}

// Never fires: timers (Wait, Retry, timeouts) simply do not run in the fuzzer.
class NeverScheduler final : public ingestd::workflow::Scheduler {
 public:
  void RunAt(absl::Time, absl::AnyInvocable<void() &&>) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto wf = ingestd::workflow::CompileText(text, Registry());
  if (!wf.ok()) return 0;
  static NeverScheduler scheduler;
  ingestd::workflow::ExecutionOptions options;
  options.scheduler = &scheduler;
  options.max_transitions = 200;
  options.name = "fuzz";
  ingestd::workflow::Execute(*wf,
                             boost::json::parse(R"({"a":1,"b":[1,2,3],"s":"x","o":{"k":"v"}})"),
                             options, [](ingestd::workflow::ExecutionResult) {});
  return 0;
}
