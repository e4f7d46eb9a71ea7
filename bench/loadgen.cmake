# Per-request CPU work of the load generator (data, histogram). The end-to-end comparison
# with wrk on nginx is bench/loadgen_bench.sh (run by the bench runner).
ingestd_bench(loadgen_micro_bench
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/loadgen_bench.cc
  DEPS ingestd::loadgen)
