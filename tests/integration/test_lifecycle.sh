#!/usr/bin/env bash
# SIGHUP reloads the config atomically (a broken file keeps the old one); SIGTERM drains in-flight requests and
# exits 0; start-up refuses a bad config with a message naming file, line and key.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json
cp "$SRC/deploy/fairbid.json" "$T/cfg.json"
[ -f "$SRC/deploy/policy.json" ] && cp "$SRC/deploy/policy.json" "$T/policy.json"
fairbid_start "$T/cfg.json"

expect_eq "before reload: price 3.1" 3.1 "$(post "$REQ" >/dev/null; json_get "$T/body" 'd["seatbid"][0]["bid"][0]["price"]')"
sed -i 's/"bid_cpm": 3.1/"bid_cpm": 4.2/' "$T/cfg.json"
kill -HUP "$FB_PID"
wait_for sh -c "curl -s '$FB_URL/metrics' | grep -q '^fairbid_config_generation 2'" && ok "generation 2 after SIGHUP" || not_ok "generation 2 after SIGHUP"
expect_eq "after reload: price 4.2" 4.2 "$(post "$REQ" >/dev/null; json_get "$T/body" 'd["seatbid"][0]["bid"][0]["price"]')"

# a broken reload keeps the old config and says why
printf '{"campaigns": [ {"id": "x", \n "bid_cpm": -1 } ] }' >"$T/cfg.json"
kill -HUP "$FB_PID"
wait_for grep -q "reload failed" "$FB_LOG" && ok "failed reload is logged" || not_ok "failed reload is logged"
check "log names file and line" grep -q "cfg.json:2" "$FB_LOG"
expect_eq "old config still serves" 4.2 "$(post "$REQ" >/dev/null; json_get "$T/body" 'd["seatbid"][0]["bid"][0]["price"]')"
check "failed reload counted" sh -c "curl -s '$FB_URL/metrics' | grep -q 'fairbid_config_reloads_total{result=\"failed\"} 1'"

# reload under load: no request fails while the snapshot is swapped
cp "$SRC/deploy/fairbid.json" "$T/cfg.json"
( for i in $(seq 1 300); do curl -s -o /dev/null -w '%{http_code}\n' --data-binary @"$REQ" "$FB_URL/openrtb2/bid"; done >"$T/codes.txt" ) &
loader=$!
# each reload is waited for (the generation gauge), so the 20 swaps really happen while the requests run
gen=$(curl -s "$FB_URL/metrics" | awk '$1 == "fairbid_config_generation" {print $2}')
reloaded=0
for i in $(seq 1 20); do
  kill -HUP "$FB_PID"
  wait_for sh -c "curl -s '$FB_URL/metrics' | grep -q '^fairbid_config_generation $((gen + i))\$'" && reloaded=$((reloaded + 1))
done
check "20 reloads applied while the requests ran ($reloaded), the loader still running after them" \
  sh -c "[ $reloaded -eq 20 ] && kill -0 $loader"
wait $loader
expect_eq "300 requests during 20 reloads all answered 200" 300 "$(grep -c '^200$' "$T/codes.txt")"

# SIGTERM: requests in flight complete, then exit 0. 20 requests are half sent; SIGTERM; the second halves go
# only once the drain has begun, which is when the server stops accepting (every worker closes its listening
# socket as it starts draining: a connect is refused). So every one of them was in flight during the drain.
python3 - "$FB_PORT" "$REQ" "$T/halfsent" >"$T/drain.log" 2>&1 <<'PY' &
import os, socket, sys, threading, time
port, req = int(sys.argv[1]), open(sys.argv[2], "rb").read()
codes = []
sent = threading.Semaphore(0)
go = threading.Event()
def one():
    s = socket.create_connection(("127.0.0.1", port))
    head = b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(req)
    s.sendall(head + req[: len(req) // 2])
    sent.release()
    go.wait()
    s.sendall(req[len(req) // 2 :])
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    codes.append(data.split(b" ")[1].decode() if data else "none")
ts = [threading.Thread(target=one) for _ in range(20)]
[t.start() for t in ts]
[sent.acquire() for t in ts]
open(sys.argv[3], "w").write("sent")   # every request is half sent: SIGTERM now
# the drain has begun once a connect is refused; polled here, every millisecond, so the second halves follow
# at once. drain.log (a .log: the harness prints it when the test fails) keeps the codes and, on its second line,
# how long the drain took to begin and the requests to be answered, the evidence of a failure under load
t0 = time.monotonic()
deadline, draining = time.monotonic() + 10, False
while not draining and time.monotonic() < deadline:
    s = socket.socket()
    draining = s.connect_ex(("127.0.0.1", port)) != 0
    s.close()
    if not draining: time.sleep(0.001)
print("draining" if draining else "never-draining", end=" ")
go.set()
t1 = time.monotonic()
[t.join() for t in ts]
print(" ".join(codes))
print("# drain began %.3f s after the half sends; answered %.3f s after it" % (t1 - t0, time.monotonic() - t1))
PY
drainer=$!
wait_for test -s "$T/halfsent"
kill -TERM "$FB_PID"
wait "$FB_PID"
rc=$?
wait $drainer
expect_eq "exit code 0 after SIGTERM" 0 "$rc"
check "the drain began (connections refused) while the 20 requests were half sent" grep -q '^draining ' "$T/drain.log"
expect_eq "20 in-flight requests all answered 200" 20 "$(tr ' ' '\n' <"$T/drain.log" | grep -c '^200$')"
check "shutdown logged" grep -q "stopped" "$FB_LOG"
check "port closed after exit" sh -c "! curl -s -o /dev/null '$FB_URL/healthz'"

# an idle instance stops on SIGTERM (its workers sleep in epoll_wait and must be woken; unwoken they never
# stop). The bound is the drain's own cap (DRAIN_MAX_MS, 10 s), a contract; how fast it stops is a benchmark
# (bench/test_timings.sh).
fairbid_start "$SRC/deploy/fairbid.json"
kill -TERM "$FB_PID"
stopped() { ! kill -0 "$FB_PID" 2>/dev/null || grep -q stopped "$FB_LOG"; }
wait_for stopped
check "idle instance stopped before the drain cap (10 s)" stopped
wait "$FB_PID"
expect_eq "idle instance: exit 0 on SIGTERM" 0 "$?"

# a bad config at start: exit 2 and the message names file, line, campaign and key
printf '{\n "campaigns": [\n  {"id": "c9", "crid": "x", "formats": [{"w": 1, "h": 1}], "adm": "a",\n   "bid_cpm": 0}\n ]\n}\n' >"$T/bad.json"
"$BIN" serve --config "$T/bad.json" --listen 127.0.0.1:0 >"$T/bad.log" 2>&1
expect_eq "bad config: exit 2" 2 "$?"
check "bad config: message names file:line, campaign and key" grep -q 'bad.json:4: campaign \\"c9\\": key \\"bid_cpm\\"' "$T/bad.log"
"$BIN" check-config "$T/bad.json" >"$T/cc.txt" 2>&1
expect_eq "check-config: exit 1" 1 "$?"
check "check-config prints the error" grep -q 'bad.json:4: campaign "c9": key "bid_cpm"' "$T/cc.txt"
expect_eq "check-config of the sample: exit 0" 0 "$("$BIN" check-config "$SRC/deploy/fairbid.json" >/dev/null 2>&1; echo $?)"
finish
