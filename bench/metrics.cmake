ingestd_bench(metrics_bench SOURCES ${PROJECT_SOURCE_DIR}/bench/metrics_bench.cc
              DEPS ingestd::metrics absl::time)
