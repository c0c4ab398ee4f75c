#!/usr/bin/env bash
# A hostile or corrupt Redis must not crash fairbid, lift a limit, or make it trust a mirror that lags
# (issue 12). Against a real redis-server:
# - consent records with many fields: read whole; more than 1024 fields restricts; consent get/digest agree;
# - 3 M unrelated keys in the database: the table does not grow;
# - a burst of big reloads ahead of an opt-out (a 64 MB value: the lag is on fairbid's side while Redis still
#   echoes heartbeats, the case that trusted a mirror with an opt-out pending before efc7871): no personal-data
#   bid for the opted-out user after the write, /readyz never synced with it pending;
# - more records than consent_mirror_max_records: never trusted, /readyz and a log line say why;
# - cap counters that are not counts (negative, fractional, huge, another type): no bid.
# Against a fake Redis (test_redis_hostile.py): DBSIZE answering 553402322211286600 (fairbid stays up, small),
# and heartbeat echoes carrying a time far in the future (never trusted).
# Sizes: FAIRBID_TEST_UNRELATED_KEYS (3000000), FAIRBID_TEST_BIG_FIELDS (200000), FAIRBID_TEST_BLOB_MB (64).
source "$(dirname "$0")/../harness/lib.sh"

DRV=(python3 "$SRC/tests/integration/test_redis_hostile.py")
MDRV=(python3 "$SRC/tests/integration/test_mirror_driver.py")
STALE_MS=${FAIRBID_TEST_STALE_MS:-1000}
UNRELATED=${FAIRBID_TEST_UNRELATED_KEYS:-3000000}
BIG_FIELDS=${FAIRBID_TEST_BIG_FIELDS:-200000}
BLOB_MB=${FAIRBID_TEST_BLOB_MB:-64}
PERSONAL=initech-runners

# DEBUG POPULATE writes the unrelated keys inside redis-server (Redis 7 allows DEBUG only when enabled: here from
# loopback); older servers know neither the option nor the need, and get the keys through redis-cli --pipe
REDIS_EXTRA_ARGS=()
rv=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
[ "${rv:-0}" -ge 7 ] && REDIS_EXTRA_ARGS=(--enable-debug-command local)
redis_start
RPORT=$REDIS_PORT
rc() { redis-cli -p "$RPORT" "$@"; }

