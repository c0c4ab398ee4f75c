#!/usr/bin/env bash
# fairbid-loadgen against wrk and against itself, on nginx `return 204` over loopback (the HTTP ceiling here).
#  1. Throughput: wrk -tT -cC and fairbid-loadgen --max --threads T --connections C, same POST body, same
#     duration, alternated ROUNDS times in one run; prints each figure and loadgen/wrk (target >= 0.90). wrk
#     can only POST through a Lua script, which costs it throughput here, so wrk's plain GET (no body, its best
#     case) is measured in the same rounds as a stricter reference.
#  2. Precision: fairbid-loadgen --rate 2000 --pingpong: the open-loop p50 against a 1-connection ping-pong round
#     trip measured in the same run (target: within 25%), plus the generator's own scheduling error and the
#     server's CPU time per request (--server-pid on the nginx worker).
# A benchmark, not a test: it asserts nothing, but each target line ends with a verdict: met, not met, or not
# measured (with why: a figure missing, or a ping-pong with too few round trips to have a p50). Shared machines
# make single runs noisy; compare figures from one run only.
# usage: bench/loadgen_vs_wrk.sh [BUILD_DIR]   env: THREADS=1 CONNS=10 DUR=3 ROUNDS=2 RATE=2000 WORKERS=1
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${FAIRBID_BUILD_DIR:-$SRC/build}}
LG=$BUILD/fairbid-loadgen
THREADS=${THREADS:-1}
CONNS=${CONNS:-10}
DUR=${DUR:-3}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-2000}
WORKERS=${WORKERS:-1}
[ -x "$LG" ] || { echo "build fairbid-loadgen first ($LG)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (Debian package wrk)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is not installed (Debian package nginx-light)" >&2; exit 1; }

T=$(mktemp -d /tmp/loadgen-bench.XXXXXX)
NGX=""
cleanup() {
  [ -n "$NGX" ] && kill "$NGX" 2>/dev/null && wait "$NGX" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SRC/scripts/nginx-204.sh" "$T/nginx" "$PORT" "$WORKERS" >/dev/null
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" &
NGX=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done
URL="http://127.0.0.1:$PORT/openrtb2/bid"
WORKER_PID=$(pgrep -P "$NGX" | head -1)

# The same body for both tools: one generated request (fairbid-loadgen's own generator, seed 1).
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
body = json.dumps({"id": "bench-1", "at": 1, "tmax": 120, "cur": ["USD"],
                   "imp": [{"id": "1", "banner": {"w": 300, "h": 250, "format": [{"w": 300, "h": 250}]},
                            "bidfloor": 0.5, "bidfloorcur": "USD", "secure": 1}],
                   "site": {"id": "s1", "domain": "news.example", "page": "https://news.example/a",
                            "publisher": {"id": "p1"}},
                   "device": {"ua": "Mozilla/5.0 (X11; Linux x86_64)", "ip": "192.0.2.1", "geo": {"country": "USA"}},
                   "user": {"id": "lg-user-1", "yob": 1980, "gender": "F"},
                   "regs": {"coppa": 0, "gdpr": 0, "us_privacy": "1YNN"}}, separators=(",", ":"))
open(t + "/body.jsonl", "w").write(body + "\n")
open(t + "/post.lua", "w").write(
    'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n'
    'wrk.headers["x-openrtb-version"] = "2.6"\n' % json.dumps(body))
PY

echo "== throughput: nginx return 204 ($WORKERS worker), $THREADS thread(s), $CONNS connections, ${DUR}s each, $ROUNDS rounds"
wrk_all=()
wrkget_all=()
lg_all=()
for r in $(seq "$ROUNDS"); do
  w=$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" -s "$T/post.lua" "$URL" | awk '/Requests\/sec/ {print $2}')
  g=$(wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" "$URL" | awk '/Requests\/sec/ {print $2}')
  "$LG" --target "$URL" --max --threads "$THREADS" --connections "$CONNS" --duration "${DUR}s" --warmup 0 \
    --requests-file "$T/body.jsonl" --json "$T/max.json" >"$T/max.out"
  l=$(python3 -c "import json; print('%.0f' % json.load(open('$T/max.json'))['achieved_rps'])")
  printf '  round %d: wrk POST %s req/s (GET, no body: %s), fairbid-loadgen --max POST %s req/s, ratio %s (to GET %s)\n' \
    "$r" "$w" "$g" "$l" "$(python3 -c "print('%.3f' % ($l / $w))")" "$(python3 -c "print('%.3f' % ($l / $g))")"
  wrk_all+=("$w")
  wrkget_all+=("$g")
  lg_all+=("$l")
done
python3 - "${wrk_all[*]}" "${lg_all[*]}" "${wrkget_all[*]}" <<'PY'
import statistics, sys
w, l, g = ([float(x) for x in a.split()] for a in sys.argv[1:4])
mw, ml, mg = statistics.median(w), statistics.median(l), statistics.median(g)
if mw > 0 and ml > 0 and mg > 0:
    r = ml / mw
    print("  median: wrk POST %.0f req/s, fairbid-loadgen --max %.0f req/s, ratio %.3f (target >= 0.90): %s;"
          " against wrk GET without a body (%.0f req/s): %.3f" % (mw, ml, r, "met" if r >= 0.90 else "not met", mg, ml / mg))
else:
    print("  median: wrk POST %.0f req/s, fairbid-loadgen --max %.0f req/s (target >= 0.90): not measured"
          " (a tool gave no throughput)" % (mw, ml))
PY

echo "== precision: open loop at $RATE req/s, 1 thread, 10 connections, after a 1-connection ping-pong"
"$LG" --target "$URL" --rate "$RATE" --connections 10 --duration "${DUR}s" --warmup 1s --pingpong \
  --requests-file "$T/body.jsonl" --server-pid "$WORKER_PID" --json "$T/rate.json" >"$T/rate.out"
grep -E "latency|scheduling|ping-pong|cpu|rate " "$T/rate.out" | sed 's/^/ /'
python3 - "$T/rate.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pp, lat, sch = d.get("pingpong_us", {}), d["latency_us"], d["schedule_error_us"]
if pp.get("count", 0) >= 100 and lat["count"] >= 100 and pp["p50"] > 0:
    dev = 100 * (lat["p50"] / pp["p50"] - 1)
    verdict = "met" if abs(dev) <= 25 else "not met"
    print("  open-loop p50 %.1f us vs ping-pong p50 %.1f us: %+.1f%% (target within 25%%): %s; send-due p50 %.1f us, p99 %.1f us"
          % (lat["p50"], pp["p50"], dev, verdict, sch["p50"], sch["p99"]))
else:
    print("  open-loop p50 vs ping-pong p50 (target within 25%%): not measured (%d open-loop answers, %d ping-pong round"
          " trips; at least 100 of each are needed for a p50)" % (lat["count"], pp.get("count", 0)))
if "server_cpu_us_per_request" in d["cpu"]:
    print("  nginx worker CPU per request: %.2f us; fairbid-loadgen CPU %.1f%% of a core"
          % (d["cpu"]["server_cpu_us_per_request"], d["cpu"]["loadgen_percent"]))
PY
