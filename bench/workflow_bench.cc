// The cost of one execution of the default ingest workflow (valid and invalid input), beside
// the same validation written directly in C++ (same rules, same store call), so the
// interpreter's overhead is visible as a ratio. The store completes inline (no I/O) so that
// only the engine is measured.
//
//   build/<dir>/bench/workflow_bench --benchmark_filter=Default
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include "store/store.h"
#include "testing/inline_store.h"
#include "workflow/builtin_tasks.h"
#include "workflow/default_workflow.h"
#include "workflow/ingest_contract.h"
#include "workflow/intrinsics.h"
#include "workflow/json_path.h"
#include "workflow/workflow.h"

namespace ingestd::workflow {
namespace {

namespace json = boost::json;

// Completes every Put inline as "created": measures the engine, not storage.
using testing::InlineStore;

struct Fixture {
  Fixture() {
    RegisterBuiltinTasks(registry, &store);
    workflow = *CompileText(DefaultIngestWorkflowText(), registry);
    for (FieldRule& rule : FieldRules(*workflow))
      validators.push_back(*FieldValidator::Create(rule));
  }
  InlineStore store;
  TaskRegistry registry;
  std::shared_ptr<const Workflow> workflow;
  std::vector<FieldValidator> validators;  // the same rules, checked directly
};

Fixture& Get() {
  static Fixture* const kFixture = new Fixture();
  return *kFixture;
}

const IngestInput kValid{"Ann Example", "ann1@example.com", "560001"};
const IngestInput kInvalid{"Ann Example", "1ann@example.org", "12"};

void RunWorkflow(benchmark::State& state, const IngestInput& input, IngestOutcome::Kind expected) {
  Fixture& f = Get();
  for (auto _ : state) {
    IngestOutcome outcome;
    Execute(f.workflow, MakeIngestInput(input), {.name = "bench", .id = "bench"},
            [&](ExecutionResult r) { outcome = InterpretIngestResult(std::move(r)); });
    if (outcome.kind != expected) state.SkipWithError("unexpected outcome");
    benchmark::DoNotOptimize(outcome);
  }
}

// The same work without the interpreter: build the input, check the three fields with the
// same validators, collect the reasons, call the store, build the outcome.
void RunDirect(benchmark::State& state, const IngestInput& input, IngestOutcome::Kind expected) {
  Fixture& f = Get();
  for (auto _ : state) {
    json::value doc = MakeIngestInput(input);
    IngestOutcome outcome;
    const json::object& o = doc.as_object();
    for (const FieldValidator& v : f.validators) {
      if (std::optional<std::string> reason = v.Check(o.at(v.rule().field))) {
        outcome.fields.emplace_back(v.rule().field, *std::move(reason));
      }
    }
    if (!outcome.fields.empty()) {
      outcome.kind = IngestOutcome::Kind::kRejected;
      outcome.message = "Some fields are invalid";
    } else {
      store::Item item{std::string(o.at("email").as_string()),
                       std::string(o.at("user_name").as_string()),
                       std::string(o.at("email").as_string()),
                       std::string(o.at("pincode").as_string()),
                       {},
                       {}};
      f.store.Put(std::move(item), [&](absl::StatusOr<store::PutResult> r) {
        outcome.kind = IngestOutcome::Kind::kStored;
        outcome.created = r->outcome == store::PutOutcome::kCreated;
        outcome.item["id"] = r->item.id;
      });
    }
    if (outcome.kind != expected) state.SkipWithError("unexpected outcome");
    benchmark::DoNotOptimize(outcome);
  }
}

void BM_DefaultWorkflow_Valid(benchmark::State& s) {
  RunWorkflow(s, kValid, IngestOutcome::Kind::kStored);
}
void BM_DefaultWorkflow_Invalid(benchmark::State& s) {
  RunWorkflow(s, kInvalid, IngestOutcome::Kind::kRejected);
}
void BM_DirectCpp_Valid(benchmark::State& s) { RunDirect(s, kValid, IngestOutcome::Kind::kStored); }
void BM_DirectCpp_Invalid(benchmark::State& s) {
  RunDirect(s, kInvalid, IngestOutcome::Kind::kRejected);
}
BENCHMARK(BM_DefaultWorkflow_Valid);
BENCHMARK(BM_DirectCpp_Valid);
BENCHMARK(BM_DefaultWorkflow_Invalid);
BENCHMARK(BM_DirectCpp_Invalid);

void BM_CompileDefaultWorkflow(benchmark::State& state) {
  Fixture& f = Get();
  for (auto _ : state)
    benchmark::DoNotOptimize(CompileText(DefaultIngestWorkflowText(), f.registry));
}
BENCHMARK(BM_CompileDefaultWorkflow);

void BM_JsonPathFind(benchmark::State& state) {
  JsonPath p = *JsonPath::Parse("$.checks.email.valid");
  json::value doc =
      json::parse(R"({"checks":{"user_name":{"valid":true},"email":{"valid":false}}})");
  for (auto _ : state) benchmark::DoNotOptimize(p.Find(doc));
}
BENCHMARK(BM_JsonPathFind);

void BM_IntrinsicFormat(benchmark::State& state) {
  Intrinsic fn = *Intrinsic::Parse("States.Format('{} <{}>', $.user_name, $.email)");
  json::value doc = MakeIngestInput(kValid);
  for (auto _ : state) {
    json::value out;
    Failure failure;
    benchmark::DoNotOptimize(fn.Evaluate(doc, nullptr, out, failure));
  }
}
BENCHMARK(BM_IntrinsicFormat);

}  // namespace
}  // namespace ingestd::workflow

BENCHMARK_MAIN();
