#!/usr/bin/env python3
"""docs/metrics.md against what the binary emits (issue 16: one page listing every metric).

    docs_metrics.py --doc docs/metrics.md --src REPO [--scrape FILE] [--update]

Families come from two places:
  - the scrape (a /metrics text): name, TYPE, HELP and the label names of its samples;
  - the source: every string literal "fairbid_..." in bidder/**/*.[ch], i.e. the names handed to the
    bidder/obs/prom.h writer (directly or through a table or a variable), so families that appear only in some
    states or configs (filter mode upstreams, budgets, a policy source) are covered without being in the scrape.
    Where the literal is the name argument of prom_family / prom_one_u64 / prom_one_double, its TYPE and HELP
    are read from the call too.
A row of the page is `| \`name\` | type | labels | meaning |` (labels: comma-separated names, empty for none).

Fails (exit 1) and prints what to do when: a family has no row; a row's type differs from the scrape's (or
the source call's); a row's labels differ from the scrape's; a row names a family neither the scrape nor the
source has (stale). With --update the page is rewritten instead: missing rows inserted (meaning = the HELP
text) next to the rows sharing the longest name prefix, types and labels corrected, stale rows removed.
"""
import argparse, os, re, sys

# "fairbid_..." literals in bidder/ that are not metric families (none yet); add one here with a reason.
NOT_FAMILIES = set()

ROW = re.compile(r"^\|\s*`(fairbid_[a-z0-9_]+)`\s*\|")
LIT = re.compile(r'"(fairbid_[a-z0-9_]+)"')
STR = r'"(?:[^"\\\n]|\\.)*"'
CALL = re.compile(
    r'prom_(?:family|one_u64|one_double)\(\s*[A-Za-z_]\w*\s*,\s*"(fairbid_[a-z0-9_]+)"\s*,\s*PROM_(COUNTER|GAUGE|HISTOGRAM)\s*,\s*((?:%s\s*)+)' % STR)
HIST = re.compile(r'(?:prom_hist|put_hist)\(\s*[A-Za-z_]\w*\s*,\s*"(fairbid_[a-z0-9_]+)"\s*,\s*((?:%s\s*)+)' % STR)
# a name in a table or handed to a helper with its help next to it: {"fairbid_x", "help"} / f(o, "fairbid_x", "help"
NEXT_HELP = re.compile(r'"(fairbid_[a-z0-9_]+)"\s*,\s*((?:%s\s*)+)' % STR)
# a name held in a variable: const char *v = "fairbid_x"; ... prom_family(o, v, PROM_T, "help")
VAR = re.compile(r'\b([A-Za-z_]\w*)\s*=\s*"(fairbid_[a-z0-9_]+)"\s*;')
SAMPLE_LABELS = re.compile(r'\bprom_(?:u64|i64|double)\(\s*[A-Za-z_]\w*\s*,\s*"(fairbid_[a-z0-9_]+)"\s*,\s*PROM_L\(((?:[^()]|\([^()]*\))*)\)')


def c_strings(s):
    """The concatenated value of adjacent C string literals."""
    out = ""
    for lit in re.findall(STR, s):
        out += bytes(lit[1:-1], "utf-8").decode("unicode_escape")
    return out


def split_row(line):
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
    return cells if len(cells) == 4 else None


def labels_of(cell):
    cell = cell.replace("`", "").strip()
    if cell in ("", "-", "—"):
        return ()
    return tuple(sorted(x.strip() for x in cell.split(",") if x.strip()))


def split_args(s):
    """Top-level comma-separated pieces of an argument list (the last one may be unfinished)."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


BRACE = re.compile(r"[{}]")


def functions(text):
    """name -> (parameter names, body) for the function definitions of a C file."""
    out = {}
    for m in re.finditer(r"^(?:static\s+)?[A-Za-z_][\w\s\*]*?\b([A-Za-z_]\w*)\(([^;{}]*)\)\s*\{", text, re.M):
        depth, i = 1, m.end()
        for b in BRACE.finditer(text, m.end()):
            depth += 1 if b.group() == "{" else -1
            if not depth:
                i = b.end()
                break
        params = [re.findall(r"([A-Za-z_]\w*)\s*(?:\[\s*\])?\s*$", p.strip()) for p in split_args(m.group(2))]
        out[m.group(1)] = ([p[0] if p else "" for p in params], text[m.end() : i])
    return out


def infer(fam, text, expr):
    """Type, help and labels of the family named by the C expression expr (a regex) in text's prom_ calls."""
    m = re.search(r"prom_family\(\s*\w+\s*,\s*%s\s*,\s*PROM_(COUNTER|GAUGE|HISTOGRAM)\s*,\s*((?:%s\s*)*)" % (expr, STR), text)
    if m:
        fam["type"] = m.group(1).lower()
        if m.group(2) and fam["help"] is None:
            fam["help"] = c_strings(m.group(2))
    ls = re.search(r"prom_(?:u64|i64|double)\(\s*\w+\s*,\s*%s\s*,\s*PROM_L\(((?:[^()]|\([^()]*\))*)\)" % expr, text)
    if ls and fam["labels"] is None:
        fam["labels"] = tuple(sorted(re.findall(r'\{\s*"([a-zA-Z_]\w*)"', ls.group(1))))


