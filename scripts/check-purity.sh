#!/usr/bin/env bash
# filters/ must stay pure: no libevent, hiredis or bidder/ includes, and the static library must not call
# malloc/free or any libevent/hiredis symbol (checked on the built archive with nm -u).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:-build}/libfairbid_filters.a
rc=0
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](event2/|event\.h|hiredis/|bidder/)' filters/; then
  echo "purity: filters/ includes I/O libraries or bidder/ (above)"
  rc=1
fi
bad=$(nm -u "$lib" | awk '{print $2}' | grep -E '^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup|event_|evhttp_|evbuffer_|bufferevent_|redis|socket|connect|read|write|open|fopen|printf|fprintf|puts)$' || true)
if [ -n "$bad" ]; then
  echo "purity: libfairbid_filters.a uses forbidden symbols:"
  echo "$bad"
  rc=1
fi
[ $rc -eq 0 ] && echo "purity: filters/ is pure (no I/O includes; nm -u shows no allocation or I/O symbols)"
exit $rc
