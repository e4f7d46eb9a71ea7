// The subcommands of `ingestd`. Each Add*Command registers its subcommand, flags and
// INGESTD_* environment fallbacks on the root app, and returns what to run when the user
// chose it. The runner returns the exit code (0 ok, 1 the run failed, 2 bad usage/config).
//
//   CLI::App app{"ingestd"};
//   CommandRunner serve = AddServeCommand(app);
//   app.parse(argc, argv);
//   if (app.got_subcommand("serve")) return serve();
#ifndef INGESTD_CLI_COMMANDS_H_
#define INGESTD_CLI_COMMANDS_H_

#include <functional>

#include <CLI/CLI.hpp>

namespace ingestd::cli {

using CommandRunner = std::function<int()>;

CommandRunner AddServeCommand(CLI::App& root);     // serve_command.cc
CommandRunner AddLoadCommand(CLI::App& root);      // load_command.cc
CommandRunner AddWorkflowCommand(CLI::App& root);  // workflow_command.cc: validate | run

// A CLI11 validator for durations with a unit ("250ms", "10s", "365d").
const CLI::Validator& DurationValidator();

}  // namespace ingestd::cli

#endif  // INGESTD_CLI_COMMANDS_H_
