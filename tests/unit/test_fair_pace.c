/* Unit tests for filters/fair_pace (the budget + fairness controller of issue 20): the TVD ratio bound, the
 * per-request multiplier, the duals' directions, and a deterministic market simulation (seeded) of the
 * fairness tests' market: 60/40 men/women eligible, competing prices lognormal (median 1, sigma 0.5) and 10%,
 * 25% or 50% dearer for women, pay as bid and second price, 300 requests/s, the controller every 100 ms on a
 * 10 s window of 1 s buckets. The unconstrained twin (bid 1.2 for everyone) runs first on the same requests;
 * then the constrained campaign with exactly the twin's spend as its even-paced budget over the run. Asserted
 * per market: impact ratio >= 0.8 and TVD <= 0.05 on wins in every 10 s window after a 20 s warm-up, spend <=
 * budget, wins >= 95% of the twin's. The figures are printed (docs/fairness.md quotes them). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "filters/arena.h"
#include "filters/fair_pace.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "loadgen/rng.h"
#include "tests/unit/fair_fixed_view.h"

static const struct campaign_fairness FAIR = {true, FAIR_ATTR_GENDER, 0.8, 0.05, 10, 1.5, 50};

Test(fair_pace, kappa_tvd)
{
    /* 60/40: TVD 0.05 allows the 40% group 0.808 of the best rate; the four-fifths rule is looser there */
    cr_assert_float_eq(fair_pace_kappa_tvd(0.6, 0.05), 0.21 / 0.26, 1e-9);
    cr_assert_float_eq(fair_pace_kappa_tvd(0.5, 0.0), 1.0, 1e-9);
    cr_assert_eq(fair_pace_kappa_tvd(0.9, 0.2), 0); /* the others hold 10%: no ratio can break TVD 0.2 */
    /* the bound holds exactly at the ratio returned */
    double q = 0.7, k = fair_pace_kappa_tvd(q, 0.03), a = 1 - q;
    cr_assert_float_eq(a - a * k / (q + a * k), 0.03, 1e-9);
}

Test(fair_pace, multiplier_clamps)
{
    struct fair_pace_out o = {.pace = 1, .keep = 1, .hi = 1.5f};
    o.dw[FAIR_G_FEMALE] = 0.2f;
    o.dw[FAIR_G_MALE] = -0.1f;
    o.dw[FAIR_A_FIRST_BAND] = 0.5f;
    cr_assert_float_eq(fair_pace_multiplier(&o, FAIR_G_FEMALE, -1), 1.2, 1e-6);
    cr_assert_float_eq(fair_pace_multiplier(&o, FAIR_G_MALE, -1), 0.9, 1e-6);
    cr_assert_float_eq(fair_pace_multiplier(&o, FAIR_G_FEMALE, FAIR_A_FIRST_BAND), 1.5, 1e-6); /* max_boost */
    o.pace = 0.3f;
    cr_assert_float_eq(fair_pace_multiplier(&o, FAIR_G_MALE, -1), FAIR_PACE_FLOOR, 1e-6);
}

/* fair_check with FAIR_F_PACE: the multiplier sets the price, down as well as up, and the budget's spend is
 * reserved at the final price */
