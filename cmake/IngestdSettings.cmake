# Project-wide compiler settings: warnings as an INTERFACE target linked PRIVATE by every
# module, and the optional sanitizer and fuzzer instrumentation.

add_library(ingestd_warnings INTERFACE)
add_library(ingestd::warnings ALIAS ingestd_warnings)
target_compile_options(ingestd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wno-unused-parameter -Wno-missing-field-initializers
  $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)

# Boost.Asio/Beast: no deprecated interfaces, and one consistent configuration for every TU.
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED)

if(INGESTD_SANITIZE)
  add_compile_options(-fsanitize=${INGESTD_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${INGESTD_SANITIZE})
endif()

if(INGESTD_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "INGESTD_BUILD_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  # Instrument every library for coverage; only the fuzz targets link the libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
