#!/usr/bin/env bash
# What `make test` runs after setup. Each stage prints a header; the first failure stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
stage() { printf '\n==== %s ====\n' "$*"; }

stage "format check (clang-format)"
git ls-files '*.cc' '*.h' | xargs -r clang-format --dry-run --Werror

stage "release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

stage "unit, integration and peer tests (release)"
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 900

stage "unit tests under ASan+UBSan"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --test-dir build/dev --output-on-failure -j "$jobs" -L unit

stage "fuzz runs (libFuzzer, ${INGESTD_FUZZ_SECONDS:-20}s each)"
cmake --preset fuzz -DINGESTD_FUZZ_SECONDS="${INGESTD_FUZZ_SECONDS:-20}" >/dev/null
cmake --build --preset fuzz -j "$jobs" --target fuzzers
ctest --test-dir build/fuzz --output-on-failure -j "$jobs" -L fuzz
