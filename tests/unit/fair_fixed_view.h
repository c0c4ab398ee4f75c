/* A fair_view over plain arrays, for tests and bench/bench_fair.c: one published campaign table, per-slot
 * unsynced counts and reserves (tokens, spend). Single-threaded, like the callers. */
#ifndef FAIRBID_TESTS_FAIR_FIXED_VIEW_H
#define FAIRBID_TESTS_FAIR_FIXED_VIEW_H

#include <stdint.h>
#include "filters/fair.h"

struct fair_fixed {
    const struct campaign_set *cs;
    int32_t year;
    uint32_t n;
    const struct fair_camp *camp;
    uint64_t unsynced[FAIR_MAX_SLOTS][FAIR_NGROUPS][FAIR_NCOUNT];
    int64_t reserve[FAIR_MAX_SLOTS][2]; /* [FAIR_RES_TOKEN], [FAIR_RES_SPEND] */
    bool unpublished;                   /* camp() says "nothing yet" */
};

static const struct fair_camp *fair_fixed_camp(void *ctx, const struct campaign_set *cs, uint32_t ci,
                                               int32_t *year)
{
    const struct fair_fixed *f = ctx;
    if (f->unpublished || f->cs != cs || ci >= f->n) return NULL;
    *year = f->year;
    return &f->camp[ci];
}

static void fair_fixed_unsynced(void *ctx, int32_t slot, int g, uint64_t *out)
{
    const struct fair_fixed *f = ctx;
    for (int k = 0; k < FAIR_NCOUNT; k++) out[k] = f->unsynced[slot][g][k];
}

static bool fair_fixed_take(void *ctx, int32_t slot, int kind, int64_t n)
{
    struct fair_fixed *f = ctx;
    int64_t *r = &f->reserve[slot][kind];
    if (*r <= 0 || *r < n) return false;
    *r -= n;
    return true;
}

static void fair_fixed_give(void *ctx, int32_t slot, int kind, int64_t n)
{
    struct fair_fixed *f = ctx;
    f->reserve[slot][kind] += n;
}

static inline struct fair_view fair_fixed_view(struct fair_fixed *f)
{
    return (struct fair_view){fair_fixed_camp, fair_fixed_unsynced, fair_fixed_take, fair_fixed_give, f};
}

#endif
