#!/usr/bin/env bash
# Fairness on upstream bids in the simulated market of the fairness tests (fairbid-loadgen --exchange: eligible
# population 60/40 men/women, competing prices 25% higher for women), with fairbid in front of an upstream that
# bids identically for both groups: a "policy": "none" fairbid bidding one housing campaign (Ad Product 1484)
# on everything. Every request carries a US Privacy opt-out, so the upstream gets no personal data and its
# housing bids pass the special-category rule; fairbid still knows each person's group.
#   off: the same upstream behind fairbid, but its category is not a special one (1002): no controller -> the
#        market's skew on wins (impact ratio about 0.73);
#   on:  housing, balanced by the controller keyed by (upstream, cid): impact ratio >= 0.8 and TVD <= 0.05 on
#        wins in each measured window.
# Figures come from the load generator's own counts (by_group answered as the eligible population, wins per
# group for the upstream's cid), as in test_fairness.
source "$(dirname "$0")/../harness/lib.sh"
source "$(dirname "$0")/fairness_lib.sh"
RATE=${FAIR_RATE:-300}
NW=${FAIR_WINDOWS:-3}
WIN=10s
LGARGS=(--gdpr-share 0 --usp-share 1 --gpp-share 0 --optout-share 1 --gpc-share 0 --coppa-share 0 --minor-share 0)

up_config() { # PORT CAT
  cat <<J
{"listen": "127.0.0.1:$1", "threads": 1, "currency": "USD", "policy": "none", "win_url": "http://127.0.0.1:$1/win",
 "campaigns": [{"id": "homes", "crid": "cr-homes", "adomain": ["homes.example"], "cat": ["$2"], "cattax": 8,
   "bid_cpm": 1.2, "formats": $FORMATS, "adm": "<div>homes</div>"}]}
J
}
front_config() { # PORT UPPORT
  cat <<J
{"listen": "127.0.0.1:$1", "threads": 2, "currency": "USD", "tcf_vendor_id": 1000, "win_url": "http://127.0.0.1:$1/win",
 "campaigns": [],
 "upstreams": [{"id": "dsp", "url": "http://127.0.0.1:$2/openrtb2/bid", "timeout_ms": 100, "tcf_vendor_id": 1000,
   "special_category": {"housing": {"cats": ["1484"], "fairness": {"attribute": "gender", "min_impact_ratio": 0.8,
     "max_tvd": 0.05, "window_s": 10, "max_boost": 1.5, "min_eligible": 50}}}}]}
J
}
start() { # CAT: starts the upstream and the front; sets FLEET_TARGETS for market()
  UP=$(free_port)
  FR=$(free_port)
  up_config "$UP" "$1" >"$T/up.json"
  front_config "$FR" "$UP" >"$T/front.json"
  "$BIN" serve --config "$T/up.json" >"$T/up.$RANDOM.log" 2>&1 &
  UP_PID=$!
  PIDS+=("$UP_PID")
  "$BIN" serve --config "$T/front.json" >"$T/front.$RANDOM.log" 2>&1 &
  FR_PID=$!
  PIDS+=("$FR_PID")
  wait_for fairbid_ready "http://127.0.0.1:$UP" || die "upstream fairbid did not start"
  wait_for fairbid_ready "http://127.0.0.1:$FR" || die "front fairbid did not start"
  FLEET_TARGETS=(--target "http://127.0.0.1:$FR/openrtb2/bid")
}
stop() {
  kill -9 "$UP_PID" "$FR_PID" 2>/dev/null
  wait "$UP_PID" "$FR_PID" 2>/dev/null
}
mkt() { # OUT DURATION RATE
  timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate "$3" --duration "$2" --warmup 0 --connections 8 --exchange \
    --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" \
    "${LGARGS[@]}" --json "$1" >"$1.out" 2>&1
}

# The off market runs beside the on market (its own two instances, files in $T/off; a market is a few per cent
# of a core, the test waits on the clock): a subshell, its checks counted here from the figures it leaves.
(
  T=$T/off PIDS=()
  mkdir -p "$T"
  trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done' EXIT
  start 1002
  mkt "$T/off.json" 9s $((RATE * 3))
  window_figures "$T/off.json" homes >"$T/off.fig"
  stop
) >"$T/off.out" 2>&1 &
OFF_PID=$!

start 1484
mkt "$T/warm.json" 4s "$RATE"
for i in $(seq 1 "$NW"); do
  mkt "$T/w$i.json" "$WIN" "$RATE"
  fig=$(window_figures "$T/w$i.json" homes)
  echo "# on, window $i: IR bids, TVD bids, IR wins, TVD wins, bids, wins = $fig"
  check "on, window $i: IR >= 0.8 and TVD <= 0.05 on wins" python3 -c "
import sys; a=[float(x) for x in '$fig'.split()]; sys.exit(0 if a[2] >= 0.8 and a[3] <= 0.05 else 1)"
done
thr=$(curl -s "http://127.0.0.1:$FR/metrics" | awk '/fairbid_upstream_bids_dropped_total\{upstream="dsp",reason="fairness.throttle"\}/ {print $2}')
echo "# on: fairness.throttle drops of upstream bids: ${thr:-0}"
stop

wait "$OFF_PID"
cat "$T/off.out"
OFF=$(cat "$T/off/off.fig" 2>/dev/null)
echo "# off (not a special category): IR bids, TVD bids, IR wins, TVD wins, bids, wins = $OFF"
check "off: the upstream bid on what the market sent" test "$(echo "${OFF:-x x x x 0}" | cut -d' ' -f5)" -gt 100
check "off: the market skews wins (impact ratio on wins < 0.8)" python3 -c "
import sys; a=[float(x) for x in '${OFF:-x}'.split()]; sys.exit(0 if a[2] < 0.8 else 1)"
finish
