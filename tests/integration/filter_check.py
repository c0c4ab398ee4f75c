#!/usr/bin/env python3
"""Independent checker of filter mode's request side (issue 17), used by test_filter_request.sh.

It POSTs each request to fairbid's /openrtb2/filter?upstream=ID for every upstream of the config (or reads
answers the CLI printed) and judges the answer with its own reading of the rules, not fairbid's code:

- its own consent reading (a subset it can decide for sure): regs.coppa (or regs.ext.coppa) = 1, an age under 18 by user.yob,
  device.lmt = 1, GPC, a US Privacy opt-out of sale, a GPP US National opt-out, known child or GPC (its own GPP
  header and section decoder), and under GDPR a TC string it decodes itself (purposes 1, 3 and 4 and the
  vendor's consent, per the TCF v2 core segment layout). Where it says personal data is not
  allowed, fairbid's answer must not forward any; where fairbid's answer says personal data was removed, the
  forwarded body must hold none either (checked field by field, in any key spelling a case-folding decoder
  reads);
- personal fields: user id, buyeruid, yob, gender, keywords, kwarray, customdata, data, eids, geo, ext.eids,
  ext.data; device ifa and the hashed ids; device.ip must be a /24 (last octet 0), device.ipv6 a /56; no
  device.geo lat, lon, zip, metro, city, accuracy;
- without personal data, user holds only consent and ext, user.ext only consent (and Additional Consent), and
  device.ext no identifier key (ifa, ip, ...) at any depth; without precise geo, no location key in device.ext
  nor precise geo in user.ext.geo;
- segments: deploy/policy.json is read here; no forwarded user.data (or user.ext.data) segment may be in a
  vulnerability class, ever, nor in a sensitive class (the run has no consent store and no sensitive consents);
- GDPR with no consent string at all: nothing forwarded;
- what is not personal is kept (id, imp, site/app byte for byte after parsing); tmax is min(timeout_ms,
  tmax - tmax_margin_ms); the "removed" list names every personal field the request had.

usage: filter_check.py --url URL --config CFG --policy POLICY REQUEST_FILES... [--lines FILE] [--cli-dir DIR]
       filter_check.py --config CFG --policy POLICY --received FILE   (bodies a recording upstream received)
Prints a summary; exit 1 on any violation (each printed)."""
import argparse
import base64
import decimal
import http.client
import ipaddress
import json
import os
import re
import sys
import time
import urllib.parse

SENSITIVE = {"health", "religion", "ethnicity", "sexuality", "politics", "union", "genetic", "biometric",
             "citizenship", "financial_hardship", "crime_victim"}
VULNERABLE = {"minor", "addiction", "financial_distress", "crisis", "emotional_state"}
USER_PERSONAL = ["id", "buyeruid", "yob", "gender", "keywords", "kwarray", "customdata", "data", "eids", "geo"]
UEXT_PERSONAL = ["eids", "data"]
DEV_PERSONAL = ["ifa", "dpidsha1", "dpidmd5", "didsha1", "didmd5", "macsha1", "macmd5"]
GEO_PRECISE = ["lat", "lon", "zip", "metro", "city", "accuracy"]
# without personal data: what user and user.ext may still hold (the consent signals), and the keys that name an
# identifier or a location anywhere in device.ext (a lenient bidder reads device.ext.ifa as the ifa)
USER_KEEP = {"consent", "ext"}
UEXT_KEEP = {"consent", "consentedproviderssettings", "consented_providers_settings"}
DEXT_IDS = {"ifa", "dpidsha1", "dpidmd5", "didsha1", "didmd5", "macsha1", "macmd5", "ip", "ipv6", "mac", "dpid",
            "did", "idfa", "idfv", "gaid", "aaid", "adid", "ifv"}
DEXT_GEO = {"geo", "lat", "lon", "zip", "city", "metro", "accuracy", "lastfix"}
YEAR = time.gmtime().tm_year


