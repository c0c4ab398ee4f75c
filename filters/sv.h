/* sv: string views (pointer + length) into a buffer someone else owns, so parsed requests copy nothing. */
#ifndef FAIRBID_FILTERS_SV_H
#define FAIRBID_FILTERS_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct sv {
    const char *p;
    size_t n;
};

#define SV_LIT(s) ((struct sv){(s), sizeof(s) - 1})
#define SV_NULL ((struct sv){NULL, 0})
#define SV_FMT(s) (int)(s).n, (s).p

static inline struct sv sv_from(const char *s)
{
    return (struct sv){s, s ? strlen(s) : 0};
}
static inline bool sv_eq(struct sv a, struct sv b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
static inline bool sv_eq_cstr(struct sv a, const char *s)
{
    size_t n = strlen(s);
    return a.n == n && memcmp(a.p, s, n) == 0;
}
static inline bool sv_present(struct sv a)
{
    return a.p != NULL;
}
/* ASCII case-insensitive equality (country codes, currencies, domains). */
static inline bool sv_ieq(struct sv a, struct sv b)
{
    if (a.n != b.n) return false;
    for (size_t i = 0; i < a.n; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return false;
    }
    return true;
}

/* k folds to lit (plain lower-case ASCII) as case-folding JSON decoders match names (Go's encoding/json):
 * ASCII case-insensitively, and U+017F (long s) / U+212A (Kelvin sign) as 's' / 'k'. */
static inline bool sv_kfold(struct sv k, const char *lit)
{
    /* most keys differ at the first byte: an ASCII first byte decides at once (letters fold by bit 5) */
    if (k.n == 0 || !*lit) return k.n == 0 && !*lit;
    unsigned char c0 = (unsigned char)k.p[0];
    if (c0 < 0x80 && (c0 | (c0 >= 'A' && c0 <= 'Z' ? 0x20 : 0)) != (unsigned char)*lit) return false;
    size_t i = 0;
    for (; *lit; lit++) {
        if (i >= k.n) return false;
        unsigned char c = (unsigned char)k.p[i];
        if (c == 0xC5 && i + 1 < k.n && (unsigned char)k.p[i + 1] == 0xBF) {
            if (*lit != 's') return false;
            i += 2;
            continue;
        }
        if (c == 0xE2 && i + 2 < k.n && (unsigned char)k.p[i + 1] == 0x84 &&
            (unsigned char)k.p[i + 2] == 0xAA) {
            if (*lit != 'k') return false;
            i += 3;
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)*lit) return false;
        i++;
    }
    return i == k.n;
}

#endif
