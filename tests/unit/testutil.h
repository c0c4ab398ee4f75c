/* Test helpers several unit tests had each written again: the source tree's files (FAIRBID_SOURCE_DIR), JSON
 * written with ' for ", and input that ends right before an inaccessible page (an overread faults instead of
 * passing unseen). Header-only and static inline, like consent_testutil.h: every tests/unit/test_*.c is its
 * own executable and uses some of them. */
#ifndef FAIRBID_TESTS_TESTUTIL_H
#define FAIRBID_TESTS_TESTUTIL_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "filters/arena.h"
#include "filters/consent.h"
#include "filters/ortb.h"

/* tests/CMakeLists.txt sets both the compile definition and the environment variable; the environment wins,
 * so a test binary can be run by hand against another tree. */
#ifndef FAIRBID_SOURCE_DIR
#define FAIRBID_SOURCE_DIR "."
#endif

static inline const char *tu_src_dir(void)
{
    const char *d = getenv("FAIRBID_SOURCE_DIR");
    return d && *d ? d : FAIRBID_SOURCE_DIR;
}

/* The absolute path of rel in the source tree, in a buffer the next call overwrites (config_parse resolves
 * `policy` against the config's name, so tests name their config text with this). */
static inline const char *tu_src_path(const char *rel)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", tu_src_dir(), rel);
    return path;
}

/* The whole of a source-tree file (malloc'd, NUL-terminated; the caller frees), or the test fails. */
static inline char *tu_load_file(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tu_src_dir(), rel);
    char *buf, err[1200];
    cr_assert_eq(fb_file_read(path, 64u << 20, &buf, len, err, sizeof err), 0, "%s", err);
    return buf;
}

/* Test JSON is written with ' for " to stay readable: copies q to out[cap] with each ' made ",
 * NUL-terminated; returns the length. A text longer than out fails the test. */
static inline size_t tu_unquote(const char *q, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = q; *p; p++) {
        cr_assert(n + 1 < cap, "test text too long");
        out[n++] = *p == '\'' ? '"' : *p;
    }
    out[n] = '\0';
    return n;
}

/* Parses q (JSON written with ' for ") into r; the body and the request's arena are static buffers the next
 * call reuses. A request that does not parse fails the test, named by name. */
static inline void tu_parse_q(const char *name, const char *q, struct ortb_request *r)
{
    static _Alignas(64) char mem[1 << 20];
    static char body[1 << 16];
    size_t n = tu_unquote(q, body, sizeof body);
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct ortb_error e;
    int rc = ortb_parse(body, n, &a, r, &e);
    cr_assert_eq(rc, 0, "[%s] request: %s (%s) at %zu", name, ortb_strerror(rc), e.msg ? e.msg : "",
                 e.offset);
}

/* ---- a request through ortb_parse and consent_eval (the consent tests' reading of a body) ---- */

struct tu_eval {
    struct ortb_request req;
    struct consent_state st;
    char body[8192];
};

/* Parses body (copied into e, which the request's views point into) and evaluates its consent for vendor, in
 * 2026, with the consent store view given (or none); a body that does not parse fails the test. */
static inline void tu_eval_json(struct tu_eval *e, const char *body, uint32_t vendor, bool strict,
                                const struct consent_store_view *store)
{
    static _Alignas(16) char amem[1 << 16];
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    snprintf(e->body, sizeof e->body, "%s", body);
    struct ortb_error err;
    int rc = ortb_parse(e->body, strlen(e->body), &a, &e->req, &err);
    cr_assert_eq(rc, 0, "request does not parse: %s at %zu: %s", err.msg, err.offset, body);
    struct consent_config cfg = {.tcf_vendor_id = vendor, .tcf_strict = strict};
    consent_eval(&e->req, &cfg, store, 2026, &a, &e->st);
}

/* ---- a buffer whose last byte is followed by an inaccessible page ---- */

struct tu_guard {
    char *map;
    size_t maplen, avail;
};

/* Maps room for max bytes (at least a page) and a PROT_NONE page after them. */
static inline void tu_guard_init(struct tu_guard *g, size_t max)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (max + page - 1) / page * page;
    if (data == 0) data = page;
    g->maplen = data + page;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(g->map != MAP_FAILED, "mmap");
    cr_assert(mprotect(g->map + data, page, PROT_NONE) == 0, "mprotect");
    g->avail = data;
}

/* n bytes ending exactly at the guard page. */
static inline char *tu_guard_tail(struct tu_guard *g, size_t n)
{
    cr_assert(n <= g->avail);
    return g->map + g->avail - n;
}

/* Copies n bytes of p (none if p is NULL) so that the last one sits just before the guard page. */
static inline char *tu_guard_put(struct tu_guard *g, const void *p, size_t n)
{
    char *dst = tu_guard_tail(g, n);
    if (n && p) memcpy(dst, p, n);
    return dst;
}

static inline void tu_guard_fini(struct tu_guard *g)
{
    munmap(g->map, g->maplen);
}

#endif
