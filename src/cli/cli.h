// The command line: `ingestd serve|load|workflow|help|--version`, flags with INGESTD_*
// environment fallbacks, and the wiring of every module into a running program.
//
//   int main(int argc, char** argv) { return ingestd::cli::Main(argc, argv); }
#ifndef INGESTD_CLI_CLI_H_
#define INGESTD_CLI_CLI_H_

namespace ingestd::cli {

// Runs the subcommand named on the command line. Returns the process exit code: 0 success,
// 1 a failed run (e.g. a workflow execution failed), 2 bad usage or bad configuration.
int Main(int argc, char** argv);

}  // namespace ingestd::cli

#endif  // INGESTD_CLI_CLI_H_
