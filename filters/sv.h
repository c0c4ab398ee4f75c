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

#endif