Test(fair_pace, fair_check_applies_multiplier)
{
    static char mem[1 << 14];
    static const char *const bodies[2] = {
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"user\":{\"gender\":\"F\"}"
        "}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"user\":{\"gender\":\"M\"}"
        "}",
    };
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct ortb_request req[2];
    for (int i = 0; i < 2; i++) {
        struct ortb_error e;
        cr_assert_eq(ortb_parse(bodies[i], strlen(bodies[i]), &a, &req[i], &e), 0);
    }
    struct campaign c;
    memset(&c, 0, sizeof c);
    c.id = SV_LIT("jobs");
    c.fair = FAIR;
    c.budget = (struct campaign_budget){true, 1000000000, 86400, BUDGET_PACING_EVEN};
    struct campaign_set cs = {.v = &c, .n = 1};
    struct fair_camp fc;
    memset(&fc, 0, sizeof fc);
    fc.flags = FAIR_F_FAIR_OK | FAIR_F_PACE;
    fc.pace_keep = 1;
    for (int g = 0; g < FAIR_NGROUPS; g++) fc.boost[g] = 1.4f; /* ignored under FAIR_F_PACE */
    fc.pace = (struct fair_pace_out){.pace = 0.9f, .keep = 1, .hi = 1.5f};
    fc.pace.dw[FAIR_G_FEMALE] = 0.25f;
    fc.pace.dw[FAIR_G_MALE] = -0.1f;
    static struct fair_fixed fx;
    fx = (struct fair_fixed){.cs = &cs, .year = 2026, .n = 1, .camp = &fc};
    fx.reserve[0][FAIR_RES_SPEND] = 10000;
    struct fair_view fv = fair_fixed_view(&fx);
    struct sv arg;
    int64_t num, price = 1200000; /* 1.2 CPM */
    cr_assert_eq(fair_check(&fv, &cs, 0, &req[0], 0, &price, &arg, &num), REASON_BID);
    cr_assert_eq(price, 1350000, "women: 1.2 x 0.9 x 1.25 = 1.35, got %lld", (long long)price);
    cr_assert_eq(fx.reserve[0][FAIR_RES_SPEND], 10000 - 1350, "spend reserved at the final price");
    price = 1200000;
    cr_assert_eq(fair_check(&fv, &cs, 0, &req[1], 0, &price, &arg, &num), REASON_BID);
    cr_assert_eq(price, 972000, "men levelled down: 1.2 x 0.9 x 0.9 = 0.972, got %lld", (long long)price);
    /* without FAIR_F_PACE the level-up boost applies as before */
    fc.flags = FAIR_F_FAIR_OK;
    price = 1200000;
    cr_assert_eq(fair_check(&fv, &cs, 0, &req[1], 0, &price, &arg, &num), REASON_BID);
    cr_assert_eq(price, 1680000);
}

/* counts of one group: eligible, bids, wins, throttled */
static void put(uint64_t c[][FAIR_NCOUNT], int g, uint64_t e, uint64_t w)
{
    c[g][FAIR_C_ELIG] = e;
    c[g][FAIR_C_BID] = e;
    c[g][FAIR_C_WIN] = w;
}

Test(fair_pace, duals_level_both_ways)
{
    uint64_t win[FAIR_NGROUPS][FAIR_NCOUNT] = {{0}};
    put(win, FAIR_G_MALE, 600, 390);   /* rate 0.65 */
    put(win, FAIR_G_FEMALE, 400, 190); /* rate 0.475: ratio 0.73 */
    struct fair_pace st;
    struct fair_pace_out o;
    struct fair_attr_ctl ctl[FAIR_NATTR];
    fair_pace_init(&st);
    for (int i = 0; i < 50; i++) fair_pace_step_raw(&FAIR, true, win, win, 100, 100, 0.1, &st, &o, ctl);
    cr_assert_gt(o.dw[FAIR_G_FEMALE], 0, "the behind group's value per win goes up");
    cr_assert_lt(o.dw[FAIR_G_MALE], 0, "the best-served group's goes down (levelled down, not only up)");
    cr_assert_float_eq(o.pace, 1, 1e-6, "spend on target: no budget dual");
    cr_assert_eq(st.best[FAIR_ATTR_IX_GENDER], FAIR_G_MALE);
    cr_assert(!ctl[FAIR_ATTR_IX_GENDER].level_down);
    cr_assert(ctl[FAIR_ATTR_IX_GENDER].use_wins);
    /* overspending moves the budget dual: pace < 1; underspending past the base price, up to max_boost (the
     * budget binds: wins are maximised subject to it) */
    for (int i = 0; i < 50; i++) fair_pace_step_raw(&FAIR, true, win, win, 150, 100, 0.1, &st, &o, ctl);
    cr_assert_lt(o.pace, 0.98);
    for (int i = 0; i < 100; i++) fair_pace_step_raw(&FAIR, true, win, win, 50, 100, 0.1, &st, &o, ctl);
    cr_assert_gt(o.pace, 1.02);
    for (int i = 0; i < 1000; i++) fair_pace_step_raw(&FAIR, true, win, win, 50, 100, 0.1, &st, &o, ctl);
    cr_assert_float_eq(o.pace, FAIR.max_boost, 1e-6);
    /* no demand in the recent span: the pace is held, not wound up */
    uint64_t idle[FAIR_NGROUPS][FAIR_NCOUNT] = {{0}};
    for (int i = 0; i < 50; i++) fair_pace_step_raw(&FAIR, true, win, win, 150, 100, 0.1, &st, &o, ctl);
    float held = o.pace;
    for (int i = 0; i < 50; i++) fair_pace_step_raw(&FAIR, true, win, idle, 0, 100, 0.1, &st, &o, ctl);
    cr_assert_float_eq(o.pace, held, 1e-6);
    /* asap: no pacing dual at all */
    for (int i = 0; i < 50; i++) fair_pace_step_raw(&FAIR, false, win, win, 150, 100, 0.1, &st, &o, ctl);
    cr_assert_float_eq(o.pace, 1, 1e-6);
    /* far over budget at the floor: a keep probability below 1 */
    for (int i = 0; i < 2000; i++) fair_pace_step_raw(&FAIR, true, win, win, 300, 100, 0.1, &st, &o, ctl);
    cr_assert_float_eq(o.pace, FAIR_PACE_FLOOR, 1e-6);
    cr_assert_lt(o.keep, 1);
    /* nothing qualifies (fewer than min_eligible): the duals fade, no adjustment */
    uint64_t few[FAIR_NGROUPS][FAIR_NCOUNT] = {{0}};
    put(few, FAIR_G_MALE, 10, 5);
    put(few, FAIR_G_FEMALE, 10, 1);
    fair_pace_step_raw(&FAIR, true, few, few, 100, 100, 0.1, &st, &o, ctl);
    cr_assert_eq(o.dw[FAIR_G_FEMALE], 0);
    cr_assert_eq(st.best[FAIR_ATTR_IX_GENDER], -1);
}

