#!/usr/bin/env bash
# The budget + fairness controller (issue 20, filters/fair_pace) with real processes: the simulated market of the
# fairness tests (fairbid-loadgen --exchange: 60/40 men/women eligible, women's competing prices DEAR x dearer),
# one fairbid and a real redis-server. Per market: the unconstrained twin runs one budget period alone and its
# spend is measured by the exchange (the loadgen); then the constrained campaign (gender fairness, the
# employment special category) runs the next period with exactly that spend as its even-paced budget.
# Asserted: impact ratio >= 0.8 and TVD <= 0.05 on wins in every window after warm-up, spend <= budget (the
# exchange's count and fairbid's own), wins >= 95% of the twin's.
# The period is the run (period_s = PERIOD): budget periods are aligned to multiples of period_s, so the
# constrained run waits for the next boundary (up to one period) and fills that period exactly.
# FAIR_PACE_MARKETS ("rule:dear ...", rule pab | sp) picks the markets (default both rules, 25% dearer;
# docs/fairness.md quotes "pab:1.1 pab:1.25 pab:1.5 sp:1.1 sp:1.25 sp:1.5"), FAIR_RATE the request rate.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
# the money budget runtime (config `budget`, spend leases) is the premise; a binary without it cannot run this
"$BIN" config-doc 2>/dev/null | grep -q '^| `budget` |' || { skip "this fairbid has no campaign \`budget\` (issue 20 runtime)"; finish; }
redis_start
RATE=${FAIR_RATE:-300}
MARKETS=${FAIR_PACE_MARKETS:-pab:1.25 sp:1.25}
WARM_S=10
WIN_S=10
NW=${FAIR_WINDOWS:-3}
PERIOD=$((WARM_S + NW * WIN_S))

# fleet_at NAME CAMPAIGN_JSON: one fairbid, ready; sets <NAME>_PORT, <NAME>_PID, <NAME>_TARGET
fleet_at() {
  local p
  p=$(free_port)
  fair_config "$p" "[$2]" >"$T/$1.json"
  "$BIN" serve --config "$T/$1.json" >"$T/fairbid-$1.$RANDOM.log" 2>&1 &
  PIDS+=($!)
  printf -v "${1}_PID" %s $!
  printf -v "${1}_PORT" %s "$p"
  printf -v "${1}_TARGET" %s "http://127.0.0.1:$p/openrtb2/bid"
  wait_for fairbid_ready "http://127.0.0.1:$p" || die "fairbid ($1) on $p did not become ready"
}

# lg OUT.json TARGET DURATION RULE DEAR: one loadgen run against TARGET
lg() {
  local sp=()
  [ "$4" = sp ] && sp=(--second-price)
  timeout $(($3 + 30)) "$LG" --target "$2" --rate "$RATE" --duration "$3s" --warmup 0 --connections 8 --exchange \
    "${sp[@]}" --compete "male=1.0,female=$5" --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" \
    --json "$1" >"$1.out" 2>&1
}

# totals CAMPAIGN FILE...: "wins spend" (spend in the currency: the exchange's clearing prices are CPM)
totals() {
  python3 - "$@" <<'PY'
import json, sys
cid, w, s = sys.argv[1], 0, 0.0
for f in sys.argv[2:]:
    for r in json.load(open(f))['by_campaign']:
        if r['campaign'] == cid:
            for g in r['groups'].values():
                w += g['wins']; s += g['spend_cpm'] / 1000
print('%d %.6f' % (w, s))
PY
}

# until_epoch EPOCH_S: waits for a wall-clock instant (a budget period is a wall-clock period, not an event)
until_epoch() {
  python3 -c "import time; time.sleep(max(0, $1 - time.time()))"
}

