// The ingestd executable: everything is in the cli module.
#include "cli/cli.h"

int main(int argc, char** argv) { return ingestd::cli::Main(argc, argv); }
