#!/usr/bin/env python3
"""Generated requests for the jurisdiction rules, each decided by the real fairbid binary (`fairbid decide
--now DATE`) and checked against an independent reference written here from scripts/jurisdictions.tsv (not
from the generated policy file) and docs/jurisdictions.md. Prints every disagreement and a summary line;
exits 1 on any disagreement.

Usage: jurisdictions_ref.py FAIRBID CONFIG TSV N SEED [SERVE_URL]
With SERVE_URL (a running `fairbid serve` of the same config), each request is also POSTed there and the served
winner (on today's UTC date) is checked against the reference's highest-priced eligible campaign.
"""
import json
import random
import subprocess
import sys

FAIRBID, CONFIG, TSV, N, SEED = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
SERVE = sys.argv[6] if len(sys.argv) > 6 else None
PRICES = {"sens": 1.0, "plain": 1.1, "polctx": 1.2, "polseg": 1.3, "nearpdx": 0.9}  # the test config's bid_cpm
CUSTOM_PURPOSE = 2  # the config's political_consent_custom_purpose
FIRST_PARTY = {"pub1st"}

GPP_STATE = {8: "CA", 9: "VA", 10: "CO", 11: "UT", 12: "CT", 13: "FL", 14: "MT", 15: "OR", 16: "TX", 17: "DE",
             18: "IA", 19: "NE", 20: "NH", 21: "NJ", 22: "TN", 23: "MN", 24: "MD", 25: "IN", 26: "KY", 27: "RI"}
EEA = {"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
       "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR"}
GEO_RANK = {"allowed": 0, "consent": 1, "banned": 2}


def read_rows():
    rows, header = [], None
    for line in open(TSV, encoding="utf-8").read().split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            continue
        rows.append(dict(zip(header, cols)))
    return rows


ROWS = read_rows()


def tc_string(custom_bits):
    """TC string: purposes 1-4 consented, vendor 1000 consented, publisher segment with 3 custom purposes."""
    bits = []

    def put(v, w):
        bits.extend((v >> i) & 1 for i in range(w - 1, -1, -1))

    def b64():
        d = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        out = ""
        for i in range(0, len(bits), 6):
            chunk = bits[i:i + 6] + [0] * (6 - len(bits[i:i + 6]))
            out += d[int("".join(map(str, chunk)), 2)]
        return out

    put(2, 6); put(16500000000, 36); put(16500000000, 36); put(7, 12); put(3, 12); put(1, 6)
    put(4, 6); put(13, 6); put(100, 12); put(4, 6); put(1, 1); put(0, 1)
    for i in range(12):
        put(1 if i == 0 else 0, 1)
    for i in range(24):
        put(1 if i < 4 else 0, 1)
    for i in range(24):
        put(1 if i == 1 else 0, 1)
    put(0, 1); put(3, 6); put(4, 6)
    put(1000, 16); put(0, 1)
    for v in range(1, 1001):
        put(1 if v == 1000 else 0, 1)
    put(0, 16); put(0, 1)
    put(0, 12)
    core = b64()
    bits.clear()
    put(3, 3); put(0, 24); put(0, 24); put(3, 6)
    for i in range(3):
        put((custom_bits >> i) & 1, 1)
    put(0, 3)
    return core + "." + b64()


TC_POL = tc_string(1 << (CUSTOM_PURPOSE - 1))
TC_NOPOL = tc_string(0b101)


def place(geo):
    """Where one geo object (device.geo or user.geo) places the person."""
    country = geo.get("country", "").upper()
    region = geo.get("region", "").upper()
    us_region = region.startswith("US-") and len(region) == 5
    p = {"named": False, "us": False, "eu": False, "state": None, "cc": ""}
    if country in ("USA", "US") or us_region:  # a US-XX region counts whatever the country says
        p.update(named=True, us=True)
        if us_region:
            region = region[3:]
        if len(region) == 2 and region.isalpha():
            p["state"] = region
    if country and country not in ("USA", "US"):
        first = not p["named"]
        p["named"] = True
        if country in EEA:
            p["eu"] = True
        elif first:
            p["cc"] = country[:3]
    return p


