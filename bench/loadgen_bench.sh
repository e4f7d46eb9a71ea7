#!/usr/bin/env bash
# `ingestd load` against the reference load generator, wrk, on the same nginx in the same run:
#   1. closed loop: `ingestd load --rate max` must reach >= 90% of wrk's requests per second at
#      the same threads and connections (best of ROUNDS runs each, interleaved);
#   2. open loop: `--rate 5000` for 10 s must achieve within 1% of 5000 requests per second.
# nginx runs with its own config (1 worker, `return 200 '{"ok":true}'`) on a free loopback
# port and is stopped by PID.
#
# Usage: bench/loadgen_bench.sh [INGESTD_BIN] [OUT_DIR]
# Environment: THREADS (1), CONNECTIONS (32), DURATION (10s), ROUNDS (3), RATE (5000).
# Exit status: 0 when both targets are met, 1 when one is missed, 2 when it could not run.
set -euo pipefail

bin=${1:-build/release/ingestd}
out=${2:-$(mktemp -d -t ingestd-loadgen-bench-XXXXXX)}
threads=${THREADS:-1}
connections=${CONNECTIONS:-32}
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
rate=${RATE:-5000}

for tool in nginx wrk python3; do
  command -v "$tool" >/dev/null || { echo "loadgen bench: $tool is not installed" >&2; exit 2; }
done
[[ -x $bin ]] || { echo "loadgen bench: no ingestd binary at $bin" >&2; exit 2; }
mkdir -p "$out"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ngx="$out/nginx"
mkdir -p "$ngx"
cat >"$ngx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fastcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 '{"ok":true}'; }
  }
}
CONF
nginx -c "$ngx/nginx.conf" -p "$ngx" &
nginx_pid=$!
trap 'kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port/"
for _ in $(seq 100); do
  curl -sf "$url" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -sf "$url" >/dev/null || { echo "loadgen bench: nginx did not start" >&2; exit 2; }

best_wrk=0
best_load=0
for round in $(seq "$rounds"); do
  wrk_rps=$(wrk -t"$threads" -c"$connections" -d"$duration" "$url" |
    awk '/^Requests\/sec:/ {print $2}')
  "$bin" load --url "$url" --rate max --threads "$threads" --connections "$connections" \
    --duration "$duration" --report "$out/max-$round.json" >"$out/max-$round.txt" 2>/dev/null
  load_rps=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["achieved_rate"])' \
    "$out/max-$round.json")
  echo "round $round: wrk $wrk_rps req/s, ingestd load $load_rps req/s"
  best_wrk=$(python3 -c "print(max($best_wrk, $wrk_rps))")
  best_load=$(python3 -c "print(max($best_load, $load_rps))")
done

"$bin" load --url "$url" --workers 1 --rate "$rate" --threads "$threads" \
  --connections "$connections" --duration 10s --report "$out/rate.json" >"$out/rate.txt" 2>/dev/null
achieved=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["achieved_rate"])' \
  "$out/rate.json")

python3 - "$best_wrk" "$best_load" "$rate" "$achieved" "$threads" "$connections" "$out" <<'PY'
import json, sys
wrk, load, target, achieved = map(float, sys.argv[1:5])
threads, connections, out = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
ratio = load / wrk if wrk else 0.0
deviation = abs(achieved - target) / target
ok_max, ok_rate = ratio >= 0.90, deviation <= 0.01
print(f"max throughput (-t{threads} -c{connections}): ingestd load {load:.0f} req/s = "
      f"{100 * ratio:.1f}% of wrk {wrk:.0f} req/s (target >= 90%): {'PASS' if ok_max else 'FAIL'}")
print(f"fixed rate {target:.0f} req/s for 10 s: achieved {achieved:.1f} req/s "
      f"({100 * deviation:.3f}% off, target <= 1%): {'PASS' if ok_rate else 'FAIL'}")
json.dump({"threads": threads, "connections": connections, "wrk_rps": wrk, "load_rps": load,
           "ratio": ratio, "rate_target": target, "rate_achieved": achieved,
           "rate_deviation": deviation, "passed": ok_max and ok_rate},
          open(f"{out}/loadgen_bench.json", "w"), indent=2)
sys.exit(0 if ok_max and ok_rate else 1)
PY
