/* cli_fairness: see cli_fairness.h. Blocking hiredis: a one-shot command, not the service. */
#include "bidder/cli/cli_fairness.h"
#include "bidder/common/clock.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "bidder/config/config.h"
#include "bidder/fairness/fairness.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "filters/fair.h"

static int usage(void)
{
    fprintf(stderr, "usage: fairbid fairness report --config FILE [--redis URL] [--json] [--png FILE]\n");
    return 2;
}

/* Reads the campaign's window (every bucket) from Redis into out. Returns 0 or -1. */
static int read_window(redisContext *rc, const struct campaign *c, int64_t now,
                       uint64_t out[FAIR_NGROUPS][FAIR_NCOUNT])
{
    struct fair_window w;
    int64_t bms = fairness_bucket_ms(&c->fair);
    fair_window_init(&w, bms);
    char id[256], key[400];
    snprintf(id, sizeof id, "%.*s", (int)c->id.n, c->id.p);
    for (int i = 0; i < FAIR_NBUCKETS; i++) {
        int64_t ep = now / bms - i;
        snprintf(key, sizeof key, FAIRNESS_KEY_FMT, id, (long long)bms, (long long)ep);
        redisReply *r = redisCommand(rc, "HGETALL %s", key);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r) freeReplyObject(r);
            return -1;
        }
        uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT];
        memset(v, 0, sizeof v);
        for (size_t k = 0; k + 1 < r->elements; k += 2) {
            int g, n;
            if (fairness_parse_field(r->element[k]->str, r->element[k]->len, &g, &n)) continue;
            long long x = strtoll(r->element[k + 1]->str, NULL, 10);
            v[g][n] = x > 0 ? (uint64_t)x : 0;
        }
        fair_window_set(&w, ep, (const uint64_t(*)[FAIR_NCOUNT])v);
        freeReplyObject(r);
    }
    fair_window_sum(&w, now, FAIR_NBUCKETS, out);
    return 0;
}

static double share(uint64_t a, uint64_t tot)
{
    return tot ? (double)a / (double)tot : 0;
}

static double rate(uint64_t a, uint64_t e)
{
    return e ? (double)a / (double)e : 0;
}

