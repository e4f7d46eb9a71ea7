// `ingestd workflow validate FILE` and `ingestd workflow run FILE --input JSON|@FILE`.
#include <iostream>
#include <memory>
#include <string>

#include <boost/json.hpp>

#include "cli/commands.h"
#include "common/file.h"
#include "store/store.h"
#include "workflow/builtin_tasks.h"
#include "workflow/workflow.h"

namespace ingestd::cli {
namespace {

namespace json = boost::json;

// Reads and compiles FILE; on failure prints why and returns null.
std::shared_ptr<const workflow::Workflow> Load(const std::string& file,
                                               const workflow::TaskRegistry& registry) {
  absl::StatusOr<std::shared_ptr<const workflow::Workflow>> wf =
      workflow::CompileFile(file, registry);
  if (!wf.ok()) {
    std::cerr << "ingestd: " << wf.status().message() << "\n";
    return nullptr;
  }
  return *wf;
}

}  // namespace

CommandRunner AddWorkflowCommand(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand(
      "workflow", "Check or run a workflow definition (Amazon States Language, JSON)");
  cmd->require_subcommand(1);

  struct Options {
    std::string validate_file;
    std::string run_file;
    std::string input = "{}";
    std::string store = "memory:";
    std::string data = "ingestd-data";
  };
  auto opts = std::make_shared<Options>();

  CLI::App* validate = cmd->add_subcommand(
      "validate", "Check a definition; exit 0 when valid, else 2 with the error on stderr");
  validate->add_option("FILE", opts->validate_file, "The ASL definition (JSON)")->required();

  CLI::App* run = cmd->add_subcommand(
      "run",
      "Run a definition once and print its output JSON (exit 0); a failed execution prints "
      "{\"error\",\"cause\"} and exits 1; an invalid definition exits 2");
  run->add_option("FILE", opts->run_file, "The ASL definition (JSON)")->required();
  run->add_option("--input", opts->input, "The execution input: JSON text, or @FILE")
      ->capture_default_str();
  run->add_option("--store", opts->store,
                  "Where ingestd:store.put writes: memory: (default, discarded) or sqlite:")
      ->capture_default_str();
  run->add_option("--data", opts->data, "Data directory for --store sqlite:")
      ->capture_default_str();

  return [opts, validate, run]() -> int {
    if (validate->parsed()) {
      workflow::TaskRegistry registry;
      workflow::RegisterBuiltinTasks(registry, nullptr);
      if (Load(opts->validate_file, registry) == nullptr) return 2;
      std::cout << opts->validate_file << ": valid\n";
      return 0;
    }
    if (!run->parsed()) return 2;

    std::string input_text = opts->input;
    if (!input_text.empty() && input_text[0] == '@') {
      absl::StatusOr<std::string> file = common::ReadFile(input_text.substr(1));
      if (!file.ok()) {
        std::cerr << "ingestd: --input: " << file.status().message() << "\n";
        return 2;
      }
      input_text = *std::move(file);
    }
    json::error_code ec;
    json::value input = json::parse(input_text, ec);
    if (ec) {
      std::cerr << "ingestd: --input is not valid JSON: " << ec.message() << "\n";
      return 2;
    }
    store::StoreOptions store_options;
    store_options.data_dir = opts->data;
    absl::StatusOr<std::unique_ptr<store::Store>> store =
        store::OpenStore(opts->store, store_options);
    if (!store.ok()) {
      std::cerr << "ingestd: cannot open store " << opts->store << ": " << store.status().message()
                << "\n";
      return 2;
    }
    workflow::TaskRegistry registry;
    workflow::RegisterBuiltinTasks(registry, store->get());
    std::shared_ptr<const workflow::Workflow> wf = Load(opts->run_file, registry);
    if (wf == nullptr) return 2;
    workflow::ExecutionResult result = workflow::ExecuteAndWait(wf, std::move(input));
    (*store)->Close();
    if (result.succeeded) {
      std::cout << json::serialize(result.output) << "\n";
      return 0;
    }
    json::object failure;
    failure["error"] = result.failure.error;
    failure["cause"] = result.failure.cause;
    std::cout << json::serialize(failure) << "\n";
    return 1;
  };
}

}  // namespace ingestd::cli