def fold(k):
    # how Go's encoding/json compares names: ASCII case, and U+017F / U+212A as s / k
    return k.replace("\u017f", "s").replace("\u212a", "k").lower()


def pairs(x):
    """Parsed JSON keeping every copy of a repeated key: objects are lists of (key, value)."""
    return json.loads(x, object_pairs_hook=lambda p: ("obj", p))


def members(o, name):
    """Every value of o (a pairs object) whose key folds to name."""
    if not (isinstance(o, tuple) and o[0] == "obj"):
        return []
    return [v for k, v in o[1] if fold(k) == name]


def is_obj(o):
    return isinstance(o, tuple) and o[0] == "obj"


def exact(o, name):
    """The last value of the exact key (as fairbid's own parser, and most decoders, read it)."""
    v = None
    if is_obj(o):
        for k, x in o[1]:
            if k == name:
                v = x
    return v


NUM_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")


def canon_id(v):
    """A taxonomy id as a bidder may read it: every spelling of an integer ("0399", " 399", "+399", "399.0",
    3.99e2) is that integer; letters compare case-insensitively; None when the value is no id at all (a
    fraction, a negative, an inner blank, another type). Written from the rule in docs/filter.md, not from
    fairbid's code."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        v = str(v)
    elif isinstance(v, float):
        return str(int(v)) if v == v and abs(v) < 1e18 and v.is_integer() and v >= 0 else None
    if not isinstance(v, str):
        return None
    t = v.strip(" \t\n\r\f\v")
    if NUM_RE.fullmatch(t):
        try:
            d = decimal.Decimal(t)
        except decimal.InvalidOperation:
            return None
        if d.is_finite() and d == 0:
            return "0"
        if not d.is_finite() or abs(d.adjusted()) > 18 or d != d.to_integral_value() or (d < 0 and d != 0):
            return None
        return str(int(d))
    return t.upper() if ID_RE.fullmatch(t) else None


UNREADABLE = frozenset({"unreadable"}) | VULNERABLE


class Policy:
    def __init__(self, path):
        p = json.load(open(path))
        self.seg = {}
        self.classified, self.alnum = set(), set()
        for tax in p["segments"]:
            t = int(tax["segtax"])
            for cls, ids in tax["classes"].items():
                for i in ids:
                    c = canon_id(str(i))
                    self.seg.setdefault((t, c), set()).add(cls)
                    self.classified.add(t)
                    if not c.isdigit():
                        self.alnum.add(t)

    def classes(self, segtax, sid):
        """The classes of a segment id value; an id that cannot be read as one of a classified taxonomy's
        (where every id is an integer, also letters) may be any of them: UNREADABLE."""
        c = canon_id(sid)
        if segtax not in self.classified:
            return set()
        if c is None or (not c.isdigit() and segtax not in self.alnum):
            return set(UNREADABLE)
        out = set(self.seg.get((segtax, c), set()))
        m = re.match(r"\d+", c)
        if m and not c.isdigit():  # "399abc": what parseInt reads
            out |= self.seg.get((segtax, str(int(m.group()))), set())
        return out


def tc_decode(s):
    """TCF v2 core segment: purposes consented (set), vendors consented (set); None when it does not decode."""
    try:
        core = s.split(".")[0]
        raw = base64.urlsafe_b64decode(core + "=" * (-len(core) % 4))
    except Exception:
        return None
    bits = "".join(f"{b:08b}" for b in raw)

    def num(o, n):
        if o + n > len(bits):
            raise ValueError
        return int(bits[o:o + n], 2)

    try:
        if num(0, 6) != 2:
            return None
        purposes = {i + 1 for i in range(24) if bits[152 + i] == "1"}
        o = 213
        maxv = num(o, 16)
        o += 16
        vendors = set()
        if num(o, 1) == 0:
            o += 1
            vendors = {i + 1 for i in range(maxv) if num(o + i, 1)}
        else:
            o += 1
            n = num(o, 12)
            o += 12
            for _ in range(n):
                rng = num(o, 1)
                o += 1
                a = num(o, 16)
                o += 16
                b = a
                if rng:
                    b = num(o, 16)
                    o += 16
                vendors.update(range(a, b + 1))
        return purposes, vendors
    except ValueError:
        return None


def b64bits(s):
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    return "".join(f"{b:08b}" for b in raw)


def fib(bits, o):
    """A Fibonacci-coded integer (GPP header section ids) at bit o: (value, next offset)."""
    fibs, v, i, prev = [1, 2], 0, 0, "0"
    while True:
        b = bits[o]
        o += 1
        if b == "1" and prev == "1":
            return v, o
        while i >= len(fibs):
            fibs.append(fibs[-1] + fibs[-2])
        if b == "1":
            v += fibs[i]
        prev, i = b, i + 1


def gpp_usnat(g):
    """The US National section (id 7) of a GPP string: sale/sharing/targeted-ads opt-outs (1 = opted out), the
    known-child consents and the GPC subsection; None when absent or when this decoder cannot read it."""
    try:
        parts = g.split("~")
        bits = b64bits(parts[0])
        num = lambda o, n: int(bits[o:o + n], 2)
        if num(0, 6) != 3:
            return None
        n, o, ids, last = num(12, 12), 24, [], 0
        for _ in range(n):
            r = bits[o]
            o += 1
            if r == "1":
                a, o = fib(bits, o)
                a += last
                b, o = fib(bits, o)
                b += a
                ids += list(range(a, b + 1))
                last = b
            else:
                v, o = fib(bits, o)
                last = v + last
                ids.append(last)
        sec = dict(zip(ids, parts[1:])).get(7)
        if sec is None:
            return None
        segs = sec.split(".")
        bits = b64bits(segs[0])
        ver = num(0, 6)
        if ver not in (1, 2):
            return None
        d = {"sale": num(18, 2), "sharing": num(20, 2), "targeted": num(22, 2), "gpc": 0}
        o = 24 + 2 * (12 if ver == 1 else 16)
        d["child"] = [num(o + 2 * i, 2) for i in range(2 if ver == 1 else 3)]
        for sub in segs[1:]:
            b = b64bits(sub)
            if int(b[0:2], 2) == 1:
                d["gpc"] = int(b[2])
        return d
    except (ValueError, IndexError):
        return None


def intval(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def must_restrict(req, vendor):
    """Why personal data may not be passed on, by this checker's own reading, or None when it cannot tell."""
    regs = exact(req, "regs")
    user = exact(req, "user")
    dev = exact(req, "device")
    rext = exact(regs, "ext")
    if intval(exact(regs, "coppa")) == 1 or intval(exact(rext, "coppa")) == 1:
        return "coppa"
    yob = intval(exact(user, "yob"))
    if yob is not None and YEAR - yob < 18:
        return "minor by yob"
    if intval(exact(dev, "lmt")) == 1:
        return "lmt"
    if exact(rext, "gpc") in (1, "1"):
        return "gpc"
    for usp in (exact(regs, "us_privacy"), exact(rext, "us_privacy")):
        if isinstance(usp, str) and len(usp) == 4 and usp[2].upper() == "Y":
            return "us_privacy opt-out"
    gpp = exact(regs, "gpp")
    if gpp is None:
        gpp = exact(rext, "gpp")
    us = gpp_usnat(gpp) if isinstance(gpp, str) and gpp else None
    if us:
        if 1 in (us["sale"], us["sharing"], us["targeted"]):
            return "GPP US National opt-out"
        if any(us["child"]):
            return "GPP US National known child"
        if us["gpc"] == 1:
            return "GPP GPC"
    gdpr = intval(exact(regs, "gdpr"))
    if gdpr is None:
        gdpr = intval(exact(rext, "gdpr"))
    if gdpr == 1 and exact(regs, "gpp") is None:
        cs = exact(user, "consent")
        if cs is None:
            cs = exact(exact(user, "ext"), "consent")
        if not isinstance(cs, str) or not cs:
            return "gdpr without consent"
        d = tc_decode(cs)
        if d is None:
            return "gdpr, TC string does not decode"
        purposes, vendors = d
        if not {1, 3, 4} <= purposes:
            return "gdpr, purposes 1/3/4 not consented"
        if vendor <= 0 or vendor not in vendors:
            return "gdpr, vendor not consented"
    return None


