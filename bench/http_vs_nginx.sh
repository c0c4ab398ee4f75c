#!/usr/bin/env bash
# http_vs_nginx: fairbid's HTTP throughput beside nginx answering `return 204`, on loopback, with the same number of
# workers and the same wrk load (POST of the sample request), alternating, several rounds; then latency at a fixed
# rate of half fairbid's maximum (open loop, fairbid-loadgen) against both; then what each server spends per
# request (CPU time and system calls, perf stat; the syscall mix, strace -c).
# A latency figure counts only when the load generator kept its schedule: its own send-minus-due p99 (from
# fairbid-loadgen's JSON) must be below SCHED_MAX_SHARE (10%) of the p99 it measured, and it must have sent
# at least 99% of the rate. Latency is measured from the due time, so a late generator adds its own lateness to
# every figure; past that share the p99 bar says "not measured" and which run was late by how much.
# Prints Markdown on stdout (bench/run.sh puts it into RESULTS.md); logs stay in a temp dir that is removed.
#
# usage: bench/http_vs_nginx.sh [BUILD_DIR]   (default build-bench; run as root from anywhere)
# env:   ROUNDS (3) DURATION (4, seconds per wrk load, at most 5) WRK_THREADS (2) CONNECTIONS (64)
#        BODY (deploy/sample-request.json) CONFIG (deploy/fairbid.json)
#        LATENCY (1; 0 leaves out the open-loop latency part, for long throughput-only series of rounds)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-4}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
BODY=${BODY:-$ROOT/deploy/sample-request.json}
CONFIG=${CONFIG:-$ROOT/deploy/fairbid.json}
SCHED_MAX_SHARE=${SCHED_MAX_SHARE:-0.10}
((DURATION <= 5)) || DURATION=5

for tool in nginx wrk perf strace python3; do
    command -v "$tool" >/dev/null || { echo "http_vs_nginx: $tool is missing" >&2; exit 1; }
done
[[ -x $BUILD/fairbid ]] || { echo "http_vs_nginx: $BUILD/fairbid not built" >&2; exit 1; }

# Same worker count for both: the config's "threads" (fairbid's default is the number of cores).
WORKERS=$(python3 -c 'import json,os,sys; print(json.load(open(sys.argv[1])).get("threads") or os.cpu_count())' \
    "$CONFIG")
# PIN=1 (the default on 2+ cores): each server gets core 0 with one worker, the load tools get core 1, so the
# servers never fight their own load generator for a core and "half of the maximum" means half of one core.
PIN=${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}
SRV=()
LOAD=()
if [[ $PIN == 1 ]] && command -v taskset >/dev/null; then
    WORKERS=1
    SRV=(taskset -c 0)
    LOAD=(taskset -c 1)
    WRK_THREADS=1
fi

