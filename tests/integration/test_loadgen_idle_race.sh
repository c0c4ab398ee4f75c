#!/usr/bin/env bash
# A client racing the server's idle close of a keep-alive connection (the request lost in test_fleet's failover
# drill). A server closes an idle connection with no request begun; a request written just as that close happens
# is never read, and the client sees the connection end before any byte of the answer. fairbid-loadgen then sends
# the request again once on a new connection (counted as "retried", not as a failure), as HTTP clients do for a
# reused connection; an answer cut after its first byte is a failure, never retried.
#  1. a stub server closes the first connection at its second request, unanswered: 0 failed, 1 retried
#  2. the same, but after sending part of the answer: 1 io error, 0 retried
#  3. fairbid's side of the race, made to happen every time: a client whose keep-alive connection fairbid has
#     closed for idleness (the condition: the FIN is there to read) writes a request on it anyway, as a client
#     that has not yet looked does; the connection ends before any byte of an answer (the case 1. retries),
#     fairbid stays up and answers the next connection
#  4. fairbid with idle_timeout_ms 10 and one connection sending about every 10 ms, 5 runs: whether the race
#     meets a request in a run is chance (the count is printed), and no run loses a request. (It once had to
#     meet one in up to 5 runs: a check that passed when chance allowed, which it did not under ASan on a
#     loaded machine; 3. is that check made deterministic.)
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
LG=${FAIRBID_BUILD_DIR:-$SRC/build}/fairbid-loadgen
[ -x "$LG" ] || die "fairbid-loadgen not built at $LG"

# stub MODE PORTFILE: answers 204 with keep-alive; the first connection is closed at its second request
stub() {
  python3 - "$@" <<'PY' &
import socket, sys, threading
mode, portfile = sys.argv[1], sys.argv[2]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1]))
import os; os.rename(portfile + ".tmp", portfile)
nconn = 0
def serve(s, first):
    buf, n = b"", 0
    while True:
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                s.close(); return
            buf += d
        head, rest = buf.split(b"\r\n\r\n", 1)
        cl = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length": cl = int(v)
        while len(rest) < cl:
            rest += s.recv(65536)
        buf = rest[cl:]
        n += 1
        if first and n == 2:
            if mode == "partial": s.sendall(b"HTTP/1.1 204 No")
            s.close(); return
        s.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
while True:
    c, _ = ls.accept()
    nconn += 1
    threading.Thread(target=serve, args=(c, nconn == 1), daemon=True).start()
PY
  PIDS+=($!)
}

for mode in unanswered partial; do
  stub "$mode" "$T/$mode.port"
  wait_for test -s "$T/$mode.port" || die "stub server ($mode) did not start"
  timeout 30 "$LG" --target "http://127.0.0.1:$(cat "$T/$mode.port")/openrtb2/bid" --rate 50 --connections 1 \
    --duration 1s --warmup 0 --json "$T/$mode.json" >"$T/$mode.log" 2>&1
  expect_eq "$mode: loadgen exits 0" 0 "$?"
  echo "# $mode: sent $(json_get "$T/$mode.json" 'd["sent"]'), answered $(json_get "$T/$mode.json" 'd["requests"]'), errors $(json_get "$T/$mode.json" 'd["errors"]'), retried $(json_get "$T/$mode.json" 'd["retried"]')"
done
expect_eq "closed unanswered on a reused connection: sent again once" 1 "$(json_get "$T/unanswered.json" 'd["retried"]')"
expect_eq "closed unanswered: no io error" 0 "$(json_get "$T/unanswered.json" 'd["errors"]["io"]')"
expect_eq "closed unanswered: every request sent was answered" "$(json_get "$T/unanswered.json" 'd["sent"]')" \
  "$(json_get "$T/unanswered.json" 'd["requests"]')"
expect_eq "cut after part of the answer: not retried" 0 "$(json_get "$T/partial.json" 'd["retried"]')"
expect_eq "cut after part of the answer: counted as an io error" 1 "$(json_get "$T/partial.json" 'd["errors"]["io"]')"

# 3. the real race against fairbid's idle close
python3 -c "
import json; d = json.load(open('$SRC/deploy/fairbid.json')); d['idle_timeout_ms'] = 10; d['redis'] = ''
json.dump(d, open('$T/cfg.json', 'w'))"
[ -f "$SRC/deploy/policy.json" ] && cp "$SRC/deploy/policy.json" "$T/policy.json"
fairbid_start "$T/cfg.json"

# 3. deterministic: the request lands on a connection fairbid has already closed for idleness
python3 - "$FB_PORT" >"$T/closed.out" 2>&1 <<'PY'
import select, socket, sys
port = int(sys.argv[1])
req = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(req)
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print("first", buf.split(b"\r\n", 1)[0].decode())
# the condition, not a sleep: the socket turns readable when fairbid's idle close (10 ms) sends its FIN
r, _, _ = select.select([s], [], [], 5)
print("fin_seen", bool(r))
try:
    s.sendall(req)
    got = s.recv(4096)
    print("answer_bytes", len(got))
except (ConnectionResetError, BrokenPipeError):
    print("answer_bytes", 0)
s.close()
c = socket.create_connection(("127.0.0.1", port), timeout=5)
c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
out = b""
while True:
    d = c.recv(4096)
    if not d:
        break
    out += d
print("next", out.split(b"\r\n", 1)[0].decode())
PY
sed 's/^/# /' "$T/closed.out"
check "closed for idleness: the first request on it was answered" grep -q '^first HTTP/1.1 200' "$T/closed.out"
check "closed for idleness: fairbid closed the idle connection within 5 s (idle_timeout_ms 10)" grep -q '^fin_seen True' "$T/closed.out"
check "a request written on it gets no byte of an answer (the case loadgen retries)" grep -q '^answer_bytes 0$' "$T/closed.out"
check "fairbid answers the next connection" grep -q '^next HTTP/1.1 200' "$T/closed.out"
check "fairbid is still up" kill -0 "$FB_PID"

# 4. the race by chance, against loadgen: never a lost request
retried=0
for run in 1 2 3 4 5; do
  # one request every 1/r s on one connection: close to the 10 ms idle close, so requests meet it
  r=$((95 + run * 2))
  timeout 30 "$LG" --target "$FB_URL/openrtb2/bid" --rate "$r" --connections 1 --duration 2s --warmup 0 \
    --json "$T/race$run.json" >"$T/race$run.log" 2>&1
  expect_eq "race run $run ($r req/s): loadgen exits 0" 0 "$?"
  n=$(json_get "$T/race$run.json" 'd["retried"]')
  echo "# race run $run: sent $(json_get "$T/race$run.json" 'd["sent"]'), answered $(json_get "$T/race$run.json" 'd["requests"]'), errors $(json_get "$T/race$run.json" 'd["errors"]'), retried $n"
  expect_eq "race run $run: no failed request" 0 "$(json_get "$T/race$run.json" 'sum(d["errors"].values()) + sum(v for k, v in d["status"].items() if k not in ("200", "204"))')"
  expect_eq "race run $run: every request sent was answered" "$(json_get "$T/race$run.json" 'd["sent"]')" \
    "$(json_get "$T/race$run.json" 'd["requests"]')"
  retried=$((retried + ${n:-0}))
done
echo "# the race met a request $retried times in 5 runs (chance; each was sent again and answered)"
finish
