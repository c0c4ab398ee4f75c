#!/usr/bin/env bash
# Jurisdiction rules end to end: generated requests (regions in every form fairbid accepts, GPP state sections,
# regs.gdpr, EEA countries, ages, first- and third-party segments, political consent or not) on dates either
# side of each law's date, decided by the real binary (`fairbid decide --now`) and checked one by one against
# an independent Python reference (jurisdictions_ref.py, written from scripts/jurisdictions.tsv): 0
# disagreements. Then the same generator against `fairbid serve` (today's date): every served winner agrees with
# the reference; the political bid carries bid.ext.political; a bad jurisdictions table stops check-config
# naming file, key and jurisdiction.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"

cp "$SRC/deploy/policy.json" "$T/policy.json"
cat >"$T/cfg.json" <<'JSON'
{"tcf_vendor_id": 1000, "policy": "policy.json", "political_consent_custom_purpose": 2,
 "first_party_providers": ["pub1st"],
 "campaigns": [
  {"id": "sens", "crid": "c", "bid_cpm": 1, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "targeting": {"segments": [{"segtax": 4, "ids": ["381", "5"]}]}},
  {"id": "plain", "crid": "c", "bid_cpm": 1.1, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "targeting": {"segments": [{"segtax": 4, "ids": ["5"]}]}},
  {"id": "polctx", "crid": "c", "bid_cpm": 1.2, "cat": ["1476"], "formats": [{"w": 300, "h": 250}], "adm": "x",
   "political": {"sponsor": "Party A", "notice_url": "https://a.example/notice"}},
  {"id": "polseg", "crid": "c", "bid_cpm": 1.3, "cat": ["1479"], "formats": [{"w": 300, "h": 250}], "adm": "x",
   "political": {"sponsor": "Party B", "notice_url": "https://b.example/notice"},
   "targeting": {"segments": [{"segtax": 4, "ids": ["5"]}]}},
  {"id": "nearpdx", "crid": "c", "bid_cpm": 0.9, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "targeting": {"near": {"lat": 45.52, "lon": -122.68, "radius_km": 10}}}
 ]}
JSON

python3 "$SRC/tests/integration/jurisdictions_ref.py" "$BIN" "$T/cfg.json" "$SRC/scripts/jurisdictions.tsv" \
  "${JURIS_N:-500}" 18 >"$T/ref.log" 2>&1
rc=$?
grep -c DISAGREE "$T/ref.log" >/dev/null && grep DISAGREE "$T/ref.log" | head -20
tail -2 "$T/ref.log"
expect_eq "every generated decision agrees with the reference (0 disagreements)" 0 "$rc"
check "the generated traffic reaches every jurisdiction and political reason" python3 -c "
import json,sys
seen=json.loads(open('$T/ref.log').read().split('reasons seen: ')[1].split('\n')[0])
need={'bid','jurisdiction.minor','jurisdiction.sensitive_banned','jurisdiction.precise_geo','political.minor','political.personal_data','minor.age','sensitive.health','match.geo'}
missing=need-set(seen); print('missing', missing) if missing else None; sys.exit(1 if missing else 0)"

# Served: the political winner's bid carries its transparency notice.
fairbid_start "$T/cfg.json"
cat >"$T/req.json" <<'JSON'
{"id": "srv1", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "device": {"geo": {"country": "DEU"}}}
JSON
curl -s -o "$T/resp.json" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$T/req.json" \
  "$FB_URL/openrtb2/bid" >"$T/code"
expect_eq "served request in the EU: a contextual political bid (200)" 200 "$(cat "$T/code")"
python3 "$SRC/tests/integration/jurisdictions_ref.py" "$BIN" "$T/cfg.json" "$SRC/scripts/jurisdictions.tsv" \
  "${JURIS_N:-500}" 18 "$FB_URL/openrtb2/bid" >"$T/serve.log" 2>&1
rc=$?
grep DISAGREE "$T/serve.log" | head -10
tail -1 "$T/serve.log"
expect_eq "served: every generated request's winner agrees with the reference (today's date)" 0 "$rc"
check "bid.ext.political carries sponsor and notice_url" python3 -c "
import json,sys; b=json.load(open('$T/resp.json'))['seatbid'][0]['bid'][0]
sys.exit(0 if b['cid']=='polctx' and b['ext']['political']=={'sponsor':'Party A','notice_url':'https://a.example/notice'} else 1)"

# A bad table is refused at load, naming the file, the key and the jurisdiction.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
p = json.load(open(t + "/policy.json"))
for r in p["jurisdictions"]:
    if r["jurisdiction"] == "US-OR":
        r["precise_geo"] = "sometimes"
json.dump(p, open(t + "/bad-policy.json", "w"), indent=1)
c = json.load(open(t + "/cfg.json")); c["policy"] = "bad-policy.json"
json.dump(c, open(t + "/bad.json", "w"))
PY
"$BIN" check-config "$T/bad.json" >"$T/bad.out" 2>&1
expect_eq "check-config refuses a bad jurisdictions table" 1 "$?"
check "the error names file, key and jurisdiction" grep -q 'bad-policy.json:[0-9]*: key "jurisdictions\[[0-9]*\].precise_geo": jurisdiction "US-OR"' "$T/bad.out"
cat "$T/bad.out"
finish
