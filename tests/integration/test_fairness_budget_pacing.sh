#!/usr/bin/env bash
# Even pacing (#20): 2 instances, one Redis, demand ~30x what the clock allows. The budget is spread from the
# period's first lease to its end, so by time t the fleet may have reserved amount x (t - start + lead) /
# (end - start): the exchange side's spend must stay under that share (exactly) and get close to it (paced,
# not starved), with budget.paced refusals counted; an asap twin of the same amount would have spent it all.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
redis_start
# a period with at least 60 s left, and an amount whose even share is ~0.012/s (1/30 of the demand's ~0.37/s)
read -r PERIOD REMAIN < <(python3 -c "
import time
n = time.time()
for p in (3600, 5000):
    r = p - n % p
    if r >= 60:
        print(p, int(r)); break")
AMOUNT=$(python3 -c "print(round(0.012 * $REMAIN, 6))")
CAMP="[$(campaign paced 1.2 "\"budget\": {\"amount\": $AMOUNT, \"period_s\": $PERIOD, \"pacing\": \"even\"},")]"
fb_fleet 2 "$CAMP"
timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate 800 --duration 8s --warmup 0 --connections 8 --exchange \
  --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" \
  --json "$T/p.json" >"$T/p.out" 2>&1
END_MS=$(python3 -c "import time; print(int(time.time() * 1000))")
START=$(redis-cli -p "$REDIS_PORT" --scan --pattern 'fairbid:budget:paced:*:start' | head -1 | xargs -r redis-cli -p "$REDIS_PORT" get)
PAUSED=0
for p in "${FLEET_PORTS[@]}"; do
  PAUSED=$((PAUSED + $(curl -s "http://127.0.0.1:$p/metrics" | awk '$1=="fairbid_decisions_total{outcome=\"drop\",reason=\"budget.paced\"}" {print $2}')))
done
read -r SPEND SHARE CLOCK < <(python3 -c "
import json, math
d = json.load(open('$T/p.json'))
spend = sum(g['spend_cpm'] for r in d['by_campaign'] if r['campaign'] == 'paced' for g in r['groups'].values()) * 1000
start, end = $START, $END_MS
pend = (start // ($PERIOD * 1000) + 1) * $PERIOD * 1000
amount = round($AMOUNT * 1e6)
share = amount * min(1, (end - start + 400) / (pend - start))   # what the lease script allows by the end
clock = amount * (end - start) / (pend - start)                 # the even share without the lead
print(int(spend), int(share), int(clock))")
echo "# even pacing: amount $AMOUNT over ${REMAIN}s left of a ${PERIOD}s period; spend $SPEND micros, allowed by the clock $SHARE (share without the lead $CLOCK); budget.paced refusals $PAUSED"
check "even: spend <= what the clock allowed ($SPEND <= $SHARE)" test "$SPEND" -le "$SHARE"
check "even: spend >= 70% of the clock's share, paced not starved ($SPEND vs $CLOCK)" test $((SPEND * 10)) -ge $((CLOCK * 7))
check "even: far below the amount (asap would have spent it: $SPEND of $(python3 -c "print(round($AMOUNT*1e6))"))" test $((SPEND * 5)) -le "$(python3 -c "print(round($AMOUNT*1e6))")"
check "even: budget.paced refusals counted ($PAUSED)" test "$PAUSED" -gt 0
fb_fleet_stop
finish
