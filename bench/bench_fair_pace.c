/* bench_fair_pace: fair_check for a campaign with fairness (gender + age) and an even-paced money budget
 * under the budget + fairness controller (FAIR_F_PACE: the per-group multiplier sets the price, the spend of
 * the impression is reserved at the final price and given back), as the median ns over several runs. Target:
 * < 50 ns (issue 20: fairness + budget check). Also the controller step itself (once per sync, not per
 * request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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
    c.budget = (struct campaign_budget){true, (int64_t)5000 * 1000000, 86400, BUDGET_PACING_EVEN};
    struct campaign_set cs = {.v = &c, .n = 1};
    struct fair_camp fc;
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
    struct fair_view fv = fair_fixed_view(&fx);
    fx.reserve[0][FAIR_RES_SPEND] = (int64_t)1 << 50;

    double ns[RUNS];
    uint32_t x = 12345;
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = now_ns();
        int64_t acc = 0;
        for (int i = 0; i < ITERS; i++) {
            x = x * 1664525u + 1013904223u;
            int64_t price = 1200000;
            struct sv arg;
            int64_t num;
            int rc = fair_check(&fv, &cs, 0, &req[i & 1], x, &price, &arg, &num);
            if (rc == REASON_BID && (i & 3) == 0) fair_release(&fv, &cs, 0, price); /* lost the auction */
            acc += rc + price;
        }
        sink = acc;
        ns[r] = (double)(now_ns() - t0) / ITERS;
    }
    qsort(ns, RUNS, sizeof ns[0], cmp);
    printf("bench_fair_pace: fair_check (gender+age fairness, even budget, pace multiplier, spend reserved, "
           "1 in 4 given back) median %.1f ns/call (min %.1f, max %.1f, %d runs x %d)\n",
           ns[RUNS / 2], ns[0], ns[RUNS - 1], RUNS, ITERS);

    /* the controller step, once per sync period per campaign */
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
    uint64_t t0 = now_ns();
    for (int i = 0; i < STEPS; i++)
        fair_pace_step_raw(&c.fair, true, (const uint64_t(*)[FAIR_NCOUNT])win,
                           (const uint64_t(*)[FAIR_NCOUNT])win, 100 + (i & 7), 100, 0.1, &st, &out, ctl);
    sink = (int64_t)(out.pace * 1000);
    printf("bench_fair_pace: fair_pace_step (gender+age, once per sync) %.1f ns/step\n",
           (double)(now_ns() - t0) / STEPS);
    return 0;
}
