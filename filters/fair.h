/* fair: fairness quotas and caps, the per-request part and the pure math behind it. The bidder
 * (bidder/fairness/) keeps the windowed counts, syncs them with the fleet through Redis, runs the controller
 * each sync period and leases cap tokens and budget spend; it hands decide() a view (struct fair_view). This
 * module: the group of a request, bucketed windows, impact ratio and TVD, the controller step and fair_check.
 * See docs/fairness.md. No I/O, no malloc. */
#ifndef FAIRBID_FILTERS_FAIR_H
#define FAIRBID_FILTERS_FAIR_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/campaign.h"
#include "filters/ortb.h"

/* ---- groups ----
 * One flat index space: gender groups 0..3, then age bands 4..18. "unknown" counts like any other group. */
enum {
    FAIR_G_UNKNOWN = 0,
    FAIR_G_FEMALE,
    FAIR_G_MALE,
    FAIR_G_OTHER,
    FAIR_NGENDER,
    /* age bands: unknown, under 18, then the Audience Taxonomy 1.1 ranges 18-20 .. 75+ (ids 3..15) */
    FAIR_A_UNKNOWN = FAIR_NGENDER,
    FAIR_A_UNDER18,
    FAIR_A_FIRST_BAND, /* 18-20 */
    FAIR_NGROUPS = FAIR_A_FIRST_BAND + 13
};
#define FAIR_NAGE (FAIR_NGROUPS - FAIR_NGENDER)
#define FAIR_SEGTAX_AUDIENCE 4

enum { FAIR_ATTR_IX_GENDER = 0, FAIR_ATTR_IX_AGE = 1, FAIR_NATTR = 2 };
/* Group range of attribute ix: [first, first + n). */
int fair_attr_first(int attr_ix);
int fair_attr_n(int attr_ix);

/* Gender group of a request: an Audience Taxonomy 1.1 gender segment (segtax 4, ids 49-52) in user.data, else
 * user.gender M/F/O, else FAIR_G_UNKNOWN. */
int fair_group_gender(const struct ortb_request *req);
/* Age group: a segtax 4 age-range segment (ids 3-15), else user.yob against `year`, else FAIR_A_UNKNOWN. */
int fair_group_age(const struct ortb_request *req, int32_t year);
/* "female", "age_25_29", ... (static). */
const char *fair_group_name(int g);
/* Audience Taxonomy 1.1 id of a group's segment, or 0 for groups with none (unknown age, under 18). */
int fair_group_segment(int g);

/* ---- counts and windows ---- */
/* eligible, bids, wins (win notices), throttled by fairness, spend (micros of the currency, from win notices)
 */
enum { FAIR_C_ELIG = 0, FAIR_C_BID, FAIR_C_WIN, FAIR_C_THR, FAIR_C_SPEND, FAIR_NCOUNT };
#define FAIR_NBUCKETS 10

/* A sliding window of FAIR_NBUCKETS buckets of bucket_ms each: O(1) per add, O(buckets) per sum. Caller's
 * storage; fair_window_init sets the bucket size. */
struct fair_window {
    int64_t bucket_ms;
    int64_t epoch[FAIR_NBUCKETS]; /* bucket number (time / bucket_ms) held in each slot; -1 empty */
    uint64_t v[FAIR_NBUCKETS][FAIR_NGROUPS][FAIR_NCOUNT];
};
void fair_window_init(struct fair_window *w, int64_t bucket_ms);
/* Adds n to (group, count) at time now_ms (a bucket from before the window is recycled). */
void fair_window_add(struct fair_window *w, int64_t now_ms, int group, int count, uint64_t n);
/* Overwrites the whole bucket `epoch` (fleet totals read from Redis). */
void fair_window_set(struct fair_window *w, int64_t epoch, const uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT]);
/* Sums the last `nbuckets` buckets ending with the one holding now_ms (nbuckets = FAIR_NBUCKETS: the window).
 */
void fair_window_sum(const struct fair_window *w, int64_t now_ms, int nbuckets,
                     uint64_t out[FAIR_NGROUPS][FAIR_NCOUNT]);

/* Impact ratio over groups [first, first+n): lowest / highest delivery rate deliv/elig, among groups with at
 * least min_eligible eligible. count is FAIR_C_BID or FAIR_C_WIN. Returns -1 when fewer than two groups
 * qualify (undefined), and 1 when the highest rate is 0 (nobody served: no disparity). */
