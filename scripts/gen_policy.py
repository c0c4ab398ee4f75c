#!/usr/bin/env python3
"""Generates deploy/policy.json (the sensitive-category policy, docs/policy.md) from the IAB Tech Lab taxonomy
TSV files (CC BY 3.0, attribution "IAB Tech Lab"; provenance in the taxonomy folder's SOURCES.md).
The file is the default policy of every config without a `policy` key: the build compiles it into the binary
(cmake/embed_policy.cmake), so rebuild after regenerating it (unit.test_config checks the two agree).

The mapping below is the reviewable part: taxonomy ids (never names, never the 3.x "SCD" column, which is
shifted by a row: InteractiveAdvertisingBureau/Taxonomies#24) to fairbid policy classes (filters/classes.def).
"123+" takes the node and all its descendants in that file. Content ids are shared by Content Taxonomy
2.2 / 3.0 / 3.1; an id missing from a file is skipped there, and a node whose name differs from 2.2's is
reported so a reviewer can look.

It also writes the "jurisdictions" table (docs/jurisdictions.md) from scripts/jurisdictions.tsv, the reviewable
list of laws with their dates and sources; each row is checked here as the loader (bidder/config/juris_load.c) does.

Usage: scripts/gen_policy.py [--taxonomy-dir DIR] [--jurisdictions TSV] [--out deploy/policy.json] [--review]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "taxonomy"))

# Content Taxonomy ids (2.2, the same ids in 3.0/3.1). Starts from 2.2's SCD flags (each flagged id is either
# mapped here or listed in CONTENT_SCD_EXCLUDED with a reason), plus additions by id for the classes the issue
# names that the SCD flags miss (debt, bankruptcy, gambling, funerals, parenting of teens, ...).
CONTENT = {
    "health": ["286+", "224", "228", "230", "231", "238", "136", "199", "494"],
    "religion": ["453+", "175", "361"],
    "ethnicity": ["214"],
    "sexuality": ["188", "307+", "Rm3SiT"],
    "politics": ["386", "387", "388", "174"],
    "genetic": ["468"],
    "financial_hardship": ["65", "405", "408"],
    "addiction": ["237", "311", "211", "181", "480", "524", "ZJG29S", "pg0WhF"],
    "crisis": ["189", "171", "I4GWl6"],
    "minor": ["198"],
}
CONTENT_SCD_EXCLUDED = {
    "200": "Single Life: relationship status, not a special category",
    "410": "Personal Investing: not a special category (flag looks misplaced)",
    "465": "Biological Sciences: an academic interest",
    "549": "Bodybuilding: a sport",
}

# Audience Taxonomy 1.1 (segtax 4).
AUDIENCE = {
    "health": ["381+", "466+", "550+", "1448+", "1555+", "407", "411", "413", "414", "421", "627", "765"],
    "religion": ["503", "1344"],
    "ethnicity": ["1095+", "1426"],
    "politics": ["529", "530", "531"],
    "genetic": ["222"],
    "financial_hardship": ["281", "537", "192", "193", "194"],
    "addiction": ["399", "420", "1467", "654", "369"],
    "financial_distress": ["1395", "1387"],
    "crisis": ["1502"],
    "minor": ["356"],
}
# Rule 4 (special ad categories): Demographic age and gender nodes, and the postal-code extension.
AUDIENCE_DEMOGRAPHIC = ["2+", "48+", "59"]

# Ad Product Taxonomy 2.0 (cattax 8): high-risk ad categories.
AD_PRODUCT = {
    "gambling": ["1361+"],
    "alcohol": ["1002+"],
    "tobacco": ["1544+"],
    "cannabis": ["1049+"],
    "payday_credit": ["1349"],
    "debt_repair": ["1338"],
    "weight_loss": ["1291+", "1255"],
    "cosmetic": ["1383", "1094"],
    "dating": ["1259+"],
    "speculative_finance": ["1448+"],
    "weapons": ["1576+"],
}

# US National (GPP section 7) SensitiveDataProcessing categories (1-based) per sensitive class. Classes without
# a US category (politics, financial_hardship, crime_victim) can only be consented in the advertiser's store.
GPP_USNAT = {"ethnicity": 1, "religion": 2, "health": 3, "sexuality": 4, "citizenship": 5, "genetic": 6,
             "biometric": 7, "union": 11}

FILES = {
    "audience": ("Audience Taxonomy 1.1.tsv", 1, 4),
    "ct22": ("Content Taxonomy 2.2.tsv", 2, 6),
    "ct30": ("Content Taxonomy 3.0.tsv", 2, 7),
    "ct31": ("Content Taxonomy 3.1.tsv", 2, 9),
    "adprod": ("Ad Product Taxonomy 2.0.tsv", 1, 8),
}


def read_tsv(path, header_rows, audience):
    """Returns {id: (parent, name, extension)}; CRLF, header rows and the Audience file's empty column 0."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    rows = {}
    for n, line in enumerate(text.split("\n")):
        line = line.rstrip("\r")
        if n < header_rows or not line.strip():
            continue
        cols = line.split("\t")
        if audience:
            cols = cols[1:]
        uid = cols[0].strip()
        if not uid:
            continue  # 3.0 ends with a row without an id
        parent = cols[1].strip() if len(cols) > 1 else ""
        name = cols[2].strip() if len(cols) > 2 else ""
        ext = cols[7].strip() if len(cols) > 7 else ""
        rows[uid] = (parent, name, ext)
    return rows


