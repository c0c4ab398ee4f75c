#!/usr/bin/env bash
# Pure folders (filters/, and bidder/http/ once it exists) must stay pure: no libevent, hiredis or bidder/ includes,
# and the compiled code must not call an allocator, libevent, hiredis or any I/O function.
#
# usage: check-purity.sh [--src ROOT] [--build BUILD_DIR | BUILD_DIR] [--archives-only] [DIR...]
#   ROOT       tree the DIRs are relative to (default: this repository). tests/integration/test_purity.sh points it
#              at a copy with a planted call to prove the check fails.
#   BUILD_DIR  also check the shipped archives BUILD_DIR/libfairbid_filters.a and, with bidder/http/,
#              libfairbid_http.a (CI passes its build directory).
#   --archives-only  with BUILD_DIR: check only its archives, not the sources (test_purity in the sanitizer tree,
#              whose sources the plain tree's run already compiles and checks)
#   DIR...     the pure folders (default: filters, and bidder/http when present).
#
# Every DIR/*.c is compiled here (-O2, as the build does) and `nm -u` of each object is matched against the forbidden
# names: exact names (malloc, fopen, ...) and prefixes (event_, evhttp_, evbuffer_, bufferevent_, evutil_, redis).
# Compiling the sources rather than only reading one archive lets the check cover any folder, built into whatever
# library, and a copy of the tree that CMake never saw. Exit 0 pure, 1 impure, 2 the check itself could not run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$here
build=
archives_only=0
dirs=()
while [ $# -gt 0 ]; do
  case $1 in
  --src) root=$(cd "$2" && pwd) && shift 2 ;;
  --build) build=$2 && shift 2 ;;
  --archives-only) archives_only=1 && shift ;;
  -h | --help) sed -n '2,15p' "$0" && exit 0 ;;
  -*) echo "purity: unknown option $1" >&2 && exit 2 ;;
  *)
    # the legacy form (check-purity.sh build-ci): a directory holding a CMake cache is the build directory
    if [ -z "$build" ] && [ -f "$1/CMakeCache.txt" ]; then build=$1; else dirs+=("$1"); fi
    shift
    ;;
  esac
done
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=(filters)
  [ -d "$root/bidder/http" ] && dirs+=(bidder/http)
fi

# Exact names: the allocator (and what allocates for its caller), file, socket and stdio calls, the stdio streams,
# and their _FORTIFY_SOURCE variants. Prefixes: every libevent and hiredis entry point.
exact='malloc|calloc|realloc|reallocarray|free|aligned_alloc|posix_memalign|memalign|valloc|pvalloc|strdup|strndup'
exact+='|asprintf|vasprintf|getline|getdelim|open_memstream|mmap|munmap|brk|sbrk'
exact+='|socket|connect|accept|accept4|bind|listen|send|sendto|sendmsg|recv|recvfrom|recvmsg|poll|epoll_wait|select'
exact+='|read|write|readv|writev|pread|pwrite|open|openat|open64|creat|close|unlink|fsync|ioctl|fcntl'
exact+='|fopen|fopen64|fdopen|freopen|fclose|fread|fwrite|fgets|fgetc|getc|fputs|fputc|putc|fflush|fseek|ftell'
exact+='|printf|fprintf|vprintf|vfprintf|dprintf|vdprintf|puts|putchar|perror|getchar|scanf|fscanf|syslog'
exact+='|stdin|stdout|stderr|__printf_chk|__fprintf_chk|__vfprintf_chk|__vprintf_chk|__dprintf_chk|__asprintf_chk'
exact+='|__vasprintf_chk|__open_2|__openat_2|__read_chk|__pread_chk|__fread_chk|__fgets_chk'
exact+='|freeReplyObject|sdsnew|sdsfree'
forbidden="^(($exact)|(event_|evhttp_|evbuffer_|bufferevent_|evconnlistener_|evutil_|evdns_|redis).*)$"

