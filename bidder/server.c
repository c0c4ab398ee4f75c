/* server: the data plane (workers) and the control plane (main thread). See server.h and
 * docs/architecture.md.
 *
 * A request never leaves its worker: the worker's HTTP server (http_server.c, or evhttp when configured)
 * reads it, route() runs the engine synchronously on the body in place (gzip inflated into the worker's
 * arena) and fills the reply the transport writes. The only shared state on that path is the config snapshot,
 * read under an RCU read-side lock (urcu-memb: a per-thread counter, no atomic read-modify-write, no lock).
 */
#define _LGPL_SOURCE
#include "bidder/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include <zlib.h>

#include "bidder/audit.h"
#include "bidder/engine.h"
#include "bidder/fairness.h"
#include "bidder/http_server.h"
#include "bidder/mirror.h"
#include "bidder/log.h"
#include "bidder/metrics.h"
#include "bidder/store.h"
#include "bidder/upstream/forward.h"
#include "bidder/upstream/stats.h"
#include "bidder/upstream/win.h"
#include "filters/reasons.h"

#define RESP_CAP (1u << 20)
#define DRAIN_QUIET_MS 250
#define DRAIN_MAX_MS 10000

struct conn_set { /* evhttp connections that have sent a request, for the connection limit */
    void **slot;
    uint32_t cap, n;
};

struct worker {
    int id;
    pthread_t thread;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    int fd;
    struct event *wake;
    int wake_fd; /* eventfd: the main thread writes to it to wake the worker (its base has no locks, so
                    event_active from another thread would not interrupt its epoll_wait) */
    int cfg_fd;  /* eventfd: a reload changed a setting the worker holds (its HTTP timeouts) */
    struct event *cfg_ev;
    struct event *drain_timer;
    int64_t drain_started_ms;
    int64_t last_activity_ms;
    uint64_t reads, reads_seen; /* bytes-arrived events on any connection, for the drain's quiet test */
    uint64_t last_read_ns;  /* when the latest bytes arrived: the request evhttp hands us came in that read */
    struct evbuffer *reply; /* evhttp: the reply body */
    char *evbody;           /* evhttp: the request body, contiguous */
    size_t evbody_cap;
    struct hs_server *hs;         /* native: the worker's HTTP server */
    struct hs_server *admin_hs;   /* worker 0 only, when admin_listen is set */
    struct evbuffer *metrics_buf; /* the /metrics text */
    char *arena_mem;
    size_t arena_cap;
    char *resp_mem;
    z_stream gz; /* gzip bodies: initialised once, inflateReset per request, so a request allocates nothing */
    bool gz_ready;
    struct conn_set conns;
    uint32_t conn_limit;
    struct engine_ctx ectx; /* hooks into the mirror and fairness state */
    struct metrics_worker m;
    struct fwd_worker *fwd; /* filter mode (issue 17): the worker's client to the upstreams (native only) */
};

static struct {
    struct config *cfg; /* RCU-published */
    const char *config_path;
    struct config_overrides ov;
    struct worker *workers;
    int nworkers;
    struct event_base *main_base;
    _Atomic bool stopping;
    _Atomic uint64_t generation;
    _Atomic uint64_t reloads_ok, reloads_failed;
    int64_t started_ms;
    bool admin;                 /* admin_listen is set: control paths are served there only */
    struct hs_shared hs_shared; /* buffer totals and caps across the workers' native servers */
} G;

static _Thread_local struct worker *tl_worker;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- connection tracking (open addressing on the evhttp_connection pointer) ---- */

static uint32_t ptr_hash(void *p, uint32_t mask)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x & mask;
}

static bool conns_has(struct conn_set *s, void *p)
{
    uint32_t mask = s->cap - 1;
    for (uint32_t i = ptr_hash(p, mask);; i = (i + 1) & mask) {
        if (s->slot[i] == p) return true;
        if (!s->slot[i]) return false;
    }
}

static void conns_add(struct conn_set *s, void *p)
{
    uint32_t mask = s->cap - 1;
    uint32_t i = ptr_hash(p, mask);
    while (s->slot[i]) i = (i + 1) & mask;
    s->slot[i] = p;
    s->n++;
}

static void conns_del(struct conn_set *s, void *p)
{
    uint32_t mask = s->cap - 1;
    uint32_t i = ptr_hash(p, mask);
    while (s->slot[i] != p) {
        if (!s->slot[i]) return;
        i = (i + 1) & mask;
    }
    s->slot[i] = NULL;
    s->n--;
    /* re-insert the rest of the cluster (backward-shift deletion keeps probes short) */
    for (uint32_t j = (i + 1) & mask; s->slot[j]; j = (j + 1) & mask) {
        void *q = s->slot[j];
        s->slot[j] = NULL;
        s->n--;
        conns_add(s, q);
    }
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct worker *w = arg;
    conns_del(&w->conns, evcon);
    METRIC_ADD(w->m.connections, (uint64_t)-1);
}

/* ---- replies ----
 * Handlers see a transport-neutral request (http_in) and fill an hs_reply; the native server (http_server.c)
 * or the evhttp adapter below sends it. */

struct http_in {
    bool admin; /* came in on admin_listen */
    enum hp_method method;
    struct sv path, query, content_encoding;
    const char *body; /* NUL-terminated */
    size_t len;
    struct hs_conn *conn; /* native: for a deferred reply (filter mode) */
};

static void reply_json(struct hs_reply *rep, int status, const char *body, size_t len)
{
    rep->status = status;
    rep->ctype = "application/json";
    rep->body = body;
    rep->len = len;
}

