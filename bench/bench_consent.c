/* bench_consent: decode cost of consent strings. Three inputs: a typical TC string (bitfield vendor
 * consents over ~1,100 ids, ~300 set, with LI and a Disclosed Vendors segment), a 600-vendor range TC
 * string (30 runs of 20 vendors) and a US National v2 GPP string with GPC. Each case times decode plus the
 * lookups a bid decision makes (purposes 1/3/4, vendor consent, a restriction), reports the median over
 * runs in ns per call. For callgrind: `valgrind --tool=callgrind bench_consent --iters 1000 --runs 1` and
 * divide Ir of the case's function by the iterations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench_stats.h"
#include "filters/gpp.h"
#include "bidder/common/clock.h"
#include "filters/consent.h"
#include "filters/ortb.h"
#include "filters/tcf.h"
#include "tests/unit/consent_testutil.h"

#define VENDOR 755

static char tc_typical[2048], tc_range[2048], gpp_usnat[256];
static uint8_t scratch[4096];
static volatile int sink;

static void make_strings(void)
{
    static struct bw w;
    char seg[1024];
    struct core_opts o = core_defaults();
    o.purposes = 0x3ff;
    o.purposes_li = 0x3c2;
    /* typical: bitfield consents (every 4th id up to 1100, plus VENDOR), bitfield LI (every 10th). */
    memset(&w, 0, sizeof w);
    bw_core(&w, &o);
    bw_put(&w, 1100, 16);
    bw_put(&w, 0, 1);
    for (unsigned v = 1; v <= 1100; v++) bw_put(&w, v % 4 == 0 || v == VENDOR, 1);
    bw_put(&w, 1100, 16);
    bw_put(&w, 0, 1);
    for (unsigned v = 1; v <= 1100; v++) bw_put(&w, v % 10 == 0, 1);
    bw_put(&w, 0, 12);
    bw_b64(&w, tc_typical);
    memset(&w, 0, sizeof w);
    bw_put(&w, 1, 3);
    bw_put(&w, 1100, 16);
    bw_put(&w, 0, 1);
    for (unsigned v = 1; v <= 1100; v++) bw_put(&w, v % 3 == 0 || v == VENDOR, 1);
    strcat(tc_typical, ".");
    strcat(tc_typical, bw_b64(&w, seg));

    /* 600 vendors as 30 ranges of 20, VENDOR inside the last run; two restriction groups. */
    memset(&w, 0, sizeof w);
    bw_core(&w, &o);
    unsigned r[30][2];
    for (unsigned i = 0; i < 30; i++) r[i][0] = 1 + i * 26, r[i][1] = 20 + i * 26;
    r[29][0] = VENDOR - 5, r[29][1] = VENDOR + 14;
    bw_ranges(&w, (const unsigned(*)[2])r, 30, VENDOR + 14);
    bw_ranges(&w, (const unsigned(*)[2])r, 10, 254);
    bw_put(&w, 2, 12);
    const unsigned rr[][2] = {{10, 40}, {900, 910}};
    bw_put(&w, 2, 6), bw_put(&w, 0, 2), bw_entries(&w, rr, 2);
    bw_put(&w, 7, 6), bw_put(&w, 1, 2), bw_entries(&w, rr, 2);
    bw_b64(&w, tc_range);

    /* US National v2 with a GPC sub-section. */
    strcpy(gpp_usnat, "DBABLA~BVVVVVVVVWA.YA");
}

__attribute__((noinline)) static void case_tcf(const char *s, size_t n)
{
    struct tcf tc;
    int rc = tcf_decode(s, n, scratch, sizeof scratch, &tc);
    int ok = rc == 0 && tcf_purpose_consent(&tc, 1) && tcf_purpose_consent(&tc, 3) &&
             tcf_purpose_consent(&tc, 4) && tcf_vendor_consent(&tc, VENDOR) &&
             tcf_restriction(&tc, 2, VENDOR) != 0;
    sink += ok;
}

