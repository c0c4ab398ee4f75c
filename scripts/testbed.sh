#!/usr/bin/env bash
# A small fairbid fleet on loopback: Redis primary + replica + 3 Sentinels (quorum 2) and N fairbid instances,
# optionally driven by fairbid-loadgen spread over every instance, and a Redis failover drill under load.
# Used by hand and by tests/integration/test_fleet.sh. Everything binds 127.0.0.1, every wait is bounded, and an
# EXIT trap kills what this script started (by pid) and removes its directory.
#
#   bash scripts/testbed.sh                         start, print the URLs, hold until Ctrl-C (at most --hold s)
#   bash scripts/testbed.sh --load 5 --rate 300     5 s of open-loop load over all instances, then a report
#   bash scripts/testbed.sh --failover              the same with the Redis primary killed 1 s into the load
#
# Options:
#   --instances N      fairbid instances (default 3)
#   --threads N        worker threads per instance (default 1: the instances share this machine's cores)
#   --config FILE      fairbid config (default deploy/fairbid.json; its policy file is copied beside it)
#   --load SECONDS     measured load time (default 5 with --failover; at most 60)
#   --rate R           requests per second over the whole fleet (default 300)
#   --failover         kill -9 the primary 1 s into the load; Sentinel promotes the replica
#   --consent-users K  opt-outs written through the current primary: during the failover, or under plain load to
#                      time their propagation to every instance (default 20 with --failover, 5 without; 0: none)
#   --cap BIDS         give the first campaign a fleet cap of BIDS bids (default 150 with --failover, else none)
#   --down-after MS    Sentinel down-after-milliseconds (default 500)
#   --redis-url MODE   sentinel (default) or direct (redis:// to the primary; the instances cannot follow a failover)
#   --json FILE        write the report as JSON
#   --hold SECONDS     without --load/--failover: keep the fleet up this long (default 300)
#   --keep             keep the work directory (logs, loadgen report)
# Exit status: 0 done and every bar met (0 failed requests; with --failover all acknowledged opt-outs honoured and
# cap overshoot 0, a figure that could not be measured being a missed bar); 1 a bar missed; 2 usage; 3 the fleet
# did not start (an instance not ready through Sentinel is that: there is no fallback to a direct connection).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FAIRBID_BIN:-$SRC/build/fairbid}
LG=${FAIRBID_LOADGEN:-$(dirname "$BIN")/fairbid-loadgen}
N=3 THREADS=1 CONFIG=$SRC/deploy/fairbid.json LOAD="" RATE=300 FAILOVER=0 USERS="" CAP="" DOWN_AFTER=500
URLMODE="" JSON_OUT="" HOLD=300 KEEP=0

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --instances) N=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --config) CONFIG=$2; shift ;;
    --load) LOAD=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --failover) FAILOVER=1 ;;
    --consent-users) USERS=$2; shift ;;
    --cap) CAP=$2; shift ;;
    --down-after) DOWN_AFTER=$2; shift ;;
    --redis-url) URLMODE=$2; shift ;;
    --json) JSON_OUT=$2; shift ;;
    --hold) HOLD=$2; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) usage ;;
    *) echo "testbed: unknown option $1" >&2; usage ;;
  esac
  shift
done
isnum() { [[ "$1" =~ ^[0-9]+$ ]]; }
[ -z "$USERS" ] && { [ "$FAILOVER" = 1 ] && USERS=20 || USERS=5; }
for v in "$N" "$THREADS" "$RATE" "$USERS" "$DOWN_AFTER" "$HOLD" ${LOAD:+"$LOAD"} ${CAP:+"$CAP"}; do
  isnum "$v" || { echo "testbed: not a whole number: $v" >&2; exit 2; }