double fair_impact_ratio(const uint64_t c[][FAIR_NCOUNT], int first, int n, int count, uint64_t min_eligible);
/* Total variation distance: 0.5 × sum |delivered share - eligible share| over all groups of the range.
 * Returns 0 when nothing was delivered or nobody was eligible. */
double fair_tvd(const uint64_t c[][FAIR_NCOUNT], int first, int n, int count);

/* ---- controller ----
 * Per attribute of a campaign, once per sync period, from fleet counts: level up under-served groups (a price
 * multiplier, integral control towards the best-served group's rate, capped at max_boost), and, when a
 * group's boost is spent and it is still behind, level down the others (probabilistic throttle computed per
 * request in fair_check from fleet + local counts). Delivery is measured on wins when the window has any win
 * notices, else on bids. Rates exclude throttled requests, so the throttle does not feed back into its own
 * input. */
#define FAIR_TARGET_RATIO 0.95 /* level up groups below this share of the best rate */
#define FAIR_THROTTLE_RATIO 0.9
#define FAIR_GAIN 0.15
#define FAIR_MIN_RECENT 20 /* recent unthrottled eligible needed before a group's boost moves */

struct fair_attr_ctl {
    bool use_wins;
    bool level_down;
    double target; /* level down: keep probability of group g = min(1, target / rate_g) */
};

/* window: the counts over the whole window; recent: the last couple of buckets (the controller's input, so it
 * reacts within seconds). boost[first..first+n) is the state, updated in place. */
void fair_control(const struct campaign_fairness *p, int first, int n, const uint64_t window[][FAIR_NCOUNT],
                  const uint64_t recent[][FAIR_NCOUNT], float *boost, struct fair_attr_ctl *out);

/* ---- what a budget-aware controller sees ----
 * Filled by the bidder (bidder/fairness/budget.c, fz_budget_obs) once per sync period for a campaign with a
 * budget, beside the arguments of fair_control: the fleet's per-group counts over the window and over the
 * recent buckets (FAIR_C_ELIG, FAIR_C_BID, FAIR_C_WIN, FAIR_C_THR, FAIR_C_SPEND in micros of the currency at
 * clearing prices), and the budget against its clock. */
struct fair_budget_obs {
    const uint64_t (*window)[FAIR_NCOUNT]; /* [FAIR_NGROUPS] */
    const uint64_t (*recent)[FAIR_NCOUNT]; /* [FAIR_NGROUPS] */
    int64_t window_ms, recent_ms;          /* the spans they cover */
    int64_t amount_micros;                 /* the budget per period */
    int64_t remaining_micros;              /* not yet reserved by any instance this period; -1 unknown */
    int64_t spent_micros;                  /* the fleet's spend at clearing prices this period; -1 unknown */
    int64_t period_ms, elapsed_ms;         /* the period's length and how much of it has passed */
    uint8_t pacing;                        /* BUDGET_PACING_* */
    double pace_keep;                      /* even pacing's current keep probability (1 = none) */
};

/* ---- the view fair_check reads ----
 * An interface, as the consent store's view is: filters/ sees the published controller output of a campaign
 * and asks the bidder to take from or give back to the instance's reserves (cap tokens, budget spend). How
 * the bidder keeps them (per-worker counters, an RCU-published snapshot, atomics) is its own business
 * (bidder/fairness/). */
#define FAIR_MAX_SLOTS 256 /* constrained (fair, capped or budgeted) campaigns per process */

enum {
    FAIR_F_FAIR_OK = 1,          /* fleet fairness totals fresh enough to decide on */
    FAIR_F_CAP_EXHAUSTED = 2,    /* the cap's period is used up fleet-wide */
    FAIR_F_BUDGET_EXHAUSTED = 4, /* the budget's period is spent (or reserved) fleet-wide */
    FAIR_F_BUDGET_PACED = 8,     /* even pacing: the fleet is ahead of the clock, nothing more to lease now */
    FAIR_F_PACE = 16             /* fairness + budget: fair_camp.pace sets the price (filters/fair_pace.h) */
};

/* The lowest bid multiplier of the budget + fairness controller: a group is never bid below half the
 * campaign's base price. Below it price shading stops buying fairness or pacing cheaply (a pay-as-bid win at
 * half price is a rare one), so the controller throttles instead (docs/fairness.md). */
#define FAIR_PACE_FLOOR 0.5

/* The budget + fairness controller's published multipliers (filters/fair_pace.h computes them). */
struct fair_pace_out {
    float pace;             /* 1 / ν, ν the budget's dual (1: the base price) */
    float keep;             /* budget throttle below the floor: keep probability (1: none) */
    float hi;               /* max_boost */
    float dw[FAIR_NGROUPS]; /* w_g − 1 per group: the fairness duals' value adjustment (0: none) */
};