__attribute__((noinline)) static void case_gpp(const char *s, size_t n)
{
    static struct gpp g;
    int rc = gpp_decode(s, n, scratch, sizeof scratch, &g);
    int sid;
    sink += rc == 0 && !gpp_optout(&g, &sid) && !gpp_gpc(&g, &sid) && !gpp_known_child(&g, &sid);
}

/* The whole consent evaluation of one request, as decide() runs it: which regime applies, the TC string
 * decoded and its purposes, vendor and restrictions checked, US Privacy, GPP and the rest
 * (filters/consent.c). The request is parsed once outside the loop; the body text is ignored. */
static struct ortb_request eval_req;
static struct consent_config eval_cfg = {.tcf_vendor_id = VENDOR, .tcf_strict = false};
static _Alignas(16) char eval_mem[1 << 14];

__attribute__((noinline)) static void case_eval(const char *s, size_t n)
{
    (void)s;
    (void)n;
    struct arena a;
    arena_init(&a, eval_mem, sizeof eval_mem);
    struct consent_state st;
    consent_eval(&eval_req, &eval_cfg, NULL, 2026, &a, &st);
    sink += st.block_personal;
}

static int prepare_eval(const char *regs_user, char *body, size_t cap)
{
    static _Alignas(16) char pmem[1 << 16];
    snprintf(body, cap, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],%s}",
             regs_user);
    struct arena a;
    arena_init(&a, pmem, sizeof pmem);
    struct ortb_error e;
    return ortb_parse(body, strlen(body), &a, &eval_req, &e);
}

static void bench(const char *name, void (*fn)(const char *, size_t), const char *s, long iters, int runs)
{
    size_t n = strlen(s);
    double *t = calloc((size_t)runs, sizeof *t);
    for (long i = 0; i < iters / 10; i++) fn(s, n); /* warm-up */
    for (int r = 0; r < runs; r++) {
        double t0 = (double)fb_clock_mono_ns();
        for (long i = 0; i < iters; i++) fn(s, n);
        t[r] = ((double)fb_clock_mono_ns() - t0) / (double)iters;
    }
    qsort(t, (size_t)runs, sizeof *t, bench_cmp_double);
    printf("%-28s %5zu chars  median %8.1f ns  min %8.1f ns  max %8.1f ns  (%d runs x %ld)\n", name, n,
           t[runs / 2], t[0], t[runs - 1], runs, iters);
    free(t);
}

int main(int argc, char **argv)
{
    long iters = 200000;
    int runs = 11;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--iters")) iters = atol(argv[i + 1]);
        if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
    }
    if (iters < 1) iters = 1;
    if (runs < 1) runs = 1;
    make_strings();
    struct tcf tc;
    if (tcf_decode(tc_typical, strlen(tc_typical), scratch, sizeof scratch, &tc) ||
        tcf_decode(tc_range, strlen(tc_range), scratch, sizeof scratch, &tc) ||
        !tc.vendor_consents.is_range) {
        fprintf(stderr, "bench_consent: test strings do not decode\n");
        return 1;
    }
    bench("tcf typical (bitfield)", case_tcf, tc_typical, iters, runs);
    bench("tcf 600-vendor range", case_tcf, tc_range, iters, runs);
    bench("gpp US National v2 + GPC", case_gpp, gpp_usnat, iters, runs);
    static char body[8192], rq[4096];
    snprintf(rq, sizeof rq, "\"regs\":{\"gdpr\":1,\"us_privacy\":\"1YNN\"},\"user\":{\"consent\":\"%s\"}",
             tc_typical);
    if (prepare_eval(rq, body, sizeof body)) return 1;
    bench("consent_eval: GDPR, typical TC", case_eval, body, iters, runs);
    snprintf(rq, sizeof rq, "\"regs\":{\"gpp\":\"%s\",\"gpp_sid\":[7],\"us_privacy\":\"1YNN\"}", gpp_usnat);
    if (prepare_eval(rq, body, sizeof body)) return 1;
    bench("consent_eval: US, GPP + USP", case_eval, body, iters, runs);
    return sink == -1;
}
