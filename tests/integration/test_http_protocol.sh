#!/usr/bin/env bash
# HTTP/1.1 as the native server (bidder/server/http_conn.c) speaks it, on the real binary over real sockets:
# chunked bodies, Expect: 100-continue, pipelining, HTTP/1.0, HEAD, smuggling guards, limits (413 before the
# body is sent, 431, 408 for a stalled request, 503 over max_connections), and no answer lost or reordered.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json
MODE=native # the only transport (evhttp was removed, issue 16)
python3 - "$SRC/deploy/fairbid.json" "$T/cfg.json" "$MODE" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
d["policy"] = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), d["policy"])
d.update(threads=1, read_timeout_ms=700, idle_timeout_ms=1500, max_connections=6, http_server=sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
fairbid_start "$T/cfg.json"

python3 - "$FB_PORT" "$REQ" "$MODE" <<'PY'
import socket, sys, time, json, re
port, req_path, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(req_path, "rb").read()
fails = 0
def ok(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    if not cond: fails += 1

def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(5)
    return s

def read_response(s, buf=b"", head_only=False):
    """reads one response; returns (status, headers dict, body, rest of buffer)"""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d: raise EOFError("closed before a response head")
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    h = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        h[k.strip().lower()] = v.strip()
    n = 0 if head_only or status in (100, 204) else int(h.get("content-length", "0"))
    while len(buf) < n:
        d = s.recv(65536)
        if not d: raise EOFError("closed inside a body")
        buf += d
    return status, h, buf[:n], buf[n:]

def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:  # still open after the client's 5 s: not closed
        return False

def post(path="/openrtb2/bid", b=body, extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(b)).encode() + b"\r\n\r\n" + b)

# 1. chunked request body, in odd pieces
s = conn()
chunks = [body[:7], body[7:1000], body[1000:]]
wire = b"POST /openrtb2/bid HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
wire += b"".join(b"%x;x=y\r\n" % len(c) + c + b"\r\n" for c in chunks) + b"0\r\nX-Trailer: 1\r\n\r\n"
for i in range(0, len(wire), 333):
    s.sendall(wire[i:i + 333]); time.sleep(0.002)
st, h, b, rest = read_response(s)
ok(st == 200 and json.loads(b)["seatbid"][0]["bid"][0]["cid"] == "initech-runners", "chunked body gets the bid")

# 2. Expect: 100-continue: 100 first, then the answer once the body is sent
s = conn()
s.sendall(post(extra=b"Expect: 100-continue\r\n")[:-len(body)])
st, h, b, rest = read_response(s)
ok(st == 100, "Expect: 100-continue gets 100 before the body (got %d)" % st)
s.sendall(body)
st, h, b, rest = read_response(s, rest)
ok(st == 200, "then 200 after the body")

# 3. pipelining: 5 requests in one send, 5 answers in order on one connection
s = conn()
paths = ["/healthz", "/openrtb2/bid", "/nope", "/openrtb2/bid", "/healthz"]
wire = b"".join(post() if p == "/openrtb2/bid" else b"GET " + p.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n" for p in paths)
s.sendall(wire)
got, rest = [], b""
for _ in paths:
    st, h, b, rest = read_response(s, rest)
    got.append(st)
ok(got == [200, 200, 404, 200, 200], "pipelined requests answered in order: %s" % got)

# 4. HTTP/1.0: closed after the answer unless keep-alive was asked for
s = conn()
s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
st, h, b, rest = read_response(s)
ok(st == 200 and closed(s), "HTTP/1.0 answered and closed")
s = conn()
s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
st, h, b, rest = read_response(s)
s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
st2, h2, b2, rest = read_response(s, rest)
ok(st == 200 and st2 == 200, "HTTP/1.0 keep-alive serves two requests on one connection")

# 5. HEAD: the length of the GET body, no body
s = conn()
s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
st, h, b, rest = read_response(s, head_only=True)
st2, h2, b2, rest = read_response(s, rest)
ok(st == 200 and int(h["content-length"]) == len(b2) and b2.startswith(b"{"), "HEAD has the GET's length and no body")

# 6. Connection: close from the client
s = conn()
s.sendall(post(extra=b"Connection: close\r\n"))
st, h, b, rest = read_response(s)
ok(st == 200 and h.get("connection") == "close" and closed(s), "Connection: close honoured")

def error_case(wire, want, what, body_key="error"):
    s = conn()
    try:
        s.sendall(wire)
        st, h, b, rest = read_response(s)
        j = json.loads(b) if b else {}
        ok(st == want and body_key in j, "%s: %d with a JSON error (got %d %s)" % (what, want, st, b[:80]))
    except Exception as e:
        ok(False, "%s: %r" % (what, e))

if mode == "native":
    # 7. guards against request smuggling and malformed heads
    error_case(b"POST /openrtb2/bid HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
               "Content-Length with Transfer-Encoding")
    error_case(b"POST /openrtb2/bid HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400,
               "two different Content-Lengths")
    error_case(b"POST /openrtb2/bid HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello", 400, "space before the colon")
    error_case(b"GET /healthz HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400, "obsolete line folding")
    error_case(b"POST /openrtb2/bid HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported transfer coding")
    error_case(b"GET /healthz HTTP/2.0\r\n\r\n", 505, "HTTP/2.0 on an HTTP/1 port")
    error_case(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "TLS hello on the plain port")
    error_case(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431, "head over 16 KiB")
    error_case(b"POST /openrtb2/bid HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size")
    # 8. 413 as soon as the head announces too much: the body is never sent
    s = conn()
    s.sendall(b"POST /openrtb2/bid HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n")
    st, h, b, rest = read_response(s)
    ok(st == 413 and b"max_body" in b and closed(s), "413 naming max_body before the body is sent, then closed")
    # 9. a stalled request gets 408 after read_timeout_ms (700 ms here); an idle keep-alive connection is closed,
    # without an answer, after idle_timeout_ms (1.5 s here). The contract is "not before the timeout": t0 is taken
    # before the server can start its timer, so dt >= the timeout less libevent's timer resolution (1 ms; 10 ms
    # allowed). How late it comes is the machine's load, not asserted; the client gives up after 5 s (conn()).
    s = conn()
    t0 = time.monotonic()
    s.sendall(b"POST /openrtb2/bid HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{")
    st, h, b, rest = read_response(s)
    dt = time.monotonic() - t0
    ok(st == 408 and dt >= 0.7 - 0.01, "stalled body: 408, not before read_timeout_ms (after %.2f s)" % dt)
    s = conn()
    t0 = time.monotonic()
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    read_response(s)
    c = closed(s)
    dt = time.monotonic() - t0
    ok(c and dt >= 1.5 - 0.01, "idle keep-alive connection closed, not before idle_timeout_ms (after %.2f s)" % dt)
    # 9b. the idle timeout is one timer over a list of the connections in idle order (http_accept.c): a connection
    # that keeps sending is not closed by it, and one that went quiet before it is, on time
    quiet, busy = conn(), conn()
    quiet.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    read_response(quiet)
    t0 = time.monotonic()
    served = 0
    for i in range(9):  # a request every 0.25 s for 2.25 s: never idle for 1.5 s
        busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        served += read_response(busy)[0] == 200
        time.sleep(0.25)
    ok(closed(quiet), "a quiet connection is closed by the idle timeout while another keeps sending")
    busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    ok(served == 9 and read_response(busy)[0] == 200,
       "the connection that kept sending is still served after %.2f s" % (time.monotonic() - t0))
    busy.close()
    # 10. max_connections (6): the 7th connection gets 503 and is closed; the first six still work
    held = [conn() for _ in range(6)]
    for c in held:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        read_response(c)
    extra = conn()
    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    st, h, b, rest = read_response(extra)
    ok(st == 503 and b"max_connections" in b and closed(extra), "connection over max_connections: 503 and closed")
    held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    ok(read_response(held[0])[0] == 200, "connections within the limit still served")
    for c in held: c.close()
    # the server has seen the closes once a new connection is served again (not 503): wait for that
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        c = conn()
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        st = read_response(c)[0]
        c.close()
        if st == 200: break
    ok(st == 200, "the closed connections are given back (a new one is served)")

# 11. many requests on one connection, in random-sized writes: every answer arrives, in order
s = conn()
import random
random.seed(7)
n = 300
wire = b"".join(post(b=body) if i % 3 else b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n" for i in range(n))
pos = 0
while pos < len(wire):
    k = random.randint(1, 9000)
    s.sendall(wire[pos:pos + k]); pos += k
rest, got = b"", []
for i in range(n):
    st, h, b, rest = read_response(s, rest)
    got.append(st)
ok(got == [200] * n, "300 requests in random fragments: all answered in order")

# 12. a client that half-closes after its request still gets the answer
s = conn()
s.sendall(post() * 3)
s.shutdown(socket.SHUT_WR)
rest, got = b"", []
for i in range(3):
    st, h, b, rest = read_response(s, rest)
    got.append(st)
ok(got == [200] * 3 and closed(s), "half-closed client: 3 answers, then the server closes")
sys.exit(1 if fails else 0)
PY
rc=$?
[ $rc -eq 0 ] && ok "protocol checks ($MODE)" || not_ok "protocol checks ($MODE)"
# the server is still healthy and counted the errors it answered itself
check "still alive after the protocol checks" curl -sf "$FB_URL/healthz"
check "errors the server answered itself are counted" sh -c "curl -s '$FB_URL/metrics' | grep -qE '^fairbid_http_requests_total\{code=\"413\"\} [1-9]'"
# each status under its own code (408 and 431 were counted as "other" before issue 16)
for code in 408 431; do
  check "$code answers are counted under code=\"$code\"" sh -c "curl -s '$FB_URL/metrics' | grep -qE '^fairbid_http_requests_total\{code=\"$code\"\} [1-9]'"
done
check "no answer is counted as other" sh -c "curl -s '$FB_URL/metrics' | grep -qE '^fairbid_http_requests_total\{code=\"other\"\} 0$'"
finish
