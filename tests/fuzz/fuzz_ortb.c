/* libFuzzer target for the request path of filters/: ortb_parse_ex with a fixed arena, then decide_run
 * against a small fixed campaign set (untargeted, contextual, personal, nurl-only) and resp_write_bids into a
 * buffer. Checks the parse contract (errors name a code, a message and an offset inside the body; accepted
 * requests have an id and 1..64 uniquely named imps), that a smaller arena only ever turns a success into
 * ORTB_ENOMEM, the user-key hook's calls (ortb_parse_ex; the second parse, plain ortb_parse, must agree), the
 * verdict/winner invariants, decide_detail bounds, and that every BidResponse is well-formed JSON. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/buf.h"
#include "filters/decide.h"
#include "filters/json.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "filters/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ortb_format f300[] = {{300, 250}};
static struct ortb_format fmulti[] = {{728, 90}, {320, 50}, {300, 250}};
static struct sv cat_a[] = {{"1002", 4}}, dom_a[] = {{"acme.example", 12}};
static struct sv cat_b[] = {{"1178", 4}}, dom_b[] = {{"shop.globex.example", 19}};
static struct sv site_cats[] = {{"IAB17", 5}, {"483", 3}}, countries[] = {{"USA", 3}, {"DEU", 3}};
static struct sv seg_ids[] = {{"569", 3}, {"570", 3}};
static struct campaign_segment_rule segs[] = {{4, {seg_ids, 2}}};

static struct campaign camps[] = {
    {.id = {"plain", 5},
     .crid = {"cr1", 3},
     .adm = {"<b>\"ad\"</b>", 12},
     .adomain = {dom_a, 1},
     .cat = {cat_a, 1},
     .cattax = 8,
     .bid_micros = 1500000,
     .formats = f300,
     .nformats = 1},
    {.id = {"context", 7},
     .crid = {"cr2", 3},
     .adm = {"x", 1},
     .adomain = {dom_b, 1},
     .cat = {cat_b, 1},
     .cattax = 8,
     .bid_micros = 1500000,
     .formats = fmulti,
     .nformats = 3,
     .t = {.site_cat = {site_cats, 2}, .countries = {countries, 2}}},
    {.id = {"personal", 8},
     .crid = {"cr3", 3},
     .adm = {"\n\x01", 2},
     .cattax = 8,
     .bid_micros = 3100000,
     .formats = f300,
     .nformats = 1,
     .t = {.segments = segs,
           .nsegments = 1,
           .has_age = true,
           .age_min = 25,
           .age_max = 54,
           .gender_mask = CAMPAIGN_GENDER_F},
     .personal = true},
    {.id = {"nurl only", 9},
     .crid = {"cr4", 3},
     .nurl = {"https://n.example/?a=1", 22},
     .cattax = 8,
     .bid_micros = 20000000,
     .formats = fmulti + 1,
     .nformats = 1},
};
static const struct campaign_set cset = {.v = camps, .n = 4, .currency = {"USD", 3}, .tcf_vendor_id = 1000};

static void check_request(const struct ortb_request *r)
{
    if (r->id.n == 0 || r->nimp == 0 || r->nimp > ORTB_MAX_IMP) abort();
    for (uint32_t i = 0; i < r->nimp; i++) {
        const struct ortb_imp *imp = &r->imp[i];
        if (imp->id.n == 0 || imp->nformat > ORTB_MAX_FORMAT || imp->bidfloor < 0) abort();
        if (imp->banner_w != ORTB_UNSET && imp->banner_w < 0) abort();
        for (uint32_t k = 0; k < i; k++)
            if (sv_eq(imp->id, r->imp[k].id)) abort();
    }
    if (r->bcat.n > ORTB_MAX_LIST || r->user.ndata > ORTB_MAX_DATA) abort();
}

static void check_decision(const struct ortb_request *r, const struct decide_result *res)
{
    uint32_t bids = 0;
    if (res->nv != r->nimp * cset.n) abort();
    for (uint32_t i = 0; i < r->nimp; i++) {
        int32_t w = -1;
        for (uint32_t c = 0; c < cset.n; c++) {
            const struct decide_verdict *v = &res->v[i * cset.n + c];
            if (v->imp != i || v->campaign != c || v->reason >= REASON__COUNT) abort();
            if (v->reason == REASON_BID) {
                if (w >= 0) abort();
                w = (int32_t)c;
            }
            char small[24], big[512];
            size_t n1 = decide_detail(&cset, r, v, small, sizeof small);
            size_t n2 = decide_detail(&cset, r, v, big, sizeof big);
            if (n1 >= sizeof small || small[n1] || n2 >= sizeof big || big[n2]) abort();
        }
        if (res->winner[i] != w) abort();
        if (w >= 0) {
            bids++;
            /* the winning price is positive and at least the floor (in micros, as decide compares) */
            if (res->price[i] <= 0 || r->imp[i].bidfloor * 1e6 > (double)res->price[i] + 0.5) abort();
        }
    }
    if (res->nbids != bids) abort();
    if (res->request_reason >= 0 && bids) abort();
}

