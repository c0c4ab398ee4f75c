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
for i in $(seq 1 20); do kill -HUP "$FB_PID"; sleep 0.02; done
wait $loader
expect_eq "300 requests during 20 reloads all answered 200" 300 "$(grep -c '^200$' "$T/codes.txt")"

# SIGTERM: requests in flight complete, then exit 0
python3 - "$FB_PORT" "$REQ" "$T/halfsent" >"$T/drain.txt" 2>&1 <<'PY' &
import socket, sys, threading
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
import time; time.sleep(0.1)
go.set()
[t.join() for t in ts]
print(" ".join(codes))
PY
drainer=$!
wait_for test -s "$T/halfsent"
kill -TERM "$FB_PID"
wait "$FB_PID"
rc=$?
wait $drainer
expect_eq "exit code 0 after SIGTERM" 0 "$rc"
expect_eq "20 in-flight requests all answered 200" 20 "$(tr ' ' '\n' <"$T/drain.txt" | grep -c '^200$')"
check "shutdown logged" grep -q "stopped" "$FB_LOG"
check "port closed after exit" sh -c "! curl -s -o /dev/null '$FB_URL/healthz'"

# an idle instance stops promptly on SIGTERM (its workers sleep in epoll_wait and must be woken)
fairbid_start "$SRC/deploy/fairbid.json"
sleep 0.3
start_ms=$(date +%s%3N)
kill -TERM "$FB_PID"
wait "$FB_PID"
rc=$?
took=$(($(date +%s%3N) - start_ms))
expect_eq "idle instance: exit 0 on SIGTERM" 0 "$rc"
check "idle instance stopped within 2 s (took ${took} ms)" test "$took" -lt 2000

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
