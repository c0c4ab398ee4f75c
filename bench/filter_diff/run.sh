#!/usr/bin/env bash
# filter_diff: differential check of the filter path's parsers, base commit vs the work tree (helper filterfast,
# session 7). Builds each harness twice, against BASE's sources of filters/bidresp.c, filters/policy.c and
# bidder/http/http_resp.c and against the work tree's, runs both over the corpus, the tests' JSON and
# one-byte mutations / truncations of each input, and compares the per-input digests (every field of the
# result, the check reasons and the written bid). policy_id_in_diff compares policy_id_in with a loop of
# policy_id_eq over lists of up to 3 ids.
# usage: bench/filter_diff/run.sh BASE [BUILD_DIR]   (BUILD_DIR with libfairbid_filters.a, default build-bench)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=$1
BUILD=${2:-$ROOT/build-bench}
T=$(mktemp -d /tmp/fairbid-filter-diff.XXXXXX)
trap 'rm -rf "$T"' EXIT
CC="cc -O1 -std=c11 -D_GNU_SOURCE -I$ROOT"
LIBS="$BUILD/libfairbid_filters.a $BUILD/libfairbid_common.a -lm"
for f in filters/bidresp.c filters/policy.c bidder/http/http_resp.c; do git -C "$ROOT" show "$BASE:$f" >"$T/base_$(basename "$f")"; done
$CC -c "$T/base_bidresp.c" -o "$T/bidresp.o"
$CC -c "$T/base_policy.c" -o "$T/policy.o"
$CC "$ROOT/bench/filter_diff/bidresp_diff.c" "$T/bidresp.o" "$T/policy.o" $LIBS -o "$T/b_base"
$CC "$ROOT/bench/filter_diff/bidresp_diff.c" "$ROOT/filters/bidresp.c" "$ROOT/filters/policy.c" $LIBS -o "$T/b_new"
$CC "$ROOT/bench/filter_diff/http_resp_diff.c" "$T/base_http_resp.c" "$ROOT/bidder/http/http_parse.c" -o "$T/h_base"
$CC "$ROOT/bench/filter_diff/http_resp_diff.c" "$ROOT/bidder/http/http_resp.c" "$ROOT/bidder/http/http_parse.c" -o "$T/h_new"
$CC "$ROOT/bench/filter_diff/policy_id_in_diff.c" "$ROOT/filters/policy.c" $LIBS -o "$T/p_new"
cd "$ROOT"
mapfile -t J < <( (ls -d ../shared/data/openrtb-corpus/responses/* tests/fuzz/corpus/bidresp/* | grep -v '\.md$'
    find ../shared/data/openrtb-corpus tests/data -name '*.json') | sort -u)
mkdir -p "$T/heads"
printf 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 13:00:00 GMT\r\nContent-Type: application/json\r\nContent-Length: 212\r\nConnection: keep-alive\r\n\r\n{}' >"$T/heads/h1"
printf 'HTTP/1.0 200 OK\r\nCONNECTION: Keep-Alive\r\nCONTENT-LENGTH: 5\r\nContent-Encoding: gzip\r\n\r\nabcde' >"$T/heads/h2"
printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\nConnection: close, keep-alive\r\n\r\n' >"$T/heads/h3"
printf 'HTTP/1.1 204 No Content\r\nconnection: upgrade , Close\r\ntransfer-encoding: gzip\r\n\r\n' >"$T/heads/h4"
printf 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\nCoNnEcTiOn: kEeP-aLiVe\r\n\r\n' >"$T/heads/h5"
printf 'HTTP/1.0 100 Continue\r\nContent-Type: text/html; charset=utf-8\r\nConnection: keep-alive\t\r\n\r\n' >"$T/heads/h6"
H=("$T"/heads/* tests/fuzz/corpus/http_resp/*)
"$T/b_base" "${J[@]}" >"$T/b_base.txt" 2>/dev/null
"$T/b_new" "${J[@]}" >"$T/b_new.txt" 2>/dev/null
"$T/h_base" "${H[@]}" >"$T/h_base.txt" 2>/dev/null
"$T/h_new" "${H[@]}" >"$T/h_new.txt" 2>/dev/null
echo "bidresp: $(wc -l <"$T/b_base.txt") inputs from ${#J[@]} files, $(diff "$T/b_base.txt" "$T/b_new.txt" | grep -c '^<' || true) differences"
echo "http_resp: $(wc -l <"$T/h_base.txt") inputs from ${#H[@]} files, $(diff "$T/h_base.txt" "$T/h_new.txt" | grep -c '^<' || true) differences"
"$T/p_new"
