#!/usr/bin/env bash
# build-pgo: a Release build of fairbid with profile-guided optimisation, in three steps in one build tree:
#   1. build with -fprofile-generate (FAIRBID_PGO=generate);
#   2. train: the real server on loopback under fairbid-loadgen, closed loop, with the load generator's own
#      traffic (consent mixes, 1-4 imps, minors, COPPA, GPC) and the committed request corpus
#      (tests/data/openrtb-corpus/valid, bench/data, the video and native samples), in bidder mode and in filter
#      mode (a second instance as the upstream bidder); deploy/sample-request.json, which the benchmarks send,
#      is left out of the training on purpose, so that a benchmark figure is not a figure for the one input the
#      profile saw;
#   3. rebuild with -fprofile-use (FAIRBID_PGO=use) from the counts the training wrote.
# The profile decides code layout, branch order and inlining only; the program's behaviour is the same (the
# test suite runs on the ordinary build; bench/ compares both).
#
# usage: scripts/build-pgo.sh [BUILD_DIR] [TARGET...]   (default build-bench; default targets: all)
# env:   TRAIN_SECONDS (2: per training load), LTO (1: link-time optimisation too; 0 to leave it out),
#        CMAKE_EXTRA (more -D options for both configure steps, space-separated, e.g. -DFAIRBID_TESTS=OFF)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-bench}
[[ $# -gt 0 ]] && shift
TARGETS=("$@")
TRAIN_SECONDS=${TRAIN_SECONDS:-2}
LTO=${LTO:-1}
[[ $TRAIN_SECONDS =~ ^[0-9]+$ ]] || { echo "build-pgo: TRAIN_SECONDS must be a whole number" >&2; exit 2; }
CMAKE_ARGS=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release)
if [[ $LTO == 1 ]]; then CMAKE_ARGS+=(-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON); else CMAKE_ARGS+=(-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF); fi
# shellcheck disable=SC2206 # word splitting is the point: a list of -D options
[[ -n ${CMAKE_EXTRA:-} ]] && CMAKE_ARGS+=($CMAKE_EXTRA)

T=$(mktemp -d /tmp/fairbid-pgo.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "build-pgo: 1/3 instrumented build in $BUILD" >&2
cmake "${CMAKE_ARGS[@]}" -DFAIRBID_PGO=generate >"$T/cmake.log" 2>&1 || { cat "$T/cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" --target fairbid fairbid-loadgen >"$T/build.log" 2>&1 ||
    { tail -40 "$T/build.log" >&2; exit 1; }
# counts of an earlier training would be merged into this one's
find "$BUILD" -name '*.gcda' -delete

# start NAME CONFIG: a fairbid instance on a free loopback port, started in this shell (not in a command
# substitution's subshell) so that its pid is known here and it can be stopped, and its counts written, at the end
start() {
    "$BUILD/fairbid" serve --config "$2" --listen 127.0.0.1:0 --threads 1 --port-file "$T/$1.port" \
        >"$T/$1.log" 2>&1 &
    PIDS+=($!)
}
# ready NAME: waits until instance NAME's /readyz says ready, then sets PORT
ready() {
    PORT=
    for _ in $(seq 200); do
        PORT=$(cat "$T/$1.port" 2>/dev/null || true)
        [[ -n $PORT ]] && curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.05
    done
    echo "build-pgo: training server $1 did not get ready:" >&2
    cat "$T/$1.log" >&2
    exit 1
}
# load URL ARGS...: one closed-loop training load; a failed load fails the build (no silent empty profile)
load() {
    local url=$1
    shift
    timeout $((TRAIN_SECONDS + 20)) "$BUILD/fairbid-loadgen" --target "$url" --max --connections 32 \
        --duration "${TRAIN_SECONDS}s" --warmup 0s --no-busy-poll "$@" >"$T/load.log" 2>&1 ||
        { echo "build-pgo: training load failed ($*):" >&2; tail -5 "$T/load.log" >&2; exit 1; }
}

echo "build-pgo: 2/3 training (${TRAIN_SECONDS} s per load)" >&2
mkdir -p "$T/reqs"
# bench/data holds a few files of the corpus under the same names: each source gets its own prefix
for f in "$ROOT"/tests/data/openrtb-corpus/valid/*.json; do cp "$f" "$T/reqs/corpus-${f##*/}"; done
for f in "$ROOT"/bench/data/*.json; do cp "$f" "$T/reqs/bench-${f##*/}"; done
cp "$ROOT/deploy/sample-video-request.json" "$ROOT/deploy/sample-native-request.json" "$T/reqs/"
start bidder "$ROOT/deploy/fairbid.json"
ready bidder
BURL=http://127.0.0.1:$PORT/openrtb2/bid
load "$BURL" --seed 11
load "$BURL" --seed 12 --imps 1-4 --gdpr-share 0.5 --gpp-share 0.4 --usp-share 0.3 --gpc-share 0.1 \
    --coppa-share 0.05 --minor-share 0.1
load "$BURL" --requests-dir "$T/reqs"
# filter mode: a front with the bidder above as its only upstream, no campaigns of its own
cat >"$T/front.json" <<EOF
{"upstreams": [{"id": "train", "url": "$BURL", "timeout_ms": 100, "connections": 32}]}
EOF
start front "$T/front.json"
ready front
load "http://127.0.0.1:$PORT/openrtb2/bid" --seed 13
load "http://127.0.0.1:$PORT/openrtb2/bid" --requests-dir "$T/reqs"
# the counts are written at exit: stop both and wait for them
for p in "${PIDS[@]}"; do kill -TERM "$p"; done
for p in "${PIDS[@]}"; do wait "$p" || { echo "build-pgo: a training server exited with $?" >&2; exit 1; }; done
PIDS=()
n=$(find "$BUILD" -name '*.gcda' | wc -l)
((n > 0)) || { echo "build-pgo: the training wrote no profile" >&2; exit 1; }

echo "build-pgo: 3/3 optimised build from $n profiles" >&2
cmake "${CMAKE_ARGS[@]}" -DFAIRBID_PGO=use >"$T/cmake.log" 2>&1 || { cat "$T/cmake.log" >&2; exit 1; }
if ((${#TARGETS[@]})); then
    cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}" >"$T/build.log" 2>&1 || { tail -40 "$T/build.log" >&2; exit 1; }
else
    cmake --build "$BUILD" -j"$(nproc)" >"$T/build.log" 2>&1 || { tail -40 "$T/build.log" >&2; exit 1; }
fi
echo "build-pgo: done: $BUILD/fairbid" >&2
