#!/usr/bin/env bash
# Issue 12, "defaults that fail open", on the real binary: a config without a `policy` key is protected by the
# built-in policy (a gambling ad is refused to a 14-year-old, a health-segment campaign does not bid on a health
# segment) in `serve` and in `decide`; `"policy": "none"` switches it off only loudly (warning in the log,
# /readyz "policy"/"protections_off" with status 200, fairbid_policy_info{source="none"}), SIGHUP keeps the same
# semantics both ways; a policy file is source "file"; `check-config` rejects a housing campaign aimed by gender
# (file, line, campaign, key) whatever the policy source, and a fairness campaign that cannot learn its wins.
source "$(dirname "$0")/../harness/lib.sh"

# The config has no policy key, no Redis: nothing but the default stands between these campaigns and the users.
write_cfg() { # write_cfg FILE [EXTRA_SETTINGS]
  cat >"$1" <<J
{"currency": "USD", ${2:-}
 "campaigns": [
  {"id": "bet", "crid": "c-bet", "cat": ["1361"], "bid_cpm": 3, "formats": [{"w": 300, "h": 250}], "adm": "bet"},
  {"id": "health", "crid": "c-h", "bid_cpm": 5, "formats": [{"w": 300, "h": 250}], "adm": "h",
   "targeting": {"segments": [{"segtax": 4, "ids": ["383"]}]}},
  {"id": "plain", "crid": "c-p", "bid_cpm": 1, "formats": [{"w": 300, "h": 250}], "adm": "p"}]}
J
}
write_cfg "$T/cfg.json"
cp "$T/cfg.json" "$T/nopolicy.json"
write_cfg "$T/none.json" '"policy": "none",'
cp "$SRC/deploy/policy.json" "$T/policy.json"
write_cfg "$T/file.json" '"policy": "policy.json",'
grep -q '"policy"' "$T/nopolicy.json" && die "the test config must not name a policy"

YOB=$(($(date -u +%Y) - 14))
cat >"$T/minor.json" <<J
{"id": "minor-1", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "site": {"id": "s"}, "user": {"yob": $YOB}}
J
cat >"$T/adult.json" <<'J'
{"id": "adult-1", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "site": {"id": "s"}, "user": {"yob": 1980}}
J
cat >"$T/health.json" <<'J'
{"id": "health-1", "imp": [{"id": "1", "banner": {"w": 300, "h": 250}}], "site": {"id": "s"},
 "user": {"yob": 1980, "data": [{"name": "acme-data", "ext": {"segtax": 4}, "segment": [{"id": "383"}]}]}}
J

winner() { json_get "$T/body" 'd["seatbid"][0]["bid"][0]["cid"]'; }
readyz() { curl -s "$FB_URL/readyz"; }
ready_200() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$FB_URL/readyz")" = 200 ]; }
metric() { curl -s "$FB_URL/metrics" | grep -v '^#' | grep -F "$1" | awk '{print $2}'; }
reason_of() { # reason_of DECIDE_JSON CAMPAIGN
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print([x["reason"] for x in d["decisions"] if x["campaign"] == sys.argv[2]][0])' "$1" "$2" 2>/dev/null
}
# generation N: SIGHUP applied
generation_is() { [ "$(metric 'fairbid_config_generation ')" = "$1" ]; }

# ---- serve, no policy key: the built-in policy ---------------------------------------------------------------
fairbid_start "$T/cfg.json"
wait_for ready_200 && ok "no key: /readyz 200" || not_ok "no key: /readyz 200"
expect_eq "no key: minor gets no gambling ad (the contextual campaign wins)" "200 plain" \
  "$(post "$T/minor.json") $(winner)"
expect_eq "no key: the adult does get it (control)" "200 bet" "$(post "$T/adult.json") $(winner)"
expect_eq "no key: the health-segment campaign does not bid on a health segment" "200 bet" \
  "$(post "$T/health.json") $(winner)"
