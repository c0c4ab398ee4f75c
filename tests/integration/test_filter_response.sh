#!/usr/bin/env bash
# Filter mode's response side and failure handling (issue 17) with real processes: fairbid in front of
#  - "dsp": a python bidder (tests/integration/upstream_stub.py, mode bid) that records what it received and
#    bids on every imp whatever the request says (bcat, badv, floors, currency);
#  - "fbup": a fairbid with "policy": "none" that bids on anything: a gambling campaign (Ad Product 1361) for
#    300x250 and a housing one (1484) for 728x90, so fairbid's own checks are what stop them;
#  - "bad": a hostile python upstream (malformed JSON, wrong id, a 4 MiB body, 2 s delay, reset, 500).
# Each drop is asserted by the answer and by fairbid_upstream_bids_dropped_total{reason}; each failure by the
# answer's time (before tmax, with the other upstreams' bids) and its error counter; win notices by the
# bidder's own record of the forwarded GET.
source "$(dirname "$0")/../harness/lib.sh"
STUB="$SRC/tests/integration/upstream_stub.py"

start_stub() { # name args...: sets <name>_PORT
  local name=$1
  shift
  python3 "$STUB" "$@" >"$T/$name.port" 2>"$T/$name.log" &
  PIDS+=("$!")
  wait_for test -s "$T/$name.port" || die "stub $name did not start"
  printf -v "${name}_PORT" '%s' "$(cat "$T/$name.port")"
}
start_stub dsp --mode bid --record "$T/dsp.rec" --cat 1001 --adomain dsp.example --price 2
start_stub bad --mode hostile

# the upstream fairbid: no policy, so it bids gambling to anyone and housing on anything
cat >"$T/fbup.json" <<JSON
{"threads": 1, "currency": "USD", "policy": "none", "seat": "fbup-own", "campaigns": [
  {"id": "casino", "crid": "c1", "adomain": ["casino.example"], "cat": ["1361"], "cattax": 8, "bid_cpm": 3,
   "formats": [{"w": 300, "h": 250}], "adm": "<div>casino</div>", "nurl": "http://127.0.0.1:1/never"},
  {"id": "homes", "crid": "h1", "adomain": ["homes.example"], "cat": ["1484"], "cattax": 8, "bid_cpm": 3,
   "formats": [{"w": 728, "h": 90}], "adm": "<div>homes</div>"}]}
JSON
fairbid_start "$T/fbup.json"
FBUP_PORT=$FB_PORT
FBUP_URL=$FB_URL

cat >"$T/front.json" <<JSON
{"threads": 2, "currency": "USD", "tcf_vendor_id": 1000, "win_url": "http://127.0.0.1:9/win",
 "tmax_margin_ms": 10, "campaigns": [],
 "upstreams": [
  {"id": "dsp", "url": "http://127.0.0.1:$dsp_PORT/bid", "timeout_ms": 100, "tcf_vendor_id": 1000},
  {"id": "fbup", "url": "http://127.0.0.1:$FBUP_PORT/openrtb2/bid", "timeout_ms": 100, "tcf_vendor_id": 1000},
  {"id": "bad", "url": "http://127.0.0.1:$bad_PORT/bid", "timeout_ms": 100, "tcf_vendor_id": 1000}]}
JSON
fairbid_start "$T/front.json"

# req FILE-BODY: posts a request, sets CODE and SECS, the answer in $T/body
req() {
  printf '%s' "$1" >"$T/req.json"
  local out
  out=$(curl -s -o "$T/body" -w '%{http_code} %{time_total}' --max-time 10 -X POST \
    -H 'Content-Type: application/json' --data-binary @"$T/req.json" "$FB_URL/openrtb2/bid")
  CODE=${out% *}
  SECS=${out#* }
}
seats() { json_get "$T/body" "sorted(s['seat'] for s in d.get('seatbid', []))" 2>/dev/null || echo none; }
bids_of() { json_get "$T/body" "sorted(b['impid'] for s in d.get('seatbid', []) if s['seat']=='$1' for b in s['bid'])" || echo "[]"; }
metric() { # name labels: the value (0 when absent)
  curl -s "$FB_URL/metrics" | awk -v k="$1{$2}" '$1 == k {print $2; f=1} END {if (!f) print 0}'
}
IMPS='[{"id":"1","banner":{"w":300,"h":250}},{"id":"2","banner":{"w":728,"h":90}}]'

# 1. an adult, no GDPR, no user data: every upstream's bids come back, one seat each, nurl/burl rewritten
req "{\"id\":\"adult\",\"tmax\":300,\"imp\":$IMPS,\"site\":{\"domain\":\"news.example\"}}"
expect_eq "plain request: 200" 200 "$CODE"
expect_eq "plain request: one seat per upstream that bid" "['bad', 'dsp', 'fbup']" "$(seats)"
expect_eq "plain request: fbup bid gambling on imp 1 and housing on imp 2" "['1', '2']" "$(bids_of fbup)"
nurl=$(json_get "$T/body" "[b for s in d['seatbid'] if s['seat']=='dsp' for b in s['bid']][0]['nurl']")
case "$nurl" in
  "http://127.0.0.1:9/win?up=dsp&cid=upc&imp="*"&req=adult&price=\${AUCTION_PRICE}&kind=n&u=http%3A%2F%2F127.0.0.1%3A${dsp_PORT}%2Fwin"*) ok "nurl points at fairbid's win_url carrying the original" ;;
  *) not_ok "nurl rewritten: $nurl" ;;
