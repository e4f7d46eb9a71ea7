# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
JOBS ?= $(shell nproc)
BIN  := build/release/ingestd
ARGS ?=

.PHONY: all setup setup-run build run test bench format format-check tidy clean

all: build

setup:
	@scripts/setup.sh

setup-run:
	@scripts/setup.sh --run-only

# Release build of the binary at build/release/ingestd.
build: setup-run
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target ingestd

# Starts `ingestd serve` on the embedded store (./ingestd-data); pass flags with ARGS="...".
run: build
	$(BIN) serve $(ARGS)

# Every test: format check, unit + integration + browser/peer tests on the release build, the
# unit tests again under ASan+UBSan, and short libFuzzer runs.
test: setup
	@scripts/test.sh

# Benchmarks against references in the same run (see bench/README.md).
bench: setup
	@scripts/bench.sh

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

tidy: setup
	@cmake --preset tidy >/dev/null
	@cmake --build --preset tidy -j $(JOBS)

clean:
	rm -rf build
