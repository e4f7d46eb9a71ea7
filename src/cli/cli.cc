#include "cli/cli.h"

#include <iostream>

namespace ingestd::cli {

int Main(int argc, char** argv) {
  std::cout << "ingestd 0.1.0\n";
  return 0;
}

}  // namespace ingestd::cli