esac
check "the recording upstream received the request" grep -q '"id": "adult"' "$T/dsp.rec"
tmax=$(grep '"id": "adult"' "$T/dsp.rec" | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline()).get("tmax"))')
expect_eq "forwarded tmax is min(timeout_ms, tmax - margin)" 100 "$tmax"

# 2. a minor (yob): the policy-none bidder's gambling bid is dropped, its housing bid (no personal data was
# forwarded for a minor) passes
before=$(metric fairbid_upstream_bids_dropped_total 'upstream="fbup",reason="exploit.high_risk_to_vulnerable"')
req "{\"id\":\"minor\",\"tmax\":300,\"imp\":$IMPS,\"user\":{\"yob\":2015}}"
expect_eq "minor: gambling dropped, housing kept" "['2']" "$(bids_of fbup)"
after=$(metric fairbid_upstream_bids_dropped_total 'upstream="fbup",reason="exploit.high_risk_to_vulnerable"')
expect_eq "minor: counted as exploit.high_risk_to_vulnerable" 1 "$((after - before))"

# 3. a vulnerable adult (a crisis segment, Audience 1.1 id 1502): gambling dropped
req "{\"id\":\"vuln\",\"tmax\":300,\"imp\":$IMPS,\"user\":{\"data\":[{\"id\":\"dmp\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"1502\"}]}]}}"
expect_eq "vulnerable person: gambling dropped" "['2']" "$(bids_of fbup)"

# 4. an adult whose age went to the bidders: the housing bid (a special category) is dropped
before=$(metric fairbid_upstream_bids_dropped_total 'upstream="fbup",reason="sensitive.special_category"')
req "{\"id\":\"yob\",\"tmax\":300,\"imp\":$IMPS,\"user\":{\"yob\":1980}}"
if grep '"id": "yob"' "$T/dsp.rec" | grep '"yob": 1980' >/dev/null; then
  expect_eq "special category with age forwarded: housing dropped" "['1']" "$(bids_of fbup)"
  after=$(metric fairbid_upstream_bids_dropped_total 'upstream="fbup",reason="sensitive.special_category"')
  expect_eq "special category: counted as sensitive.special_category" 1 "$((after - before))"
else
  expect_eq "special category without age forwarded: housing kept" "['1', '2']" "$(bids_of fbup)"
fi

# 5. the python bidder ignores bcat, badv, floors and currencies: fairbid does not
drop_case() { # label reason request-extra
  local before after
  before=$(metric fairbid_upstream_bids_dropped_total "upstream=\"dsp\",reason=\"$2\"")
  req "{\"id\":\"$1\",\"tmax\":300,\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}${4:-}}]${3:-}}"
  expect_eq "$1: dsp's bid dropped" "[]" "$(bids_of dsp)"
  after=$(metric fairbid_upstream_bids_dropped_total "upstream=\"dsp\",reason=\"$2\"")
  expect_eq "$1: counted as $2" 1 "$((after - before))"
}
drop_case bcat blocked.cat ',"bcat":["1001"],"cattax":8'
drop_case badv blocked.adomain ',"badv":["dsp.example"]'
drop_case floor bid.floor '' ',"bidfloor":5'
drop_case cur bid.currency ',"cur":["EUR"]'

# 6. hostile answers: each within tmax, with the other upstreams' bids, and counted
for kind in malformed wrongid huge slow reset 500; do
  req "{\"id\":\"h-$kind\",\"tmax\":300,\"imp\":[{\"id\":\"$kind\",\"banner\":{\"w\":300,\"h\":250}}]}"
  in_time=$(python3 -c "print(1 if $SECS < 0.300 else 0)")
  expect_eq "hostile $kind: answered 200 before tmax (${SECS}s)" "200 1" "$CODE $in_time"
  expect_eq "hostile $kind: the other upstreams' bids are there, not bad's" "['dsp', 'fbup']" "$(seats)"
done
check "malformed JSON counted" test "$(metric fairbid_upstream_answers_total 'upstream="bad",kind="malformed"')" -ge 1
check "wrong id counted" test "$(metric fairbid_upstream_bids_dropped_total 'upstream="bad",reason="response.id"')" -ge 1
check "huge body counted" test "$(metric fairbid_upstream_errors_total 'upstream="bad",kind="oversized"')" -ge 1
check "slow answer counted as a timeout" test "$(metric fairbid_upstream_timeouts_total 'upstream="bad"')" -ge 1
check "reset counted" test "$(metric fairbid_upstream_errors_total 'upstream="bad",kind="reset"')" -ge 1
check "500 counted" test "$(metric fairbid_upstream_errors_total 'upstream="bad",kind="5xx"')" -ge 1
check "fairbid is still alive" curl -sf "$FB_URL/healthz"