/* ---- the market simulation ---- */

#define RATE 300
#define DUR_S 200
#define WARM_S 20
#define WIN_S 10
#define SYNC_MS 100
#define BASE 1.2

struct market {
    double dear;       /* women's competing prices × this */
    bool second_price; /* else pay as bid */
};

/* the unconstrained twin; fair_control's level-up boosts under the same budget as a hard stop (the baseline
 * the issue measured); the fair_pace controller with the budget even-paced */
enum sim_mode { SIM_TWIN, SIM_BOOST, SIM_PACE };

struct sim {
    double wins, spend;
    double wins_after; /* wins after the warm-up */
    double min_ir, max_tvd;
    double mult_m, mult_f; /* the multipliers averaged over the measured windows */
    int nwindows;
    double ir[DUR_S / WIN_S], tvd[DUR_S / WIN_S]; /* per measured window */
    double first_ok_s; /* from when every later window's ratio is within 0.05 of the target */
};

static void close_window(struct sim *out, uint64_t eval[][FAIR_NCOUNT])
{
    double ir = fair_impact_ratio((const uint64_t(*)[FAIR_NCOUNT])eval, 0, FAIR_NGENDER, FAIR_C_WIN, 50);
    double tvd = fair_tvd((const uint64_t(*)[FAIR_NCOUNT])eval, 0, FAIR_NGENDER, FAIR_C_WIN);
    if (ir < out->min_ir) out->min_ir = ir;
    if (tvd > out->max_tvd) out->max_tvd = tvd;
    if (out->nwindows < DUR_S / WIN_S) {
        out->ir[out->nwindows] = ir;
        out->tvd[out->nwindows] = tvd;
    }
    out->nwindows++;
    memset(eval, 0, sizeof(uint64_t) * FAIR_NGROUPS * FAIR_NCOUNT);
}

