ingestd_fuzzer(cursor SOURCES ${PROJECT_SOURCE_DIR}/fuzz/cursor_fuzz.cc DEPS ingestd::store)