def is_gdpr(req):
    """regs.gdpr (or regs.ext.gdpr) is 1 and a TC string is present: a GDPR request with consent to read."""
    regs = exact(req, "regs")
    user = exact(req, "user")
    gdpr = intval(exact(regs, "gdpr"))
    if gdpr is None:
        gdpr = intval(exact(exact(regs, "ext"), "gdpr"))
    cs = exact(user, "consent")
    if cs is None:
        cs = exact(exact(user, "ext"), "consent")
    return gdpr == 1 and isinstance(cs, str) and cs != ""


def must_not_forward(req):
    regs = exact(req, "regs")
    user = exact(req, "user")
    gdpr = intval(exact(regs, "gdpr"))
    if gdpr == 1 and exact(regs, "gpp") is None and exact(exact(regs, "ext"), "gpp") is None:
        cs = exact(user, "consent")
        if cs is None:
            cs = exact(exact(user, "ext"), "consent")
        if cs is None or cs == "":
            return "gdpr without any consent string"
    return None


def personal_present(req):
    """The personal fields a request carries: canonical paths."""
    out = []
    for user in members(req, "user"):
        for k in USER_PERSONAL:
            if members(user, k):
                out.append("user." + k)
        for ext in members(user, "ext"):
            for k in UEXT_PERSONAL:
                if members(ext, k):
                    out.append("user.ext." + k)
    for dev in members(req, "device"):
        for k in DEV_PERSONAL:
            if members(dev, k):
                out.append("device." + k)
        for geo in members(dev, "geo"):
            for k in GEO_PRECISE:
                if members(geo, k):
                    out.append("device.geo." + k)
    return out


