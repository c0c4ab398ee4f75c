#!/usr/bin/env bash
# Hostile clients (issue 13) against the real binary: slowloris heads and bodies, dribbling after an error,
# 3x max_connections, the open-file limit reached, one-byte chunks, many unfinished large bodies, clients that
# pipeline and never read, a slow-draining pipeline, strict HTTP, and admin_listen. The cases are in
# attack_driver.py; each asserts the answer, the fd and RSS bounds (from /proc), a normal request right after,
# and that the process stays up. Runs in the plain and the ASan build (not in scripts/test.sh's ASAN_SKIP).
source "$(dirname "$0")/../harness/lib.sh"
DRV=$SRC/tests/integration/attack_driver.py
# ASan keeps freed memory in a quarantine (256 MiB by default): RSS bounds need it small
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=8"
if ldd "$BIN" 2>/dev/null | grep libasan >/dev/null; then export ATTACK_ASAN=1; fi

# mkcfg OUT JSON-OVERRIDES: deploy/fairbid.json with the policy path resolved and the overrides applied
mkcfg() {
  python3 - "$SRC/deploy/fairbid.json" "$1" "$2" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
d["policy"] = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), d["policy"])
d.update(json.loads(sys.argv[3]))
json.dump(d, open(sys.argv[2], "w"))
PY
}

run_case() { # run_case CASE CONFIG [ADMIN_PORT]
  if FB_LOG=$FB_LOG timeout 120 python3 "$DRV" "$1" "$FB_PORT" "$FB_PID" "$2" "${3:-}"; then
    ok "attack case $1"
  else
    not_ok "attack case $1"
  fi
  kill -0 "$FB_PID" 2>/dev/null || die "fairbid died during $1"
}

# 1. timing and framing: small limits so each case is quick
mkcfg "$T/a.json" '{"threads": 2, "read_timeout_ms": 1000, "idle_timeout_ms": 5000, "write_timeout_ms": 1000,
  "max_connections": 8, "admin_listen": "127.0.0.1:0"}'
# (harness fairbid_start probes /healthz on the public port, which answers 404 with admin_listen set)
FB_LOG="$T/fairbid.a.log"
rm -f "$T/port"
"$BIN" serve --config "$T/a.json" --listen 127.0.0.1:0 --port-file "$T/port" >"$FB_LOG" 2>&1 &
FB_PID=$!
PIDS+=("$FB_PID")
wait_for test -s "$T/port" || die "fairbid did not write its port file"
FB_PORT=$(cat "$T/port")
ADMIN_PORT=$(cat "$T/port.admin")
wait_for curl -sf "http://127.0.0.1:$ADMIN_PORT/healthz" || die "fairbid /healthz did not answer on admin_listen"
for c in admin strict slowloris linger conn_limit; do run_case "$c" "$T/a.json" "$ADMIN_PORT"; done
# the admin socket is not shared (no SO_REUSEPORT): a second instance on the same admin port fails to start
# instead of taking half of the probes and scrapes
mkcfg "$T/a2.json" "{\"admin_listen\": \"127.0.0.1:$ADMIN_PORT\"}"
timeout 10 "$BIN" serve --config "$T/a2.json" --listen 127.0.0.1:0 >"$T/a2.log" 2>&1
rc=$?
expect_eq "a second instance on the same admin_listen exits 1" 1 "$rc"
check "and says the address is in use" grep -q "Address already in use" "$T/a2.log"
kill -TERM "$FB_PID"; wait "$FB_PID" 2>/dev/null

# 2. memory: many connections, small buffer caps
mkcfg "$T/b.json" '{"threads": 2, "read_timeout_ms": 1000, "idle_timeout_ms": 5000, "write_timeout_ms": 1000,
  "max_connections": 400, "max_body": 1048576, "max_buffered_bytes": 8388608, "max_output_bytes": 2097152,
  "max_conn_output_bytes": 65536}'
fairbid_start "$T/b.json"
for c in buffered no_read drain_pipeline; do run_case "$c" "$T/b.json"; done
kill -TERM "$FB_PID"; wait "$FB_PID" 2>/dev/null

# 3. CPU: a body in one-byte chunks (a read timeout long enough for the Python client to send 6 MiB)
mkcfg "$T/d.json" '{"threads": 2, "read_timeout_ms": 60000, "max_body": 8388608, "max_buffered_bytes": 67108864}'
fairbid_start "$T/d.json"
run_case chunks "$T/d.json"
kill -TERM "$FB_PID"; wait "$FB_PID" 2>/dev/null

# 4. the open-file limit: fairbid under RLIMIT_NOFILE 64 (soft and hard: it raises soft to hard at start)
mkcfg "$T/c.json" '{"threads": 2, "max_connections": 1000, "read_timeout_ms": 2000}'
printf '#!/bin/sh\nexec prlimit --nofile=64:64 "%s" "$@"\n' "$BIN" >"$T/lowfd.sh"
chmod +x "$T/lowfd.sh"
REAL_BIN=$BIN
BIN=$T/lowfd.sh fairbid_start "$T/c.json"
BIN=$REAL_BIN
run_case emfile "$T/c.json"
kill -TERM "$FB_PID"; wait "$FB_PID" 2>/dev/null
finish
