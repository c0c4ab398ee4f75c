/* fair_pace: the controller of a campaign with both `fairness` and a money `budget` (issue 20): per-group bid
 * multipliers that maximise wins subject to the budget's spend rate and the fairness bounds (impact ratio,
 * TVD on wins), levelling the cheaper group down as well as the dearer one up. A dual (Lagrangian) pacing
 * scheme with one multiplier per constraint, projected subgradient / mirror steps once per controller period
 * (docs/fairness.md, "Budget and fairness together"):
 *   bid of a request in groups (g1, g2) = base × clamp(pace × w, FAIR_PACE_FLOOR, max_boost),
 *   pace = 1 / ν                   (ν > 0: the budget's dual in units of the base price, moved by spend
 *                                    against the pacing target; ν = 1 bids the base price),
 *   w = 1 + Σ_attr dw[g_attr]       (the fairness duals μ: a behind group's value per win is raised by its μ,
 *                                    the best-served group's lowered by what the others' constraints cost
 * it). Pure: no I/O, no malloc; the bidder keeps the state and hands in windowed counts and spend. */
#ifndef FAIRBID_FILTERS_FAIR_PACE_H
#define FAIRBID_FILTERS_FAIR_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "filters/campaign.h"
#include "filters/fair.h"

/* Fairness target with a margin: the controller aims at κ = κ_bound + FAIR_PACE_MARGIN × (1 − κ_bound) where
 * κ_bound is the loosest lowest/best rate ratio that meets both min_impact_ratio and max_tvd. A window is a
 * sample (a 10 s window of ~1700 wins has a TVD standard error of ~0.008), so aiming at the bound itself
 * would fail half the windows; the margin costs < 1% of wins in the markets measured (docs/fairness.md). */
#define FAIR_PACE_MARGIN 0.5
/* Step sizes per second of controller time (scaled by the period dt): fairness duals (on the rate-ratio gap)
 * and the budget dual (mirror step on ln ν, on the relative spend error). Chosen against the ~1 s lag of
 * the recent window the controller reads (two 1 s buckets): loop time constants of a few seconds. */
#define FAIR_PACE_ETA_MU 0.15
#define FAIR_PACE_ETA_BUDGET 0.12
#define FAIR_PACE_MU_MAX 3.0

/* The controller's state, kept by the bidder per campaign (zero-initialised = no adjustment). */
struct fair_pace {
    double theta;             /* ln ν ∈ [−ln max_boost, ln(1 / FAIR_PACE_FLOOR)] */
    double keep;              /* budget throttle keep probability, moved only once theta is at its maximum */
    double mu[FAIR_NGROUPS];  /* fairness duals, ≥ 0, one per group (the group's rate-ratio constraint) */
    double kappa[FAIR_NATTR]; /* the rate-ratio target last used per attribute (metrics) */
    int best[FAIR_NATTR];     /* the best-served group per attribute, -1 none */
};

void fair_pace_init(struct fair_pace *st);

/* The ratio lowest/best delivery rate that keeps TVD ≤ max_tvd when every group but the best (of eligible
 * share q_best) is delivered at that ratio of the best one's rate. */
double fair_pace_kappa_tvd(double q_best, double max_tvd);

/* One controller step, every sync period (dt_s seconds), on what the bidder observed (fair_budget_obs,
 * filters/fair.h): the spend of the recent span (one attribute's groups; divided by the lease's
 * clock-throttle keep probability, which hides demand: the dual then moves prices instead of leaving the
 * throttle to pace) against the even-pacing target for that span, (amount − spent) × recent_ms / (period_ms −
 * elapsed_ms): the period's remaining budget over its remaining time. Updates st, writes out, and ctl[attr]
 * (use_wins, and the level-down throttle when prices alone cannot close a gap within [FAIR_PACE_FLOOR,
 * max_boost]). */
void fair_pace_step(const struct campaign_fairness *p, const struct fair_budget_obs *o, double dt_s,
                    struct fair_pace *st, struct fair_pace_out *out, struct fair_attr_ctl ctl[FAIR_NATTR]);

/* The same on raw inputs: window / recent counts, spend in the recent span and the budget's allowance for it
 * (same unit); !even: no budget pacing (ν = 1, `asap`); target ≤ 0 (not known yet, or nothing left) or no
 * eligible request in the recent span: ν is held. */
void fair_pace_step_raw(const struct campaign_fairness *p, bool even, const uint64_t window[][FAIR_NCOUNT],
                        const uint64_t recent[][FAIR_NCOUNT], double spend, double target, double dt_s,
                        struct fair_pace *st, struct fair_pace_out *out,
                        struct fair_attr_ctl ctl[FAIR_NATTR]);

#endif
