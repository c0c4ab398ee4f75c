#!/usr/bin/env bash
# The audit trail on a real redis-server: a sensitive drop lands in the stream fairbid:audit with request id,
# imp id, campaign id, reason, class, taxonomy id and time, and a keyed hash instead of the raw user id;
# `fairbid audit tail` prints it; /metrics counts records and drops by class. A jurisdiction drop names where
# the person was (field jurisdiction).
source "$(dirname "$0")/../harness/lib.sh"
cp "$SRC/deploy/policy.json" "$T/policy.json"
cat >"$T/cfg.json" <<'J'
{"currency":"USD","tcf_vendor_id":1000,"policy":"policy.json","audit_sample_rate":1.0,"campaigns":[
 {"id":"health-seg","crid":"c","bid_cpm":2,"formats":[{"w":300,"h":250}],"adm":"x","targeting":{"segments":[{"segtax":4,"ids":["383"]}]}},
 {"id":"ctx","crid":"c","bid_cpm":1,"formats":[{"w":300,"h":250}],"adm":"x"}]}
J
cat >"$T/req.json" <<'J'
{"id":"audit-req-1","imp":[{"id":"imp-7","banner":{"w":300,"h":250}}],"site":{"id":"s","cat":["286"]},
 "user":{"buyeruid":"raw-user-secret-42","yob":1980,"data":[{"name":"acme-data","ext":{"segtax":4},"segment":[{"id":"383"}]}]}}
J
redis_start
fairbid_start "$T/cfg.json" --redis "$REDIS_URL"
expect_eq "the contextual campaign bids" 200 "$(post "$T/req.json")"
expect_eq "winner is ctx" ctx "$(json_get "$T/body" 'd["seatbid"][0]["bid"][0]["cid"]')"
wait_for sh -c "'$BIN' audit tail --redis '$REDIS_URL' --count 10 | grep -q audit-req-1" && ok "record in fairbid:audit" || not_ok "record in fairbid:audit"
"$BIN" audit tail --redis "$REDIS_URL" --count 10 >"$T/tail.txt"
cat "$T/tail.txt"
check "reason" grep -q "reason=sensitive.health" "$T/tail.txt"
check "class and taxonomy id" grep -q "class=health taxonomy_id=4:383" "$T/tail.txt"
check "imp and campaign ids" grep -q "imp_id=imp-7 campaign_id=health-seg" "$T/tail.txt"
check "time" grep -q "time_ms=[0-9]" "$T/tail.txt"
check "keyed user hash" grep -q "user_hash=[0-9a-f]\{16\}" "$T/tail.txt"
check "no raw user id in the stream" sh -c "! redis-cli -p $REDIS_PORT XRANGE fairbid:audit - + | grep -q raw-user-secret"
# a jurisdiction drop records where the person was (issue 18)
cat >"$T/req-md.json" <<'J'
{"id":"audit-req-md","imp":[{"id":"imp-8","banner":{"w":300,"h":250}}],"device":{"geo":{"country":"USA","region":"MD"}},
 "user":{"buyeruid":"u-md","yob":1980,"data":[{"name":"acme-data","ext":{"segtax":4},"segment":[{"id":"383"}]}]}}
J
expect_eq "the Maryland request is answered" 200 "$(post "$T/req-md.json")"
wait_for sh -c "'$BIN' audit tail --redis '$REDIS_URL' --count 10 | grep -q audit-req-md" && ok "Maryland record in fairbid:audit" || not_ok "Maryland record in fairbid:audit"
"$BIN" audit tail --redis "$REDIS_URL" --count 10 | grep audit-req-md >"$T/tail-md.txt"
check "jurisdiction drop with the jurisdiction field" grep -q "reason=jurisdiction.sensitive_banned .*jurisdiction=US-MD" "$T/tail-md.txt"
curl -s "$FB_URL/metrics" >"$T/metrics.txt"
check "metrics: records written" grep -q 'fairbid_audit_records_total{outcome="written"} [1-9]' "$T/metrics.txt"
check "metrics: drops by class" grep -q 'fairbid_policy_drops_total{class="health"} [1-9]' "$T/metrics.txt"
check "metrics: drops by reason" grep -q 'fairbid_decisions_total{outcome="drop",reason="sensitive.health"} [1-9]' "$T/metrics.txt"
# stored strings are printed escaped: a request id with CR/LF and a terminal escape stays on its own line
python3 - "$T/req.json" "$T/req3.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["id"] = "audit-evil\r\n1700000000000-0 reason=bid\x1b[2J"
json.dump(d, open(sys.argv[2], "w"))
PY
post "$T/req3.json" >/dev/null
wait_for sh -c "'$BIN' audit tail --redis '$REDIS_URL' --count 1 | grep -q audit-evil" || true
"$BIN" audit tail --redis "$REDIS_URL" --count 1 >"$T/tail3.txt"
expect_eq "a record with CR/LF in its request id prints as one line" 1 "$(wc -l <"$T/tail3.txt")"
check "CR, LF and ESC printed as escapes" grep -qF 'audit-evil\r\n1700000000000-0 reason=bid\x1b[2J' "$T/tail3.txt"
check "no raw ESC byte on the terminal" sh -c "! grep -q \"\$(printf '\\033')\" '$T/tail3.txt'"
# --follow sees a new record
( "$BIN" audit tail --redis "$REDIS_URL" --count 1 --follow >"$T/follow.txt" 2>&1 & echo $! >"$T/follow.pid" )
# it prints the last record, then follows: wait for that before writing the next
check "tail --follow prints the last record first" wait_for grep -q "reason=" "$T/follow.txt"
sed -i 's/audit-req-1/audit-req-2/' "$T/req.json"
post "$T/req.json" >/dev/null
wait_for grep -q audit-req-2 "$T/follow.txt" && ok "tail --follow prints new records" || not_ok "tail --follow prints new records"
kill "$(cat "$T/follow.pid")" 2>/dev/null
finish
