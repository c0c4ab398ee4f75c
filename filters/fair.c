/* fair: see fair.h. Groups from the request, bucketed windows, impact ratio, TVD, the controller step and the
 * per-request check. Everything here is pure: the bidder owns the state and passes it in. */
#include "filters/fair.h"

#include <math.h>
#include <string.h>

#include "filters/policy.h"
#include "filters/reasons.h"

/* ---- groups ---- */

/* Audience Taxonomy 1.1 (segtax 4), Demographic: the ids of the gender and age-range segments, from
 * "Audience Taxonomy 1.1.tsv". 48 "Gender" and 2 "Age Range" are parents, not groups. */
static const struct {
    int id, group;
} SEGMENTS[] = {
    {3, FAIR_A_FIRST_BAND + 0},   /* 18-20 */
    {4, FAIR_A_FIRST_BAND + 1},   /* 21-24 */
    {5, FAIR_A_FIRST_BAND + 2},   /* 25-29 */
    {6, FAIR_A_FIRST_BAND + 3},   /* 30-34 */
    {7, FAIR_A_FIRST_BAND + 4},   /* 35-39 */
    {8, FAIR_A_FIRST_BAND + 5},   /* 40-44 */
    {9, FAIR_A_FIRST_BAND + 6},   /* 45-49 */
    {10, FAIR_A_FIRST_BAND + 7},  /* 50-54 */
    {11, FAIR_A_FIRST_BAND + 8},  /* 55-59 */
    {12, FAIR_A_FIRST_BAND + 9},  /* 60-64 */
    {13, FAIR_A_FIRST_BAND + 10}, /* 65-69 */
    {14, FAIR_A_FIRST_BAND + 11}, /* 70-74 */
    {15, FAIR_A_FIRST_BAND + 12}, /* 75+ */
    {49, FAIR_G_FEMALE},          {50, FAIR_G_MALE},
    {51, FAIR_G_OTHER},           {52, FAIR_G_UNKNOWN}, /* "Unknown Gender" */
};

/* Lower age bound of each band after FAIR_A_FIRST_BAND (the taxonomy's ranges). */
static const int BAND_MIN[13] = {18, 21, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75};

static const char *const NAMES[FAIR_NGROUPS] = {
    "unknown",   "female",    "male",      "other",     "age_unknown", "age_under_18", "age_18_20",
    "age_21_24", "age_25_29", "age_30_34", "age_35_39", "age_40_44",   "age_45_49",    "age_50_54",
    "age_55_59", "age_60_64", "age_65_69", "age_70_74", "age_75_plus",
};

int fair_attr_first(int attr_ix)
{
    return attr_ix == FAIR_ATTR_IX_GENDER ? 0 : FAIR_NGENDER;
}

int fair_attr_n(int attr_ix)
{
    return attr_ix == FAIR_ATTR_IX_GENDER ? FAIR_NGENDER : FAIR_NAGE;
}

const char *fair_group_name(int g)
{
    return g >= 0 && g < FAIR_NGROUPS ? NAMES[g] : "invalid";
}

int fair_group_segment(int g)
{
    for (size_t i = 0; i < sizeof SEGMENTS / sizeof SEGMENTS[0]; i++)
        if (SEGMENTS[i].group == g) return SEGMENTS[i].id;
    return 0;
}

/* The group of a segment id of segtax 4 in [lo, hi] (two ranges: ages, genders), or -1. */
static int segment_group(struct sv raw, int lo, int hi)
{
    /* read as every taxonomy id is ("049", "49.0": 49; filters/policy.h) */
    char b[POLICY_ID_MAX];
    size_t n;
    if (policy_id_canon(raw, b, sizeof b, &n) != POLICY_ID_OK || n > 2) return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] < '0' || b[i] > '9') return -1;
        v = v * 10 + (b[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    for (size_t i = 0; i < sizeof SEGMENTS / sizeof SEGMENTS[0]; i++)
        if (SEGMENTS[i].id == v) return SEGMENTS[i].group;
    return -1;
}

static int find_segment(const struct ortb_request *req, int lo, int hi)
{
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        if (data->segtax != FAIR_SEGTAX_AUDIENCE || data->ambiguous) continue;
        for (uint32_t s = 0; s < data->segment.n; s++) {
            int g = segment_group(data->segment.v[s], lo, hi);
            if (g >= 0) return g;
        }
    }
    return -1;
}

