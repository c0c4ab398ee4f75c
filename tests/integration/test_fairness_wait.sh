#!/usr/bin/env bash
# Cap leases that must survive a failover (lease_min_replicas = 1): tokens are spent only after WAIT confirms a
# replica holds the lease. With the replica healthy the campaign bids; with the replica stopped, new leases are
# never confirmed, so the campaign stops once its confirmed tokens are gone and the unconfirmed ones are counted.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
. "$SRC/tests/integration/fairness_lib.sh"
redis_start
RP=$(free_port)
mkdir -p "$T/replica"
redis-server --bind 127.0.0.1 --port "$RP" --dir "$T/replica" --save '' --appendonly no --logfile "$T/replica.log" \
  --replicaof 127.0.0.1 "$REDIS_PORT" &
REPLICA=$!
PIDS+=("$REPLICA")
wait_for sh -c "redis-cli -p $RP info replication | grep -q 'master_link_status:up'" || die "replica did not sync"

CAMP="[$(campaign capped 2.0 "\"cap\": {\"bids\": 100000, \"period_s\": 86400},")]"
p=$(free_port)
fair_config "$p" "$CAMP" | sed 's/"fairness_sync_ms": 100,/"fairness_sync_ms": 100, "lease_min_replicas": 1,/' >"$T/cfg.json"
fairbid_start "$T/cfg.json"
REQ=$SRC/deploy/sample-request.json
tokens() { curl -s "$FB_URL/metrics" | awk '$1 == "fairbid_cap_tokens{campaign=\"capped\"}" {print $2}'; }
unacked() { curl -s "$FB_URL/metrics" | awk '$1 == "fairbid_cap_lease_unacked_tokens_total" {print $2}'; }
# a lease a replica confirmed: the campaign holds tokens
tokens_held() { [ "$(tokens)" -gt 0 ] 2>/dev/null; }
check "a confirmed lease holds tokens" wait_for tokens_held
n=0
for i in $(seq 1 40); do [ "$(post "$REQ")" = 200 ] && n=$((n + 1)); done
check "replica confirms leases: the capped campaign bids ($n of 40)" test "$n" -ge 30
curl -s "$FB_URL/metrics" >"$T/m1.txt"
check "no unconfirmed tokens while the replica is healthy" grep -q '^fairbid_cap_lease_unacked_tokens_total 0$' "$T/m1.txt"

kill -STOP "$REPLICA"
# spend what is held: requests until the tokens are gone (at most 2000), while new leases go unconfirmed
for i in $(seq 1 2000); do
  post "$REQ" >/dev/null
  [ $((i % 20)) -eq 0 ] && [ "$(tokens)" -le 0 ] 2>/dev/null && [ "$(unacked)" -gt 0 ] 2>/dev/null && break
done
check "leases taken while no replica answers are counted as unconfirmed ($(unacked))" test "$(unacked)" -gt 0
check "the confirmed tokens are spent ($(tokens) left)" test "$(tokens)" -le 0
n=0
for i in $(seq 1 20); do [ "$(post "$REQ")" = 200 ] && n=$((n + 1)); done
expect_eq "no bids on unconfirmed tokens once the confirmed ones are spent" 0 "$n"
kill -CONT "$REPLICA"
check "a replica confirms a new lease: tokens again" wait_for tokens_held
n=0
for i in $(seq 1 40); do [ "$(post "$REQ")" = 200 ] && n=$((n + 1)); done
check "bids again once the replica confirms ($n of 40)" test "$n" -ge 30
finish
