#!/usr/bin/env bash
# Installs everything the build, `make run` and `make test` need: Debian packages, then the
# npm packages of the browser and peer tests (pinned by tests/node/package-lock.json).
# Idempotent and quick when everything is already there. Usage: scripts/setup.sh [--run-only]
set -euo pipefail
cd "$(dirname "$0")/.."

# What building and running ingestd needs.
build_packages=(
  g++ cmake ninja-build pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libre2-dev libabsl-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libssl-dev
  prometheus-cpp-dev libjs-chart.js
)
# What the tests, fuzzers, linters and benchmarks need on top.
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev clang-format clang-tidy
  python3 curl sqlite3 wrk nginx-light prometheus chromium awscli
)

packages=("${build_packages[@]}")
if [[ "${1:-}" != "--run-only" ]]; then
  packages+=("${test_packages[@]}")
  command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" != "--run-only" && -f tests/node/package-lock.json ]]; then
  stamp=tests/node/node_modules/.package-lock.json
  if [[ ! -f $stamp || tests/node/package-lock.json -nt $stamp ]]; then
    echo "setup: installing npm packages for the node tests"
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
