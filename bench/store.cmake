ingestd_bench(store_bench SOURCES ${PROJECT_SOURCE_DIR}/bench/store_bench.cc
              DEPS ingestd::store absl::strings absl::synchronization)
