/* audit: privacy and fairness drops appended asynchronously to the Redis stream fairbid:audit. Each worker
 * owns a bounded single-producer single-consumer ring of fixed-size records: the worker (producer) copies a
 * record in and publishes its head with a release store; when the ring is full the record is dropped and
 * counted, so a bid never waits. The control plane (main thread event_base) drains every ring every 50 ms
 * into pipelined `XADD fairbid:audit MAXLEN ~ N * ...` on its own hiredis async connection. No raw user id
 * leaves: at most a keyed hash (XXH64 with a per-process random key) of user.buyeruid or user.id. */
#include "bidder/audit.h"
#include "bidder/common/clock.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <xxhash.h>

#include "bidder/obs/log.h"
#include "bidder/obs/prom.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "filters/classes.h"
#include "filters/policy.h"
#include "filters/reasons.h"
#include "filters/sensitive.h"

#define AUDIT_TICK_MS 50
#define AUDIT_BATCH_MAX 4096    /* records sent per tick, all rings together */
#define AUDIT_INFLIGHT_MAX 8192 /* unanswered XADDs before the drain pauses */

struct audit_rec {
    int64_t time_ms;
    uint64_t user_hash;
    uint16_t reason;
    uint8_t has_user;
    char req_id[64], imp_id[32], campaign[64], detail[POLICY_DETAIL_MAX];
    char juris[JURIS_CODE_MAX]; /* where the person was: "US-MD", "EU", "" */
};

struct ring {
    _Alignas(64) _Atomic uint64_t head; /* written by the worker */
    _Alignas(64) _Atomic uint64_t tail; /* written by the control plane */
    _Alignas(64) _Atomic uint64_t enqueued, dropped;
    _Atomic uint64_t by_class[CLASS__COUNT]; /* sensitive/exploit drops by class, sampled or not */
    struct audit_rec *recs;
    uint32_t cap;
};

static struct {
    bool enabled;
    int nworkers;
    struct ring *rings;
    struct event_base *base;
    struct event *timer;
    /* the shared link (bidder/store/link.h): checked AUTH/SELECT, connect and command timeouts (a paused
     * Redis fails the link instead of stalling the drain), backoff, failover following */
    struct redis_link link;
    _Atomic uint64_t written, errors, inflight;
    _Atomic double sample_rate;
    _Atomic long maxlen;
    uint64_t key; /* keyed hash of user ids */
} A;

/* Which drops the audit keeps: the privacy and fairness classes of reasons.def (reason_class_audited). */
static bool audited(int reason)
{
    return reason_class_audited(reason_class(reason));
}

static void copy_sv(char *dst, size_t cap, struct sv s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n) memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------ hot path (worker thread) */

void audit_after(int worker, const struct config *cfg, const struct engine_result *res)
{
    if (!A.enabled || worker < 0 || worker >= A.nworkers || !res->decided || !res->dec.v) return;
    struct ring *r = &A.rings[worker];
    const struct ortb_request *req = &res->req;
    bool sampled = true;
    double rate = cfg->audit_sample_rate;
    if (rate < 1.0) {
        /* per request, so a sampled request is audited whole */
        uint64_t h = XXH64(req->id.p ? req->id.p : "", req->id.n, A.key);
        sampled = (double)(h >> 11) * 0x1.0p-53 < rate;
    }
    struct sv user = req->user.buyeruid.n ? req->user.buyeruid : req->user.id;
    uint64_t uh = user.n ? XXH64(user.p, user.n, A.key) : 0;
    int64_t now = 0;
    for (uint32_t i = 0; i < res->dec.nv; i++) {
        const struct decide_verdict *v = &res->dec.v[i];
        if (v->reason == REASON_BID || !audited(v->reason)) continue;
        enum reason_class rc = reason_class(v->reason);
        if (rc == REASON_CLASS_SENSITIVE || rc == REASON_CLASS_EXPLOIT) { /* count by policy class */
            struct sv cls;
            char tid[32];
            if (sensitive_detail_parse(v->arg, &cls, tid, sizeof tid)) {
                int c = class_by_name(cls.p, cls.n);
                if (c >= 0) atomic_fetch_add_explicit(&r->by_class[c], 1, memory_order_relaxed);
            }
        }
        if (!sampled) continue;
        uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head - tail >= r->cap) {
            atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
            continue;
        }
        if (!now) now = fb_clock_wall_ms();
        struct audit_rec *rec = &r->recs[head % r->cap];
        rec->time_ms = now;
        rec->user_hash = uh;
        rec->has_user = user.n != 0;
        rec->reason = v->reason;
        copy_sv(rec->req_id, sizeof rec->req_id, req->id);
        copy_sv(rec->imp_id, sizeof rec->imp_id, v->imp < req->nimp ? req->imp[v->imp].id : SV_NULL);
        copy_sv(rec->campaign, sizeof rec->campaign,
                v->campaign < cfg->campaigns.n ? cfg->campaigns.v[v->campaign].id : SV_NULL);
        copy_sv(rec->detail, sizeof rec->detail, v->arg);
        memcpy(rec->juris, res->dec.juris.code, sizeof rec->juris);
        atomic_store_explicit(&r->head, head + 1, memory_order_release);
        atomic_fetch_add_explicit(&r->enqueued, 1, memory_order_relaxed);
    }
}

