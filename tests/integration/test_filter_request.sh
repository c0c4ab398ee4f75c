#!/usr/bin/env bash
# Filter mode's request side (issue 17) with the real binary: every request of the committed corpus (and of
# ../shared/data/openrtb-corpus when present) and recorded load-generator traffic is sent to
# POST /openrtb2/filter?upstream=ID for three upstreams (vendor consented, vendor rarely consented, no vendor
# id), and `fairbid filter` prints the same answers offline. An independent Python checker
# (tests/integration/filter_check.py: its own TC-string decoder, deploy/policy.json read directly) judges
# every answer: 0 personal fields forwarded where not allowed, 0 sensitive or vulnerability segments ever
# forwarded, the removed list complete, tmax the upstream's budget, what is not personal unchanged.
source "$(dirname "$0")/../harness/lib.sh"
C=$SRC/tests/data/openrtb-corpus
SHARED=$SRC/../shared/data/openrtb-corpus
LOADGEN=$BUILD/fairbid-loadgen
[ -x "$LOADGEN" ] || LOADGEN=$(dirname "$BIN")/fairbid-loadgen

# default (strict) tcf_mode: fairbid-loadgen's TC strings are valid TCF 2.2 (service-specific), so the generated
# GDPR requests reach the vendor rules this test is about
cat >"$T/cfg.json" <<'JSON'
{
  "campaigns": [],
  "tcf_vendor_id": 1000,
  "tmax_margin_ms": 10,
  "upstreams": [
    {"id": "a", "url": "http://127.0.0.1:9/openrtb2/bid", "tcf_vendor_id": 1000, "timeout_ms": 80},
    {"id": "b", "url": "http://127.0.0.1:9/openrtb2/bid", "tcf_vendor_id": 2000, "timeout_ms": 30},
    {"id": "c", "url": "http://localhost:9/openrtb2/bid"}
  ]
}
JSON
fairbid_start "$T/cfg.json"
CHECK=(python3 "$SRC/tests/integration/filter_check.py" --config "$T/cfg.json" --policy "$SRC/deploy/policy.json")

