/* fairness control: the workers' counters into the fleet windows and the controller run on them (the math is
 * filters/fair.c's fair_control). */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <string.h>

int64_t fairness_bucket_ms(const struct campaign_fairness *f)
{
    int64_t w = f->window_s > 0 ? f->window_s : 3600;
    return w * 1000 / FAIR_NBUCKETS;
}

int fairness_parse_field(const char *f, size_t n, int *group, int *count)
{
    if (n < 3 || f[n - 2] != ':') return -1;
    int k = -1;
    for (int i = 0; i < FAIR_NCOUNT; i++)
        if (f[n - 1] == COUNT_CH[i]) k = i;
    if (k < 0) return -1;
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        const char *name = fair_group_name(g);
        if (strlen(name) == n - 2 && !memcmp(name, f, n - 2)) {
            *group = g;
            *count = k;
            return 0;
        }
    }
    return -1;
}

/* ---- controller and caps, once per sync ---- */

void fz_run_controller(struct slot *sl, int64_t now)
{
    uint64_t recent[FAIR_NGROUPS][FAIR_NCOUNT];
    fair_window_sum(&sl->win, now, FAIR_NBUCKETS, sl->wsum);
    fair_window_sum(&sl->win, now, RECENT_BUCKETS, recent);
    if (fz_paced(sl)) {
        fz_pace_step(sl, now, (const uint64_t(*)[FAIR_NCOUNT])recent);
        return;
    }
    for (int a = 0; a < FAIR_NATTR; a++) {
        unsigned bit = a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND;
        if (!(sl->fair.attrs & bit)) continue;
        fair_control(&sl->fair, fair_attr_first(a), fair_attr_n(a), (const uint64_t(*)[FAIR_NCOUNT])sl->wsum,
                     (const uint64_t(*)[FAIR_NCOUNT])recent, sl->boost, &sl->ctl[a]);
    }
}

/* Sums the workers' counters of a slot into sl->pending and remembers each worker's values in F.cur. */
void fz_read_counters(int s, struct slot *sl)
{
    memset(sl->pending, 0, sizeof sl->pending);
    for (int w = 0; w < F.nworkers; w++)
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int k = 0; k < FAIR_NCOUNT; k++) {
                uint64_t v = atomic_load_explicit(&F.local[w].c[s][g][k], memory_order_relaxed);
                atomic_store_explicit(&F.cur[w].c[s][g][k], v, memory_order_relaxed);
                sl->pending[g][k] += v;
            }
}

/* The counts are now in the fleet totals: advance the marks the workers subtract. */
void fz_commit_counters(int s, struct slot *sl)
{
    memcpy(sl->pushed, sl->pending, sizeof sl->pushed);
    for (int w = 0; w < F.nworkers; w++)
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int k = 0; k < FAIR_NCOUNT; k++)
                atomic_store_explicit(&F.mark[w].c[s][g][k],
                                      atomic_load_explicit(&F.cur[w].c[s][g][k], memory_order_relaxed),
                                      memory_order_relaxed);
}