void audit_upstream_drop(int worker, const struct config *cfg, const struct engine_result *res,
                         const char *upstream, struct sv imp_id, struct sv creative, int reason,
                         struct sv detail)
{
    if (!A.enabled || worker < 0 || worker >= A.nworkers || !audited(reason)) return;
    struct ring *r = &A.rings[worker];
    const struct ortb_request *req = &res->req;
    double rate = cfg->audit_sample_rate;
    if (rate < 1.0) {
        uint64_t h = XXH64(req->id.p ? req->id.p : "", req->id.n, A.key); /* the request's own draw */
        if (!((double)(h >> 11) * 0x1.0p-53 < rate)) return;
    }
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head - tail >= r->cap) {
        atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
        return;
    }
    struct sv user = req->user.buyeruid.n ? req->user.buyeruid : req->user.id;
    struct audit_rec *rec = &r->recs[head % r->cap];
    rec->time_ms = fb_clock_wall_ms();
    rec->user_hash = user.n ? XXH64(user.p, user.n, A.key) : 0;
    rec->has_user = user.n != 0;
    rec->reason = (uint16_t)reason;
    copy_sv(rec->req_id, sizeof rec->req_id, req->id);
    copy_sv(rec->imp_id, sizeof rec->imp_id, imp_id);
    snprintf(rec->campaign, sizeof rec->campaign, "upstream:%s:%.*s", upstream, SV_FMT(creative));
    copy_sv(rec->detail, sizeof rec->detail, detail);
    memcpy(rec->juris, res->dec.juris.code, sizeof rec->juris);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    atomic_fetch_add_explicit(&r->enqueued, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------ control plane (main thread) */

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    (void)priv;
    redisReply *r = reply;
    atomic_fetch_sub(&A.inflight, 1);
    if (!r) return; /* connection going away */
    if (r->type == REDIS_REPLY_ERROR) {
        if (atomic_fetch_add(&A.errors, 1) == 0) log_warn("audit: XADD failed", "error=\"%s\"", r->str);
        return;
    }
    atomic_fetch_add(&A.written, 1);
}

