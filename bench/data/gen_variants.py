#!/usr/bin/env python3
"""Writes bench/data/sample-4imp-consent.json: deploy/sample-request.json grown to 4 imps with GDPR/TCF, GPP,
DSA and GPC signals set, so the parser comparison also covers a larger request with every privacy field present.
Run from the repository root; the output is committed, so this only needs rerunning when the sample changes."""
import json

with open("deploy/sample-request.json") as f:
    req = json.load(f)
base = req["imp"][0]
sizes = [(300, 250), (728, 90), (320, 50), (160, 600)]
req["imp"] = []
for i, (w, h) in enumerate(sizes, 1):
    imp = json.loads(json.dumps(base))
    imp["id"] = str(i)
    imp["banner"]["w"], imp["banner"]["h"] = w, h
    imp["banner"]["format"] = [{"w": w, "h": h}, {"w": 300, "h": 250}]
    imp["bidfloor"] = 0.5 + 0.25 * i
    req["imp"].append(imp)
req["user"]["consent"] = "CQBcWEAQBcWEAAHABBENA2EsAP_gAH_gAAAAKONR_G__bXlv-X736ftkeY1f9_h77sQxBhfJs-4FzLvW_JwX32EzNE36tqYKmRIAu3bBIQNtHJjUTVChaogVrzDsak2coTtKJ-BkiHMRe2dYCF5vm4tjeQKZ5_p_d3f52T_9_dv-3dzzz91nv3f9f-_1-Pjde5_9H_v_fRfb-_If9_7-_8v8_t_rk2_eT1__9-_9____-_______"
req["user"]["ext"] = {"consent": req["user"]["consent"]}
req["user"]["data"].append({"id": "dp-2", "name": "ctx.example", "ext": {"segtax": 7},
                            "segment": [{"id": "31"}, {"id": "44"}, {"id": "92"}]})
req["regs"] = {"coppa": 0, "gdpr": 1, "us_privacy": "1YNN",
               "gpp": "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", "gpp_sid": [2, 6],
               "ext": {"gpc": "1", "dsa": {"dsarequired": 2, "pubrender": 0, "datatopub": 1}}}
req["device"]["geo"]["lat"] = 37.7749
req["device"]["geo"]["lon"] = -122.4194
with open("bench/data/sample-4imp-consent.json", "w") as f:
    json.dump(req, f, indent=1)
    f.write("\n")
