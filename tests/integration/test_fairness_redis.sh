#!/usr/bin/env bash
# Redis SIGKILLed mid-run: no crash; fairness-constrained and capped campaigns keep going on what they hold,
# then stop (fairness.state_unavailable) while an unconstrained campaign keeps bidding; recovery is automatic
# once Redis is back.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
redis_start
FAIR='"fairness": {"attribute": "gender", "window_s": 10, "max_boost": 1.5, "min_eligible": 50},'
CAMP="[$(campaign fair 1.5 "$FAIR"), $(campaign capped 1.4 '"cap": {"bids": 1000000, "period_s": 86400},'), $(campaign plain 1.0 '')]"
fb_fleet 1 "$CAMP"
M="http://127.0.0.1:${FLEET_PORTS[0]}/metrics"
metric() { curl -s "$M" | awk -v k="$1" 'index($0, k) == 1 {print $2}'; }
by_campaign() { python3 -c "import json; d=json.load(open('$1')); print(sum(g['bids'] for r in d['by_campaign'] if r['campaign']=='$2' for g in r['groups'].values()))"; }

market "$T/r1.json" 3s 200
U0=$(metric 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}')
echo "# Redis up: fair bids $(by_campaign "$T/r1.json" fair), plain $(by_campaign "$T/r1.json" plain); state_unavailable $U0"
check "Redis up: the fairness campaign bids" test "$(by_campaign "$T/r1.json" fair)" -gt 0

kill -9 "$REDIS_PID"
market "$T/r2.json" 5s 200
U1=$(metric 'fairbid_decisions_total{outcome="drop",reason="fairness.state_unavailable"}')
echo "# Redis down 5 s: fair $(by_campaign "$T/r2.json" fair), capped $(by_campaign "$T/r2.json" capped), plain $(by_campaign "$T/r2.json" plain); state_unavailable $U1; state_ok $(metric fairbid_fairness_state_ok)"
check "Redis down: fairbid is alive" curl -sfo /dev/null "http://127.0.0.1:${FLEET_PORTS[0]}/healthz"
check "Redis down: constrained campaigns fail closed (fairness.state_unavailable)" test "$U1" -gt "$U0"
check "Redis down: the unconstrained campaign keeps bidding" test "$(by_campaign "$T/r2.json" plain)" -gt 0
expect_eq "Redis down: state_ok gauge is 0" 0 "$(metric 'fairbid_fairness_state_ok ')"

REDIS_PORT_WANT=$REDIS_PORT redis_start redis2
check "Redis back: fairness state ok again" wait_for sh -c "curl -s '$M' | grep -q '^fairbid_fairness_state_ok 1'"
market "$T/r3.json" 3s 200
echo "# Redis back: fair $(by_campaign "$T/r3.json" fair), plain $(by_campaign "$T/r3.json" plain); state_ok $(metric 'fairbid_fairness_state_ok ')"
check "recovered: the fairness campaign bids again" test "$(by_campaign "$T/r3.json" fair)" -gt 0
expect_eq "recovered: state_ok gauge is 1" 1 "$(metric 'fairbid_fairness_state_ok ')"
fb_fleet_stop
finish
