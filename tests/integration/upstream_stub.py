#!/usr/bin/env python3
"""A stand-in upstream bidder for filter-mode tests (issue 17): HTTP/1.1 with keep-alive, one thread per
connection. Modes (--mode):
  record   writes every request body it receives as one JSON line to --record FILE, answers 204
  bid      answers every imp with a bid (--cat, --cattax, --adomain, --price, --cur), nurl and burl set
  hostile  answers by the request's imp[0].id: "malformed" bad JSON, "wrongid" another id, "huge" a 4 MiB
           body, "slow" after 2 s, "reset" closes the connection unanswered, "500" a server error,
           anything else a bid as in mode bid
It prints its port on stdout (--port 0 picks one)."""
import argparse, json, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--mode", default="bid")
ap.add_argument("--record")
ap.add_argument("--cat", default="1001")
ap.add_argument("--cattax", type=int, default=8)
ap.add_argument("--adomain", default="dsp.example")
ap.add_argument("--price", type=float, default=2.0)
ap.add_argument("--cur", default="USD")
ap.add_argument("--seat", default="dspseat")
args = ap.parse_args()
lock = threading.Lock()
# made once: building 4 MiB per request took longer than the upstreams' timeout on a loaded machine
HUGE = json.dumps({"id": "huge", "seatbid": [{"bid": [{"id": "b", "impid": "huge", "price": 1,
                                                       "adm": "x" * (4 << 20)}]}]}).encode()


def bid_response(req):
    bids = []
    for i, imp in enumerate(req.get("imp", [])):
        bids.append({"id": "b%d" % i, "impid": imp["id"], "price": args.price, "adm": "<div>upstream</div>",
                     "nurl": "http://127.0.0.1:%d/win?b=%d&p=${AUCTION_PRICE}" % (PORT, i),
                     "burl": "http://127.0.0.1:%d/bill?b=%d" % (PORT, i),
                     "adomain": [args.adomain], "cat": [c for c in args.cat.split(",") if c],
                     "cattax": args.cattax, "cid": "upc", "crid": "upcr", "w": 300, "h": 250, "mtype": 1})
    return {"id": req.get("id"), "cur": args.cur, "seatbid": [{"seat": args.seat, "bid": bids}]}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # win and billing notices forwarded by fairbid
        if args.record:
            with lock, open(args.record + ".notices", "a") as f:
                f.write(self.path + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            req = json.loads(body)
        except Exception:
            self.send_json(400, {"error": "bad json"})
            return
        if args.mode == "record":
            with lock, open(args.record, "a") as f:
                f.write(json.dumps(req) + "\n")
            self.send_response(204)
            self.end_headers()
            return
        if args.record:
            with lock, open(args.record, "a") as f:
                f.write(json.dumps(req) + "\n")
        kind = args.mode == "hostile" and (req.get("imp") or [{}])[0].get("id", "")
        if kind == "malformed":
            self.send_json(200, b'{"id": "' + str(req.get("id")).encode() + b'", "seatbid": [')
        elif kind == "wrongid":
            r = bid_response(req)
            r["id"] = "not-" + str(req.get("id"))
            self.send_json(200, r)
        elif kind == "huge":
            self.send_json(200, HUGE)
        elif kind == "slow":
            time.sleep(2)
            self.send_json(200, bid_response(req))
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            self.close_connection = True
        elif kind == "500":
            self.send_json(500, {"error": "boom"})
        else:
            self.send_json(200, bid_response(req))


srv = ThreadingHTTPServer(("127.0.0.1", args.port), H)
srv.daemon_threads = True
PORT = srv.server_address[1]
print(PORT, flush=True)
srv.serve_forever()
