/* routes: the HTTP routes of `fairbid serve` (POST /openrtb2/bid, /win, /readyz, /healthz, and the dispatch
 * to /metrics). A request never leaves its worker: the worker's native HTTP server (http_conn.c) reads it,
 * server_route runs the engine synchronously on the body in place (gzip inflated into the worker's arena) and
 * fills the reply the server writes. The only shared state on that path is the config snapshot, read under an
 * RCU read-side lock (urcu-memb: a per-thread counter, no atomic read-modify-write, no lock). */
#define _LGPL_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <urcu/urcu-memb.h>
#include <zlib.h>

#include "bidder/audit.h"
#include "bidder/fairness/fairness.h"
#include "bidder/consent/mirror.h"
#include "bidder/server/server_int.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "bidder/upstream/forward.h"
#include "bidder/upstream/win.h"
#include "filters/reasons.h"

static const char json_ctype[] = "application/json";
static const char ortb_version_header[] = "X-OpenRTB-Version: 2.6\r\n";

static void reply_json(struct hs_reply *rep, int status, const char *body, size_t len)
{
    rep->status = status;
    /* with its length: the server need not measure it on every reply */
    rep->ctype = json_ctype;
    rep->ctype_len = sizeof json_ctype - 1;
    rep->body = body;
    rep->len = len;
}

void server_reply_error(struct worker *w, struct hs_reply *rep, int status, const char *msg,
                        const char *field, long offset)
{
    struct buf b;
    buf_init(&b, w->resp_mem, RESP_CAP);
    engine_write_error(&b, msg, field, offset);
    reply_json(rep, status, b.p, b.len);
}

/* ---- gzip ---- */

/* Inflates src into dst (at most cap bytes) with the worker's stream. Returns the length, -1 on corrupt
 * input, -2 when over cap, -3 when bytes follow the end of the gzip member (a second member or trailing data:
 * zlib stops at the first, and whatever follows, such as other privacy signals, would be silently ignored).
 * inflateReset keeps the state and the 32 KiB window zlib allocated on the first gzip body, so after that a
 * gzip request allocates nothing (inflateInit2 per request allocated both every time). */
static long gunzip(z_stream *z, const unsigned char *src, size_t n, char *dst, size_t cap)
{
    if (inflateReset(z) != Z_OK) return -1;
    z->next_in = (unsigned char *)src;
    z->avail_in = (uInt)n;
    z->next_out = (unsigned char *)dst;
    z->avail_out = (uInt)cap;
    int rc = inflate(z, Z_FINISH);
    long out = (long)z->total_out;
    if (rc == Z_STREAM_END) return z->avail_in ? -3 : out;
    if (rc == Z_BUF_ERROR && z->avail_out == 0) return -2;
    return -1;
}

/* ---- routes ---- */

bool server_request_body(struct worker *w, const struct config *cfg, const struct http_in *in,
                         struct arena *a, const char **body, size_t *len, struct hs_reply *rep)
{
    *body = in->body;
    *len = in->len;
    if (in->len > (size_t)cfg->max_body) {
        server_reply_error(w, rep, 413, "request body larger than max_body", NULL, -1);
        return false;
    }
    struct sv enc = in->content_encoding;
    if (!enc.n || sv_ieq(enc, SV_LIT("identity"))) return true;
    if (!sv_ieq(enc, SV_LIT("gzip")) && !sv_ieq(enc, SV_LIT("x-gzip"))) {
        server_reply_error(w, rep, 415, "unsupported Content-Encoding (only gzip)", NULL, -1);
        return false;
    }
    size_t cap = (size_t)cfg->max_body;
    char *plain = arena_alloc(a, cap + 1, 1);
    if (!plain) {
        server_reply_error(w, rep, 413, "request body larger than request memory", NULL, -1);
        return false;
    }
    long n = gunzip(&w->gz, (const unsigned char *)in->body, in->len, plain, cap);
    if (n == -2) {
        server_reply_error(w, rep, 413, "decompressed request body larger than max_body", NULL, -1);
        return false;
    }
    if (n == -3) {
        server_reply_error(
            w, rep, 400,
            "gzip body has bytes after its end (a second gzip member or trailing data): send one member",
            NULL, -1);
        return false;
    }
    if (n < 0) {
        server_reply_error(w, rep, 400, "Content-Encoding is gzip but the body is not valid gzip", NULL, -1);
        return false;
    }
    plain[n] = '\0';
    *body = plain;
    *len = (size_t)n;
    return true;
}

