#!/usr/bin/env bash
# README command 2: runs every test. .ci/run calls exactly this.
#   1. clang-format check   2. build with -Werror   3. filters/ purity check
#   4. unit + integration tests (ctest)   5. the same under ASan+UBSan   6. a short libFuzzer run per target
# FAIRBID_FUZZ_SECONDS (default 10) sets the fuzz time per target; FAIRBID_SKIP_FUZZ=1 skips it.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ "$(id -u)" -eq 0 ]; then bash scripts/deps.sh || exit 1; else bash scripts/deps.sh || exit 1; fi

steps_ok=0
steps_failed=0
failed_names=()
step() {
  local name=$1
  shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then
    steps_ok=$((steps_ok + 1))
    echo "=== $name: ok ($((SECONDS - t0)) s)"
  else
    steps_failed=$((steps_failed + 1))
    failed_names+=("$name")
    echo "=== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

format_check() {
  git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
}
build() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$ROOT/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$ROOT/$dir.cmake.log" 2>&1 ||
    { cat "$ROOT/$dir.cmake.log"; return 1; }
  # C is built with -Werror, so any warning fails the build; the log is shown only then
  cmake --build "$ROOT/$dir" -j"$(nproc)" >"$ROOT/$dir.build.log" 2>&1 || { tail -60 "$ROOT/$dir.build.log"; return 1; }
}
run_ctest() {
  local dir=$1
  shift
  local log="$ROOT/$dir.ctest.log"
  ctest --test-dir "$ROOT/$dir" --output-on-failure -j2 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # A test exits 77 (ctest: skipped) when a check could not run for want of a tool. CI's machine has every tool
  # scripts/deps.sh installs, so a skip here is a failure: add the package to deps.sh, or fix the test.
  local skipped
  skipped=$(sed -n 's/.*Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*/\1/p' "$log" | tr '\n' ' ')
  if [ -n "$skipped" ]; then
    echo "skipped on CI's machine, which has every tool the tests use: $skipped"
    return 1
  fi
  return "$rc"
}
fuzz_short() {
  local secs=${FAIRBID_FUZZ_SECONDS:-10}
  local rc=0 ran=0
  for bin in "$ROOT"/build-fuzz/tests/fuzz_*; do
    [ -x "$bin" ] || continue
    local name
    name=$(basename "$bin")
    local corpus="$ROOT/tests/fuzz/corpus/${name#fuzz_}"
    local work
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    local dict=()
    [ -f "$ROOT/tests/fuzz/${name#fuzz_}.dict" ] && dict=(-dict="$ROOT/tests/fuzz/${name#fuzz_}.dict")
    if "$bin" "$work" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/" >"$work/log" 2>&1; then
      echo "fuzz $name: $(grep -oE 'Done [0-9]+ runs' "$work/log" | tail -1) in ${secs}s, no crash"
      ran=$((ran + 1))
    else
      echo "fuzz $name: FAILED"
      tail -40 "$work/log"
      rc=1
    fi
    rm -rf "$work"
  done
  [ "$ran" -gt 0 ] || { echo "fuzz: no fuzz target was built"; return 1; }
  return $rc
}

step "clang-format" format_check
step "build (-Werror)" build build-ci
step "filters/ purity" bash scripts/check-purity.sh build-ci
step "tests" run_ctest build-ci
step "build with ASan+UBSan" build build-ci-asan -DFAIRBID_SANITIZE=ON -DFAIRBID_BENCH=OFF
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Every test runs under the sanitizers too, the load scenarios (market simulations, caps, fleets, failovers,
# propagation) reduced through the variables they read: fewer windows, instances, requests and writes, the same
# bounds. The full 10,000 + 10,000 differential run happens in the plain build; 2,000 + 2,000 here.
export FAIRBID_SENS_N=600 INTEROP_TCF=2000 INTEROP_GPP=2000
export FAIR_WINDOWS=1 FAIR_INSTANCES=2 FAIR_CAP=600 FLEET_LOAD=3 FLEET_RATE=150 MIRROR_PROP_N=200 MIRROR_PROP_RATE=200
step "tests under ASan+UBSan" run_ctest build-ci-asan
if [ "${FAIRBID_SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang step "build fuzz targets (clang)" build build-fuzz -DFAIRBID_FUZZ=ON -DFAIRBID_BENCH=OFF -DFAIRBID_TESTS=ON
  step "short fuzz run" fuzz_short
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed steps: ${failed_names[*]}"
echo "steps: $steps_ok passed, $steps_failed failed"
[ "$steps_failed" -eq 0 ]
