ingestd_fuzzer(asl SOURCES ${PROJECT_SOURCE_DIR}/fuzz/asl_fuzz.cc DEPS ingestd::workflow Boost::json)
ingestd_fuzzer(jsonpath SOURCES ${PROJECT_SOURCE_DIR}/fuzz/jsonpath_fuzz.cc
               DEPS ingestd::workflow Boost::json)