static void reply_error(struct worker *w, struct hs_reply *rep, int status, const char *msg,
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

static void handle_bid(struct worker *w, const struct config *cfg, const struct http_in *in,
                       struct hs_reply *rep)
{
    METRIC_INC(w->m.bid_requests);
    size_t len = in->len;
    const char *body = in->body;
    struct arena a;
    arena_init(&a, w->arena_mem, w->arena_cap);
    if (len > (size_t)cfg->max_body) {
        reply_error(w, rep, 413, "request body larger than max_body", NULL, -1);
        return;
    }
    struct sv enc = in->content_encoding;
    if (enc.n && !sv_ieq(enc, SV_LIT("identity"))) {
        if (!sv_ieq(enc, SV_LIT("gzip")) && !sv_ieq(enc, SV_LIT("x-gzip"))) {
            reply_error(w, rep, 415, "unsupported Content-Encoding (only gzip)", NULL, -1);
            return;
        }
        size_t cap = (size_t)cfg->max_body;
        char *plain = arena_alloc(&a, cap + 1, 1);
        if (!plain) {
            reply_error(w, rep, 413, "request body larger than request memory", NULL, -1);
            return;
        }
        long n = gunzip(&w->gz, (const unsigned char *)body, len, plain, cap);
        if (n == -2) {
            reply_error(w, rep, 413, "decompressed request body larger than max_body", NULL, -1);
            return;
        }
        if (n == -3) {
            reply_error(
                w, rep, 400,
                "gzip body has bytes after its end (a second gzip member or trailing data): send one member",
                NULL, -1);
            return;
        }
        if (n < 0) {
            reply_error(w, rep, 400, "Content-Encoding is gzip but the body is not valid gzip", NULL, -1);
            return;
        }
        plain[n] = '\0';
        body = plain;
        len = (size_t)n;
    }
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
        if (res.status == 200) rep->extra_headers = "X-OpenRTB-Version: 2.6\r\n";
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
    buf_put_u64(&b, atomic_load(&G.generation));
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

#define SUM(field)                                                                                           \
    ({                                                                                                       \
        uint64_t s_ = 0;                                                                                     \
        for (int i_ = 0; i_ < G.nworkers; i_++)                                                              \
            s_ += atomic_load_explicit(&G.workers[i_].m.field, memory_order_relaxed);                        \
        s_;                                                                                                  \
    })

static void put_hist(struct evbuffer *o, const char *name, const char *help, size_t off)
{
    evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0, count = 0, sum_ns = 0;
    for (int b = 0; b <= METRICS_NBUCKETS; b++) {
        for (int i = 0; i < G.nworkers; i++) {
            struct metrics_hist *h = (struct metrics_hist *)((char *)&G.workers[i].m + off);
            cum += atomic_load_explicit(&h->b[b], memory_order_relaxed);
        }
        if (b < METRICS_NBUCKETS)
            evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, metrics_bucket_le[b],
                                (unsigned long long)cum);
        else
            evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    for (int i = 0; i < G.nworkers; i++) {
        struct metrics_hist *h = (struct metrics_hist *)((char *)&G.workers[i].m + off);
        count += atomic_load_explicit(&h->count, memory_order_relaxed);
        sum_ns += atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
    }
    /* the +Inf bucket must equal _count: use the bucket total, which a concurrent observe cannot make smaller
     */
    (void)count;
    evbuffer_add_printf(o, "%s_sum %.9f\n%s_count %llu\n", name, (double)sum_ns / 1e9, name,
                        (unsigned long long)cum);
}

static uint64_t hs_sum(bool rejected)
{
    uint64_t v = 0;
    for (int i = 0; i < G.nworkers; i++)
        if (G.workers[i].hs) v += rejected ? hs_rejected(G.workers[i].hs) : hs_connections(G.workers[i].hs);
    return v;
}

static void handle_metrics(struct worker *w, struct hs_reply *rep)
{
    struct evbuffer *o = w->metrics_buf;
    evbuffer_drain(o, evbuffer_get_length(o));
    static const char *const codes[MS__COUNT] = {"200", "204", "400", "404", "405",
                                                 "413", "415", "500", "503", "other"};
    evbuffer_add_printf(o,
                        "# HELP fairbid_build_info Build information.\n# TYPE fairbid_build_info gauge\n"
                        "fairbid_build_info{version=\"%s\"} 1\n",
                        FAIRBID_VERSION);
    evbuffer_add_printf(o, "# HELP fairbid_http_requests_total HTTP requests answered, by status code.\n"
                           "# TYPE fairbid_http_requests_total counter\n");
    /* this scrape itself is counted after it is written */
    for (int s = 0; s < MS__COUNT; s++) {
        uint64_t v = 0;
        for (int i = 0; i < G.nworkers; i++)
            v += atomic_load_explicit(&G.workers[i].m.requests[s], memory_order_relaxed);
        evbuffer_add_printf(o, "fairbid_http_requests_total{code=\"%s\"} %llu\n", codes[s],
                            (unsigned long long)v);
    }
    evbuffer_add_printf(o,
                        "# HELP fairbid_bid_requests_total Bid requests received on /openrtb2/bid.\n"
                        "# TYPE fairbid_bid_requests_total counter\nfairbid_bid_requests_total %llu\n",
                        (unsigned long long)SUM(bid_requests));
    evbuffer_add_printf(o,
                        "# HELP fairbid_bids_total Bids returned (one per winning imp).\n"
                        "# TYPE fairbid_bids_total counter\nfairbid_bids_total %llu\n",
                        (unsigned long long)SUM(bids));
    evbuffer_add_printf(o,
                        "# HELP fairbid_no_bids_total Parsed bid requests answered without a bid.\n"
                        "# TYPE fairbid_no_bids_total counter\nfairbid_no_bids_total %llu\n",
                        (unsigned long long)SUM(no_bids));
    evbuffer_add_printf(o, "# HELP fairbid_decisions_total Imp x campaign decisions by outcome and reason.\n"
                           "# TYPE fairbid_decisions_total counter\n");
    for (int r = 0; r < REASON__COUNT; r++) {
        uint64_t v = 0;
        for (int i = 0; i < G.nworkers; i++)
            v += atomic_load_explicit(&G.workers[i].m.decisions[r], memory_order_relaxed);
        evbuffer_add_printf(o, "fairbid_decisions_total{outcome=\"%s\",reason=\"%s\"} %llu\n",
                            r == REASON_BID ? "bid" : "drop", reason_name(r), (unsigned long long)v);
    }
    uint64_t by_class[REASON_CLASS__COUNT] = {0};
    for (int r = 0; r < REASON__COUNT; r++)
        for (int i = 0; i < G.nworkers; i++)
            by_class[reason_class(r)] +=
                atomic_load_explicit(&G.workers[i].m.decisions[r], memory_order_relaxed);
    evbuffer_add_printf(o, "# HELP fairbid_decisions_by_class_total Imp x campaign decisions by reason class "
                           "(the class column of reasons.def).\n"
                           "# TYPE fairbid_decisions_by_class_total counter\n");
    for (int k = 0; k < REASON_CLASS__COUNT; k++)
        evbuffer_add_printf(o, "fairbid_decisions_by_class_total{class=\"%s\"} %llu\n", reason_class_name(k),
                            (unsigned long long)by_class[k]);
    evbuffer_add_printf(o,
                        "# HELP fairbid_requests_in_flight Bid requests being processed.\n"
                        "# TYPE fairbid_requests_in_flight gauge\nfairbid_requests_in_flight %llu\n",
                        (unsigned long long)SUM(in_flight));
    evbuffer_add_printf(
        o,
        "# HELP fairbid_connections Open client connections (evhttp: those that have sent a request).\n"
        "# TYPE fairbid_connections gauge\nfairbid_connections %llu\n",
        (unsigned long long)(SUM(connections) + hs_sum(false)));
    evbuffer_add_printf(
        o,
        "# HELP fairbid_connections_rejected_total Connections refused by max_connections.\n"
        "# TYPE fairbid_connections_rejected_total counter\nfairbid_connections_rejected_total %llu\n",
        (unsigned long long)(SUM(connections_rejected) + hs_sum(true)));
    struct hs_shared *hsh = &G.hs_shared;
    evbuffer_add_printf(
        o,
        "# HELP fairbid_http_buffered_bytes Request input buffered beyond each connection's first 16 KiB, "
        "all "
        "connections (cap: max_buffered_bytes).\n"
        "# TYPE fairbid_http_buffered_bytes gauge\nfairbid_http_buffered_bytes %llu\n"
        "# HELP fairbid_http_output_bytes Replies held for clients across connections (cap: "
        "max_output_bytes).\n"
        "# TYPE fairbid_http_output_bytes gauge\nfairbid_http_output_bytes %llu\n"
        "# HELP fairbid_http_busy_rejected_total Request bodies answered 503 because max_buffered_bytes was "
        "reached.\n"
        "# TYPE fairbid_http_busy_rejected_total counter\nfairbid_http_busy_rejected_total %llu\n"
        "# HELP fairbid_http_request_timeouts_total Requests answered 408: not complete within "
        "read_timeout_ms of "
        "their first byte.\n"
        "# TYPE fairbid_http_request_timeouts_total counter\nfairbid_http_request_timeouts_total %llu\n"
        "# HELP fairbid_http_write_timeouts_total Connections cut because the client did not read its "
        "replies "
        "within write_timeout_ms.\n"
        "# TYPE fairbid_http_write_timeouts_total counter\nfairbid_http_write_timeouts_total %llu\n"
        "# HELP fairbid_accept_fd_exhausted_total accept() failures for lack of file descriptors (EMFILE, "
        "ENFILE) or kernel memory; accepting pauses briefly after each.\n"
        "# TYPE fairbid_accept_fd_exhausted_total counter\nfairbid_accept_fd_exhausted_total %llu\n",
        (unsigned long long)atomic_load(&hsh->buffered), (unsigned long long)atomic_load(&hsh->output),
        (unsigned long long)atomic_load(&hsh->busy_rejected), (unsigned long long)atomic_load(&hsh->timeouts),
        (unsigned long long)atomic_load(&hsh->write_timeouts),
        (unsigned long long)atomic_load(&hsh->fd_exhausted));
    put_hist(o, "fairbid_request_duration_seconds",
             "Bid request latency, from the read that completed the request to the response written to the "
             "socket.",
             offsetof(struct metrics_worker, request_latency));
    put_hist(o, "fairbid_decision_duration_seconds", "Parse + decide + serialize time per bid request.",
             offsetof(struct metrics_worker, decision_latency));
    urcu_memb_read_lock();
    const struct config *pcfg = rcu_dereference(G.cfg);
    const char *psrc = pcfg ? config_policy_source_name(pcfg->policy_source) : NULL; /* static strings */
    urcu_memb_read_unlock();
    if (psrc)
        evbuffer_add_printf(
            o,
            "# HELP fairbid_policy_info Where the sensitive-category policy in use comes from "
            "(builtin, file, or none: no sensitive-category rules).\n"
            "# TYPE fairbid_policy_info gauge\nfairbid_policy_info{source=\"%s\"} 1\n",
            psrc);
    evbuffer_add_printf(
        o,
        "# HELP fairbid_config_generation Config generation in use (1 at start, +1 per reload).\n"
        "# TYPE fairbid_config_generation gauge\nfairbid_config_generation %llu\n",
        (unsigned long long)atomic_load(&G.generation));
    evbuffer_add_printf(o,
                        "# HELP fairbid_config_reloads_total Config reloads by result.\n"
                        "# TYPE fairbid_config_reloads_total counter\n"
                        "fairbid_config_reloads_total{result=\"ok\"} %llu\n"
                        "fairbid_config_reloads_total{result=\"failed\"} %llu\n",
                        (unsigned long long)atomic_load(&G.reloads_ok),
                        (unsigned long long)atomic_load(&G.reloads_failed));
    enum store_state st = store_state();
    evbuffer_add_printf(o,
                        "# HELP fairbid_redis_up Whether the control-plane Redis connection is up.\n"
                        "# TYPE fairbid_redis_up gauge\nfairbid_redis_up %d\n",
                        st == STORE_UP ? 1 : 0);
    evbuffer_add_printf(
        o,
        "# HELP fairbid_redis_reconnects_total Redis connections established.\n"
        "# TYPE fairbid_redis_reconnects_total counter\nfairbid_redis_reconnects_total %llu\n",
        (unsigned long long)store_reconnects());
    evbuffer_add_printf(o,
                        "# HELP fairbid_uptime_seconds Seconds since start.\n"
                        "# TYPE fairbid_uptime_seconds gauge\nfairbid_uptime_seconds %.3f\n",
                        (double)(mono_ms() - G.started_ms) / 1000.0);
    mirror_metrics(o);
    fairness_metrics(o);
    audit_metrics(o);
    up_stats_metrics(o);
    rep->status = 200;
    rep->ctype = "text/plain; version=0.0.4; charset=utf-8";
    rep->len = evbuffer_get_length(o);
    rep->body = (const char *)evbuffer_pullup(o, -1);
}

static void after_decision(void *arg, const struct config *cfg, const struct engine_result *res)
{
    struct worker *w = arg;
    fairness_after(w->id, cfg, res);
    audit_after(w->id, cfg, res);
}

static bool path_is(struct sv path, const char *p)
{
    return sv_eq_cstr(path, p);
}

/* Every request of either transport comes through here. */
static void route(struct worker *w, const struct http_in *in, struct hs_reply *rep)
{
    w->last_activity_ms = mono_ms();
    bool control_path =
        path_is(in->path, "/healthz") || path_is(in->path, "/readyz") || path_is(in->path, "/metrics");
    if (in->admin && !control_path) {
        reply_error(w, rep, 404, "the admin listener serves only /metrics, /readyz and /healthz", NULL, -1);
        return;
    }
    if (!in->admin && G.admin && control_path) {
        reply_error(w, rep, 404, "no such path here: /metrics, /readyz and /healthz are on admin_listen",
                    NULL, -1);
        return;
    }
    if (path_is(in->path, "/openrtb2/bid")) {
        if (in->method != HP_POST) {
            rep->extra_headers = "Allow: POST\r\n";
            reply_error(w, rep, 405, "use POST for /openrtb2/bid", NULL, -1);
            return;
        }
        METRIC_INC(w->m.in_flight);
        urcu_memb_read_lock();
        const struct config *cfg = rcu_dereference(G.cfg);
        handle_bid(w, cfg, in, rep);
        urcu_memb_read_unlock();
        METRIC_ADD(w->m.in_flight, (uint64_t)-1);
        return;
    }
    bool control =
        path_is(in->path, "/healthz") || path_is(in->path, "/readyz") || path_is(in->path, "/metrics");
    if (control && in->method != HP_GET && in->method != HP_HEAD) {
        rep->extra_headers = "Allow: GET, HEAD\r\n";
        reply_error(w, rep, 405, "use GET", NULL, -1);
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
        handle_metrics(w, rep);
    } else {
        reply_error(w, rep, 404, "no such path; try POST /openrtb2/bid", NULL, -1);
    }
}

/* ---- the native transport (http_server.c) ---- */

static void native_handler(void *arg, const struct hs_request *req, struct hs_reply *rep)
{
    struct worker *w = arg;
    tl_worker = w;
    const struct hp_request *h = req->head;
    struct http_in in = {.method = h->method,
                         .path = h->path,
                         .query = h->query,
                         .content_encoding = h->content_encoding,
                         .body = req->body,
                         .len = req->body_len,
                         .conn = req->conn};
    route(w, &in, rep);
    METRIC_INC(w->m.requests[metrics_status_index(rep->status)]);
}

static void admin_handler(void *arg, const struct hs_request *req, struct hs_reply *rep)
{
    struct worker *w = arg;
    tl_worker = w;
    const struct hp_request *h = req->head;
    struct http_in in = {.admin = true, .method = h->method, .path = h->path, .query = h->query, .body = ""};
    route(w, &in, rep);
}

static void native_sent(void *arg, uint64_t latency_ns)
{
    struct worker *w = arg;
    metrics_hist_observe(&w->m.request_latency, latency_ns);
}

static void native_error(void *arg, int status)
{
    struct worker *w = arg;
    METRIC_INC(w->m.requests[metrics_status_index(status)]);
}

/* ---- the evhttp transport (the reference; "http_server": "evhttp") ---- */

static void on_complete(struct evhttp_request *req, void *arg)
{
    (void)req;
    struct worker *w = tl_worker;
    uint64_t t0 = (uint64_t)(uintptr_t)arg;
    metrics_hist_observe(&w->m.request_latency, mono_ns() - t0);
}

static void ev_send(struct worker *w, struct evhttp_request *req, const struct hs_reply *rep)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (rep->ctype) evhttp_add_header(h, "Content-Type", rep->ctype);
    /* extra headers are "Name: value\r\n" lines */
    for (const char *p = rep->extra_headers; p && *p;) {
        const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");
        if (!colon || !eol || colon > eol) break;
        char name[64], val[256];
        snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
        const char *v = colon + 1;
        while (*v == ' ') v++;
        snprintf(val, sizeof val, "%.*s", (int)(eol - v), v);
        evhttp_add_header(h, name, val);
        p = eol + 2;
    }
    if (rep->close) evhttp_add_header(h, "Connection", "close");
    const char *reason = hs_reason(rep->status);
    if (rep->status == 204) {
        evhttp_send_reply(req, 204, reason, NULL);
    } else {
        if (rep->len) evbuffer_add(w->reply, rep->body, rep->len);
        evhttp_send_reply(req, rep->status, reason, w->reply);
    }
    METRIC_INC(w->m.requests[metrics_status_index(rep->status)]);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct worker *w = arg;
    tl_worker = w;
    struct hs_reply rep = {0};
    const char *uri = evhttp_request_get_uri(req);
    if (!uri) {
        /* evhttp calls us with no URI when it rejected the request itself (body over its limit) */
        int code = evhttp_request_get_response_code(req);
        if (code == 413 || code == 0)
            reply_error(w, &rep, 413, "request body larger than max_body", NULL, -1);
        else
            reply_error(w, &rep, 400, "malformed HTTP request", NULL, -1);
        ev_send(w, req, &rep);
        return;
    }
    /* draining: answer, but tell keep-alive clients to go, so the worker can go quiet and stop */
    if (atomic_load_explicit(&G.stopping, memory_order_relaxed)) rep.close = true;
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    if (evcon && !conns_has(&w->conns, evcon)) {
        if (w->conns.n >= w->conn_limit) {
            METRIC_INC(w->m.connections_rejected);
            rep.close = true;
            reply_error(w, &rep, 503, "too many connections (max_connections)", NULL, -1);
            ev_send(w, req, &rep);
            return;
        }
        conns_add(&w->conns, evcon);
        METRIC_INC(w->m.connections);
        evhttp_connection_set_closecb(evcon, on_conn_close, w);
    }
    struct http_in in = {0};
    switch (evhttp_request_get_command(req)) {
    case EVHTTP_REQ_GET:
        in.method = HP_GET;
        break;
    case EVHTTP_REQ_HEAD:
        in.method = HP_HEAD;
        break;
    case EVHTTP_REQ_POST:
        in.method = HP_POST;
        break;
    default:
        in.method = HP_OTHER;
        break;
    }
    const char *q = strchr(uri, '?');
    in.path = q ? (struct sv){uri, (size_t)(q - uri)} : sv_from(uri);
    in.query = q ? sv_from(q + 1) : SV_LIT("");
    const char *enc = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Encoding");
    in.content_encoding = enc ? sv_from(enc) : SV_LIT("");
    struct evbuffer *ib = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(ib);
    if (path_is(in.path, "/openrtb2/bid") && len <= w->evbody_cap) {
        char *raw = w->evbody; /* contiguous and NUL-terminated for the parser */
        evbuffer_remove(ib, raw, len);
        raw[len] = '\0';
        in.body = raw;
        in.len = len;
    } else {
        in.body = "";
        in.len = len; /* over the limit: handle_bid answers 413 */
    }
    uint64_t t_read = w->last_read_ns ? w->last_read_ns : mono_ns();
    route(w, &in, &rep);
    if (rep.timed) evhttp_request_set_on_complete_cb(req, on_complete, (void *)(uintptr_t)t_read);
    ev_send(w, req, &rep);
}

/* ---- workers ---- */

/* Draining: evhttp does not expose its connections, so "in flight" is observed as bytes still arriving (a
 * request being read) or requests being answered. Once nothing has moved for DRAIN_QUIET_MS, every request
 * that had started has been answered and the worker stops. */
static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    int64_t now = mono_ms();
    if (w->reads != w->reads_seen) {
        w->reads_seen = w->reads;
        w->last_activity_ms = now;
    }
    if (now - w->last_activity_ms >= DRAIN_QUIET_MS || now - w->drain_started_ms >= DRAIN_MAX_MS)
        event_base_loopexit(w->base, NULL);
}

