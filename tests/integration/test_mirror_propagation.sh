#!/usr/bin/env bash
# Consent mirror propagation under load: N plain HSETs (optout=1, each to a user whose request bids with the
# personal-targeted campaign), time from the HSET's reply to the first decision that applies it, and no decision
# after that using the old record. Prints p50/p99/max; asserts only that every write applied (timings are
# reported, the bar p99 < 10 ms is judged in the report: CI machines are shared).
# MIRROR_PROP_N (default 1000) writes; MIRROR_PROP_RATE (default 500) background requests per second.
source "$(dirname "$0")/../harness/lib.sh"

N=${MIRROR_PROP_N:-1000}
RATE=${MIRROR_PROP_RATE:-500}
redis_start
python3 - "$SRC/deploy/fairbid.json" "$T/fairbid.json" <<'EOF'
import json, os, sys
c = json.load(open(sys.argv[1]))
if "policy" in c:
    pol = os.path.join(os.path.dirname(sys.argv[1]), c["policy"])
    if os.path.exists(pol):
        c["policy"] = os.path.abspath(pol)
    else:
        c.pop("policy")
json.dump(c, open(sys.argv[2], "w"))
EOF
fairbid_start "$T/fairbid.json" --redis "$REDIS_URL"
check "readyz ready" wait_for curl -sf "$FB_URL/readyz"

LG="$BUILD/fairbid-loadgen"
[ -x "$LG" ] || die "fairbid-loadgen not built at $LG (it is part of every build)"
"$LG" --target "$FB_URL/openrtb2/bid" --rate "$RATE" --duration 120s --warmup 0s --no-busy-poll --spin-us 0 \
  --connections 4 --json "$T/loadgen.json" >"$T/loadgen.log" 2>&1 &
LG_PID=$!
PIDS+=("$LG_PID")
echo "# background load: fairbid-loadgen --rate $RATE"
# the writes below happen under load: wait until its requests arrive
bids() { curl -s "$FB_URL/metrics" | awk '$1 == "fairbid_bid_requests_total" {print $2}'; }
B0=$(bids)
loaded() { [ "$(bids)" -ge $((B0 + 50)) ]; }
check "the background load is under way" wait_for loaded

python3 "$SRC/tests/integration/test_mirror_driver.py" propagate --url "$FB_URL" --redis-port "$REDIS_PORT" \
  --n "$N" >"$T/prop.json"
rc=$?
echo "# propagation: $(cat "$T/prop.json")"
check "every write applied, none reverted ($N writes)" test $rc -eq 0
# the contract: a write is honoured within consent_stale_ms (500 ms by default; past it without the write the
# instance would be in fail-safe, which also honours it). Measured from the HSET's reply to the sending of the
# last poll that still got the old record (old_sent_max_ms: that poll's decision came after it was sent); the
# round trip of the poll that saw the write (in max_ms, reported) is the driver's, not fairbid's: on a loaded
# machine (load average 8-22) a descheduled driver's round trips alone passed 550 ms. Slack 50 ms: timers.
check "every write honoured within consent_stale_ms (no old answer to a poll sent past $(json_get "$T/prop.json" 'd["old_sent_max_ms"]') ms <= 500 + 50; first new answer received by $(json_get "$T/prop.json" 'd["max_ms"]') ms)" \
  python3 -c "import json, sys; sys.exit(0 if json.load(open('$T/prop.json'))['old_sent_max_ms'] <= 550 else 1)"
expect_eq "mirror records" "$N" "$(curl -s "$FB_URL/metrics" | awk '$1 == "fairbid_consent_mirror_records" {print $2}')"
check "mirror == redis" "$BIN" consent digest --redis "$REDIS_URL" --compare "$FB_URL" --wait 3000
kill -INT "$LG_PID" 2>/dev/null
check "fairbid still alive" kill -0 "$FB_PID"
finish