static void check_json(const char *s, size_t n)
{
    static _Alignas(16) char mem[1 << 16];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct json j;
    json_init(&j, s, n, &a);
    json_skip(&j);
    if (json_finish(&j)) abort();
}

/* the user-key hook: a non-empty key each call; after a successful parse the last call names the key the
 * request keeps (buyeruid, else id), and a request that keeps one had a call */
struct key_seen {
    int calls;
    struct sv last;
};

static void on_user_key(void *arg, struct sv key)
{
    struct key_seen *k = arg;
    if (key.n == 0 || !key.p) abort();
    k->calls++;
    k->last = key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static _Alignas(64) char pmem[1 << 18], pmem2[1 << 18], dmem[1 << 18], dmem2[1 << 18];
    static char out[1 << 16];
    const char *body = (const char *)data;

    struct arena pa;
    arena_init(&pa, pmem, sizeof pmem);
    struct ortb_request req;
    struct ortb_error err;
    struct key_seen seen = {0};
    struct ortb_hooks hooks = {.user_key = on_user_key, .arg = &seen};
    int rc = ortb_parse_ex(body, size, &pa, &req, &err, &hooks);
    if (rc > 0 || rc < ORTB_ENOMEM) abort();
    if (rc) {
        if (err.code != rc || !err.msg || err.offset > size) abort();
    } else {
        check_request(&req);
        struct sv u = req.user.buyeruid.n ? req.user.buyeruid : req.user.id;
        /* a repeated user.id / user.buyeruid leaves the request no key (no store lookup) after the hook has
         * already been given one: the hook is a prefetch hint, and only then may a call name no kept key */
        bool key_bad = req.priv.bad & (1ull << ORTB_PF_USER_ID | 1ull << ORTB_PF_BUYERUID);
        if (u.n ? seen.calls == 0 || !sv_eq(u, seen.last) : seen.calls != 0 && !key_bad) abort();
    }

    /* the same body in an arena of a size the input picks: only ENOMEM may differ */
    size_t cap = size ? (size_t)data[size / 2] * 13 % (pa.high + 1) : 0;
    struct arena pa2;
    arena_init(&pa2, pmem2, cap);
    struct ortb_request req2;
    struct ortb_error err2;
    int rc2 = ortb_parse(body, size, &pa2, &req2, &err2);
    if (rc2 != rc && rc2 != ORTB_ENOMEM) abort();
    if (pa2.used > cap) abort();
    if (rc) return 0;

    struct arena da;
    arena_init(&da, dmem, sizeof dmem);
    struct decide_env env = {.now_ms = 1790000000000, .year = 2026};
    struct decide_result res;
    if (decide_run(&cset, &req, &env, &da, &res) != 0) abort();
    check_decision(&req, &res);

    /* decide with little memory: a no-bid with internal.memory, or a decision with no more bids */
    struct arena da2;
    arena_init(&da2, dmem2, (size_t)data[0] * 7);
    struct decide_result res2;
    int drc = decide_run(&cset, &req, &env, &da2, &res2);
    if (drc == DECIDE_ENOMEM) {
        if (res2.request_reason != REASON_INTERNAL_MEMORY || res2.nbids) abort();
    } else if (drc != 0 || res2.nbids > res.nbids) {
        abort();
    }

    if (res.nbids == 0) {
        struct buf b;
        buf_init(&b, out, sizeof out);
        if (resp_write_nobid(&b, req.id, 2)) abort();
        check_json(out, b.len);
        return 0;
    }
    struct resp_opts opts = {.seat = SV_LIT("fairbid"), .win_url = SV_LIT("https://bid.example/win")};
    struct buf b;
    buf_init(&b, out, sizeof out);
    if (resp_write_bids(&b, &cset, &req, &res, &opts) != 0) abort(); /* 64 imps fit in 64 KiB */
    check_json(out, b.len);
    size_t full = b.len;
    /* and into a buffer too small by an input-chosen amount: reported, never past the cap */
    size_t small = full ? (size_t)data[size - 1] % full : 0;
    buf_init(&b, out, small);
    if (resp_write_bids(&b, &cset, &req, &res, &opts) != -1 || b.len > small) abort();
    return 0;
}
