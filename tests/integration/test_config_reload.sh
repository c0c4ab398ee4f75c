#!/usr/bin/env bash
# SIGHUP applies the reloadable keys from the config table (issue 16): a shorter read_timeout_ms gives a slow
# request its 408 at the new bound, a shorter idle_timeout_ms closes a silent keep-alive connection at the new
# bound, write_timeout_ms is applied with them, log_level switches at once (debug lines appear, then info lines
# stop), and changed restart-only keys (threads, audit_queue) are logged "needs restart" by name and keep their
# running values.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json
cp "$SRC/deploy/policy.json" "$T/policy.json"
# cfg READ_TIMEOUT_MS LOG_LEVEL THREADS [IDLE_TIMEOUT_MS WRITE_TIMEOUT_MS AUDIT_QUEUE]
cfg() {
  python3 - "$SRC/deploy/fairbid.json" "$T/cfg.json" "$1" "$2" "$3" "${4:-60000}" "${5:-5000}" "${6:-65536}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["read_timeout_ms"], c["log_level"], c["threads"] = int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
c["idle_timeout_ms"], c["write_timeout_ms"], c["audit_queue"] = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
json.dump(c, open(sys.argv[2] + ".tmp", "w"), indent=1)
PY
  mv "$T/cfg.json.tmp" "$T/cfg.json"
}
# slow WAIT_S: opens a connection, sends half a request head, and prints the status fairbid answers within
# WAIT_S seconds and the seconds it took ("none" if the connection is still open and silent)
slow() {
  python3 - "$FB_PORT" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
t0 = time.monotonic()
s.settimeout(float(sys.argv[2]))
try:
    d = s.recv(4096)
    took = time.monotonic() - t0
    print((d.split(b" ")[1].decode() if d else "closed"), "%.2f" % took)
except socket.timeout:
    print("none", "%.2f" % (time.monotonic() - t0))
PY
}
# idle WAIT_S: opens a connection, sends nothing, and prints how it ended within WAIT_S seconds ("closed", or
# "none" if still open) and the seconds it took
idle() {
  python3 - "$FB_PORT" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.settimeout(float(sys.argv[2]))
try:
    d = s.recv(4096)
    print("closed" if not d else "data", "%.2f" % (time.monotonic() - t0))
except socket.timeout:
    print("none", "%.2f" % (time.monotonic() - t0))
except ConnectionResetError:
    print("closed", "%.2f" % (time.monotonic() - t0))
PY
}
reloaded() { # reloaded N: wait until the config generation is N
  wait_for sh -c "curl -s '$FB_URL/metrics' | grep -q '^fairbid_config_generation $1\$'"
}

cfg 10000 info 2
fairbid_start "$T/cfg.json"
read -r st took <<<"$(slow 1.5)"
expect_eq "read_timeout_ms 10000: a half-sent request is still waiting after 1.5 s" none "$st"
read -r st took <<<"$(idle 1.5)"
expect_eq "idle_timeout_ms 60000: a silent connection is still open after 1.5 s" none "$st"

# 1. read_timeout_ms 10000 -> 300, idle_timeout_ms 60000 -> 400, write_timeout_ms 5000 -> 4000,
#    log_level info -> debug
cfg 300 debug 2 400 4000
kill -HUP "$FB_PID"
reloaded 2 && ok "reload 1 done" || not_ok "reload 1 done"
check "read_timeout_ms logged as applied" grep -q 'reload: key applied key=read_timeout_ms' "$FB_LOG"
check "idle_timeout_ms logged as applied" grep -q 'reload: key applied key=idle_timeout_ms' "$FB_LOG"
check "write_timeout_ms logged as applied" grep -q 'reload: key applied key=write_timeout_ms' "$FB_LOG"
check "log_level logged as applied" grep -q 'reload: key applied key=log_level' "$FB_LOG"
check "a debug line right after the reload (log_level debug applied)" grep -q 'debug reload: published .*read_timeout_ms=300' "$FB_LOG"
read -r st took <<<"$(slow 5)"
expect_eq "read_timeout_ms 300 applied: the half-sent request gets 408" 408 "$st"
check "the 408 came at the new bound (0.2 s <= $took s < 3 s, not 10 s)" python3 -c "import sys; t=float('$took'); sys.exit(0 if 0.2 <= t < 3 else 1)"
read -r st took <<<"$(idle 5)"
expect_eq "idle_timeout_ms 400 applied: a silent connection is closed" closed "$st"
check "the close came at the new bound (0.2 s <= $took s < 3 s, not 60 s)" python3 -c "import sys; t=float('$took'); sys.exit(0 if 0.2 <= t < 3 else 1)"
expect_eq "requests are still answered" 200 "$(post "$REQ")"

# 2. threads 2 -> 3 and audit_queue 65536 -> 1024: need a restart; log_level debug -> warn: info lines stop
cfg 300 warn 3 400 4000 1024
kill -HUP "$FB_PID"
reloaded 3 && ok "reload 2 done" || not_ok "reload 2 done"
check "threads: needs restart, named" grep -q 'reload: key changed, needs restart: keeping the running value key=threads' "$FB_LOG"
check "audit_queue: needs restart, named" grep -q 'reload: key changed, needs restart: keeping the running value key=audit_queue' "$FB_LOG"
check "read_timeout_ms unchanged: not logged again" test "$(grep -c 'key applied key=read_timeout_ms' "$FB_LOG")" -eq 1
check "no restart warning for unchanged keys" sh -c "! grep 'needs restart' '$FB_LOG' | grep -v 'key=threads' | grep -qv 'key=audit_queue'"
n_info=$(grep -c 'info config reloaded' "$FB_LOG")
cfg 300 warn 3 400 4000 1024
kill -HUP "$FB_PID"
reloaded 4 && ok "reload 3 done" || not_ok "reload 3 done"
expect_eq "log_level warn: 'config reloaded' (info) is no longer logged" "$n_info" "$(grep -c 'info config reloaded' "$FB_LOG")"
check "threads kept at its running value: still 2 workers" sh -c "curl -s '$FB_URL/metrics' >/dev/null && test \$(ls /proc/$FB_PID/task | xargs -I{} cat /proc/$FB_PID/task/{}/comm | grep -c fb-worker) -eq 2"
expect_eq "requests are still answered after the reloads" 200 "$(post "$REQ")"
finish