static void send_rec(const struct audit_rec *rec)
{
    char maxlen[24], t[24], user[24], tid[32] = "";
    snprintf(maxlen, sizeof maxlen, "%ld", atomic_load(&A.maxlen));
    snprintf(t, sizeof t, "%lld", (long long)rec->time_ms);
    snprintf(user, sizeof user, "%016llx", (unsigned long long)rec->user_hash);
    struct sv cls = SV_NULL;
    char clsbuf[32] = "";
    if (sensitive_detail_parse(sv_from(rec->detail), &cls, tid, sizeof tid))
        copy_sv(clsbuf, sizeof clsbuf, cls);
    const char *argv[32];
    size_t lens[32];
    int n = 0;
#define ARG(s)                                                                                               \
    do {                                                                                                     \
        argv[n] = (s);                                                                                       \
        lens[n] = strlen(argv[n]);                                                                           \
        n++;                                                                                                 \
    } while (0)
    ARG("XADD");
    ARG("fairbid:audit");
    ARG("MAXLEN");
    ARG("~");
    ARG(maxlen);
    ARG("*");
    ARG("time_ms");
    ARG(t);
    ARG("request_id");
    ARG(rec->req_id);
    ARG("imp_id");
    ARG(rec->imp_id);
    ARG("campaign_id");
    ARG(rec->campaign);
    ARG("reason");
    ARG(reason_name(rec->reason));
    ARG("class");
    ARG(clsbuf);
    ARG("taxonomy_id");
    ARG(tid);
    ARG("detail");
    ARG(rec->detail);
    ARG("jurisdiction");
    ARG(rec->juris);
    if (rec->has_user) {
        ARG("user_hash");
        ARG(user);
    }
#undef ARG
    atomic_fetch_add(&A.inflight, 1);
    if (redis_link_command_argv(&A.link, on_reply, NULL, n, argv, lens) != REDIS_OK) {
        atomic_fetch_sub(&A.inflight, 1);
        atomic_fetch_add(&A.errors, 1);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    /* reconnects and failovers are the link's (its own timer) */
    if (!redis_link_ctx(&A.link)) return;
    /* records stay in the rings while Redis is away or slow: the rings bound memory, drops are counted */
    uint32_t budget = AUDIT_BATCH_MAX;
    for (int w = 0; w < A.nworkers && budget; w++) {
        struct ring *r = &A.rings[w];
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        while (tail != head && budget && atomic_load(&A.inflight) < AUDIT_INFLIGHT_MAX) {
            send_rec(&r->recs[tail % r->cap]);
            tail++;
            budget--;
            atomic_store_explicit(&r->tail, tail, memory_order_release);
            if (!redis_link_ctx(&A.link)) return; /* the send failed hard and the link dropped */
        }
    }
}

int audit_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen)
{
    memset(&A, 0, sizeof A);
    atomic_store(&A.sample_rate, cfg->audit_sample_rate);
    atomic_store(&A.maxlen, (long)cfg->audit_maxlen);
    if (!cfg->redis[0] || nworkers <= 0) return 0; /* no Redis: no audit trail (counted nowhere) */
    if (strncmp(cfg->redis, "redis://", 8) != 0) {
        log_warn("audit: only redis:// URLs are supported; audit trail disabled", "url=%s", cfg->redis);
        return 0;
    }
    if (getrandom(&A.key, sizeof A.key, 0) != (ssize_t)sizeof A.key)
        A.key = (uint64_t)fb_clock_wall_ms() * 0x9E3779B97F4A7C15ull;
    A.rings = calloc((size_t)nworkers, sizeof *A.rings);
    if (!A.rings) {
        snprintf(err, errlen, "audit: out of memory");
        return -1;
    }
    A.nworkers = nworkers;
    for (int i = 0; i < nworkers; i++) {
        A.rings[i].cap = (uint32_t)cfg->audit_queue;
        /* calloc: pages are touched only as the ring fills */
        A.rings[i].recs = calloc(A.rings[i].cap, sizeof(struct audit_rec));
        if (!A.rings[i].recs) {
            snprintf(err, errlen, "audit: out of memory for %d-record queues", cfg->audit_queue);
            return -1;
        }
    }
    A.base = base;
    struct redis_link_opts o = {.name = "audit"};
    if (redis_link_init(&A.link, base, cfg->redis, &o, err, errlen)) return -1;
    A.timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, AUDIT_TICK_MS * 1000};
    event_add(A.timer, &tv);
    redis_link_connect(&A.link);
    A.enabled = true;
    return 0;
}

void audit_stop(void)
{
    if (A.timer) {
        on_tick(-1, 0, NULL); /* a last drain of what is queued */
        event_free(A.timer);
        A.timer = NULL;
    }
    A.enabled = false;
    redis_link_stop(&A.link);
    /* the rings stay allocated: a late worker call sees enabled = false; freed at exit */
}

void audit_on_reload(const struct config *cfg)
{
    atomic_store(&A.sample_rate, cfg->audit_sample_rate);
    atomic_store(&A.maxlen, (long)cfg->audit_maxlen);
}

void audit_metrics(struct evbuffer *out)
{
    uint64_t enq = 0, drop = 0, by[CLASS__COUNT] = {0};
    for (int w = 0; w < A.nworkers; w++) {
        enq += atomic_load_explicit(&A.rings[w].enqueued, memory_order_relaxed);
        drop += atomic_load_explicit(&A.rings[w].dropped, memory_order_relaxed);
        for (int c = 0; c < CLASS__COUNT; c++)
            by[c] += atomic_load_explicit(&A.rings[w].by_class[c], memory_order_relaxed);
    }
    const char *rn = "fairbid_audit_records_total";
    prom_family(
        out, rn, PROM_COUNTER,
        "Audit records by outcome (enqueued on a worker, dropped because the worker's queue was full, "
        "written to Redis, failed).");
    prom_u64(out, rn, PROM_L({"outcome", "enqueued"}), enq);
    prom_u64(out, rn, PROM_L({"outcome", "dropped_queue_full"}), drop);
    prom_u64(out, rn, PROM_L({"outcome", "written"}), atomic_load(&A.written));
    prom_u64(out, rn, PROM_L({"outcome", "failed"}), atomic_load(&A.errors));
    prom_family(out, "fairbid_policy_drops_total", PROM_COUNTER,
                "Sensitive and exploitative drops (imp x campaign) by policy class.");
    for (int c = 0; c < CLASS__COUNT; c++)
        prom_u64(out, "fairbid_policy_drops_total", PROM_L({"class", class_name(c)}), by[c]);
}