static void sim_run(const struct market *mk, enum sim_mode mode, double budget, uint64_t seed, int warm_s,
                    struct sim *out)
{
    bool constrained = mode != SIM_TWIN;
    float boost[FAIR_NGROUPS];
    for (int g = 0; g < FAIR_NGROUPS; g++) boost[g] = 1;
    double msum_m = 0, msum_f = 0, mn = 0;
    static struct fair_window w;
    uint64_t eval[FAIR_NGROUPS][FAIR_NCOUNT]; /* the measured (10 s) window, outside the controller */
    struct fair_pace st;
    struct fair_pace_out po = {.pace = 1, .keep = 1, .hi = (float)FAIR.max_boost};
    struct fair_attr_ctl ctl[FAIR_NATTR] = {{0}};
    fair_window_init(&w, WIN_S * 1000 / FAIR_NBUCKETS);
    fair_pace_init(&st);
    memset(out, 0, sizeof *out);
    memset(eval, 0, sizeof eval);
    out->min_ir = 1;
    const int64_t n = (int64_t)RATE * DUR_S, T_ms = DUR_S * 1000;
    int64_t next_sync = SYNC_MS;
    for (int64_t i = 0; i < n; i++) {
        int64_t t = i * 1000 / RATE;
        if (constrained && t >= next_sync) {
            next_sync += SYNC_MS;
            uint64_t win[FAIR_NGROUPS][FAIR_NCOUNT], rec[FAIR_NGROUPS][FAIR_NCOUNT];
            fair_window_sum(&w, t, FAIR_NBUCKETS, win);
            fair_window_sum(&w, t, 2, rec);
            /* what the bidder hands the controller (bidder/fairness/budget.c, fz_budget_obs): spend in micros
             * in the window's FAIR_C_SPEND, the period's spend so far and its clock */
            struct fair_budget_obs o = {
                .window = (const uint64_t(*)[FAIR_NCOUNT])win,
                .recent = (const uint64_t(*)[FAIR_NCOUNT])rec,
                .window_ms = WIN_S * 1000,
                .recent_ms = w.bucket_ms + t % w.bucket_ms,
                .amount_micros = (int64_t)(budget * 1e6),
                .remaining_micros = -1,
                .spent_micros = (int64_t)(out->spend * 1e6),
                .period_ms = T_ms,
                .elapsed_ms = t,
                .pacing = BUDGET_PACING_EVEN,
                .pace_keep = 1,
            };
            if (mode == SIM_PACE) {
                fair_pace_step(&FAIR, &o, SYNC_MS / 1000.0, &st, &po, ctl);
                if (t / 1000 >= warm_s) {
                    msum_m += fair_pace_multiplier(&po, FAIR_G_MALE, -1);
                    msum_f += fair_pace_multiplier(&po, FAIR_G_FEMALE, -1);
                    mn++;
                }
            } else {
                fair_control(&FAIR, 0, FAIR_NGENDER, (const uint64_t(*)[FAIR_NCOUNT])win,
                             (const uint64_t(*)[FAIR_NCOUNT])rec, boost, &ctl[FAIR_ATTR_IX_GENDER]);
            }
        }
        /* the windows measured: aligned 10 s windows after the warm-up */
        if (i % RATE == 0 && t % (WIN_S * 1000) == 0 && t / 1000 > warm_s) close_window(out, eval);
        struct rng r = rng_for(seed, (uint64_t)i);
        int g = rng_chance(&r, 0.4) ? FAIR_G_FEMALE : FAIR_G_MALE;
        double compete = 1.0 * (g == FAIR_G_FEMALE ? mk->dear : 1.0) * exp(0.5 * rng_normal(&r));
        double draw = rng_unit(&r);
        bool measured = t / 1000 >= warm_s;
        if (measured) eval[g][FAIR_C_ELIG]++;
        double bid = BASE;
        if (constrained) {
            fair_window_add(&w, t, g, FAIR_C_ELIG, 1);
            const struct fair_attr_ctl *c = &ctl[FAIR_ATTR_IX_GENDER];
            double keep = mode == SIM_PACE ? po.keep : 1;
            if (c->level_down) {
                uint64_t win[FAIR_NGROUPS][FAIR_NCOUNT];
                fair_window_sum(&w, t, FAIR_NBUCKETS, win);
                uint64_t base = win[g][FAIR_C_ELIG] - win[g][FAIR_C_THR];
                double rate = base ? (double)win[g][c->use_wins ? FAIR_C_WIN : FAIR_C_BID] / (double)base : 0;
                if (rate > c->target) keep *= c->target / rate;
            }
            if (draw >= keep) {
                fair_window_add(&w, t, g, FAIR_C_THR, 1);
                continue;
            }
            bid = BASE * (mode == SIM_PACE ? fair_pace_multiplier(&po, g, -1) : boost[g]);
            if (out->spend + bid > budget) continue; /* the lease: never a bid the budget cannot pay */
            fair_window_add(&w, t, g, FAIR_C_BID, 1);
        }
        if (!(bid > compete)) continue;
        double price = mk->second_price ? compete : bid;
        out->wins++;
        out->spend += price;
        if (measured) {
            out->wins_after++;
            eval[g][FAIR_C_WIN]++;
        }
        if (constrained) {
            fair_window_add(&w, t, g, FAIR_C_WIN, 1);
            fair_window_add(&w, t, g, FAIR_C_SPEND, (uint64_t)llround(price * 1e6));
        }
    }
    close_window(out, eval); /* the last one */
    out->mult_m = mn ? msum_m / mn : 1;
    out->mult_f = mn ? msum_f / mn : 1;
}

