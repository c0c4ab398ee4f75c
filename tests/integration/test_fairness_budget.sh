#!/usr/bin/env bash
# Money budgets (#20): 4 fairbid instances lease spend from one Redis, demand ~3x the budget, the loadgen's
# simulated exchange (pay as bid, then second price) sends win notices with the clearing price and loss notices.
# The spend is the sum of clearing prices the exchange side counted (its tally, not fairbid's figures):
# <= the budget exactly, >= 97% of it used. Then one instance SIGKILLed mid-period: still <= the budget. Then
# Redis stopped: the campaign bids on its reserve, stops when it is spent (never beyond what it leased), and
# resumes by itself once Redis is back.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
redis_start
AMOUNT=${FAIR_BUDGET:-1.0}
AMOUNT_MICROS=$(python3 -c "print(round($AMOUNT * 1e6))")
CAMP="[$(campaign budgeted 1.2 "\"budget\": {\"amount\": $AMOUNT, \"period_s\": 86400, \"pacing\": \"asap\"},")]"

# the exchange side's spend for the campaign: sum of clearing prices (CPM) / 1000, in micros (rounded down)
lg_spend() { python3 -c "import json; d=json.load(open('$1')); print(int(sum(g['spend_cpm'] for r in d['by_campaign'] if r['campaign']=='budgeted' for g in r['groups'].values()) * 1000))"; }
lg_wins() { python3 -c "import json; d=json.load(open('$1')); print(sum(g['wins'] for r in d['by_campaign'] if r['campaign']=='budgeted' for g in r['groups'].values()))"; }
# the budget's lease counter in Redis (reserved = leased minus returned, fleet-wide), micros
redis_reserved() { redis-cli -p "$REDIS_PORT" --scan --pattern 'fairbid:budget:budgeted:*' | grep -v ':spent$' | head -1 | xargs -r redis-cli -p "$REDIS_PORT" get; }
redis_spent() { redis-cli -p "$REDIS_PORT" --scan --pattern 'fairbid:budget:budgeted:*:spent' | head -1 | xargs -r redis-cli -p "$REDIS_PORT" get; }
# metric NAME PORT: the campaign's value of a budget gauge (in the currency), as micros
metric() { curl -s "http://127.0.0.1:$2/metrics" | awk -v n="$1{campaign=\"budgeted\"}" '$1==n {printf "%d\n", $2 * 1e6 + 0.5}'; }
counter() { curl -s "http://127.0.0.1:$2/metrics" | awk -v n="$1" '$1==n {print $2}'; }

market_price() { # OUT DURATION RATE [--second-price]
  timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate "$3" --duration "$2" --warmup 0 --connections 8 --exchange \
    --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" ${4:-} \
    --json "$1" >"$1.out" 2>&1
}

judge() { # LABEL LOADGEN.json
  local s w u f
  s=$(lg_spend "$2") w=$(lg_wins "$2") u=$(redis_reserved) f=$(redis_spent)
  echo "# $1: budget $AMOUNT_MICROS micros; exchange-side spend $s over $w wins; Redis reserved $u, notified spend $f; $(python3 -c "print('%.2f%% used' % (100*$s/$AMOUNT_MICROS))")"
  check "$1: spend <= budget exactly (exchange side $s)" test "$s" -le "$AMOUNT_MICROS"
  check "$1: reserved in Redis <= budget ($u)" test "${u:-0}" -le "$AMOUNT_MICROS"
  check "$1: notified spend <= budget ($f)" test "${f:-0}" -le "$AMOUNT_MICROS"
}

# 1. pay as bid: demand ~3x (6000 requests x 0.7 eligible x ~55% won x 0.0012 ~ 2.8 for a budget of 1.0)
fb_fleet 4 "$CAMP"
market_price "$T/b1.json" 5s 1200
judge "4 instances, pay as bid" "$T/b1.json"
S=$(lg_spend "$T/b1.json")
check ">= 97% of the budget used, pay as bid ($S of $AMOUNT_MICROS)" test $((S * 100)) -ge $((AMOUNT_MICROS * 97))
L=$(python3 -c "import json; print(json.load(open('$T/b1.json'))['win_notices']['loss_notices'])")
check "loss notices were sent (they give the reserve back: $L)" test "$L" -gt 0
# a notice with an unreadable value (repeated key, bad escape, %00) is refused whole: 400, nothing counted
W0="http://127.0.0.1:${FLEET_PORTS[0]}/win"
for bad in "cid=budgeted&imp=1&req=r&cid=x" "cid=budgeted&imp=1&req=r&loss=%zz" "cid=budgeted&imp=1&req=r&price=%4" \
  "cid=budgeted&imp=1&req=r%00x"; do
  expect_eq "/win?$bad: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$W0?$bad")"