static void on_input(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
    (void)b;
    if (info->n_added) {
        struct worker *w = arg;
        w->reads++;
        w->last_read_ns = mono_ns();
    }
}

/* evhttp asks us for each new connection's bufferevent: we watch its input buffer for the drain. */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev) evbuffer_add_cb(bufferevent_get_input(bev), on_input, arg);
    return bev;
}

static void on_drained(void *arg)
{
    struct worker *w = arg;
    event_base_loopexit(w->base, NULL);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    /* the admin listener closes with the rest (kubelet sees the probes fail; the worker's own drain ends the
     * loop) */
    if (w->admin_hs) hs_drain(w->admin_hs, DRAIN_QUIET_MS, DRAIN_MAX_MS, NULL, NULL);
    if (w->hs) {
        hs_drain(w->hs, DRAIN_QUIET_MS, DRAIN_MAX_MS, on_drained, w);
        return;
    }
    if (w->bound) {
        /* stop accepting: the kernel refuses new connections from now on; requests already read still finish
         */
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    w->drain_started_ms = mono_ms();
    w->last_activity_ms = w->drain_started_ms;
    w->reads_seen = w->reads;
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, on_drain_tick, w);
    struct timeval tv = {0, 10000};
    event_add(w->drain_timer, &tv);
}