# sequence NAME TARGET RULE DEAR END_EPOCH: the warm-up run, then NW measured windows back to back; the last
# window ends at END_EPOCH (the period's end) so no request falls into the next period. Sets FILES.
sequence() {
  local i d
  FILES=("$T/$1-warm.json")
  lg "$T/$1-warm.json" "$2" "$WARM_S" "$3" "$4" || not_ok "$1: warm-up loadgen failed"
  for i in $(seq 1 "$NW"); do
    d=$WIN_S
    [ "$i" = "$NW" ] && d=$(python3 -c "import time; print('%.3f' % min($WIN_S, $5 - time.time() - 0.05))")
    lg "$T/$1-w$i.json" "$2" "$d" "$3" "$4" || not_ok "$1: loadgen window $i failed"
    FILES+=("$T/$1-w$i.json")
  done
}

FAIR='"special_category": "employment", "fairness": {"attribute": "gender", "min_impact_ratio": 0.8, "max_tvd": 0.05, "window_s": 10, "max_boost": 1.5, "min_eligible": 50},'

run_market() {
  local rule=$1 dear=$2 label="$1, women ${2}x dearer" b i fig
  # the twin: the same sequence of runs, one period long, no alignment needed (it has no budget)
  fleet_at twin "$(campaign twin 1.2 '"fairness": null,')"
  sequence twin "$twin_TARGET" "$rule" "$dear" "$(($(date +%s) + PERIOD + 1))"
  read -r TW TS <<<"$(totals twin "${FILES[@]}")"
  echo "# $label: twin over one period ($PERIOD s): wins $TW, spend $TS; (IR bids, TVD bids, IR wins, TVD wins, bids, wins) per window:$(for f in "${FILES[@]:1}"; do echo -n " [$(window_figures "$f" twin)]"; done)"
  kill -9 "$twin_PID" 2>/dev/null
  wait "$twin_PID" 2>/dev/null
  # the constrained campaign: exactly the twin's spend as the budget of the next whole period
  fleet_at jobs "$(campaign jobs 1.2 "$FAIR \"budget\": {\"amount\": $TS, \"period_s\": $PERIOD, \"pacing\": \"even\"},")"
  b=$((($(date +%s) + PERIOD) / PERIOD * PERIOD))
  until_epoch "$b"
  sequence jobs "$jobs_TARGET" "$rule" "$dear" $((b + PERIOD))
  for i in $(seq 1 "$NW"); do
    fig=$(window_figures "${FILES[$i]}" jobs)
    echo "# $label window $i: IR bids, TVD bids, IR wins, TVD wins, bids, wins = $fig"
    check "$label window $i: IR >= 0.8 and TVD <= 0.05 on wins" python3 -c "
a=[float(x) for x in '${fig:-x}'.split()]; import sys; sys.exit(0 if a[2]>=0.8 and a[3]<=0.05 else 1)"
  done
  read -r CW CS <<<"$(totals jobs "${FILES[@]}")"
  local fb_spend
  fb_spend=$(curl -s "http://127.0.0.1:$jobs_PORT/metrics" | awk '/^fairbid_budget_spent_micros_total\{campaign="jobs"/{print $2}')
  echo "# $label: constrained over its period: wins $CW ($(python3 -c "print('%.1f' % (100*$CW/max($TW,1)))")% of the twin), spend $CS of budget $TS ($(python3 -c "print('%.2f' % (100*$CS/$TS))")%; fairbid's count ${fb_spend:-?} micros)"
  check "$label: spend <= budget (exchange: $CS <= $TS)" python3 -c "import sys; sys.exit(0 if $CS <= $TS + 1e-9 else 1)"
  if [ -n "$fb_spend" ]; then
    check "$label: fairbid's spend <= budget ($fb_spend micros)" python3 -c "import sys; sys.exit(0 if $fb_spend <= $TS * 1e6 + 1 else 1)"
  fi
  check "$label: wins >= 95% of the twin's ($CW vs $TW)" python3 -c "import sys; sys.exit(0 if $CW >= 0.95 * $TW else 1)"
  kill -9 "$jobs_PID" 2>/dev/null
  wait "$jobs_PID" 2>/dev/null
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
}

for m in $MARKETS; do run_market "${m%%:*}" "${m#*:}"; done
finish
