#!/usr/bin/env bash
# docs/metrics.md against the metric families the binary emits (docs/metrics.md, issue 16).
#   scripts/docs-metrics.sh            check (what ctest integration.test_docs_metrics runs)
#   scripts/docs-metrics.sh --update   add the missing rows (meaning = the family's HELP text), correct types and
#                                      labels, remove stale rows; then describe the new rows and move any under
#                                      "Not yet sorted" to their section.
# Needs a built binary (FAIRBID_BIN, default build/fairbid) and redis-server: it starts both, like the test.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  "") ;;
  --update) export FAIRBID_DOCS_METRICS_UPDATE=1 ;;
  *) echo "usage: scripts/docs-metrics.sh [--update]" >&2; exit 2 ;;
esac
export FAIRBID_SOURCE_DIR=$ROOT
export FAIRBID_BIN=${FAIRBID_BIN:-$ROOT/build/fairbid}
[ -x "$FAIRBID_BIN" ] || { echo "no binary at $FAIRBID_BIN: build first (cmake --build build)" >&2; exit 2; }
exec bash "$ROOT/tests/integration/test_docs_metrics.sh"