/* A reload changed the HTTP timeouts: take them from the current snapshot (config_set_http_apply). */
static void on_cfg(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct worker *w = arg;
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
    urcu_memb_read_lock();
    const struct config *cfg = rcu_dereference(G.cfg);
    int rt = cfg->read_timeout_ms, it = cfg->idle_timeout_ms, wt = cfg->write_timeout_ms;
    urcu_memb_read_unlock();
    if (w->hs) hs_set_timeouts(w->hs, rt, it, wt);
    if (w->admin_hs) hs_set_timeouts(w->admin_hs, rt, it, wt);
    if (w->http) {
        struct timeval tv = {rt / 1000, (rt % 1000) * 1000};
        evhttp_set_timeout_tv(w->http, &tv);
    }
}

/* The apply hook of the HTTP timeouts (control thread): the workers' bases have no locks, so each is told
 * through its eventfd and re-reads the snapshot itself. */
static void apply_http_timeouts(const struct config *now)
{
    (void)now;
    for (int i = 0; i < G.nworkers; i++) {
        uint64_t one = 1;
        ssize_t n = write(G.workers[i].cfg_fd, &one, sizeof one);
        (void)n;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    tl_worker = w;
    /* named so that per-thread tools (top -H, perf, the allocation-budget test) can tell workers apart */
    char name[16];
    snprintf(name, sizeof name, "fb-worker-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    urcu_memb_register_thread();
    event_base_dispatch(w->base);
    urcu_memb_unregister_thread();
    return NULL;
}

/* reuseport: the workers' sockets share the port (the kernel spreads connections over them); the admin socket
 * does not, so that a second instance on the host fails to bind instead of taking half the probes and
 * scrapes. */
static int make_listener(const char *host, int port, bool reuseport, int *bound_port, char *err,
                         size_t errlen)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "listen: \"%s\" is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        snprintf(err, errlen, "SO_REUSEPORT: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
        snprintf(err, errlen, "listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

/* "host:port" into its parts; -1 with a message when malformed. */
static int split_hostport(const char *key, const char *addr, char *host, size_t hostlen, int *port, char *err,
                          size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen) {
        snprintf(err, errlen, "%s must be host:port, got %s", key, addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535) {
        snprintf(err, errlen, "%s port out of range: %s", key, addr);
        return -1;
    }
    *port = (int)p;
    return 0;
}

/* admin_listen: /metrics, /readyz, /healthz on their own port, served by worker 0 (they are cheap, and a
 * scrape or a probe then never waits behind bid traffic on a shared connection limit). */
#define ADMIN_MAX_CONNECTIONS 64
static int admin_start(const struct config *cfg, int *bound, char *err, size_t errlen)
{
    char host[128];
    int port;
    if (split_hostport("admin_listen", cfg->admin_listen, host, sizeof host, &port, err, errlen)) return -1;
    int fd = make_listener(host, port, false, bound, err, errlen);
    if (fd < 0) return -1;
    struct worker *w = &G.workers[0];
    struct hs_config hc = {.max_head = 16384,
                           .max_body = 65536, /* a bid request sent here by mistake gets 404, not 413 */
                           .read_timeout_ms = cfg->read_timeout_ms,
                           .idle_timeout_ms = cfg->idle_timeout_ms,
                           .write_timeout_ms = cfg->write_timeout_ms,
                           .max_connections = ADMIN_MAX_CONNECTIONS,
                           .max_conn_output = (size_t)cfg->max_conn_output_bytes,
                           .handler = admin_handler,
                           .arg = w};
    w->admin_hs = hs_new(w->base, fd, &hc);
    if (!w->admin_hs) {
        snprintf(err, errlen, "admin_listen %s: cannot start its HTTP server", cfg->admin_listen);
        close(fd);
        return -1;
    }
    G.admin = true;
    return 0;
}

static const struct config *cfg_now(void)
{
    return rcu_dereference(G.cfg);
}

static int worker_init(struct worker *w, int id, int fd, const struct config *cfg)
{
    w->id = id;
    w->fd = fd;
    struct event_config *ec = event_config_new();
    /* one thread per base: no locks; the changelist batches epoll_ctl calls (fewer syscalls per request) */
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base) return -1;
    if (strcmp(cfg->http_server, "evhttp") == 0) {
        w->http = evhttp_new(w->base);
        if (!w->http) return -1;
        evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                                EVHTTP_REQ_PATCH);
        /* evhttp answers bodies over its own limit with an HTML 413 before we see them; let it read up to 4x
         * our limit so that the usual oversize request gets our JSON 413 naming the limit */
        size_t hard = (size_t)cfg->max_body * 4;
        evhttp_set_max_body_size(w->http, (ev_ssize_t)(hard < 262144 ? 262144 : hard));
        evhttp_set_max_headers_size(w->http, 16384);
        evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
        struct timeval tv = {cfg->read_timeout_ms / 1000, (cfg->read_timeout_ms % 1000) * 1000};
        evhttp_set_timeout_tv(w->http, &tv);
        evhttp_set_gencb(w->http, on_request, w);
        evhttp_set_bevcb(w->http, make_bev, w);
        evhttp_set_default_content_type(w->http, "application/json");
        w->bound = evhttp_accept_socket_with_handle(w->http, fd);
        if (!w->bound) return -1;
        w->evbody_cap = (size_t)cfg->max_body;
        w->evbody = malloc(w->evbody_cap + 1);
        if (!w->evbody) return -1;
    } else {
        struct hs_config hc = {.max_head = 16384,
                               .max_body = (size_t)cfg->max_body,
                               .read_timeout_ms = cfg->read_timeout_ms,
                               .idle_timeout_ms = cfg->idle_timeout_ms,
                               .write_timeout_ms = cfg->write_timeout_ms,
                               .max_connections =
                                   (uint32_t)((cfg->max_connections + G.nworkers - 1) / G.nworkers),
                               .max_conn_output = (size_t)cfg->max_conn_output_bytes,
                               .shared = &G.hs_shared,
                               .handler = native_handler,
                               .on_sent = native_sent,
                               .on_error = native_error,
                               .arg = w};
        w->hs = hs_new(w->base, fd, &hc);
        if (!w->hs) return -1;
        w->fwd = fwd_worker_new(w->base, id, cfg_now);
        if (!w->fwd) return -1;
    }
    w->metrics_buf = evbuffer_new();
    if (!w->metrics_buf) return -1;
    w->reply = evbuffer_new();
    w->arena_cap = (size_t)cfg->arena_bytes;
    w->arena_mem = aligned_alloc(64, w->arena_cap);
    w->resp_mem = malloc(RESP_CAP);
    uint32_t per = (uint32_t)((cfg->max_connections + G.nworkers - 1) / G.nworkers);
    w->conn_limit = per;
    uint32_t cap = 16;
    while (cap < per * 2u + 2) cap <<= 1;
    w->conns.cap = cap;
    w->conns.slot = calloc(cap, sizeof(void *));
    if (inflateInit2(&w->gz, 16 + MAX_WBITS) != Z_OK) return -1;
    w->gz_ready = true;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) return -1;
    w->wake = event_new(w->base, w->wake_fd, EV_READ, on_wake, w);
    if (w->wake) event_add(w->wake, NULL);
    w->cfg_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->cfg_fd < 0) return -1;
    w->cfg_ev = event_new(w->base, w->cfg_fd, EV_READ | EV_PERSIST, on_cfg, w);
    if (!w->cfg_ev || event_add(w->cfg_ev, NULL)) return -1;
    w->ectx.store_view = mirror_view;
    w->ectx.store_prefetch = mirror_prefetch;
    w->ectx.store_arg = w;
    w->ectx.after = after_decision;
    w->ectx.after_arg = w;
    if (!w->reply || !w->arena_mem || !w->resp_mem || !w->conns.slot || !w->wake) return -1;
    return 0;
}

