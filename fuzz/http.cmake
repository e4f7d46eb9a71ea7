# The request parser with ingestd's limits, fed arbitrary bytes the way a connection does.
#
# request_parser.cc is compiled into the fuzzer directly instead of linking ingestd::http,
# whose server.cc (C++20 coroutines) does not compile under clang 14 with
# -fsanitize=address ("Cannot represent a difference across sections").
ingestd_fuzzer(request_parser
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/request_parser_fuzz.cc
          ${PROJECT_SOURCE_DIR}/src/http/internal/request_parser.cc
  DEPS ingestd::common Boost::headers absl::time absl::any_invocable)
