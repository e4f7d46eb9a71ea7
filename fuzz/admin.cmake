# The SigV4 Authorization parser and verifier over arbitrary requests (all client input on the
# admin listener).
#
# sigv4.cc is compiled into the fuzzer directly instead of linking ingestd::admin: that library
# pulls in ingestd::http, whose server.cc (C++20 coroutines) does not compile under clang 14
# with -fsanitize=address ("Cannot represent a difference across sections").
ingestd_fuzzer(admin_sigv4
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/admin_sigv4_fuzz.cc ${PROJECT_SOURCE_DIR}/src/admin/sigv4.cc
  DEPS ingestd::common Boost::headers OpenSSL::Crypto absl::status absl::statusor absl::time
       absl::any_invocable fmt::fmt)

# ParseSfnRequest (the Step Functions JSON API on the admin listener) over arbitrary targets,
# content types and bodies. sfn_api.cc is compiled in directly for the same reason as above; it
# uses workflow/durable.h only for its plain structs.
ingestd_fuzzer(admin_sfn
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/admin_sfn_fuzz.cc ${PROJECT_SOURCE_DIR}/src/admin/sfn_api.cc
  DEPS ingestd::common Boost::json absl::status absl::statusor absl::time absl::any_invocable
       fmt::fmt)
