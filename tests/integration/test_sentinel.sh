#!/usr/bin/env bash
# Redis failover through Sentinel: fairbid started with sentinel://... asks Sentinel for the primary, follows
# +switch-master when the primary dies, and keeps answering bid requests throughout.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json

P1=$(free_port)
P2=$(free_port)
S1=$(free_port)
mkdir -p "$T/p1" "$T/p2" "$T/s1"
redis-server --bind 127.0.0.1 --port "$P1" --dir "$T/p1" --save '' --appendonly no --logfile "$T/p1.log" &
PRIMARY=$!
PIDS+=("$PRIMARY")
redis-server --bind 127.0.0.1 --port "$P2" --dir "$T/p2" --save '' --appendonly no --logfile "$T/p2.log" \
  --replicaof 127.0.0.1 "$P1" &
PIDS+=($!)
wait_for redis-cli -p "$P1" ping || die "primary did not start"
wait_for sh -c "redis-cli -p $P2 info replication | grep -q 'master_link_status:up'" || die "replica did not sync"
cat >"$T/s1/sentinel.conf" <<CONF
bind 127.0.0.1
port $S1
dir $T/s1
sentinel monitor fairbid 127.0.0.1 $P1 1
sentinel down-after-milliseconds fairbid 400
sentinel failover-timeout fairbid 2000
sentinel parallel-syncs fairbid 1
CONF
redis-server "$T/s1/sentinel.conf" --sentinel --logfile "$T/sentinel.log" &
PIDS+=($!)
wait_for redis-cli -p "$S1" sentinel get-master-addr-by-name fairbid || die "sentinel did not start"

fairbid_start "$SRC/deploy/fairbid.json" --redis "sentinel://127.0.0.1:$S1/fairbid"
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"redis\":\"up\"'" && ok "connected to the primary named by Sentinel" || not_ok "connected through Sentinel"
check "log names the primary" grep -q "redis primary host=127.0.0.1 port=$P1" "$FB_LOG"

# a bad sentinel URL is refused at start with a clear message
"$BIN" serve --config "$SRC/deploy/fairbid.json" --listen 127.0.0.1:0 --redis "sentinel://127.0.0.1:$S1" >"$T/bad.log" 2>&1
expect_eq "sentinel URL without a master name: exit 2" 2 "$?"
check "message names the expected form" grep -q "master-name" "$T/bad.log"

# load during the failover: every request answered
( for i in $(seq 1 400); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 --data-binary @"$REQ" "$FB_URL/openrtb2/bid"; sleep 0.01; done >"$T/codes.txt" ) &
loader=$!
# the primary dies once the load is under way (20 requests answered), and the load must outlast the failover
wait_for sh -c "[ \$(grep -c . '$T/codes.txt') -ge 20 ]" || not_ok "the load did not start"
kill -9 "$PRIMARY"
wait_for sh -c "redis-cli -p $S1 sentinel get-master-addr-by-name fairbid | grep -q $P2" && ok "sentinel promoted the replica" || not_ok "sentinel promoted the replica"
check "fairbid followed +switch-master to the new primary" wait_for grep -q "redis primary host=127.0.0.1 port=$P2" "$FB_LOG"
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"redis\":\"up\"'" && ok "ready again on the new primary" || not_ok "ready again on the new primary"
check "the load was still running when fairbid was back on the new primary" kill -0 "$loader"
wait $loader
expect_eq "all 400 requests during the failover answered 200" 400 "$(grep -c '^200$' "$T/codes.txt")"
finish
