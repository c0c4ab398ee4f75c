/* bench_decide: the per-request CPU cost of a bid, without HTTP: engine_bid (parse + decide + serialize, as a
 * worker runs it) and each phase alone, as medians over several runs of many iterations.
 *
 * usage: bench_decide [--config FILE] [--runs N] [--iters N] [REQUEST.json...]
 *        bench_decide --callgrind N [--config FILE] [REQUEST.json]
 * The second form runs exactly N engine_bid calls and nothing else after loading, for instruction counts:
 * (Ir at N=1000 - Ir at N=0) / 1000 = instructions per request (bench/run.sh does this under callgrind). */
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
#include "filters/response.h"

#define MAX_REQ 16
#define MAX_RUNS 64
#define ARENA_BYTES (256 * 1024)
#define RESP_BYTES (64 * 1024)

static char g_arena_mem[ARENA_BYTES];
static char g_resp_mem[RESP_BYTES];
static volatile uint64_t g_sink;

enum phase { PH_ENGINE, PH_PARSE, PH_DECIDE, PH_SERIALIZE, PH_N };
static const char *const phase_name[PH_N] = {"engine_bid (parse + decide + serialize)", "ortb_parse",
                                             "decide_run", "resp_write_bids"};

struct fixture {
    const struct config *cfg;
    const char *body;
    size_t len;
    struct arena a;
    struct buf out;
    struct engine_result res;
    struct ortb_request req;
    struct decide_result dec;
    struct decide_env env;
    size_t parsed_mark; /* arena use after parsing: decide alone restarts from here */
};

/* One timed run of `iters` calls of one phase; returns ns per call. */
static double run_phase(struct fixture *fx, enum phase ph, long iters)
{
    struct resp_opts opts = {.seat = sv_from(fx->cfg->seat), .win_url = sv_from(fx->cfg->win_url)};
    struct ortb_error err;
    uint64_t t0 = fb_clock_thread_cpu_ns();
    for (long i = 0; i < iters; i++) {
        switch (ph) {
        case PH_ENGINE:
            arena_reset(&fx->a);
            engine_bid(fx->cfg, NULL, fx->body, fx->len, &fx->a, &fx->out, &fx->res);
            g_sink += (uint64_t)fx->res.status;
            break;
        case PH_PARSE:
            arena_reset(&fx->a);
            g_sink += (uint64_t)ortb_parse(fx->body, fx->len, &fx->a, &fx->req, &err);
            break;
        case PH_DECIDE:
            fx->a.used = fx->parsed_mark;
            g_sink += (uint64_t)decide_run(&fx->cfg->campaigns, &fx->req, &fx->env, &fx->a, &fx->dec);
            break;
        case PH_SERIALIZE:
            fx->out.len = 0;
            g_sink += (uint64_t)resp_write_bids(&fx->out, &fx->cfg->campaigns, &fx->req, &fx->dec, &opts);
            break;
        case PH_N:
            break;
        }
    }
    return (double)(fb_clock_thread_cpu_ns() - t0) / (double)iters;
}

