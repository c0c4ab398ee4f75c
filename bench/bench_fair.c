/* bench_fair: fair_check per campaign per request (fairness on gender + age, a level-down in force, and a cap
 * token), then the same with a money budget (the bid's spend taken from the reserve, half of them given back
 * as the internal auction's losers), as the median ns over several runs of many iterations. Target: < 50 ns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/arena.h"
#include "bidder/common/clock.h"
#include "filters/fair.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "tests/unit/fair_fixed_view.h"

#define RUNS 15
#define ITERS 2000000

static struct fair_fixed fx;
static char mem[1 << 16];
static volatile int64_t sink;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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
    struct campaign c;
    memset(&c, 0, sizeof c);
    c.id = SV_LIT("jobs");
    c.fair = (struct campaign_fairness){true, FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND, 0.8, 0.05, 60, 1.5, 50};
    c.cap = (struct campaign_cap){true, 1000000000, 86400};
    struct campaign_set cs = {.v = &c, .n = 1};
    struct fair_camp fc;
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
    struct fair_view fv = fair_fixed_view(&fx);
    fx.reserve[0][FAIR_RES_TOKEN] = (int64_t)1 << 40;

    /* 1. fairness + cap (as before budgets); 2. the same with a budget: the bid's spend taken from the
     * reserve and, for every other call, given back (fair_release: the internal auction's loser) */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            c.budget = (struct campaign_budget){true, (int64_t)1e15, 86400, BUDGET_PACING_ASAP};
            fx.reserve[0][FAIR_RES_SPEND] = (int64_t)1 << 50;
        }
        double ns[RUNS];
        uint32_t x = 12345;
        for (int r = 0; r < RUNS; r++) {
            uint64_t t0 = fb_clock_thread_cpu_ns();
            int64_t acc = 0;
            for (int i = 0; i < ITERS; i++) {
                x = x * 1664525u + 1013904223u;
                int64_t price = 1000000;
                struct sv arg;
                int64_t num;
                int rc = fair_check(&fv, &cs, 0, &req[i & 1], x, &price, &arg, &num);
                if (pass == 1 && rc == REASON_BID && (i & 2)) fair_release(&fv, &cs, 0, price);
                acc += rc + price;
            }
            sink = acc;
            ns[r] = (double)(fb_clock_thread_cpu_ns() - t0) / ITERS;
        }
        qsort(ns, RUNS, sizeof ns[0], cmp);
        printf("bench_fair: fair_check (gender+age, level-down, boost, cap token%s) median %.1f ns/call "
               "(min %.1f, max %.1f, %d runs x %d)\n",
               pass ? ", budget spend taken, half given back" : "", ns[RUNS / 2], ns[0], ns[RUNS - 1], RUNS,
               ITERS);
    }
    return 0;
}