/* ---- control plane ---- */

static void publish(struct config *c)
{
    c->generation = atomic_fetch_add(&G.generation, 1) + 1;
    struct config *old = rcu_xchg_pointer(&G.cfg, c);
    if (old) {
        /* wait until no worker can still hold the old snapshot, then free it */
        urcu_memb_synchronize_rcu();
        config_free(old);
    }
}

/* Says which policy a loaded config uses; "none" is a warning at start and on every reload that keeps it. */
static void log_policy(const struct config *c)
{
    if (c->policy_source == CONFIG_POLICY_NONE)
        log_warn(
            "policy: none: no sensitive-category policy, so sensitive segments, vulnerable targeting and "
            "high-risk ads to minors are NOT refused",
            "path=%s protections_off=%s", c->path, config_protections_off_json(c));
    else
        log_info("policy", "source=%s file=%s", config_policy_source_name(c->policy_source),
                 c->policy_source == CONFIG_POLICY_FILE ? c->policy_file : "-");
}

static void reload(void)
{
    char err[1024];
    struct config *c = config_load(G.config_path, &G.ov, err, sizeof err);
    if (!c) {
        atomic_fetch_add(&G.reloads_failed, 1);
        char esc[1200];
        log_error("reload failed, keeping the current config", "error=\"%s\"", log_esc(err, esc, sizeof esc));
        return;
    }
    /* key by key from the config table: a changed restart-only key (listen, threads, http_server, ...) is
     * logged "needs restart" and keeps its running value; the reloadable ones apply, through their hooks
     * where the snapshot alone does not reach (log level, the workers' HTTP timeouts) */
    void (*hooks[8])(const struct config *);
    size_t nhooks = config_reload_prepare(G.cfg, c, hooks, 8);
    log_policy(c);
    publish(c);
    for (size_t i = 0; i < nhooks; i++) hooks[i](c);
    log_debug("reload: published",
              "generation=%llu read_timeout_ms=%d idle_timeout_ms=%d write_timeout_ms=%d",
              (unsigned long long)c->generation, c->read_timeout_ms, c->idle_timeout_ms, c->write_timeout_ms);
    mirror_on_reload(c);
    fairness_on_reload(c);
    audit_on_reload(c);
    atomic_fetch_add(&G.reloads_ok, 1);
    log_info("config reloaded", "path=%s generation=%llu campaigns=%u", G.config_path,
             (unsigned long long)atomic_load(&G.generation), c->campaigns.n);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        reload();
        return;
    }
    if (atomic_exchange(&G.stopping, true)) return;
    log_info("shutting down: draining", "signal=%d", (int)sig);
    for (int i = 0; i < G.nworkers; i++) {
        uint64_t one = 1;
        ssize_t n = write(G.workers[i].wake_fd, &one, sizeof one);
        (void)n;
    }
    event_base_loopexit(G.main_base, NULL);
}