# config: the sample campaigns (initech-runners is the personal-data one), consent_stale_ms 200; with an extra
# argument, a capped untargeted campaign that outbids them all
mkcfg() {
  python3 - "$SRC/deploy/fairbid.json" "$1" "$STALE_MS" "${2:-}" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
if "policy" in c:
    pol = os.path.join(os.path.dirname(sys.argv[1]), c["policy"])
    if os.path.exists(pol):
        c["policy"] = os.path.abspath(pol)
    else:
        c.pop("policy")
c["consent_stale_ms"] = int(sys.argv[3])
if sys.argv[4]:
    capped = json.loads(json.dumps(c["campaigns"][0]))
    capped.update({"id": "capped", "crid": "capped-1", "bid_cpm": 9.0, "cap": {"bids": int(sys.argv[4]), "period_s": 86400}})
    c["campaigns"].append(capped)
json.dump(c, open(sys.argv[2], "w"))
EOF
}
mkcfg "$T/fairbid.json"
metric() { curl -s "$FB_URL/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
wait_win() { "${MDRV[@]}" wait --url "$FB_URL" --user "$1" --want "$2" --timeout-ms "${3:-5000}" >/dev/null; }
wait_not() { "${MDRV[@]}" wait --url "$FB_URL" --user "$1" --not "$2" --timeout-ms "${3:-5000}" >/dev/null; }
fields() { for i in $(seq 1 "$1"); do printf 'note_%d x ' "$i"; done; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# ---- 3 M unrelated keys, written before the first load ------------------------------------------------------
# DEBUG POPULATE N unrelated 1: keys unrelated:0 .. unrelated:N-1, each a 1-byte string, written by redis-server
# itself (3 M keys in 32 s on the loaded machine where generating the SETs in Python for redis-cli --pipe took 92 s,
# run back to back; the keys are the same, their value "v" instead of "x")
if [ ${#REDIS_EXTRA_ARGS[@]} -gt 0 ]; then
  [ "$(rc debug populate "$UNRELATED" unrelated 1)" = OK ] || die "DEBUG POPULATE did not write the unrelated keys"
else
  python3 -c "
import sys
w = sys.stdout.buffer
for i in range($UNRELATED):
    k = b'unrelated:%d' % i
    w.write(b'*3\r\n\$3\r\nSET\r\n\$%d\r\n%s\r\n\$1\r\nx\r\n' % (len(k), k))
" | rc --pipe >/dev/null || die "could not write the unrelated keys"
fi
expect_eq "the database holds the $UNRELATED unrelated keys" "$UNRELATED" "$(rc dbsize)"

# ---- records with many fields ---------------------------------------------------------------------------------
# HSET writes its pairs in order and HGETALL of a small hash answers in that order, so optout comes after them
rc hset fairbid:consent:many-40 $(fields 40) optout 1 >/dev/null
rc hset fairbid:consent:many-ok $(fields 40) optout 0 >/dev/null
rc hset fairbid:consent:many-2000 $(fields 2000) optout 0 >/dev/null
# the big hash whose reloads lag (too many fields: it restricts its own user, and takes long to read)
rc eval "for i = 1, tonumber(ARGV[1]) do redis.call('HSET', KEYS[1], 'f' .. i, 'v') end return 1" 1 \
  fairbid:consent:big-hash "$BIG_FIELDS" >/dev/null
# and one with a big value: Redis answers it at memcpy speed, fairbid reads it in 16 KB steps, so its reloads
# lag on fairbid's side while Redis stays free to echo heartbeats (the case where trust must wait)
head -c $((BLOB_MB << 20)) /dev/zero | tr '\0' x | rc -x hset fairbid:consent:big-blob blob >/dev/null
echo "# big hash: $(rc hlen fairbid:consent:big-hash) fields; big value: $(rc hstrlen fairbid:consent:big-blob blob) bytes"

fairbid_start "$T/fairbid.json" --redis "$REDIS_URL"
ok "fairbid loaded and trusted with $UNRELATED unrelated keys and a $BIG_FIELDS-field hash"
B=$(metric fairbid_consent_mirror_bytes)
echo "# mirror: records $(metric fairbid_consent_mirror_records), table bytes $B, rss $(rss_kb "$FB_PID") kB"
check "3 M unrelated keys do not grow the table ($B bytes)" test "$B" -le $((4 << 20))

check "optout after 40 other fields is applied" wait_not many-40 $PERSONAL
check "a record with 40 other fields and optout=0 is not restricted" wait_win many-ok $PERSONAL
check "a record with more than 1024 fields restricts" wait_not many-2000 $PERSONAL
CLI=("$BIN" consent --redis "$REDIS_URL")
"${CLI[@]}" get many-40 >"$T/get40.json"
expect_eq "consent get reads the whole record" 1 "$(json_get "$T/get40.json" 'd["effective"]["optout"]')"
"${CLI[@]}" get many-2000 >"$T/get2000.json"
expect_eq "consent get: too many fields is restricted" "1 1" \
  "$(json_get "$T/get2000.json" '"%d %d" % (d["effective"]["optout"], d["effective"]["minor"])')"
check "consent get says why" json_get "$T/get2000.json" 'd["effective"]["restricted"]'
check "mirror == redis (digest over whole records)" \
  "$BIN" consent digest --redis "$REDIS_URL" --compare "$FB_URL" --wait 5000
# the same record written after the load (a reload, not the SCAN)
rc hset fairbid:consent:many-late $(fields 60) optout 1 >/dev/null
check "optout after 60 other fields, written after the load, is applied" wait_not many-late $PERSONAL

# ---- a burst of big-hash reloads ahead of an opt-out ----------------------------------------------------------
"${DRV[@]}" lag --url "$FB_URL" --redis-port "$RPORT" --big-key "${FAIRBID_TEST_BIG_KEY:-fairbid:consent:big-blob}" --burst "${FAIRBID_TEST_BURST:-8}" \
  --stale-ms "$STALE_MS" >"$T/lag.json" || { cat "$T/lag.json"; die "lag driver failed"; }
echo "# lag: $(cat "$T/lag.json")"
lag() { json_get "$T/lag.json" "d[\"$1\"]"; }
check "the burst made the opt-out's reload lag beyond consent_stale_ms (applied after $(lag applied_after_ms) ms)" \
  python3 -c "import sys; sys.exit(not $(lag applied_after_ms) > $STALE_MS + 100)"
expect_eq "no personal-data bid for the opted-out user ${STALE_MS} ms after the write" 0 \
  "$(lag target_personal_after_bound)"
expect_eq "/readyz never said synced with the opt-out pending beyond ${STALE_MS} ms" 0 \
  "$(lag readyz_synced_while_pending)"
check "the mirror was untrusted while it lagged ($(lag untrusted_ms) ms)" test "$(lag control_refused)" -gt 0
check "trusted again once every reload was applied" wait_win many-ok $PERSONAL
check "fairbid alive after the lag" curl -sf -o /dev/null "$FB_URL/healthz"
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- cap counters that are not counts -------------------------------------------------------------------------
rc flushall >/dev/null
CAP=5
mkcfg "$T/capped.json" "$CAP"
CAPKEY="fairbid:cap:capped:86400:$(($(date +%s) / 86400))"
rc set "$CAPKEY" -1000 >/dev/null
fairbid_start "$T/capped.json" --redis "$REDIS_URL"
bids() { "${DRV[@]}" bids --url "$FB_URL" --cid capped --n "${1:-30}" --sleep-ms 20; }
expect_eq "negative cap counter: no bid" 0 "$(bids)"
expect_eq "negative cap counter left as it was" -1000 "$(rc get "$CAPKEY")"
for v in 1.5 abc 99999999999999999999 1000000000000001 -0 " 3" 03 1e1; do
  rc set "$CAPKEY" "$v" >/dev/null
  expect_eq "cap counter \"$v\": no bid" 0 "$(bids 20)"
done
# atomically (a lease between a DEL and an HSET would recreate the counter)
rc eval "redis.call('DEL', KEYS[1]) return redis.call('HSET', KEYS[1], 'used', '0')" 1 "$CAPKEY" >/dev/null
expect_eq "cap counter of another type: no bid" 0 "$(bids 20)"
rc set "$CAPKEY" 3 >/dev/null
N=$(bids 60)
expect_eq "valid counter 3 of cap $CAP: exactly 2 bids" 2 "$N"
expect_eq "counter at the cap" "$CAP" "$(rc get "$CAPKEY")"
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- more records than consent_mirror_max_records ---------------------------------------------------------
rc flushall >/dev/null
records() { # records FROM TO: optout=0 records ceil-FROM..ceil-TO, pipelined
  python3 -c "
import sys
w = sys.stdout.buffer
for i in range($1, $2 + 1):
    k = b'fairbid:consent:ceil-%d' % i
    w.write(b'*4\r\n\$4\r\nHSET\r\n\$%d\r\n%s\r\n\$6\r\noptout\r\n\$1\r\n0\r\n' % (len(k), k))
" | rc --pipe >/dev/null
}
records 1 1100
setmax() { python3 -c "import json,sys; c=json.load(open('$T/fairbid.json')); c['consent_mirror_max_records']=$1; json.dump(c, open('$T/ceiling.json','w'))"; }
setmax 1000
readyz_has() { curl -s "$FB_URL/readyz" | grep "$1" >/dev/null; }
FB_START_WAIT=healthz fairbid_start "$T/ceiling.json" --redis "$REDIS_URL"
# wait for the first load to end in "full": /readyz is not_ready from the start ("first load not complete"), so
# waiting for not_ready alone read /readyz mid-load whenever the load outlasted the /healthz wait
check "1100 records, ceiling 1000: the mirror is full" wait_for readyz_has '"consent_mirror":"full"'
curl -s "$FB_URL/readyz" >"$T/readyz.json"
echo "# readyz: $(cat "$T/readyz.json")"
expect_eq "/readyz not_ready" not_ready "$(json_get "$T/readyz.json" 'd["status"]')"
check "/readyz says why (consent_mirror_max_records)" grep -q consent_mirror_max_records "$T/readyz.json"
expect_eq "/readyz consent_mirror state" full "$(json_get "$T/readyz.json" 'd["consent_mirror"]')"
# the mirror logs the line just after it marks itself full (bidder/consent/mirror.c set_full)
check "a log line says why" wait_for grep -q "cannot hold every record" "$FB_LOG"
check "over the ceiling: no personal-data bid (store unavailable)" wait_not ceil-none $PERSONAL
check "over the ceiling: the table stops at the ceiling" test "$(metric fairbid_consent_mirror_records)" -le 1000
setmax 2000
kill -HUP "$FB_PID"
check "ceiling raised by a reload: ready" wait_for fairbid_ready "$FB_URL"
check "ceiling raised: personal-data bids again" wait_win ceil-none $PERSONAL
expect_eq "every record held" 1100 "$(metric fairbid_consent_mirror_records)"
records 1101 2100
check "past the ceiling at run time: /readyz degraded" wait_for readyz_has '"status":"degraded"'
check "past the ceiling at run time: /readyz says why" readyz_has consent_mirror_max_records
check "past the ceiling at run time: no personal-data bid" wait_not ceil-none $PERSONAL
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- a fake Redis answering DBSIZE 553402322211286600 ----------------------------------------------------------
"${DRV[@]}" fake-redis --port-file "$T/fake.port" --log-file "$T/fake.cmds" >"$T/fake-redis.log" 2>&1 &
PIDS+=($!)
wait_for test -s "$T/fake.port" || die "fake redis did not start"
FAKE="redis://127.0.0.1:$(cat "$T/fake.port")/0"
fairbid_start "$T/fairbid.json" --redis "$FAKE"
ok "fairbid trusted its mirror of the fake Redis"
check "hostile DBSIZE: the stored opt-out applies" wait_not hostile-optout $PERSONAL
check "hostile DBSIZE: trusted, personal campaign wins for a user without restriction" wait_win hostile-keep $PERSONAL
for i in 1 2 3; do curl -s "$FB_URL/readyz" >/dev/null; done
check "hostile DBSIZE: still alive" kill -0 "$FB_PID"
check "hostile DBSIZE: /healthz answers" curl -sf -o /dev/null "$FB_URL/healthz"
check "hostile DBSIZE: /readyz ready" fairbid_ready "$FB_URL"
B=$(metric fairbid_consent_mirror_bytes)
R=$(rss_kb "$FB_PID")
echo "# fake redis: table bytes $B, rss $R kB, commands $(cat "$T/fake.cmds" 2>/dev/null)"
check "hostile DBSIZE: table not grown ($B bytes)" test "$B" -le $((4 << 20))
check "hostile DBSIZE: memory not grown absurdly ($R kB)" test "$R" -lt $((1 << 20))
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- a fake Redis whose heartbeat echoes carry a time far in the future ----------------------------------------
# (such an echo, taken as proof, would keep the mirror trusted for ever whatever became of the link)
rm -f "$T/fake.port"
"${DRV[@]}" fake-redis --port-file "$T/fake.port" --forge-hb >"$T/fake-redis-hb.log" 2>&1 &
PIDS+=($!)
wait_for test -s "$T/fake.port" || die "fake redis did not start"
FB_START_WAIT=healthz fairbid_start "$T/fairbid.json" --redis "redis://127.0.0.1:$(cat "$T/fake.port")/0"
bad_hb() { test "$(metric fairbid_consent_mirror_bad_heartbeats_total)" -ge 3; }
check "forged heartbeat times are counted and ignored" wait_for bad_hb
check "forged heartbeats: never trusted (/readyz not_ready)" readyz_has '"status":"not_ready"'
check "forged heartbeats: no personal-data bid" wait_not hostile-keep $PERSONAL
check "forged heartbeats: the stored opt-out still applies" wait_not hostile-optout $PERSONAL
no_sanitizer_report() { ! grep -l "runtime error\|AddressSanitizer\|LeakSanitizer" "$T"/fairbid.*.log; }
check "no sanitizer report in any fairbid log" no_sanitizer_report
finish
