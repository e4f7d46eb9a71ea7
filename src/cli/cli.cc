#include "cli/cli.h"

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/duration.h"

namespace ingestd::cli {

const CLI::Validator& DurationValidator() {
  static const CLI::Validator* const kValidator = new CLI::Validator(
      [](std::string& text) -> std::string {
        auto parsed = common::ParseDuration(text);
        return parsed.ok() ? std::string() : std::string(parsed.status().message());
      },
      "DURATION");
  return *kValidator;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "ingestd: ingest records over HTTP, validate them with a state machine, store them "
      "durably, list them, and watch the traffic.",
      "ingestd"};
  app.set_version_flag("--version", std::string("ingestd ") + INGESTD_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  struct Entry {
    CLI::App* app;
    CommandRunner run;
  };
  std::vector<Entry> commands;
  auto add = [&](const char* name, CommandRunner run) {
    commands.push_back({app.get_subcommand(name), std::move(run)});
  };
  add("serve", AddServeCommand(app));
  add("load", AddLoadCommand(app));
  add("workflow", AddWorkflowCommand(app));

  // `ingestd help [CMD]`: the same text as --help, for the command or for all.
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show help for ingestd or one of its commands");
  help->add_option("command", help_topic, "The command to explain");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (help->parsed()) {
    if (help_topic.empty()) {
      // app.help() would describe the selected subcommand ("help") itself.
      std::cout << app.get_formatter()->make_help(&app, "ingestd", CLI::AppFormatMode::Normal);
      return 0;
    }
    for (const Entry& c : commands) {
      if (c.app->get_name() == help_topic) {
        std::cout << c.app->help();
        return 0;
      }
    }
    std::cerr << "ingestd: no command \"" << help_topic << "\"; try `ingestd help`\n";
    return 2;
  }
  for (const Entry& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  std::cerr << app.help();
  return 2;
}

}  // namespace ingestd::cli