def expand(rows, spec, where, strict):
    children = {}
    for uid, (parent, _, _) in rows.items():
        if parent and parent != uid:
            children.setdefault(parent, []).append(uid)
    out = set()
    for s in spec:
        sub = s.endswith("+")
        uid = s[:-1] if sub else s
        if uid not in rows:
            if strict:
                sys.exit(f"gen_policy: {where}: id {uid} not in the taxonomy")
            continue
        stack = [uid]
        while stack:
            u = stack.pop()
            if u in out:
                continue
            out.add(u)
            if sub:
                stack.extend(children.get(u, []))
    return out


def sort_ids(ids):
    return sorted(ids, key=lambda x: (0, int(x), "") if x.isdigit() else (1, 0, x))


JURIS_COLS = ["jurisdiction", "from", "law", "min_age", "sensitive_banned", "precise_geo", "political",
              "political_min_age", "tag", "source", "notes"]


def read_jurisdictions(path):
    """Rows of the jurisdictions TSV as policy-file objects; exits naming the line and key of a bad row."""
    import datetime
    import re
    rows, seen = [], set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = None
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if header is None:
            header = cols
            if header != JURIS_COLS:
                sys.exit(f"gen_policy: {path}:{n}: header must be {JURIS_COLS}")
            continue
        if len(cols) != len(JURIS_COLS):
            sys.exit(f"gen_policy: {path}:{n}: {len(cols)} columns, want {len(JURIS_COLS)}")
        r = dict(zip(JURIS_COLS, cols))
        code = r["jurisdiction"]

        def bad(key, msg):
            sys.exit(f"gen_policy: {path}:{n}: key {key}: jurisdiction {code!r}: {msg}")
        if not re.fullmatch(r"US|EU|US-[A-Z]{2}", code):
            bad("jurisdiction", "must be US, EU or US-XY")
        try:
            datetime.date.fromisoformat(r["from"])
        except ValueError:
            bad("from", "must be YYYY-MM-DD")
        if (code, r["from"]) in seen:
            bad("from", "two rows with the same date")
        seen.add((code, r["from"]))
        for k in ("min_age", "political_min_age"):
            if not r[k].isdigit() or int(r[k]) > 99:
                bad(k, "must be an integer 0..99")
        if r["sensitive_banned"] not in ("true", "false"):
            bad("sensitive_banned", "must be true or false")
        if r["precise_geo"] not in ("allowed", "consent", "banned"):
            bad("precise_geo", "must be allowed, consent or banned")
        if r["political"] not in ("none", "eu_2024_900"):
            bad("political", "must be none or eu_2024_900")
        if r["tag"] not in ("[P]", "[S]"):
            bad("tag", "must be [P] or [S]")
        if not r["law"] or not r["source"]:
            bad("law/source", "must not be empty")
        rows.append({"jurisdiction": code, "from": r["from"], "law": r["law"], "min_age": int(r["min_age"]),
                     "sensitive_banned": r["sensitive_banned"] == "true", "precise_geo": r["precise_geo"],
                     "political": r["political"], "political_min_age": int(r["political_min_age"]),
                     "tag": r["tag"], "source": r["source"], "notes": r["notes"]})
    rows.sort(key=lambda x: (x["jurisdiction"], x["from"]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--taxonomy-dir", default=DEFAULT_DIR)
    ap.add_argument("--jurisdictions", default=os.path.join(HERE, "jurisdictions.tsv"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "deploy", "policy.json"))
    ap.add_argument("--review", action="store_true", help="print every mapped node with its name")
    a = ap.parse_args()
    tax = {k: read_tsv(os.path.join(a.taxonomy_dir, f), h, k == "audience") for k, (f, h, _) in FILES.items()}

    # every 2.2 SCD flag is mapped or excluded with a reason
    mapped22 = set()
    for cls, spec in CONTENT.items():
        mapped22 |= expand(tax["ct22"], spec, f"ct22 {cls}", False)
    for uid, (_, name, ext) in tax["ct22"].items():
        if ext == "SCD" and uid not in mapped22 and uid not in CONTENT_SCD_EXCLUDED:
            sys.exit(f"gen_policy: Content 2.2 id {uid} ({name}) is flagged SCD but neither mapped nor excluded")

    review = []
    segments = []
    for key in ("audience", "ct22", "ct30", "ct31"):
        fname, _, segtax = FILES[key]
        rows = tax[key]
        table = AUDIENCE if key == "audience" else CONTENT
        classes = {}
        for cls, spec in table.items():
            # an id may be missing from one content version (3.x added ZJG29S), never from all of them
            ids = expand(rows, spec, f"{key} {cls}", key == "audience")
            if key == "ct22":
                for s in spec:
                    uid = s.rstrip("+")
                    if not any(uid in tax[k] for k in ("ct22", "ct30", "ct31")):
                        sys.exit(f"gen_policy: content {cls}: id {uid} in no content taxonomy")
            classes[cls] = sort_ids(ids)
            for uid in classes[cls]:
                name = rows[uid][1]
                note = ""
                if key in ("ct30", "ct31") and uid in tax["ct22"] and tax["ct22"][uid][1] != name:
                    note = f"  [2.2 name: {tax['ct22'][uid][1]}]"
                review.append(f"segtax {segtax}\t{cls}\t{uid}\t{name}{note}")
        entry = {"segtax": segtax, "name": fname[:-4], "classes": classes}
        if key == "audience":
            entry["demographic"] = sort_ids(expand(rows, AUDIENCE_DEMOGRAPHIC, "audience demographic", True))
            for uid in entry["demographic"]:
                review.append(f"segtax 4\tdemographic\t{uid}\t{rows[uid][1]}")
        segments.append(entry)
    adclasses = {}
    for cls, spec in AD_PRODUCT.items():
        adclasses[cls] = sort_ids(expand(tax["adprod"], spec, f"adprod {cls}", True))
        for uid in adclasses[cls]:
            review.append(f"cattax 8\t{cls}\t{uid}\t{tax['adprod'][uid][1]}")

    policy = {
        "format": "fairbid-policy/1",
        "generated_by": "scripts/gen_policy.py (edit the mapping tables there, not this file)",
        "source": "IAB Tech Lab taxonomies (CC BY 3.0, attribution: IAB Tech Lab), "
                  "InteractiveAdvertisingBureau/Taxonomies at b7acdcaa30d4c389d0fe022e93865ca59a4299e6",
        "gpp_usnat_sensitive": GPP_USNAT,
        "segments": segments,
        "ad_categories": [{"cattax": 8, "name": "Ad Product Taxonomy 2.0", "classes": adclasses}],
        "jurisdictions": read_jurisdictions(a.jurisdictions),
    }
    with open(a.out, "w") as f:
        json.dump(policy, f, indent=1, sort_keys=False)
        f.write("\n")
    if a.review:
        print("\n".join(review))
    n = sum(len(v) for s in segments for v in s["classes"].values())
    print(f"gen_policy: wrote {a.out}: {n} segment ids, "
          f"{sum(len(v) for v in adclasses.values())} ad category ids", file=sys.stderr)


if __name__ == "__main__":
    main()
