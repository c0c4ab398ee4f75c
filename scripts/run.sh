#!/usr/bin/env bash
# README command 1: install what is missing, build, start a local Redis if none is configured, and run fairbid in
# the foreground with the bundled sample configuration on 127.0.0.1:8080.
#   FAIRBID_CONFIG=path   another config file (default deploy/fairbid.json)
#   FAIRBID_REDIS=url     use this Redis instead of starting one
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/deps.sh; else bash scripts/deps.sh || exit 1; fi
bash scripts/build.sh >/dev/null
CONFIG=${FAIRBID_CONFIG:-deploy/fairbid.json}
REDIS_URL=${FAIRBID_REDIS:-}
if [ -z "$REDIS_URL" ] && ! grep -q '"redis"[[:space:]]*:[[:space:]]*"redis' "$CONFIG"; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no --daemonize no \
    --logfile "$dir/redis.log" &
  redis_pid=$!
  trap 'kill $redis_pid 2>/dev/null; rm -rf "$dir"' EXIT
  REDIS_URL="redis://127.0.0.1:$port/0"
  echo "run: started redis-server on 127.0.0.1:$port (pid $redis_pid)"
fi
echo "run: fairbid on 127.0.0.1:8080; try:"
echo "  curl -s -X POST --data-binary @deploy/sample-request.json http://127.0.0.1:8080/openrtb2/bid"
args=(serve --config "$CONFIG")
[ -n "$REDIS_URL" ] && args+=(--redis "$REDIS_URL")
./build/fairbid "${args[@]}" &
fb=$!
trap 'kill -TERM $fb 2>/dev/null; wait $fb; kill ${redis_pid:-} 2>/dev/null; rm -rf "${dir:-/nonexistent}"' EXIT INT TERM
wait $fb
