/* bench_jurisdiction: what the jurisdiction rules add to a request (issue 18: under 50 ns median).
 * Two measures, medians over runs: juris_resolve alone (where the person is + merging the rules in force)
 * for the request shapes that cost most (a state by geo, GPP sections, an unknown US region that merges
 * every state), and decide_run on the sample request with the jurisdiction table against the same campaign
 * set with the table detached, alternating runs so neighbours on the machine hit both alike.
 *
 * usage: bench_jurisdiction [--config FILE] [--runs N] [--iters N] [REQUEST.json] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_stats.h"
#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "bidder/common/clock.h"
#include "bidder/engine.h"
#include "filters/decide.h"
#include "filters/jurisdiction.h"

static char g_arena[512 * 1024];
static volatile uint64_t g_sink;

int main(int argc, char **argv)
{
    const char *config_path = "deploy/fairbid.json", *req_path = "deploy/sample-request.json";
    int runs = 9;
    long iters = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atol(argv[++i]);
        else
            req_path = argv[i];
    }
    if (runs < 1 || runs > 64 || iters < 1) return 2;
    char err[1024];
    struct config *cfg = config_load(config_path, NULL, err, sizeof err);
    if (!cfg) return fprintf(stderr, "%s\n", err), 2;
    if (!cfg->campaigns.juris)
        return fprintf(stderr, "%s: the policy has no jurisdictions table\n", config_path), 2;
    size_t len;
    char *body, ferr[512];
    if (fb_file_read(req_path, 64u << 20, &body, &len, ferr, sizeof ferr) != 0)
        return fprintf(stderr, "%s\n", ferr), 2;
    struct arena a;
    arena_init(&a, g_arena, sizeof g_arena);
    struct ortb_request req;
    struct ortb_error perr;
    if (ortb_parse(body, len, &a, &req, &perr)) return fprintf(stderr, "parse: %s\n", perr.msg), 2;
    size_t mark = a.used;
    struct decide_env env = {0};
    engine_env_now(&env);
    struct decide_result dec;
    if (decide_run(&cfg->campaigns, &req, &env, &a, &dec)) return 2;
    const struct consent_state cst = dec.consent;

    printf("bench_jurisdiction: %s, %s, %d runs x %ld iterations (thread CPU time)\n", config_path, req_path,
           runs, iters);
    printf("  sample request resolves to \"%s\"\n", dec.juris.code);

    /* 1. juris_resolve alone, per request shape */
    struct {
        const char *name, *country, *region;
        uint16_t sids[3];
        uint32_t nsid;
    } shapes[] = {
        {"geo USA/MD", "USA", "MD", {0}, 0},
        {"geo USA/us-or", "usa", "us-or", {0}, 0},
        {"geo USA, no region (strictest: every state)", "USA", "", {0}, 0},
        {"GPP sections 9+24, no geo", "", "", {9, 24, 0}, 2},
        {"geo DEU", "DEU", "", {0}, 0},
        {"no signal", "", "", {0}, 0},
    };
    struct juris_opts jo = {.unknown_strictest = true, .pol_custom_purpose = 0, .first_party = NULL};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        struct ortb_request r = req;
        r.device.geo.country = sv_from(shapes[s].country);
        r.device.geo.region = sv_from(shapes[s].region);
        r.regs.gpp_sid = shapes[s].sids;
        r.regs.ngpp_sid = shapes[s].nsid;
        r.regs.gpp_sid_sig = shapes[s].nsid ? ORTB_SIG_OK : ORTB_SIG_ABSENT;
        double v[64];
        struct juris_state js;
        for (int k = 0; k < runs; k++) {
            uint64_t t0 = fb_clock_thread_cpu_ns();
            for (long i = 0; i < iters; i++) {
                juris_resolve(cfg->campaigns.juris, &jo, &r, &cst, env.now_ms + i, &js);
                g_sink += js.mask;
            }
            v[k] = (double)(fb_clock_thread_cpu_ns() - t0) / (double)iters;
        }
        printf("  juris_resolve %-46s %6.1f ns median  (-> \"%s\")\n", shapes[s].name, bench_median(v, runs),
               js.code);
    }

    /* 1a. mixed traffic: the shapes in turn, and a new day every 7 requests (merges recomputed on
     * each cache miss) */
    for (int mode = 0; mode < 2; mode++) {
        struct ortb_request rs[6];
        for (size_t s = 0; s < 6; s++) {
            rs[s] = req;
            rs[s].device.geo.country = sv_from(shapes[s].country);
            rs[s].device.geo.region = sv_from(shapes[s].region);
            rs[s].regs.gpp_sid = shapes[s].sids;
            rs[s].regs.ngpp_sid = shapes[s].nsid;
            rs[s].regs.gpp_sid_sig = shapes[s].nsid ? ORTB_SIG_OK : ORTB_SIG_ABSENT;
        }
        double v[64];
        struct juris_state js;
        for (int k = 0; k < runs; k++) {
            uint64_t t0 = fb_clock_thread_cpu_ns();
            for (long i = 0; i < iters; i++) {
                int64_t now = mode ? env.now_ms + (i / 7) * 86400000 % (400LL * 86400000) : env.now_ms;
                juris_resolve(cfg->campaigns.juris, &jo, &rs[i % 6], &cst, now, &js);
                g_sink += js.mask;
            }
            v[k] = (double)(fb_clock_thread_cpu_ns() - t0) / (double)iters;
        }
        printf("  juris_resolve mixed shapes, %-33s %6.1f ns median\n",
               mode ? "a new day every 7 requests" : "same day", bench_median(v, runs));
    }

    /* 1b. the whole added work for the sample request, measured directly: resolve + every campaign's check */
    {
        double v[64];
        struct juris_state js;
        int32_t age = req.user.yob > 1900 ? env.year - req.user.yob : -1;
        for (int k = 0; k < runs; k++) {
            uint64_t t0 = fb_clock_thread_cpu_ns();
            for (long i = 0; i < iters; i++) {
                a.used = mark;
                juris_resolve(cfg->campaigns.juris, &jo, &req, &cst, env.now_ms, &js);
                for (uint32_t c = 0; c < cfg->campaigns.n; c++) {
                    const struct campaign *cp = &cfg->campaigns.v[c];
                    struct sv arg;
                    int64_t num;
                    if (cp->personal || cp->politics_cat)
                        g_sink +=
                            (uint64_t)juris_check(&cfg->campaigns, cp, &req, &cst, &js, age, &a, &arg, &num);
                }
            }
            v[k] = (double)(fb_clock_thread_cpu_ns() - t0) / (double)iters;
        }
        printf("  resolve + per-campaign checks, sample request (%u campaigns)  %6.1f ns median (bar: < 50 "
               "ns)\n",
               cfg->campaigns.n, bench_median(v, runs));
    }

    /* 2. decide_run with and without the table: what the lookup and the per-campaign rules add */
    const struct juris_table *jt = cfg->campaigns.juris;
    double on[64], off[64], diff[64];
    long diters = iters / 4 > 0 ? iters / 4 : 1;
    for (int k = 0; k < runs; k++) {
        for (int pass = 0; pass < 2; pass++) {
            cfg->campaigns.juris = pass == 0 ? jt : NULL;
            uint64_t t0 = fb_clock_thread_cpu_ns();
            for (long i = 0; i < diters; i++) {
                a.used = mark;
                g_sink += (uint64_t)decide_run(&cfg->campaigns, &req, &env, &a, &dec);
            }
            double ns = (double)(fb_clock_thread_cpu_ns() - t0) / (double)diters;
            if (pass == 0)
                on[k] = ns;
            else
                off[k] = ns;
        }
        diff[k] = on[k] - off[k];
    }
    cfg->campaigns.juris = jt;
    double d = bench_median(diff, runs);
    printf("  decide_run with the jurisdictions table    %6.1f ns median\n", bench_median(on, runs));
    printf("  decide_run without (table detached)        %6.1f ns median\n", bench_median(off, runs));
    printf("  decide_run difference (rules merged vs none; resolution runs in both)  %6.1f ns median\n", d);
    free(body);
    config_free(cfg);
    return d < 50 ? 0 : 1;
}
