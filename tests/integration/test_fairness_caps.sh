#!/usr/bin/env bash
# Global caps: 4 fairbid instances lease tokens from one Redis. Demand 3x the cap: bids <= cap exactly and at
# least 97% of it used. Then again with one instance SIGKILLed mid-period: still <= cap.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
redis_start
CAP=${FAIR_CAP:-1500}
CAMP="[$(campaign capped 1.2 "\"cap\": {\"bids\": $CAP, \"period_s\": 86400},")]"

# bids the loadgen saw for the capped campaign; the cap key in Redis (tokens leased minus returned)
lg_bids() { python3 -c "import json; d=json.load(open('$1')); print(sum(g['bids'] for r in d['by_campaign'] if r['campaign']=='capped' for g in r['groups'].values()))"; }
redis_used() { redis-cli -p "$REDIS_PORT" --scan --pattern 'fairbid:cap:capped:*' | head -1 | xargs -r redis-cli -p "$REDIS_PORT" get; }

# 1. demand ~3x the cap (70% of requests pass consent: 6400 x 0.7 = 4480 eligible for 1500 tokens)
fb_fleet 4 "$CAMP"
market "$T/cap1.json" 8s 800
B=$(lg_bids "$T/cap1.json")
U=$(redis_used)
S=0
for p in "${FLEET_PORTS[@]}"; do
  S=$((S + $(curl -s "http://127.0.0.1:$p/metrics" | awk -F' ' '/^fairbid_cap_spent_total/{print $2}')))
done
echo "# 4 instances, cap $CAP: loadgen bids $B, fairbid spent $S, leased in Redis $U, demand $(python3 -c "import json; print(json.load(open('$T/cap1.json'))['requests'])") requests"
check "bids <= cap exactly (loadgen $B, fairbid $S)" test "$B" -le "$CAP" -a "$S" -le "$CAP"
check "leased <= cap ($U)" test "$U" -le "$CAP"
check ">= 97% of the cap used ($S of $CAP)" test $((S * 100)) -ge $((CAP * 97))
echo "# cap used: $(python3 -c "print('%.2f%%' % (100*$S/$CAP))")"
fb_fleet_stop
redis-cli -p "$REDIS_PORT" flushall >/dev/null

# 2. one instance SIGKILLed mid-period: its tokens are lost, never double-spent
fb_fleet 4 "$CAMP"
market "$T/cap2.json" 8s 800 &
LGP=$!
# mid-period: once the fleet has spent a third of the cap
spent_fleet() {
  local p s=0
  for p in "${FLEET_PORTS[@]}"; do s=$((s + $(curl -s "http://127.0.0.1:$p/metrics" | awk '/^fairbid_cap_spent_total/{print $2}'))); done
  [ "$s" -ge $((CAP / 3)) ]
}
check "a third of the cap spent before the kill" wait_for spent_fleet
kill -9 "${FLEET_PIDS[0]}"
wait "$LGP"
B=$(lg_bids "$T/cap2.json")
U=$(redis_used)
S=0
for p in "${FLEET_PORTS[@]:1}"; do
  S=$((S + $(curl -s "http://127.0.0.1:$p/metrics" | awk -F' ' '/^fairbid_cap_spent_total/{print $2}')))
done
echo "# one instance killed at 3 s: loadgen bids $B, survivors spent $S, leased $U"
check "with an instance killed: bids <= cap ($B)" test "$B" -le "$CAP"
check "with an instance killed: leased <= cap ($U)" test "$U" -le "$CAP"
fb_fleet_stop
finish