def ext_keys(o, names, path):
    """Paths of the keys of o, at any depth, that fold to one of names."""
    out = []
    if is_obj(o):
        for k, v in o[1]:
            if fold(k) in names:
                out.append(f"{path}.{k}")
            else:
                out += ext_keys(v, names, f"{path}.{k}")
    elif isinstance(o, list):
        for v in o:
            out += ext_keys(v, names, path + "[]")
    return out


def personal_violations(fwd):
    """Personal data left in a forwarded body (its paths), when none may be there."""
    bad = [p for p in personal_present(fwd) if True]
    # where an object is expected and something else stands, a lenient decoder may read anything in it
    for top in ("user", "device"):
        bad += [top for v in members(fwd, top) if v is not None and not is_obj(v)]
        for o in members(fwd, top):
            bad += [f"{top}.ext" for v in members(o, "ext") if v is not None and not is_obj(v)]
    for user in members(fwd, "user"):
        if is_obj(user):
            bad += [f"user.{k}" for k, _ in user[1] if fold(k) not in USER_KEEP and fold(k) not in USER_PERSONAL]
        for ext in members(user, "ext"):
            if is_obj(ext):
                bad += [f"user.ext.{k}" for k, _ in ext[1] if fold(k) not in UEXT_KEEP]
    for dev in members(fwd, "device"):
        if is_obj(dev):
            bad += [f"device.{k}" for k, _ in dev[1] if fold(k) in DEXT_IDS - {"ip", "ipv6"}]
        for ext in members(dev, "ext"):
            bad += ext_keys(ext, DEXT_IDS | DEXT_GEO, "device.ext")
    for dev in members(fwd, "device"):
        for ip in members(dev, "ip"):
            if ip is not None and not (isinstance(ip, str) and ip.count(".") == 3 and ip.endswith(".0")):
                bad.append(f"device.ip={ip!r}")
        for ip in members(dev, "ipv6"):
            if ip is None:
                continue
            try:
                a = ipaddress.IPv6Address(ip)
                if int(a) & ((1 << 72) - 1):
                    bad.append(f"device.ipv6={ip!r} (not a /56)")
            except Exception:
                bad.append(f"device.ipv6={ip!r} (not an address)")
    return bad