check "no key: metrics count exploit.high_risk_to_vulnerable" test "$(metric 'reason="exploit.high_risk_to_vulnerable"}')" -ge 1
check "no key: metrics count sensitive.health" test "$(metric 'reason="sensitive.health"}')" -ge 1
expect_eq "no key: fairbid_policy_info{source=\"builtin\"} 1" 1 "$(metric 'fairbid_policy_info{source="builtin"}')"
expect_eq "no key: /readyz says policy builtin, nothing off" "ready builtin False" \
  "$(readyz | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["policy"], "protections_off" in d)')"
check "no key: log names the source" grep -q 'policy.*source=builtin' "$FB_LOG"
check "no key: no policy warning" sh -c "! grep -q 'warn policy' '$FB_LOG'"

# ---- SIGHUP to "none": off, loudly; SIGHUP back: on again ----------------------------------------------------
cp "$T/none.json" "$T/cfg.json"
kill -HUP "$FB_PID"
wait_for generation_is 2 && ok "reload to none applied (generation 2)" || not_ok "reload to none applied"
check "reload to none: warning in the log" grep -q 'warn policy: none' "$FB_LOG"
expect_eq "reload to none: fairbid_policy_info{source=\"none\"} 1" 1 "$(metric 'fairbid_policy_info{source="none"}')"
check "reload to none: no builtin info line left" sh -c "! curl -s '$FB_URL/metrics' | grep -q 'source=\"builtin\"'"
expect_eq "reload to none: the minor gets the gambling ad (what none means)" "200 bet" \
  "$(post "$T/minor.json") $(winner)"
cp "$T/nopolicy.json" "$T/cfg.json"
kill -HUP "$FB_PID"
wait_for generation_is 3 && ok "reload back applied (generation 3)" || not_ok "reload back to no key applied"
expect_eq "reload back: builtin again" 1 "$(metric 'fairbid_policy_info{source="builtin"}')"
expect_eq "reload back: the minor is protected again" "200 plain" "$(post "$T/minor.json") $(winner)"
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- serve, "policy": "none" from the start ------------------------------------------------------------------
fairbid_start "$T/none.json"
wait_for ready_200 && ok "none: /readyz 200" || not_ok "none: /readyz 200"
check "none: warning at start" grep -q 'warn policy: none: no sensitive-category policy' "$FB_LOG"
expect_eq "none: /readyz 200 ready, policy none, protections_off lists what is off" \
  "200 ready none sensitive.*,exploit.vulnerable_targeting,exploit.high_risk_to_vulnerable" \
  "$(curl -s -o "$T/ready.json" -w '%{http_code}' "$FB_URL/readyz") $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(d["status"], d["policy"], ",".join(d["protections_off"]))' "$T/ready.json")"
expect_eq "none: fairbid_policy_info{source=\"none\"} 1" 1 "$(metric 'fairbid_policy_info{source="none"}')"
expect_eq "none: the health-segment campaign bids (nothing checks it)" "200 health" "$(post "$T/health.json") $(winner)"
if command -v promtool >/dev/null; then
  curl -s "$FB_URL/metrics" | promtool check metrics >/dev/null 2>&1 && ok "none: promtool check metrics" ||
    not_ok "none: promtool check metrics"
fi
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- serve, a policy file ------------------------------------------------------------------------------------
fairbid_start "$T/file.json"
expect_eq "file: fairbid_policy_info{source=\"file\"} 1" 1 "$(metric 'fairbid_policy_info{source="file"}')"
expect_eq "file: the minor is protected" "200 plain" "$(post "$T/minor.json") $(winner)"
check "file: log names the file" grep -q "policy.*source=file file=$T/policy.json" "$FB_LOG"
kill "$FB_PID"
wait "$FB_PID" 2>/dev/null

