/* forward: see forward.h. */
#include "bidder/upstream/forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-memb.h>

#include "bidder/obs/log.h"
#include "bidder/audit.h"
#include "bidder/common/clock.h"
#include "bidder/upstream/check.h"
#include "bidder/upstream/pool.h"
#include "bidder/upstream/stats.h"
#include "filters/bidresp.h"
#include "filters/reasons.h"
#include "filters/json.h"
#include "filters/scrub.h"

#define FWD_OUT_CAP (2u << 20) /* the merged answer */
#define FWD_OWN_CAP (256u << 10)
#define FWD_CACHE 16 /* request contexts kept for reuse per worker */

struct fwd_up {
    char id[UPSTREAM_ID_MAX];
    int call;      /* index in the fan-out */
    bool personal; /* personal data was forwarded */
};

struct fwd_req {
    struct fwd_worker *w;
    struct hs_conn *conn;
    struct up_fanout *f;
    char *body;
    size_t body_cap, len;
    char *arena_mem;
    size_t arena_cap;
    struct arena arena;
    char *own;
    size_t own_len;
    struct engine_result res;
    struct fwd_up up[UPSTREAM_MAX];
    uint32_t nup;
    struct fwd_req *next_free;
};

struct fwd_worker {
    int id;
    struct up_pool *pool;
    const struct config *(*get_cfg)(void);
    char *out;   /* the merged answer: hs_resume copies it at once */
    char *scrub; /* one upstream's scrubbed body, copied into its connection at once */
    size_t scrub_cap;
    struct bidresp *resp; /* the answer being read (large: its bids are fixed arrays) */
    struct upcheck_result check;
    struct fwd_req *free_list;
    int nfree;
};

struct fwd_worker *fwd_worker_new(struct event_base *base, int worker_id,
                                  const struct config *(*get_cfg)(void))
{
    struct fwd_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->id = worker_id;
    w->get_cfg = get_cfg;
    w->pool = up_pool_new(base);
    w->out = malloc(FWD_OUT_CAP);
    w->resp = malloc(sizeof *w->resp);
    if (!w->pool || !w->out || !w->resp) {
        fwd_worker_free(w);
        return NULL;
    }
    return w;
}

static void req_destroy(struct fwd_req *r)
{
    free(r->body);
    free(r->arena_mem);
    free(r->own);
    free(r);
}

void fwd_worker_free(struct fwd_worker *w)
{
    if (!w) return;
    up_pool_free(w->pool);
    while (w->free_list) {
        struct fwd_req *r = w->free_list;
        w->free_list = r->next_free;
        req_destroy(r);
    }
    free(w->out);
    free(w->scrub);
    free(w->resp);
    free(w);
}

static struct fwd_req *req_get(struct fwd_worker *w, size_t len, size_t arena_cap)
{
    struct fwd_req *r = w->free_list;
    if (r) {
        w->free_list = r->next_free;
        w->nfree--;
    } else {
        r = calloc(1, sizeof *r);
        if (!r) return NULL;
        r->own = malloc(FWD_OWN_CAP);
        if (!r->own) {
            free(r);
            return NULL;
        }
    }
    r->w = w;
    r->f = NULL;
    r->conn = NULL;
    r->nup = 0;
    if (r->body_cap < len + 1) {
        char *b = realloc(r->body, len + 1);
        if (!b) goto fail;
        r->body = b;
        r->body_cap = len + 1;
    }
    if (r->arena_cap < arena_cap) {
        free(r->arena_mem);
        r->arena_mem = aligned_alloc(64, (arena_cap + 63) & ~(size_t)63);
        r->arena_cap = r->arena_mem ? arena_cap : 0;
        if (!r->arena_mem) goto fail;
    }
    return r;
fail:
    req_destroy(r);
    return NULL;
}

static void req_put(struct fwd_req *r)
{
    struct fwd_worker *w = r->w;
    if (r->f) up_fanout_free(r->f);
    r->f = NULL;
    if (w->nfree >= FWD_CACHE) {
        req_destroy(r);
        return;
    }
    r->next_free = w->free_list;
    w->free_list = r;
    w->nfree++;
}

/* ---- the request side: what each upstream may see ---- */

struct fwd_scrubbed {
    bool forward;
    int reason; /* not forwarded: why */
    bool personal;
    const char *body;
    size_t len;
};