def read_source(root):
    fams = {}  # name -> {"files": set, "type": str|None, "help": str|None, "labels": tuple|None}
    for d, _, files in os.walk(os.path.join(root, "bidder")):
        for f in sorted(files):
            if not f.endswith((".c", ".h")):
                continue
            p = os.path.join(d, f)
            text = open(p, encoding="utf-8").read()
            rel = os.path.relpath(p, root)
            if not LIT.search(text):
                continue
            funcs = functions(text)
            for name in LIT.findall(text):
                if name in NOT_FAMILIES:
                    continue
                fams.setdefault(name, {"files": set(), "type": None, "help": None, "labels": None})["files"].add(rel)
            for name, typ, help_ in CALL.findall(text):
                if name in fams:
                    fams[name]["type"], fams[name]["help"] = typ.lower(), c_strings(help_)
            for name, help_ in HIST.findall(text):
                if name in fams:
                    fams[name]["type"], fams[name]["help"] = "histogram", c_strings(help_)
            for name, help_ in NEXT_HELP.findall(text):
                h = c_strings(help_)
                if name in fams and fams[name]["help"] is None and not re.match(r"^fairbid_\w+$", h):
                    fams[name]["help"] = h
            # a name held in a variable, a table, or a helper's parameter: find the prom_ calls on that expression
            for var, name in VAR.findall(text):
                if name in fams:
                    infer(fams[name], text, re.escape(var))
            for m in LIT.finditer(text):
                name = m.group(1)
                if name not in fams:
                    continue
                before = text[max(0, m.start() - 4000) : m.start()]
                tab = re.search(r"\b([A-Za-z_]\w*)\s*\[[^\]]*\]\s*=\s*\{[^;]*$", before)
                if tab:
                    infer(fams[name], text, r"%s\s*\[[^\]]*\](?:\.\w+)?" % re.escape(tab.group(1)))
                call = re.search(r"\b([A-Za-z_]\w*)\(([^;(){}]*)$", before)
                if call and call.group(1) in funcs:
                    k = len(split_args(call.group(2))) - 1
                    params, body = funcs[call.group(1)]
                    if 0 <= k < len(params):
                        infer(fams[name], body, re.escape(params[k]))
            for name, ls in SAMPLE_LABELS.findall(text):
                if name in fams:
                    fams[name]["labels"] = tuple(sorted(re.findall(r'\{\s*"([a-zA-Z_]\w*)"', ls)))
    # a histogram's series names are not families of their own
    for name in list(fams):
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and name[: -len(suf)] in fams:
                del fams[name]
    return fams


def read_scrape(path):
    types, helps, labels = {}, {}, {}
    lines = open(path, encoding="utf-8").read().split("\n")
    for ln in lines:
        m = re.match(r"^# (HELP|TYPE) (\S+) ?(.*)$", ln)
        if m:
            kind, name, rest = m.groups()
            if kind == "TYPE":
                types[name] = rest
            else:
                helps[name] = rest.replace("\\n", "\n").replace("\\\\", "\\")
    for ln in lines:
        if not ln or ln.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? ", ln)
        if not m:
            continue
        name = m.group(1)
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and types.get(name[: -len(suf)]) == "histogram":
                name = name[: -len(suf)]
        ls = set(re.findall(r'([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"', m.group(2) or ""))
        if types.get(name) == "histogram":
            ls.discard("le")
        labels.setdefault(name, set()).update(ls)
    fams = {}
    for name, t in types.items():
        # a family without samples (nothing to count yet) says nothing about its labels
        fams[name] = {"type": t, "help": helps.get(name, ""),
                      "labels": tuple(sorted(labels[name])) if name in labels else None}
    return fams


