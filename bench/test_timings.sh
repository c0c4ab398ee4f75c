#!/usr/bin/env bash
# Timing figures that used to be asserted in integration tests (where a loaded machine made them fail or pass for
# the wrong reason). Reports each figure with its target and a verdict: met or not met. Under a minute.
#   fairbid-loadgen --duration 1s at 1000 req/s against nginx: measured window (target 1 s +-1%) and requests
#     (target 950..1010); open loop against a server stalling 200 ms per second: achieved rate (target >= 90%)
#   fairbid-loadgen Ctrl-C: time to exit (target <= 2000 ms)
#   fairbid idle instance: SIGTERM to exit (target < 2000 ms)
# Usage: bash bench/test_timings.sh [BUILD_DIR]   (default build/)
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$SRC/build}
LG=$B/fairbid-loadgen
BIN=$B/fairbid
W=$(mktemp -d /tmp/fairbid-timings.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && { kill -9 "$p"; wait "$p"; } 2>/dev/null; done; rm -rf "$W"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
verdict() { python3 -c "import sys; print('met' if $1 else 'not met')"; }
line() { printf '%-60s %12s   target %-16s %s\n' "$1" "$2" "$3" "$4"; }

P=$(free_port)
"$SRC/scripts/nginx-204.sh" "$W/nginx" "$P" 1 >/dev/null
nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" >"$W/nginx.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$P/" && break; sleep 0.05; done
URL="http://127.0.0.1:$P/openrtb2/bid"

"$LG" --target "$URL" --rate 1000 --duration 1s --warmup 200ms --json "$W/d.json" >/dev/null 2>&1
ws=$(python3 -c "import json; print(json.load(open('$W/d.json'))['window_s'])")
n=$(python3 -c "import json; print(json.load(open('$W/d.json'))['requests'])")
line "loadgen --duration 1s: measured window (s)" "$ws" "0.99..1.01" "$(verdict "0.99 <= $ws <= 1.01")"
line "loadgen --duration 1s at 1000 req/s: requests" "$n" "950..1010" "$(verdict "950 <= $n <= 1010")"

"$LG" --target "$URL" --rate 500 --duration 20s --warmup 0 --json "$W/int.json" >/dev/null 2>&1 &
LGP=$!
PIDS+=("$LGP")
sleep 1
kill -INT "$LGP"
t0=$(date +%s%N)
wait "$LGP"
ms=$((($(date +%s%N) - t0) / 1000000))
line "loadgen Ctrl-C to exit (ms)" "$ms" "<= 2000" "$(verdict "$ms <= 2000")"

python3 "$SRC/bench/loadgen_stub_server.py" --mode stall --stall-ms 200 --period-ms 1000 --port-file "$W/stall.port" \
  >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/stall.port" ] && break; sleep 0.05; done
"$LG" --target "http://127.0.0.1:$(cat "$W/stall.port")/openrtb2/bid" --rate 500 --connections 10 --duration 3s \
  --warmup 500ms --json "$W/co.json" >/dev/null 2>&1
r=$(python3 -c "import json; print(json.load(open('$W/co.json'))['achieved_rps'])")
line "loadgen open loop vs a stalling server: achieved req/s" "$r" ">= 450 of 500" "$(verdict "$r >= 450")"

cp "$SRC/deploy/fairbid.json" "$W/cfg.json"
[ -f "$SRC/deploy/policy.json" ] && cp "$SRC/deploy/policy.json" "$W/policy.json"
python3 -c "import json; d=json.load(open('$W/cfg.json')); d['redis']=''; json.dump(d, open('$W/cfg.json','w'))"
"$BIN" serve --config "$W/cfg.json" --listen 127.0.0.1:0 --port-file "$W/fb.port" >"$W/fb.log" 2>&1 &
FB=$!
PIDS+=("$FB")
for _ in $(seq 100); do [ -s "$W/fb.port" ] && curl -sf "http://127.0.0.1:$(cat "$W/fb.port")/healthz" >/dev/null && break; sleep 0.05; done
sleep 0.3 # idle: the workers asleep in epoll_wait
t0=$(date +%s%N)
kill -TERM "$FB"
wait "$FB"
ms=$((($(date +%s%N) - t0) / 1000000))
line "fairbid idle instance: SIGTERM to exit (ms)" "$ms" "< 2000" "$(verdict "$ms < 2000")"