# forbidden_syms: reads `nm -u` output, prints the forbidden names (one a line, sorted, unique)
forbidden_syms() { awk 'NF { print $NF }' | sed 's/@.*//' | grep -E "$forbidden" | sort -u || true; }
# check_syms NAME FILE: says which forbidden names the object or archive FILE (called NAME) calls, and sets rc=1
check_syms() {
  local bad
  bad=$(nm -u "$2" | forbidden_syms)
  if [ -n "$bad" ]; then
    echo "purity: $1 uses forbidden symbols: $(echo "$bad" | paste -sd' ')"
    rc=1
  fi
}

cc=${CC:-cc}
cflags=(-std=c11 -D_GNU_SOURCE -O2 -w -I"$root")
if command -v pkg-config >/dev/null && pkg-config --exists libxxhash; then
  read -r -a xx <<<"$(pkg-config --cflags libxxhash)"
  cflags+=("${xx[@]}")
fi
jobs=${PURITY_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
objs=$(mktemp -d)
trap 'rm -rf "$objs"' EXIT

rc=0
if [ "$archives_only" = 1 ] && [ -z "$build" ]; then
  echo "purity: --archives-only needs BUILD_DIR" >&2
  exit 2
fi
for d in "${dirs[@]}"; do
  [ "$archives_only" = 1 ] && break
  d=${d%/}
  if [ ! -d "$root/$d" ]; then
    echo "purity: $root/$d is not a directory" >&2
    exit 2
  fi
  # I/O libraries and bidder/ headers; a folder under bidder/ may include its own headers (bidder/http/x.h)
  inc=$(cd "$root" && grep -rnE '#[[:space:]]*include[[:space:]]*[<"](event2/|event\.h|evhttp\.h|hiredis|bidder/)' \
    "$d" --include='*.c' --include='*.h' | grep -vE "[<\"]$d/" || true)
  if [ -n "$inc" ]; then
    echo "$inc"
    echo "purity: $d/ includes I/O libraries or bidder/ (above)"
    rc=1
  fi
  # compiled PURITY_JOBS (default nproc) at a time, then checked in order (the same output as one at a time)
  srcs=()
  for src in "$root/$d"/*.c; do [ -f "$src" ] && srcs+=("$src"); done
  for src in "${srcs[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    obj=$objs/$(echo "$d" | tr / _)_$(basename "$src" .c).o
    { "$cc" "${cflags[@]}" -c "$src" -o "$obj" 2>"$obj.err" || : >"$obj.failed"; } &
  done
  wait
  n=0
  for src in "${srcs[@]}"; do
    obj=$objs/$(echo "$d" | tr / _)_$(basename "$src" .c).o
    if [ -e "$obj.failed" ]; then
      cat "$obj.err" >&2
      echo "purity: could not compile $d/$(basename "$src") to check it" >&2
      exit 2
    fi
    check_syms "$d/$(basename "$src")" "$obj"
    n=$((n + 1))
  done
  if [ $n -eq 0 ]; then
    echo "purity: $d/ has no .c file; nothing was checked" >&2
    exit 2
  fi
done

if [ -n "$build" ]; then
  # libfairbid_http.a: bidder/http/ as shipped (CMakeLists.txt builds it as its own library)
  for lib in "$build/libfairbid_filters.a" $([ -d "$root/bidder/http" ] && echo "$build/libfairbid_http.a"); do
    if [ ! -f "$lib" ]; then
      echo "purity: $lib not found (build first)" >&2
      exit 2
    fi
    check_syms "$(basename "$lib")" "$lib"
  done
fi

[ $rc -eq 0 ] && [ "$archives_only" = 1 ] && echo "purity: the archives of ${dirs[*]} pure (nm -u)" && exit 0
[ $rc -eq 0 ] && echo "purity: ${dirs[*]} pure (no I/O includes; nm -u shows no allocation, libevent, hiredis or I/O symbol)"
exit $rc
