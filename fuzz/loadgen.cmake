# The load generator's regex parser and generator (patterns come from user workflow files).
ingestd_fuzzer(loadgen_regex
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/loadgen_regex_fuzz.cc
  DEPS ingestd::loadgen PkgConfig::RE2 absl::status)
