/* bench/filter_diff: see run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filters/bidresp.h"
#include "filters/json.h"
#include "filters/reasons.h"
static const char REQ[] =
    "{\"id\":\"r1\",\"cur\":[\"USD\"],\"bcat\":[\"1362\"],\"cattax\":8,\"badv\":[\"bad.example\"],"
    "\"user\":{\"yob\":1990},\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250},\"bidfloor\":0.5},"
    "{\"id\":\"2\",\"banner\":{\"w\":300,\"h\":250}}]}";
static unsigned long long H;
static void mix(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        H ^= c[i];
        H *= 1099511628211ull;
    }
}
static void msv(struct sv s, const char *base)
{
    long o = (s.p >= base && s.p <= base + (1 << 20)) ? (long)(s.p - base) : -2;
    mix(&o, sizeof o);
    mix(&s.n, sizeof s.n);
    if (s.n) mix(s.p, s.n);
}
static char rmem[1 << 16], amem[1 << 16], out[1 << 17];
static struct ortb_request req;
static struct bidresp r;
static void one(const char *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    memcpy(body, data, size);
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct bidresp_error e;
    memset(&e, 0, sizeof e);
    int rc = bidresp_parse(body, size, &a, &r, &e);
    mix(&rc, sizeof rc);
    if (rc) {
        mix(&e.code, sizeof e.code);
        mix(&e.offset, sizeof e.offset);
        if (e.msg) mix(e.msg, strlen(e.msg));
        if (e.field) mix(e.field, strlen(e.field));
        free(body);
        return;
    }
    msv(r.id, body);
    msv(r.bidid, body);
    msv(r.cur, body);
    msv(r.customdata, body);
    mix(&r.nbr, 4);
    mix(&r.nseat, 4);
    mix(&r.nbid, 4);
    for (uint32_t s = 0; s < r.nseat; s++) {
        msv(r.seat[s].seat, body);
        mix(&r.seat[s].first, 4);
        mix(&r.seat[s].n, 4);
    }
    struct consent_state cst = {.minor = size & 1};
    struct bidresp_ctx ctx = {.req = &req, .cst = &cst};
    int cr = bidresp_check_response(&ctx, &r);
    mix(&cr, sizeof cr);
    for (uint32_t i = 0; i < r.nbid; i++) {
        const struct bidresp_bid *b = &r.bid[i];
        const struct sv *f[] = {&b->id,   &b->impid,    &b->adid,     &b->adm,      &b->nurl,   &b->burl,
                                &b->lurl, &b->cid,      &b->crid,     &b->dealid,   &b->bundle, &b->iurl,
                                &b->raw,  &b->nurl_raw, &b->burl_raw, &b->price_raw};
        for (size_t k = 0; k < sizeof f / sizeof *f; k++) msv(*f[k], body);
        mix(&b->price, 8);
        mix(&b->has_price, 1);
        mix(&b->nadomain, 4);
        for (uint32_t k = 0; k < b->nadomain; k++) msv(b->adomain[k], body);
        mix(&b->ncat, 4);
        for (uint32_t k = 0; k < b->ncat; k++) msv(b->cat[k], body);
        mix(&b->cattax, 4);
        mix(&b->nattr, 4);
        mix(b->attr, 4 * b->nattr);
        mix(&b->mtype, 4);
        mix(&b->w, 4);
        mix(&b->h, 4);
        mix(&b->seat, 4);
        struct sv d = {0};
        int sp = 0;
        int reason = bidresp_check_bid(&ctx, &r, b, &d, &sp);
        mix(&reason, 4);
        mix(&sp, 4);
        if (d.n) mix(d.p, d.n);
        struct buf ob;
        buf_init(&ob, out, sizeof out);
        struct bidresp_win w = {SV_LIT("http://127.0.0.1:1/win"), SV_LIT("up"), req.id};
        int wr = bidresp_write_bid(&ob, b, &w);
        mix(&wr, 4);
        mix(&ob.len, sizeof ob.len);
        mix(out, ob.len);
    }
    free(body);
}
int main(int argc, char **argv)
{
    struct arena ra;
    arena_init(&ra, rmem, sizeof rmem);
    struct ortb_error oe;
    if (ortb_parse(REQ, sizeof REQ - 1, &ra, &req, &oe)) abort();
    long inputs = 0;
    static const char subs[] = {'"', '{', '}', ',', ':', '\\', 'x', '0', '[', ']', ' '};
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) continue;
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        H = 1469598103934665603ull;
        one(buf, n);
        inputs++;
        printf("%s %016llx\n", argv[i], H);
        /* mutations: each byte position (up to 400) replaced by each sub, and truncations */
        static char m[1 << 20];
        for (size_t p = 0; p < n && p < 400; p++) {
            for (size_t s = 0; s < sizeof subs; s++) {
                memcpy(m, buf, n);
                m[p] = subs[s];
                H = 1469598103934665603ull;
                one(m, n);
                inputs++;
                printf("%s@%zu:%zu %016llx\n", argv[i], p, s, H);
            }
            H = 1469598103934665603ull;
            one(buf, p);
            inputs++;
            printf("%s#%zu %016llx\n", argv[i], p, H);
        }
    }
    fprintf(stderr, "inputs %ld\n", inputs);
}
