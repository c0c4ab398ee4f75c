#!/usr/bin/env bash
# The long fuzz run (CI's is 10 s per target, scripts/test.sh): builds the fuzz targets with clang if build-fuzz/
# has none, then runs each for FAIRBID_FUZZ_SECONDS (default 600) with scripts/fuzz.sh, JOBS (default nproc) at a
# time, keeping each target's grown corpus and log under FAIRBID_FUZZ_KEEP (default /tmp/fairbid-fuzz-long):
# copy a new input that found a bug into tests/fuzz/corpus/NAME/ with the fix.
# usage: bash scripts/fuzz-long.sh [JOBS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build-fuzz
if ! ls "$B"/tests/fuzz_* >/dev/null 2>&1; then
  CC=clang cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAIRBID_FUZZ=ON -DFAIRBID_BENCH=OFF \
    -DFAIRBID_TESTS=ON >/dev/null
  cmake --build "$B" -j"$(nproc)" >/dev/null
fi
keep=${FAIRBID_FUZZ_KEEP:-/tmp/fairbid-fuzz-long}
mkdir -p "$keep"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec bash "$ROOT/scripts/fuzz.sh" --seconds "${FAIRBID_FUZZ_SECONDS:-600}" --jobs "${1:-$(nproc)}" --keep "$keep" "$B"
