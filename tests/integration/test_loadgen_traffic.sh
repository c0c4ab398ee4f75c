#!/usr/bin/env bash
# fairbid-loadgen's traffic and exchange simulation: seeded generation is reproducible; the TC and GPP strings
# it encodes decode to the intended fields with IAB's reference libraries; request files, JSON lines and gzip
# bodies are sent; against a stub bidder, --exchange counts bids and wins by campaign and group and calls every
# winning bid's nurl with ${AUCTION_PRICE} filled in.
SRC=${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/harness/lib.sh"
LG=${FAIRBID_BUILD_DIR:-$SRC/build}/fairbid-loadgen
[ -x "$LG" ] || die "fairbid-loadgen not built at $LG"

# 1. Reproducible: the same seed gives the same strings, another seed others.
"$LG" --dump-strings 300 --seed 7 >"$T/a.txt"
"$LG" --dump-strings 300 --seed 7 >"$T/b.txt"
"$LG" --dump-strings 300 --seed 8 >"$T/c.txt"
check "same --seed, same traffic" cmp -s "$T/a.txt" "$T/b.txt"
check "another --seed, other traffic" bash -c "! cmp -s '$T/a.txt' '$T/c.txt'"
check "both vendor encodings occur" bash -c "grep -q '\"encoding\":\"range\"' '$T/a.txt' && grep -q '\"encoding\":\"bitfield\"' '$T/a.txt'"

# 2. Against IAB's reference decoders (tests/interop/package.json pins them).
IDIR="$SRC/tests/interop"
if command -v node >/dev/null 2>&1; then
  if [ ! -d "$IDIR/node_modules/@iabtechlabtcf/core" ] || [ ! -d "$IDIR/node_modules/@iabgpp/cmpapi" ]; then
    (cd "$IDIR" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1
  fi
  "$LG" --dump-strings 4000 --gdpr-share 0.5 --gpp-share 0.8 --gpc-share 0.3 --minor-share 0.2 \
    | node "$IDIR/check_loadgen_strings.js" >"$T/interop.log" 2>&1
  rc=$?
  cat "$T/interop.log" | tail -5
  expect_eq "generated TC and GPP strings decode to the intended fields with IAB's libraries" 0 "$rc"
else
  not_ok "node is not installed (needed for the interop check)"
fi

# 3. A stub bidder: bids on 3 of 4 requests, nurl pointing back at itself.
python3 "$SRC/bench/loadgen_stub_server.py" --mode bid --price 1.2 --port-file "$T/bid.port" >"$T/bid.log" 2>&1 &
PIDS+=($!)
wait_for test -s "$T/bid.port" || die "bid stub did not start"
BASE="http://127.0.0.1:$(cat "$T/bid.port")"

timeout 30 "$LG" --target "$BASE/openrtb2/bid" --rate 400 --duration 1s --warmup 0 --connections 4 --exchange \
  --compete 'male=1.0,female=1.25' --compete-median 1.0 --groups male=0.5,female=0.5 --json "$T/ex.json" \
  >"$T/ex.out" 2>&1
expect_eq "exchange run exits 0" 0 "$?"
cat "$T/ex.out"
# the stub has counted every notice the loadgen saw answered (the condition, not a pause)
stub_counted() { curl -s "$BASE/stats" >"$T/stats.json" && [ "$(json_get "$T/stats.json" 'd["wins"]')" = "$(json_get "$T/ex.json" 'd["win_notices"]["ok"]')" ]; }
wait_for stub_counted
check "bids and no-bids are counted (3 bids to 1 no-bid)" python3 -c "
import json,sys; d=json.load(open('$T/ex.json'))
sys.exit(0 if d['bids']>0 and d['nobids']>0 and abs(d['bids']/(d['bids']+d['nobids'])-0.75)<0.05 else 1)"
check "wins are counted and every win notice reached the stub" python3 -c "
import json,sys; d=json.load(open('$T/ex.json')); s=json.load(open('$T/stats.json'))
n=d['win_notices']; sys.exit(0 if d['wins']>0 and n['ok']==d['wins'] and s['wins']==d['wins'] and n['failed']==0 else 1)"
check "wins by campaign and group; women's dearer impressions are won less often" python3 -c "
import json,sys; d=json.load(open('$T/ex.json')); c={r['campaign']:r['groups'] for r in d['by_campaign']}
assert set(c)=={'camp-a','camp-b'}, c
m=sum(g['male']['wins'] for g in c.values())/max(1,sum(g['male']['bids'] for g in c.values()))
f=sum(g['female']['wins'] for g in c.values())/max(1,sum(g['female']['bids'] for g in c.values()))
print('win rate male %.3f female %.3f' % (m, f)); sys.exit(0 if m > f > 0 else 1)"
check "the win notice carried the clearing price (first price: our bid)" python3 -c "
import json,sys; s=json.load(open('$T/stats.json')); sys.exit(0 if 'p=1.200000&imp=1&c=camp-' in s.get('last_win','') else 1)"

# 4. Files: a directory of JSON requests, JSON lines, gzip bodies.
CORPUS=$(cd "$SRC/.." && pwd)/shared/data/openrtb-corpus/valid
if [ -d "$CORPUS" ]; then
  timeout 30 "$LG" --target "$BASE/openrtb2/bid" --max --requests 200 --duration 5s --warmup 0 --connections 2 \
    --requests-dir "$CORPUS" --json "$T/dir.json" >"$T/dir.out" 2>&1
  expect_eq "--requests-dir run exits 0" 0 "$?"
  check "--requests-dir: 200 answered, none malformed (400)" python3 -c "
import json,sys; d=json.load(open('$T/dir.json')); sys.exit(0 if d['requests']==200 and '400' not in d['status'] else 1)"
fi
"$LG" --dump-strings 1 >/dev/null
python3 - "$T/lines.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(50):
        f.write(json.dumps({"id": "r%d" % i, "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}],
                            "user": {"gender": "F" if i % 2 else "M"}}) + "\n")
PY
timeout 30 "$LG" --target "$BASE/openrtb2/bid" --max --requests 100 --duration 5s --warmup 0 --connections 2 \
  --requests-file "$T/lines.jsonl" --gzip --json "$T/lines.json" >"$T/lines.out" 2>&1
expect_eq "--requests-file --gzip run exits 0" 0 "$?"
check "--requests-file --gzip: 100 answered" python3 -c "
import json,sys; d=json.load(open('$T/lines.json')); sys.exit(0 if d['requests']==100 and d['errors']['parse']==0 else 1)"
"$LG" --target "$BASE/" --max --duration 1s --requests-file /nonexistent.jsonl >/dev/null 2>"$T/nofile.err"
expect_eq "a missing requests file is a usage error" 2 "$?"
check "that error names the file" grep -q /nonexistent.jsonl "$T/nofile.err"
finish