int cli_fairness_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *redis = NULL, *png = NULL;
    int json = 0;
    if (argc < 2 || strcmp(argv[1], "report")) return usage();
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--redis") && i + 1 < argc)
            redis = argv[++i];
        else if (!strcmp(argv[i], "--png") && i + 1 < argc)
            png = argv[++i];
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return usage();
    }
    if (!cfg_path) return usage();
    char err[1024];
    struct config *cfg = config_load(cfg_path, NULL, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "fairbid fairness: %s\n", err);
        return 1;
    }
    if (!redis) redis = cfg->redis;
    char cerr[512];
    redisContext *rc = redis[0] ? redis_block_connect(redis, 1000, cerr, sizeof cerr) : NULL;
    if (!rc) {
        fprintf(stderr, "fairbid fairness: %s\n", redis[0] ? cerr : "no Redis configured (--redis URL)");
        config_free(cfg);
        return 1;
    }

    FILE *dat = NULL;
    char datpath[600];
    if (png) {
        snprintf(datpath, sizeof datpath, "%s.dat", png);
        dat = fopen(datpath, "w");
    }
    int64_t now = fb_clock_wall_ms();
    int rcode = 0;
    const struct campaign_set *cs = &cfg->campaigns;
    if (json) printf("{\"campaigns\":[");
    int first_c = 1;
    for (uint32_t i = 0; i < cs->n; i++) {
        const struct campaign *c = &cs->v[i];
        if (!c->fair.enabled && !c->cap.enabled && !c->budget.enabled) continue;
        uint64_t w[FAIR_NGROUPS][FAIR_NCOUNT];
        memset(w, 0, sizeof w);
        if ((c->fair.enabled || c->budget.enabled) && read_window(rc, c, now, w)) {
            fprintf(stderr, "fairbid fairness: Redis read failed\n");
            rcode = 1;
            break;
        }
        long long cap_used = -1;
        bool cap_valid = true;
        if (c->cap.enabled) {
            char id[256], key[400];
            snprintf(id, sizeof id, "%.*s", (int)c->id.n, c->id.p);
            snprintf(key, sizeof key, FAIRNESS_CAP_KEY_FMT, id, c->cap.period_s,
                     (long long)(now / 1000 / c->cap.period_s));
            redisReply *r = redisCommand(rc, "GET %s", key);
            int64_t v = 0;
            /* the lease script's rule: a counter that is not a count leases nothing (shown, not guessed at)
             */
            cap_valid = !r || r->type == REDIS_REPLY_NIL ||
                        (r->type == REDIS_REPLY_STRING && fairness_cap_count_parse(r->str, r->len, &v) == 0);
            cap_used = cap_valid ? v : -1;
            if (r) freeReplyObject(r);
        }
        if (json) {
            printf("%s{\"campaign\":\"%.*s\",\"window_s\":%d,\"cap\":%lld,\"cap_leased\":%lld,%"
                   "s\"attributes\":[",
                   first_c ? "" : ",", (int)c->id.n, c->id.p, c->fair.window_s,
                   c->cap.enabled ? (long long)c->cap.bids : -1LL, cap_used,
                   cap_valid ? "" : "\"cap_counter\":\"invalid\",");
            first_c = 0;
        } else {
            printf("campaign %.*s", (int)c->id.n, c->id.p);
            if (c->fair.enabled)
                printf("  window %ds  min_eligible %d", c->fair.window_s, c->fair.min_eligible);
            if (c->cap.enabled)
                printf("  cap %lld/%lld leased (period %ds)%s", cap_used, (long long)c->cap.bids,
                       c->cap.period_s, cap_valid ? "" : "  cap counter invalid: no leases");
            printf("\n");
            fairness_budget_report(rc, c, now, (const uint64_t(*)[FAIR_NCOUNT])w, false);
        }
        int first_a = 1;
        for (int a = 0; a < FAIR_NATTR && c->fair.enabled; a++) {
            if (!(c->fair.attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                continue;
            int g0 = fair_attr_first(a), n = fair_attr_n(a);
            const uint64_t(*cw)[FAIR_NCOUNT] = (const uint64_t(*)[FAIR_NCOUNT])w;
            uint64_t me = (uint64_t)c->fair.min_eligible;
            double irb = fair_impact_ratio(cw, g0, n, FAIR_C_BID, me),
                   irw = fair_impact_ratio(cw, g0, n, FAIR_C_WIN, me);
            double tvb = fair_tvd(cw, g0, n, FAIR_C_BID), tvw = fair_tvd(cw, g0, n, FAIR_C_WIN);
            uint64_t te = 0, tb = 0, tw = 0;
            for (int g = g0; g < g0 + n; g++) {
                te += w[g][FAIR_C_ELIG];
                tb += w[g][FAIR_C_BID];
                tw += w[g][FAIR_C_WIN];
            }
            const char *an = a == FAIR_ATTR_IX_GENDER ? "gender" : "age_band";
            if (json) {
                printf("%s{\"attribute\":\"%s\",\"impact_ratio_bids\":%.4f,\"impact_ratio_wins\":%.4f,"
                       "\"tvd_bids\":%.4f,\"tvd_wins\":%.4f,\"groups\":{",
                       first_a ? "" : ",", an, irb, irw, tvb, tvw);
                first_a = 0;
            } else {
                printf("  %-9s %-14s %9s %8s %8s %8s %8s %9s %9s %9s\n", an, "group", "eligible", "elig%",
                       "bids", "bid%", "wins", "win%", "bid_rate", "win_rate");
            }
            int first_g = 1;
            for (int g = g0; g < g0 + n; g++) {
                if (!w[g][FAIR_C_ELIG]) continue;
                if (json) {
                    printf("%s\"%s\":{\"eligible\":%llu,\"bids\":%llu,\"wins\":%llu,\"throttled\":%llu}",
                           first_g ? "" : ",", fair_group_name(g), (unsigned long long)w[g][FAIR_C_ELIG],
                           (unsigned long long)w[g][FAIR_C_BID], (unsigned long long)w[g][FAIR_C_WIN],
                           (unsigned long long)w[g][FAIR_C_THR]);
                    first_g = 0;
                } else {
                    printf("  %-9s %-14s %9llu %7.1f%% %8llu %7.1f%% %8llu %7.1f%% %9.3f %9.3f\n", "",
                           fair_group_name(g), (unsigned long long)w[g][FAIR_C_ELIG],
                           100 * share(w[g][FAIR_C_ELIG], te), (unsigned long long)w[g][FAIR_C_BID],
                           100 * share(w[g][FAIR_C_BID], tb), (unsigned long long)w[g][FAIR_C_WIN],
                           100 * share(w[g][FAIR_C_WIN], tw), rate(w[g][FAIR_C_BID], w[g][FAIR_C_ELIG]),
                           rate(w[g][FAIR_C_WIN], w[g][FAIR_C_ELIG]));
                }
                if (dat)
                    fprintf(dat, "\"%.*s %s\" %.4f %.4f %.4f\n", (int)c->id.n, c->id.p, fair_group_name(g),
                            share(w[g][FAIR_C_ELIG], te), share(w[g][FAIR_C_BID], tb),
                            share(w[g][FAIR_C_WIN], tw));
            }
            if (json)
                printf("}}");
            else
                printf("  %-9s impact ratio bids %.3f wins %.3f (-1: < 2 groups with %d eligible)   TVD bids "
                       "%.3f wins %.3f\n",
                       "", irb, irw, c->fair.min_eligible, tvb, tvw);
        }
        if (json) {
            printf("]");
            fairness_budget_report(rc, c, now, (const uint64_t(*)[FAIR_NCOUNT])w, true);
            printf("}");
        }
    }
    if (json) printf("]}\n");
    redisFree(rc);
    config_free(cfg);
    if (dat) {
        fclose(dat);
        char cmd[2000];
        snprintf(cmd, sizeof cmd,
                 "gnuplot -e \"set terminal pngcairo size 900,500 noenhanced; set output '%s'; set style "
                 "data histograms; set style fill solid 0.8; set yrange [0:1]; set ylabel 'share'; set "
                 "xtics rotate by -30; set title 'fairbid: eligible vs delivered share per group'; plot "
                 "'%s' using 2:xtic(1) title 'eligible', '' using 3 title 'bids', '' using 4 title 'wins'\"",
                 png, datpath);
        int st = system(cmd);
        if (st != 0) {
            fprintf(stderr, "fairbid fairness: gnuplot failed (%d)\n", st);
            rcode = 1;
        }
        remove(datpath);
    }
    return rcode;
}
