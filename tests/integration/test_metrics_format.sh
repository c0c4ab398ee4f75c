#!/usr/bin/env bash
# /metrics is valid Prometheus text (issue 16): every sample belongs to a family announced by both a HELP and a
# TYPE line before its samples, a family's lines are together, and a campaign id holding a double quote and a
# backslash (label values come from config) is escaped so the scrape parses and the id comes back unchanged.
# Parsed twice: by the strict checker below and, when installed (Debian python3-prometheus-client), by the
# reference parser. Also: the removed evhttp transport is a config error that says what to do.
source "$(dirname "$0")/../harness/lib.sh"
REQ=$SRC/deploy/sample-request.json
python3 - "$SRC/deploy/fairbid.json" "$T/cfg.json" <<'PY'
import copy, json, os, sys
d = json.load(open(sys.argv[1]))
d["policy"] = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), d["policy"])
d["threads"] = 2
c = copy.deepcopy(d["campaigns"][0])
c["id"] = 'q"b\\s'          # the id is: q " b \ s
c["cap"] = {"bids": 1000, "period_s": 86400}
c["fairness"] = {"attribute": "gender", "window_s": 10, "max_boost": 1.5, "min_eligible": 50, "balance": "bids"}
d["campaigns"].append(c)
json.dump(d, open(sys.argv[2], "w"))
PY
# with Redis, so the consent mirror's, fairness sync's and audit's families are in the scrape too
redis_start
fairbid_start "$T/cfg.json" --redis "$REDIS_URL"
for i in 1 2 3; do
  curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary "@$REQ" "$FB_URL/openrtb2/bid"
done
curl -s -o /dev/null "$FB_URL/no-such-path"
curl -sf "$FB_URL/metrics" >"$T/metrics.txt" || die "GET /metrics failed"

# the reference parser may be installed for the system python only (the Debian package)
PYP=python3
for py in python3 /usr/bin/python3; do
  "$py" -c 'import prometheus_client' 2>/dev/null && { PYP=$py; break; }
done
"$PYP" - "$T/metrics.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
fails = 0
def ok(cond, what):
    global fails
    print(("ok - " if cond else "not ok - ") + what)
    if not cond: fails += 1

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LVAL = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(?:%s=%s)(?:,%s=%s)*\})? (\S+)$" % (NAME, NAME, LVAL, NAME, LVAL))
help_, type_, seen_done, bad, orphans, split = {}, {}, set(), [], [], []
current = None
def family_of(name):
    for suf in ("_bucket", "_sum", "_count"):
        if name.endswith(suf) and type_.get(name[: -len(suf)]) == "histogram":
            return name[: -len(suf)]
    return name
for ln in text.split("\n")[:-1]:
    m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, ln)
    if m:
        kind, name, rest = m.groups()
        (help_ if kind == "HELP" else type_)[name] = rest
        if name != current:
            if current: seen_done.add(current)
            if name in seen_done: split.append(name)
            current = name
        continue
    m = SAMPLE.match(ln)
    if not m:
        bad.append(ln)
        continue
    fam = family_of(m.group(1))
    if fam not in help_ or fam not in type_: orphans.append(ln)
    elif fam != current: split.append(fam)
ok(text.endswith("\n") and len(text) > 1000, "the scrape is a non-empty text ending in a newline")
ok(not bad, "every line is a comment or a well-formed sample (first bad: %r)" % (bad[:1],))
ok(not orphans, "every sample's family has HELP and TYPE before it (first: %r)" % (orphans[:1],))
ok(not split, "each family's lines are together (first split: %r)" % (split[:1],))
ok(set(help_) == set(type_), "HELP and TYPE name the same families (%r)" % (set(help_) ^ set(type_),))
ok(all(t in ("counter", "gauge", "histogram") for t in type_.values()), "every TYPE is counter, gauge or histogram")
for fam in ("fairbid_cap_tokens", "fairbid_cap_spent_total", "fairbid_cap_leased_total", "fairbid_cap_exhausted",
            "fairbid_cap_limit", "fairbid_fair_impact_ratio", "fairbid_fair_tvd", "fairbid_fair_level_down",
            "fairbid_fair_boost", "fairbid_http_requests_total", "fairbid_request_duration_seconds",
            "fairbid_consent_mirror_records", "fairbid_consent_mirror_state", "fairbid_consent_mirror_digest_info",
            "fairbid_audit_records_total", "fairbid_policy_drops_total", "fairbid_fairness_syncs_total"):
    ok(fam in help_ and fam in type_, "%s has HELP and TYPE" % fam)
want = 'fairbid_cap_limit{campaign="q\\"b\\\\s"} 1000'
ok(want in text.split("\n"), "the quote and backslash in the campaign id are escaped: %s" % want)
ok(re.search(r'^fairbid_http_requests_total\{code="404"\} [1-9]', text, re.M), "404 counted under its own code")

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("# prometheus_client not installed (Debian python3-prometheus-client): reference parse skipped")
else:
    try:
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        ids = {s.labels.get("campaign") for s in fams["fairbid_cap_limit"].samples}
        ok('q"b\\s' in ids, "prometheus_client parses the scrape; the campaign id comes back as q\"b\\s (%r)" % ids)
        ok(all(f.type != "unknown" for f in fams.values()), "prometheus_client sees a type for every family")
    except Exception as e:
        ok(False, "prometheus_client parses the scrape: %r" % e)
sys.exit(1 if fails else 0)
PY
check "the scrape is valid Prometheus text with escaped labels" test $? -eq 0

# the evhttp transport is gone: a config or a flag asking for it fails with what to do, at start and on reload
python3 - "$T/cfg.json" "$T/evhttp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["http_server"] = "evhttp"; json.dump(d, open(sys.argv[2], "w"))
PY
out=$("$BIN" check-config "$T/evhttp.json" 2>&1)
check "check-config refuses http_server evhttp" test $? -ne 0
check "the error says evhttp was removed and to use native" grep -q 'evhttp.*was removed.*native' <<<"$out"
out=$(timeout 10 "$BIN" serve --config "$T/cfg.json" --listen 127.0.0.1:0 --http-server evhttp 2>&1)
rc=$?
check "serve --http-server evhttp exits with a config error (rc $rc)" test "$rc" -eq 2
check "serve names the removed transport" grep -q 'evhttp.*was removed' <<<"$out"

# on SIGHUP a config asking for evhttp is refused and the running config kept (reloads_total{result="failed"})
reloads_failed() { curl -s "$FB_URL/metrics" | awk '/^fairbid_config_reloads_total\{result="failed"\}/{print $2}'; }
reloads_failed_is() { [ "$(reloads_failed)" = "$1" ]; }
check "no failed reload yet" reloads_failed_is 0
cp "$T/evhttp.json" "$T/cfg.json"
kill -HUP "$FB_PID"
check "a reload to http_server evhttp is counted failed" wait_for reloads_failed_is 1
check "the log says why" wait_for grep -q 'reload failed.*evhttp.*was removed' "$FB_LOG"
check "still serving bids after the refused reload" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "@$REQ" "$FB_URL/openrtb2/bid")" -lt 500
finish
