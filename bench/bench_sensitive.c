/* bench_sensitive: cost of the sensitive-category and exploitative checks (sensitive_check) for one request
 * with 3 data providers x 10 segments against 20 campaigns, i.e. what decide() adds per request. Two mixes:
 * "typical" (10 plain campaigns, 4 sensitive-segment, 2 vulnerability-targeting, 4 high-risk ad categories)
 * and "worst" (all 20 target sensitive segments that are absent from the request, so every campaign scans
 * every segment). Reports the median over runs in ns per request. Needs deploy/policy.json: the source dir
 * comes from FAIRBID_SOURCE_DIR or this file's path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder/config/config.h"
#include "bidder/common/clock.h"
#include "filters/classes.h"
#include "filters/reasons.h"
#include "filters/sensitive.h"

static volatile int sink;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define C(id, extra)                                                                                         \
    "{\"id\":\"" id                                                                                          \
    "\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"x\"" extra "},"
#define SEG(tax, ids) ",\"targeting\":{\"segments\":[{\"segtax\":" #tax ",\"ids\":[" ids "]}]}"
#define CAT(id) ",\"cat\":[\"" id "\"],\"cattax\":8"

static const char TYPICAL[] = "{\"currency\":\"USD\",\"policy\":\"policy.json\",\"campaigns\":[" C("p1", "")
    C("p2", SEG(4, "\"5\",\"6\"")) C("p3", SEG(4, "\"7\"")) C("p4", "") C("p5", SEG(6, "\"1\"")) C("p6", "")
        C("p7", "") C("p8", SEG(4, "\"8\",\"9\"")) C("p9", "") C("p10", "")
            C("s-health", SEG(4, "\"5\",\"383\"")) C("s-religion", SEG(6, "\"459\""))
                C("s-politics", SEG(4, "\"530\",\"6\"")) C("s-hardship", SEG(4, "\"537\""))
                    C("v-addiction", SEG(4, "\"399\"")) C("v-minor", SEG(4, "\"356\""))
                        C("h-gambling", CAT("1362")) C("h-alcohol", CAT("1004"))
                            C("h-crypto", CAT("1449")) "{\"id\":\"h-weapons\",\"crid\":\"c\",\"bid_cpm\":1,"
                                                       "\"formats\":[{\"w\":300,\"h\":250}],\"adm\":"
                                                       "\"x\"" CAT("1578") "}]}";

static char WORST[8192];

static const char REQ[] =
    "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"site\":{\"id\":\"s\",\"cat\":["
    "\"286\"]},\"user\":{\"yob\":1980,\"data\":["
    "{\"name\":\"dp-one\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"5\"},{\"id\":\"17\"},{\"id\":\"20\"},"
    "{"
    "\"id\":\"383\"},{\"id\":\"250\"},{\"id\":\"251\"},{\"id\":\"600\"},{\"id\":\"601\"},{\"id\":\"1000\"},{"
    "\"id\":"
    "\"1001\"}]},"
    "{\"name\":\"dp-two\",\"ext\":{\"segtax\":6},\"segment\":[{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"},{"
    "\"id\":"
    "\"100\"},{\"id\":\"101\"},{\"id\":\"102\"},{\"id\":\"480x\"},{\"id\":\"600\"},{\"id\":\"601\"},{\"id\":"
    "\"602\"}]},"
    "{\"name\":\"dp-three\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"30\"},{\"id\":\"31\"},{\"id\":"
    "\"32\"},{"
    "\"id\":\"33\"},{\"id\":\"34\"},{\"id\":\"35\"},{\"id\":\"36\"},{\"id\":\"37\"},{\"id\":\"38\"},{\"id\":"
    "\"39\"}]}]}}";

static double run_case(const char *name, struct config *cfg, const struct ortb_request *req, int iters,
                       int runs)
{
    struct consent_stored st = {.sensitive_mask = CLASS_BIT(CLASS_HEALTH)};
    struct consent_state cst = {.block_all = -1, .block_personal = -1, .stored = &st};
    uint64_t *t = calloc((size_t)runs, sizeof *t);
    int drops = 0;
    for (int r = 0; r < runs; r++) {
        uint64_t t0 = fb_clock_mono_ns();
        for (int i = 0; i < iters; i++) {
            /* as decide() does: prepare the request once, then check every campaign */
            static _Alignas(16) char amem[1 << 16];
            struct arena a;
            arena_init(&a, amem, sizeof amem);
            struct sensitive_req *sp = sensitive_prepare(&cfg->campaigns, req, &a);
            for (uint32_t c = 0; c < cfg->campaigns.n; c++) {
                struct sv arg;
                int64_t num;
                int x = sensitive_check_prepared(&cfg->campaigns, &cfg->campaigns.v[c], req, &cst, sp, &arg,
                                                 &num);
                drops += x != REASON_BID;
            }
        }
        t[r] = (fb_clock_mono_ns() - t0) / (uint64_t)iters;
    }
    sink = drops;
    qsort(t, (size_t)runs, sizeof *t, cmp_u64);
    double med = (double)t[runs / 2];
    printf("%-8s %u campaigns, 3 providers x 10 segments: median %.0f ns/request (min %llu, max %llu), "
           "%d drops/request\n",
           name, cfg->campaigns.n, med, (unsigned long long)t[0], (unsigned long long)t[runs - 1],
           drops / runs / iters);
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : 20000, runs = argc > 2 ? atoi(argv[2]) : 31;
    char src[1024];
    const char *env = getenv("FAIRBID_SOURCE_DIR");
    if (env && *env) {
        snprintf(src, sizeof src, "%s", env);
    } else {
        snprintf(src, sizeof src, "%s", __FILE__);
        char *b = strstr(src, "/bench/bench_sensitive.c");
        if (b) *b = '\0';
    }
    char name[1100], err[512];
    snprintf(name, sizeof name, "%s/deploy/bench-sensitive.json", src);
    struct config *typ = config_parse_load(name, TYPICAL, sizeof TYPICAL - 1, NULL, err, sizeof err);
    if (!typ) {
        fprintf(stderr, "bench_sensitive: %s\n", err);
        return 1;
    }
    /* worst: 20 campaigns each targeting 3 sensitive ids in segtax 4 and 6 that the request lacks */
    size_t n = (size_t)snprintf(WORST, sizeof WORST,
                                "{\"currency\":\"USD\",\"policy\":\"policy.json\",\"campaigns\":[");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(
            WORST + n, sizeof WORST - n,
            "%s{\"id\":\"w%d\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":1,\"h\":1}],"
            "\"adm\":\"x\",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"384\",\"385\","
            "\"386\"]},{\"segtax\":6,\"ids\":[\"454\",\"455\"]}]}}",
            i ? "," : "", i);
    n += (size_t)snprintf(WORST + n, sizeof WORST - n, "]}");
    struct config *worst = config_parse_load(name, WORST, n, NULL, err, sizeof err);
    if (!worst) {
        fprintf(stderr, "bench_sensitive: %s\n", err);
        return 1;
    }
    static char mem[1 << 16];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct ortb_request req;
    struct ortb_error e;
    if (ortb_parse(REQ, sizeof REQ - 1, &a, &req, &e)) {
        fprintf(stderr, "bench_sensitive: request: %s\n", e.msg);
        return 1;
    }
    run_case("typical", typ, &req, iters, runs);
    run_case("worst", worst, &req, iters, runs);
    config_free(typ);
    config_free(worst);
    return 0;
}
