#!/usr/bin/env bash
# The HTTP contract of the real binary: bids, no-bids, error statuses with JSON bodies, gzip, keep-alive,
# /healthz, /readyz (with Redis up, then killed), /metrics checked by promtool, and decide/serve parity.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json
CFG=$SRC/deploy/fairbid.json
redis_start
fairbid_start "$CFG" --redis "$REDIS_URL"

# a bid, and the same answer from the offline decide
s=$(post "$REQ")
expect_eq "sample request gets a bid" 200 "$s"
expect_eq "winning campaign is the highest eligible price" "initech-runners" "$(json_get "$T/body" 'd["seatbid"][0]["bid"][0]["cid"]')"
expect_eq "price" "3.1" "$(json_get "$T/body" 'd["seatbid"][0]["bid"][0]["price"]')"
expect_eq "response id echoes the request id" "$(json_get "$REQ" 'd["id"]')" "$(json_get "$T/body" 'd["id"]')"
cp "$T/body" "$T/served.json"
"$BIN" decide --config "$CFG" "$REQ" >"$T/decide.json"
expect_eq "decide prints the response serve sent" "$(json_get "$T/served.json" 'json.dumps(d,sort_keys=True)')" \
  "$(json_get "$T/decide.json" 'json.dumps(d["response"],sort_keys=True)')"
expect_eq "decide explains every imp x campaign" 5 "$(json_get "$T/decide.json" 'len(d["decisions"])')"
expect_eq "decide names the drop reason" "match.site_cat" \
  "$(json_get "$T/decide.json" '[x["reason"] for x in d["decisions"] if x["campaign"]=="globex-travel"][0]')"

# no bid: a floor above every campaign
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["imp"][0]["bidfloor"]=99; json.dump(d,open(sys.argv[2],"w"))' "$REQ" "$T/floor.json"
expect_eq "floor above every price: 204" 204 "$(post "$T/floor.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["imp"][0]["bidfloorcur"]="JPY"; json.dump(d,open(sys.argv[2],"w"))' "$REQ" "$T/jpy.json"
expect_eq "bidfloor in a currency the fx table lacks: 204" 204 "$(post "$T/jpy.json")"
# fx (deploy/fairbid.json: EUR 0.92 per USD) converts: 2.8 EUR = 3.04 USD is under 3.1, 2.9 EUR = 3.15 is over
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["imp"][0]["bidfloorcur"]="EUR"; d["imp"][0]["bidfloor"]=2.8; json.dump(d,open(sys.argv[2],"w"))' "$REQ" "$T/eur.json"
expect_eq "bidfloor 2.8 EUR converted by fx: a bid" 200 "$(post "$T/eur.json")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["imp"][0]["bidfloorcur"]="EUR"; d["imp"][0]["bidfloor"]=2.9; json.dump(d,open(sys.argv[2],"w"))' "$REQ" "$T/eur2.json"
s=$(post "$T/eur2.json")
check "bidfloor 2.9 EUR converted by fx: initech (3.1) no longer clears it" test "$s" == 204 -o "$(json_get "$T/body" 'd["seatbid"][0]["bid"][0]["cid"]' 2>/dev/null)" != initech-runners

