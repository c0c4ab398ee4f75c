#!/usr/bin/env bash
# README command 2: runs every test. .ci/run calls exactly this.
#   1. clang-format check   2. build with -Werror   3. filters/ purity check (ctest's test_purity)
#   4. unit + integration tests (ctest)   5. the same under ASan+UBSan   6. a short libFuzzer run per target
# FAIRBID_FUZZ_SECONDS (default 10) sets the fuzz time per target; FAIRBID_SKIP_FUZZ=1 skips it;
# scripts/fuzz-long.sh is the long run.
# Time (2 cores): the ASan build runs during the plain tests and the fuzz build during the ASan tests, both at
# nice 19, so they take only the CPU the tests leave idle (the tests wait on sockets and clocks much of the
# time) and a test never waits for a compiler; each build's step then reports its own time and how long the
# script still waited for it. The fuzz targets run two at a time (scripts/fuzz.sh), each for its full time, in the
# background too, once their build is done.
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
  # C is built with -Werror, so any warning fails the build; the log is shown only then. BUILD_TARGET (optional)
  # builds one target instead of all.
  cmake --build "$ROOT/$dir" -j"$(nproc)" ${BUILD_TARGET:+--target "$BUILD_TARGET"} >"$ROOT/$dir.build.log" 2>&1 || { tail -60 "$ROOT/$dir.build.log"; return 1; }
}
run_ctest() {
  local dir=$1
  shift
  local log="$ROOT/$dir.ctest.log"
  # FAIRBID_CTEST_JOBS (default 2): tests at a time; the long ones start first (COST in tests/CMakeLists.txt)
  ctest --test-dir "$ROOT/$dir" --output-on-failure -j"${FAIRBID_CTEST_JOBS:-2}" "$@" 2>&1 | tee "$log"
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
  bash "$ROOT/scripts/fuzz.sh" --seconds "${FAIRBID_FUZZ_SECONDS:-10}" --jobs "$(nproc)" "$ROOT/build-fuzz"
}
# bg_build DIR CMAKE_ARGS...: build DIR in the background at nice 19; sets BG_PID. Its output (the log tail on a
# failure) and its status go to DIR.bg and DIR.bg.rc; bg_wait DIR then stands for the build step.
bg_build() {
  local dir=$1
  rm -f "$ROOT/$dir.bg.rc"
  (
    t0=$SECONDS
    renice -n 19 -p "$BASHPID" >/dev/null
    build "$@" >"$ROOT/$dir.bg" 2>&1
    echo "$? $((SECONDS - t0))" >"$ROOT/$dir.bg.rc"
  ) &
  BG_PID=$!
}
bg_wait() {
  local dir=$1 pid=$2 rc secs
  [ -n "$pid" ] && wait "$pid"
  read -r rc secs <"$ROOT/$dir.bg.rc" || rc=1
  cat "$ROOT/$dir.bg"
  echo "(built in the background: ${secs:-?} s)"
  return "$rc"
}

step "clang-format" format_check
step "build (-Werror)" build build-ci
bg_build build-ci-asan -DFAIRBID_SANITIZE=ON -DFAIRBID_BENCH=OFF
ASAN_PID=$BG_PID
# The purity check (3.) is integration.test_purity: it runs scripts/check-purity.sh on the real tree and its
# archives, then on planted violations (it was also run here as a step of its own: the same 14 s of compiles twice)
step "tests" run_ctest build-ci
step "build with ASan+UBSan" bg_wait build-ci-asan "$ASAN_PID"
# the sanitizers stop at the first finding, in the ASan tests and in the fuzz run (set before it starts)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "${FAIRBID_SKIP_FUZZ:-0}" != 1 ]; then
  # the fuzz tree builds, then its short run starts at once, both at nice 19 beside the ASan tests (which leave
  # about half the CPU idle: the build now ends well before them, and the run used to take 93 s of its own after
  # them); its log and status go to build-fuzz.run and build-fuzz.run.rc for the step below
  rm -f "$ROOT/build-fuzz.run.rc"
  (
    CC=clang BUILD_TARGET=fuzz_targets bg_build build-fuzz -DFAIRBID_FUZZ=ON -DFAIRBID_BENCH=OFF -DFAIRBID_TESTS=ON
    wait "$BG_PID"
    read -r brc _ <"$ROOT/build-fuzz.bg.rc" || brc=1
    if [ "$brc" = 0 ]; then
      renice -n 19 -p "$BASHPID" >/dev/null
      t0=$SECONDS
      fuzz_short >"$ROOT/build-fuzz.run" 2>&1
      echo "$? $((SECONDS - t0))" >"$ROOT/build-fuzz.run.rc"
    fi
  ) &
  FUZZ_PID=$!
fi
# fuzz_wait: the short fuzz run's step (it ran in the background; this shows its log and how long it took)
fuzz_wait() {
  local rc secs
  read -r rc secs <"$ROOT/build-fuzz.run.rc" || rc=1
  cat "$ROOT/build-fuzz.run" 2>/dev/null
  echo "(ran in the background beside the ASan tests: ${secs:-?} s)"
  return "$rc"
}
# Every test runs under the sanitizers too, the load scenarios (market simulations, caps, fleets, failovers,
# propagation) reduced through the variables they read: fewer windows, instances, requests and writes, the same
# bounds. The full 10,000 + 10,000 differential run happens in the plain build; 2,000 + 2,000 here.
export FAIRBID_SENS_N=600 INTEROP_TCF=2000 INTEROP_GPP=2000
# The budget-pacing market: the plain build runs pab:1.25 (test_fairness_pace's default), this run the
# second-price one, so every CI run drives both auction rules through the controller.
export FAIR_PACE_MARKETS=sp:1.25
export FAIR_WINDOWS=1 FAIR_INSTANCES=2 FAIR_CAP=600 FLEET_LOAD=3 FLEET_RATE=150 MIRROR_PROP_N=200 MIRROR_PROP_RATE=200
step "tests under ASan+UBSan" run_ctest build-ci-asan
if [ "${FAIRBID_SKIP_FUZZ:-0}" != 1 ]; then
  wait "$FUZZ_PID"
  step "build fuzz targets (clang)" bg_wait build-fuzz ""
  step "short fuzz run" fuzz_wait
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed steps: ${failed_names[*]}"
echo "steps: $steps_ok passed, $steps_failed failed"
[ "$steps_failed" -eq 0 ]