done
expect_eq "/win of an unknown bid: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$W0?cid=budgeted&imp=1&req=none")"
# the report reads the same keys: the budget exhausted, its spend the fleet's notified spend, cost per win per group
fair_config "${FLEET_PORTS[0]}" "$CAMP" >"$T/report.json"
"$BIN" fairness report --config "$T/report.json" --redis "$REDIS_URL" --json >"$T/report.out" 2>&1
read -r RSTATE RSPENT RCPW < <(python3 -c "
import json; b = json.load(open('$T/report.out'))['campaigns'][0]['budget']
print(b['state'], round(b['spent'] * 1e6), '%.6f' % b['groups']['female']['cost_per_win'])" 2>/dev/null)
echo "# report: state $RSTATE, spent $RSPENT micros, female cost per win $RCPW"
check "report: budget exhausted (${RSTATE:-none})" test "${RSTATE:-}" = exhausted
check "report: spent = the fleet's notified spend (${RSPENT:-none} = $(redis_spent))" test "${RSPENT:-x}" = "$(redis_spent)"
check "report: cost per win per group (pay as bid: the bid, 0.0012: ${RCPW:-none})" test "${RCPW:-}" = 0.001200
fb_fleet_stop
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# 2. second price: a win costs the competing price, the rest of the bid's reservation goes back
fb_fleet 4 "$CAMP"
market_price "$T/b2.json" 5s 1000 --second-price
judge "4 instances, second price" "$T/b2.json"
S=$(lg_spend "$T/b2.json")
check ">= 97% of the budget used, second price ($S of $AMOUNT_MICROS)" test $((S * 100)) -ge $((AMOUNT_MICROS * 97))
fb_fleet_stop
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# 3. one instance SIGKILLed mid-period: its reserve is lost (never spent twice), the budget still holds
fb_fleet 4 "$CAMP"
market_price "$T/b3.json" 5s 1200 &
LGP=$!
third_spent() { local v; v=$(metric fairbid_budget_spent "${FLEET_PORTS[1]}"); [ "${v:-0}" -ge $((AMOUNT_MICROS / 3)) ]; }
check "a third of the budget spent before the kill" wait_for third_spent
kill -9 "${FLEET_PIDS[0]}"
wait "$LGP"
judge "one instance killed mid-period" "$T/b3.json"
fb_fleet_stop
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# 4. Redis stopped: the campaign spends what it holds, then stops (fail closed); Redis back: it resumes
BIG="[$(campaign budgeted 1.2 "\"budget\": {\"amount\": 100, \"period_s\": 86400},")]"
fb_fleet 1 "$BIG"
P=${FLEET_PORTS[0]}
market_price "$T/b4.json" 8s 800 &
LGP=$!
bidding() { local v; v=$(metric fairbid_budget_instance_spent "$P"); [ "${v:-0}" -gt 10000 ]; }
check "bidding before the outage" wait_for bidding
redis-cli -p "$REDIS_PORT" shutdown save >/dev/null 2>&1
wait "$REDIS_PID" 2>/dev/null
LEASED=$(metric fairbid_budget_instance_leased "$P") RET=$(metric fairbid_budget_instance_returned "$P")
U0=$(counter 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}' "$P")
# notices_settled: every bid of the campaign (the only one here: fairbid_bids_total is its bids) has had its win,
# loss or late notice. Until then a loss notice (or a win below the bid) can still give spend back to the reserve,
# and a bid on that refund is the product working, not a bid while dry: under heavy load (load average 8-22) the
# loadgen's notices came after the reserve had first looked dry, and "no bid while dry" failed on such a bid.
notices_settled() {
  local m b n
  m=$(curl -s "http://127.0.0.1:$P/metrics")
  b=$(awk '$1 == "fairbid_bids_total" {print $2}' <<<"$m")
  n=$(awk '$1 ~ /^fairbid_budget_notices_total\{campaign="budgeted",kind="(win|loss|late)"\}$/ {s += $2} END {print s + 0}' <<<"$m")
  SETTLED="bids ${b:-?}, notices $n"
  [ -n "$b" ] && [ "$b" = "$n" ]
}
# dry: the reserve is below one bid's spend, decisions fail closed, and no notice is still to come that could refill
# the reserve (Redis is down: no lease can either)
dry() {
  local r u
  r=$(metric fairbid_budget_instance_reserve "$P") u=$(counter 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}' "$P")
  [ "${r:-0}" -lt 1201 ] && [ "${u:-0}" -gt $((${U0:-0} + 100)) ] && notices_settled
}
SETTLED=
check "Redis down: the campaign stops once its reserve is spent and its bids' notices are in" wait_for dry
echo "# dry: reserve $(metric fairbid_budget_instance_reserve "$P") micros; $SETTLED"
B_DRY=$(counter fairbid_bids_total "$P")
U1=$(counter 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}' "$P")
more_refused() { local u; u=$(counter 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}' "$P"); [ "${u:-0}" -gt $((U1 + 200)) ]; }
check "Redis down: 200 more eligible requests refused" wait_for more_refused
B_DRY2=$(counter fairbid_bids_total "$P")
check "Redis down: no bid while dry ($B_DRY then $B_DRY2)" test "$B_DRY" = "$B_DRY2"
SPENT=$(metric fairbid_budget_instance_spent "$P")
echo "# outage: leased $LEASED, returned $RET, spent at clearing prices $SPENT (micros)"
check "Redis down: spend never beyond what was leased ($SPENT <= $LEASED - $RET)" test "$SPENT" -le $((LEASED - RET))
REDIS_PORT_WANT=$REDIS_PORT redis_start
resumed() { local b; b=$(counter fairbid_bids_total "$P"); [ "${b:-0}" -gt "$B_DRY2" ]; }
check "Redis back: the campaign bids again by itself" wait_for resumed
wait "$LGP"
fb_fleet_stop
finish
