#!/usr/bin/env bash
# A short run of the test bed (scripts/testbed.sh): Redis primary + replica + 3 Sentinels and 3 fairbid instances
# behind fairbid-loadgen, reaching Redis through Sentinel; every instance answers, no request fails, and an opt-out
# written once is honoured by every instance within the consent-store bound. Then the failover drill: the primary
# is killed under load, and still no request fails, Sentinel promotes the replica, every instance recovers, every
# acknowledged opt-out is honoured and the cap is not overshot. A figure the test bed could not measure is a
# failure. FLEET_DRILLS (default 1) drills are run and every one is judged; each keeps its own report.
# FLEET_RATE (default 300 req/s) and FLEET_LOAD (default 5 s) shrink the drill for the sanitizer build.
source "$(dirname "$0")/../harness/lib.sh"
TB=$SRC/scripts/testbed.sh
export FAIRBID_BIN=$BIN
export FAIRBID_LOADGEN=${FAIRBID_LOADGEN:-$BUILD/fairbid-loadgen}
[ -x "$FAIRBID_LOADGEN" ] || die "fairbid-loadgen not built: $FAIRBID_LOADGEN"
RATE=${FLEET_RATE:-300}
LOAD=${FLEET_LOAD:-5}
DRILLS=${FLEET_DRILLS:-1}

# 1. three instances under 3 s of load spread over all of them
timeout 60 bash "$TB" --instances 3 --load 3 --rate "$RATE" --consent-users 5 --json "$T/load.json" >"$T/testbed-load.log" 2>&1
rc=$?
sed 's/^/  /' "$T/testbed-load.log" | grep '  testbed' | head -20
# a failed run shows all of its log (the harness's 40-line tail cut the drill's own error off)
[ "$rc" = 0 ] || sed 's/^/  | /' "$T/testbed-load.log"
expect_eq "testbed load run exits 0" 0 "$rc"
check "the instances reach Redis through Sentinel" grep -q '^testbed: fairbid redis URL: sentinel://' "$T/testbed-load.log"
expect_eq "0 failed requests" 0 "$(json_get "$T/load.json" 'd["failed"]')"
expect_eq "every request of the window answered" "$(json_get "$T/load.json" 'd["requests"]')" \
  "$(json_get "$T/load.json" 'sum(d["status"].values())')"
# idle_timeout_ms (60 s) outlasts the run, so no server closes a connection: a request sent again (a connection
# closed before any byte of its answer) is a request the server dropped
expect_eq "no request had to be sent again" 0 "$(json_get "$T/load.json" 'd["retried"]')"
expect_eq "all 3 instances served bid requests" 3 "$(json_get "$T/load.json" 'sum(1 for p in d["poll"].values() if p["bid_requests"] > 0)')"
# an opt-out written once reaches every instance within the consent-store bound: consent_stale_ms (500 ms) is the
# contract; the measurement's own slack is one bid request's round trip plus a 2 ms poll (the test bed asks each
# instance again until it drops the personal campaign), far inside the bound, so none is added to it
expect_eq "consent propagation measured" True "$(json_get "$T/load.json" 'isinstance(d.get("consent_propagation"), dict)')"
expect_eq "5 opt-outs honoured by all 3 instances" 15 "$(json_get "$T/load.json" 'd["consent_propagation"]["honoured"]')"
expect_eq "within consent_stale_ms (500 ms) of the write's reply" True \
  "$(json_get "$T/load.json" 'd["consent_propagation"]["lag_ms_max"] <= 500')"

# 2. failover under load; every drill is judged, none is re-run
for i in $(seq 1 "$DRILLS"); do
  J=$T/failover$i.json
  timeout 90 bash "$TB" --instances 3 --failover --load "$LOAD" --rate "$RATE" --consent-users 10 --json "$J" \
    >"$T/testbed-failover$i.log" 2>&1
  rc=$?
  echo "# failover drill $i of $DRILLS"
  sed 's/^/  /' "$T/testbed-failover$i.log" | grep '  testbed' | head -40
  [ "$rc" = 0 ] || sed 's/^/  | /' "$T/testbed-failover$i.log"
  expect_eq "drill $i: testbed exits 0 (every bar met)" 0 "$rc"
  check "drill $i: report written" test -s "$J"
  expect_eq "drill $i: 0 failed requests" 0 "$(json_get "$J" 'd["failed"]')"
  expect_eq "drill $i: every request of the window answered" "$(json_get "$J" 'd["requests"]')" \
    "$(json_get "$J" 'sum(d["status"].values())')"
  expect_eq "drill $i: Sentinel promoted the replica" True "$(json_get "$J" 'd["promotion_s"] is not None')"
  expect_eq "drill $i: every instance back on Redis with a trusted mirror" True "$(json_get "$J" 'd["recovered_s"] is not None')"
  expect_eq "drill $i: cap measured, overshoot 0" True \
    "$(json_get "$J" 'isinstance(d.get("cap"), dict) and d["cap"]["overshoot"] == 0')"
  expect_eq "drill $i: acknowledged opt-outs measured, honoured everywhere" True \
    "$(json_get "$J" 'isinstance(d.get("consent_honoured"), dict) and d["consent_honoured"]["checked"] > 0 and d["consent_honoured"]["honoured"] == d["consent_honoured"]["checked"]')"
  expect_eq "drill $i: no request had to be sent again (no connection closed under a request)" 0 "$(json_get "$J" 'd["retried"]')"
  # kept for whoever reads a failure: the harness prints *.log of its directory then
  cp "$J" "$T/failover$i.report.log" 2>/dev/null
done
finish
