ingestd_bench(workflow_bench SOURCES ${PROJECT_SOURCE_DIR}/bench/workflow_bench.cc
              DEPS ingestd::workflow ingestd::store ingestd::testing Boost::json)
