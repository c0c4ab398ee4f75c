#!/usr/bin/env bash
# Every Redis link (bidder/store/link.h) against a real redis-server that requires a password: a wrong password
# or a SELECT of a database that does not exist fails each link with a message naming the URL (never the
# password) and /readyz says not_ready; the right URL brings every link up (/readyz lists them); a paused
# Redis (CLIENT PAUSE) makes the consent-store and audit links time out and recover instead of hanging.
source "$(dirname "$0")/../harness/lib.sh"
cp "$SRC/deploy/policy.json" "$T/policy.json"
cat >"$T/cfg.json" <<'J'
{"currency":"USD","tcf_vendor_id":1000,"policy":"policy.json","audit_sample_rate":1.0,"campaigns":[
 {"id":"health-seg","crid":"c","bid_cpm":2,"formats":[{"w":300,"h":250}],"adm":"x","targeting":{"segments":[{"segtax":4,"ids":["383"]}]}},
 {"id":"ctx","crid":"c","bid_cpm":1,"formats":[{"w":300,"h":250}],"adm":"x"}]}
J
req() {
  cat >"$T/req.json" <<J
{"id":"$1","imp":[{"id":"imp-1","banner":{"w":300,"h":250}}],"site":{"id":"s","cat":["286"]},
 "user":{"buyeruid":"u-1","yob":1980,"data":[{"name":"acme-data","ext":{"segtax":4},"segment":[{"id":"383"}]}]}}
J
}
stop_fb() { kill "$FB_PID" 2>/dev/null; wait "$FB_PID" 2>/dev/null; }
redis_start
PW=s3cret-pw
redis-cli -p "$REDIS_PORT" CONFIG SET requirepass "$PW" >/dev/null || die "CONFIG SET requirepass"
RC=(redis-cli -p "$REDIS_PORT" -a "$PW" --no-auth-warning)
LINKS="consent-store mirror-sub mirror-cmd fairness audit"

# 1. a wrong password fails every link, with the URL and without the password
FB_START_WAIT=healthz fairbid_start "$T/cfg.json" --redis "redis://:wrong-pw@127.0.0.1:$REDIS_PORT/0"
# The consent mirror's two links (mirror-sub, mirror-cmd) fail and restart as a pair: when one is refused the
# mirror closes both and resyncs, so the other may never get its own answer; each of the other links, and the
# mirror as a pair, must report the refusal with the URL and the command.
link_re() { case $1 in mirror-sub | mirror-cmd) echo "mirror-(sub|cmd)" ;; *) echo "$1" ;; esac; }
for l in $LINKS; do
  wait_for grep -qE "redis: handshake refused.*link=$(link_re "$l") url=redis://\*\*\*@127.0.0.1:$REDIS_PORT/0 command=AUTH" "$FB_LOG" &&
    ok "wrong password: link $l fails, the log names the URL and AUTH" || not_ok "wrong password: link $l"
done
check "the password is never logged" sh -c "! grep -q wrong-pw '$FB_LOG'"
curl -s --max-time 2 "$FB_URL/readyz" >"$T/readyz.json"
expect_eq "wrong password: /readyz not_ready" not_ready "$(json_get "$T/readyz.json" 'd["status"]')"
expect_eq "wrong password: no link up" 0 "$(json_get "$T/readyz.json" 'sum(v=="up" for v in d["redis_links"].values())')"
stop_fb
"$BIN" audit tail --redis "redis://:wrong-pw@127.0.0.1:$REDIS_PORT/0" --count 1 >"$T/cli.out" 2>"$T/cli.err"
expect_eq "CLI with a wrong password: exit 1" 1 "$?"
check "CLI names AUTH refused and the URL without the password" grep -q "redis redis://\*\*\*@127.0.0.1:$REDIS_PORT/0: AUTH refused" "$T/cli.err"

# 2. a database that does not exist (16 by default)
FB_START_WAIT=healthz fairbid_start "$T/cfg.json" --redis "redis://:$PW@127.0.0.1:$REDIS_PORT/99"
wait_for grep -q "redis: handshake refused.*link=consent-store url=redis://\*\*\*@127.0.0.1:$REDIS_PORT/99 command=SELECT error=\"[^\"]*DB index is out of range" "$FB_LOG" &&
  ok "SELECT of a missing database fails the link, naming SELECT and the error" || not_ok "SELECT of a missing database"