T=$(mktemp -d /tmp/fairbid-http-bench.XXXXXX)
FAIRBID_PID= NGINX_PID=
# stop PID: SIGTERM, then SIGKILL after 5 s (a stuck drain must not hang the benchmark; it is reported)
stop() {
    local pid=$1 name=$2
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "http_vs_nginx: $name (pid $pid) still running 5 s after SIGTERM; killed" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    [[ -n $FAIRBID_PID ]] && stop "$FAIRBID_PID" fairbid
    [[ -n $NGINX_PID ]] && stop "$NGINX_PID" nginx
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- fairbid: the bundled config, its worker count, no Redis (the config names none) ----
"${SRV[@]}" "$BUILD/fairbid" serve --config "$CONFIG" --listen 127.0.0.1:0 --threads "$WORKERS" --port-file "$T/fairbid.port" \
    >"$T/fairbid.log" 2>&1 &
FAIRBID_PID=$!
for _ in $(seq 100); do
    [[ -s $T/fairbid.port ]] && curl -s -o /dev/null "http://127.0.0.1:$(cat "$T/fairbid.port")/healthz" && break
    sleep 0.05
done
FPORT=$(cat "$T/fairbid.port" 2>/dev/null || true)
[[ -n $FPORT ]] || { echo "fairbid did not start:" >&2; cat "$T/fairbid.log" >&2; exit 1; }

# fairbid's own answer to BODY, for a second nginx reference that sends the same bytes (see "same bytes" below)
curl -s -o "$T/fairbid.body" -H 'Content-Type: application/json' --data-binary @"$BODY" \
    "http://127.0.0.1:$FPORT/openrtb2/bid" || true
SAME_LOC=
[[ -s $T/fairbid.body ]] && SAME_LOC=1

# ---- nginx: return 204, same workers, no logs, keep-alive without a request cap ----
NPORT=$(free_port)
"$ROOT/scripts/nginx-204.sh" "$T/nginx" "$NPORT" "$WORKERS" >/dev/null
if [[ -n $SAME_LOC ]]; then
    # nginx's quoted strings take \\ and \' as escapes, and $ names a variable: a geo variable gives a literal $
    python3 - "$T/nginx/nginx.conf" "$T/fairbid.body" <<'PY'
import sys
p, body = sys.argv[1], open(sys.argv[2]).read()
esc = body.replace("\\", "\\\\").replace("'", "\\'").replace("$", "${fb_dollar}")
s = open(p).read()
s = s.replace("http {", 'http {\n    geo $fb_dollar { default "$"; }', 1)
loc = "location = /openrtb2/same { default_type application/json; return 200 '%s'; }" % esc
open(p, "w").write(s.replace("location / { return 204; }", "location / { return 204; }\n        " + loc, 1))
PY
fi
"${SRV[@]}" nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" >"$T/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && break
    sleep 0.05
done
if [[ -n $SAME_LOC ]]; then
    curl -s -o "$T/same.body" "http://127.0.0.1:$NPORT/openrtb2/same" || true
    cmp -s "$T/same.body" "$T/fairbid.body" || { echo "http_vs_nginx: nginx's same-bytes answer differs from fairbid's; no same-bytes reference" >&2; SAME_LOC=; }
fi
FURL=http://127.0.0.1:$FPORT/openrtb2/bid
NURL=http://127.0.0.1:$NPORT/openrtb2/bid
FSTATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$BODY" "$FURL")
NSTATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$BODY" "$NURL")

cat >"$T/post.lua" <<EOF
local f = assert(io.open("$BODY", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
EOF

# wrk_rps URL SECONDS -> prints req/s (non-2xx answers are counted apart and reported)
# NSTAT: the kernel's TCP counters around each load (iproute2's nstat; the machine runs nothing else meanwhile)
NSTAT=$(command -v nstat || true)
wrk_run() {
    [[ -n $NSTAT ]] && nstat -n >/dev/null 2>&1
    "${LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${2}s" --latency -s "$T/post.lua" "$1" >"$T/wrk.out" 2>&1 || true
    if grep -q 'Non-2xx' "$T/wrk.out"; then echo "warning: $(grep Non-2xx "$T/wrk.out") on $1" >&2; fi
    [[ -n $NSTAT ]] && nstat -z TcpExtTCPHPHits 2>/dev/null | awk '$1 == "TcpExtTCPHPHits" {print $2}' >"$T/hp.out"
    awk '/^Requests\/sec:/ {print $2}' "$T/wrk.out"
}
# TCP segments that took the kernel's header-prediction fast path, per request of the last load (both sockets of
# a connection are on this machine: 2.00 when every segment did, 0 when none did)
wrk_hp() {
    local n
    n=$(awk '/requests in/ {print $1}' "$T/wrk.out")
    awk -v n="$n" '{h = $1} END {printf "%.2f", (n > 0 && h != "") ? h / n : -1}' "$T/hp.out" 2>/dev/null || printf -- "-1"
}
wrk_p99() { awk '$1 == "99%" {print $2}' "$T/wrk.out"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# ratio A B -> A / B to two places (0 when B is not positive)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
# order ROUND -> who goes first in that round: odd rounds fairbid, even rounds nginx (alternating)
order() { if (($1 % 2)); then echo "f n"; else echo "n f"; fi; }

# short warm-up of both (page cache, connection setup paths)
wrk_run "$FURL" 1 >/dev/null
wrk_run "$NURL" 1 >/dev/null

echo "### Saturated throughput (wrk, closed loop)"
echo
[[ ${#SRV[@]} -gt 0 ]] && echo "Pinned: each server on core 0 with 1 worker, wrk and fairbid-loadgen on core 1 (PIN=0 to share both cores)."
[[ ${#SRV[@]} -gt 0 ]] && echo
echo "wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, POST of $(basename "$BODY") ($(stat -c %s "$BODY") bytes)," \
    "both servers with $WORKERS workers on 127.0.0.1, alternating, $ROUNDS rounds. fairbid answers" \
    "$FSTATUS, nginx $NSTATUS. wrk shares the machine's $(nproc) cores with the server."
echo
if [[ -n $SAME_LOC ]]; then
    echo "| round | fairbid req/s | nginx req/s | ratio | fairbid p99 (wrk) | nginx p99 (wrk) | nginx same bytes req/s | ratio to same bytes | TCP fast path / req: fairbid, nginx, same bytes |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
else
    echo "| round | fairbid req/s | nginx req/s | ratio | fairbid p99 (wrk) | nginx p99 (wrk) |"
    echo "|---:|---:|---:|---:|---:|---:|"
fi
SURL=http://127.0.0.1:$NPORT/openrtb2/same
: >"$T/f.rps"
: >"$T/n.rps"
: >"$T/s.rps"
: >"$T/ratio"
: >"$T/sratio"
for r in $(seq "$ROUNDS"); do
    for who in $(order "$r") $([[ -n $SAME_LOC ]] && echo s); do
        if [[ $who == f ]]; then
            frps=$(wrk_run "$FURL" "$DURATION")
            fp99=$(wrk_p99)
            fhp=$(wrk_hp)
            echo "$frps" >>"$T/f.rps"
        elif [[ $who == n ]]; then
            nrps=$(wrk_run "$NURL" "$DURATION")
            np99=$(wrk_p99)
            nhp=$(wrk_hp)
            echo "$nrps" >>"$T/n.rps"
        else
            srps=$(wrk_run "$SURL" "$DURATION")
            shp=$(wrk_hp)
            echo "$srps" >>"$T/s.rps"
        fi
    done
    rr=$(ratio "$frps" "$nrps")
    echo "$rr" >>"$T/ratio"
    if [[ -n $SAME_LOC ]]; then
        sr=$(ratio "$frps" "$srps")
        echo "$sr" >>"$T/sratio"
        echo "| $r | $frps | $nrps | $rr | $fp99 | $np99 | $srps | $sr | $fhp, $nhp, $shp |"
    else
        echo "| $r | $frps | $nrps | $rr | $fp99 | $np99 |"
    fi
done
FMED=$(median <"$T/f.rps")
NMED=$(median <"$T/n.rps")
# the verdict uses the median of the per-round ratios: each ratio compares two loads a few seconds apart
RATIO=$(median <"$T/ratio")
if [[ -n $SAME_LOC ]]; then
    echo "| **median** | **$FMED** | **$NMED** | **$RATIO** (of the rounds' ratios) | | | **$(median <"$T/s.rps")** | **$(median <"$T/sratio")** | |"
    echo
    echo "Same bytes: the same nginx also answers \`/openrtb2/same\` with \`return 200\` and fairbid's own answer to this"
    echo "request ($(stat -c %s "$T/fairbid.body") bytes of JSON), a reference that costs what nginx's 204 does plus"
    echo "what fairbid's answer costs the kernel. The last column: TCP segments per request that took the kernel's"
    echo "header-prediction fast path (both sockets are on this machine: 2.00 = all of them). Seen here (kernel 6.18,"
    echo "this request): nginx's empty 204 stays on it, nginx answering 200 with even a 50-byte body and fairbid do"
    echo "not; the socket's memory accounting (skb truesize against the page it keeps in reserve) is the likely cause."
else
    echo "| **median** | **$FMED** | **$NMED** | **$RATIO** (of the rounds' ratios) | | |"
fi
echo
echo "Bar: fairbid >= 50% of nginx's req/s under the same load: $(awk -v r="$RATIO" 'BEGIN {print (r == "nan" || r + 0 <= 0 ? "**not measured**" : r >= 0.5 ? "**met**" : "**not met**")}') (ratio $RATIO)."
echo

# ---- latency at a fixed rate: half of fairbid's maximum, open loop ----
RATE=$(awk -v a="$FMED" 'BEGIN {printf "%d", a / 2}')
echo "### Latency at a fixed rate (open loop): $RATE req/s = half of fairbid's median maximum"
echo
LOADGEN=$BUILD/fairbid-loadgen
# the help text is read once into a variable: `--help | grep -q` under pipefail reports the help's own exit code
# (or SIGPIPE when grep stops early) and said the load generator was missing when it was not
LG_HELP=$([[ -x $LOADGEN ]] && "$LOADGEN" --help 2>&1 || true)
if [[ ${LATENCY:-1} == 0 ]]; then
    echo "LATENCY=0: no open-loop figures in this run."
    echo
    echo "Bar: fairbid p99 <= 2x nginx p99 at the same rate: **not measured** (LATENCY=0)."
elif [[ $LG_HELP == *--rate* && $LG_HELP == *--requests-dir* && $LG_HELP == *--json* ]]; then
    mkdir -p "$T/reqs"
    cp "$BODY" "$T/reqs/"
    # On a 2-core machine a spinning load generator takes a core from the server under test: sleep in epoll.
    LG_EXTRA=
    [[ $LG_HELP == *--no-busy-poll* ]] && LG_EXTRA=--no-busy-poll
    lg() { # lg URL -> "p50 p99 p99.9 send-due_p99 achieved_rps" (nan where the run gave no figure)
        rm -f "$T/lg.json"
        timeout $((DURATION + 10)) "${LOAD[@]}" "$LOADGEN" --target "$1" --rate "$RATE" --duration "${DURATION}s" --warmup 1s \
            --connections "$CONNECTIONS" --requests-dir "$T/reqs" $LG_EXTRA --json "$T/lg.json" >"$T/lg.out" 2>&1 || true
        python3 - "$T/lg.json" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    lat, sch = d["latency_us"], d["schedule_error_us"]
    if not lat["count"] or not sch["count"]:
        raise ValueError("no samples")
    print(lat["p50"], lat["p99"], lat["p999"], sch["p99"], "%.1f" % d["achieved_rps"])
except Exception as e:
    print("nan nan nan nan nan")
    print("http_vs_nginx: fairbid-loadgen gave no latency figures (%s)" % e, file=sys.stderr)
PY
        grep -q '"latency_us"' "$T/lg.json" 2>/dev/null || tail -5 "$T/lg.out" >&2
    }
    # valid WHO ROUND P99 SCHED_P99 ACHIEVED: prints nothing when the run's latency figures count, else why not
    valid() {
        awk -v who="$1" -v r="$2" -v p="$3" -v s="$4" -v a="$5" -v rate="$RATE" -v share="$SCHED_MAX_SHARE" 'BEGIN {
            if (p == "nan" || s == "nan" || p + 0 <= 0) { printf "round %d %s: no latency or schedule figure", r, who; exit }
            if (a + 0 < 0.99 * rate) { printf "round %d %s: sent %.0f of %d req/s", r, who, a, rate; exit }
            if (s + 0 >= share * p) printf "round %d %s: fairbid-loadgen late, send-due p99 %.0f us = %.0f%% of the p99 %.0f us", r, who, s, 100 * s / p, p
        }'
    }
    echo "fairbid-loadgen --rate $RATE --duration ${DURATION}s --warmup 1s --connections $CONNECTIONS $LG_EXTRA, alternating, $ROUNDS rounds (latency in µs)."
    echo
    echo "| round | fairbid p50 | fairbid p99 | fairbid p99.9 | fairbid send-due p99 | nginx p50 | nginx p99 | nginx p99.9 | nginx send-due p99 | p99 ratio |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    : >"$T/f.p99"
    : >"$T/n.p99"
    : >"$T/p99ratio"
    : >"$T/invalid"
    for r in $(seq "$ROUNDS"); do
        for who in $(order "$r"); do
            if [[ $who == f ]]; then
                read -r f50 f99 f999 fsch fach < <(lg "$FURL")
                echo "$f99" >>"$T/f.p99"
                why=$(valid fairbid "$r" "$f99" "$fsch" "$fach")
            else
                read -r n50 n99 n999 nsch nach < <(lg "$NURL")
                echo "$n99" >>"$T/n.p99"
                why=$(valid nginx "$r" "$n99" "$nsch" "$nach")
            fi
            [[ -n $why ]] && echo "$why" >>"$T/invalid"
        done
        pr=$(ratio "$f99" "$n99")
        echo "$pr" >>"$T/p99ratio"
        echo "| $r | $f50 | $f99 | $f999 | $fsch | $n50 | $n99 | $n999 | $nsch | $pr |"
    done
    F99=$(median <"$T/f.p99")
    N99=$(median <"$T/n.p99")
    PR=$(median <"$T/p99ratio")
    echo "| **median** | | **$F99** | | | | **$N99** | | | **$PR** (of the rounds' ratios) |"
    echo
    if [[ -s $T/invalid ]]; then
        # the generator was late: the p99s above are its scheduling error, not the servers' latency
        echo "Bar: fairbid p99 <= 2x nginx p99 at the same rate: **not measured** (ratio $PR does not count:" \
            "$(paste -sd';' "$T/invalid" | sed 's/;/; /g'); a p99 counts only when fairbid-loadgen sent the rate and" \
            "its own send-due p99 is below $(awk -v s="$SCHED_MAX_SHARE" 'BEGIN {print 100 * s}')% of it)."
    else
        echo "Bar: fairbid p99 <= 2x nginx p99 at the same rate: $(awk -v r="$PR" 'BEGIN {print (r > 0 && r <= 2 ? "**met**" : "**not met**")}') (ratio $PR; every run's send-due p99 below $(awk -v s="$SCHED_MAX_SHARE" 'BEGIN {print 100 * s}')% of its p99)."
    fi
else
    echo "fairbid-loadgen is not built (or lacks --rate / --requests-dir / --json) in $BUILD: no open-loop figures in this run."
    echo
    echo "Bar: fairbid p99 <= 2x nginx p99 at the same rate: **not measured** (no fairbid-loadgen in $BUILD)."
fi
echo

# ---- what each server spends per request ----
# perf stat on the server's threads/processes during a wrk load: CPU time and syscalls, divided by the requests wrk
# completed in the same window (req/s x window).
cost() { # cost URL PIDS -> "cpu_us_per_req syscalls_per_req rps"
    local url=$1 pids=$2 win=3
    "${LOAD[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$((win + 1))s" -s "$T/post.lua" "$url" >"$T/wrk.cost" 2>&1 &
    local wpid=$!
    sleep 0.5
    perf stat -x, -e task-clock,raw_syscalls:sys_enter,context-switches -p "$pids" -- sleep "$win" \
        2>"$T/perf.out" >/dev/null || true
    wait "$wpid" || true
    local rps
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$T/wrk.cost")
    awk -F, -v rps="$rps" -v win="$win" '
        $3 == "task-clock" {cpu = $1}
        $3 ~ /raw_syscalls:sys_enter/ {sc = $1}
        $3 == "context-switches" {cs = $1}
        END {n = rps * win; if (n <= 0) n = 1; printf "%.1f %.2f %.2f %s\n", cpu * 1000 / n, sc / n, cs / n, rps}' \
        "$T/perf.out"
}
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | paste -sd, -)
read -r fcpu fsc fcs frps2 < <(cost "$FURL" "$FAIRBID_PID")
read -r ncpu nsc ncs nrps2 < <(cost "$NURL" "$NGINX_WORKERS")
echo "### Cost per request (perf stat on the server during a 3 s window of the same wrk load)"
echo
echo "| server | req/s in the window | CPU µs / request | syscalls / request | context switches / request |"
echo "|---|---:|---:|---:|---:|"
echo "| fairbid | $frps2 | $fcpu | $fsc | $fcs |"
echo "| nginx | $nrps2 | $ncpu | $nsc | $ncs |"
echo

# syscall mix of fairbid: strace slows the server a lot, so only the mix (share of each call) means anything.
timeout 6 strace -c -f -q -p "$FAIRBID_PID" -o "$T/strace.out" &
SPID=$!
sleep 0.5
wrk -t1 -c16 -d2s -s "$T/post.lua" "$FURL" >"$T/wrk.strace" 2>&1 || true
kill -INT "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SREQ=$(awk '/requests in/ {print $1}' "$T/wrk.strace")
echo "Syscall mix of fairbid under strace -c -f (wrk -t1 -c16 -d2s, $SREQ requests; strace slows the server, so read"
echo "the calls per request, not the times):"
echo
echo "| syscall | calls | per request |"
echo "|---|---:|---:|"
awk -v n="${SREQ:-1}" '/^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+/ && $NF != "total" {
        calls = $4; name = $NF; if (n > 0) printf "| %s | %s | %.2f |\n", name, calls, calls / n }' \
    "$T/strace.out" | sort -t'|' -k3 -gr | head -8
echo