int fair_group_gender(const struct ortb_request *req)
{
    int g = find_segment(req, 49, 52);
    if (g >= 0) return g;
    struct sv s = req->user.gender;
    if (s.n == 1) switch (s.p[0]) {
        case 'F':
            return FAIR_G_FEMALE;
        case 'M':
            return FAIR_G_MALE;
        case 'O':
            return FAIR_G_OTHER;
        default:
            break;
        }
    return FAIR_G_UNKNOWN;
}

int fair_group_age(const struct ortb_request *req, int32_t year)
{
    int g = find_segment(req, 3, 15);
    if (g >= 0) return g;
    int32_t yob = req->user.yob;
    if (yob == ORTB_UNSET || yob <= 1900 || yob > year) return FAIR_A_UNKNOWN;
    int32_t age = year - yob;
    if (age < 18) return FAIR_A_UNDER18;
    int b = 12;
    while (b > 0 && age < BAND_MIN[b]) b--;
    return FAIR_A_FIRST_BAND + b;
}

/* ---- windows ---- */

void fair_window_init(struct fair_window *w, int64_t bucket_ms)
{
    memset(w, 0, sizeof *w);
    w->bucket_ms = bucket_ms > 0 ? bucket_ms : 1;
    for (int i = 0; i < FAIR_NBUCKETS; i++) w->epoch[i] = -1;
}

static uint64_t *bucket_at(struct fair_window *w, int64_t epoch)
{
    int i = (int)(epoch % FAIR_NBUCKETS);
    if (w->epoch[i] != epoch) {
        memset(w->v[i], 0, sizeof w->v[i]);
        w->epoch[i] = epoch;
    }
    return &w->v[i][0][0];
}

void fair_window_add(struct fair_window *w, int64_t now_ms, int group, int count, uint64_t n)
{
    if (now_ms < 0 || group < 0 || group >= FAIR_NGROUPS || count < 0 || count >= FAIR_NCOUNT) return;
    uint64_t *b = bucket_at(w, now_ms / w->bucket_ms);
    b[group * FAIR_NCOUNT + count] += n;
}

void fair_window_set(struct fair_window *w, int64_t epoch, const uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT])
{
    if (epoch < 0) return;
    int i = (int)(epoch % FAIR_NBUCKETS);
    memcpy(w->v[i], v, sizeof w->v[i]);
    w->epoch[i] = epoch;
}

void fair_window_sum(const struct fair_window *w, int64_t now_ms, int nbuckets,
                     uint64_t out[FAIR_NGROUPS][FAIR_NCOUNT])
{
    memset(out, 0, sizeof(uint64_t) * FAIR_NGROUPS * FAIR_NCOUNT);
    if (now_ms < 0) return;
    if (nbuckets > FAIR_NBUCKETS) nbuckets = FAIR_NBUCKETS;
    int64_t cur = now_ms / w->bucket_ms;
    for (int k = 0; k < nbuckets; k++) {
        int64_t e = cur - k;
        if (e < 0) break;
        int i = (int)(e % FAIR_NBUCKETS);
        if (w->epoch[i] != e) continue;
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int c = 0; c < FAIR_NCOUNT; c++) out[g][c] += w->v[i][g][c];
    }
}

/* ---- disparity measures ---- */

double fair_impact_ratio(const uint64_t c[][FAIR_NCOUNT], int first, int n, int count, uint64_t min_eligible)
{
    double lo = INFINITY, hi = -1;
    int q = 0;
    for (int g = first; g < first + n; g++) {
        uint64_t e = c[g][FAIR_C_ELIG];
        if (e == 0 || e < min_eligible) continue;
        double r = (double)c[g][count] / (double)e;
        if (r < lo) lo = r;
        if (r > hi) hi = r;
        q++;
    }
    if (q < 2) return -1;
    if (hi <= 0) return 1;
    return lo / hi;
}

double fair_tvd(const uint64_t c[][FAIR_NCOUNT], int first, int n, int count)
{
    double te = 0, td = 0;
    for (int g = first; g < first + n; g++) {
        te += (double)c[g][FAIR_C_ELIG];
        td += (double)c[g][count];
    }
    if (te <= 0 || td <= 0) return 0;
    double s = 0;
    for (int g = first; g < first + n; g++)
        s += fabs((double)c[g][count] / td - (double)c[g][FAIR_C_ELIG] / te);
    return s / 2;
}

