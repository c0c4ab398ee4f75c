#!/usr/bin/env bash
# e2e_generated: fairbid with the full filter pipeline (deploy/fairbid.json with its policy: consent decoding,
# sensitive and exploitative rules, auction, serialize) under fairbid-loadgen's built-in traffic (GDPR/TCF, GPP,
# US Privacy, GPC, COPPA, minors, segments of every policy class, demographic groups): the closed-loop maximum,
# then open-loop latency at 50% and 90% of it. Server pinned to core 0 (1 worker), loadgen to core 1, on 2+ cores.
# Prints Markdown (bench/run.sh puts it into RESULTS.md). Bounded: about 20 s.
# A p99 counts only when the generator's own send-minus-due p99 is below 10% of it (latency is measured from the
# due time, so a late generator's lateness is in every figure); the last column says which rows count.
# usage: bench/e2e_generated.sh [BUILD_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
LG=$BUILD/fairbid-loadgen
[[ -x $BUILD/fairbid && -x $LG ]] || { echo "e2e_generated: build $BUILD first" >&2; exit 1; }
SRV=()
LOAD=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then SRV=(taskset -c 0); LOAD=(taskset -c 1); fi
T=$(mktemp -d /tmp/fairbid-e2e.XXXXXX)
FB=
cleanup() { [[ -n $FB ]] && kill -TERM "$FB" 2>/dev/null && wait "$FB" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
"${SRV[@]}" "$BUILD/fairbid" serve --config "$ROOT/deploy/fairbid.json" --listen 127.0.0.1:0 --threads 1 \
    --port-file "$T/port" >"$T/fairbid.log" 2>&1 &
FB=$!
for _ in $(seq 100); do [[ -s $T/port ]] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$T/port")/openrtb2/bid"
TRAFFIC=(--seed 7 --users 100000 --gdpr-share 0.3 --gpp-share 0.3 --usp-share 0.3 --gpc-share 0.05 --coppa-share 0.02
    --minor-share 0.05)
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
timeout 20 "${LOAD[@]}" "$LG" --target "$URL" --max --connections 32 --duration 4s --warmup 1s "${TRAFFIC[@]}" \
    --json "$T/max.json" >"$T/max.out" 2>&1 || true
MAX=$(field "$T/max.json" 'int(d["achieved_rps"])')
echo "fairbid \`serve --threads 1\` with deploy/fairbid.json (policy loaded), fairbid-loadgen built-in traffic"
echo "(\`${TRAFFIC[*]}\`), server on core 0, loadgen on core 1. Closed-loop maximum (\`--max --connections 32\`):"
echo "**$MAX req/s**; status counts $(field "$T/max.json" 'json.dumps(d["status"])')."
echo
echo "| open-loop rate | achieved | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | send-due p99 µs | p99 measured? |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for pct in 50 90; do
    R=$((MAX * pct / 100))
    timeout 20 "${LOAD[@]}" "$LG" --target "$URL" --rate "$R" --connections 32 --duration 4s --warmup 1s \
        --no-busy-poll "${TRAFFIC[@]}" --json "$T/r$pct.json" >"$T/r$pct.out" 2>&1 || true
    echo "| $pct% = $R req/s | $(field "$T/r$pct.json" 'int(d["achieved_rps"])') | $(field "$T/r$pct.json" 'd["latency_us"]["p50"]') | $(field "$T/r$pct.json" 'd["latency_us"]["p90"]') | $(field "$T/r$pct.json" 'd["latency_us"]["p99"]') | $(field "$T/r$pct.json" 'd["latency_us"]["p999"]') | $(field "$T/r$pct.json" 'd["latency_us"]["max"]') | $(field "$T/r$pct.json" 'd["schedule_error_us"]["p99"]') | $(field "$T/r$pct.json" '"yes" if d["schedule_error_us"]["p99"] < 0.1 * d["latency_us"]["p99"] and d["achieved_rps"] >= 0.99 * d["target_rps"] else "no: the generator was late (send-due p99 %.0f%% of the p99) or short of the rate" % (100 * d["schedule_error_us"]["p99"] / max(d["latency_us"]["p99"], 1e-9))') |"
done