static void market_case(double dear, bool second_price)
{
    const uint64_t seeds[] = {1, 2, 3, 4, 5};
    struct market mk = {dear, second_price};
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        struct sim twin, fair, boosted;
        sim_run(&mk, SIM_TWIN, 0, seeds[s], WARM_S, &twin);
        sim_run(&mk, SIM_PACE, twin.spend, seeds[s], WARM_S, &fair);
        sim_run(&mk, SIM_BOOST, twin.spend, seeds[s], WARM_S, &boosted);
        fprintf(stderr,
                "# sim %s women %.0f%% dearer seed %llu: twin wins %.0f spend %.1f IR>=%.3f TVD<=%.3f | "
                "constrained wins %.0f (%.1f%% of twin; after warm-up %.1f%%) spend %.1f (%.2f%% of budget) "
                "IR>=%.3f TVD<=%.3f over %d windows, mean multipliers men %.3f women %.3f | level-up boosts, "
                "budget as a hard stop: wins %.1f%% of twin, IR>=%.3f TVD<=%.3f\n",
                second_price ? "second price" : "pay as bid", (dear - 1) * 100, (unsigned long long)seeds[s],
                twin.wins, twin.spend, twin.min_ir, twin.max_tvd, fair.wins, 100 * fair.wins / twin.wins,
                100 * fair.wins_after / twin.wins_after, fair.spend, 100 * fair.spend / twin.spend,
                fair.min_ir, fair.max_tvd, fair.nwindows, fair.mult_m, fair.mult_f,
                100 * boosted.wins / twin.wins, boosted.min_ir, boosted.max_tvd);
        if (s == 0) {
            /* the convergence measurement: each window's ratio (and TVD) from the start, no warm-up */
            struct sim cold;
            sim_run(&mk, SIM_PACE, twin.spend, seeds[s], 0, &cold);
            cr_expect_geq(cold.ir[1], 0.8, "converged within the second 10 s window");
            char line[1024];
            size_t o = 0;
            for (int k = 0; k < cold.nwindows && k < 8; k++)
                o += (size_t)snprintf(line + o, sizeof line - o, " %.3f/%.3f", cold.ir[k], cold.tvd[k]);
            fprintf(stderr, "#   from a cold start, 10 s windows 1-8 (IR/TVD on wins):%s\n", line);
        }
        cr_expect_leq(fair.spend, twin.spend, "spend <= budget");
        cr_expect_geq(fair.min_ir, 0.8, "impact ratio on wins %.3f in some window", fair.min_ir);
        cr_expect_leq(fair.max_tvd, 0.05, "TVD on wins %.3f in some window", fair.max_tvd);
        cr_expect_geq(fair.wins, 0.95 * twin.wins, "wins %.0f vs twin %.0f", fair.wins, twin.wins);
        if (dear >= 1.25) /* the premise: the twin alone is unfair in these markets */
            cr_expect(twin.min_ir < 0.8 || twin.max_tvd > 0.05);
    }
}

Test(fair_pace_sim, pay_as_bid_10)
{
    market_case(1.10, false);
}
Test(fair_pace_sim, pay_as_bid_25)
{
    market_case(1.25, false);
}
Test(fair_pace_sim, pay_as_bid_50)
{
    market_case(1.50, false);
}
Test(fair_pace_sim, second_price_10)
{
    market_case(1.10, true);
}
Test(fair_pace_sim, second_price_25)
{
    market_case(1.25, true);
}
Test(fair_pace_sim, second_price_50)
{
    market_case(1.50, true);
}