# ---- decide and check-config use the same default ------------------------------------------------------------
"$BIN" decide --config "$T/nopolicy.json" "$T/minor.json" >"$T/d1.json" 2>"$T/d1.err"
expect_eq "decide, no key: gambling to a minor refused" exploit.high_risk_to_vulnerable "$(reason_of "$T/d1.json" bet)"
"$BIN" decide --config "$T/nopolicy.json" "$T/health.json" >"$T/d2.json" 2>&1
expect_eq "decide, no key: health segment refused" sensitive.health "$(reason_of "$T/d2.json" health)"
check "decide, no key: no warning" test ! -s "$T/d1.err"
"$BIN" decide --config "$T/none.json" "$T/minor.json" >"$T/d3.json" 2>"$T/d3.err"
expect_eq "decide, none: the gambling ad bids" bid "$(reason_of "$T/d3.json" bet)"
check "decide, none: warns on stderr" grep -q 'policy.*none' "$T/d3.err"
"$BIN" check-config "$T/nopolicy.json" >"$T/cc.txt" 2>&1
check "check-config, no key: ok, policy builtin" grep -q 'ok: 3 campaigns.*policy builtin' "$T/cc.txt"

# housing aimed by gender: line 5 holds the gender key, whatever the policy source
for pol in "" '"policy": "none",' '"policy": "policy.json",'; do
  cat >"$T/housing.json" <<J
{"currency": "USD", $pol "win_url": "http://127.0.0.1:1/win",
 "campaigns": [
  {"id": "homes", "crid": "c", "bid_cpm": 1, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "special_category": "housing",
   "targeting": {"countries": ["USA"], "gender": ["F"]}}]}
J
  "$BIN" check-config "$T/housing.json" >"$T/cc.txt" 2>&1
  rc=$?
  expect_eq "check-config [${pol:-no key}]: housing + gender refused (exit 1)" 1 "$rc"
  check "check-config [${pol:-no key}]: names file:line, campaign and key" \
    grep -q "housing.json:5: campaign \"homes\": key \"targeting.gender\": special_category housing" "$T/cc.txt"
done
# housing aimed by an Audience gender node (49, Female) with "none": the line of the id
cat >"$T/housing-seg.json" <<'J'
{"currency": "USD", "policy": "none", "win_url": "http://127.0.0.1:1/win",
 "campaigns": [
  {"id": "homes", "crid": "c", "bid_cpm": 1, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "special_category": "housing", "targeting": {"segments": [{"segtax": 4, "ids": ["569",
    "49"]}]}}]}
J
"$BIN" check-config "$T/housing-seg.json" >"$T/cc.txt" 2>&1
expect_eq "check-config, none: housing + gender segment refused" 1 "$?"
check "check-config, none: names file:line of the id, campaign, key and id" \
  grep -q 'housing-seg.json:5: campaign "homes": key "targeting.segments": .*id "49"' "$T/cc.txt"
"$BIN" serve --config "$T/housing-seg.json" --listen 127.0.0.1:0 >"$T/serve-bad.log" 2>&1
expect_eq "serve refuses it too (exit 2)" 2 "$?"

# fairness that cannot learn its wins
cat >"$T/fair.json" <<'J'
{"currency": "USD",
 "campaigns": [
  {"id": "jobs", "crid": "c", "bid_cpm": 1, "formats": [{"w": 300, "h": 250}], "adm": "x",
   "fairness": {"attribute": "gender"}}]}
J
"$BIN" check-config "$T/fair.json" >"$T/cc.txt" 2>&1
expect_eq "check-config: fairness without win_url or nurl refused" 1 "$?"
check "check-config: names file:line, campaign and key fairness" \
  grep -q 'fair.json:4: campaign "jobs": key "fairness": balances wins' "$T/cc.txt"
sed -i 's/"attribute": "gender"}/"attribute": "gender", "balance": "bids"}/' "$T/fair.json"
check "check-config: with \"balance\": \"bids\" accepted" "$BIN" check-config "$T/fair.json"
finish
