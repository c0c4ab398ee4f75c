/* Unit tests for filters/fair: group extraction (Audience Taxonomy 1.1 segments, user.gender, user.yob), the
 * bucketed window, impact ratio and TVD, the controller (level up, normalisation, level down) and fair_check
 * (throttle, boost, state unavailable, cap tokens and exhaustion). */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/unit/fair_fixed_view.h"
#include "filters/arena.h"
#include "filters/fair.h"
#include "filters/ortb.h"
#include "filters/reasons.h"

static char mem[1 << 16];

static struct ortb_request parse(const char *json)
{
    static struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(ortb_parse(json, strlen(json), &a, &r, &e), 0, "%s", json);
    return r;
}

#define REQ(user) "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"user\":" user "}"

Test(fair, gender_groups)
{
    static const struct {
        const char *json;
        int g;
    } cases[] = {
        {REQ("{\"gender\":\"F\"}"), FAIR_G_FEMALE},
        {REQ("{\"gender\":\"M\"}"), FAIR_G_MALE},
        {REQ("{\"gender\":\"O\"}"), FAIR_G_OTHER},
        {REQ("{}"), FAIR_G_UNKNOWN},
        {REQ("{\"gender\":\"X\"}"), FAIR_G_UNKNOWN},
        /* a segtax 4 segment wins over user.gender */
        {REQ("{\"gender\":\"M\",\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"49\"}]}]}"),
         FAIR_G_FEMALE},
        {REQ("{\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"7\"},{\"id\":\"50\"}]}]}"),
         FAIR_G_MALE},
        {REQ("{\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"52\"}]}]}"), FAIR_G_UNKNOWN},
        /* the id read as every taxonomy id is (filters/policy.h) */
        {REQ("{\"gender\":\"M\",\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\" 049.0\"}]}]}"),
         FAIR_G_FEMALE},
        /* another taxonomy's 49 is not a gender */
        {REQ("{\"gender\":\"M\",\"data\":[{\"ext\":{\"segtax\":6},\"segment\":[{\"id\":\"49\"}]}]}"),
         FAIR_G_MALE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ortb_request r = parse(cases[i].json);
        cr_expect_eq(fair_group_gender(&r), cases[i].g, "case %zu: %s", i, cases[i].json);
    }
}

Test(fair, age_groups)
{
    static const struct {
        const char *json;
        int g;
    } cases[] = {
        {REQ("{\"yob\":2000}"), FAIR_A_FIRST_BAND + 2}, /* 26 in 2026: 25-29 */
        {REQ("{\"yob\":2008}"), FAIR_A_FIRST_BAND + 0}, /* 18 */
        {REQ("{\"yob\":2010}"), FAIR_A_UNDER18},
        {REQ("{\"yob\":1940}"), FAIR_A_FIRST_BAND + 12}, /* 86: 75+ */
        {REQ("{\"yob\":2005}"), FAIR_A_FIRST_BAND + 1},  /* 21 */
        {REQ("{}"), FAIR_A_UNKNOWN},
        {REQ("{\"yob\":2099}"), FAIR_A_UNKNOWN},
        {REQ("{\"yob\":2000,\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"15\"}]}]}"),
         FAIR_A_FIRST_BAND + 12},
        {REQ("{\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"3\"}]}]}"), FAIR_A_FIRST_BAND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ortb_request r = parse(cases[i].json);
        cr_expect_eq(fair_group_age(&r, 2026), cases[i].g, "case %zu: %s", i, cases[i].json);
    }
    cr_expect_str_eq(fair_group_name(FAIR_A_FIRST_BAND + 12), "age_75_plus");
    cr_expect_eq(fair_group_segment(FAIR_G_FEMALE), 49);
    cr_expect_eq(fair_group_segment(FAIR_A_FIRST_BAND + 3), 6);
}

static uint64_t C[FAIR_NGROUPS][FAIR_NCOUNT];

static void set(int g, uint64_t e, uint64_t b, uint64_t w)
{
    C[g][FAIR_C_ELIG] = e;
    C[g][FAIR_C_BID] = b;
    C[g][FAIR_C_WIN] = w;
    C[g][FAIR_C_THR] = 0;
}

Test(fair, impact_ratio_and_tvd)
{
    memset(C, 0, sizeof C);
    set(FAIR_G_MALE, 600, 600, 384);   /* win rate 0.64 */
    set(FAIR_G_FEMALE, 400, 400, 188); /* 0.47 */
    cr_expect_float_eq(fair_impact_ratio(C, 0, FAIR_NGENDER, FAIR_C_BID, 1), 1.0, 1e-9);
    cr_expect_float_eq(fair_impact_ratio(C, 0, FAIR_NGENDER, FAIR_C_WIN, 1), 0.47 / 0.64, 1e-9);
    cr_expect_float_eq(fair_tvd(C, 0, FAIR_NGENDER, FAIR_C_BID), 0, 1e-9);
    /* delivered shares 384/572, 188/572 vs 0.6/0.4 */
    cr_expect_float_eq(fair_tvd(C, 0, FAIR_NGENDER, FAIR_C_WIN), 384.0 / 572 - 0.6, 1e-9);
    /* min_eligible leaves one group: undefined */
    cr_expect_eq(fair_impact_ratio(C, 0, FAIR_NGENDER, FAIR_C_WIN, 500), -1);
    /* nobody delivered: ratio 1, TVD 0 */
    set(FAIR_G_MALE, 600, 0, 0);
    set(FAIR_G_FEMALE, 400, 0, 0);
    cr_expect_eq(fair_impact_ratio(C, 0, FAIR_NGENDER, FAIR_C_WIN, 1), 1);
    cr_expect_eq(fair_tvd(C, 0, FAIR_NGENDER, FAIR_C_WIN), 0);
}

Test(fair, window_buckets)
{
    static struct fair_window w;
    fair_window_init(&w, 1000);
    uint64_t s[FAIR_NGROUPS][FAIR_NCOUNT];
    for (int t = 0; t < 15; t++) fair_window_add(&w, t * 1000 + 500, FAIR_G_MALE, FAIR_C_ELIG, 1);
    fair_window_sum(&w, 14500, FAIR_NBUCKETS, s);
    cr_expect_eq(s[FAIR_G_MALE][FAIR_C_ELIG], 10); /* buckets 5..14 */
    fair_window_sum(&w, 14500, 2, s);
    cr_expect_eq(s[FAIR_G_MALE][FAIR_C_ELIG], 2);
    /* far in the future: everything expired */
    fair_window_sum(&w, 100000, FAIR_NBUCKETS, s);
    cr_expect_eq(s[FAIR_G_MALE][FAIR_C_ELIG], 0);
    /* set overwrites a bucket (fleet totals) */
    uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT];
    memset(v, 0, sizeof v);
    v[FAIR_G_FEMALE][FAIR_C_WIN] = 7;
    fair_window_set(&w, 14, (const uint64_t(*)[FAIR_NCOUNT])v);
    fair_window_sum(&w, 14500, FAIR_NBUCKETS, s);
    cr_expect_eq(s[FAIR_G_FEMALE][FAIR_C_WIN], 7);
    cr_expect_eq(s[FAIR_G_MALE][FAIR_C_ELIG], 9);
}

static const struct campaign_fairness P = {true, FAIR_ATTR_GENDER, 0.8, 0.05, 10, 1.5, 50};

Test(fair, controller_levels_up_then_normalises)
{
    memset(C, 0, sizeof C);
    set(FAIR_G_MALE, 600, 600, 384);
    set(FAIR_G_FEMALE, 400, 400, 188);
    float boost[FAIR_NGROUPS];
    for (int g = 0; g < FAIR_NGROUPS; g++) boost[g] = 1;
    struct fair_attr_ctl out;
    fair_control(&P, 0, FAIR_NGENDER, C, C, boost, &out);
    cr_expect(out.use_wins);
    cr_expect(!out.level_down);
    cr_expect_gt(boost[FAIR_G_FEMALE], 1.0f);
    cr_expect_eq(boost[FAIR_G_MALE], 1.0f);
    /* repeated: capped at max_boost, then level down */
    for (int i = 0; i < 200; i++) fair_control(&P, 0, FAIR_NGENDER, C, C, boost, &out);
    cr_expect_float_eq(boost[FAIR_G_FEMALE], 1.5f, 1e-5);
    cr_expect(out.level_down);
    cr_expect_float_eq(out.target, 0.47 / FAIR_THROTTLE_RATIO, 1e-9);
    /* the under-served group overtakes: boosts are renormalised so the least boosted is at 1 */
    boost[FAIR_G_MALE] = 1.2f;
    set(FAIR_G_FEMALE, 400, 400, 300);
    fair_control(&P, 0, FAIR_NGENDER, C, C, boost, &out);
    cr_expect_eq(boost[FAIR_G_MALE], 1.0f);
    cr_expect(!out.level_down);
}

Test(fair, controller_waits_for_min_eligible)
{
    memset(C, 0, sizeof C);
    set(FAIR_G_MALE, 30, 30, 30);
    set(FAIR_G_FEMALE, 20, 20, 1);
    float boost[FAIR_NGROUPS];
    for (int g = 0; g < FAIR_NGROUPS; g++) boost[g] = 1;
    struct fair_attr_ctl out;
    fair_control(&P, 0, FAIR_NGENDER, C, C, boost, &out);
    cr_expect_eq(boost[FAIR_G_FEMALE], 1.0f);
}

/* ---- fair_check ---- */

static struct fair_fixed fx;

static void check_setup(struct campaign *c, struct campaign_set *cs, struct fair_camp *fc,
                        struct fair_view *fv)
{
    memset(c, 0, sizeof *c);
    c->id = SV_LIT("jobs");
    c->bid_micros = 1000000;
    c->fair = P;
    *cs = (struct campaign_set){.v = c, .n = 1};
    memset(fc, 0, sizeof *fc);
    fc->slot = 0;
    fc->flags = FAIR_F_FAIR_OK;
    fc->pace_keep = 1;
    for (int g = 0; g < FAIR_NGROUPS; g++) fc->boost[g] = 1;
    memset(&fx, 0, sizeof fx);
    fx = (struct fair_fixed){.cs = cs, .year = 2026, .n = 1, .camp = fc};
    *fv = fair_fixed_view(&fx);
}

Test(fair, check_boost_throttle_unavailable)
{
    struct campaign c;
    struct campaign_set cs;
    struct fair_camp fc;
    struct fair_view fv;
    check_setup(&c, &cs, &fc, &fv);
    struct ortb_request f = parse(REQ("{\"gender\":\"F\"}"));
    struct sv arg = SV_NULL;
    int64_t num = 0, price = 1000000;
    fc.boost[FAIR_G_FEMALE] = 1.25f;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_BID);
    cr_expect_eq(price, 1250000);
    /* no view at all (offline decide): unchanged */
    price = 1000000;
    cr_expect_eq(fair_check(NULL, &cs, 0, &f, 0, &price, &arg, &num), REASON_BID);
    cr_expect_eq(price, 1000000);
    /* level down: women delivered at 0.9, target 0.45: keep half */
    struct ortb_request m = f;
    fc.ctl[0] = (struct fair_attr_ctl){.use_wins = true, .level_down = true, .target = 0.45};
    fc.elig[FAIR_G_FEMALE] = 100;
    fc.deliv[FAIR_G_FEMALE] = 90;
    cr_expect_eq(fair_check(&fv, &cs, 0, &m, 0x10000000u, &price, &arg, &num), REASON_BID);
    cr_expect_eq(fair_check(&fv, &cs, 0, &m, 0x90000000u, &price, &arg, &num), REASON_FAIRNESS_THROTTLE);
    cr_expect_eq(num, 500);
    /* local unsynced deltas count: 100 more eligible, none delivered: rate 0.45, keep all */
    fx.unsynced[0][FAIR_G_FEMALE][FAIR_C_ELIG] = 100;
    cr_expect_eq(fair_check(&fv, &cs, 0, &m, 0xF0000000u, &price, &arg, &num), REASON_BID);
    fx.unsynced[0][FAIR_G_FEMALE][FAIR_C_ELIG] = 0;
    /* stale fleet state: fail closed */
    fc.flags = 0;
    cr_expect_eq(fair_check(&fv, &cs, 0, &m, 0, &price, &arg, &num), REASON_FAIRNESS_STATE_UNAVAILABLE);
    /* a snapshot for another campaign set: fail closed */
    fc.flags = FAIR_F_FAIR_OK;
    struct campaign_set other = cs;
    cr_expect_eq(fair_check(&fv, &other, 0, &m, 0, &price, &arg, &num), REASON_FAIRNESS_STATE_UNAVAILABLE);
}