static void handle_bid(struct worker *w, const struct config *cfg, const struct http_in *in,
                       struct hs_reply *rep)
{
    METRIC_INC(w->m.bid_requests);
    size_t len;
    const char *body;
    struct arena a;
    arena_init(&a, w->arena_mem, w->arena_cap);
    if (!server_request_body(w, cfg, in, &a, &body, &len, rep)) return;
    if (cfg->upstreams.n && in->conn && w->fwd) {
        /* filter mode: the upstreams' answers come later, on this loop (bidder/upstream/forward.h) */
        const struct engine_result *own;
        fwd_bid(w->fwd, cfg, &w->ectx, body, len, in->conn, rep, &own);
        if (own && own->decided)
            for (uint32_t i = 0; i < own->dec.nv; i++) METRIC_INC(w->m.decisions[own->dec.v[i].reason]);
        if (own) metrics_hist_observe(&w->m.decision_latency, own->decide_ns);
        return;
    }
    struct buf out;
    buf_init(&out, w->resp_mem, RESP_CAP);
    struct engine_result res;
    engine_bid(cfg, &w->ectx, body, len, &a, &out, &res);
    if (res.decided) {
        for (uint32_t i = 0; i < res.dec.nv; i++) METRIC_INC(w->m.decisions[res.dec.v[i].reason]);
        METRIC_ADD(w->m.bids, res.dec.nbids);
        if (res.dec.nbids == 0) METRIC_INC(w->m.no_bids);
    } else if (res.parsed) {
        METRIC_INC(w->m.decisions[REASON_INTERNAL_MEMORY]);
        METRIC_INC(w->m.no_bids);
    }
    if (res.status == 204) {
        rep->status = 204;
    } else {
        if (res.status == 200) {
            rep->extra_headers = ortb_version_header;
            rep->extra_len = sizeof ortb_version_header - 1;
        }
        reply_json(rep, res.status, out.p, out.len);
    }
    rep->timed = true;
    metrics_hist_observe(&w->m.decision_latency, res.decide_ns);
}

static void handle_readyz(struct worker *w, const struct config *cfg, struct hs_reply *rep)
{
    char *body = w->resp_mem;
    enum store_state st = store_state();
    int status = 200;
    const char *state = "ready";
    const char *reason = "";
    if (!cfg) {
        status = 503;
        state = "not_ready";
        reason = "no config loaded";
    } else if (mirror_enabled() && !mirror_ready()) {
        status = 503;
        state = "not_ready";
        reason = "consent mirror: first load not complete";
    } else if (mirror_enabled() && !mirror_ever_trusted() && *mirror_reason()) {
        status = 503;
        state = "not_ready";
        reason = mirror_reason();
    } else if (mirror_enabled() && !mirror_ever_trusted()) {
        /* loaded but not yet proven (heartbeat echo with every reload applied): every personal-data campaign
         * would be dropped with consent.store_unavailable, so this instance must not get traffic yet */
        status = 503;
        state = "not_ready";
        reason = "consent mirror: not yet trusted";
    } else if (st == STORE_CONNECTING) {
        status = 503;
        state = "not_ready";
        reason = store_last_error();
    } else if (st == STORE_DOWN) {
        state = "degraded";
        reason = store_last_error();
    }
    if (status == 200 && *mirror_reason()) {
        /* the mirror cannot hold every record (consent_mirror_max_records): it refuses personal data */
        state = "degraded";
        reason = mirror_reason();
    }
    struct buf b;
    buf_init(&b, body, RESP_CAP);
    buf_puts(&b, "{\"status\":\"");
    buf_puts(&b, state);
    buf_puts(&b, "\",\"redis\":\"");
    buf_puts(&b, store_state_name(st));
    buf_puts(&b, "\",\"consent_mirror\":\"");
    buf_puts(&b, mirror_state());
    buf_puts(&b, "\",\"config_generation\":");
    buf_put_u64(&b, atomic_load(&G.generation_done));
    char links[512]; /* every Redis link's state (bidder/store/link.h) */
    redis_links_json(links, sizeof links);
    buf_puts(&b, ",\"redis_links\":");
    buf_puts(&b, links);
    if (cfg) {
        /* "policy": "none" is allowed but never silent (issue 12): the status stays as it is */
        buf_puts(&b, ",\"policy\":\"");
        buf_puts(&b, config_policy_source_name(cfg->policy_source));
        buf_putc(&b, '"');
        if (cfg->policy_source == CONFIG_POLICY_NONE) {
            buf_puts(&b, ",\"protections_off\":");
            buf_puts(&b, config_protections_off_json(cfg));
        }
    }
    if (*reason) {
        buf_puts(&b, ",\"reason\":");
        buf_put_json_str(&b, sv_from(reason));
    }
    buf_putc(&b, '}');
    reply_json(rep, status, body, b.len);
}

