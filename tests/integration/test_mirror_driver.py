#!/usr/bin/env python3
"""Driver for the consent mirror integration tests (test_mirror*.sh): background load, waiting for a decision
to change, and the propagation measurement. Raw sockets and keep-alive connections, standard library only.

A decision is observed through the winning campaign: with deploy/sample-request.json, initech-runners (personal
targeting: segments + age, 3.10) wins while personal data may be used, acme-shoes (untargeted, 2.50) otherwise.
"""
import argparse
import json
import os
import signal
import socket
import sys
import time

SRC = os.environ.get("FAIRBID_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLE = json.load(open(os.path.join(SRC, "deploy", "sample-request.json")))


def body_for(user):
    d = json.loads(json.dumps(SAMPLE))
    if user is None:
        d["user"].pop("buyeruid", None)
        d["user"].pop("id", None)
    else:
        d["user"]["buyeruid"] = user
    return json.dumps(d).encode()


class Http:
    """One keep-alive HTTP/1.1 connection; reconnects on failure."""

    def __init__(self, url):
        hp = url.split("//", 1)[1].split("/", 1)[0]
        h, p = hp.rsplit(":", 1)
        self.addr = (h, int(p))
        self.s = None
        self.buf = b""

    def _conn(self):
        self.s = socket.create_connection(self.addr, timeout=5)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, body):
        """Returns (status, body bytes); raises on transport errors."""
        if self.s is None:
            self._conn()
        req = (b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
               + str(len(body)).encode() + b"\r\n\r\n" + body)
        try:
            self.s.sendall(req)
            return self._read()
        except Exception:
            self.s.close()
            self.s = None
            raise

    def _read(self):
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        n = 0
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            if k.strip().lower() == b"content-length":
                n = int(v.strip())
        while len(rest) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            rest += d
        self.buf = rest[n:]
        return status, rest[:n]


def winner(status, body):
    if status != 200:
        return None
    try:
        d = json.loads(body)
        return d["seatbid"][0]["bid"][0]["cid"]
    except Exception:
        return None


class Redis:
    """Minimal RESP2 client: one command at a time."""

    def __init__(self, port, host="127.0.0.1", timeout=5):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self._reply()

    def _reply(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            d = self.f.read(n + 2)
            return d[:-2]
        if t == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError("bad reply %r" % line)


def cmd_load(a):
    """Background load until SIGTERM: alternates a user with a stored record, one without, and no user."""
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    h = Http(a.url)
    bodies = [body_for("load-user"), body_for("load-nobody"), body_for(None)]
    stats = {"total": 0, "status": {}, "errors": 0, "no_bid_untargeted": 0}
    i = 0
    while not stop:
        b = bodies[i % 3]
        i += 1
        try:
            st, resp = h.post(b)
            stats["status"][str(st)] = stats["status"].get(str(st), 0) + 1
            # the untargeted campaign must keep bidding whatever the mirror's state
            if winner(st, resp) is None:
                stats["no_bid_untargeted"] += 1
        except Exception:
            stats["errors"] += 1
            time.sleep(0.01)
        stats["total"] += 1
        if a.interval_ms:
            time.sleep(a.interval_ms / 1000.0)
    json.dump(stats, open(a.out, "w"))


def cmd_wait(a):
    """Polls until the winner for USER is (--want) or is not (--not) a campaign; prints the elapsed ms."""
    h = Http(a.url)
    b = body_for(a.user)
    if a.kill_pid:
        h.post(b)  # connection open and warm before the event
    # --since-ns: a wall-clock stamp taken by the caller just before the event (kill, write); --kill: send the
    # signal here, so the interpreter's start-up is not counted
    t0 = time.monotonic() - ((time.time_ns() - a.since_ns) / 1e9 if a.since_ns else 0)
    if a.kill_pid:
        os.kill(a.kill_pid, getattr(signal, a.signal))
        t0 = time.monotonic()
    while True:
        try:
            w = winner(*h.post(b))
        except Exception:
            w = "error"
        if (a.want and w == a.want) or (a.not_ and w != a.not_ and w != "error"):
            print("%.1f" % ((time.monotonic() - t0) * 1000))
            return 0
        if (time.monotonic() - t0) * 1000 > a.timeout_ms:
            print("timeout (last winner %s)" % w)
            return 1
        time.sleep(a.poll_ms / 1000.0)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def cmd_propagate(a):
    """N writes of optout=1 (each to a fresh user that bids personal), time from the HSET's reply to the first
    decision applying it; then a check that decisions after that never use the old record."""
    h = Http(a.url)
    r = Redis(a.redis_port)
    run = "%d" % os.getpid()
    # lat: from the HSET's reply to the reply of the first poll that applied it (reported); old_sent: the latest
    # instant, from the HSET's reply, at which a poll was sent that got the old record back (asserted: its
    # decision was made after it was sent, so an old answer to a poll sent past consent_stale_ms is a decision
    # past the bound; a poll's own round trip, long for a descheduled driver on a loaded machine, is not
    # fairbid's lag and no longer counts against it)
    lat, old_sent, timeouts, regress = [], [], 0, 0
    for i in range(a.n):
        user = "prop-%s-%d" % (run, i)
        b = body_for(user)
        if winner(*h.post(b)) != "initech-runners":
            print("precondition: %s does not win initech-runners" % user, file=sys.stderr)
            return 1
        r.cmd("HSET", "fairbid:consent:" + user, "optout", "1", "updated_ms", int(time.time() * 1000))
        t0 = time.monotonic()
        last_old = 0.0
        while True:
            sent = (time.monotonic() - t0) * 1000
            w = winner(*h.post(b))
            el = (time.monotonic() - t0) * 1000
            if w != "initech-runners":
                lat.append(el)
                break
            last_old = sent
            if sent > 2000:
                timeouts += 1
                break
        old_sent.append(last_old)
        # after it applied: the next decisions must not use the old record
        for _ in range(2):
            if winner(*h.post(b)) == "initech-runners":
                regress += 1
    res = {"n": len(lat), "timeouts": timeouts, "regressions": regress,
           "p50_ms": round(pct(lat, 50), 3), "p99_ms": round(pct(lat, 99), 3), "max_ms": round(max(lat), 3),
           "old_sent_max_ms": round(max(old_sent), 3)}
    print(json.dumps(res))
    return 0 if timeouts == 0 and regress == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("load")
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--interval-ms", type=float, default=1.0)
    p = sp.add_parser("wait")
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--want")
    p.add_argument("--not", dest="not_")
    p.add_argument("--timeout-ms", type=float, default=5000)
    p.add_argument("--poll-ms", type=float, default=2)
    p.add_argument("--since-ns", type=int, default=0)
    p.add_argument("--kill", dest="kill_pid", type=int, default=0)
    p.add_argument("--signal", default="SIGKILL")
    p = sp.add_parser("propagate")
    p.add_argument("--url", required=True)
    p.add_argument("--redis-port", type=int, required=True)
    p.add_argument("--n", type=int, default=1000)
    a = ap.parse_args()
    return {"load": cmd_load, "wait": cmd_wait, "propagate": cmd_propagate}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
