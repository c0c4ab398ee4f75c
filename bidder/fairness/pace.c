/* fairness pace: the budget + fairness controller (filters/fair_pace.h, docs/fairness.md "Budget and fairness
 * together") run on a slot's fleet window each sync, for a campaign with both `fairness` and `budget`: its
 * multipliers replace fair_control's level-up boosts and are published with FAIR_F_PACE. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

bool fz_paced(const struct slot *sl)
{
    return sl->fair.enabled && sl->budget.enabled;
}

void fz_pace_step(struct slot *sl, int64_t now, const uint64_t recent[][FAIR_NCOUNT])
{
    if (!sl->pace_on) {
        fair_pace_init(&sl->pace);
        sl->pace_on = true;
        sl->pace_last_ms = now;
    }
    double dt = (double)(now - sl->pace_last_ms) / 1000;
    sl->pace_last_ms = now;
    if (dt < 0) dt = 0;
    if (dt > 1) dt = 1; /* a stalled loop does not turn into one huge step */
    struct fair_budget_obs o;
    fz_budget_obs(sl, now, recent, &o);
    /* the recent buckets' span: the current bucket is only partly over */
    int64_t bucket = sl->win.bucket_ms > 0 ? sl->win.bucket_ms : 1;
    o.recent_ms = bucket * (RECENT_BUCKETS - 1) + now % bucket;
    fair_pace_step(&sl->fair, &o, dt, &sl->pace, &sl->pace_out, sl->ctl);
    /* the boost metric (fairbid_fair_boost) shows each group's multiplier under this controller */
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        int g1 = g < FAIR_NGENDER ? g : -1, g2 = g < FAIR_NGENDER ? -1 : g;
        sl->boost[g] = (float)fair_pace_multiplier(&sl->pace_out, g1, g2);
    }
}