# 1. the corpora through the endpoint
files=("$C"/valid/*.json "$C"/invalid/*)
check "committed corpus via /openrtb2/filter: the checker finds no violation" \
  "${CHECK[@]}" --url "$FB_URL" --min 200 "${files[@]}"
# ../shared's copy is the source of the committed one: checked only where it differs (a user's clone has none,
# and the tests may not need it)
differs=0
for d in valid invalid; do
  if [ -d "$SHARED/$d" ] && ! diff -rq "$SHARED/$d" "$C/$d" >/dev/null 2>&1; then differs=1; fi
done
if [ $differs -eq 1 ]; then
  check "../shared corpus (differs from the committed copy) via /openrtb2/filter: no violation" \
    "${CHECK[@]}" --url "$FB_URL" --min 200 "$SHARED"/valid/*.json "$SHARED"/invalid/*
else
  echo "# ../shared/data/openrtb-corpus: absent or identical to tests/data/openrtb-corpus (checked above)"
fi

# 2. the load generator's traffic (GDPR with TC strings, GPP, opt-outs, minors, COPPA, segments of every class),
# recorded by a small server, then through the endpoint
if [ -x "$LOADGEN" ]; then
  RP=$(free_port)
  python3 - "$RP" "$T/traffic.jsonl" >"$T/recorder.log" 2>&1 <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), open(sys.argv[2], "wb")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        b = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if b"\n" not in b:
            out.write(b + b"\n"); out.flush()
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  PIDS+=($!)
  wait_for python3 -c "import socket; socket.create_connection(('127.0.0.1', $RP))" || die "recorder did not start"
  "$LOADGEN" --target "http://127.0.0.1:$RP/openrtb2/bid" --max --connections 2 --requests 2500 --duration 20s \
    --warmup 200ms --gdpr-share 0.4 --vendor-id 1000 --vendor-share 0.7 --purpose-share 0.7 --minor-share 0.1 \
    --coppa-share 0.05 --gpc-share 0.05 --sensitive-consent-share 0 \
    --segments ordinary=0.5,demographic=0.3,health=0.3,politics=0.2,religion=0.2,ethnicity=0.2,financial_hardship=0.2,addiction=0.3,minor=0.2 \
    >"$T/loadgen.log" 2>&1
  n=$(wc -l <"$T/traffic.jsonl")
  check "recorded $n generated requests (want >= 2000)" test "$n" -ge 2000
  segs=$(grep -c '"segtax"' "$T/traffic.jsonl")
  check "the traffic carries segments ($segs requests)" test "$segs" -ge 500
  # --min-gdpr-personal: GDPR requests answered with personal data allowed (upstream a's vendor consented), so
  # the TCF vendor and purpose rules were reached (TC strings strict mode refuses would give 0)
  check "generated traffic via /openrtb2/filter: no violation, >= 50 GDPR answers with personal data allowed" \
    "${CHECK[@]}" --url "$FB_URL" --min 1000 --min-gdpr-personal 50 --lines "$T/traffic.jsonl"
else
  skip "fairbid-loadgen not built: generated traffic not checked"
fi

# 3. the CLI prints the same answers offline (and the checker judges them too)
mkdir -p "$T/cli"
# one process per upstream over the whole corpus (--out-dir: each answer, the bytes a one-file run prints, to
# its own file, and its exit status beside it); it was one process per request and upstream, ~1000 starts (each
# loading the config and the policy), which under ASan on a loaded machine took the test to ctest's 300 s
# timeout. The one-file form (stdout and exit status) is checked against it below on a sample.
cli_pids=()
for up in a b c; do
  mkdir -p "$T/cli/$up"
  "$BIN" filter --config "$T/cfg.json" --upstream "$up" --out-dir "$T/cli/$up" "$C"/valid/*.json "$C"/invalid/* \
    2>"$T/cli/$up.err" &
  cli_pids+=($!)
done
cli_rc=0
for p in "${cli_pids[@]}"; do wait "$p" || cli_rc=1; done # (not a bare wait: the test's servers run in the background too)
expect_eq "fairbid filter --out-dir wrote every answer and status (exit 0)" 0 "$cli_rc"
# the one-file form gives the same bytes and exit status as --out-dir: every 10th request, each upstream
one_diff=0
one_n=0
i=0
for f in "$C"/valid/*.json "$C"/invalid/*; do
  i=$((i + 1))
  [ $((i % 10)) = 1 ] || continue
  b=$(basename "$f")
  for up in a b c; do
    "$BIN" filter --config "$T/cfg.json" --upstream "$up" "$f" >"$T/one.out" 2>/dev/null
    st=$?
    one_n=$((one_n + 1))
    if ! cmp -s "$T/one.out" "$T/cli/$up/$b" || [ "$st" != "$(cat "$T/cli/$up/$b.status")" ]; then
      one_diff=$((one_diff + 1))
      [ $one_diff -le 3 ] && echo "# one-file run differs from --out-dir: $up $b (exit $st)"
    fi
  done
done
expect_eq "fairbid filter REQUEST.json == its --out-dir answer and status ($one_n runs)" 0 "$one_diff"
check "fairbid filter over the committed corpus: no violation" \
  "${CHECK[@]}" --cli-dir "$T/cli" --min 200 "$C"/valid/*.json "$C"/invalid/*
# the same bytes as the endpoint's answers
same=0
diff=0
for f in "$C"/valid/*.json; do
  b=$(basename "$f")
  curl -s --max-time 5 -X POST --data-binary @"$f" "$FB_URL/openrtb2/filter?upstream=a" >"$T/ep.json"
  if cmp -s "$T/ep.json" <(head -c "$(stat -c %s "$T/ep.json")" "$T/cli/a/$b") &&
    [ "$(($(stat -c %s "$T/cli/a/$b") - $(stat -c %s "$T/ep.json")))" -eq 1 ]; then
    same=$((same + 1))
  else
    diff=$((diff + 1))
    [ $diff -le 3 ] && echo "# differs: $b"
  fi
done
expect_eq "CLI answer == endpoint answer for every valid corpus request ($same same)" 0 "$diff"

# 4. the endpoint's own contract
s=$(curl -s -o "$T/e.json" -w '%{http_code}' -X POST --data-binary @"$C/valid/$(ls "$C/valid" | head -1)" \
  "$FB_URL/openrtb2/filter?upstream=nope")
check "unknown upstream: 404 with a JSON error ($s)" test "$s" == 404 -a -n "$(json_get "$T/e.json" 'd["error"]')"
s=$(curl -s -o /dev/null -w '%{http_code}' "$FB_URL/openrtb2/filter?upstream=a")
expect_eq "GET /openrtb2/filter: 405" 405 "$s"
printf '{"id":"r","imp":[{"id":"1"}],"regs":{"coppa":1},"user":{"buyeruid":"B-secret"},"device":{"ip":"198.51.100.9"}}' >"$T/k.json"
curl -s -X POST --data-binary @"$T/k.json" "$FB_URL/openrtb2/filter?upstream=a" >"$T/k.out"
check "COPPA: buyeruid removed with reason minor.coppa" \
  test "$(json_get "$T/k.out" '[r["reason"] for r in d["removed"] if r["path"]=="user.buyeruid"]')" == "['minor.coppa']"
check "COPPA: the forwarded body has no buyeruid and a /24 ip" \
  test "$(json_get "$T/k.out" '("buyeruid" not in d["request"]["user"], d["request"]["device"]["ip"])')" == "(True, '198.51.100.0')"
# regs.ext.coppa = 1 against regs.coppa = 0: the conflict restricts (COPPA applies), the detail names the ext copy
printf '{"id":"r","imp":[{"id":"1"}],"regs":{"coppa":0,"ext":{"coppa":1}},"user":{"buyeruid":"B-secret"}}' >"$T/x.json"
curl -s -X POST --data-binary @"$T/x.json" "$FB_URL/openrtb2/filter?upstream=a" >"$T/x.out"
check "regs.ext.coppa 1: buyeruid removed with reason minor.coppa (regs.ext.coppa = 1)" \
  test "$(json_get "$T/x.out" '([r["reason"] for r in d["removed"] if r["path"]=="user.buyeruid"], d["detail"])')" == "(['minor.coppa'], 'regs.ext.coppa = 1')"
# the checker is not vacuous: answers doctored to leak are caught
mkdir -p "$T/bad/a" "$T/bad/b" "$T/bad/c"
cp "$T/k.json" "$T/bad/k.json"
python3 - "$T/k.out" "$T/bad/a/k.json" <<'PY'
import json, sys
t = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(t.replace('"user":{}', '"user":{"BuyerUid":"B-secret"}'))
PY
echo 0 >"$T/bad/a/k.json.status"
printf '{"id":"r","imp":[{"id":"1"}],"user":{"data":[{"ext":{"segtax":4},"segment":[{"id":"399"}]}]}}' >"$T/bad/v.json"
printf '{"upstream":"a","request":{"id":"r","tmax":80,"imp":[{"id":"1"}],"user":{"data":[{"ext":{"segtax":4},"segment":[{"id":"399"}]}]}},"removed":[],"reason":null,"tmax":80,"personal_data":true,"precise_geo":true}' >"$T/bad/a/v.json"
echo 0 >"$T/bad/a/v.json.status"
"${CHECK[@]}" --cli-dir "$T/bad" "$T/bad/k.json" >"$T/neg1.log" 2>&1
expect_eq "negative control: a forwarded buyeruid (in another case) is a violation" "1 1" "$? $(grep -c "VIOLATION.*user.buyeruid" "$T/neg1.log")"
"${CHECK[@]}" --cli-dir "$T/bad" "$T/bad/v.json" >"$T/neg2.log" 2>&1
expect_eq "negative control: a forwarded addiction segment is a violation" "1 1" "$? $(grep -c "VIOLATION.*addiction" "$T/neg2.log")"
# ... and it reads ids as a bidder may: an addiction segment written "0399", a device.ext string under COPPA
printf '{"id":"r","imp":[{"id":"1"}],"user":{"data":[{"ext":{"segtax":4},"segment":[{"id":" 0399"}]}]}}' >"$T/bad/w.json"
printf '{"upstream":"a","request":{"id":"r","tmax":80,"imp":[{"id":"1"}],"user":{"data":[{"ext":{"segtax":4},"segment":[{"id":" 0399"}]}]}},"removed":[],"reason":null,"tmax":80,"personal_data":true,"precise_geo":true}' >"$T/bad/a/w.json"
echo 0 >"$T/bad/a/w.json.status"
"${CHECK[@]}" --cli-dir "$T/bad" "$T/bad/w.json" >"$T/neg3.log" 2>&1
expect_eq "negative control: a forwarded addiction segment written ' 0399' is a violation" "1 1" "$? $(grep -c "VIOLATION.*addiction" "$T/neg3.log")"
printf '{"id":"r","imp":[{"id":"1"}],"regs":{"coppa":1},"device":{"ext":"ifa=X"}}' >"$T/bad/x.json"
printf '{"upstream":"a","request":{"id":"r","tmax":80,"imp":[{"id":"1"}],"regs":{"coppa":1},"device":{"ext":"ifa=X"}},"removed":[],"reason":"minor.coppa","tmax":80,"personal_data":false,"precise_geo":false}' >"$T/bad/a/x.json"
echo 0 >"$T/bad/a/x.json.status"
"${CHECK[@]}" --cli-dir "$T/bad" "$T/bad/x.json" >"$T/neg4.log" 2>&1
expect_eq "negative control: a forwarded device.ext string under COPPA is a violation" "1 yes" "$? $(grep -q "VIOLATION.*'device.ext'" "$T/neg4.log" && echo yes)"

# 5. ids in other spellings and members of other shapes, through the endpoint: the checker (its own reading
# of ids) finds no violation, and the spelled-otherwise segments are listed as removed
mkdir -p "$T/odd"
seg='"data":[{"ext":{"segtax":4},"segment":[{"id":"0399"},{"id":" 381"},{"id":"399 "},{"id":"+399"},{"id":"399.0"},{"id":"3.99e2"},{"id":"399abc"},{"id":"-1"},{"id":"1"}]},{"ext":{"segtax":7},"segment":[{"id":"rm3sit"},{"id":"ABC123"}]}]'
printf '{"id":"o1","imp":[{"id":"1"}],"regs":{"gdpr":0},"user":{%s}}' "$seg" >"$T/odd/o1.json"
printf '{"id":"o2","imp":[{"id":"1"}],"regs":{"coppa":1},"user":{%s},"device":{"ua":"UA","ext":"ifa=X","geo":{"lat":1}}}' "$seg" >"$T/odd/o2.json"
# (a user.ext string is a privacy signal fairbid cannot read: not forwarded at all)
printf '{"id":"o4","imp":[{"id":"1"}],"regs":{"coppa":1},"user":{"ext":"uid=U"}}' >"$T/odd/o4.json"
printf '{"id":"o3","imp":[{"id":"1"}],"regs":{"gdpr":0},"user":{"ext":{"data":[{"ext":{"segtax":4},"segment":[{"id":"00399"}]}]},%s}}' "$seg" >"$T/odd/o3.json"
check "ids in other spellings, members of other shapes via /openrtb2/filter: no violation" \
  "${CHECK[@]}" --url "$FB_URL" --min 9 "$T"/odd/*.json
curl -s -X POST --data-binary @"$T/odd/o1.json" "$FB_URL/openrtb2/filter?upstream=a" >"$T/o1.out"
expect_eq "the 7 spellings of 399/381 and the unreadable ids are removed, 1 and ABC123 stay" \
  "9 [{'id': '1'}] [{'id': 'ABC123'}]" \
  "$(json_get "$T/o1.out" 'sum("segment" in r["path"] for r in d["removed"]), d["request"]["user"]["data"][0]["segment"], d["request"]["user"]["data"][1]["segment"]' | tr -d '(),')"
curl -s -X POST --data-binary @"$T/odd/o2.json" "$FB_URL/openrtb2/filter?upstream=a" >"$T/o2.out"
check "COPPA: a device.ext string is removed" \
  test "$(json_get "$T/o2.out" '("ext" in d["request"]["device"], [r["reason"] for r in d["removed"] if r["path"]=="device.ext"])')" == "(False, ['minor.coppa'])"
curl -s -X POST --data-binary @"$T/odd/o4.json" "$FB_URL/openrtb2/filter?upstream=a" >"$T/o4.out"
check "a user.ext string: not forwarded (consent.malformed)" \
  test "$(json_get "$T/o4.out" '(d["request"], d["reason"])')" == "(None, 'consent.malformed')"

# 6. gzip bodies, as /openrtb2/bid takes them: the same answer as the plain body; a second member or trailing
# bytes 400; more than max_body once inflated 413; another encoding 415
gzip -c "$T/k.json" >"$T/k.gz"
curl -s -X POST --data-binary @"$T/k.gz" -H 'Content-Encoding: gzip' "$FB_URL/openrtb2/filter?upstream=a" >"$T/kgz.out"
check "gzip body: the same answer as the plain one" cmp -s "$T/k.out" "$T/kgz.out"
cat "$T/k.gz" "$T/k.gz" >"$T/k2.gz"
s=$(curl -s -o "$T/e2.json" -w '%{http_code}' -X POST --data-binary @"$T/k2.gz" -H 'Content-Encoding: gzip' "$FB_URL/openrtb2/filter?upstream=a")
check "gzip with a second member: 400 naming it ($s)" test "$s" == 400 -a -n "$(grep -o 'second gzip member' "$T/e2.json")"
{ cat "$T/k.gz"; printf 'x'; } >"$T/k3.gz"
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/k3.gz" -H 'Content-Encoding: gzip' "$FB_URL/openrtb2/filter?upstream=a")
expect_eq "gzip with a trailing byte: 400" 400 "$s"
python3 -c "import gzip,sys; sys.stdout.buffer.write(gzip.compress(b' ' * (8 << 20)))" >"$T/bomb.gz"
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/bomb.gz" -H 'Content-Encoding: gzip' "$FB_URL/openrtb2/filter?upstream=a")
expect_eq "gzip bomb (8 MiB of blanks in $(stat -c %s "$T/bomb.gz") bytes): 413" 413 "$s"
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/k.json" -H 'Content-Encoding: gzip' "$FB_URL/openrtb2/filter?upstream=a")
expect_eq "Content-Encoding gzip on a body that is not gzip: 400" 400 "$s"
s=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$T/k.json" -H 'Content-Encoding: br' "$FB_URL/openrtb2/filter?upstream=a")
expect_eq "Content-Encoding br: 415" 415 "$s"
check "fairbid still alive" curl -sf -o /dev/null "$FB_URL/healthz"
finish
