#!/usr/bin/env bash
# The real-world corpus (tests/data/openrtb-corpus, written by Prebid, IAB Tech Lab and others) against the real
# binary: every valid request is answered 200 or 204; broken ones get 400 with a JSON error, or at least never a
# bid when the defect touches what fairbid decides on; nothing crashes or answers 5xx.
source "$(dirname "$0")/../harness/lib.sh"
C=$SRC/tests/data/openrtb-corpus
redis_start
fairbid_start "$SRC/tests/data/catchall.json" --redis "$REDIS_URL"

bids=0
bad=0
n=0
for f in "$C"/valid/*.json; do
  n=$((n + 1))
  s=$(post "$f")
  case "$s" in
    200) grep -q '"seatbid"' "$T/body" && bids=$((bids + 1)) ;;
    204) ;;
    *) bad=$((bad + 1)); echo "valid request answered $s: $(basename "$f"): $(head -c 200 "$T/body")" ;;
  esac
done
expect_eq "all $n valid corpus requests answered 200 or 204" 0 "$bad"
# the catch-all campaign bids on most of them, so "never a bid" below is a real check
check "catch-all campaign bid on at least 100 valid requests (got $bids)" test "$bids" -ge 100

must_400=(malformed-bid-request whole-null whole-array whole-boolean whole-float whole-integer whole-empty.json
  stored-bad-incoming-1 stored-bad-incoming-imp stored-bad-incoming-2 whole-empty-object only-request-id
  tmax-negative imp-empty-array imp-empty-object imp-id-duplicates site-app-both site-dooh-both banner-w-negative
  banner-h-negative format-w-negative)
never_bid=(imp-id-duplicates banner-w-negative banner-h-negative format-w-negative site-app-both site-dooh-both
  regs-gdpr-invalid regs-ext-malformed regs-ext-gdpr-string user-ext-consent-int user-gdpr-consent-invalid
  banner-null video-w-negative device-w-negative)

for f in "$C"/invalid/*; do
  b=$(basename "$f")
  s=$(post "$f")
  want400=0
  for k in "${must_400[@]}"; do [[ "$b" == *"$k"* ]] && want400=1; done
  nobid=0
  for k in "${never_bid[@]}"; do [[ "$b" == *"$k"* ]] && nobid=1; done
  if [ $want400 -eq 1 ]; then
    if [ "$s" == 400 ] && json_get "$T/body" 'd["error"]' >/dev/null && grep -q '"error"' "$T/body"; then
      ok "$b: 400 with a JSON error"
    else
      not_ok "$b: expected 400 with a JSON error, got $s $(head -c 200 "$T/body")"
    fi
  elif [ $nobid -eq 1 ]; then
    if [ "$s" == 200 ] && grep -q '"seatbid"' "$T/body"; then not_ok "$b: got a bid"; else ok "$b: no bid ($s)"; fi
  else
    if [[ "$s" =~ ^(200|204|400)$ ]]; then ok "$b: answered $s"; else not_ok "$b: answered $s"; fi
  fi
done

# the same bodies gzip-compressed take the same path
s=$(gzip -c "$C/valid/iab-openrtb2.6-spec-6.2.1-simple-banner.json" >"$T/g.gz"; post "$T/g.gz" -H 'Content-Encoding: gzip')
check "gzip body answered ($s)" test "$s" == 200 -o "$s" == 204
check "fairbid still alive after the corpus" curl -sf -o /dev/null "$FB_URL/healthz"
finish
