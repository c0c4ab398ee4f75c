#!/usr/bin/env bash
# Safety bounds of fairbid-loadgen: a non-loopback target is refused (clear message, exit 2) unless
# --allow-remote; every run stops by itself at warm-up + --duration (+ at most one --timeout of draining), even
# against a server that never answers; --requests stops early; Ctrl-C prints the partial report. Wall-clock
# bounds here are generous safety limits, not performance figures.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
LG=${FAIRBID_BUILD_DIR:-$SRC/build}/fairbid-loadgen
[ -x "$LG" ] || die "fairbid-loadgen not built at $LG"

# elapsed_ms CMD...: runs CMD, sets RC and MS
elapsed_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@"
  RC=$?
  t1=$(date +%s%N)
  MS=$(((t1 - t0) / 1000000))
}

# 1. Non-loopback targets: TEST-NET addresses (never routed), so nothing leaves the machine either way.
for url in http://192.0.2.1:8080/openrtb2/bid "http://[2001:db8::1]:8080/"; do
  "$LG" --target "$url" --rate 10 --duration 1s >"$T/remote.out" 2>"$T/remote.err"
  rc=$?
  expect_eq "refuses $url without --allow-remote (exit 2)" 2 "$rc"
  check "says why for $url" grep -q "not a loopback address" "$T/remote.err"
  check "sends nothing for $url (no report)" test ! -s "$T/remote.out"
done
"$LG" --target http://127.0.0.1:9/ --target http://192.0.2.1/ --max --duration 1s >/dev/null 2>"$T/mixed.err"
expect_eq "one remote target among loopback ones is refused" 2 "$?"
"$LG" --target https://127.0.0.1/ --max --duration 1s >/dev/null 2>&1
expect_eq "https is refused with a usage error" 2 "$?"
"$LG" --target http://127.0.0.1:9/ --duration 1s >/dev/null 2>&1
expect_eq "neither --rate nor --max is a usage error" 2 "$?"
"$LG" --target http://127.0.0.1:9/ --max --duration 2d >/dev/null 2>&1
expect_eq "a duration without a known unit is refused" 2 "$?"
"$LG" --target http://127.0.0.1:9/ --max --duration 48h >/dev/null 2>&1
expect_eq "a duration beyond the 24 h cap is refused" 2 "$?"
# With --allow-remote the address is accepted; the unroutable TEST-NET connect then fails, the run still ends.
elapsed_ms timeout 20 "$LG" --target http://192.0.2.1:8080/ --allow-remote --rate 10 --duration 500ms \
  --warmup 0 --timeout 500ms >"$T/allow.out" 2>"$T/allow.err"
check "--allow-remote passes the check (no refusal)" bash -c "! grep -q 'not a loopback' '$T/allow.err'"
check "--allow-remote run against an unreachable host ends on its own (${MS} ms)" test "$MS" -lt 8000

# 2. A server that accepts and reads but never answers: the run must still end near duration + timeout.
python3 "$SRC/bench/loadgen_stub_server.py" --mode blackhole --port-file "$T/bh.port" >"$T/bh.log" 2>&1 &
PIDS+=($!)
wait_for test -s "$T/bh.port" || die "blackhole server did not start"
BH="http://127.0.0.1:$(cat "$T/bh.port")/openrtb2/bid"
elapsed_ms timeout 30 "$LG" --target "$BH" --rate 200 --duration 1s --warmup 200ms --timeout 500ms \
  --json "$T/bh.json" >"$T/bh.out" 2>&1
expect_eq "open loop against a black hole exits 0" 0 "$RC"
check "open loop against a black hole stops at duration + timeout (${MS} ms <= 4000)" test "$MS" -le 4000
check "the requests it could not send are reported, none counted as answered" python3 -c "
import json,sys; d=json.load(open('$T/bh.json'))
sys.exit(0 if d['requests']==0 and d['unsent']>=150 and d['achieved_rps']==0 else 1)"
elapsed_ms timeout 30 "$LG" --target "$BH" --max --duration 1s --warmup 0 --timeout 300ms >"$T/bh2.out" 2>&1
check "closed loop against a black hole stops too (${MS} ms <= 4000)" test "$MS" -le 4000

# 3. nginx answering 204: --duration, --requests, Ctrl-C.
NGX_PORT=$(free_port)
"$SRC/scripts/nginx-204.sh" "$T/nginx" "$NGX_PORT" 1 >/dev/null
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" >"$T/nginx.log" 2>&1 &
PIDS+=($!)
wait_for curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" || die "nginx did not start"
URL="http://127.0.0.1:$NGX_PORT/openrtb2/bid"

elapsed_ms timeout 30 "$LG" --target "$URL" --rate 1000 --duration 1s --warmup 200ms --json "$T/d.json" >"$T/d.out" 2>&1
expect_eq "--duration run exits 0" 0 "$RC"
check "--duration 1s (+200ms warm-up) ends in time (${MS} ms <= 3500)" test "$MS" -le 3500
# how close the window comes to 1 s and the count to 1000 is a benchmark (bench/test_timings.sh), not asserted
check "--duration: requests answered, all 204, no error" python3 -c "
import json,sys; d=json.load(open('$T/d.json')); sys.exit(0 if d['requests'] > 0 and d['status'].get('204') == d['requests'] and sum(d['errors'].values()) == 0 else 1)"

timeout 30 "$LG" --target "$URL" --max --requests 500 --duration 20s --warmup 0 --json "$T/n.json" >"$T/n.out" 2>&1
expect_eq "--requests run exits 0" 0 "$?"
expect_eq "--requests 500 answers exactly 500 measured requests" 500 "$(json_get "$T/n.json" 'd["requests"]')"

# Started directly (not under timeout(1), which would take the SIGINT itself); --duration 20s bounds it anyway.
"$LG" --target "$URL" --rate 500 --duration 20s --warmup 0 --json "$T/int.json" >"$T/int.out" 2>&1 &
LGPID=$!
PIDS+=("$LGPID")
# Ctrl-C once the run is under way: the generator has written requests to its sockets (/proc/PID/io wchar)
sending() { [ "$(awk '$1 == "wchar:" {print $2}' "/proc/$LGPID/io" 2>/dev/null || echo 0)" -gt 100000 ]; }
check "the run is under way before Ctrl-C" wait_for sending
kill -INT "$LGPID"
wait "$LGPID"
rc=$?
expect_eq "Ctrl-C exits 130" 130 "$rc"
check "Ctrl-C prints the partial report" grep -q "INTERRUPTED: partial report" "$T/int.out"
check "Ctrl-C still writes the JSON, marked interrupted, with the requests so far (how fast it stops: bench)" python3 -c "
import json,sys; d=json.load(open('$T/int.json')); sys.exit(0 if d['interrupted'] and 0 < d['requests'] < 10000 else 1)"
finish