expect_eq "missing database: /readyz not_ready" not_ready "$(curl -s --max-time 2 "$FB_URL/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')"
stop_fb

# 3. the right URL: every link up and listed by /readyz and /metrics
fairbid_start "$T/cfg.json" --redis "redis://:$PW@127.0.0.1:$REDIS_PORT/0"
curl -s --max-time 2 "$FB_URL/readyz" >"$T/readyz.json"
expect_eq "right password: every link up" "audit=up consent-store=up fairness=up mirror-cmd=up mirror-sub=up" \
  "$(json_get "$T/readyz.json" '" ".join(k+"="+v for k,v in sorted(d["redis_links"].items()))')"
curl -s "$FB_URL/metrics" >"$T/metrics.txt"
check "metrics: fairbid_redis_link_up per link" grep -q 'fairbid_redis_link_up{link="audit"} 1' "$T/metrics.txt"
check "metrics: reconnects per link" grep -q 'fairbid_redis_link_reconnects_total{link="fairness"} [1-9]' "$T/metrics.txt"

# 4. Redis paused: the links time out (no hang) and recover when it answers again
req paused-1
"${RC[@]}" CLIENT PAUSE 3000 ALL >/dev/null || die "CLIENT PAUSE"
expect_eq "while paused the bid still answers" 200 "$(post "$T/req.json")"
wait_for grep -q "redis link down.*link=consent-store.*command timeout" "$FB_LOG" &&
  ok "paused Redis: the consent-store heartbeat times out" || not_ok "consent-store link timeout"
wait_for grep -q "redis link down.*link=audit.*command timeout" "$FB_LOG" &&
  ok "paused Redis: the audit drain times out instead of stalling" || not_ok "audit link timeout"
t0=$(date +%s%N)
curl -s --max-time 2 "$FB_URL/readyz" >/dev/null
t1=$(date +%s%N)
echo "# /readyz took $(((t1 - t0) / 1000000)) ms while paused"
check "/readyz answers within 500 ms while Redis is paused" test $(((t1 - t0) / 1000000)) -lt 500
wait_for fairbid_ready "$FB_URL" && ok "ready again after the pause" || not_ok "ready again after the pause"
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"audit\":\"up\"'" && ok "audit link up again" || not_ok "audit link up again"
req after-pause-2
expect_eq "bid after the pause" 200 "$(post "$T/req.json")"
wait_for sh -c "'$BIN' audit tail --redis 'redis://:$PW@127.0.0.1:$REDIS_PORT/0' --count 20 | grep -q after-pause-2" &&
  ok "the audit drain writes again after the pause" || not_ok "audit drain recovered"
stop_fb

# 5. a server that accepts TCP and never answers: every link times out its connect (AUTH unanswered) and keeps
# retrying without hanging; once a real Redis listens there, every link comes up
BH=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held=[]
while True:
    c,_=s.accept(); held.append(c)' "$BH" &
BH_PID=$!
PIDS+=("$BH_PID")
wait_for python3 -c "import socket; socket.create_connection(('127.0.0.1', $BH), 1)" || die "silent server did not start"
FB_START_WAIT=healthz fairbid_start "$T/cfg.json" --redis "redis://:$PW@127.0.0.1:$BH/0"
for l in $LINKS; do
  wait_for grep -qE "redis link down link=$(link_re "$l") .*connect timeout" "$FB_LOG" &&
    ok "silent server: link $l times out its connect" || not_ok "silent server: link $l connect timeout"
done
t0=$(date +%s%N)
curl -s --max-time 2 "$FB_URL/readyz" >"$T/readyz.json"
t1=$(date +%s%N)
expect_eq "silent server: /readyz not_ready" not_ready "$(json_get "$T/readyz.json" 'd["status"]')"
echo "# /readyz took $(((t1 - t0) / 1000000)) ms with a silent server"
check "silent server: /readyz answers within 500 ms" test $(((t1 - t0) / 1000000)) -lt 500
kill "$BH_PID"
wait "$BH_PID" 2>/dev/null
REDIS_PORT_WANT=$BH redis_start redis2
redis-cli -p "$BH" CONFIG SET requirepass "$PW" >/dev/null
wait_for fairbid_ready "$FB_URL" && ok "silent server replaced by Redis: ready" || not_ok "ready once Redis answers"
wait_for sh -c "curl -s '$FB_URL/readyz' | grep -q '\"fairness\":\"up\"'" && ok "fairness link up after the silent server" || not_ok "fairness link recovered"
finish