Test(fair, check_cap_tokens)
{
    struct campaign c;
    struct campaign_set cs;
    struct fair_camp fc;
    struct fair_view fv;
    check_setup(&c, &cs, &fc, &fv);
    c.fair.enabled = false;
    c.cap = (struct campaign_cap){true, 3, 86400};
    struct ortb_request r = parse(REQ("{}"));
    struct sv arg = SV_NULL;
    int64_t num = 0, price = 1000000;
    fx.reserve[0][FAIR_RES_TOKEN] = 3;
    for (int i = 0; i < 3; i++) cr_expect_eq(fair_check(&fv, &cs, 0, &r, 0, &price, &arg, &num), REASON_BID);
    cr_expect_eq(fx.reserve[0][FAIR_RES_TOKEN], 0);
    cr_expect_eq(fair_check(&fv, &cs, 0, &r, 0, &price, &arg, &num), REASON_FAIRNESS_STATE_UNAVAILABLE);
    fc.flags |= FAIR_F_CAP_EXHAUSTED;
    cr_expect_eq(fair_check(&fv, &cs, 0, &r, 0, &price, &arg, &num), REASON_CAP_EXHAUSTED);
    cr_expect_eq(fx.reserve[0][FAIR_RES_TOKEN], 0);
}

/* Budgets: the bid's spend at its final (boosted) price is taken from the reserve, all or nothing; the reason
 * says why when it cannot be; fair_release gives the spend (and a cap token) back. */
