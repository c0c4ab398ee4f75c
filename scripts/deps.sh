#!/usr/bin/env bash
# Installs every Debian package fairbid needs to build, run, test and benchmark. Idempotent; needs root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev llvm
  libevent-dev libhiredis-dev libxxhash-dev libjemalloc-dev liburcu-dev zlib1g-dev
  # tests
  libcriterion-dev redis-server redis-tools curl python3 python3-yaml procps prometheus valgrind systemd binutils
  # benchmarks and the load generator's plots
  nginx-light wrk gnuplot-nox
  # parser comparison (bench/json_compare)
  libjsmn-dev libyajl-dev libcjson-dev libjson-c-dev libsimdjson-dev g++
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:  sudo bash scripts/deps.sh" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# the packaged services must not hold ports or run in the background: tests start their own instances
for svc in redis-server nginx prometheus; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  service "$svc" stop >/dev/null 2>&1 || true
done
echo "deps: done"
