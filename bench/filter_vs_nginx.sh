#!/usr/bin/env bash
# filter_vs_nginx: fairbid in filter mode (issue 17) beside nginx as a plain reverse proxy, both in front of the
# same upstream bidder, in one run with the same load and connections:
#   direct   load -> upstream
#   nginx    load -> nginx (proxy_pass to an upstream{} block with a keepalive pool) -> upstream
#   fairbid  load -> fairbid ("upstreams": [that upstream], no campaigns) -> upstream
# The upstream is an nginx answering a fixed BidResponse for the request's id (the same bytes to both proxies,
# and fast enough that the proxies are what is measured). For each path: closed-loop throughput
# (fairbid-loadgen --max), open-loop latency at a fixed rate (p50, p99; the proxies' added latency is their
# figure minus the direct one), and the front's CPU time per request (fairbid-loadgen --server-pid). Markdown on
# stdout. Bounded: about 40 s in all with the defaults.
#
# usage: bench/filter_vs_nginx.sh [BUILD_DIR]   (default build; needs nginx and a built fairbid-loadgen)
# env:   DURATION (3, seconds per run, at most 5) CONNECTIONS (32) RATE (1000, open-loop req/s) WORKERS (1)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-32}
RATE=${RATE:-1000}
WORKERS=${WORKERS:-1}
((DURATION <= 5)) || DURATION=5
LOADGEN=$BUILD/fairbid-loadgen
for tool in nginx python3 curl; do
    command -v "$tool" >/dev/null || { echo "filter_vs_nginx: $tool is missing" >&2; exit 1; }
done
[[ -x $BUILD/fairbid && -x $LOADGEN ]] || { echo "filter_vs_nginx: build fairbid and fairbid-loadgen in $BUILD" >&2; exit 1; }

