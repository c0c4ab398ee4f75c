#!/usr/bin/env bash
# server_instructions: user-space instructions per request of the real server, HTTP included: one fairbid
# worker under callgrind, fairbid-loadgen sending exactly N requests (closed loop, 64 connections) of the sample
# request, then the same with N_SMALL; (total(N) - total(N_SMALL)) / (N - N_SMALL) is the cost of a request with
# start-up and shutdown subtracted. Then each piece of the request path per request (inclusive). Exact counts,
# independent of the machine's load (callgrind counts instructions, not time); takes ~30 s.
#
# usage: bench/server_instructions.sh [BUILD_DIR]   (default build-bench; a Release build with -g names functions)
# env:   N (22000) N_SMALL (2000) CONNECTIONS (64) BODY (deploy/sample-request.json) CONFIG (deploy/fairbid.json)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=server_instructions
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
BUILD=${1:-$ROOT/build-bench}
N=${N:-22000}
N_SMALL=${N_SMALL:-2000}
CONNECTIONS=${CONNECTIONS:-64}
BODY=${BODY:-$ROOT/deploy/sample-request.json}
CONFIG=${CONFIG:-$ROOT/deploy/fairbid.json}
for tool in valgrind callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "server_instructions: $tool is missing" >&2; exit 1; }
done
[[ -x $BUILD/fairbid && -x $BUILD/fairbid-loadgen ]] || { echo "server_instructions: $BUILD lacks fairbid or fairbid-loadgen" >&2; exit 1; }
T=$(mktemp -d /tmp/fairbid-srv-instr.XXXXXX)
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$T"' EXIT
mkdir -p "$T/reqs"
cp "$BODY" "$T/reqs/"

small=$(cg_run "$CONFIG" "$N_SMALL")
big=$(cg_run "$CONFIG" "$N")
per=$(cg_per "$big" "$small" $((N - N_SMALL)))
echo "Instructions per request (callgrind, one worker, fairbid-loadgen --max --connections $CONNECTIONS, $N minus $N_SMALL requests): **$per**"
echo
echo "| piece (inclusive, per request over the $N run) | instructions |"
echo "|---|---:|"
callgrind_annotate --inclusive=yes --threshold=100 "$big" 2>/dev/null |
    awk -v n="$N" -v per="$per" '/Auto-annotated|User-annotated/ {exit}
        match($0, /:(hs_on_read|conn_after_io|native_handler|engine_bid|hp_parse_head|hs_conn_reply|native_sent|send|read|event_base_loop)( |$)/) {
            name = substr($0, RSTART + 1, RLENGTH - 1); sub(/ $/, "", name); c = $1; gsub(",", "", c)
            if (!(name in seen)) { seen[name] = 1; v[name] = c / n; printf "| %s | %.0f |\n", name, c / n } }
        END { if ("engine_bid" in v) printf "| **all but engine_bid** (HTTP, routes, metrics, the loop) | **%.0f** |\n", per - v["engine_bid"] }'