def make_row(name, typ, labels, meaning):
    lab = "?" if labels is None else ", ".join(labels)
    return "| `%s` | %s | %s | %s |" % (name, typ or "?", lab, (meaning or "TODO: what it means").replace("|", "\\|"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--scrape")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()

    src = read_source(a.src)
    scr = read_scrape(a.scrape) if a.scrape else {}
    lines = open(a.doc, encoding="utf-8").read().split("\n")
    doc = {}  # name -> (line index, cells)
    problems, dup = [], []
    for i, ln in enumerate(lines):
        m = ROW.match(ln)
        if not m:
            continue
        cells = split_row(ln)
        if not cells:
            problems.append("%s:%d: a row needs 4 cells: | `name` | type | labels | meaning |" % (a.doc, i + 1))
            continue
        if m.group(1) in doc:
            dup.append(m.group(1))
        doc[m.group(1)] = (i, cells)
    for n in dup:
        problems.append("%s: %s has more than one row" % (a.doc, n))

    every = sorted(set(src) | set(scr))
    missing = [n for n in every if n not in doc]
    stale = [n for n in doc if n not in src and n not in scr]
    fixes = {}  # name -> corrected row
    for n, (i, cells) in doc.items():
        want_t = (scr.get(n) or {}).get("type") or (src.get(n) or {}).get("type")
        want_l = scr[n]["labels"] if n in scr else None  # None: no samples, or not in the scrape
        t, l = cells[1], labels_of(cells[2])
        why = []
        if want_t and t != want_t:
            why.append("type %s, the %s says %s" % (t, "scrape" if n in scr else "source", want_t))
        if want_l is not None and l != want_l:
            why.append("labels [%s], the scrape has [%s]" % (", ".join(l), ", ".join(want_l)))
        if why:
            fixes[n] = (i, "; ".join(why), make_row(n, want_t or t, want_l if want_l is not None else l, cells[3]))

    def suggestion(n):
        s, c = scr.get(n), src.get(n) or {}
        if s:
            return make_row(n, s["type"], s["labels"] if s["labels"] is not None else c.get("labels"),
                            s["help"] or c.get("help"))
        return make_row(n, c.get("type"), c.get("labels"), c.get("help"))

    if not a.update:
        for p in problems:
            print("not ok - " + p)
        for n in missing:
            where = "in the scrape" if n in scr else "in the source only (%s)" % ", ".join(sorted(src[n]["files"]))
            print("not ok - %s is not documented in %s (%s); add this row (edit the meaning):\n%s"
                  % (n, a.doc, where, suggestion(n)))
        for n, (i, why, row) in sorted(fixes.items()):
            print("not ok - %s:%d: %s: %s; the row should read:\n%s" % (a.doc, i + 1, n, why, row))
        for n in sorted(stale):
            print("not ok - %s:%d: %s is documented but neither emitted nor in bidder/'s source: remove the row"
                  % (a.doc, doc[n][0] + 1, n))
        vague = [n for n, (_, c) in doc.items() if "?" in (c[1], c[2]) or "TODO" in c[3]]
        if vague:
            print("# to describe (type or labels ?, or a TODO meaning): " + ", ".join(sorted(vague)))
        bad = bool(problems or missing or fixes or stale)
        print("# %d families documented, %d in the source, %d in the scrape; %d missing, %d wrong, %d stale"
              % (len(doc), len(src), len(scr), len(missing), len(fixes), len(stale)))
        if bad:
            print("# fix: edit %s as above, or run scripts/docs-metrics.sh --update (then describe the new rows)"
                  % a.doc)
        return 1 if bad else 0

    if problems:
        for p in problems:
            print("error: " + p)
        return 1
    for n, (i, _, row) in fixes.items():
        lines[i] = row
    drop = {doc[n][0] for n in stale}

    def prefix_len(x, y):
        k = 0
        for p, q in zip(x.split("_"), y.split("_")):
            if p != q:
                break
            k += 1
        return k

    inserts = {}  # line index -> rows to insert after it
    tail = []
    for n in missing:
        best, at = 0, None
        for m, (i, _) in doc.items():
            k = prefix_len(n, m)
            if k > best or (k == best and at is not None and i > at):
                best, at = k, i
        if (best < 2 or at is None) and n in src:
            # no row shares a prefix: the section whose text names the family's source folder or file
            places = set()
            for f in src[n]["files"]:
                places |= {f, os.path.dirname(f)} if os.path.dirname(f) != "bidder" else {f}
            sec_start, sec_row = None, None
            for i, ln in enumerate(lines):
                if ln.startswith("## "):
                    sec_start = i
                    text = "\n".join(lines[i : next((k for k in range(i + 1, len(lines)) if lines[k].startswith("## ")), len(lines))])
                    hit = any(pl in text for pl in places)
                    rows = [k for k, (ri, _) in ((k, doc[k]) for k in doc) if ri > i and ri < i + len(text.split("\n"))]
                    if hit and rows:
                        sec_row = max(doc[k][0] for k in rows)
                        break
            if sec_row is not None:
                best, at = 2, sec_row
        if best >= 2 and at is not None:
            j = at  # the end of that table
            while j + 1 < len(lines) and lines[j + 1].startswith("|"):
                j += 1
            inserts.setdefault(j, []).append(suggestion(n))
        else:
            tail.append(suggestion(n))
    out = []
    for i, ln in enumerate(lines):
        if i not in drop:
            out.append(ln)
        out.extend(inserts.get(i, []))
    if tail:
        while out and out[-1] == "":
            out.pop()
        out += ["", "## Not yet sorted", "", "Added by scripts/docs-metrics.sh --update: move each row to its section.",
                "", "| family | type | labels | meaning |", "| --- | --- | --- | --- |"] + tail + [""]
    open(a.doc, "w", encoding="utf-8").write("\n".join(out))
    print("%s: %d rows added, %d corrected, %d removed" % (a.doc, len(missing), len(fixes), len(stale)))
    for n in missing:
        print("  added %s" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