T=$(mktemp -d /tmp/fairbid-filter-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# the request: no GDPR, an adult, so it is forwarded with its personal data (the scrub still runs)
mkdir -p "$T/reqs"
cat >"$T/reqs/req.json" <<'EOF'
{"id":"bench-1","tmax":120,"cur":["USD"],"imp":[{"id":"1","banner":{"w":300,"h":250}}],
 "site":{"domain":"news.example","page":"http://news.example/a"},
 "device":{"ua":"Mozilla/5.0","ip":"203.0.113.7","geo":{"country":"USA","lat":40.7,"lon":-74.0}},
 "user":{"id":"u1","buyeruid":"b1"}}
EOF
RESP='{"id":"bench-1","cur":"USD","seatbid":[{"seat":"up","bid":[{"id":"b1","impid":"1","price":2.5,"adm":"<div>ad</div>","adomain":["dsp.example"],"cat":["1001"],"cattax":8,"crid":"c1","w":300,"h":250,"mtype":1}]}]}'

UPORT=$(free_port)
NPORT=$(free_port)
nginx_conf() { # dir body
    mkdir -p "$T/$1"
    cat >"$T/$1/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/$1/nginx.pid;
error_log $T/$1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $T/$1/body;
    proxy_temp_path $T/$1/proxy;
    fastcgi_temp_path $T/$1/fastcgi;
    uwsgi_temp_path $T/$1/uwsgi;
    scgi_temp_path $T/$1/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    $2
}
EOF
}
nginx_conf up "server { listen 127.0.0.1:$UPORT reuseport; location / { default_type application/json; return 200 '$RESP'; } }"
nginx_conf proxy "upstream bidder { server 127.0.0.1:$UPORT; keepalive 64; }
    server { listen 127.0.0.1:$NPORT reuseport; location / { proxy_pass http://bidder; proxy_http_version 1.1;
        proxy_set_header Connection \"\"; } }"
nginx -p "$T/up" -c "$T/up/nginx.conf" >"$T/up/stdout.log" 2>&1 &
PIDS+=("$!")
nginx -p "$T/proxy" -c "$T/proxy/nginx.conf" >"$T/proxy/stdout.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
cat >"$T/fairbid.json" <<EOF
{"threads": $WORKERS, "currency": "USD", "campaigns": [], "tmax_margin_ms": 10,
 "upstreams": [{"id": "up", "url": "http://127.0.0.1:$UPORT/openrtb2/bid", "timeout_ms": 100, "connections": 64}]}
EOF
"$BUILD/fairbid" serve --config "$T/fairbid.json" --listen 127.0.0.1:0 --port-file "$T/fb.port" >"$T/fb.log" 2>&1 &
FB_PID=$!
PIDS+=("$FB_PID")
for _ in $(seq 100); do
    [[ -s $T/fb.port ]] && curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && curl -s -o /dev/null "http://127.0.0.1:$UPORT/" && break
    sleep 0.05
done
FPORT=$(cat "$T/fb.port")
DIRECT=http://127.0.0.1:$UPORT/openrtb2/bid
PROXY=http://127.0.0.1:$NPORT/openrtb2/bid
FILTER=http://127.0.0.1:$FPORT/openrtb2/bid
fb_seat=$(curl -s -X POST --data-binary @"$T/reqs/req.json" "$FILTER" | python3 -c 'import json,sys; print([s["seat"] for s in json.load(sys.stdin)["seatbid"]])' 2>/dev/null || echo none)

# run URL MODE PID -> "rps p50 p99 cpu_us_per_req" (nan where the run gave no figure)
run() {
    local mode=(--max) pid=()
    [[ $2 == rate ]] && mode=(--rate "$RATE" --no-busy-poll)
    [[ -n ${3:-} ]] && pid=(--server-pid "$3")
    rm -f "$T/lg.json"
    timeout $((DURATION + 10)) "$LOADGEN" --target "$1" "${mode[@]}" --duration "${DURATION}s" --warmup 500ms \
        --connections "$CONNECTIONS" --requests-dir "$T/reqs" "${pid[@]}" --json "$T/lg.json" >"$T/lg.out" 2>&1 || true
    python3 - "$T/lg.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    lat = d["latency_us"]
    cpu = d.get("cpu") or {}
    per = cpu.get("server_cpu_us_per_request", float("nan"))
    print("%.0f %s %s %s" % (d["achieved_rps"], lat.get("p50", "nan"), lat.get("p99", "nan"), per))
except Exception as e:
    print("nan nan nan nan")
PY
}
echo "### Filter mode beside nginx as a reverse proxy (bench/filter_vs_nginx.sh)"
echo
echo "One run on $(nproc) cores shared with the load generator and the upstream (an nginx answering a fixed"
echo "BidResponse); $WORKERS worker(s) for fairbid, 1 nginx worker; fairbid-loadgen, $CONNECTIONS connections,"
echo "${DURATION}s per measure. fairbid's answer carries the seats $fb_seat."
echo
echo "| path | closed-loop req/s | CPU µs/req (front) | open-loop $RATE req/s: p50 µs | p99 µs | added p50 µs | added p99 µs |"
echo "|---|---:|---:|---:|---:|---:|---:|"
read -r d_rps d50 d99 _ < <(run "$DIRECT" max)
read -r _ d50 d99 _ < <(run "$DIRECT" rate)
read -r n_rps _ _ n_cpu < <(run "$PROXY" max "$NGINX_PID")
read -r _ n50 n99 _ < <(run "$PROXY" rate)
read -r f_rps _ _ f_cpu < <(run "$FILTER" max "$FB_PID")
read -r _ f50 f99 _ < <(run "$FILTER" rate)
add() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "nan" || b == "nan") print "nan"; else printf "%.0f", a - b}'; }
echo "| direct | $d_rps | | $d50 | $d99 | | |"
echo "| nginx proxy_pass (keepalive 64) | $n_rps | $n_cpu | $n50 | $n99 | $(add "$n50" "$d50") | $(add "$n99" "$d99") |"
echo "| fairbid filter mode | $f_rps | $f_cpu | $f50 | $f99 | $(add "$f50" "$d50") | $(add "$f99" "$d99") |"
echo
echo "Bars (issue 17): throughput >= nginx's: $(awk -v f="$f_rps" -v n="$n_rps" 'BEGIN {print (f == "nan" || n == "nan") ? "not measured" : (f >= n ? "met" : "not met") " (" f " vs " n ")"}');" \
    "added p50 and p99 <= nginx's: $(awk -v f5="$(add "$f50" "$d50")" -v n5="$(add "$n50" "$d50")" -v f9="$(add "$f99" "$d99")" -v n9="$(add "$n99" "$d99")" 'BEGIN {print (f5 == "nan" || n5 == "nan") ? "not measured" : ((f5 <= n5 && f9 <= n9) ? "met" : "not met")}')."
curl -s "http://127.0.0.1:$FPORT/metrics" | awk '/^fairbid_upstream_(forwarded|timeouts|bids_passed)_total/ {printf "`%s %s` ", $1, $2} END {print ""}'
