#!/usr/bin/env bash
# Allocation budget: after warm-up, a bid request allocates nothing on the worker that serves it, gzip bodies
# included. The real fairbid binary (jemalloc in the plain build) runs under LD_PRELOAD of tests/alloc/
# alloc_count.c, which counts every malloc/calloc/realloc/aligned call per thread while a switch in a shared
# file is on. With Redis: consent mirror, fairness controller and a capped campaign all on the request path.
#  1. control: with counting on, a new connection must be counted on a worker (hs_conn is allocated per
#     connection). This proves the interposer sees the calls the binary really makes, so a zero below means
#     zero and not "not counted".
#  2. budget: every request of the corpus (valid and invalid, plain and gzip) is sent W times over warm
#     keep-alive connections, then again with counting on: each worker's count must be 0.
source "$(dirname "$0")/../harness/lib.sh"
LIB=${FAIRBID_ALLOC_COUNT_LIB:-$BUILD/tests/libfairbid_alloc_count.so}
[ -f "$LIB" ] || die "the allocation interposer is not built ($LIB; target fairbid_alloc_count)"
COUNT=$T/alloc.count
redis_start

mkdir -p "$T/reqs"
for f in "$SRC/deploy/sample-request.json" "$SRC"/bench/data/*.json "$SRC"/tests/data/openrtb-corpus/{valid,invalid}/*.json; do
  cp "$f" "$T/reqs/"
done
python3 - "$SRC/deploy/fairbid.json" "$T/fairbid.json" "$REDIS_URL" "$SRC/deploy" <<'PY'
import json, os, sys
src, dst, redis, deploy = sys.argv[1:5]
c = json.load(open(src))
c["redis"] = redis
c["threads"] = 2
# fairness balances wins, so fairbid must be able to learn them: a win_url (never called here; no exchange)
c["win_url"] = "http://127.0.0.1:1/win"
c["policy"] = os.path.join(deploy, c["policy"])
fmt = [{"w": 300, "h": 250}, {"w": 728, "h": 90}, {"w": 320, "h": 50}, {"w": 300, "h": 600}]
c["campaigns"] += [
    {"id": "fair-jobs", "adomain": ["jobs.example"], "crid": "cr-jobs", "cat": ["1002"], "bid_cpm": 0.9,
     "formats": fmt, "adm": "<div>jobs</div>", "special_category": "employment",
     "fairness": {"attribute": "gender", "min_impact_ratio": 0.8, "max_tvd": 0.05, "window_s": 10,
                  "max_boost": 1.5, "min_eligible": 50}},
    {"id": "capped", "adomain": ["capped.example"], "crid": "cr-capped", "cat": ["1002"], "bid_cpm": 0.8,
     "formats": fmt, "adm": "<div>capped</div>", "cap": {"bids": 100000000, "period_s": 86400}},
]
json.dump(c, open(dst, "w"), indent=1)
PY
# only fairbid runs with the interposer (exec keeps the pid the harness tracks)
printf '#!/bin/sh\nLD_PRELOAD=%q FAIRBID_ALLOC_COUNT_FILE=%q exec %q "$@"\n' "$LIB" "$COUNT" "$BIN" >"$T/fairbid-counted"
chmod +x "$T/fairbid-counted"
BIN=$T/fairbid-counted fairbid_start "$T/fairbid.json"
test -s "$COUNT" || die "the interposer did not create $COUNT"

# the worker threads are named fb-worker-N (server.c), so their counts are told apart from the control plane's
python3 - "$FB_PORT" "$COUNT" "$T/reqs" "${ALLOC_WARM:-3}" "${ALLOC_ROUNDS:-3}" >"$T/alloc.out" 2>&1 <<'PY'
import gzip, http.client, mmap, os, struct, sys
port, path, reqdir, warm, rounds = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
f = open(path, "r+b")
m = mmap.mmap(f.fileno(), 0)
assert struct.unpack_from("<I", m, 0)[0] == 0x41434E54, "bad magic"
KINDS = ("malloc", "calloc", "realloc", "aligned", "free")

def snap():
    used = min(struct.unpack_from("<I", m, 8)[0], struct.unpack_from("<I", m, 12)[0])
    out = {}
    for i in range(used):
        o = 64 + 128 * i
        tid = struct.unpack_from("<i", m, o)[0]
        name = m[o + 8:o + 24].split(b"\0")[0].decode() or "?"
        out[i] = (tid, name, struct.unpack_from("<5Q", m, o + 32))
    return out

def enable(on):
    struct.pack_into("<I", m, 4, 1 if on else 0)

def delta(a, b):
    """per thread: (tid, name, allocations, frees) counted between snapshots a and b"""
    rows = []
    for i, (tid, name, n) in b.items():
        n0 = a.get(i, (0, "", (0,) * 5))[2]
        d = [x - y for x, y in zip(n, n0)]
        rows.append((tid, name, sum(d[:4]), d[4], dict(zip(KINDS, d))))
    return rows

bodies = []
for fn in sorted(os.listdir(reqdir)):
    b = open(os.path.join(reqdir, fn), "rb").read()
    bodies.append((fn, b, False))
    bodies.append((fn + ".gz", gzip.compress(b), True))

def send(c, body, gz):
    h = {"Content-Type": "application/json"}
    if gz: h["Content-Encoding"] = "gzip"
    c.request("POST", "/openrtb2/bid", body=body, headers=h)
    r = c.getresponse()
    r.read()
    return r.status

# 8 connections: SO_REUSEPORT spreads them over both workers (checked below from the counts of phase 1)
conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(8)]
for c in conns: c.connect()

# ---- phase 1: control. A new connection allocates on the worker that accepts it.
a = snap(); enable(True)
for _ in range(8):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    send(c, bodies[0][1], False)
    c.close()
enable(False)
ctrl = delta(a, snap())
ctrl_alloc = sum(r[2] for r in ctrl if r[1].startswith("fb-worker"))
print("control: 8 new connections: %d allocations on workers; per thread %s" %
      (ctrl_alloc, [(r[1], r[2]) for r in ctrl]))

# ---- warm-up: every body on every connection
statuses = {}
for _ in range(warm):
    for c in conns:
        for fn, b, gz in bodies:
            send(c, b, gz)

# ---- phase 2: the budget
a = snap(); enable(True)
n = 0
for _ in range(rounds):
    for c in conns:
        for fn, b, gz in bodies:
            s = send(c, b, gz)
            statuses[s] = statuses.get(s, 0) + 1
            n += 1
enable(False)
rows = delta(a, snap())
work = [r for r in rows if r[1].startswith("fb-worker")]
print("budget: %d requests (%d bodies x 2 encodings x %d connections x %d rounds), statuses %s" %
      (n, len(bodies) // 2, len(conns), rounds, dict(sorted(statuses.items()))))
for r in rows:
    print("  thread %s (tid %d): %d allocations, %d frees %s" % (r[1], r[0], r[2], r[3], r[4]))
print("RESULT control=%d workers=%d worker_allocs=%d requests=%d s200=%d s204=%d s400=%d" %
      (ctrl_alloc, len(set(r[1] for r in work)), sum(r[2] for r in work), n, statuses.get(200, 0),
       statuses.get(204, 0), statuses.get(400, 0)))
PY
rc=$?
cat "$T/alloc.out"
expect_eq "the client ran" 0 "$rc"
res=$(grep '^RESULT' "$T/alloc.out")
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$res"; }
check "control: the interposer counts the binary's allocations on a worker ($(get control) for 8 new connections)" \
  test "${res:+$(get control)}" -gt 0 2>/dev/null
check "requests answered 200 ($(get s200)), 204 ($(get s204)) and 400 ($(get s400)) in the measured window" \
  test "$(get s200)" -gt 0 -a "$(get s204)" -gt 0 -a "$(get s400)" -gt 0
expect_eq "allocations on the workers over $(get requests) warm requests (gzip included)" 0 "$(get worker_allocs)"
finish