/* ---- controller ---- */

/* Delivery rate among the eligible that were not throttled: the throttle then does not change its own input.
 */
static double unthrottled_rate(const uint64_t *v, int k, uint64_t min_base)
{
    uint64_t base = v[FAIR_C_ELIG] > v[FAIR_C_THR] ? v[FAIR_C_ELIG] - v[FAIR_C_THR] : 0;
    if (base == 0 || base < min_base) return -1;
    return (double)v[k] / (double)base;
}

void fair_control(const struct campaign_fairness *p, int first, int n, const uint64_t window[][FAIR_NCOUNT],
                  const uint64_t recent[][FAIR_NCOUNT], float *boost, struct fair_attr_ctl *out)
{
    uint64_t wins = 0;
    for (int g = first; g < first + n; g++) wins += window[g][FAIR_C_WIN];
    int k = wins ? FAIR_C_WIN : FAIR_C_BID;
    out->use_wins = wins != 0;
    out->level_down = false;
    out->target = 0;
    double maxb = p->max_boost >= 1 ? p->max_boost : 1;
    uint64_t min_elig = p->min_eligible > 0 ? (uint64_t)p->min_eligible : 1;

    double rate[FAIR_NGROUPS];
    double best = -1;
    for (int g = first; g < first + n; g++) {
        rate[g] = -1;
        if (window[g][FAIR_C_ELIG] < min_elig) continue;
        rate[g] = unthrottled_rate(recent[g], k, FAIR_MIN_RECENT);
        if (rate[g] > best) best = rate[g];
    }
    bool spent = false;
    for (int g = first; g < first + n; g++) {
        if (rate[g] < 0 || best <= 0) {
            /* no signal: let an old boost fade rather than pay it blindly */
            if (window[g][FAIR_C_ELIG] < min_elig) boost[g] = (float)(1 + (boost[g] - 1) * (1 - FAIR_GAIN));
            if (boost[g] < 1) boost[g] = 1;
            continue;
        }
        double r = rate[g] / best;
        double b = boost[g] < 1 ? 1 : boost[g];
        if (r < FAIR_TARGET_RATIO)
            b *= 1 + FAIR_GAIN * (1 - r); /* level up, faster the further behind */
        else if (r > 0.999)
            b = 1 + (b - 1) * (1 - FAIR_GAIN / 5); /* the best-served group gives its boost back slowly */
        if (b > maxb) b = maxb;
        boost[g] = (float)b;
        if (b >= maxb - 1e-6 && r < FAIR_THROTTLE_RATIO) spent = true;
    }
    /* only relative prices matter between groups: the best-served group bids the base price, so boosts never
     * ratchet up together after an overshoot */
    double m = INFINITY;
    for (int g = first; g < first + n; g++)
        if (rate[g] >= 0 && boost[g] < m) m = boost[g];
    if (m > 1 && m < INFINITY)
        for (int g = first; g < first + n; g++) boost[g] = (float)(boost[g] / m < 1 ? 1 : boost[g] / m);
    if (!spent) return;
    /* level down: hold every group's (window, unthrottled) rate to the lowest one / FAIR_THROTTLE_RATIO */
    double lo = -1;
    for (int g = first; g < first + n; g++) {
        if (window[g][FAIR_C_ELIG] < min_elig) continue;
        double u = unthrottled_rate(window[g], k, 1);
        if (u >= 0 && (lo < 0 || u < lo)) lo = u;
    }
    if (lo < 0) return;
    out->level_down = true;
    out->target = lo / FAIR_THROTTLE_RATIO;
}

/* ---- per request ---- */

static int unavailable(struct sv *arg, const char *why)
{
    *arg = (struct sv){why, strlen(why)};
    return REASON_FAIRNESS_STATE_UNAVAILABLE;
}

/* Keep probability of group g under a level-down: fleet totals plus this worker's unsynced counts. */
static double keep_prob(const struct fair_view *fv, const struct fair_camp *fc,
                        const struct fair_attr_ctl *ctl, int g)
{
    int k = ctl->use_wins ? FAIR_C_WIN : FAIR_C_BID;
    uint64_t u[FAIR_NCOUNT];
    fv->unsynced(fv->ctx, fc->slot, g, u);
    double e = (double)(fc->elig[g] + u[FAIR_C_ELIG]);
    double t = (double)(fc->thr[g] + u[FAIR_C_THR]);
    double d = (double)(fc->deliv[g] + u[k]);
    if (e - t < 1) return 1;
    double rate = d / (e - t);
    if (rate <= ctl->target) return 1;
    return ctl->target / rate;
}

