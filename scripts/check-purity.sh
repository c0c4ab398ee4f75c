#!/usr/bin/env bash
# filters/ and bidder/http/ must stay pure: no libevent, hiredis or (other) bidder/ includes, and their static
# libraries must not call malloc/free or any libevent/hiredis/I/O symbol (checked on the built archives with nm -u).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rc=0
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](event2/|event\.h|hiredis/|bidder/)' filters/; then
  echo "purity: filters/ includes I/O libraries or bidder/ (above)"
  rc=1
fi
# bidder/http/ may include itself and filters/ (sv.h), nothing else of the project and no I/O library
if grep -rnE '#[[:space:]]*include[[:space:]]*[<"](event2/|event\.h|hiredis/|zlib\.h|sys/socket\.h|unistd\.h|stdio\.h)' bidder/http/ ||
  grep -rnE '#[[:space:]]*include[[:space:]]*"bidder/' bidder/http/ | grep -v '"bidder/http/'; then
  echo "purity: bidder/http/ includes I/O libraries or other bidder/ modules (above)"
  rc=1
fi
forbidden='^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup|event_|evhttp_|evbuffer_|bufferevent_|redis|socket|connect|accept|accept4|recv|send|read|write|open|fopen|printf|fprintf|puts)$'
for lib in "$build/libfairbid_filters.a" "$build/libfairbid_http.a"; do
  bad=$(nm -u "$lib" | awk '{print $2}' | grep -E "$forbidden" || true)
  if [ -n "$bad" ]; then
    echo "purity: $(basename "$lib") uses forbidden symbols:"
    echo "$bad"
    rc=1
  fi
done
[ $rc -eq 0 ] && echo "purity: filters/ and bidder/http/ are pure (no I/O includes; nm -u shows no allocation or I/O symbols)"
exit $rc