int server_run(const struct server_opts *opts)
{
    char err[1024];
    G.started_ms = mono_ms();
    G.config_path = opts->config_path;
    G.ov = opts->ov;
    struct config *cfg = config_load(opts->config_path, &opts->ov, err, sizeof err);
    if (!cfg) {
        char esc[1200];
        log_error("config error", "error=\"%s\"", log_esc(err, esc, sizeof esc));
        return 2;
    }
    log_set_level((enum log_level)config_log_level(cfg));
    config_set_http_apply(apply_http_timeouts);
    log_policy(cfg);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    char host[128];
    int port = 0;
    if (split_hostport("listen", cfg->listen, host, sizeof host, &port, err, sizeof err)) {
        log_error("config error", "error=\"%s\"", err);
        return 2;
    }
    G.hs_shared.max_buffered = (size_t)cfg->max_buffered_bytes;
    G.hs_shared.max_output = (size_t)cfg->max_output_bytes;

    G.nworkers = cfg->threads;
    G.workers = calloc((size_t)G.nworkers, sizeof *G.workers);
    if (!G.workers) return 1;
    publish(cfg);
    int bound_port = port;
    for (int i = 0; i < G.nworkers; i++) {
        int fd = make_listener(host, bound_port, true, &bound_port, err, sizeof err);
        if (fd < 0) {
            log_error("cannot listen", "error=\"%s\"", err);
            return 1;
        }
        if (worker_init(&G.workers[i], i, fd, cfg)) {
            log_error("cannot start worker", "worker=%d", i);
            return 1;
        }
    }

    int admin_port = 0;
    if (cfg->admin_listen[0] && admin_start(cfg, &admin_port, err, sizeof err)) {
        log_error("cannot listen", "error=\"%s\"", err);
        return 1;
    }

    G.main_base = event_base_new();
    struct event *sigs[4];
    int signos[4] = {SIGTERM, SIGINT, SIGHUP, 0};
    for (int i = 0; signos[i]; i++) {
        sigs[i] = evsignal_new(G.main_base, signos[i], on_signal, NULL);
        event_add(sigs[i], NULL);
    }
    if (store_start(G.main_base, cfg->redis, err, sizeof err)) {
        log_error("config error", "error=\"%s\"", err);
        return 2;
    }
    if (mirror_start(G.main_base, cfg, err, sizeof err) ||
        fairness_start(G.main_base, cfg, G.nworkers, err, sizeof err) ||
        audit_start(G.main_base, cfg, G.nworkers, err, sizeof err) || up_win_start(err, sizeof err)) {
        log_error("cannot start the control plane", "error=\"%s\"", err);
        return 2;
    }
    for (int i = 0; i < G.nworkers; i++) G.workers[i].ectx.fair = fairness_view(i);

    for (int i = 0; i < G.nworkers; i++) {
        if (pthread_create(&G.workers[i].thread, NULL, worker_main, &G.workers[i])) {
            log_error("cannot start worker thread", "worker=%d", i);
            return 1;
        }
    }
    if (opts->port_file && G.admin) {
        /* <port_file>.admin: the admin port (tests bind port 0), written before the main one */
        char path[600], tmp[620];
        snprintf(path, sizeof path, "%s.admin", opts->port_file);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", admin_port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
            log_error("cannot write port file", "path=%s error=\"%s\"", path, strerror(errno));
            return 1;
        }
    }
    if (opts->port_file) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.tmp", opts->port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", bound_port) < 0 || fclose(f) != 0 || rename(tmp, opts->port_file) != 0) {
            log_error("cannot write port file", "path=%s error=\"%s\"", opts->port_file, strerror(errno));
            return 1;
        }
    }
    log_info("fairbid listening", "addr=%s:%d admin=%s threads=%d campaigns=%u redis=%s version=%s", host,
             bound_port, G.admin ? cfg->admin_listen : "none", G.nworkers, cfg->campaigns.n,
             cfg->redis[0] ? cfg->redis : "none", FAIRBID_VERSION);

    event_base_dispatch(G.main_base);

    for (int i = 0; i < G.nworkers; i++) pthread_join(G.workers[i].thread, NULL);
    up_win_stop();
    audit_stop();
    fairness_stop();
    mirror_stop();
    store_stop();
    uint64_t total = 0;
    for (int i = 0; i < G.nworkers; i++) {
        struct worker *w = &G.workers[i];
        for (int s = 0; s < MS__COUNT; s++) total += atomic_load(&w->m.requests[s]);
        if (w->drain_timer) event_free(w->drain_timer);
        event_free(w->wake);
        close(w->wake_fd);
        event_free(w->cfg_ev);
        close(w->cfg_fd);
        if (w->http) evhttp_free(w->http);
        hs_free(w->hs); /* before the pool: a deferred request's cancel returns its fan-out */
        hs_free(w->admin_hs);
        fwd_worker_free(w->fwd);
        evbuffer_free(w->reply);
        evbuffer_free(w->metrics_buf);
        free(w->evbody);
        event_base_free(w->base);
        free(w->arena_mem);
        free(w->resp_mem);
        free(w->conns.slot);
        if (w->gz_ready) inflateEnd(&w->gz);
    }
    for (int i = 0; signos[i]; i++) event_free(sigs[i]);
    event_base_free(G.main_base);
    struct config *last = rcu_xchg_pointer(&G.cfg, NULL);
    config_free(last);
    free(G.workers);
    log_info("stopped", "requests=%llu", (unsigned long long)total);
    return 0;
}