# 7. the win notice: counted and forwarded to the bidder's own URL with the price filled in
req "{\"id\":\"win\",\"tmax\":300,\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}]}"
nurl=$(json_get "$T/body" "[b for s in d['seatbid'] if s['seat']=='dsp' for b in s['bid']][0]['nurl'].replace('\${AUCTION_PRICE}', '1.75')")
q=${nurl#*\?}
wr=$(curl -s "$FB_URL/win?$q")
expect_eq "/win for an upstream bid: queued" '"forward":"queued"' "$(grep -o '"forward":"[a-z_]*"' <<<"$wr")"
check "the bidder got its own nurl, price substituted" wait_for grep -q '^/win?b=0&p=1.75$' "$T/dsp.rec.notices"
refused=$(curl -s "$FB_URL/win?up=dsp&cid=x&imp=1&req=r&kind=n&u=http%3A%2F%2F127.0.0.1%3A$FBUP_PORT%2Fmetrics")
expect_eq "/win to another local service: refused" '"forward":"refused"' "$(grep -o '"forward":"[a-z_]*"' <<<"$refused")"
# an unreadable value (repeated key, bad escape, %00) refuses the notice whole: 400, nothing forwarded
for bad in "up=dsp&up=other&cid=x&imp=1&req=r&kind=n" "up=dsp&cid=x%zz&imp=1&req=r&kind=n" \
  "up=dsp&cid=x&imp=1&req=r%00&kind=n" "up=dsp&kind=n&u=http%3A%2F%2F127.0.0.1%3A1%2Fw&u=http%3A%2F%2Fexample.com%2F"; do
  expect_eq "/win?$bad: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$FB_URL/win?$bad")"
done
check "forwarded notices counted" test "$(metric fairbid_upstream_win_notices_total 'upstream="dsp",result="forwarded"')" -ge 1

# 8. `fairbid decide --upstream-response` checks an upstream's answer offline, as serve does
printf '%s' '{"id":"d1","tmax":200,"bcat":["1001"],"cattax":8,"imp":[{"id":"1","banner":{"w":300,"h":250}}],"user":{"yob":2014}}' >"$T/dreq.json"
printf '%s' '{"id":"d1","seatbid":[{"bid":[{"id":"a","impid":"1","price":1,"cat":["1001"],"cattax":8},{"id":"b","impid":"1","price":1,"cat":["1361"],"cattax":8},{"id":"c","impid":"9","price":1},{"id":"d","impid":"1","price":2,"cat":["1"],"cattax":8}]}]}' >"$T/dresp.json"
"$BIN" decide --config "$T/front.json" --upstream-response "dsp=$T/dresp.json" "$T/dreq.json" >"$T/decide.json" 2>"$T/decide.err"
expect_eq "decide: each upstream bid's outcome and reason" \
  "[('a', 'blocked.cat'), ('b', 'exploit.high_risk_to_vulnerable'), ('c', 'bid.impid'), ('d', 'bid')]" \
  "$(json_get "$T/decide.json" "[(b['bid'], b['reason']) for b in d['upstreams'][0]['bids']]")"
expect_eq "decide: the minor's request went without personal data" "False minor.age" \
  "$(json_get "$T/decide.json" "'%s %s' % (d['upstreams'][0]['personal_data'], d['upstreams'][0]['reason'])")"

# 9. a dead upstream: marked down after consecutive failures, then skipped (fast) and probed
for i in $(seq 1 14); do req "{\"id\":\"d$i\",\"tmax\":300,\"imp\":[{\"id\":\"500\",\"banner\":{\"w\":300,\"h\":250}}]}"; done
expect_eq "after consecutive 5xx the upstream is marked down" 1 "$(metric fairbid_upstream_down 'upstream="bad"')"
check "a down upstream's requests are not sent (counted)" test "$(metric fairbid_upstream_not_forwarded_total 'upstream="bad",reason="upstream.down"')" -ge 1

# 10. a reload (SIGHUP) that drops "bad" and gives "dsp" 90 ms: the pools follow the new config
python3 - "$T/front.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["upstreams"] = [u for u in d["upstreams"] if u["id"] != "bad"]
d["upstreams"][0]["timeout_ms"] = 90
json.dump(d, open(sys.argv[1], "w"))
PY
bad_before=$(metric fairbid_upstream_forwarded_total 'upstream="bad"')
kill -HUP "$FB_PID"
check "reload applied" wait_for sh -c "curl -s '$FB_URL/metrics' | grep -q '^fairbid_config_generation 2\$'"
req "{\"id\":\"reloaded\",\"tmax\":300,\"imp\":[{\"id\":\"500\",\"banner\":{\"w\":300,\"h\":250}}]}"
expect_eq "after the reload: the remaining upstreams' seats" "['dsp', 'fbup']" "$(seats)"
expect_eq "after the reload: nothing more goes to the removed upstream" "$bad_before" "$(metric fairbid_upstream_forwarded_total 'upstream="bad"')"
tmax=$(grep '"id": "reloaded"' "$T/dsp.rec" | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline()).get("tmax"))')
expect_eq "after the reload: dsp is given its new timeout_ms" 90 "$tmax"
finish