# errors: status and a JSON body naming the problem
printf '{"id": "x", "imp": [{"id": "1", "banner": {"w": 300 "h": 250}}]}' >"$T/syntax.json"
expect_eq "malformed JSON: 400" 400 "$(post "$T/syntax.json")"
expect_eq "malformed JSON: offset of the problem (the \"h\" after 300)" 52 "$(json_get "$T/body" 'd["offset"]')"
check "malformed JSON: error text" grep -q "expected ','" "$T/body"
printf '{"imp": [{"id": "1"}]}' >"$T/noid.json"
expect_eq "missing id: 400" 400 "$(post "$T/noid.json")"
expect_eq "missing id: field named" id "$(json_get "$T/body" 'd["field"]')"
printf '{"id": "x"}' >"$T/noimp.json"
expect_eq "missing imp: 400" 400 "$(post "$T/noimp.json")"
printf '{"id": "x", "imp": [{"banner": {}}]}' >"$T/noimpid.json"
expect_eq "imp without id: 400" 400 "$(post "$T/noimpid.json")"
# repeated trading terms with no safe reading (issue 12): a 400 naming the field
printf '{"id": "x", "imp": [{"id": "1", "bidfloor": 1, "bidfloorcur": "USD", "bidfloorcur": "JPY", "banner": {"w": 300, "h": 250}}]}' >"$T/twocur.json"
expect_eq "bidfloorcur given twice with different values: 400" 400 "$(post "$T/twocur.json")"
expect_eq "bidfloorcur given twice: field named" imp.bidfloorcur "$(json_get "$T/body" 'd["field"]')"
printf '{"id": "x", "imp": [{"id": "1", "pmp": {"deals": [{"id": "d"}], "deals": []}, "banner": {"w": 300, "h": 250}}]}' >"$T/twodeals.json"
expect_eq "pmp.deals given twice: 400" 400 "$(post "$T/twodeals.json")"
expect_eq "pmp.deals given twice: field named" imp.pmp.deals "$(json_get "$T/body" 'd["field"]')"
printf '{"id": "x", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "zzz": {"deep": [1, {"a": null}]}}' >"$T/unknown.json"
expect_eq "unknown fields are skipped" 204 "$(post "$T/unknown.json" )"
python3 -c 'print("{\"id\": \"big\", \"imp\": [{\"id\": \"1\"}], \"pad\": \"" + "x" * 70000 + "\"}")' >"$T/big.json"
expect_eq "body over max_body: 413" 413 "$(post "$T/big.json")"
check "413 has a JSON error" grep -q max_body "$T/body"
gzip -c "$REQ" >"$T/req.gz"
expect_eq "gzip body: bid" 200 "$(post "$T/req.gz" -H 'Content-Encoding: gzip')"
printf 'not gzip at all' >"$T/bad.gz"
expect_eq "corrupt gzip: 400" 400 "$(post "$T/bad.gz" -H 'Content-Encoding: gzip')"
python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.compress(b" " * 5000000))' >"$T/bomb.gz"
expect_eq "gzip bomb: 413" 413 "$(post "$T/bomb.gz" -H 'Content-Encoding: gzip')"
expect_eq "unknown path: 404" 404 "$(curl -s -o "$T/body" -w '%{http_code}' "$FB_URL/nope")"
expect_eq "GET on the bid endpoint: 405" 405 "$(curl -s -o "$T/body" -w '%{http_code}' "$FB_URL/openrtb2/bid")"
check "405 body is JSON" grep -q '"error"' "$T/body"

# keep-alive: two requests, one connection
n=$(curl -s -v -o /dev/null -o /dev/null -X POST --data-binary @"$REQ" "$FB_URL/openrtb2/bid" "$FB_URL/openrtb2/bid" 2>&1 | grep -c 'Re-using existing connection')
expect_eq "HTTP/1.1 keep-alive reuses the connection" 1 "$n"

# slow client: a request that never finishes its headers is cut by the read timeout (5 s default)
start=$(date +%s)
python3 - "$FB_PORT" <<'PY' && ok "slow client is disconnected by the server" || not_ok "slow client kept open"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\n")
s.settimeout(15)
try:
    data = s.recv(1)
    sys.exit(0)   # closed (b"") or answered: not held forever
except socket.timeout:
    sys.exit(1)
PY

# health and readiness
expect_eq "/healthz" 200 "$(curl -s -o "$T/body" -w '%{http_code}' "$FB_URL/healthz")"
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"status\":\"ready\"'"
expect_eq "/readyz ready with Redis up" 200 "$(curl -s -o "$T/body" -w '%{http_code}' "$FB_URL/readyz")"
expect_eq "/readyz names redis state" up "$(json_get "$T/body" 'd["redis"]')"

# metrics: a real scrape passes promtool, and the counters moved
curl -s "$FB_URL/metrics" >"$T/metrics.txt"
if command -v promtool >/dev/null; then
  check "promtool check metrics passes" sh -c "promtool check metrics <'$T/metrics.txt'"
else
  not_ok "promtool not installed (package prometheus)"
fi
check "bid counter counted" grep -qE '^fairbid_decisions_total\{outcome="bid",reason="bid"\} [1-9]' "$T/metrics.txt"
check "drop reasons are labels" grep -q 'reason="match.site_cat"' "$T/metrics.txt"
check "latency histogram" grep -q '^fairbid_request_duration_seconds_bucket{le="+Inf"}' "$T/metrics.txt"
check "400s counted" grep -qE '^fairbid_http_requests_total\{code="400"\} [1-9]' "$T/metrics.txt"
check "config generation" grep -q '^fairbid_config_generation 1' "$T/metrics.txt"

# Redis killed: fairbid keeps answering, /readyz says degraded with the reason
kill -9 "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q degraded"
check "/readyz degraded after Redis dies" grep -q . <(curl -s "$FB_URL/readyz" | grep degraded)
check "/readyz gives a reason" sh -c "curl -s '$FB_URL/readyz' | grep -q reason"
expect_eq "bids continue without Redis" 200 "$(post "$REQ")"
curl -s "$FB_URL/metrics" >"$T/metrics2.txt"
check "metrics show Redis down" grep -q '^fairbid_redis_up 0' "$T/metrics2.txt"
# Redis back on the same port: fairbid reconnects by itself
REDIS_PORT_WANT=$REDIS_PORT redis_start redis2
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"status\":\"ready\"'" && ok "ready again after Redis restarts" || not_ok "ready again after Redis restarts"
finish