def where(req):
    """(code, set of jurisdictions whose rows apply) per docs/jurisdictions.md: the rules of every place
    any signal names apply (device.geo, user.geo, GPP state sections, regs.gdpr); the code shown is the
    first signal's."""
    pl = [place(req.get("device", {}).get("geo", {})), place(req.get("user", {}).get("geo", {}))]
    regs = req.get("regs", {})
    sids = list(regs.get("gpp_sid", [])) + list(regs.get("ext", {}).get("gpp_sid", []))
    geo_states = [p["state"] for p in pl if p["state"]]
    gpp_states = [GPP_STATE[s] for s in sorted(sids) if s in GPP_STATE]
    national = 7 in sids
    us = any(p["us"] for p in pl) or bool(gpp_states) or national
    gdpr = regs.get("gdpr") == 1 or 2 in sids
    eu = any(p["eu"] for p in pl) or gdpr
    juris = {"US-" + s for s in geo_states + gpp_states}
    if us and not geo_states and not gpp_states:
        juris |= {r["jurisdiction"] for r in ROWS if r["jurisdiction"].startswith("US-")}
    if eu:
        juris.add("EU")
    if us:
        juris.add("US")
    p = pl[0] if pl[0]["named"] else pl[1] if pl[1]["named"] else None
    if p and p["us"] and geo_states:
        code = "US-" + geo_states[0]
    elif (p is None or p["us"]) and gpp_states:
        code = "US-" + gpp_states[0]
    elif (p and p["us"]) or (p is None and national):
        code = "US"
    elif p:
        code = "EU" if p["eu"] else p["cc"]
    elif gdpr:
        code = "EU"
    else:
        code = ""
    return code, juris


def rules(juris, date):
    r = {"min_age": 0, "sensitive_banned": False, "precise_geo": "allowed", "political": "none",
         "political_min_age": 0}
    for j in juris:
        rows = sorted((x for x in ROWS if x["jurisdiction"] == j and x["from"] <= date), key=lambda x: x["from"])
        if not rows:
            continue
        x = rows[-1]
        r["min_age"] = max(r["min_age"], int(x["min_age"]))
        r["sensitive_banned"] |= x["sensitive_banned"] == "true"
        if GEO_RANK[x["precise_geo"]] > GEO_RANK[r["precise_geo"]]:
            r["precise_geo"] = x["precise_geo"]
        if x["political"] != "none":
            r["political"] = x["political"]
            r["political_min_age"] = max(r["political_min_age"], int(x["political_min_age"]))
    return r


def expect(req, date, campaign):
    code, juris = where(req)
    r = rules(juris, date)
    year = int(date[:4])
    user = req.get("user", {})
    age = year - user["yob"] if "yob" in user else -1
    gdpr = req.get("regs", {}).get("gdpr") == 1
    tc = user.get("consent") if gdpr else None
    segs = [(d["id"], s["id"]) for d in user.get("data", []) for s in d["segment"]]
    personal = campaign in ("sens", "plain", "polseg", "nearpdx")
    geo = req.get("device", {}).get("geo", {})
    political = campaign in ("polctx", "polseg")
    if not personal:
        return "bid"
    if r["min_age"] and 0 <= age < r["min_age"]:
        return "jurisdiction.minor"
    if campaign == "nearpdx":
        if r["precise_geo"] == "banned":
            return "jurisdiction.precise_geo"
        if r["precise_geo"] == "consent" and 0 <= age < 18:  # no consent for minors
            return "jurisdiction.precise_geo"
    if campaign == "sens" and r["sensitive_banned"]:
        return "jurisdiction.sensitive_banned"
    if political and r["political"] == "eu_2024_900":
        if age < 0 or age < 18 or age < r["political_min_age"]:
            return "political.minor"
        if tc != TC_POL:
            return "political.personal_data"
        if not any(p in FIRST_PARTY and s == "5" for p, s in segs):
            return "political.personal_data"
    if 0 <= age < 18:
        return "minor.age"
    if campaign == "nearpdx" and "lat" not in geo:
        return "match.geo"
    if campaign == "sens" and any(s == "381" for _, s in segs):
        return "sensitive.health"
    return "bid"


DATES = ["2025-06-01", "2025-10-09", "2025-10-10", "2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01",
         "2026-04-21", "2026-04-22", "2026-06-30", "2026-07-01", "2026-12-01"]
GEOS = [None, ("USA", None), ("USA", "MD"), ("USA", "us-md"), ("usa", "US-OR"), ("USA", "or"), ("USA", "VA"),
        ("USA", "CT"), ("USA", "AR"), ("USA", "CO"), ("USA", "NY"), ("DEU", None), ("fra", None), ("CAN", None),
        ("", "US-MD"), ("", "OR")]