def precise_geo_left(fwd):
    bad = []
    for top, geos in (("device", ["geo", "ext"]), ("user", ["geo"])):
        for o in members(fwd, top):
            bad += [f"{top}.{g}" for g in geos for v in members(o, g) if v is not None and not is_obj(v)]
    for user in members(fwd, "user"):
        for ext in members(user, "ext"):
            bad += ["user.ext.geo" for v in members(ext, "geo") if v is not None and not is_obj(v)]
    for dev in members(fwd, "device"):
        for geo in members(dev, "geo"):
            bad += ["device.geo." + k for k in GEO_PRECISE if members(geo, k)]
    for user in members(fwd, "user"):
        for geo in members(user, "geo"):
            bad += ["user.geo." + k for k in GEO_PRECISE if members(geo, k)]
        for ext in members(user, "ext"):
            for geo in members(ext, "geo"):
                bad += ["user.ext.geo." + k for k in GEO_PRECISE if members(geo, k)]
    for dev in members(fwd, "device"):
        for ext in members(dev, "ext"):
            bad += ext_keys(ext, DEXT_GEO, "device.ext")
    return bad


def segments(fwd, pol):
    """(segtax, id, classes) of every forwarded segment whose class the policy knows; a data, data object,
    segment list or segment of another shape than OpenRTB's, in a taxonomy the policy classifies, counts as
    UNREADABLE (a lenient decoder may find any segment in it)."""
    out = []
    for user in members(fwd, "user"):
        # user.data, and Prebid's older user.ext.data, which a bidder may read as well
        for data in members(user, "data") + [d for e in members(user, "ext") for d in members(e, "data")]:
            if data is None:
                continue
            if not isinstance(data, list):
                out.append((None, repr(plain(data))[:40], set(UNREADABLE)))
                continue
            for d in data:
                if d is not None and not is_obj(d):
                    out.append((None, repr(plain(d))[:40], set(UNREADABLE)))
                    continue
                taxes = [t for e in members(d, "ext") for t in members(e, "segtax") if t is not None]
                for t in taxes:
                    if not isinstance(t, int) or isinstance(t, bool):
                        continue
                    for seg in members(d, "segment"):
                        if seg is None:
                            continue
                        if not isinstance(seg, list):
                            if t in pol.classified:
                                out.append((t, repr(plain(seg))[:40], set(UNREADABLE)))
                            continue
                        for s in seg:
                            ids = members(s, "id") if is_obj(s) else [] if s is None else [s]
                            for sid in ids:
                                if sid is None:
                                    continue
                                cls = pol.classes(t, plain(sid))
                                if cls:
                                    out.append((t, plain(sid), cls))
    return out


def plain(x):
    """pairs() form back to ordinary JSON values (the last copy of a key wins)."""
    if is_obj(x):
        return {k: plain(v) for k, v in x[1]}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


