# ExtractFields over arbitrary request targets, content types and bodies (all client input).
#
# fields.cc is compiled into the fuzzer directly instead of linking ingestd::ingest: that
# library pulls in ingestd::http, whose server.cc (C++20 coroutines) does not compile under
# clang 14 with -fsanitize=address ("Cannot represent a difference across sections").
ingestd_fuzzer(fields
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fields_fuzz.cc ${PROJECT_SOURCE_DIR}/src/ingest/fields.cc
  DEPS ingestd::common Boost::json Boost::url absl::status absl::statusor absl::strings fmt::fmt)
