#!/usr/bin/env bash
# filter_instructions: user-space instructions per filter-mode request (issue 17) of the real server, the
# method of bench/server_instructions.sh with the config, request and upstream of bench/filter_vs_nginx.sh:
# one fairbid worker under callgrind in front of an nginx answering the fixed BidResponse, fairbid-loadgen
# sending exactly N requests (closed loop, 8 connections), then the same with N_SMALL;
# (total(N) - total(N_SMALL)) / (N - N_SMALL) is the cost of a request with start-up and shutdown subtracted.
# Then the main pieces per request (inclusive, over the N run). Exact counts, independent of the machine's
# load (callgrind counts instructions, not time); takes ~30 s.
#
# usage: bench/filter_instructions.sh [BUILD_DIR]   (default build-bench; a Release build with -g names functions)
# env:   N (2500) N_SMALL (500) CONNECTIONS (8) KEEP (keep the temp dir with the callgrind files)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=filter_instructions
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
BUILD=${1:-$ROOT/build-bench}
N=${N:-2500}
N_SMALL=${N_SMALL:-500}
CONNECTIONS=${CONNECTIONS:-8}
for tool in valgrind callgrind_annotate nginx python3; do
    command -v "$tool" >/dev/null || { echo "filter_instructions: $tool is missing" >&2; exit 1; }
done
[[ -x $BUILD/fairbid && -x $BUILD/fairbid-loadgen ]] || { echo "filter_instructions: $BUILD lacks fairbid or fairbid-loadgen" >&2; exit 1; }
T=$(mktemp -d /tmp/fairbid-filter-instr.XXXXXX)
UP_PID=
cleanup() {
    [[ -n $UP_PID ]] && kill -TERM "$UP_PID" 2>/dev/null && wait "$UP_PID" 2>/dev/null
    [[ -n ${KEEP:-} ]] && echo "filter_instructions: kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT

# the request and the BidResponse of bench/filter_vs_nginx.sh (bench/lib.sh)
filter_request "$T/reqs"
RESP=$FILTER_RESP
UPORT=$(free_port)
nginx_conf up "server { listen 127.0.0.1:$UPORT reuseport; location / { default_type application/json; return 200 '$RESP'; } }"
nginx -p "$T/up" -c "$T/up/nginx.conf" >"$T/up/stdout.log" 2>&1 &
UP_PID=$!
cat >"$T/fairbid.json" <<EOF
{"threads": 1, "currency": "USD", "campaigns": [], "tmax_margin_ms": 10,
 "upstreams": [{"id": "up", "url": "http://127.0.0.1:$UPORT/openrtb2/bid", "timeout_ms": 100, "connections": 64}]}
EOF

for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $UPORT)).close()" 2>/dev/null && break; sleep 0.05; done
small=$(cg_run "$T/fairbid.json" "$N_SMALL")
big=$(cg_run "$T/fairbid.json" "$N")
per=$(cg_per "$big" "$small" $((N - N_SMALL)))
echo "Filter-mode instructions per request (callgrind, one worker, fairbid-loadgen --max --connections $CONNECTIONS, $N minus $N_SMALL requests): **$per**"
echo
echo "| piece (inclusive, per request over the $N run) | instructions |"
echo "|---|---:|"
callgrind_annotate --inclusive=yes --threshold=100 "$big" 2>/dev/null |
    awk -v n="$N" '/Auto-annotated|User-annotated/ {exit}
        match($0, /:(engine_bid|scrub_request|kfold|bidresp_parse|hr_parse_head|hs_on_read|hp_parse_head|up_[a-z_]*|ortb_parse[a-z_]*|send|read)( |$)/) {
            name = substr($0, RSTART + 1, RLENGTH - 1); sub(/ $/, "", name); c = $1; gsub(",", "", c)
            if (!(name in seen) && c / n >= 100) { seen[name] = 1; printf "| %s | %.0f |\n", name, c / n } }'