/* Brings the fixture to "parsed and decided", which the phase-alone runs start from. */
static int prepare(struct fixture *fx)
{
    struct ortb_error err;
    arena_init(&fx->a, g_arena_mem, sizeof g_arena_mem);
    buf_init(&fx->out, g_resp_mem, sizeof g_resp_mem);
    if (ortb_parse(fx->body, fx->len, &fx->a, &fx->req, &err) != ORTB_OK) {
        fprintf(stderr, "ortb_parse: %s (%s) at %zu\n", err.msg, err.field ? err.field : "-", err.offset);
        return -1;
    }
    fx->parsed_mark = fx->a.used;
    engine_env_now(&fx->env);
    if (decide_run(&fx->cfg->campaigns, &fx->req, &fx->env, &fx->a, &fx->dec) != 0) return -1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *config_path = "deploy/fairbid.json";
    int runs = 7;
    long iters = 100000, callgrind = -1;
    const char *paths[MAX_REQ];
    int npath = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atol(argv[++i]);
        else if (!strcmp(argv[i], "--callgrind") && i + 1 < argc)
            callgrind = atol(argv[++i]);
        else if (argv[i][0] != '-' && npath < MAX_REQ)
            paths[npath++] = argv[i];
        else {
            fprintf(stderr, "usage: %s [--config FILE] [--runs N] [--iters N] [--callgrind N] [REQUEST...]\n",
                    argv[0]);
            return 2;
        }
    }
    if (npath == 0) paths[npath++] = "deploy/sample-request.json";
    if (runs < 1 || runs > MAX_RUNS || iters < 1) return 2;

    char err[512];
    struct config *cfg = config_load(config_path, NULL, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    if (callgrind >= 0) {
        /* nothing but the calls: no warm-up, no clock reads of our own */
        static struct fixture fx;
        size_t len;
        char *body, ferr[512];
        if (fb_file_read(paths[0], 64u << 20, &body, &len, ferr, sizeof ferr) != 0)
            return fprintf(stderr, "%s\n", ferr), 1;
        fx.cfg = cfg;
        arena_init(&fx.a, g_arena_mem, sizeof g_arena_mem);
        buf_init(&fx.out, g_resp_mem, sizeof g_resp_mem);
        for (long i = 0; i < callgrind; i++) {
            arena_reset(&fx.a);
            engine_bid(cfg, NULL, body, len, &fx.a, &fx.out, &fx.res);
            g_sink += (uint64_t)fx.res.status;
        }
        free(body);
        config_free(cfg);
        return 0;
    }

    printf("Median ns of CPU time per call, %d runs of %ld iterations (min in brackets); config %s\n\n", runs,
           iters, config_path);
    printf("| request | bytes | status | bids |");
    for (int p = 0; p < PH_N; p++) printf(" %s |", phase_name[p]);
    printf(" MB/s (engine_bid) |\n|---|---:|---:|---:|");
    for (int p = 0; p < PH_N; p++) printf("---:|");
    printf("---:|\n");
    for (int k = 0; k < npath; k++) {
        static struct fixture fx;
        memset(&fx, 0, sizeof fx);
        size_t len;
        char *body, ferr[512];
        if (fb_file_read(paths[k], 64u << 20, &body, &len, ferr, sizeof ferr) != 0)
            return fprintf(stderr, "%s\n", ferr), 1;
        fx.cfg = cfg;
        fx.body = body;
        fx.len = len;
        if (prepare(&fx)) return 1;
        double med[PH_N], mn[PH_N], s[PH_N][MAX_RUNS];
        bool skip[PH_N] = {false};
        skip[PH_SERIALIZE] = fx.dec.nbids == 0;
        for (int p = 0; p < PH_N; p++)
            if (!skip[p]) run_phase(&fx, (enum phase)p, iters / 10 + 1); /* warm-up */
        /* round-robin over the phases, so a noisy moment hits all of them alike */
        for (int r = 0; r < runs; r++)
            for (int p = 0; p < PH_N; p++)
                if (!skip[p]) s[p][r] = run_phase(&fx, (enum phase)p, iters);
        for (int p = 0; p < PH_N; p++) {
            med[p] = skip[p] ? -1 : bench_median(s[p], runs);
            mn[p] = skip[p] ? -1 : s[p][0];
        }
        const char *name = strrchr(paths[k], '/');
        printf("| %s | %zu | %d | %u |", name ? name + 1 : paths[k], len, fx.res.status, fx.dec.nbids);
        for (int p = 0; p < PH_N; p++) {
            if (med[p] < 0)
                printf(" - |");
            else
                printf(" %.0f (%.0f) |", med[p], mn[p]);
        }
        printf(" %.0f |\n", (double)len / med[PH_ENGINE] * 1e3);
        free(body);
    }
    config_free(cfg);
    return 0;
}