Test(fair, check_budget_reserve)
{
    struct campaign c;
    struct campaign_set cs;
    struct fair_camp fc;
    struct fair_view fv;
    check_setup(&c, &cs, &fc, &fv);
    c.budget = (struct campaign_budget){true, 1000000, 86400, BUDGET_PACING_ASAP};
    c.cap = (struct campaign_cap){true, 10, 86400};
    fx.reserve[0][FAIR_RES_TOKEN] = 10;
    struct ortb_request f = parse(REQ("{\"gender\":\"F\"}"));
    struct sv arg = SV_NULL;
    int64_t num = 0, price = 1000000;
    fc.boost[FAIR_G_FEMALE] = 1.25f;
    /* 1.25 CPM boosted: 1250 micros per impression; 2600 held: two bids, the third fails closed */
    fx.reserve[0][FAIR_RES_SPEND] = 2600;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_BID);
    cr_expect_eq(price, 1250000);
    cr_expect_eq(fx.reserve[0][FAIR_RES_SPEND], 1350);
    price = 1000000;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_BID);
    cr_expect_eq(fx.reserve[0][FAIR_RES_SPEND], 100);
    price = 1000000;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_FAIRNESS_STATE_UNAVAILABLE);
    cr_expect_eq(fx.reserve[0][FAIR_RES_SPEND], 100, "nothing taken when the bid cannot be paid");
    cr_expect_eq(fx.reserve[0][FAIR_RES_TOKEN], 8, "the cap token of the refused bid went back");
    fc.flags |= FAIR_F_BUDGET_EXHAUSTED;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_BUDGET_EXHAUSTED);
    fc.flags = FAIR_F_FAIR_OK | FAIR_F_BUDGET_PACED;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0, &price, &arg, &num), REASON_BUDGET_PACED);
    /* the internal auction's loser gives its spend and token back */
    fair_release(&fv, &cs, 0, 1250000);
    cr_expect_eq(fx.reserve[0][FAIR_RES_SPEND], 1350);
    cr_expect_eq(fx.reserve[0][FAIR_RES_TOKEN], 9);
    /* even pacing's throttle: keep probability 0.5 on the turned-around draw */
    fc.flags = FAIR_F_FAIR_OK;
    fc.pace_keep = 0.5f;
    price = 1000000;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0x00001000u, &price, &arg, &num), REASON_BID);
    price = 1000000;
    cr_expect_eq(fair_check(&fv, &cs, 0, &f, 0x0000F000u, &price, &arg, &num), REASON_BUDGET_PACED);
    cr_expect_eq(num, 500);
    cr_expect_eq(fair_spend_micros(1200000), 1200);
    cr_expect_eq(fair_spend_micros(1200001), 1201, "rounded up: a reservation never falls short");
}
