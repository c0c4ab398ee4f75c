#!/usr/bin/env bash
# Even pacing (#20): 2 instances, one Redis, demand ~30x what the clock allows. The budget is spread from the
# period's first lease to its end, so by time t the fleet may have reserved amount x (t - start + lead) /
# (end - start): the exchange side's spend must stay under that share (exactly) and get close to it (paced,
# not starved), with budget.paced refusals counted; an asap twin of the same amount would have spent it all.
# Then periods of 2 s: no period reserves more than its amount, and what is left of one is not spent in the next.
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
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# periods: 0.05 per 2 s, asap, 7 s of demand ~7x that: each period's lease counter (what the fleet reserved in
# it) stays <= the amount, and the exchange-side spend over the run <= the amount x the periods it touched
CAMP="[$(campaign rolling 1.2 "\"budget\": {\"amount\": 0.05, \"period_s\": 2},")]"
fb_fleet 2 "$CAMP"
timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate 1000 --duration 7s --warmup 0 --connections 8 --exchange \
  --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" \
  --json "$T/r.json" >"$T/r.out" 2>&1
SPEND=$(python3 -c "import json; d=json.load(open('$T/r.json')); print(int(sum(g['spend_cpm'] for r in d['by_campaign'] if r['campaign']=='rolling' for g in r['groups'].values()) * 1000))")
N=0 OVER=0 VALS=""
for k in $(redis-cli -p "$REDIS_PORT" --scan --pattern 'fairbid:budget:rolling:2:*' | grep -v ':spent$\|:start$'); do
  v=$(redis-cli -p "$REDIS_PORT" get "$k")
  N=$((N + 1)) VALS="$VALS $v"
  [ "$v" -le 50000 ] || OVER=$((OVER + 1))
done
echo "# periods of 2 s: $N touched, reserved per period (micros):$VALS; exchange-side spend $SPEND"
check "periods: at least 3 periods touched ($N)" test "$N" -ge 3
check "periods: no period reserved more than its amount ($OVER over)" test "$OVER" -eq 0
check "periods: spend <= amount x periods ($SPEND <= $N x 50000)" test "$SPEND" -le $((N * 50000))
# (the first and last periods are partial, and one may be the idle start-up's)
check "periods: the full periods were used (spend >= 90% of amount x (periods - 3): $SPEND)" test $((SPEND * 10)) -ge $(((N - 3) * 50000 * 9))
fb_fleet_stop
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# a budget counter that is not a count (-5: a negative would look like spend to give) leases nothing: the
# campaign fails closed instead of bidding on a corrupt budget
PER=$(python3 -c "import time; print(int(time.time()) // 86400)")
redis-cli -p "$REDIS_PORT" set "fairbid:budget:corrupt:86400:$PER" -5 >/dev/null
CAMP="[$(campaign corrupt 1.2 "\"budget\": {\"amount\": 10},")]"
fb_fleet 1 "$CAMP"
timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate 500 --duration 2s --warmup 0 --connections 4 --exchange \
  --json "$T/c.json" >"$T/c.out" 2>&1
B=$(python3 -c "import json; d=json.load(open('$T/c.json')); print(sum(g['bids'] for r in d['by_campaign'] if r['campaign']=='corrupt' for g in r['groups'].values()))")
U=$(curl -s "http://127.0.0.1:${FLEET_PORTS[0]}/metrics" | awk '$1=="fairbid_decisions_total{outcome=\"drop\",reason=\"fairness.state_unavailable\"}" {print $2}')
V=$(redis-cli -p "$REDIS_PORT" get "fairbid:budget:corrupt:86400:$PER")
echo "# corrupt counter: bids $B, fail-closed decisions $U, counter left as $V"
check "corrupt budget counter: no bid ($B)" test "$B" -eq 0
check "corrupt budget counter: decisions fail closed (${U:-0})" test "${U:-0}" -gt 0
check "corrupt budget counter: left untouched ($V)" test "$V" = "-5"
fb_fleet_stop
finish