class Checker:
    def __init__(self, cfg, pol):
        self.pol = pol
        c = json.load(open(cfg))
        self.ups = c["upstreams"]
        self.margin = c.get("tmax_margin_ms", 10)
        self.fail = []
        self.n = {k: 0 for k in ("requests", "answers", "rejected", "forwarded", "not_forwarded",
                                 "personal_removed", "checker_restricts", "personal_fields_removed",
                                 "segments_removed", "sensitive_or_vuln_forwarded", "personal_forwarded_bad",
                                 "gdpr_personal")}

    def bad(self, name, what):
        if len(self.fail) < 50:
            print(f"VIOLATION {name}: {what}")
        self.fail.append((name, what))

    def judge(self, name, body, up, status, ans):
        self.n["answers"] += 1
        if status in (400, 413):
            self.n["rejected"] += 1
            if "error" not in ans:
                self.bad(name, f"{status} without an error")
            return
        if status != 200:
            self.bad(name, f"status {status}: {ans}")
            return
        try:
            req = pairs(body)
        except Exception:
            self.bad(name, "fairbid answered 200 to a body Python cannot parse")
            return
        for k in ("request", "removed", "reason"):
            if k not in ans:
                self.bad(name, f"answer without {k!r}")
        removed = {r["path"].split("[")[0] for r in ans.get("removed", [])}
        fwd_txt = ans.get("_request_text")
        if ans["request"] is None:
            self.n["not_forwarded"] += 1
            if not ans.get("reason"):
                self.bad(name, "not forwarded without a reason")
            return
        self.n["forwarded"] += 1
        if must_not_forward(req):
            self.bad(name, f"{up['id']}: forwarded although {must_not_forward(req)}")
        fwd = pairs(fwd_txt)
        # what is not personal stays
        for k in ("id", "imp", "site", "app", "cur", "bcat", "badv"):
            if plain(exact(fwd, k)) != plain(exact(req, k)):
                self.bad(name, f"{up['id']}: {k} changed")
        tmax = intval(exact(req, "tmax"))
        want = up.get("timeout_ms", 100)
        if tmax is not None and tmax > 0:
            want = min(want, tmax - self.margin)
        want = max(want, 1)
        if intval(exact(fwd, "tmax")) != want or ans.get("tmax") != want:
            self.bad(name, f"{up['id']}: tmax {exact(fwd, 'tmax')} / {ans.get('tmax')}, want {want}")
        why = must_restrict(req, up.get("tcf_vendor_id", 0))
        if ans.get("personal_data") and is_gdpr(req):
            self.n["gdpr_personal"] += 1
        if why:
            self.n["checker_restricts"] += 1
            if ans.get("personal_data"):
                self.bad(name, f"{up['id']}: personal_data true although {why}")
        if why or not ans.get("personal_data"):
            self.n["personal_removed"] += 1
            left = personal_violations(fwd) + precise_geo_left(fwd)
            if left:
                self.n["personal_forwarded_bad"] += len(left)
                self.bad(name, f"{up['id']}: personal data forwarded ({why or ans.get('reason')}): {left}")
            had = personal_present(req)
            self.n["personal_fields_removed"] += len(had)
            for p in had:
                if p not in removed:
                    self.bad(name, f"{up['id']}: {p} not listed in removed")
        if not ans.get("precise_geo") and precise_geo_left(fwd):
            self.bad(name, f"{up['id']}: precise geo forwarded: {precise_geo_left(fwd)}")
        for t, sid, cls in segments(fwd, self.pol):
            if cls & (SENSITIVE | VULNERABLE):
                self.n["sensitive_or_vuln_forwarded"] += 1
                self.bad(name, f"{up['id']}: segment segtax {t} id {sid} ({','.join(sorted(cls))}) forwarded")
        self.n["segments_removed"] += sum(1 for r in ans.get("removed", []) if "segment" in r["path"])


def judge_received(ck, i, up, text):
    """A body an upstream really received (a recording upstream behind fairbid's /openrtb2/bid). The privacy
    signals travel unchanged, so the body's own signals say what it may carry."""
    name = f"received#{i}"
    ck.n["answers"] += 1
    ck.n["forwarded"] += 1
    try:
        got = pairs(text)
    except Exception:
        ck.bad(name, f"{up['id']} received a body that is not JSON: {text[:200]}")
        return
    if must_not_forward(got):
        ck.bad(name, f"{up['id']} received a request although {must_not_forward(got)}")
    t = intval(exact(got, "tmax"))
    if t is None or not 1 <= t <= up.get("timeout_ms", 100):
        ck.bad(name, f"{up['id']} received tmax {t}, above its timeout_ms {up.get('timeout_ms', 100)}")
    why = must_restrict(got, up.get("tcf_vendor_id", 0))
    if is_gdpr(got) and "user.buyeruid" in personal_present(got):
        ck.n["gdpr_personal"] += 1
    if why:
        ck.n["checker_restricts"] += 1
        left = personal_violations(got) + precise_geo_left(got)
        if left:
            ck.n["personal_forwarded_bad"] += len(left)
            ck.bad(name, f"{up['id']} received personal data although {why}: {left}")
    for t, sid, cls in segments(got, ck.pol):
        if cls & (SENSITIVE | VULNERABLE):
            ck.n["sensitive_or_vuln_forwarded"] += 1
            ck.bad(name, f"{up['id']} received segment segtax {t} id {sid} ({','.join(sorted(cls))})")


