#!/usr/bin/env python3
"""bidder/README.md names every module of bidder/ and no file that is gone (issue 16: one paragraph per module).

    docs_bidder_readme.py [REPO]

A module is a .c file of bidder/ (its stem), or a header without a .c of the same stem (a folder's private
*_int.h, say). It counts as named when the section of its folder ("## Top level" for bidder/ itself, "## store/ —
..." for bidder/store/) has **stem** or stem.c / stem.h. Every `x.c` / `x.h` the README
quotes must exist: a path with a folder is looked up under bidder/, then from the repository root; a bare name
in the folder of its section. Prints what is missing or stale; exit 1 then.
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
readme_path = os.path.join(root, "bidder", "README.md")
text = open(readme_path, encoding="utf-8").read()

files = []
for d, _, fs in os.walk(os.path.join(root, "bidder")):
    for f in fs:
        if f.endswith((".c", ".h")):
            files.append(os.path.relpath(os.path.join(d, f), os.path.join(root, "bidder")))
stems_c = {os.path.splitext(f)[0] for f in files if f.endswith(".c")}
modules = sorted(stems_c | {os.path.splitext(f)[0] for f in files if f.endswith(".h") and os.path.splitext(f)[0] not in stems_c})

# the README's sections: "## Top level" for bidder/*.c, "## store/ — ..." for bidder/store/, and so on
sections = {}
for part in re.split(r"^## ", text, flags=re.M)[1:]:
    head = part.split("\n", 1)[0]
    key = "" if head.lower().startswith("top level") else head.split()[0].rstrip("/")
    sections[key] = sections.get(key, "") + part

missing = []
for m in modules:
    folder, base = os.path.dirname(m), os.path.basename(m)
    where = sections.get(folder)
    if where is None or not re.search(r"\*\*%s\*\*|\b%s\.[ch]\b" % (re.escape(base), re.escape(base)), where):
        missing.append((m + (".c" if m in stems_c else ".h"), folder))

stale = []
for folder, sec in sorted(sections.items()):
    for q in sorted(set(re.findall(r"`([A-Za-z0-9_./-]+\.[ch])`", sec))):
        if "/" in q:
            ok = os.path.exists(os.path.join(root, "bidder", q)) or os.path.exists(os.path.join(root, q))
        elif folder == "" or os.path.isdir(os.path.join(root, "bidder", folder)):
            ok = os.path.exists(os.path.join(root, "bidder", folder, q))  # a module's section: its own folder
        else:
            ok = any(os.path.basename(f) == q for f in files)  # Threads, Files over ~600 lines, ...
        if not ok:
            stale.append("`%s` (section %s: a bare name is a file of the section's folder; write server/x.c for "
                         "another folder's)" % (q, "bidder/" + folder if folder else "Top level"))

for m, folder in missing:
    print("not ok - bidder/%s is not described in bidder/README.md: add `- **%s** — what it owns, who calls it, "
          "which thread` under `## %s`" % (m, os.path.splitext(os.path.basename(m))[0],
                                           folder + "/ — ..." if folder else "Top level"))
for q in stale:
    print("not ok - bidder/README.md names %s, which does not exist (moved or removed?)" % q)
print("# %d modules, %d missing, %d stale names" % (len(modules), len(missing), len(stale)))
sys.exit(1 if missing or stale else 0)
