# Helpers for the fairness integration tests (sourced after tests/harness/lib.sh).
LG=${FAIRBID_BUILD_DIR:-$SRC/build}/fairbid-loadgen
[ -x "$LG" ] || die "fairbid-loadgen not built at $LG"
FORMATS='[{"w": 300, "h": 250}, {"w": 728, "h": 90}, {"w": 320, "h": 50}, {"w": 300, "h": 600}, {"w": 160, "h": 600}, {"w": 970, "h": 250}, {"w": 320, "h": 480}, {"w": 300, "h": 50}, {"w": 468, "h": 60}]'

# fair_config PORT CAMPAIGNS_JSON: a config listening on PORT whose win_url points back at it
fair_config() {
  cat <<J
{ "listen": "127.0.0.1:$1", "threads": 2, "currency": "USD", "tcf_vendor_id": 1000, "redis": "${REDIS_URL:-}",
  "win_url": "http://127.0.0.1:$1/win", "fairness_sync_ms": 100, "campaigns": $2 }
J
}

# campaign ID BID_CPM EXTRA_JSON
campaign() {
  echo "{\"id\": \"$1\", \"adomain\": [\"$1.example\"], \"crid\": \"cr-$1\", \"cat\": [\"1002\"], \"bid_cpm\": $2, $3 \"formats\": $FORMATS, \"adm\": \"<div>$1</div>\"}"
}

# fb_fleet N CAMPAIGNS_JSON: starts N instances; sets FLEET_PORTS, FLEET_PIDS, FLEET_TARGETS (loadgen args)
fb_fleet() {
  local n=$1 i p
  FLEET_PORTS=() FLEET_PIDS=() FLEET_TARGETS=()
  for i in $(seq 1 "$n"); do
    p=$(free_port)
    fair_config "$p" "$2" >"$T/fleet$i.json"
    "$BIN" serve --config "$T/fleet$i.json" >"$T/fairbid$i.$RANDOM.log" 2>&1 &
    FLEET_PIDS+=($!)
    PIDS+=($!)
    FLEET_PORTS+=("$p")
    FLEET_TARGETS+=(--target "http://127.0.0.1:$p/openrtb2/bid")
  done
  for p in "${FLEET_PORTS[@]}"; do
    wait_for fairbid_ready "http://127.0.0.1:$p" || die "fairbid on $p did not become ready"
  done
}

fb_fleet_stop() {
  local p
  # SIGKILL: a graceful drain is not what these tests measure (and tokens held are simply lost: safe side)
  for p in "${FLEET_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${FLEET_PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

# market OUT.json DURATION RATE: the simulated market: 60/40 eligible, competing prices 25% higher for women
market() {
  timeout 60 "$LG" "${FLEET_TARGETS[@]}" --rate "$3" --duration "$2" --warmup 0 --connections 8 --exchange \
    --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.6,female=0.4 --seed "$RANDOM" \
    --json "$1" >"$1.out" 2>&1
}

# window_figures LOADGEN.json CAMPAIGN: "IR_bids TVD_bids IR_wins TVD_wins bids wins" from the loadgen's
# counts. A group's eligible population is what the load generator sent for it and got answered in the window
# (by_group.*.answered): the test campaigns target nobody in particular, so every answered request was open to
# them, and it is measured outside fairbid (the server's own throttled counts would let a server bug cancel out).
window_figures() {
  python3 - "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); cid = sys.argv[2]
g = {r['campaign']: r['groups'] for r in d['by_campaign']}.get(cid, {})
gs = ['male', 'female']
el = {x: d['by_group'][x]['answered'] for x in gs}
if min(el.values()) <= 0:
    sys.exit('window_figures: a group has no answered requests: %s' % el)
out = []
for k in ('bids', 'wins'):
    dl = {x: g.get(x, {}).get(k, 0) for x in gs}
    rates = [dl[x] / el[x] for x in gs]
    ir = min(rates) / max(rates) if max(rates) > 0 else -1
    te, td = sum(el.values()), sum(dl.values())
    tvd = 0.5 * sum(abs(dl[x] / td - el[x] / te) for x in gs) if td else 1
    out += [ir, tvd]
print('%.4f %.4f %.4f %.4f %d %d' % (out[0], out[1], out[2], out[3], sum(g.get(x, {}).get('bids', 0) for x in gs), sum(g.get(x, {}).get('wins', 0) for x in gs)))
PY
}
