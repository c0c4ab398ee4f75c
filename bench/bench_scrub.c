/* bench_scrub: the request side of filter mode per upstream (filters/scrub.c), beside the parse it follows.
 * Cases on deploy/sample-request.json (2.2 KB, segments under the built-in policy): "adult" as sent (personal
 * data allowed: only the segment checks cut anything), "coppa" (regs.coppa = 1: every personal field cut, IPs
 * truncated), "gdpr-no-tc" (regs.gdpr = 1 without a TC string: not forwarded, the cheapest answer).
 * Reports the median over runs of CPU ns per call (this thread's CPU clock, so a loaded machine slows it
 * less than wall time) for ortb_parse + consent_eval (once per request) and for scrub_request (once per
 * upstream).
 * usage: bench_scrub [--config FILE] [--runs N] [--iters N] [REQUEST.json] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_stats.h"
#include "bidder/common/clock.h"
#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "filters/consent.h"
#include "filters/ortb.h"
#include "filters/scrub.h"

static _Alignas(16) char amem[1 << 20];
static char out[1 << 17];
static volatile size_t sink;

static double case_ns(const struct config *cfg, const char *body, size_t len, int32_t vendor, int iters,
                      int runs, double *parse_ns, uint32_t *nremoved, bool *fwd)
{
    double *pv = malloc(sizeof(double) * (size_t)runs), *sv = malloc(sizeof(double) * (size_t)runs);
    struct arena a;
    struct ortb_request req;
    struct ortb_error err;
    struct consent_state cs;
    const struct consent_config cc = {.tcf_vendor_id = CONSENT_VENDOR_DEFERRED, .tcf_strict = true};
    for (int r = 0; r < runs; r++) {
        /* whole loops are timed: a CPU-clock read costs more than the cheapest case */
        uint64_t t0 = fb_clock_thread_cpu_ns();
        for (int i = 0; i < iters; i++) {
            arena_init(&a, amem, sizeof amem);
            if (ortb_parse(body, len, &a, &req, &err)) {
                fprintf(stderr, "bench_scrub: request does not parse: %s\n", err.msg);
                exit(2);
            }
            consent_eval(&req, &cc, NULL, 2026, &a, &cs);
        }
        uint64_t t1 = fb_clock_thread_cpu_ns();
        size_t mark = a.used;
        const struct scrub_input in = {.body = body,
                                       .len = len,
                                       .req = &req,
                                       .cs = &cs,
                                       .tcf_vendor_id = vendor,
                                       .tcf_strict = true,
                                       .policy = cfg->campaigns.policy,
                                       .year = 2026,
                                       .tmax_ms = 80};
        struct scrub_result sr;
        for (int i = 0; i < iters; i++) {
            a.used = mark;
            if (scrub_request(&in, &a, out, sizeof out, &sr)) exit(2);
            sink += sr.out_len;
        }
        uint64_t t2 = fb_clock_thread_cpu_ns();
        *nremoved = sr.nremoved;
        *fwd = sr.forward;
        pv[r] = (double)(t1 - t0) / iters;
        sv[r] = (double)(t2 - t1) / iters;
    }
    *parse_ns = bench_median(pv, runs);
    double m = bench_median(sv, runs);
    free(pv);
    free(sv);
    return m;
}

/* body with its first `from` replaced by `to` (same length), or NULL when it has none */
static char *with(const char *body, size_t len, const char *from, const char *to, size_t *nlen)
{
    const char *o = strstr(body, from);
    if (!o || strlen(from) != strlen(to)) return NULL;
    char *b = malloc(len + 1);
    memcpy(b, body, len + 1);
    memcpy(b + (o - body), to, strlen(to));
    *nlen = len;
    return b;
}

int main(int argc, char **argv)
{
    const char *cfg_path = "deploy/fairbid.json", *req_path = "deploy/sample-request.json";
    int runs = 9, iters = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else
            req_path = argv[i];
    }
    if (runs < 1) runs = 1;
    if (iters < 1) iters = 1;
    char err[1024];
    struct config *cfg = config_load(cfg_path, NULL, err, sizeof err);
    if (!cfg) return fprintf(stderr, "bench_scrub: %s\n", err), 2;
    char *body;
    size_t len;
    if (fb_file_read(req_path, 1u << 16, &body, &len, err, sizeof err))
        return fprintf(stderr, "%s\n", err), 2;
    size_t lc, lg;
    char *coppa = with(body, len, "\"coppa\": 0", "\"coppa\": 1", &lc);
    char *gdpr = with(body, len, "\"gdpr\": 0", "\"gdpr\": 1", &lg); /* and no TC string */
    if (!coppa || !gdpr)
        return fprintf(stderr, "bench_scrub: the request needs \"coppa\": 0 and \"gdpr\": 0\n"), 2;
    struct {
        const char *name, *b;
        size_t n;
    } cases[] = {{"adult", body, len}, {"coppa", coppa, lc}, {"gdpr-no-tc", gdpr, lg}};
    printf("%-16s %8s %14s %14s %8s %9s\n", "case", "bytes", "parse+consent", "scrub/upstream", "removed",
           "forwarded");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double pns;
        uint32_t nr;
        bool fwd;
        double sns = case_ns(cfg, cases[c].b, cases[c].n, 1000, iters, runs, &pns, &nr, &fwd);
        printf("%-16s %8zu %11.0f ns %11.0f ns %8u %9s\n", cases[c].name, cases[c].n, pns, sns, nr,
               fwd ? "yes" : "no");
    }
    free(coppa);
    free(gdpr);
    free(body);
    config_free(cfg);
    return 0;
}
