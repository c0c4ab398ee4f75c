/* config_budget: the reader of a campaign's "budget" object, {"amount": A, "period_s": S, "pacing":
 * "asap"|"even"}: money per period across the fleet (docs/fairness.md, Budgets), called by
 * config_campaign.c's campaign reader. Like a cap, a promise to the advertiser: any key not understood is an
 * error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/config/config_internal.h"
#include "filters/json.h"

int ccfg_budget(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, "budget") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return ccfg_err(cc, at, "budget", "must be null or an object");
    c->budget.enabled = true;
    c->budget.period_s = 86400;
    c->budget.pacing = BUDGET_PACING_ASAP;
    c->budget.amount_micros = -1;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        int rc = 0;
        size_t kat = cfg_off(cc->j);
        if (sv_eq_cstr(k, "amount")) {
            /* at most 1e9 in the currency: 1e15 micros, the largest count the lease script accepts */
            double a = 0;
            rc = ccfg_num(cc, &a, "budget.amount", 0.000001, 1e9);
            if (!rc) c->budget.amount_micros = (int64_t)llround(a * 1e6);
        } else if (sv_eq_cstr(k, "period_s")) {
            rc = ccfg_int(cc, &c->budget.period_s, "budget.period_s", 1, 366 * 86400);
        } else if (sv_eq_cstr(k, "pacing")) {
            struct sv p = SV_NULL;
            if (json_peek(cc->j) != JSON_STRING || json_string(cc->j, &p) || !p.p)
                return ccfg_err(cc, kat, "budget.pacing", "must be \"asap\" (the default) or \"even\"");
            if (sv_eq_cstr(p, "asap"))
                c->budget.pacing = BUDGET_PACING_ASAP;
            else if (sv_eq_cstr(p, "even"))
                c->budget.pacing = BUDGET_PACING_EVEN;
            else
                return ccfg_err(cc, kat, "budget.pacing", "must be \"asap\" (the default) or \"even\"");
        } else {
            char key[80];
            snprintf(key, sizeof key, "budget.%.*s", (int)(k.n > 60 ? 60 : k.n), k.p);
            return ccfg_err(cc, kat, key, "unknown key (budget has \"amount\", \"period_s\" and \"pacing\")");
        }
        if (rc) return -1;
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "budget");
    if (c->budget.amount_micros < 0) return ccfg_err(cc, at, "budget.amount", "is required");
    return 0;
}
