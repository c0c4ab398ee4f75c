#!/usr/bin/env bash
# Differential test of the consent decoders against IAB's reference libraries (tests/interop/):
# 10,000 random TC strings, 10,000 random GPP strings and 2,000 US National "Version 1" strings in the Version 2
# layout (written by @iabgpp/cmpapi 3.1.7) through `fairbid decode --batch`, every field
# compared. Installs the pinned libraries with `npm ci` when node_modules is missing.
set -euo pipefail
: "${FAIRBID_BIN:?FAIRBID_BIN must point at the fairbid binary}"
src="${FAIRBID_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
dir="$src/tests/interop"
if ! command -v node >/dev/null 2>&1; then
    echo "test_interop: node is not installed" >&2
    exit 1
fi
if [ ! -d "$dir/node_modules/@iabtechlabtcf/core" ] || [ ! -d "$dir/node_modules/@iabgpp/cmpapi" ] ||
    [ ! -d "$dir/node_modules/@iabgpp/cmpapi-3.1" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$dir/interop.js" "$FAIRBID_BIN" --tcf "${INTEROP_TCF:-10000}" --gpp "${INTEROP_GPP:-10000}" \
    --usnat31 "${INTEROP_USNAT31:-2000}"
