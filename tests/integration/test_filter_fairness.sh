#!/usr/bin/env bash
# Filter mode (issue 17): an upstream's special-category bids go through the fairness controller, keyed by
# (upstream, cid). A python bidder bids housing (Ad Product 1484) identically for everyone; the requests carry
# a US Privacy opt-out, so the bidder gets no personal data (and the special-category rule lets its bids
# through), while fairbid still knows each person's gender group. The "exchange" below sends win notices only
# for men's bids: without the controller women would get no wins at all. Asserted: women's bids are boosted
# (a price above the bidder's own, at most max_boost times it) and men's are throttled (fairness.throttle),
# and fairbid answers throughout.
source "$(dirname "$0")/../harness/lib.sh"
python3 "$SRC/tests/integration/upstream_stub.py" --mode bid --cat 1484 --cattax 8 --price 2 >"$T/dsp.port" 2>"$T/dsp.log" &
PIDS+=("$!")
wait_for test -s "$T/dsp.port" || die "stub did not start"
cat >"$T/front.json" <<JSON
{"threads": 2, "currency": "USD", "win_url": "http://127.0.0.1:9/win", "campaigns": [],
 "upstreams": [{"id": "dsp", "url": "http://127.0.0.1:$(cat "$T/dsp.port")/bid", "timeout_ms": 200,
   "special_category": {"housing": {"cats": ["1484"],
     "fairness": {"attribute": "gender", "min_eligible": 20, "max_boost": 1.5, "window_s": 60}}}}]}
JSON
fairbid_start "$T/front.json"
python3 - "$FB_URL" >"$T/result.txt" 2>"$T/client.log" <<'PY'
import http.client, json, sys, time, urllib.parse
base = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(base.hostname, base.port, timeout=5)
stats = {"M": [], "F": []}
thr = {"M": 0, "F": 0}
t_end = time.time() + 6
i = counted = 0
while time.time() < t_end:
    g = "M" if i % 2 == 0 else "F"
    body = json.dumps({"id": "r%d" % i, "tmax": 300, "regs": {"us_privacy": "1YYN"},
                       "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "user": {"gender": g}})
    c.request("POST", "/openrtb2/bid", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    i += 1
    if r.status == 204:
        thr[g] += 1
        continue
    bid = json.loads(data)["seatbid"][0]["bid"][0]
    stats[g].append(bid["price"])
    if g == "M":  # the exchange lets only men's bids win
        q = bid["nurl"].split("?", 1)[1].replace("${AUCTION_PRICE}", "1")
        c.request("GET", "/win?" + q)
        if json.loads(c.getresponse().read()).get("status") == "counted":
            counted += 1
last = lambda v: v[-50:] if v else [0]
print(json.dumps({"requests": i, "m_bids": len(stats["M"]), "f_bids": len(stats["F"]), "m_throttled": thr["M"],
                  "f_throttled": thr["F"], "f_price_max": max(last(stats["F"])), "m_price_max": max(last(stats["M"])),
                  "f_price_last": last(stats["F"])[-1],
                  "wins_counted": counted}))
PY
cat "$T/result.txt"
check "the client ran" test -s "$T/result.txt"
r() { json_get "$T/result.txt" "$1"; }
check "women's bids boosted above the bidder's price (2)" python3 -c "import sys; sys.exit(0 if $(r "d['f_price_max']") > 2.0 else 1)"
check "never above max_boost x the bidder's price" python3 -c "import sys; sys.exit(0 if $(r "d['f_price_max']") <= 3.0 + 1e-9 and $(r "d['m_price_max']") <= 3.0 + 1e-9 else 1)"
check "men's bids throttled once women's boost is spent" test "$(r "d['m_throttled']")" -gt 0
check "throttles counted as fairness.throttle" sh -c "curl -s '$FB_URL/metrics' | grep -q 'fairbid_upstream_bids_dropped_total{upstream=\"dsp\",reason=\"fairness.throttle\"}'"
check "every win notice of a passed bid counted for fairness" test "$(r "d['wins_counted']")" -eq "$(r "d['m_bids']")"
check "an unknown bid's notice is not counted" sh -c "curl -s '$FB_URL/win?up=dsp&cid=none&imp=1&req=x&kind=n' | grep -q unmatched"
finish