static int scrub_for(struct fwd_worker *w, const struct config *cfg, const struct upstream *u,
                     struct fwd_req *r, int32_t budget_ms, struct fwd_scrubbed *out)
{
    size_t need = 2 * r->len + SCRUB_SLACK;
    if (w->scrub_cap < need) {
        char *b = realloc(w->scrub, need);
        if (!b) return -1;
        w->scrub = b;
        w->scrub_cap = need;
    }
    (void)budget_ms; /* upcheck_scrub computes the same from the request */
    struct scrub_result sr;
    int rc = upcheck_scrub(cfg, u, &r->res, r->body, r->len, &r->arena, w->scrub, w->scrub_cap, &sr);
    struct up_stats *s = up_stats_get(u->id);
    if (rc) {
        out->forward = false;
        out->reason = REASON_INTERNAL_MEMORY;
        return 0;
    }
    out->forward = sr.forward;
    out->reason = sr.reason;
    out->personal = sr.personal;
    out->body = w->scrub;
    out->len = sr.out_len;
    if (s)
        for (uint32_t i = 0; i < sr.nremoved; i++)
            if (sr.removed[i].reason < REASON__COUNT) UP_STAT_INC(s, removed[sr.removed[i].reason]);
    return 0;
}

/* ---- the response side ---- */

/* The upstream's seat of bids that survive, written into b; returns how many. Counted, and the drops of the
 * audited classes (privacy, fairness) go to the audit trail like the campaigns'. */
static uint32_t upstream_bids(struct fwd_worker *w, const struct config *cfg, struct fwd_req *r,
                              const struct fwd_up *fu, struct buf *b, bool *first_seat)
{
    struct up_call *call = up_fanout_call(r->f, (uint32_t)fu->call);
    struct up_stats *s = call->stats;
    if (call->result != UP_OK) return 0;
    if (call->status == 204 || call->body_len == 0) {
        if (s) UP_STAT_INC(s, no_bids);
        return 0;
    }
    if (call->status != 200) {
        if (s) UP_STAT_INC(s, errors[UP_E_STATUS]);
        return 0;
    }
    const struct upstream *u = upstream_find(&cfg->upstreams, fu->id, strlen(fu->id));
    if (!u) return 0; /* removed by a reload meanwhile */
    /* the answer's strings with escapes go to what is left of the request's arena */
    struct upcheck_result *cr = &w->check;
    cr->fair = true;
    if (!cr->draw) cr->draw = (uint64_t)(uintptr_t)w ^ (uint64_t)fb_clock_wall_ms();
    upcheck_run(cfg, u, &r->res, fu->personal, call->body, call->body_len, &r->arena, w->resp, b, first_seat,
                cr);
    if (cr->reason == REASON_RESPONSE_MALFORMED) {
        if (s) UP_STAT_INC(s, malformed);
        return 0;
    }
    if (s) {
        UP_STAT_INC(s, answers);
        atomic_fetch_add_explicit(&s->bids, cr->nbids, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->bids_passed, cr->kept, memory_order_relaxed);
    }
    if (cr->reason != REASON_BID) {
        if (s) atomic_fetch_add_explicit(&s->bids_dropped[cr->reason], cr->nbids, memory_order_relaxed);
        return 0;
    }
    for (uint32_t i = 0; i < cr->nbids; i++) {
        const struct upcheck_verdict *v = &cr->v[i];
        if (v->reason == REASON_BID) continue;
        if (s) UP_STAT_INC(s, bids_dropped[v->reason]);
        const struct bidresp_bid *bd = &w->resp->bid[v->bid];
        audit_upstream_drop(w->id, cfg, &r->res, u->id, bd->impid, bd->cid.n ? bd->cid : bd->crid, v->reason,
                            v->detail);
    }
    return cr->kept;
}

/* The inside of the "seatbid" array of fairbid's own answer (engine_bid's), to copy as it is. */
static struct sv own_seatbids(const char *p, size_t n)
{
    struct json j;
    json_init(&j, p, n, NULL);
    struct sv k, out = SV_NULL;
    if (json_peek(&j) != JSON_OBJECT) return out;
    json_obj_begin(&j);
    while (json_obj_next(&j, &k)) {
        if (sv_eq_cstr(k, "seatbid") && json_peek(&j) == JSON_ARRAY) {
            const char *a = j.p;
            if (json_skip(&j)) return SV_NULL;
            if (j.p - a >= 2) out = (struct sv){a + 1, (size_t)(j.p - a) - 2};
        } else if (json_skip(&j)) {
            return SV_NULL;
        }
    }
    return j.err ? SV_NULL : out;
}

