#!/usr/bin/env bash
# docs/metrics.md lists every metric family the binary can emit (issue 16), checked two ways by
# scripts/docs_metrics.py: against a real scrape (the binary with Redis; capped, fairness and budget campaigns and
# an upstream; after bids, so the server's, Redis links', mirror's, fairness's, caps', budgets', upstreams' and
# audit's families are there; types and label names compared too), and against every "fairbid_..." family name
# in bidder/'s source (families that appear only in some states or configs). A failure prints the rows to add;
# `scripts/docs-metrics.sh --update` adds them (FAIRBID_DOCS_METRICS_UPDATE=1 here, which that script sets).
source "$(dirname "$0")/../harness/lib.sh"
DOC=$SRC/docs/metrics.md
CHECK=$SRC/scripts/docs_metrics.py
REQ=$SRC/deploy/sample-request.json
# filter mode: one upstream on a loopback port where nothing listens (its calls fail: connect errors, down)
UP_PORT=$(free_port)
python3 - "$SRC/deploy/fairbid.json" "$T/cfg.json" "$UP_PORT" <<'PY'
import copy, json, os, sys
d = json.load(open(sys.argv[1]))
d["policy"] = os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), d["policy"])
d["threads"] = 2
c = copy.deepcopy(d["campaigns"][0])
c["id"] = "docs-capped-fair"
c["cap"] = {"bids": 1000, "period_s": 86400}
c["fairness"] = {"attribute": "gender", "window_s": 10, "max_boost": 1.5, "min_eligible": 50, "balance": "bids"}
d["campaigns"].append(c)
# a budgeted fairness campaign (the budget key comes with issue 20; a build without it ignores the key with a
# warning), so the budget families are in the scrape where they exist
b = copy.deepcopy(c)
b["id"] = "docs-budget-fair"
del b["cap"]
b["budget"] = {"amount": 5000.0, "period_s": 86400, "pacing": "even"}
d["campaigns"].append(b)
d["upstreams"] = [{"id": "docs-up", "url": "http://127.0.0.1:%s/openrtb2/bid" % sys.argv[3], "tcf_vendor_id": 1,
                   "timeout_ms": 50}]
json.dump(d, open(sys.argv[2], "w"))
PY
redis_start
fairbid_start "$T/cfg.json" --redis "$REDIS_URL"
for i in 1 2 3; do
  curl -s -o /dev/null -H 'Content-Type: application/json' --data-binary "@$REQ" "$FB_URL/openrtb2/bid"
done
# the fleet window shows the bids' groups once a fairness sync has pushed and read them back
scrape() { curl -sf "$FB_URL/metrics" >"$T/metrics.txt" && grep -q '^fairbid_fair_window{' "$T/metrics.txt"; }
check "the scrape has the fleet fairness window (a sync ran)" wait_for scrape
# the scrape must hold the state-dependent families, or the comparison below would prove little
for fam in fairbid_redis_link_up fairbid_consent_mirror_state fairbid_cap_limit fairbid_fair_impact_ratio \
  fairbid_audit_records_total fairbid_request_duration_seconds fairbid_policy_info fairbid_upstream_forwarded_total; do
  check "the scrape has $fam" grep -q "^# TYPE $fam " "$T/metrics.txt"
done

if [ "${FAIRBID_DOCS_METRICS_UPDATE:-0}" = 1 ]; then
  python3 "$CHECK" --doc "$DOC" --src "$SRC" --scrape "$T/metrics.txt" --update
  check "docs/metrics.md updated" test $? -eq 0
fi
python3 "$CHECK" --doc "$DOC" --src "$SRC" --scrape "$T/metrics.txt"
check "docs/metrics.md documents every family of the scrape and of bidder/'s source, with their types and labels" test $? -eq 0

# the check can fail: a row removed, a type changed, a family invented, a label dropped
grep -v '^| `fairbid_cap_tokens`' "$DOC" >"$T/m1.md"
out=$(python3 "$CHECK" --doc "$T/m1.md" --src "$SRC" --scrape "$T/metrics.txt")
check "a missing row fails the check" test $? -ne 0
check "and the output names the family and the row to add" grep -q '^| `fairbid_cap_tokens` | gauge | campaign |' <<<"$out"
sed 's/^| `fairbid_bids_total` | counter |/| `fairbid_bids_total` | gauge |/' "$DOC" >"$T/m2.md"
out=$(python3 "$CHECK" --doc "$T/m2.md" --src "$SRC" --scrape "$T/metrics.txt")
check "a wrong type fails the check" test $? -ne 0
check "and says what it should be" grep -q 'fairbid_bids_total: type gauge, the scrape says counter' <<<"$out"
{ cat "$DOC"; echo '| `fairbid_no_such_total` | counter | | invented |'; } >"$T/m3.md"
out=$(python3 "$CHECK" --doc "$T/m3.md" --src "$SRC" --scrape "$T/metrics.txt")
check "a stale row fails the check" grep -q 'fairbid_no_such_total is documented but neither emitted' <<<"$out"
sed 's/^| `fairbid_fair_window` | gauge | campaign, group, count |/| `fairbid_fair_window` | gauge | campaign, group |/' \
  "$DOC" >"$T/m4.md"
out=$(python3 "$CHECK" --doc "$T/m4.md" --src "$SRC" --scrape "$T/metrics.txt")
check "a missing label fails the check" grep -q 'fairbid_fair_window: labels \[campaign, group\], the scrape has \[campaign, count, group\]' <<<"$out"
# a family only in the source (here: a copy of the tree with one more name) is caught without a scrape
mkdir -p "$T/src/bidder"
cp -r "$SRC/bidder/." "$T/src/bidder/"
printf 'static const char *x = "fairbid_only_in_source_total";\n' >"$T/src/bidder/extra.c"
out=$(python3 "$CHECK" --doc "$DOC" --src "$T/src" --scrape "$T/metrics.txt")
check "a family named only in the source fails the check" grep -q 'fairbid_only_in_source_total is not documented.*in the source only (bidder/extra.c)' <<<"$out"
cp "$DOC" "$T/m5.md"
python3 "$CHECK" --doc "$T/m5.md" --src "$T/src" --scrape "$T/metrics.txt" --update >/dev/null
check "--update adds the row" grep -q '^| `fairbid_only_in_source_total` |' "$T/m5.md"
python3 "$CHECK" --doc "$T/m5.md" --src "$T/src" --scrape "$T/metrics.txt" >/dev/null
check "and the updated page passes" test $? -eq 0
finish
