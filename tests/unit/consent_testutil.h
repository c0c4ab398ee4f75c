/* Test helpers for the consent decoders: a bit writer and base64url encoder to build TC and GPP strings
 * with exactly the fields (or the damage) a test wants. Header-only, included by test_tcf.c and test_gpp.c.
 */
#ifndef FAIRBID_TESTS_CONSENT_TESTUTIL_H
#define FAIRBID_TESTS_CONSENT_TESTUTIL_H

#include <stdint.h>
#include <string.h>

struct bw {
    uint8_t bit[16384];
    size_t n;
};

static inline void bw_put(struct bw *w, uint64_t v, unsigned width)
{
    for (unsigned i = width; i-- > 0;) w->bit[w->n++] = (uint8_t)(i < 64 ? (v >> i) & 1u : 0);
}

/* Encodes w as base64url into out (NUL-terminated), padding the last sextet with zeros. */
static inline const char *bw_b64(const struct bw *w, char *out)
{
    static const char dict[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < w->n; i += 6) {
        unsigned v = 0;
        for (size_t k = 0; k < 6; k++) v = v * 2 + (i + k < w->n ? w->bit[i + k] : 0);
        out[o++] = dict[v];
    }
    out[o] = '\0';
    return out;
}

/* Core segment fields up to PublisherCC (213 bits), purposes given as "bit p-1" masks. */
struct core_opts {
    unsigned version, vlv, policy, iss, lang0, lang1;
    uint64_t created;
    uint32_t purposes, purposes_li;
    uint16_t special;
};

static inline void bw_core(struct bw *w, const struct core_opts *o)
{
    bw_put(w, o->version, 6);
    bw_put(w, o->created, 36);
    bw_put(w, o->created, 36);
    bw_put(w, 7, 12); /* CmpId */
    bw_put(w, 3, 12); /* CmpVersion */
    bw_put(w, 1, 6);  /* ConsentScreen */
    bw_put(w, o->lang0, 6);
    bw_put(w, o->lang1, 6);
    bw_put(w, o->vlv, 12);
    bw_put(w, o->policy, 6);
    bw_put(w, o->iss, 1);
    bw_put(w, 0, 1); /* UseNonStandardTexts */
    for (int i = 0; i < 12; i++) bw_put(w, (o->special >> i) & 1u, 1);
    for (int i = 0; i < 24; i++) bw_put(w, (o->purposes >> i) & 1u, 1);
    for (int i = 0; i < 24; i++) bw_put(w, (o->purposes_li >> i) & 1u, 1);
    bw_put(w, 0, 1); /* PurposeOneTreatment */
    bw_put(w, 3, 6); /* 'D' */
    bw_put(w, 4, 6); /* 'E' */
}

static inline struct core_opts core_defaults(void)
{
    return (struct core_opts){.version = 2,
                              .vlv = 100,
                              .policy = 4,
                              .iss = 1,
                              .lang0 = 4,
                              .lang1 = 13,
                              .created = 16500000000ull,
                              .purposes = 0xf,
                              .purposes_li = 0x2,
                              .special = 1};
}

static inline void bw_bitfield(struct bw *w, const int *ids, int n, unsigned max)
{
    bw_put(w, max, 16);
    bw_put(w, 0, 1);
    for (unsigned v = 1; v <= max; v++) {
        int has = 0;
        for (int i = 0; i < n; i++) has |= ids[i] == (int)v;
        bw_put(w, (uint64_t)has, 1);
    }
}

/* Range entries as pairs {start, end}; start == end writes a single id. */
static inline void bw_entries(struct bw *w, const unsigned (*r)[2], int n)
{
    bw_put(w, (uint64_t)n, 12);
    for (int i = 0; i < n; i++) {
        bw_put(w, r[i][0] != r[i][1], 1);
        bw_put(w, r[i][0], 16);
        if (r[i][0] != r[i][1]) bw_put(w, r[i][1], 16);
    }
}

static inline void bw_ranges(struct bw *w, const unsigned (*r)[2], int n, unsigned max)
{
    bw_put(w, max, 16);
    bw_put(w, 1, 1);
    bw_entries(w, r, n);
}

/* Fibonacci code of v >= 1 (the GPP header's id deltas). */
static inline void bw_fib(struct bw *w, unsigned v)
{
    unsigned f[32];
    int n = 0;
    f[n++] = 1;
    f[n++] = 2;
    while (f[n - 1] + f[n - 2] <= v) f[n] = f[n - 1] + f[n - 2], n++;
    uint8_t bits[32] = {0};
    int top = 0;
    for (int i = n - 1; i >= 0; i--)
        if (f[i] <= v) {
            bits[i] = 1;
            v -= f[i];
            if (!top) top = i;
        }
    for (int i = 0; i <= top; i++) bw_put(w, bits[i], 1);
    bw_put(w, 1, 1);
}

/* A GPP header naming the ids given (singles, ascending), each delta-coded, base64url into out. */
static inline const char *bw_gpp_header(const unsigned *ids, int n, char *out)
{
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 6);
    bw_put(&w, 1, 6);
    bw_put(&w, (uint64_t)n, 12);
    unsigned prev = 0;
    for (int i = 0; i < n; i++) {
        bw_put(&w, 0, 1);
        bw_fib(&w, ids[i] - prev);
        prev = ids[i];
    }
    return bw_b64(&w, out);
}

#endif