static void answer(struct fwd_worker *w, struct fwd_req *r, struct hs_reply *rep)
{
    struct buf b;
    buf_init(&b, w->out, FWD_OUT_CAP);
    urcu_memb_read_lock();
    const struct config *cfg = w->get_cfg();
    buf_puts(&b, "{\"id\":");
    buf_put_json_str(&b, r->res.req.id);
    buf_puts(&b, ",\"seatbid\":[");
    bool first = true;
    uint32_t total = 0;
    /* fairbid's own bids, as engine_bid wrote them (their nurl already fairbid's), copied as they are */
    if (r->res.status == 200 && r->res.dec.nbids > 0) {
        struct sv sb = own_seatbids(r->own, r->own_len);
        if (sb.n) {
            buf_put(&b, sb.p, sb.n);
            first = false;
            total += r->res.dec.nbids;
        }
    }
    for (uint32_t k = 0; cfg && k < r->nup; k++) total += upstream_bids(w, cfg, r, &r->up[k], &b, &first);
    buf_puts(&b, "],\"cur\":");
    buf_put_json_str(&b, cfg && cfg->campaigns.currency.n ? cfg->campaigns.currency : SV_LIT("USD"));
    buf_putc(&b, '}');
    urcu_memb_read_unlock();
    memset(rep, 0, sizeof *rep);
    rep->timed = true;
    if (total && !b.overflow) {
        rep->status = 200;
        rep->ctype = "application/json";
        rep->extra_headers = "X-OpenRTB-Version: 2.6\r\n";
        rep->body = w->out;
        rep->len = b.len;
    } else if (r->res.status == 200) {
        /* no bid anywhere, and the config answers a no-bid with 200 + nbr: fairbid's own answer */
        memcpy(w->out, r->own, r->own_len);
        rep->status = 200;
        rep->ctype = "application/json";
        rep->body = w->out;
        rep->len = r->own_len;
    } else {
        rep->status = 204;
    }
}

static void on_done(void *arg, struct up_fanout *f)
{
    (void)f;
    struct fwd_req *r = arg;
    struct hs_reply rep;
    answer(r->w, r, &rep);
    struct hs_conn *conn = r->conn;
    req_put(r); /* before hs_resume: pipelined requests it answers may need a context */
    hs_resume(conn, &rep);
}

static void on_cancel(void *arg)
{
    req_put(arg); /* the client went away: the fan-out's calls are abandoned */
}

void fwd_bid(struct fwd_worker *w, const struct config *cfg, const struct engine_ctx *ectx, const char *body,
             size_t len, struct hs_conn *conn, struct hs_reply *rep, const struct engine_result **own)
{
    *own = NULL;
    struct fwd_req *r = req_get(w, len, (size_t)cfg->arena_bytes);
    if (!r) {
        rep->status = 503;
        rep->ctype = "application/json";
        rep->body = "{\"error\":\"out of memory for filter mode\"}";
        rep->len = strlen(rep->body);
        return;
    }
    memcpy(r->body, body, len);
    r->body[len] = '\0';
    r->len = len;
    arena_init(&r->arena, r->arena_mem, (size_t)cfg->arena_bytes);
    struct buf ob;
    buf_init(&ob, r->own, FWD_OWN_CAP);
    engine_bid(cfg, ectx, r->body, len, &r->arena, &ob, &r->res);
    *own = &r->res;
    r->own_len = ob.len;
    rep->timed = true;
    if (!r->res.parsed || (r->res.status != 200 && r->res.status != 204)) {
        /* a request fairbid refuses is refused for everyone */
        memcpy(w->out, r->own, r->own_len);
        rep->status = r->res.status;
        rep->ctype = "application/json";
        rep->body = w->out;
        rep->len = r->own_len;
        req_put(r);
        return;
    }
    r->f = up_fanout_new(w->pool, on_done, r);
    if (!r->f) goto immediate;
    int32_t tmax = r->res.req.tmax;
    for (uint32_t i = 0; i < cfg->upstreams.n; i++) {
        const struct upstream *u = &cfg->upstreams.v[i];
        struct up_stats *s = up_stats_get(u->id);
        int32_t budget = upstream_budget_ms(u, tmax, cfg->tmax_margin_ms);
        struct fwd_scrubbed sc;
        if (scrub_for(w, cfg, u, r, budget, &sc)) continue;
        if (!sc.forward) {
            if (s && sc.reason >= 0 && sc.reason < REASON__COUNT) UP_STAT_INC(s, not_forwarded[sc.reason]);
            continue;
        }
        int ti = up_pool_target(w->pool, u);
        if (ti < 0) {
            if (s) UP_STAT_INC(s, errors[UP_E_CONNECT]);
            continue;
        }
        int ci = up_fanout_add(r->f, ti, sc.body, sc.len, budget);
        if (ci < 0) continue;
        struct fwd_up *fu = &r->up[r->nup++];
        size_t idn = strnlen(u->id, sizeof fu->id - 1);
        memcpy(fu->id, u->id, idn);
        fu->id[idn] = '\0';
        fu->call = ci;
        fu->personal = sc.personal;
    }
    if (!r->nup) goto immediate;
    r->conn = conn;
    up_fanout_start(r->f);
    rep->defer = true;
    rep->cancel = on_cancel;
    rep->cancel_arg = r;
    return;
immediate:
    /* no upstream to wait for: fairbid's own answer now */
    if (r->res.status == 204) {
        rep->status = 204;
    } else {
        memcpy(w->out, r->own, r->own_len);
        rep->status = 200;
        rep->ctype = "application/json";
        rep->extra_headers = r->res.dec.nbids ? "X-OpenRTB-Version: 2.6\r\n" : NULL;
        rep->body = w->out;
        rep->len = r->own_len;
    }
    req_put(r);
}