int fair_check(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
               const struct ortb_request *req, uint32_t draw, int64_t *price_micros, struct sv *arg,
               int64_t *num)
{
    const struct campaign *c = &cs->v[campaign_index];
    if (!fv || (!c->fair.enabled && !c->cap.enabled && !c->budget.enabled)) return REASON_BID;
    int32_t year = 0;
    const struct fair_camp *fc = fv->camp(fv->ctx, cs, campaign_index, &year);
    if (!fc || fc->slot < 0) return unavailable(arg, "no fairness state for this config yet");
    double boost = 1;
    int grp[FAIR_NATTR] = {-1, -1};
    if (c->fair.enabled) {
        if (!(fc->flags & FAIR_F_FAIR_OK)) return unavailable(arg, "fleet fairness totals are stale");
        for (int a = 0; a < FAIR_NATTR; a++) {
            if (!(c->fair.attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                continue;
            int g = a == FAIR_ATTR_IX_GENDER ? fair_group_gender(req) : fair_group_age(req, year);
            grp[a] = g;
            const struct fair_attr_ctl *ctl = &fc->ctl[a];
            if (ctl->level_down) {
                double keep = keep_prob(fv, fc, ctl, g);
                if ((double)draw >= keep * 4294967296.0) {
                    const char *name = fair_group_name(g);
                    *arg = (struct sv){name, strlen(name)};
                    *num = (int64_t)(keep * 1000); /* keep probability, per mille */
                    return REASON_FAIRNESS_THROTTLE;
                }
            }
            if (fc->boost[g] > boost) boost = fc->boost[g];
        }
        if (boost > c->fair.max_boost) boost = c->fair.max_boost < 1 ? 1 : c->fair.max_boost;
    }
    /* fairness + budget: the controller's multiplier replaces the level-up boost, down as well as up */
    bool paced = (fc->flags & FAIR_F_PACE) != 0;
    if (paced) boost = fair_pace_multiplier(&fc->pace, grp[FAIR_ATTR_IX_GENDER], grp[FAIR_ATTR_IX_AGE]);
    if (c->budget.enabled && fc->pace_keep < 1) {
        /* even pacing: a throttle independent of the fairness draw above (the bits turned around) */
        uint32_t d2 = (draw << 16) | (draw >> 16);
        if ((double)d2 >= (double)fc->pace_keep * 4294967296.0) {
            *num = (int64_t)(fc->pace_keep * 1000);
            return REASON_BUDGET_PACED;
        }
    }
    if (c->cap.enabled && !fv->take(fv->ctx, fc->slot, FAIR_RES_TOKEN, 1)) {
        if (fc->flags & FAIR_F_CAP_EXHAUSTED) {
            *num = c->cap.bids;
            return REASON_CAP_EXHAUSTED;
        }
        return unavailable(arg, "no cap tokens leased");
    }
    int64_t price = *price_micros;
    if (boost > 1 || paced) price = (int64_t)llround((double)price * boost);
    if (c->budget.enabled && !fv->take(fv->ctx, fc->slot, FAIR_RES_SPEND, fair_spend_micros(price))) {
        if (c->cap.enabled) fv->give(fv->ctx, fc->slot, FAIR_RES_TOKEN, 1);
        *num = c->budget.amount_micros;
        if (fc->flags & FAIR_F_BUDGET_EXHAUSTED) return REASON_BUDGET_EXHAUSTED;
        if (fc->flags & FAIR_F_BUDGET_PACED) return REASON_BUDGET_PACED;
        *num = 0;
        return unavailable(arg, "no budget reserved");
    }
    *price_micros = price;
    return REASON_BID;
}

void fair_release_held(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
                       int64_t price_micros)
{
    const struct campaign *c = &cs->v[campaign_index];
    int32_t year;
    const struct fair_camp *fc = fv->camp(fv->ctx, cs, campaign_index, &year);
    if (!fc || fc->slot < 0) return;
    if (c->cap.enabled) fv->give(fv->ctx, fc->slot, FAIR_RES_TOKEN, 1);
    if (c->budget.enabled) fv->give(fv->ctx, fc->slot, FAIR_RES_SPEND, fair_spend_micros(price_micros));
}