void server_after_decision(void *arg, const struct config *cfg, const struct engine_result *res)
{
    struct worker *w = arg;
    fairness_after(w->id, cfg, res);
    audit_after(w->id, cfg, res);
}

static bool path_is(struct sv path, const char *p)
{
    return sv_eq_cstr(path, p);
}

static void route_bid(struct worker *w, const struct http_in *in, struct hs_reply *rep)
{
    METRIC_INC(w->m.in_flight);
    urcu_memb_read_lock();
    const struct config *cfg = rcu_dereference(G.cfg);
    handle_bid(w, cfg, in, rep);
    urcu_memb_read_unlock();
    METRIC_ADD(w->m.in_flight, (uint64_t)-1);
}

/* Every request comes through here (bid listener and admin listener). */
void server_route(struct worker *w, const struct http_in *in, struct hs_reply *rep)
{
    bool bid = path_is(in->path, "/openrtb2/bid");
    if (bid && !in->admin && in->method == HP_POST) {
        /* the hot path first: one compare of the path, not the control paths' three */
        route_bid(w, in, rep);
        return;
    }
    bool control_path =
        path_is(in->path, "/healthz") || path_is(in->path, "/readyz") || path_is(in->path, "/metrics");
    if (in->admin && !control_path) {
        server_reply_error(w, rep, 404, "the admin listener serves only /metrics, /readyz and /healthz", NULL,
                           -1);
        return;
    }
    if (!in->admin && G.admin && control_path) {
        server_reply_error(w, rep, 404,
                           "no such path here: /metrics, /readyz and /healthz are on admin_listen", NULL, -1);
        return;
    }
    if (bid) {
        if (in->method != HP_POST) {
            rep->extra_headers = "Allow: POST\r\n";
            server_reply_error(w, rep, 405, "use POST for /openrtb2/bid", NULL, -1);
            return;
        }
        route_bid(w, in, rep);
        return;
    }
    if (path_is(in->path, "/openrtb2/filter")) { /* filter mode: bidder/server/filter_route.c */
        server_filter_route(w, in, rep);
        return;
    }
    bool control =
        path_is(in->path, "/healthz") || path_is(in->path, "/readyz") || path_is(in->path, "/metrics");
    if (control && in->method != HP_GET && in->method != HP_HEAD) {
        rep->extra_headers = "Allow: GET, HEAD\r\n";
        server_reply_error(w, rep, 405, "use GET", NULL, -1);
        return;
    }
    if (path_is(in->path, "/win")) {
        /* win notices (the bid's nurl): counted per campaign and group by the fairness module */
        char q[2048];
        size_t n = in->query.n < sizeof q - 1 ? in->query.n : sizeof q - 1;
        memcpy(q, in->query.p, n);
        q[n] = '\0';
        int st;
        if (up_win_is_upstream(q)) {
            /* an upstream bid's notice (filter mode): counted, and forwarded to the bidder's own URL */
            urcu_memb_read_lock();
            st = up_win_handle(w->id, rcu_dereference(G.cfg), q, w->resp_mem, 512);
            urcu_memb_read_unlock();
        } else {
            st = fairness_win(w->id, q, w->resp_mem, 512);
        }
        reply_json(rep, st, w->resp_mem, strlen(w->resp_mem));
        return;
    }
    if (path_is(in->path, "/healthz")) {
        static const char ok[] = "{\"status\":\"ok\"}";
        reply_json(rep, 200, ok, sizeof ok - 1);
    } else if (path_is(in->path, "/readyz")) {
        urcu_memb_read_lock();
        handle_readyz(w, rcu_dereference(G.cfg), rep);
        urcu_memb_read_unlock();
    } else if (path_is(in->path, "/metrics")) {
        server_metrics_page(w, rep);
    } else {
        server_reply_error(w, rep, 404, "no such path; try POST /openrtb2/bid", NULL, -1);
    }
}
