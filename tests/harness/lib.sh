# Test harness for integration tests: real redis-server and fairbid processes on free loopback ports.
# Source it from a test script. Every process started here is killed on exit; logs are dumped on failure.
set -uo pipefail
# With pipefail, `producer | grep -q X` fails now and then: grep -q exits at the first match and the producer's
# next write dies of SIGPIPE (bash writes echo's output line by line; ldd, curl and fairbid write in pieces), so
# the pipeline reports the producer's 141. Tests write `producer | grep X >/dev/null` (grep reads to the end) or
# `grep -q X <<<"$var"` instead (test_deploy failed once so on the loaded CI machine).

SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${FAIRBID_BIN:-$SRC/build/fairbid}
BUILD=${FAIRBID_BUILD_DIR:-$(dirname "$BIN")}
T=$(mktemp -d /tmp/fairbid-test.XXXXXX)
PASSED=0
FAILED=0
SKIPPED=0
PIDS=()

harness_cleanup() {
  local rc=$?
  # a started process's own children too (an nginx master's workers outlive a SIGKILLed master, still
  # listening): listed before the parent is killed, since they belong to init after it
  local kids
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    kids=$(pgrep -P "$p" 2>/dev/null || true)
    kill -9 "$p" 2>/dev/null
    # shellcheck disable=SC2086 # a list of pids
    [ -n "$kids" ] && kill -9 $kids 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ "$FAILED" -gt 0 ] || [ $rc -ne 0 ]; then
    for f in "$T"/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f (last 40 lines)"
      tail -n 40 "$f"
    done
  fi
  rm -rf "$T"
}
trap harness_cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# check "description" command...: passes when the command succeeds
check() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# expect_eq "description" expected actual
expect_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: expected [$2], got [$3]"; fi
}
# skip "what, and why": a check that could not run here. The test then exits 77 (ctest: skipped, not passed)
# unless something failed; CI fails on a skip (scripts/test.sh), since its machine has every tool.
skip() {
  SKIPPED=$((SKIPPED + 1))
  echo "# SKIP $*"
}
finish() {
  if [ "$SKIPPED" -gt 0 ]; then echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; else echo "$PASSED passed, $FAILED failed"; fi
  [ "$FAILED" -eq 0 ] || exit 1
  [ "$SKIPPED" -eq 0 ] || exit 77
  exit 0
}
die() {
  not_ok "$*"
  finish
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for CMD... : retries every 50 ms for up to FAIRBID_WAIT_S (30) s. No test waits for something that must
# not happen, so the bound only decides how long a failing test takes; 10 s was too short on a loaded 2-core CI
# machine (a link's refused-handshake log line missed it once, 7 helpers' tests beside it).
wait_for() {
  local i
  for i in $(seq 1 $((${FAIRBID_WAIT_S:-30} * 20))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  return 1
}

# redis_start [name]: sets REDIS_PORT, REDIS_PID, REDIS_URL. REDIS_EXTRA_ARGS (an array, default none): more
# redis-server options (test_redis_hostile: --enable-debug-command local, for DEBUG POPULATE)
redis_start() {
  local name=${1:-redis}
  REDIS_PORT=${REDIS_PORT_WANT:-$(free_port)}
  mkdir -p "$T/$name"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$T/$name" --save '' --appendonly no \
    --logfile "$T/$name.log" --daemonize no ${REDIS_EXTRA_ARGS[@]+"${REDIS_EXTRA_ARGS[@]}"} &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  wait_for redis-cli -p "$REDIS_PORT" ping || die "redis-server did not start"
}

# fairbid_ready URL: /readyz answers 200 with "status":"ready" (the consent mirror loaded and trusted, Redis up)
fairbid_ready() {
  curl -s --max-time 2 "$1/readyz" 2>/dev/null | grep '"status":"ready"' >/dev/null
}

# fairbid_start CONFIG [extra serve args]: sets FB_PORT, FB_PID, FB_URL, FB_LOG. Returns once /readyz says
# ready, so nothing a test asserts depends on the startup window. FB_START_WAIT=healthz waits only for
# liveness (for tests that start fairbid without a reachable Redis on purpose).
fairbid_start() {
  local cfg=$1
  shift
  FB_LOG="$T/fairbid.$RANDOM.log"
  rm -f "$T/port"
  "$BIN" serve --config "$cfg" --listen 127.0.0.1:0 --port-file "$T/port" "$@" >"$FB_LOG" 2>&1 &
  FB_PID=$!
  PIDS+=("$FB_PID")
  wait_for test -s "$T/port" || die "fairbid did not write its port file"
  FB_PORT=$(cat "$T/port")
  FB_URL="http://127.0.0.1:$FB_PORT"
  wait_for curl -sf "$FB_URL/healthz" || die "fairbid /healthz did not answer"
  if [ "${FB_START_WAIT:-readyz}" = readyz ]; then
    wait_for fairbid_ready "$FB_URL" || die "fairbid /readyz did not say ready: $(curl -s "$FB_URL/readyz")"
  fi
}

# post FILE [curl args]: POSTs FILE to /openrtb2/bid; prints "STATUS" and writes the body to $T/body
post() {
  local f=$1
  shift
  curl -s -o "$T/body" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
    --data-binary @"$f" "$@" "$FB_URL/openrtb2/bid"
}

# json_get FILE EXPR: evaluates a Python expression on the parsed JSON `d`
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
