#!/usr/bin/env bash
# scripts/check-purity.sh fails on a planted call and passes on the real tree. The check once anchored its prefixes
# (^(...|event_|redis|...)$), so no libevent or hiredis call could ever match: each plant below is one the check
# must name, in a copy of filters/ that CMake never builds.
source "$(dirname "$0")/../harness/lib.sh"
CHECK=$SRC/scripts/check-purity.sh

# Everything but the archives compiles copies of the sources with cc -O2, whatever build this is: the same checks
# on the same inputs in every build tree. scripts/test.sh runs this test in the plain and the ASan tree, so the
# sanitizer tree checks only its own archives and leaves the rest to the plain tree's run.
sanitizer=0
grep -q '^FAIRBID_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null && sanitizer=1
if [ -f "$BUILD/libfairbid_filters.a" ]; then
  # the real filters/ and bidder/http/ compiled (plain tree) and the built archives: one run of the check covers
  # both (it used to be run a second time on filters/ alone, compiling the same sources again)
  if [ "$sanitizer" = 1 ]; then out=$(bash "$CHECK" --build "$BUILD" --archives-only 2>&1); else
    out=$(bash "$CHECK" --build "$BUILD" 2>&1)
  fi
  rc=$?
  expect_eq "real filters/ (exit 0) and the built libfairbid_filters.a are pure: $out" 0 "$rc"
else
  not_ok "no $BUILD/libfairbid_filters.a to check (FAIRBID_BUILD_DIR)"
fi
if [ "$sanitizer" = 1 ]; then
  echo "# sanitizer build: its archives checked; the planted checks run in the plain build's run of this test"
  finish
fi

# copy_filters FILE.c: a fresh copy of filters/ in $T/tree with every header and only FILE.c (each plant then
# compiles one file, not the whole library, so the test stays quick on a loaded machine)
copy_filters() {
  rm -rf "$T/tree" && mkdir -p "$T/tree/filters"
  cp "$SRC"/filters/*.h "$SRC"/filters/*.def "$SRC/filters/$1" "$T/tree/filters/"
}
# plant NAME SYMBOL CODE: appends CODE (a function with external linkage, so -O2 keeps the call) to a fresh copy
# of filters/consent.c and expects the check to exit 1 naming SYMBOL
plant() {
  local name=$1 sym=$2 code=$3
  copy_filters consent.c
  printf '%s\n' "$code" >>"$T/tree/filters/consent.c"
  local o rc
  o=$(bash "$CHECK" --src "$T/tree" filters 2>&1)
  rc=$?
  expect_eq "planted $name: check exits 1" 1 "$rc"
  if grep -q "consent.c uses forbidden symbols:.*\b$sym\b" <<<"$o"; then ok "planted $name: check names $sym"; else
    not_ok "planted $name: check does not name $sym: $o"
  fi
}
proto='void *purity_planted(void *p);'
plant "hiredis redisCommand" redisCommand "void *redisCommand(void *c, const char *fmt, ...); $proto
void *purity_planted(void *p) { return redisCommand(p, \"GET %s\", \"k\"); }"
plant "hiredis freeReplyObject" freeReplyObject "void freeReplyObject(void *r); $proto
void *purity_planted(void *p) { freeReplyObject(p); return 0; }"
plant "malloc" malloc "#include <stdlib.h>
$proto
void *purity_planted(void *p) { (void)p; return malloc(64); }"
plant "free" free "#include <stdlib.h>
$proto
void *purity_planted(void *p) { free(p); return 0; }"
plant "libevent event_base_new" event_base_new "void *event_base_new(void); $proto
void *purity_planted(void *p) { (void)p; return event_base_new(); }"
plant "libevent evbuffer_add" evbuffer_add "int evbuffer_add(void *b, const void *d, unsigned long n); $proto
void *purity_planted(void *p) { evbuffer_add(p, \"x\", 1); return 0; }"
plant "libevent bufferevent_write" bufferevent_write "int bufferevent_write(void *b, const void *d, unsigned long n);
$proto
void *purity_planted(void *p) { bufferevent_write(p, \"x\", 1); return 0; }"
plant "libevent evhttp_request_get_uri" evhttp_request_get_uri "const char *evhttp_request_get_uri(void *r); $proto
void *purity_planted(void *p) { return (void *)evhttp_request_get_uri(p); }"
plant "fopen" fopen "#include <stdio.h>
$proto
void *purity_planted(void *p) { return fopen((const char *)p, \"r\"); }"
plant "fprintf(stderr)" stderr "#include <stdio.h>
$proto
void *purity_planted(void *p) { fprintf(stderr, \"%p\", p); return 0; }"

# an include of an I/O library is caught before anything is compiled
copy_filters decide.c
sed -i '1i #include <hiredis/hiredis.h>' "$T/tree/filters/decide.c"
o=$(bash "$CHECK" --src "$T/tree" filters 2>&1)
rc=$?
expect_eq "planted #include <hiredis/hiredis.h>: check exits 1" 1 "$rc"
check "planted #include: check names the include" grep -q "filters/decide.c:1:#include <hiredis/hiredis.h>" <<<"$o"

# another pure folder, given as an argument (bidder/http/ is one): its own headers are allowed, a write() is not
mkdir -p "$T/tree2/bidder/http"
printf '#pragma once\nint hx_len(const char *s);\n' >"$T/tree2/bidder/http/hx.h"
printf '#include "bidder/http/hx.h"\n#include <string.h>\nint hx_len(const char *s) { return (int)strlen(s); }\n' \
  >"$T/tree2/bidder/http/hx.c"
o=$(bash "$CHECK" --src "$T/tree2" bidder/http 2>&1)
rc=$?
expect_eq "pure bidder/http/ including its own header passes: $o" 0 "$rc"
printf '#include <unistd.h>\nint hx_put(const char *s);\nint hx_put(const char *s) { return (int)write(1, s, 1); }\n' \
  >>"$T/tree2/bidder/http/hx.c"
o=$(bash "$CHECK" --src "$T/tree2" bidder/http 2>&1)
rc=$?
expect_eq "bidder/http/ with a planted write(): check exits 1" 1 "$rc"
check "bidder/http/ planted write(): check names write" grep -q "bidder/http/hx.c uses forbidden symbols:.*write" <<<"$o"
printf '#include "bidder/obs/log.h"\n' >"$T/tree2/bidder/http/hy.h"
o=$(bash "$CHECK" --src "$T/tree2" bidder/http 2>&1)
check "bidder/http/ including bidder/log.h: check names the include" grep -q 'hy.h:1:#include "bidder/obs/log.h"' <<<"$o"

# the check cannot pass by checking nothing
o=$(bash "$CHECK" --src "$T/tree2" no/such/dir 2>&1)
rc=$?
expect_eq "a missing folder is an error (exit 2), not a pass" 2 "$rc"
finish
