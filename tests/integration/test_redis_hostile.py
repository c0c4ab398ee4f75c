#!/usr/bin/env python3
"""Driver for test_redis_hostile.sh (issue 12: a hostile or corrupt Redis must not crash fairbid, lift a limit
or make it trust a mirror that lags). Standard library only.

  fake-redis --port-file F     a small RESP2 server speaking what fairbid sends (mirror, store, fairness,
                               audit), answering DBSIZE with 553402322211286600
  lag --url U --redis-port P   a burst of reloads of a big hash, then an opt-out for another user: every
                               request sent consent_stale_ms after the opt-out was written either sees it or
                               is refused (no personal-data bid)
  bids --url U --user X --n N  how many of N requests the campaign --cid wins (prints the count)
"""
import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_mirror_driver import Http, Redis, body_for, winner  # noqa: E402

PERSONAL = "initech-runners"  # wins while personal data may be used (see test_mirror_driver.py)
HOSTILE_DBSIZE = 553402322211286600

# ---- fake Redis -----------------------------------------------------------------------------------------


def bulk(b):
    if b is None:
        return b"$-1\r\n"
    b = b if isinstance(b, bytes) else str(b).encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def arr(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def integer(n):
    return b":%d\r\n" % n


class FakeRedis:
    def __init__(self, records, forge_hb=False):
        self.forge_hb = forge_hb  # heartbeat echoes carry a time far in the future
        self.records = records  # key bytes -> list of (field, value) bytes
        self.next_id = 1
        self.subs = {}  # channel -> set of writers
        self.log = {}

    async def handle(self, reader, writer):
        cid = self.next_id
        self.next_id += 1
        my_channels = set()
        try:
            while True:
                cmd = await self.read_command(reader)
                if cmd is None:
                    break
                name = cmd[0].upper().decode(errors="replace")
                self.log[name] = self.log.get(name, 0) + 1
                writer.write(self.answer(name, cmd, cid, writer, my_channels))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for ch in my_channels:
                self.subs.get(ch, set()).discard(writer)
            writer.close()

    @staticmethod
    async def read_command(reader):
        line = await reader.readline()
        if not line:
            return None
        if not line.startswith(b"*"):
            return line.split()  # inline command
        n = int(line[1:])
        out = []
        for _ in range(n):
            h = await reader.readline()
            ln = int(h[1:])
            d = await reader.readexactly(ln + 2)
            out.append(d[:-2])
        return out

    def answer(self, name, cmd, cid, writer, my_channels):
        a = cmd[1:]
        if name in ("AUTH", "SELECT"):
            return b"+OK\r\n"
        if name == "CLIENT":
            sub = a[0].upper() if a else b""
            if sub == b"ID":
                return integer(cid)
            return b"+OK\r\n"  # TRACKING, SETNAME, ...
        if name == "SUBSCRIBE":
            out = b""
            for ch in a:
                self.subs.setdefault(ch, set()).add(writer)
                my_channels.add(ch)
                out += arr([bulk(b"subscribe"), bulk(ch), integer(len(my_channels))])
            return out
        if name == "PUBLISH":
            ch, msg = a[0], a[1]
            if self.forge_hb and ch.startswith(b"fairbid:mirror:hb:"):
                msg = b"9000000000000000000"
            ws = list(self.subs.get(ch, ()))
            for w in ws:
                w.write(arr([bulk(b"message"), bulk(ch), bulk(msg)]))
            return integer(len(ws))
        if name == "PING":
            return arr([bulk(b"pong"), bulk(b"")]) if my_channels else b"+PONG\r\n"
        if name == "DBSIZE":
            return integer(HOSTILE_DBSIZE)
        if name == "SCAN":
            keys = [k for k in self.records if k.startswith(b"fairbid:consent:")]
            return arr([bulk(b"0"), arr([bulk(k) for k in keys])])
        if name == "HGETALL":
            rec = self.records.get(a[0], [])
            return arr([bulk(x) for fv in rec for x in fv])
        if name == "GET":
            return bulk(None)
        if name in ("HINCRBY", "EXPIRE", "DEL", "INCRBY", "DECRBY", "WAIT"):
            return integer(0)
        if name == "EVAL":
            # the cap lease script: grant nothing, nothing left (a hostile answer would be refused anyway)
            return arr([integer(0), integer(0)])
        if name == "XADD":
            return bulk(b"%d-0" % int(time.time() * 1000))
        if name == "INFO":
            return bulk(b"# Server\r\nredis_version:7.0.0\r\nrole:master\r\n")
        return b"+OK\r\n"


def cmd_fake_redis(a):
    records = {
        b"fairbid:consent:hostile-optout": [(b"optout", b"1")],
        b"fairbid:consent:hostile-keep": [(b"optout", b"0")],
    }
    fake = FakeRedis(records, a.forge_hb)

    async def main():
        srv = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(a.port_file + ".tmp", a.port_file)
        async with srv:
            while True:
                await asyncio.sleep(0.5)
                if a.log_file:
                    with open(a.log_file + ".tmp", "w") as f:
                        json.dump(fake.log, f)
                    os.rename(a.log_file + ".tmp", a.log_file)

    asyncio.run(main())


# ---- the big-hash lag --------------------------------------------------------------------------------------


def readyz(url):
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
            return json.loads(r.read()).get("consent_mirror")
    except urllib.error.HTTPError as e:
        return json.loads(e.read()).get("consent_mirror")
    except Exception:
        return "error"


def cmd_lag(a):
    h = Http(a.url)
    r = Redis(a.redis_port)
    target, control = "lag-target-%d" % os.getpid(), "lag-control-%d" % os.getpid()
    bt, bc = body_for(target), body_for(control)
    for u, b in ((target, bt), (control, bc)):
        if winner(*h.post(b)) != PERSONAL:
            print("precondition: %s does not win %s (mirror not trusted?)" % (u, PERSONAL), file=sys.stderr)
            return 1
    # the burst: each write to the big hash is an invalidation, so a HGETALL of all its fields, queued on the
    # mirror's command link ahead of the opt-out's reload. Its size is set from this machine's speed: one reload
    # of the big hash is timed here first, and the burst must queue at least twice the bound's worth of them
    # (a fixed 8 lagged 1.06 s on an idle machine, short of the 1.1 s the premise needs)
    t0 = time.monotonic()
    r.cmd("HGETALL", a.big_key)
    one_s = max(time.monotonic() - t0, 1e-3)
    need = int(2 * (a.stale_ms + 100) / 1000.0 / one_s) + 1
    a.burst = max(a.burst, min(need, a.max_burst))
    ev_one_reload_ms = round(one_s * 1000, 1)
    for i in range(a.burst):
        r.cmd("HSET", a.big_key, "touch", i)
    r.cmd("HSET", "fairbid:consent:" + target, "optout", "1")
    t_write = time.monotonic()  # the opt-out is written (its HSET answered)
    bound = t_write + (a.stale_ms + a.margin_ms) / 1000.0
    ev = {"target_personal_after_bound": 0, "target_personal_before_bound": 0, "target_refused": 0,
          "control_refused": 0, "control_personal_after_bound": 0, "readyz_synced_after_bound": 0,
          "readyz_not_synced": 0, "requests": 0}
    first_untrusted = last_untrusted = None
    synced_at = []
    last_target_personal = None
    applied_at = None
    settled_since = None
    while True:
        now = time.monotonic()
        if now - t_write > a.timeout_s:
            print("timeout: the mirror did not settle in %d s: %s" % (a.timeout_s, json.dumps(ev)))
            return 1
        t_sent = time.monotonic()
        wt = winner(*h.post(bt))
        wc = winner(*h.post(bc))
        st = readyz(a.url)
        ev["requests"] += 2
        if wt == PERSONAL:
            ev["target_personal_after_bound" if t_sent >= bound else "target_personal_before_bound"] += 1
            last_target_personal = t_sent
        else:
            ev["target_refused"] += 1
        if wc != PERSONAL:
            # the control user has no record: refused only while the mirror is untrusted
            ev["control_refused"] += 1
            last_untrusted = time.monotonic()
            if first_untrusted is None:
                first_untrusted = t_sent
        elif t_sent >= bound:
            ev["control_personal_after_bound"] += 1
        if st == "synced" and t_sent >= bound:
            ev["readyz_synced_after_bound"] += 1
            synced_at.append(t_sent)
        if st != "synced":
            ev["readyz_not_synced"] += 1
        # settled: trusted again (control wins) and the target refused, for 300 ms
        if wc == PERSONAL and wt != PERSONAL and st == "synced":
            if settled_since is None:
                settled_since = t_sent
                applied_at = t_sent
            elif time.monotonic() - settled_since > 0.3:
                break
        else:
            settled_since = None
        time.sleep(a.poll_ms / 1000.0)
    ev["untrusted_ms"] = round((last_untrusted - first_untrusted) * 1000, 1) if first_untrusted else 0
    ev["applied_after_ms"] = round((applied_at - t_write) * 1000, 1)
    # /readyz said synced after the bound while the opt-out was not applied yet: a later request for the target
    # still got a personal-data bid (an opt-out once applied stays applied)
    ev["readyz_synced_while_pending"] = sum(
        1 for t in synced_at if last_target_personal is not None and t < last_target_personal)
    ev["burst"] = a.burst
    ev["one_reload_ms"] = ev_one_reload_ms
    print(json.dumps(ev))
    return 0


def cmd_bids(a):
    h = Http(a.url)
    b = body_for(a.user)
    n = 0
    for _ in range(a.n):
        if winner(*h.post(b)) == a.cid:
            n += 1
        time.sleep(a.sleep_ms / 1000.0)
    print(n)
    return 0


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    f = sp.add_parser("fake-redis")
    f.add_argument("--port-file", required=True)
    f.add_argument("--log-file")
    f.add_argument("--forge-hb", action="store_true")
    lg = sp.add_parser("lag")
    lg.add_argument("--url", required=True)
    lg.add_argument("--redis-port", type=int, required=True)
    lg.add_argument("--big-key", required=True)
    lg.add_argument("--burst", type=int, default=8, help="at least this many big reloads")
    lg.add_argument("--max-burst", type=int, default=48)
    lg.add_argument("--stale-ms", type=int, required=True)
    lg.add_argument("--margin-ms", type=int, default=20)
    lg.add_argument("--poll-ms", type=int, default=2)
    lg.add_argument("--timeout-s", type=int, default=120)
    b = sp.add_parser("bids")
    b.add_argument("--url", required=True)
    b.add_argument("--user", default="cap-user")
    b.add_argument("--cid", required=True)
    b.add_argument("--n", type=int, default=20)
    b.add_argument("--sleep-ms", type=int, default=20)
    a = p.parse_args()
    return {"fake-redis": cmd_fake_redis, "lag": cmd_lag, "bids": cmd_bids}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
