#!/usr/bin/env bash
# Consent mirror against a real redis-server: first load, optout 0→1→0, minor, delete, a non-hash key,
# FLUSHALL, then under load: Redis SIGKILL (restarted with records changed while down), SIGSTOP/SIGCONT, and a
# restart with an empty dataset. After each, `fairbid consent digest --compare` checks mirror == Redis.
# Fail-safe switch times are printed (timings are reported, not asserted beyond consent_stale_ms).
source "$(dirname "$0")/../harness/lib.sh"

DRV=(python3 "$SRC/tests/integration/test_mirror_driver.py")
STALE_MS=500

redis_start
RPORT=$REDIS_PORT
RPID=$REDIS_PID
python3 - "$SRC/deploy/fairbid.json" "$T/fairbid.json" "$STALE_MS" <<'EOF'
import json, os, shutil, sys
c = json.load(open(sys.argv[1]))
if "policy" in c:
    pol = os.path.join(os.path.dirname(sys.argv[1]), c["policy"])
    if os.path.exists(pol):
        c["policy"] = os.path.abspath(pol)
    else:
        c.pop("policy")
c["consent_stale_ms"] = int(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"))
EOF
CLI=("$BIN" consent --redis "$REDIS_URL")
"${CLI[@]}" set load-user optout=1 || die "consent set"
"${CLI[@]}" set keep-user optout=0 sensitive=health

fairbid_start "$T/fairbid.json" --redis "$REDIS_URL"
check "readyz ready after the first load" wait_for curl -sf "$FB_URL/readyz"

digest_eq() {
  "$BIN" consent digest --redis "$REDIS_URL" --compare "$FB_URL" --wait "${1:-3000}" >"$T/digest.out" ||
    { cat "$T/digest.out"; return 1; }
}
wait_win() { "${DRV[@]}" wait --url "$FB_URL" --user "$1" --want "$2" --timeout-ms "${3:-3000}" >/dev/null; }
wait_not() { "${DRV[@]}" wait --url "$FB_URL" --user "$1" --not "$2" --timeout-ms "${3:-3000}" >/dev/null; }
metric() { curl -s "$FB_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

check "mirror == redis after the first load" digest_eq
expect_eq "mirror records" 2 "$(metric fairbid_consent_mirror_records)"

U=fb-9d8c7b6a5f4e
check "no record: personal campaign wins" wait_win $U initech-runners
"${CLI[@]}" set $U optout=0
check "optout=0: personal campaign wins" wait_win $U initech-runners
"${CLI[@]}" set $U optout=1
check "optout 0→1: personal targeting stops" wait_not $U initech-runners
check "mirror == redis after optout=1" digest_eq
"${CLI[@]}" set $U optout=0
check "optout 1→0: personal campaign wins again" wait_win $U initech-runners
check "mirror == redis after optout=0" digest_eq
"${CLI[@]}" set $U minor=1
check "stored minor: personal targeting stops" wait_not $U initech-runners
"${CLI[@]}" del $U
check "record deleted: personal campaign wins again" wait_win $U initech-runners
check "mirror == redis after DEL" digest_eq
redis-cli -p "$RPORT" set "fairbid:consent:not-a-hash" x >/dev/null
check "a non-hash key fails toward privacy" wait_not not-a-hash initech-runners
check "mirror == redis with a non-hash key" digest_eq
redis-cli -p "$RPORT" del "fairbid:consent:not-a-hash" >/dev/null

# FLUSHALL: a nil invalidation → full resync
for i in 1 2 3; do "${CLI[@]}" set "flush-$i" optout=1; done
"${CLI[@]}" set $U optout=1
check "before FLUSHALL: optout applied" wait_not $U initech-runners
redis-cli -p "$RPORT" flushall >/dev/null
check "FLUSHALL: record gone, personal campaign wins" wait_win $U initech-runners
check "mirror == redis after FLUSHALL" digest_eq
expect_eq "mirror records after FLUSHALL" 0 "$(metric fairbid_consent_mirror_records)"
check "FLUSHALL counted as a resync" test "$(metric fairbid_consent_mirror_resyncs_total)" -ge 1

# ---- failures under load ------------------------------------------------------------------------------
"${CLI[@]}" set load-user optout=1
"${CLI[@]}" set $U optout=1
"${CLI[@]}" set gone-user optout=1
check "under load: optout applied" wait_not $U initech-runners
"${DRV[@]}" load --url "$FB_URL" --out "$T/load.json" --interval-ms 1 &
LOAD_PID=$!
PIDS+=("$LOAD_PID")
# the failures below happen under load: wait until the driver's requests arrive
B0=$(metric fairbid_bid_requests_total)
loaded() { [ "$(metric fairbid_bid_requests_total)" -ge $((B0 + 50)) ]; }
check "the background load is under way" wait_for loaded

# the dataset Redis comes back with: U opted back in, gone-user deleted, new-user opted out
mkdir -p "$T/redis2"
REDIS_PORT_WANT=$(free_port) redis_start prep
redis-cli -p "$REDIS_PORT" hset fairbid:consent:$U optout 0 >/dev/null
redis-cli -p "$REDIS_PORT" hset fairbid:consent:new-user optout 1 >/dev/null
redis-cli -p "$REDIS_PORT" hset fairbid:consent:load-user optout 1 >/dev/null
redis-cli -p "$REDIS_PORT" save >/dev/null
cp "$T/prep/dump.rdb" "$T/redis2/dump.rdb"
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
REDIS_PORT=$RPORT

SW=$("${DRV[@]}" wait --url "$FB_URL" --user nobody-1 --not initech-runners --kill "$RPID" --signal SIGKILL \
  --timeout-ms 3000)
echo "# SIGKILL: fail-safe after ${SW} ms"
# The staleness bound is a contract: trust ends consent_stale_ms after the newest echoed heartbeat was sent,
# and fairbid already subtracts its coarse clock's resolution (clock_getres, 4 ms here) from it, so counted from
# the kill (after that heartbeat) the fail-safe comes within consent_stale_ms. The 50 ms of slack is the
# measurement's: the driver's 2 ms poll plus one bid request's round trip on a shared machine.
check "SIGKILL: fail-safe within consent_stale_ms ($SW ms)" python3 -c "import sys; sys.exit(0 if float('$SW') <= $STALE_MS + 50 else 1)"
check "SIGKILL: untargeted campaign keeps bidding" wait_win nobody-1 acme-shoes
state=$(curl -s "$FB_URL/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["consent_mirror"])')
check "SIGKILL: readyz shows the mirror not synced ($state)" test "$state" != synced
sleep 0.3 # scenario, not synchronisation: Redis stays down a while before it comes back
REDIS_PORT_WANT=$RPORT redis_start redis2
RPID=$REDIS_PID
SINCE=$(date +%s%N)
BACK=$("${DRV[@]}" wait --url "$FB_URL" --user nobody-1 --want initech-runners --since-ns "$SINCE" --timeout-ms 10000)
echo "# restart: full service back ${BACK} ms after redis-server was up"
check "restart: back to full service by itself" test "${BACK%%.*}" -lt 10000
check "restart: mirror == the changed redis" digest_eq 5000
check "restart: opt-in made while down applies" wait_win $U initech-runners
check "restart: opt-out made while down applies" wait_not new-user initech-runners
check "restart: record deleted while down is gone" wait_win gone-user initech-runners

# pause: silence, not a disconnect
SW=$("${DRV[@]}" wait --url "$FB_URL" --user nobody-1 --not initech-runners --kill "$RPID" --signal SIGSTOP \
  --timeout-ms 3000)
echo "# SIGSTOP: fail-safe after ${SW} ms"
check "SIGSTOP: fail-safe within consent_stale_ms ($SW ms)" python3 -c "import sys; sys.exit(0 if float('$SW') <= $STALE_MS + 50 else 1)"
sleep 1.2 # scenario, not synchronisation: the pause lasts past the fail-safe before SIGCONT
BACK=$("${DRV[@]}" wait --url "$FB_URL" --user nobody-1 --want initech-runners --kill "$RPID" --signal SIGCONT \
  --timeout-ms 10000)
echo "# SIGCONT: full service back ${BACK} ms after SIGCONT"
check "SIGCONT: back to full service by itself" test "${BACK%%.*}" -lt 10000
check "SIGCONT: mirror == redis" digest_eq 5000

# restart with an empty dataset
kill -9 "$RPID"
wait "$RPID" 2>/dev/null # gone, its port free, before a new one binds it
REDIS_PORT_WANT=$RPORT redis_start redis3
check "empty restart: mirror == redis" digest_eq 5000
expect_eq "empty restart: mirror records" 0 "$(metric fairbid_consent_mirror_records)"
check "empty restart: stored opt-out gone" wait_win load-user initech-runners 5000

kill -TERM "$LOAD_PID"
wait "$LOAD_PID"
echo "# load: $(cat "$T/load.json")"
python3 - "$T/load.json" <<'EOF' && ok "under load: every request answered 200 with a bid" || not_ok "under load: errors or non-200 answers"
import json, sys
s = json.load(open(sys.argv[1]))
bad = {k: v for k, v in s["status"].items() if k != "200"}
sys.exit(0 if s["errors"] == 0 and not bad and s["no_bid_untargeted"] == 0 and s["total"] > 100 else 1)
EOF
check "fairbid still alive" kill -0 "$FB_PID"
grep -q "consent mirror: resynced" "$FB_LOG" && ok "resync logged" || not_ok "resync logged"
finish