/* The bid multiplier of a request in gender group g1 and age group g2 (-1: attribute not constrained):
 * clamp(pace × (1 + dw[g1] + dw[g2]), FAIR_PACE_FLOOR, hi). O(1). */
static inline double fair_pace_multiplier(const struct fair_pace_out *o, int g1, int g2)
{
    double w = 1.0;
    if (g1 >= 0) w += o->dw[g1];
    if (g2 >= 0) w += o->dw[g2];
    double m = (double)o->pace * w;
    if (m < FAIR_PACE_FLOOR) m = FAIR_PACE_FLOOR;
    if (m > o->hi) m = o->hi;
    return m;
}

/* The published state of one campaign (immutable while a decision reads it). */
struct fair_camp {
    int32_t slot; /* the bidder's index for the campaign's reserves and counters; -1: not constrained */
    uint32_t flags;
    struct fair_attr_ctl ctl[FAIR_NATTR];
    float boost[FAIR_NGROUPS];
    float pace_keep; /* budget, even pacing: probability of keeping an eligible bid (1 = no throttle) */
    struct fair_pace_out pace; /* with FAIR_F_PACE: the price multipliers instead of boost */
    /* fleet window counts (eligible, delivered on the attribute's measure, throttled), for the level-down */
    uint64_t elig[FAIR_NGROUPS], deliv[FAIR_NGROUPS], thr[FAIR_NGROUPS];
};

/* What take/give move: one cap token, or spend in micros of the bidding currency. */
enum { FAIR_RES_TOKEN = 0, FAIR_RES_SPEND = 1 };

struct fair_view {
    /* The state published for campaign `campaign_index` of cs, and the current UTC year in *year; NULL when
     * there is none for this campaign set (fail closed). Valid until the caller's decision ends. */
    const struct fair_camp *(*camp)(void *ctx, const struct campaign_set *cs, uint32_t campaign_index,
                                    int32_t *year);
    /* This worker's counts for (slot, group) not yet in fair_camp's fleet totals, into out[FAIR_NCOUNT]. */
    void (*unsynced)(void *ctx, int32_t slot, int group, uint64_t *out);
    /* Takes n of `kind` from the instance's reserve for slot, all or nothing; true when taken. */
    bool (*take)(void *ctx, int32_t slot, int kind, int64_t n);
    /* Gives back what take took. */
    void (*give)(void *ctx, int32_t slot, int kind, int64_t n);
    void *ctx;
};

/* Spend of one impression bought at price_micros CPM, in micros of the currency, rounded up (a reservation
 * never falls short of what the impression can cost). */
static inline int64_t fair_spend_micros(int64_t price_micros)
{
    return price_micros > 0 ? (price_micros + 999) / 1000 : 0;
}

/* Called for a campaign that passed every other filter for this imp (it is "eligible"). May raise
 * *price_micros (boost, up to the campaign's max_boost), or with FAIR_F_PACE set it to the base price times
 * fair_pace_multiplier (down to FAIR_PACE_FLOOR). Returns REASON_BID or a drop reason
 * (fairness.throttle, fairness.state_unavailable, cap.exhausted, budget.exhausted, budget.paced) with *arg /
 * *num for the detail. `draw` is a uniform random number in [0, 2^32) for probabilistic throttling, supplied
 * by the caller so the function stays pure. fv NULL (offline decide, no state machinery): every campaign
 * passes unchanged. On REASON_BID a capped campaign took one token and a budgeted one the spend of an
 * impression at the final price (fair_spend_micros): the caller gives them back with fair_release if the
 * campaign does not bid after all (it lost the internal auction). Cost: O(1), no allocation. */
int fair_check(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
               const struct ortb_request *req, uint32_t draw, int64_t *price_micros, struct sv *arg,
               int64_t *num);
/* Undoes what a REASON_BID of fair_check took for campaign_index at price_micros (its final price). Inline
 * check first: the internal auction's every loser passes here, and most campaigns hold nothing to give back.
 */
void fair_release_held(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
                       int64_t price_micros);
static inline void fair_release(const struct fair_view *fv, const struct campaign_set *cs,
                                uint32_t campaign_index, int64_t price_micros)
{
    const struct campaign *c = &cs->v[campaign_index];
    if (fv && (c->cap.enabled || c->budget.enabled)) fair_release_held(fv, cs, campaign_index, price_micros);
}

#endif
