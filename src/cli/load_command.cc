#include <iostream>

#include "cli/commands.h"

namespace ingestd::cli {

// Placeholder until the load module lands: the command exists and says it is not available.
CommandRunner AddLoadCommand(CLI::App& root) {
  CLI::App* cmd = root.add_subcommand("load", "(not yet available in this build)");
  cmd->allow_extras();
  return [] {
    std::cerr << "ingestd: 'load' is not available in this build yet\n";
    return 2;
  };
}

}  // namespace ingestd::cli