done
[ "$N" -ge 1 ] && [ "$N" -le 16 ] || { echo "testbed: --instances must be 1..16" >&2; exit 2; }
[ "$FAILOVER" = 1 ] && [ -z "$LOAD" ] && LOAD=5
[ -n "$LOAD" ] && { [ "$LOAD" -ge 2 ] && [ "$LOAD" -le 60 ] || { echo "testbed: --load must be 2..60 s" >&2; exit 2; }; }
[ "$FAILOVER" = 1 ] && [ -z "$CAP" ] && CAP=150
for t in "$BIN" "$LG"; do [ -x "$t" ] || { echo "testbed: $t not built (bash scripts/build.sh)" >&2; exit 3; }; done
command -v redis-server >/dev/null || { echo "testbed: redis-server missing (Debian redis-server)" >&2; exit 3; }
[ -z "$URLMODE" ] && URLMODE=sentinel
case "$URLMODE" in sentinel | direct) ;; *) echo "testbed: --redis-url must be sentinel or direct" >&2; exit 2 ;; esac

W=$(mktemp -d /tmp/fairbid-testbed.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  if [ "$KEEP" = 1 ]; then echo "testbed: work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_until SECONDS CMD...: polls every 50 ms
wait_until() {
  local deadline=$(($(date +%s%N) + $1 * 1000000000))
  shift
  while [ "$(date +%s%N)" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}
fail_start() {
  echo "testbed: $*" >&2
  for f in "$W"/*.log; do [ -f "$f" ] && { echo "----- $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 3
}

# ---- Redis: primary, replica, 3 Sentinels -------------------------------------------------------------------
P1=$(free_port)
P2=$(free_port)
mkdir -p "$W/p1" "$W/p2"
redis-server --bind 127.0.0.1 --port "$P1" --dir "$W/p1" --save '' --appendonly no --logfile "$W/redis-p1.log" &
PRIMARY_PID=$!
PIDS+=("$PRIMARY_PID")
redis-server --bind 127.0.0.1 --port "$P2" --dir "$W/p2" --save '' --appendonly no --logfile "$W/redis-p2.log" \
  --replicaof 127.0.0.1 "$P1" &
PIDS+=($!)
wait_until 10 redis-cli -p "$P1" ping || fail_start "redis primary did not start"
wait_until 10 sh -c "redis-cli -p $P2 info replication | grep -q master_link_status:up" ||
  fail_start "replica did not sync"
SPORTS=()
for i in 1 2 3; do
  sp=$(free_port)
  SPORTS+=("$sp")
  mkdir -p "$W/s$i"
  cat >"$W/s$i/sentinel.conf" <<CONF
bind 127.0.0.1
port $sp
dir $W/s$i
sentinel monitor fairbid 127.0.0.1 $P1 2
sentinel down-after-milliseconds fairbid $DOWN_AFTER
sentinel failover-timeout fairbid 3000
sentinel parallel-syncs fairbid 1
CONF
  redis-server "$W/s$i/sentinel.conf" --sentinel --logfile "$W/sentinel-$i.log" &
  PIDS+=($!)
done
for sp in "${SPORTS[@]}"; do
  wait_until 10 sh -c "redis-cli -p $sp sentinel get-master-addr-by-name fairbid | grep -qx $P1" ||
    fail_start "sentinel on $sp did not start"
done
# every sentinel must know the others before a failover can get a quorum
for sp in "${SPORTS[@]}"; do
  wait_until 10 sh -c "redis-cli -p $sp sentinel master fairbid | grep -A1 -x num-other-sentinels | tail -n 1 | grep -qx 2" ||
    fail_start "sentinel on $sp did not discover the other two"
done
if [ "$URLMODE" = sentinel ]; then
  REDIS_URL="sentinel://127.0.0.1:${SPORTS[0]},127.0.0.1:${SPORTS[1]},127.0.0.1:${SPORTS[2]}/fairbid"
else
  REDIS_URL="redis://127.0.0.1:$P1/0"
  echo "testbed: NOTE: instances use $REDIS_URL (direct to the primary, as asked): they will not follow a failover"
fi

# ---- fairbid config (with a capped campaign when --cap) ---------------------------------------------------------
CAP_CAMPAIGN=""
python3 - "$CONFIG" "$W/fairbid.json" "${CAP:-}" >"$W/cap_campaign" <<'PY' || fail_start "cannot prepare the config"
import json, os, shutil, sys
src, dst, cap = sys.argv[1], sys.argv[2], sys.argv[3]
d = json.load(open(src))
if d.get("policy") and d["policy"] not in ("builtin", "none"):  # else the built-in policy, or none
    shutil.copy(os.path.join(os.path.dirname(os.path.abspath(src)), d["policy"]), os.path.join(os.path.dirname(dst), d["policy"]))
# TESTBED_CONFIG_EXTRA='{"key": value}': settings for every instance (experiments: timeouts, http_server)
d.update(json.loads(os.environ.get("TESTBED_CONFIG_EXTRA") or "{}"))
if cap:
    c = d["campaigns"][0]
    c["cap"] = {"bids": int(cap), "period_s": 3600}
    print(c["id"])
json.dump(d, open(dst, "w"), indent=1)
PY
CAP_CAMPAIGN=$(cat "$W/cap_campaign")
"$BIN" check-config "$W/fairbid.json" >"$W/check-config.log" 2>&1 || fail_start "config refused: $(cat "$W/check-config.log")"

# ---- fairbid instances ------------------------------------------------------------------------------------------
# start_fleet: starts N instances on $REDIS_URL and waits for each /readyz 200 (20 s); returns 1 with the reason in
# NOT_READY when one does not get there.
start_fleet() {
  local i u
  URLS=()
  FB_PIDS=()
  NOT_READY=""
  rm -f "$W"/fb*.port
  for i in $(seq 1 "$N"); do
    "$BIN" serve --config "$W/fairbid.json" --listen 127.0.0.1:0 --port-file "$W/fb$i.port" --threads "$THREADS" \
      --redis "$REDIS_URL" >"$W/fairbid-$i.log" 2>&1 &
    FB_PIDS+=($!)
    PIDS+=($!)
  done
  for i in $(seq 1 "$N"); do
    wait_until 10 test -s "$W/fb$i.port" || fail_start "fairbid $i did not write its port file"
    URLS+=("http://127.0.0.1:$(cat "$W/fb$i.port")")
  done
  for u in "${URLS[@]}"; do
    if ! wait_until 20 sh -c "curl -s -o /dev/null -w '%{http_code}' --max-time 1 $u/readyz | grep -qx 200"; then
      NOT_READY="$u did not become ready: $(curl -s --max-time 1 "$u/readyz")"
      return 1
    fi
  done
}
stop_fleet() {
  local p
  for p in "${FB_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
start_fleet || fail_start "$NOT_READY (redis URL $REDIS_URL)"

echo "testbed: redis primary 127.0.0.1:$P1, replica 127.0.0.1:$P2, sentinels ${SPORTS[*]} (master name fairbid)"
echo "testbed: fairbid redis URL: $REDIS_URL"
for i in $(seq 1 "$N"); do echo "testbed: fairbid $i: ${URLS[$((i - 1))]}  (pid ${FB_PIDS[$((i - 1))]})"; done
[ -n "$CAP_CAMPAIGN" ] && echo "testbed: campaign $CAP_CAMPAIGN capped at $CAP bids per hour across the fleet"

if [ -z "$LOAD" ]; then
  echo "testbed: holding for up to $HOLD s; Ctrl-C stops everything"
  sleep "$HOLD" &
  PIDS+=($!)
  wait $!
  exit 0
fi

# ---- load, and the failover drill ----------------------------------------------------------------------------------
TARGETS=()
for u in "${URLS[@]}"; do TARGETS+=(--target "$u/openrtb2/bid"); done
# 3 connections per instance; one loadgen thread (the machine is shared)
"$LG" "${TARGETS[@]}" --rate "$RATE" --duration "${LOAD}s" --warmup 500ms --connections $((3 * N)) \
  --timeout 2s --json "$W/loadgen.json" >"$W/loadgen.log" 2>&1 &
LG_PID=$!
PIDS+=("$LG_PID")

python3 - "$W" "$FAILOVER" "$PRIMARY_PID" "$P1" "$P2" "${SPORTS[*]}" "$USERS" "$LOAD" "$SRC/deploy/sample-request.json" \
  "${CAP_CAMPAIGN:-}" "${CAP:-0}" "$LG_PID" "$SRC" "${URLS[@]}" >"$W/drill.json" 2>"$W/drill.log" <<'PY'
# The drill's timeline: poll every instance's /metrics every 50 ms; with --failover kill the primary 1 s into
# the measured load, write opt-outs through whatever Sentinel names as primary, wait for the fleet to recover,
# then check every acknowledged opt-out on every instance and the cap. Prints a JSON report on stdout.
import json, os, re, signal, sys, threading, time, urllib.request
W, failover, ppid, p1, p2, sports, nusers, load_s, sample, cap_c, cap, lg_pid, src = sys.argv[1:14]
urls = sys.argv[14:]
failover, ppid, nusers, load_s, cap, lg_pid = failover == "1", int(ppid), int(nusers), float(load_s), int(cap), int(lg_pid)
sports = sports.split()
t0 = time.monotonic()
now = lambda: time.monotonic() - t0
log = lambda *a: print("%7.3f" % now(), *a, file=sys.stderr, flush=True)

def get(url, timeout=0.3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()

GAUGES = ("fairbid_redis_up", "fairbid_consent_mirror_trusted", "fairbid_fairness_state_ok")
def scrape(u):
    try:
        _, text = get(u + "/metrics")
    except Exception:
        return None
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+)(\{[^}]*\})? ([-0-9.e+]+)$", line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out

# poller: time with each gauge at 0 per instance, from the first sample to the end of the drill
stop = threading.Event()
poll = {u: {"samples": 0, "unanswered": 0, "zero_s": {g: 0.0 for g in GAUGES}, "present": set(), "last": None}
        for u in urls}
def poller(u):
    st = poll[u]
    prev = None
    while not stop.is_set():
        t = time.monotonic()
        m = scrape(u)
        st["samples"] += 1
        if m is None:
            st["unanswered"] += 1
        else:
            for g in GAUGES:
                if g in m:
                    st["present"].add(g)
                    if prev is not None and m[g] == 0:
                        st["zero_s"][g] += t - prev
            st["last"] = m
        prev = t
        stop.wait(max(0.0, 0.05 - (time.monotonic() - t)))
threads = [threading.Thread(target=poller, args=(u,), daemon=True) for u in urls]
for th in threads:
    th.start()

# the RESP client of the integration tests (one command at a time, no redis-cli process: starting one took more
# than a second on a loaded 2-core machine); it raises RuntimeError for an error reply and OSError
# (socket.timeout among them) when the server is down or does not answer in time
sys.path.insert(0, os.path.join(src, "tests", "integration"))
from test_mirror_driver import Redis  # noqa: E402

def redis_cmd(port, *args, host="127.0.0.1", timeout=1.0):
    r = Redis(int(port), host=host, timeout=timeout)
    try:
        return r.cmd(*args)
    finally:
        r.s.close()

def current_primary():
    """The primary Sentinel names, or None when no Sentinel answers (each asked with a 1 s bound)."""
    for sp in sports:
        try:
            out = redis_cmd(sp, "sentinel", "get-master-addr-by-name", "fairbid")
        except (OSError, RuntimeError):
            continue
        if isinstance(out, list) and len(out) == 2 and all(isinstance(x, bytes) for x in out):
            return out[0].decode(), int(out[1])
    return None

def hset_optout(pr, uid, timeout):
    """HSET an opt-out through primary `pr`; returns None when acknowledged, else why not."""
    try:
        r = redis_cmd(pr[1], "HSET", "fairbid:consent:" + uid, "optout", "1", "updated_ms",
                      str(int(time.time() * 1000)), host=pr[0], timeout=timeout)
    except (OSError, RuntimeError) as e:
        return "%s: %s" % (type(e).__name__, e)
    return None if isinstance(r, bytes) and r.isdigit() else "unexpected reply %r" % (r,)

# one bid request for user `buyeruid` (the sample request: its winner is a personal-data campaign)
PERSONAL = "initech-runners"  # deploy/fairbid.json's personal-data campaign, the sample request's winner
def decide(u, buyeruid):
    req = json.load(open(sample))
    req["id"] = "tb-" + buyeruid
    req["user"]["buyeruid"] = buyeruid
    body = json.dumps(req).encode()
    r = urllib.request.Request(u + "/openrtb2/bid", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=2) as resp:
        data = resp.read()
    if not data:
        return resp.status, []
    return resp.status, [b["cid"] for sb in json.loads(data).get("seatbid", []) for b in sb.get("bid", [])]

report = {"instances": len(urls), "failover": failover}
def report_crash(kind, value, tb):
    # whatever the drill could not finish is reported (and is a missed bar), never an empty report
    import traceback
    traceback.print_exception(kind, value, tb)
    report["drill_error"] = "".join(traceback.format_exception_only(kind, value)).strip()
    report.setdefault("poll", {})
    print(json.dumps(report), flush=True)
sys.excepthook = report_crash
users = ["tb-optout-%d" % i for i in range(nusers)] if failover else []
acked = {}
time.sleep(0.5 + 1.0)  # loadgen warm-up, then 1 s of steady load
if failover:
    t_kill = now()
    os.kill(ppid, signal.SIGKILL)
    log("primary 127.0.0.1:%s killed" % p1)
    # opt-outs through whoever Sentinel names as primary, one every 100 ms, each retried until acknowledged
    promoted_at = None
    for u in users:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            pr = current_primary()
            if pr and pr[1] == int(p2) and promoted_at is None:
                promoted_at = now()
                log("sentinel names the replica 127.0.0.1:%s as primary" % p2)
            if pr:
                if hset_optout(pr, u, 0.5) is None:
                    acked[u] = {"at_s": round(now() - t_kill, 3), "primary": pr[1]}
                    break
            time.sleep(0.05)
        time.sleep(0.1)
    while promoted_at is None and now() - t_kill < 10:
        pr = current_primary()
        if pr and pr[1] == int(p2):
            promoted_at = now()
        time.sleep(0.05)
    report["promotion_s"] = round(promoted_at - t_kill, 3) if promoted_at else None
    report["consent_writes"] = {"attempted": len(users), "acknowledged": len(acked),
                                "acknowledged_by_new_primary": sum(1 for a in acked.values() if a["primary"] == int(p2))}
    # recovery: every instance back on Redis with a trusted mirror and fairness state (at most 15 s)
    def recovered(u):
        m = scrape(u)
        return m is not None and all(m.get(g, 1) == 1 for g in GAUGES)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(recovered(u) for u in urls):
        time.sleep(0.05)
    report["recovered_s"] = round(now() - t_kill, 3) if all(recovered(u) for u in urls) else None
    log("fleet recovered" if report["recovered_s"] is not None else "fleet did NOT recover within 15 s")

if not failover and nusers > 0:
    # an opt-out written once through the primary, under load, must reach every instance within the consent-store
    # bound (consent_stale_ms, 500 ms by default): time from the write's reply to each instance dropping the
    # personal-data campaign for that user
    if not all("fairbid_consent_mirror_trusted" in poll[u]["present"] for u in urls):
        report["consent_propagation"] = "not measured (instances export no fairbid_consent_mirror_trusted)"
    elif not all(PERSONAL in decide(u, "tb-no-record")[1] for u in urls):
        report["consent_propagation"] = "not measured (a control user without a record gets no %s bid)" % PERSONAL
    else:
        pr = current_primary()
        lag_ms, missed = [], []
        for i in range(nusers if pr else 0):
            uid = "tb-prop-%d" % i
            # the lag is timed from the write's reply, so the client's own timeout only bounds a hung write
            why = hset_optout(pr, uid, 5.0)
            t_ack = time.monotonic()
            if why:
                missed.append("%s: write failed: %s" % (uid, why))
                continue
            for u in urls:
                try:
                    while PERSONAL in decide(u, uid)[1]:
                        if time.monotonic() - t_ack > 2.0:
                            missed.append("%s on %s" % (uid, u))
                            break
                        time.sleep(0.002)
                    else:
                        lag_ms.append((time.monotonic() - t_ack) * 1000)
                except OSError as e:  # no answer within decide's 2 s: a check missed, and why
                    missed.append("%s on %s: %s: %s" % (uid, u, type(e).__name__, e))
            time.sleep(0.1)
        if not pr:
            missed.append("no Sentinel named a primary")
        lag_ms.sort()
        report["consent_propagation"] = {
            "writes": nusers, "checks": nusers * len(urls), "honoured": len(lag_ms), "missed": missed[:10],
            "lag_ms_p50": round(lag_ms[len(lag_ms) // 2], 2) if lag_ms else None,
            "lag_ms_max": round(lag_ms[-1], 2) if lag_ms else None}
        log("consent propagation: %d/%d honoured, max %s ms" % (len(lag_ms), nusers * len(urls),
                                                                  report["consent_propagation"]["lag_ms_max"]))

# the load ends by itself
deadline = time.monotonic() + load_s + 10
while time.monotonic() < deadline:
    try:
        os.kill(lg_pid, 0)
    except ProcessLookupError:
        break
    if os.path.exists(W + "/loadgen.json"):
        break
    time.sleep(0.1)
time.sleep(0.2)
stop.set()
for th in threads:
    th.join(1)

# fail-safe time per instance (time with the gauge at 0; "not measured" when the instance does not export it)
fs = {}
for u in urls:
    st = poll[u]
    fs[u] = {"samples": st["samples"], "metrics_unanswered": st["unanswered"],
             "bid_requests": int((st["last"] or {}).get("fairbid_bid_requests_total", -1))}
    for g in GAUGES:
        fs[u][g.replace("fairbid_", "") + "_zero_s"] = round(st["zero_s"][g], 3) if g in st["present"] else "not measured"
report["poll"] = fs
mirror_present = all("fairbid_consent_mirror_trusted" in poll[u]["present"] for u in urls)

# consent: each acknowledged opt-out must make every instance drop personal targeting for that user
if failover:
    if not mirror_present:
        report["consent_honoured"] = "not measured (instances export no fairbid_consent_mirror_trusted: consent mirror not built in)"
    else:
        control = [decide(u, "tb-no-record")[1] for u in urls]
        personal = PERSONAL
        if not all(personal in c for c in control):
            why = "the fleet is still in fail-safe" if report.get("recovered_s") is None else "unexpected"
            report["consent_honoured"] = "not measured (%s: a control user without a record gets no %s bid: %s)" % (
                why, personal, control)
        else:
            bad = []
            for u in urls:
                for uid in acked:
                    ok = False
                    for _ in range(20):  # at most 1 s: the consent-store bound (consent_stale_ms) plus margin
                        if personal not in decide(u, uid)[1]:
                            ok = True
                            break
                        time.sleep(0.05)
                    if not ok:
                        bad.append((u, uid))
            report["consent_honoured"] = {"checked": len(acked) * len(urls), "honoured": len(acked) * len(urls) - len(bad),
                                          "not_honoured": ["%s %s" % b for b in bad[:10]]}

# cap: bids of the capped campaign summed over the fleet against the cap
if cap_c:
    spent, present = 0, True
    for u in urls:
        m = scrape(u) or {}
        k = 'fairbid_cap_spent_total{campaign="%s"}' % cap_c
        if k in m:
            spent += int(m[k])
        else:
            present = False
    report["cap"] = ({"campaign": cap_c, "cap": cap, "spent": spent, "overshoot": max(0, spent - cap)} if present
                     else "not measured (instances export no fairbid_cap_spent_total)")
print(json.dumps(report))
PY
wait "$LG_PID" 2>/dev/null
LG_RC=$?
[ -s "$W/drill.json" ] || { cat "$W/drill.log" >&2; fail_start "the drill did not report"; }
[ -s "$W/loadgen.json" ] || { cat "$W/loadgen.log" >&2; fail_start "fairbid-loadgen wrote no report (exit $LG_RC)"; }

# ---- report ------------------------------------------------------------------------------------------------------
python3 - "$W/loadgen.json" "$W/drill.json" "$REDIS_URL" "$JSON_OUT" "$W/drill.log" <<'PY'
import json, sys
lg, dr, redis_url, out, drill_log = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4], sys.argv[5]
status = lg.get("status", {})
errors = lg.get("errors", {})
failed = sum(errors.values()) + sum(v for k, v in status.items() if k not in ("200", "204"))
lat = lg.get("latency_us", {})
rep = {"redis_url": redis_url, "instances": dr["instances"], "target_rps": lg.get("target_rps"),
       "achieved_rps": lg.get("achieved_rps"), "requests": lg.get("requests"), "sent": lg.get("sent"),
       "status": status, "errors": errors, "failed": failed, "retried": lg.get("retried"),
       "latency_ms": {k: round(lat[k] / 1000, 3) for k in ("p50", "p99", "p999", "max") if k in lat}}
rep.update({k: v for k, v in dr.items() if k not in ("instances",)})
bars = {"failed_requests_0": failed == 0,
        # idle_timeout_ms (60 s by default) outlasts any run here, so a request sent again after its connection
        # closed unanswered is one a server dropped
        "no_request_resent": (lg.get("retried") or 0) == 0,
        # a drill that raised measured only part of what it exists to measure
        "drill_completed": "drill_error" not in dr}
if dr.get("failover"):
    # a figure not measured is a bar missed: the drill exists to measure it
    ch = dr.get("consent_honoured")
    bars["acknowledged_optouts_honoured"] = isinstance(ch, dict) and ch["checked"] > 0 and ch["honoured"] == ch["checked"]
    cp = dr.get("cap")
    bars["cap_overshoot_0"] = isinstance(cp, dict) and cp["overshoot"] == 0
    bars["fleet_recovered"] = dr.get("recovered_s") is not None
cpg = dr.get("consent_propagation")
if not dr.get("failover") and "consent_propagation" in dr:
    # the consent-store bound: consent_stale_ms, 500 ms by default
    bars["optout_everywhere_within_500ms"] = (isinstance(cpg, dict) and cpg["checks"] > 0 and
                                              cpg["honoured"] == cpg["checks"] and (cpg["lag_ms_max"] or 0) <= 500)
rep["bars"] = bars
print("testbed: %d instances, %s req/s target, %s achieved, %s answered in the window, %d failed" %
      (rep["instances"], rep["target_rps"], rep["achieved_rps"], rep["requests"], failed))
print("testbed: bid requests per instance: %s" % " ".join("%s=%s" % (u.rsplit(":", 1)[1], p["bid_requests"])
                                                        for u, p in dr["poll"].items()))
print("testbed: requests sent again after a reused connection closed unanswered: %s" % rep["retried"])
print("testbed: status %s, errors %s, latency p50 %s ms p99 %s ms max %s ms" %
      (status, errors, rep["latency_ms"].get("p50"), rep["latency_ms"].get("p99"), rep["latency_ms"].get("max")))
if dr.get("failover"):
    print("testbed: failover: promotion %s s after the kill, fleet recovered %s s after the kill" %
          (dr.get("promotion_s"), dr.get("recovered_s")))
    for u, p in dr["poll"].items():
        print("testbed:   %s: redis down %s s, consent fail-safe (mirror untrusted) %s s, fairness state lost %s s, %d polls" %
              (u, p["redis_up_zero_s"], p["consent_mirror_trusted_zero_s"], p["fairness_state_ok_zero_s"], p["samples"]))
    print("testbed: consent writes during the failover: %s" % json.dumps(dr.get("consent_writes")))
    print("testbed: acknowledged opt-outs honoured by every instance: %s" % json.dumps(dr.get("consent_honoured")))
    print("testbed: cap: %s" % json.dumps(dr.get("cap")))
    print("testbed: drill timeline:")
    for line in open(drill_log):
        print("testbed:   " + line.rstrip())
else:
    if "consent_propagation" in dr:
        print("testbed: opt-out written once under load, honoured by every instance: %s" % json.dumps(dr["consent_propagation"]))
    if "cap" in dr:
        print("testbed: cap: %s" % json.dumps(dr.get("cap")))
if "drill_error" in dr:
    print("testbed: the drill stopped with %s; its log:" % dr["drill_error"])
    for line in open(drill_log):
        print("testbed:   " + line.rstrip())
print("testbed: bars: %s" % json.dumps(bars))
if out:
    json.dump(rep, open(out, "w"), indent=1)
sys.exit(0 if all(bars.values()) else 1)
PY
