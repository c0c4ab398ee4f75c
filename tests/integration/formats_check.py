#!/usr/bin/env python3
"""Checks every BidResponse in RESP_DIR against its request in REQ_DIR, field by field (OpenRTB 2.6, 4.x and
Native 1.2, 5.x). Prints one line per problem and a summary; exits 1 on any problem."""
import json, os, sys

req_dir, resp_dir = sys.argv[1], sys.argv[2]
problems = []
counts = {1: 0, 2: 0, 3: 0, 4: 0}
deals = 0


def bad(name, msg):
    problems.append(f"{name}: {msg}")


def native_request(imp):
    r = imp["native"].get("request")
    if isinstance(r, str):
        r = json.loads(r)
    if "native" in r and "assets" not in r:
        r = r["native"]
    return r


def check_native(name, imp, adm):
    try:
        resp = json.loads(adm)
    except ValueError as e:
        return bad(name, f"native adm is not JSON: {e}")
    if not isinstance(resp, dict) or "native" in resp:
        return bad(name, "native adm must be a Native 1.2 response object (no 1.0 'native' wrapper)")
    if resp.get("ver") != "1.2":
        bad(name, "native adm ver must be '1.2'")
    link = resp.get("link")
    if not isinstance(link, dict) or not isinstance(link.get("url"), str) or not link["url"]:
        bad(name, "native adm needs link.url")
    req = native_request(imp)
    by_id = {a["id"]: a for a in req["assets"]}
    seen = set()
    for a in resp.get("assets", []):
        if a.get("id") not in by_id:
            bad(name, f"native asset id {a.get('id')} not in the request")
            continue
        if a["id"] in seen:
            bad(name, f"native asset id {a['id']} twice")
        seen.add(a["id"])
        ra = by_id[a["id"]]
        kinds = [k for k in ("title", "img", "data", "video") if k in a]
        if len(kinds) != 1 or kinds[0] not in ra:
            bad(name, f"native asset {a['id']}: {kinds} does not answer the request's {list(ra)}")
            continue
        k = kinds[0]
        if k == "title":
            if not isinstance(a["title"].get("text"), str):
                bad(name, "title.text missing")
            elif ra["title"].get("len") and len(a["title"]["text"]) > ra["title"]["len"]:
                bad(name, "title longer than len")
        if k == "img":
            im, ri = a["img"], ra["img"]
            if not im.get("url"):
                bad(name, "img.url missing")
            if ri.get("type") and im.get("type") not in (None, ri["type"]):
                bad(name, "img type differs")
            if ri.get("wmin") and im.get("w", 0) < ri["wmin"]:
                bad(name, "img below wmin")
            if ri.get("hmin") and im.get("h", 0) < ri["hmin"]:
                bad(name, "img below hmin")
            if not ri.get("wmin") and not ri.get("hmin") and ri.get("w") and im.get("w") != ri["w"]:
                bad(name, "img w is not the exact w")
        if k == "data":
            if not isinstance(a["data"].get("value"), str):
                bad(name, "data.value missing")
            if ra["data"].get("len") and len(a["data"]["value"]) > ra["data"]["len"]:
                bad(name, "data longer than len")
    for ra in req["assets"]:
        if ra.get("required") == 1 and ra["id"] not in seen:
            bad(name, f"required native asset {ra['id']} not filled")


for fn in sorted(os.listdir(resp_dir)):
    name = fn
    req = json.load(open(os.path.join(req_dir, fn)))
    try:
        resp = json.load(open(os.path.join(resp_dir, fn)))
    except ValueError as e:
        bad(name, f"response is not JSON: {e}")
        continue
    imps = {i["id"]: i for i in req["imp"]}
    if resp.get("id") != req["id"]:
        bad(name, "id is not the request id")
    if not isinstance(resp.get("bidid"), str):
        bad(name, "bidid")
    cur = resp.get("cur", "USD")
    if req.get("cur") and cur not in req["cur"]:
        bad(name, f"cur {cur} not in the request's cur")
    sb = resp.get("seatbid")
    if not isinstance(sb, list) or not sb:
        bad(name, "seatbid must be a non-empty array")
        continue
    bid_imps = set()
    for s in sb:
        for b in s.get("bid", []):
            for k, t in (("id", str), ("impid", str), ("price", (int, float)), ("crid", str), ("mtype", int)):
                if not isinstance(b.get(k), t):
                    bad(name, f"bid.{k} missing or of the wrong type")
            imp = imps.get(b.get("impid"))
            if imp is None:
                bad(name, f"impid {b.get('impid')} not in the request")
                continue
            if b["impid"] in bid_imps:
                bad(name, "two bids for one imp")
            bid_imps.add(b["impid"])
            mt = b.get("mtype")
            media = {1: "banner", 2: "video", 3: "audio", 4: "native"}.get(mt)
            if media is None or imp.get(media) is None:
                bad(name, f"mtype {mt} is not a media type the imp offers")
                continue
            counts[mt] += 1
            floor = imp.get("bidfloor", 0)
            if (imp.get("bidfloorcur") or "USD") == cur and b["price"] < floor and "dealid" not in b:
                bad(name, f"price {b['price']} below bidfloor {floor}")
            if b.get("cat") is not None and not isinstance(b.get("cattax"), int):
                bad(name, "cat without cattax")
            if mt in (2, 3):
                if not isinstance(b.get("dur"), int) or b["dur"] <= 0:
                    bad(name, "video/audio bid needs dur")
                v = imp[media]
                if v.get("maxduration") and b["dur"] > v["maxduration"]:
                    bad(name, "dur above maxduration")
                if v.get("minduration") and b["dur"] < v["minduration"]:
                    bad(name, "dur below minduration")
                if v.get("rqddurs") and b["dur"] not in v["rqddurs"]:
                    bad(name, "dur not in rqddurs")
                if not b.get("adm") and not b.get("nurl"):
                    bad(name, "video/audio bid needs adm or nurl")
                if b.get("adm") and "<VAST" not in b["adm"]:
                    bad(name, "video/audio adm is not VAST")
            elif "dur" in b:
                bad(name, "dur on a banner or native bid")
            if mt == 1:
                ok = (b.get("w"), b.get("h")) in [(imp["banner"].get("w"), imp["banner"].get("h"))] + [
                    (f.get("w"), f.get("h")) for f in imp["banner"].get("format") or []]
                if not ok:
                    bad(name, f"banner {b.get('w')}x{b.get('h')} not offered")
            if mt == 3 and ("w" in b or "h" in b):
                bad(name, "w/h on an audio bid")
            if mt == 4:
                if not isinstance(b.get("adm"), str):
                    bad(name, "native bid needs adm")
                else:
                    check_native(name, imp, b["adm"])
            pmp = imp.get("pmp") or {}
            if "dealid" in b:
                deals += 1
                if b["dealid"] not in [d.get("id") for d in pmp.get("deals") or []]:
                    bad(name, "dealid not among the imp's deals")
            elif pmp.get("private_auction") == 1:
                bad(name, "open bid into a private auction")
print(f"# checked {len(os.listdir(resp_dir))} responses: bids by mtype {counts}, in deals {deals}")
for p in problems:
    print("problem:", p)
sys.exit(1 if problems else 0)
