#include <iostream>

#include "cli/commands.h"

namespace ingestd::cli {

CommandRunner AddServeCommand(CLI::App& root) {
  root.add_subcommand("serve", "Run the service");
  return [] {
    std::cerr << "ingestd: serve is being built\n";
    return 2;
  };
}

}  // namespace ingestd::cli
