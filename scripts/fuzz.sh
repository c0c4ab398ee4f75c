#!/usr/bin/env bash
# Runs every built libFuzzer target (BUILD_DIR/tests/fuzz_*) for SECONDS each, from a scratch copy of its seed
# corpus (tests/fuzz/corpus/NAME) with its dictionary (tests/fuzz/NAME.dict), JOBS targets at a time. A crash,
# leak, timeout (10 s per input) or a target that exits non-zero fails the run and prints the end of its log.
# Each target gets the whole SECONDS of its own process: running two at once on two cores does not shorten any
# target's run, it only overlaps them.
# usage: fuzz.sh [--seconds N (10)] [--jobs N (nproc)] [--keep DIR] [BUILD_DIR (build-fuzz)]
#   --keep DIR  keep each target's grown corpus and log in DIR/NAME (scripts/fuzz-long.sh) instead of deleting it
# scripts/test.sh runs this with FAIRBID_FUZZ_SECONDS (default 10); scripts/fuzz-long.sh is the long run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
secs=10 jobs=$(nproc) keep= build=
while [ $# -gt 0 ]; do
  case $1 in
  --seconds) secs=$2 && shift 2 ;;
  --jobs) jobs=$2 && shift 2 ;;
  --keep) keep=$2 && shift 2 ;;
  -h | --help) sed -n '2,9p' "$0" && exit 0 ;;
  *) build=$1 && shift ;;
  esac
done
build=${build:-$ROOT/build-fuzz}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
scratch=$(mktemp -d /tmp/fairbid-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# one NAME: runs BIN in its own directory, leaves rc and log there
one() {
  local bin=$1 name work
  name=$(basename "$bin")
  work=${keep:+$keep/$name}
  work=${work:-$scratch/$name}
  mkdir -p "$work/corpus"
  local corpus="$ROOT/tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work/corpus"/ 2>/dev/null
  local dict=()
  [ -f "$ROOT/tests/fuzz/${name#fuzz_}.dict" ] && dict=(-dict="$ROOT/tests/fuzz/${name#fuzz_}.dict")
  "$bin" "$work/corpus" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" >"$work/log" 2>&1
  echo $? >"$work/rc"
}

bins=()
for bin in "$build"/tests/fuzz_*; do [ -x "$bin" ] && bins+=("$bin"); done
[ ${#bins[@]} -gt 0 ] || { echo "fuzz: no fuzz target was built in $build/tests"; exit 1; }
for bin in "${bins[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  one "$bin" &
done
wait

rc=0
for bin in "${bins[@]}"; do
  name=$(basename "$bin")
  work=${keep:+$keep/$name}
  work=${work:-$scratch/$name}
  if [ "$(cat "$work/rc" 2>/dev/null)" = 0 ]; then
    echo "fuzz $name: $(grep -oE 'Done [0-9]+ runs' "$work/log" | tail -1) in ${secs}s, no crash"
  else
    echo "fuzz $name: FAILED (exit $(cat "$work/rc" 2>/dev/null || echo '?'))"
    tail -40 "$work/log"
    rc=1
  fi
done
exit $rc