SIDS = [[], [], [24], [15], [9], [9, 24], [7], [12, 26]]
AGES = [None, 10, 12, 13, 15, 16, 17, 18, 30, 45]


def gen(rng):
    date = rng.choice(DATES)
    req = {"id": "r%d" % rng.randrange(1 << 30), "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}]}
    g = rng.choice(GEOS)
    geo = {}
    if g:
        if g[0]:
            geo["country"] = g[0]
        if g[1]:
            geo["region"] = g[1]
    if rng.random() < 0.3:
        geo["lat"], geo["lon"] = 45.52, -122.68
    req["device"] = {"geo": geo}
    regs = {}
    sids = rng.choice(SIDS)
    if sids:
        regs["gpp_sid"] = sids
    user = {}
    if rng.random() < 0.4:
        regs["gdpr"] = 1
        user["consent"] = TC_POL if rng.random() < 0.5 else TC_NOPOL
    if regs:
        req["regs"] = regs
    age = rng.choice(AGES)
    if age is not None:
        user["yob"] = int(date[:4]) - age
    data = [{"id": "pub1st" if rng.random() < 0.5 else "dmp-x", "segment": [{"id": "5"}], "ext": {"segtax": 4}}]
    if rng.random() < 0.4:
        data.append({"id": "dmp-y", "segment": [{"id": "381"}], "ext": {"segtax": 4}})
    user["data"] = data
    req["user"] = user
    return date, req


def serve_check():
    """Every generated request POSTed to the server, its winner against the reference's."""
    import datetime
    import http.client
    import urllib.parse
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    u = urllib.parse.urlparse(SERVE)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    rng = random.Random(SEED + 1)
    bad = 0
    for i in range(N):
        _, req = gen(rng)
        if "yob" in req["user"]:  # ages relative to today's year
            req["user"]["yob"] += int(today[:4]) - int(_[:4])
        conn.request("POST", u.path, json.dumps(req), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        eligible = [c for c in PRICES if expect(req, today, c) == "bid"]
        want = max(eligible, key=lambda c: PRICES[c]) if eligible else None
        got = json.loads(body)["seatbid"][0]["bid"][0]["cid"] if resp.status == 200 else None
        if got != want:
            bad += 1
            print("DISAGREE served winner", today, "fairbid", got, resp.status, "reference", want, json.dumps(req))
    print("served requests %d, disagreements %d" % (N, bad))
    return bad


def main():
    if SERVE:
        sys.exit(1 if serve_check() else 0)
    rng = random.Random(SEED)
    bad = checked = 0
    seen = {}
    for i in range(N):
        date, req = gen(rng)
        p = subprocess.run([FAIRBID, "decide", "--config", CONFIG, "--now", date, "-"], input=json.dumps(req),
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("decide failed:", p.stderr.strip(), json.dumps(req))
            bad += 1
            continue
        out = json.loads(p.stdout)
        code, juris = where(req)
        r = rules(juris, date)
        j = out.get("jurisdiction", {})
        got_j = (j.get("code"), j.get("min_age"), j.get("sensitive_banned"), j.get("precise_geo"), j.get("political"))
        want_j = (code, r["min_age"], r["sensitive_banned"], r["precise_geo"], r["political"])
        if got_j != want_j:
            bad += 1
            print("DISAGREE jurisdiction", date, json.dumps(req), "fairbid", got_j, "reference", want_j)
        for d in out["decisions"]:
            checked += 1
            got = "bid" if d["reason"] in ("bid", "auction.lost") else d["reason"]
            want = expect(req, date, d["campaign"])
            seen[want] = seen.get(want, 0) + 1
            if got != want:
                bad += 1
                print("DISAGREE", date, d["campaign"], "fairbid", got, "(%s)" % d["detail"], "reference", want,
                      json.dumps(req))
        bids = out["response"]["seatbid"][0]["bid"] if out.get("response") else []
        for b in bids:
            if b["cid"] in ("polctx", "polseg") and "political" not in b.get("ext", {}):
                bad += 1
                print("DISAGREE political bid without ext.political", json.dumps(b))
    print("reasons seen:", json.dumps(seen, sort_keys=True))
    print("requests %d, decisions %d, disagreements %d" % (N, checked, bad))
    sys.exit(1 if bad else 0)


main()