def split_answer(text):
    """The answer parsed, with the forwarded body's own text kept (duplicate keys and all)."""
    ans = json.loads(text)
    if ans.get("request") is not None:
        # the request is the raw forwarded bytes: take its span out of the answer text
        i = text.index('"request":') + len('"request":')
        j = text.rindex(',"removed":')
        ans["_request_text"] = text[i:j]
    return ans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--config", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--lines", help="a file of JSON request bodies, one a line (recorded loadgen traffic)")
    ap.add_argument("--cli-dir", help="answers of `fairbid filter` as DIR/<upstream>/<basename>.json")
    ap.add_argument("--received", help="JSON lines {\"up\": ID, \"body\": TEXT} a recording upstream wrote")
    ap.add_argument("--min", type=int, default=1, help="fewest forwarded requests for the run to count")
    ap.add_argument("--min-gdpr-personal", type=int, default=0,
                    help="fewest GDPR requests (with a TC string) forwarded with personal data: proves the run "
                    "reached the consent rules rather than refusing every TC string")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    ck = Checker(a.config, Policy(a.policy))
    bodies = []
    for f in a.files:
        with open(f, "rb") as fh:
            bodies.append((os.path.basename(f), fh.read()))
    if a.lines:
        with open(a.lines, "rb") as fh:
            for i, line in enumerate(fh):
                if line.strip():
                    bodies.append((f"loadgen#{i}", line.rstrip(b"\n")))
    if a.received:
        ups = {u["id"]: u for u in ck.ups}
        with open(a.received, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                rec = json.loads(line)
                judge_received(ck, i, ups[rec["up"]], rec["body"])
    conn = None
    if a.url:
        u = urllib.parse.urlparse(a.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    for name, body in bodies:
        ck.n["requests"] += 1
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body = None
        for up in ck.ups:
            if a.cli_dir:
                p = os.path.join(a.cli_dir, up["id"], name)
                if not os.path.exists(p):
                    continue
                st, txt = open(p + ".status").read().strip(), open(p, encoding="utf-8").read()
                status = {"0": 200, "1": 400}.get(st, 500)
            else:
                conn.request("POST", "/openrtb2/filter?upstream=" + up["id"], body=body,
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                status, txt = r.status, r.read().decode("utf-8")
            try:
                ans = split_answer(txt) if status == 200 else json.loads(txt)
            except Exception as e:
                ck.bad(name, f"answer is not JSON ({e}): {txt[:200]}")
                continue
            if text_body is None and status == 200:
                ck.bad(name, "200 for a body that is not UTF-8")
                continue
            ck.judge(name, text_body, up, status, ans)
    print("filter_check:", json.dumps(ck.n, sort_keys=True))
    if ck.n["forwarded"] < a.min:
        print(f"filter_check: only {ck.n['forwarded']} forwarded, want at least {a.min}: the run proves little")
        return 1
    if ck.n["gdpr_personal"] < a.min_gdpr_personal:
        print(f"filter_check: only {ck.n['gdpr_personal']} GDPR requests forwarded with personal data, want at "
              f"least {a.min_gdpr_personal}: the consent rules were not reached")
        return 1
    if ck.fail:
        print(f"filter_check: {len(ck.fail)} violations")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
