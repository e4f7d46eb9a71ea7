# ingestd_module(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#   Makes the STATIC library ingestd_<name> with the alias ingestd::<name>. Headers are
#   included as "<module>/<file>.h" from src/. PUBLIC_DEPS are only what the module's public
#   headers expose.
function(ingestd_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(ingestd_${name} STATIC ${M_SOURCES})
  add_library(ingestd::${name} ALIAS ingestd_${name})
  target_include_directories(ingestd_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(ingestd_${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS}
                                                                      ingestd::warnings)
endfunction()

# ingestd_test(<name> SOURCES ... DEPS ...)
#   One GoogleTest binary (tests/<module>/), registered with CTest under the label "unit".
function(ingestd_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} ingestd::testing GTest::gmock_main
                                        ingestd::warnings)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 120 PROPERTIES LABELS unit TIMEOUT 300)
endfunction()

# ingestd_fuzzer(<name> SOURCES ... DEPS ...)
#   A libFuzzer target fuzz_<name>, and a CTest test "fuzz.<name>" (label "fuzz") that runs it
#   for INGESTD_FUZZ_SECONDS over the seeds in fuzz/seeds/<name>/.
set(INGESTD_FUZZ_SECONDS 20 CACHE STRING "How long each fuzz target runs under CTest")
# A fixed seed makes the CTest runs repeatable (what passed here passes in CI); explore with
# other seeds and longer runs by hand: build/fuzz/fuzz/fuzz_<name> -max_total_time=600 ...
set(INGESTD_FUZZ_SEED 1 CACHE STRING "libFuzzer -seed for the CTest runs")
function(ingestd_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(fuzz_${name} ${F_SOURCES})
  target_link_libraries(fuzz_${name} PRIVATE ${F_DEPS} ingestd::warnings)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  if(TARGET fuzzers)
    add_dependencies(fuzzers fuzz_${name})
  endif()
  set(corpus ${CMAKE_BINARY_DIR}/fuzz-corpus/${name})
  file(MAKE_DIRECTORY ${corpus})
  add_test(NAME fuzz.${name}
           COMMAND fuzz_${name} -seed=${INGESTD_FUZZ_SEED} -max_total_time=${INGESTD_FUZZ_SECONDS}
                   -rss_limit_mb=2048
                   -timeout=10 -print_final_stats=1 ${corpus} ${PROJECT_SOURCE_DIR}/fuzz/seeds/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
