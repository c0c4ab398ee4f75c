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
    /* spend over the recent buckets (one attribute's groups: spend is counted once per attribute) */
    int first = fz_attrs(sl) & FAIR_ATTR_GENDER ? fair_attr_first(FAIR_ATTR_IX_GENDER)
                                                : fair_attr_first(FAIR_ATTR_IX_AGE);
    int n = first == 0 ? fair_attr_n(FAIR_ATTR_IX_GENDER) : fair_attr_n(FAIR_ATTR_IX_AGE);
    double spend = 0;
    for (int g = first; g < first + n; g++) spend += (double)recent[g][FAIR_C_SPEND];
    /* the lease's clock throttle (budget.c) hides demand: what the bids would have spent without it, so the
     * dual moves prices instead of leaving the throttle to do the pacing */
    double keep = sl->pace_keep > 0.05f ? sl->pace_keep : 0.05;
    spend /= keep;
    int64_t bucket = sl->win.bucket_ms > 0 ? sl->win.bucket_ms : 1;
    double span_ms = (double)(now - (now / bucket - (RECENT_BUCKETS - 1)) * bucket);
    int64_t pms = (int64_t)(sl->budget.period_s > 0 ? sl->budget.period_s : 86400) * 1000;
    int64_t left_ms = pms - now % pms;
    /* even pacing: the period's remaining budget over its remaining time, for the span measured */
    double target = -1;
    if (sl->b_spent_fleet >= 0 && left_ms > 0)
        target = (double)(sl->budget.amount_micros - sl->b_spent_fleet) * span_ms / (double)left_ms;
    fair_pace_step(&sl->fair, sl->budget.pacing == BUDGET_PACING_EVEN,
                   (const uint64_t(*)[FAIR_NCOUNT])sl->wsum, recent, spend, target, dt, &sl->pace,
                   &sl->pace_out, sl->ctl);
    /* the boost metric (fairbid_fair_boost) shows each group's multiplier under this controller */
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        int g1 = g < FAIR_NGENDER ? g : -1, g2 = g < FAIR_NGENDER ? -1 : g;
        sl->boost[g] = (float)fair_pace_multiplier(&sl->pace_out, g1, g2);
    }
}
