#!/usr/bin/env python3
"""Stub HTTP/1.1 servers for fairbid-loadgen's tests and benchmarks (keep-alive, single-threaded).

Modes:
  stall      answers every request with 204, but stalls everything for --stall-ms once per --period-ms
             (the coordinated-omission test: an open-loop generator must see the stall in its p99).
  bid        a pretend bidder: answers POST with a BidResponse (two campaigns, nurl pointing back here), every
             fourth request with 204; GET /win?... counts win notices; GET /stats returns the counts as JSON.
  blackhole  accepts and reads, never answers (the generator must still stop on time).

Writes its port to --port-file once listening on 127.0.0.1:0.
"""
import argparse
import json
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["stall", "bid", "blackhole"], required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--stall-ms", type=float, default=200.0)
    ap.add_argument("--period-ms", type=float, default=1000.0)
    ap.add_argument("--price", type=float, default=1.2)
    a = ap.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1024)
    ls.setblocking(False)
    port = ls.getsockname()[1]
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    stats = {"requests": 0, "bids": 0, "wins": 0, "stalls": 0}
    bufs = {}
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(port))
    import os
    os.replace(a.port_file + ".tmp", a.port_file)

    t0 = time.monotonic()
    next_stall = t0 + a.period_ms / 1000.0

    def respond(conn, method, path, body):
        stats["requests"] += 1
        if a.mode == "stall":
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        if method == "GET" and path.startswith("/win"):
            stats["wins"] += 1
            stats["last_win"] = path
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        if method == "GET" and path.startswith("/stats"):
            out = json.dumps(stats).encode()
            return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                len(out), out)
        stats["posts"] = stats.get("posts", 0) + 1
        if stats["posts"] % 4 == 0:
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        try:
            req = json.loads(body)
            rid, impid = req.get("id", "x"), req["imp"][0]["id"]
        except Exception:
            return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
        stats["bids"] += 1
        camp = "camp-a" if stats["posts"] % 2 else "camp-b"
        nurl = "http://127.0.0.1:%d/win?p=${AUCTION_PRICE}&imp=${AUCTION_IMP_ID}&c=%s" % (port, camp)
        resp = {"id": rid, "cur": "USD", "seatbid": [{"seat": "fairbid", "bid": [
            {"id": "b1", "impid": impid, "price": a.price, "cid": camp, "crid": "cr1", "nurl": nurl}]}]}
        out = json.dumps(resp).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(out), out)

    while True:
        if a.mode == "stall":
            now = time.monotonic()
            if now >= next_stall:
                # The whole server stops: nothing is read or answered meanwhile.
                time.sleep(a.stall_ms / 1000.0)
                stats["stalls"] += 1
                next_stall += a.period_ms / 1000.0
                continue
            timeout = max(0.0, next_stall - now)
        else:
            timeout = None
        for key, _ in sel.select(timeout):
            if key.data is None:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(c, selectors.EVENT_READ, "c")
                bufs[c] = b""
                continue
            c = key.fileobj
            try:
                data = c.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(c)
                bufs.pop(c, None)
                c.close()
                continue
            if a.mode == "blackhole":
                continue
            buf = bufs[c] + data
            out = []
            while True:
                he = buf.find(b"\r\n\r\n")
                if he < 0:
                    break
                head = buf[:he].decode("latin-1").split("\r\n")
                method, path = head[0].split(" ")[:2]
                clen = 0
                for h in head[1:]:
                    k, _, v = h.partition(":")
                    if k.strip().lower() == "content-length":
                        clen = int(v.strip())
                if len(buf) < he + 4 + clen:
                    break
                body = buf[he + 4:he + 4 + clen]
                buf = buf[he + 4 + clen:]
                out.append(respond(c, method, path, body))
            bufs[c] = buf
            if out:
                try:
                    c.sendall(b"".join(out))
                except OSError:
                    pass


if __name__ == "__main__":
    main()
