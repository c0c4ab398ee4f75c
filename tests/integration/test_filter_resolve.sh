#!/usr/bin/env bash
# Filter mode's upstream host names (issue 17): a worker never calls a blocking getaddrinfo; names are looked up
# with evdns on the worker's loop (bidder/upstream/target.c).
#  - "localhost" (from the hosts file) resolves and the request is forwarded and answered with the stub's bid;
#  - a name that does not resolve (".invalid", RFC 6761) is not sent to: the request is answered at once with
#    fairbid's own no-bid, the failed call counted as a connect error, and the worker keeps answering.
source "$(dirname "$0")/../harness/lib.sh"
STUB="$SRC/tests/integration/upstream_stub.py"
grep -qE '^[[:space:]]*127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts 2>/dev/null ||
  skip "no 127.0.0.1 localhost line in /etc/hosts"

python3 "$STUB" --mode bid --record "$T/dsp.rec" --cat 1001 --adomain dsp.example --price 2 >"$T/dsp.port" 2>"$T/dsp.log" &
PIDS+=("$!")
wait_for test -s "$T/dsp.port" || die "stub did not start"
DP=$(cat "$T/dsp.port")

cat >"$T/cfg.json" <<JSON
{"threads": 1, "currency": "USD",
 "upstreams": [
   {"id": "named", "url": "http://localhost:$DP/bid", "timeout_ms": 300},
   {"id": "nowhere", "url": "http://fairbid-test.invalid:$DP/bid", "timeout_ms": 300, "allow_remote": true}
 ]}
JSON
fairbid_start "$T/cfg.json"

REQ=$SRC/tests/data/openrtb-corpus/valid/iab-openrtb2.6-spec-6.2.1-simple-banner.json
# the first request may find "nowhere"'s lookup still under way; either way neither blocks the worker
for i in 1 2 3; do
  start=$(date +%s%N)
  st=$(post "$REQ")
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$st" = 200 ] || die "request $i: status $st (want 200 with the bid of the upstream reached through localhost): $(cat "$T/body")"
  seats=$(json_get "$T/body" '",".join(s["seat"] for s in d["seatbid"])')
  [ "$seats" = named ] || die "request $i: seats '$seats', want 'named' (only the upstream reached through localhost)"
  [ "$ms" -lt 2000 ] || die "request $i took $ms ms: a lookup held the worker"
done
[ "$(wc -l <"$T/dsp.rec")" -ge 3 ] || die "the stub recorded $(wc -l <"$T/dsp.rec") requests, want 3"

m=$(curl -s "$FB_URL/metrics")
fwd_named=$(echo "$m" | awk '$1 == "fairbid_upstream_forwarded_total{upstream=\"named\"}" {print $2}')
fwd_nowhere=$(echo "$m" | awk '$1 == "fairbid_upstream_forwarded_total{upstream=\"nowhere\"}" {print $2}')
err_nowhere=$(echo "$m" | awk '$1 == "fairbid_upstream_errors_total{upstream=\"nowhere\",kind=\"connect\"}" {print $2}')
[ "${fwd_named:-0}" -ge 3 ] || die "forwarded to named: ${fwd_named:-none}, want >= 3"
[ "${fwd_nowhere:-0}" = 0 ] || die "forwarded to the unresolvable name: $fwd_nowhere, want 0"
[ "${err_nowhere:-0}" -ge 3 ] || die "connect errors counted for the unresolvable name: ${err_nowhere:-none}, want >= 3"
grep -q 'cannot resolve its host' "$FB_LOG" || die "no log line for the failed lookup"
echo "ok: localhost resolved on the loop (forwarded $fwd_named), .invalid not sent to (connect errors $err_nowhere)"
