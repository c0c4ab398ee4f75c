/* fairness report, budgets: what `fairbid fairness report` prints for a campaign with a budget, from the keys
 * the fleet keeps in Redis (the lease counter, the :spent counter) and its window (wins and spend per group).
 * Blocking hiredis: the CLI's, not the service's. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/fairness/fairness.h"

/* A counter's value: 0 when absent, -1 when it is not a count (shown, never guessed at). */
static int64_t get_count(redisContext *rc, const char *key)
{
    redisReply *r = redisCommand(rc, "GET %s", key);
    int64_t v = 0;
    if (!r) return -1;
    if (r->type == REDIS_REPLY_STRING && fairness_cap_count_parse(r->str, r->len, &v)) v = -1;
    if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL) v = -1;
    freeReplyObject(r);
    return v;
}

void fairness_budget_report(redisContext *rc, const struct campaign *c, int64_t now_ms,
                            const uint64_t (*w)[FAIR_NCOUNT], bool json)
{
    const struct campaign_budget *b = &c->budget;
    if (!b->enabled) return;
    char id[256], key[400], skey[420];
    snprintf(id, sizeof id, "%.*s", (int)c->id.n, c->id.p);
    int64_t pms = (int64_t)b->period_s * 1000, period = now_ms / pms;
    snprintf(key, sizeof key, FAIRNESS_BUDGET_KEY_FMT, id, b->period_s, (long long)period);
    snprintf(skey, sizeof skey, FAIRNESS_BUDGET_SPENT_KEY_FMT, id, b->period_s, (long long)period);
    char stkey[420];
    snprintf(stkey, sizeof stkey, FAIRNESS_BUDGET_START_KEY_FMT, id, b->period_s, (long long)period);
    int64_t reserved = get_count(rc, key), spent = get_count(rc, skey), start = get_count(rc, stkey);
    double elapsed = (double)(now_ms % pms) / (double)pms;
    /* even pacing runs from the period's first lease to its end */
    double paced_share = elapsed;
    if (start > 0 && start < (period + 1) * pms)
        paced_share = (double)(now_ms - start) / (double)((period + 1) * pms - start);
    /* the state the bidders' leases see: exhausted when everything is reserved, paced (even) when the fleet
     * has reserved what the clock allows by now */
    const char *state =
        reserved < 0                   ? "counter_invalid"
        : reserved >= b->amount_micros ? "exhausted"
        : b->pacing == BUDGET_PACING_EVEN && (double)reserved >= paced_share * (double)b->amount_micros
            ? "paced"
            : "ok";
    const char *pacing = b->pacing == BUDGET_PACING_EVEN ? "even" : "asap";
    uint64_t tw = 0, ts = 0;
    for (int g = 0; g < FAIR_NGENDER; g++) {
        tw += w[g][FAIR_C_WIN];
        ts += w[g][FAIR_C_SPEND];
    }
    if (json) {
        printf(",\"budget\":{\"amount\":%.6f,\"period_s\":%d,\"pacing\":\"%s\",\"period_elapsed\":%.4f,"
               "\"reserved\":%.6f,\"spent\":%.6f,\"state\":\"%s\",\"window_wins\":%llu,\"window_spend\":%.6f,"
               "\"cost_per_win\":%.6f,\"groups\":{",
               b->amount_micros / 1e6, b->period_s, pacing, elapsed, reserved / 1e6, spent / 1e6, state,
               (unsigned long long)tw, ts / 1e6, tw ? ts / 1e6 / (double)tw : 0);
        int first = 1;
        for (int g = 0; g < FAIR_NGROUPS; g++) {
            if (!w[g][FAIR_C_WIN] && !w[g][FAIR_C_ELIG]) continue;
            printf("%s\"%s\":{\"wins\":%llu,\"spend\":%.6f,\"cost_per_win\":%.6f}", first ? "" : ",",
                   fair_group_name(g), (unsigned long long)w[g][FAIR_C_WIN], w[g][FAIR_C_SPEND] / 1e6,
                   w[g][FAIR_C_WIN] ? w[g][FAIR_C_SPEND] / 1e6 / (double)w[g][FAIR_C_WIN] : 0);
            first = 0;
        }
        printf("}}");
        return;
    }
    printf(
        "  budget %.6f per %ds (pacing %s, %.1f%% of the period gone): reserved %.6f, spent %.6f (%.1f%%), "
        "state %s\n",
        b->amount_micros / 1e6, b->period_s, pacing, 100 * elapsed, reserved / 1e6, spent / 1e6,
        b->amount_micros ? 100.0 * (double)spent / (double)b->amount_micros : 0, state);
    printf("  %-9s %-14s %8s %12s %12s\n", "budget", "group", "wins", "spend", "cost/win");
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        if (!w[g][FAIR_C_WIN] && !w[g][FAIR_C_ELIG]) continue;
        printf("  %-9s %-14s %8llu %12.6f %12.6f\n", "", fair_group_name(g),
               (unsigned long long)w[g][FAIR_C_WIN], w[g][FAIR_C_SPEND] / 1e6,
               w[g][FAIR_C_WIN] ? w[g][FAIR_C_SPEND] / 1e6 / (double)w[g][FAIR_C_WIN] : 0);
    }
}
