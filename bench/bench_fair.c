/* bench_fair: fair_check per campaign per request, as the median ns over several runs of many iterations on
 * the same two parsed requests. Target: < 50 ns (issue 20: fairness + budget check). Three passes:
 *  1. fairness on gender + age, a level-down in force, a boost and a cap token (as before budgets);
 *  2. the same with a money budget (the bid's spend taken from the reserve, half of them given back as the
 *     internal auction's losers);
 *  3. fairness with an even-paced money budget under the budget + fairness controller (FAIR_F_PACE: the
 *     per-group multiplier sets the price, the impression's spend is reserved at the final price, 1 in 4
 *     given back); then the controller step itself (once per sync, not per request).
 * Pass 3 was bench_fair_pace, its own executable with the same setup and loop; its lines keep the
 * "bench_fair_pace:" prefix so figures compare with earlier RESULTS.md and docs/fairness.md.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_stats.h"
#include "bidder/common/clock.h"
#include "filters/arena.h"
#include "filters/fair.h"
#include "filters/fair_pace.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "tests/unit/fair_fixed_view.h"

#define RUNS 15
#define ITERS 2000000

static struct fair_fixed fx;
static char mem[1 << 16];
static volatile int64_t sink;

/* RUNS runs of ITERS fair_check calls alternating the two requests, each bid starting at price0; a bid with
 * (i & rel_mask) == rel_eq is given back (fair_release: it lost the internal auction), so rel_mask 0 with
 * rel_eq 1 gives none back. Prints "<what> median ... ns/call (...)". */
static void time_check(const char *what, const struct fair_view *fv, const struct campaign_set *cs,
                       const struct ortb_request req[2], int64_t price0, unsigned rel_mask, unsigned rel_eq)
{
    double ns[RUNS];
    uint32_t x = 12345;
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = fb_clock_thread_cpu_ns();
        int64_t acc = 0;
        for (int i = 0; i < ITERS; i++) {
            x = x * 1664525u + 1013904223u;
            int64_t price = price0;
            struct sv arg;
            int64_t num;
            int rc = fair_check(fv, cs, 0, &req[i & 1], x, &price, &arg, &num);
            if (rc == REASON_BID && ((unsigned)i & rel_mask) == rel_eq) fair_release(fv, cs, 0, price);
            acc += rc + price;
        }
        sink = acc;
        ns[r] = (double)(fb_clock_thread_cpu_ns() - t0) / ITERS;
    }
    double med = bench_median(ns, RUNS); /* sorts ns */
    printf("%s median %.1f ns/call (min %.1f, max %.1f, %d runs x %d)\n", what, med, ns[0], ns[RUNS - 1],
           RUNS, ITERS);
}

/* the controller step, once per sync period per campaign */
static void time_pace_step(const struct campaign_fairness *fair)
{
    static uint64_t win[FAIR_NGROUPS][FAIR_NCOUNT];
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        win[g][FAIR_C_ELIG] = 600 + (uint64_t)g * 10;
        win[g][FAIR_C_BID] = win[g][FAIR_C_ELIG];
        win[g][FAIR_C_WIN] = 300 + (uint64_t)g * 7;
    }
    struct fair_pace st;
    struct fair_pace_out out;
    struct fair_attr_ctl ctl[FAIR_NATTR];
    fair_pace_init(&st);
    enum { STEPS = 200000 };
    uint64_t t0 = fb_clock_thread_cpu_ns();
    for (int i = 0; i < STEPS; i++)
        fair_pace_step_raw(fair, true, (const uint64_t(*)[FAIR_NCOUNT])win,
                           (const uint64_t(*)[FAIR_NCOUNT])win, 100 + (i & 7), 100, 0.1, &st, &out, ctl);
    sink = (int64_t)(out.pace * 1000);
    printf("bench_fair_pace: fair_pace_step (gender+age, once per sync) %.1f ns/step\n",
           (double)(fb_clock_thread_cpu_ns() - t0) / STEPS);
}

int main(void)
{
    static const char *const bodies[2] = {
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"user\":{\"gender\":\"F\","
        "\"yob\":1990}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"user\":{\"yob\":1980,"
        "\"data\":"
        "[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"50\"},{\"id\":\"8\"}]}]}}",
    };
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct ortb_request req[2];
    for (int i = 0; i < 2; i++) {
        struct ortb_error e;
        if (ortb_parse(bodies[i], strlen(bodies[i]), &a, &req[i], &e)) return 1;
    }
    static const struct campaign_fairness fair = {
        true, FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND, 0.8, 0.05, 60, 1.5, 50};
    struct campaign c;
    struct campaign_set cs = {.v = &c, .n = 1};
    struct fair_camp fc;
    struct fair_view fv = fair_fixed_view(&fx);

    /* passes 1 and 2: level-down, boost and a cap token; then a budget too */
    memset(&c, 0, sizeof c);
    c.id = SV_LIT("jobs");
    c.fair = fair;
    c.cap = (struct campaign_cap){true, 1000000000, 86400};
    memset(&fc, 0, sizeof fc);
    fc.slot = 0;
    fc.flags = FAIR_F_FAIR_OK;
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        fc.boost[g] = 1.1f;
        fc.elig[g] = 1000;
        fc.deliv[g] = 500;
    }
    fc.ctl[0] = (struct fair_attr_ctl){true, true, 0.45};
    fc.pace_keep = 1;
    fx = (struct fair_fixed){.cs = &cs, .year = 2026, .n = 1, .camp = &fc};
    fx.reserve[0][FAIR_RES_TOKEN] = (int64_t)1 << 40;
    time_check("bench_fair: fair_check (gender+age, level-down, boost, cap token)", &fv, &cs, req, 1000000, 0,
               1);
    c.budget = (struct campaign_budget){true, (int64_t)1e15, 86400, BUDGET_PACING_ASAP};
    fx.reserve[0][FAIR_RES_SPEND] = (int64_t)1 << 50;
    time_check(
        "bench_fair: fair_check (gender+age, level-down, boost, cap token, budget spend taken, half given "
        "back)",
        &fv, &cs, req, 1000000, 2, 2);

    /* pass 3: an even budget under the budget + fairness controller, no cap */
    memset(&c, 0, sizeof c);
    c.id = SV_LIT("jobs");
    c.fair = fair;
    c.budget = (struct campaign_budget){true, (int64_t)5000 * 1000000, 86400, BUDGET_PACING_EVEN};
    memset(&fc, 0, sizeof fc);
    fc.slot = 0;
    fc.flags = FAIR_F_FAIR_OK | FAIR_F_PACE;
    fc.pace_keep = 0.999f; /* the pacing throttle's draw is taken too */
    fc.pace = (struct fair_pace_out){.pace = 0.95f, .keep = 1, .hi = 1.5f};
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        fc.pace.dw[g] = g == FAIR_G_FEMALE ? 0.15f : -0.05f;
        fc.elig[g] = 1000;
        fc.deliv[g] = 500;
    }
    fx = (struct fair_fixed){.cs = &cs, .year = 2026, .n = 1, .camp = &fc};
    fx.reserve[0][FAIR_RES_SPEND] = (int64_t)1 << 50;
    time_check(
        "bench_fair_pace: fair_check (gender+age fairness, even budget, pace multiplier, spend reserved, "
        "1 in 4 given back)",
        &fv, &cs, req, 1200000, 3, 0);
    time_pace_step(&c.fair);
    return 0;
}
