#!/usr/bin/env bash
# Issue 19: the valid corpus (tests/data/openrtb-corpus/valid) against a banner-only config (catchall.json) and
# the same campaign with a creative of every type (formats.json). The share of requests that get a bid must
# rise, and every BidResponse is checked field by field against the request (OpenRTB 2.6: ids, price, mtype
# against the imp's media, dur, w/h, dealid in the imp's pmp, adm) and every native adm is a Native 1.2
# response whose asset ids are the request's (tests/integration/formats_check.py).
source "$(dirname "$0")/../harness/lib.sh"
C=$SRC/tests/data/openrtb-corpus/valid
redis_start

collect() { # collect CONFIG DIR: posts every valid request, keeps 200 bodies with a bid
  local cfg=$1 dir=$2 n=0 bids=0
  mkdir -p "$dir"
  fairbid_start "$cfg" --redis "$REDIS_URL"
  for f in "$C"/*.json; do
    n=$((n + 1))
    s=$(post "$f")
    if [ "$s" == 200 ] && grep -q '"seatbid"' "$T/body"; then
      bids=$((bids + 1))
      cp "$T/body" "$dir/$(basename "$f")"
    elif [ "$s" != 204 ] && [ "$s" != 200 ]; then
      not_ok "$(basename "$f") answered $s: $(head -c 200 "$T/body")"
    fi
  done
  kill "$FB_PID" && wait "$FB_PID" 2>/dev/null
  echo "$bids $n"
}

read -r banner_bids n < <(collect "$SRC/tests/data/catchall.json" "$T/banner" | tail -1)
read -r fmt_bids n2 < <(collect "$SRC/tests/data/formats.json" "$T/formats" | tail -1)
echo "# banner-only: $banner_bids of $n valid requests get a bid; every format: $fmt_bids of $n2"
check "the share of bids rises with video, audio and native creatives ($banner_bids -> $fmt_bids of $n)" \
  test "$fmt_bids" -gt "$banner_bids"
check "every banner-only bid is still a bid" test "$fmt_bids" -ge "$banner_bids"
out=$(python3 "$SRC/tests/integration/formats_check.py" "$C" "$T/formats" 2>&1)
rc=$?
echo "$out" | tail -20
expect_eq "every response valid OpenRTB 2.6, every native adm a Native 1.2 response" 0 "$rc"
finish
