/* mirror: the consent store mirror's control plane (main thread) and its hot-path read. See mirror.h and
 * docs/consent-store.md.
 *
 * Two hiredis connections on the control plane's event_base: `sub` (RESP2, SUBSCRIBEd to
 * __redis__:invalidate and to a per-instance heartbeat channel) and `cmd` (CLIENT TRACKING on REDIRECT <sub>
 * BCAST PREFIX fairbid:consent:, then SCAN + pipelined HGETALL, the reloads and the heartbeat PUBLISH).
 * Tracking is switched on before the SCAN starts, so a write during the load is either seen by the SCAN or
 * announced by an invalidation (or both). Replies on `cmd` arrive in order, so the last reply applied for a
 * key is the newest state. The heartbeat is published on `cmd` and received on `sub`: its echo proves both
 * links and that every invalidation queued before it has been delivered (it counts once the reloads issued
 * before it are applied). Workers trust the mirror while it is synced, the newest such echo was sent less
 * than consent_stale_ms ago, and no reload has waited longer than reload_bound_ms (checked per request
 * against the clock, so a silent link or a lagging reload turns untrusted without waiting for this thread).
 * The table is sized from what is loaded, up to consent_mirror_max_records; past that it is never trusted. */
#define _LGPL_SOURCE
#include "bidder/consent/mirror.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "bidder/common/clock.h"
#include "bidder/obs/log.h"
#include "bidder/obs/prom.h"
#include "bidder/consent/mirror_int.h"
#include "bidder/consent/mirror_table.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"

#define PREFIX "fairbid:consent:"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define INVALIDATE_CHANNEL "__redis__:invalidate"
#define SCAN_COUNT 1000
#define BACKOFF_MIN_MS REDIS_BACKOFF_MIN_MS

struct mirror_state M;

/* ---- table writes (main thread) ------------------------------------------------------------------ */

static void publish_table(struct mirror_table *n)
{
    struct mirror_table *old = M.table;
    rcu_assign_pointer(M.table, n);
    if (old) {
        /* rare (growth): blocks this loop for one grace period; workers' read sections are one request */
        urcu_memb_synchronize_rcu();
        mirror_table_free(old);
    }
}

static int grow(size_t records)
{
    struct mirror_table *n = mirror_table_rebuild(M.table, records);
    if (!n) {
        log_error("consent mirror: out of memory growing the table", "records=%zu",
                  mirror_table_live(M.table));
        return -1;
    }
    publish_table(n);
    log_info("consent mirror: table resized", "capacity=%zu bytes=%zu", mirror_table_capacity(n),
             mirror_table_bytes(n));
    return 0;
}

/* The mirror cannot hold every record: it must not be trusted until a later full load fits (fail closed). */
static void set_full(const char *why)
{
    atomic_store(&M.synced, false);
    if (atomic_exchange(&M.full, true)) return;
    M.full_ms = fb_clock_mono_ms();
    log_error("consent mirror: cannot hold every record, not trusted (personal data refused)",
              "reason=\"%s\" records=%zu consent_mirror_max_records=%zu retry_ms=%d", why,
              mirror_table_live(M.table), atomic_load(&M.max_records), FULL_RETRY_MS);
}

static void put(struct mirror_key k, uint32_t flags)
{
    unsigned epoch = (unsigned)(M.gen & 1);
    size_t live = mirror_table_live(M.table), max = atomic_load(&M.max_records);
    uint32_t old;
    if (live >= max && !mirror_table_get(M.table, k, &old)) {
        /* the table is sized from what is loaded, never from DBSIZE (other keys share the database), and
         * stops at the configured ceiling */
        set_full("more records than consent_mirror_max_records");
        return;
    }
    if (mirror_table_put(M.table, k, flags, epoch) == MIRROR_EFULL) {
        /* during a load, double (few rebuilds for a big store); after it, grow by a third */
        size_t want = M.phase == PH_SCANNING && live <= max / 2 ? live * 2 : 0;
        if (want > max) want = max;
        if (grow(want) || mirror_table_put(M.table, k, flags, epoch))
            set_full("out of memory growing the table");
    }
}

/* ---- trust ------------------------------------------------------------------------------------- */

static void hb_prove(int64_t sent)
{
    if (sent > atomic_load(&M.hb_ok_ms)) atomic_store(&M.hb_ok_ms, sent);
    if (atomic_load_explicit(&M.synced, memory_order_acquire) && !atomic_load(&M.ever_trusted) &&
        mirror_trusted_now()) {
        atomic_store(&M.ever_trusted, true);
        log_info("consent mirror: trusted", "records=%zu", mirror_table_live(M.table));
    }
}

/* an echo arrived: it counts once every reload issued so far has been applied */
static void hb_echo(int64_t sent)
{
    if (M.reload_applied >= M.reload_issued) {
        hb_prove(sent);
        return;
    }
    if (M.hb_waiting == HB_WAIT_MAX) {
        /* full: the newest entry takes the newer echo and its stricter condition (never weaker) */
        M.hb_wait[HB_WAIT_MAX - 1] = (struct hb_wait){sent, M.reload_issued};
        return;
    }
    M.hb_wait[M.hb_waiting++] = (struct hb_wait){sent, M.reload_issued};
}

/* a reload was applied: promote the echoes whose reloads are all applied now */
static void hb_applied(void)
{
    M.reload_applied++;
    int done = 0;
    while (done < M.hb_waiting && M.hb_wait[done].seq <= M.reload_applied) done++;
    if (!done) return;
    hb_prove(M.hb_wait[done - 1].sent);
    memmove(M.hb_wait, M.hb_wait + done, (size_t)(M.hb_waiting - done) * sizeof M.hb_wait[0]);
    M.hb_waiting -= done;
}

/* new links or a new sync generation: replies of older reloads are dropped, so no echo can wait on them */
static void hb_reset(void)
{
    M.reload_issued = M.reload_applied = 0;
    M.hb_waiting = 0;
    /* the queued reloads' callbacks still own their records; they are simply no longer the head */
    M.q_head = M.q_tail = NULL;
    atomic_store(&M.oldest_unapplied, 0);
}

static void publish_heartbeat(void)
{
    if (M.phase < PH_SCANNING || !M.cmd) return;
    int64_t now = fb_clock_mono_coarse_ms();
    if (redisAsyncCommand(M.cmd, NULL, NULL, "PUBLISH %s %lld", M.hb_channel, (long long)now) == REDIS_OK &&
        now > M.hb_last_sent)
        M.hb_last_sent = now;
}

/* An echo proves the state as of the time it carries only if we sent that time: a message on our channel that
 * carries a later time (a corrupt or hostile server, or another client publishing there) would stretch the
 * trust bound into the future. Any time up to the newest we published is sound: it was delivered after that
 * PUBLISH, so after every invalidation queued before it. */
static bool hb_parse(const redisReply *msg, int64_t *sent)
{
    if (msg->type != REDIS_REPLY_STRING || msg->len == 0 || msg->len > 19) return false;
    int64_t v = 0;
    for (size_t i = 0; i < msg->len; i++) {
        if (msg->str[i] < '0' || msg->str[i] > '9') return false;
        v = v * 10 + (msg->str[i] - '0');
    }
    if (v <= 0 || v > M.hb_last_sent) return false;
    *sent = v;
    return true;
}

/* ---- connections ---------------------------------------------------------------------------------- */

static void teardown(const char *why, const char *detail);
static void start_scan(void);

/* closes a link quietly; the mirror decides when both reconnect (M.next_connect_ms) */
static void drop_link(struct redis_link *l)
{
    redis_link_drop(l); /* pending callbacks get NULL replies; deferred when inside a callback */
    l->next_connect_ms = 0;
}

/* Both links go together: tracking is redirected to `sub`, so neither is useful alone. */
static void teardown(const char *why, const char *detail)
{
    bool was = M.phase != PH_IDLE;
    M.cmd = M.sub = NULL;
    M.phase = PH_IDLE;
    M.gen++;
    hb_reset();
    atomic_store(&M.synced, false);
    drop_link(&M.lcmd);
    drop_link(&M.lsub);
    M.next_connect_ms = fb_clock_mono_ms() + redis_backoff_next(&M.backoff_ms);
    if (was) {
        atomic_fetch_add(&M.disconnects, 1);
        log_warn("consent mirror: link lost, fail-safe until resynced", "reason=\"%s%s%s\" retry_ms=%d", why,
                 detail ? ": " : "", detail ? detail : "", M.backoff_ms);
    }
}

/* a link failed on its own (connect failed or timed out, AUTH/SELECT refused, disconnected) */
static void on_link_down(struct redis_link *l, void *arg, const char *why)
{
    (void)arg;
    if (l == &M.lcmd)
        M.cmd = NULL;
    else
        M.sub = NULL;
    l->next_connect_ms = 0;
    if (M.phase == PH_IDLE) return;
    teardown(l == &M.lcmd ? "command link" : "subscriber link", why);
}

static void on_client_id(redisAsyncContext *ac, void *reply, void *priv);

/* both links connected and authenticated: start tracking (CLIENT ID on sub, then CLIENT TRACKING on cmd) */
static void on_link_ready(struct redis_link *l, void *arg)
{
    (void)arg;
    if (l == &M.lcmd)
        M.cmd = redis_link_ctx(l);
    else
        M.sub = redis_link_ctx(l);
    if (M.phase != PH_CONNECTING || !M.cmd || !M.sub) return;
    void *g = (void *)(uintptr_t)M.gen;
    redisAsyncCommand(M.sub, on_client_id, g, "CLIENT ID");
}

/* a reply that must be OK-ish, else the links go */
static bool reply_ok(redisAsyncContext *ac, redisReply *r, uint64_t gen, const char *what)
{
    if (!r || gen != M.gen || (ac != M.cmd && ac != M.sub)) return false;
    if (r->type == REDIS_REPLY_ERROR) {
        teardown(what, r->str);
        return false;
    }
    return true;
}

/* ---- invalidations and reloads -------------------------------------------------------------------- */

static void apply_record(struct mirror_key k, redisReply *r);

static void on_hgetall(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac;
    struct pending p = *(struct pending *)priv;
    if (priv == M.q_head) {
        /* replies come in order: the oldest unapplied reload is the next one */
        M.q_head = p.next;
        if (!M.q_head) M.q_tail = NULL;
        atomic_store(&M.oldest_unapplied, M.q_head ? M.q_head->issued : 0);
    }
    free(priv);
    redisReply *r = reply;
    if (!r || p.gen != M.gen) return; /* connection going away, or a resync superseded this read */
    atomic_fetch_add_explicit(&M.reloads, 1, memory_order_relaxed);
    apply_record(p.k, r);
    hb_applied();
}

bool mirror_reply_record(const struct redisReply *r, struct mirror_record *rec)
{
    mirror_record_init(rec);
    if (r->type != REDIS_REPLY_ARRAY) {
        /* not a hash (WRONGTYPE) or another error */
        mirror_record_bad(rec, r->type == REDIS_REPLY_ERROR ? "not a hash (error reply)" : "not a hash");
        return true;
    }
    if (r->elements == 0) return false;
    if (r->elements & 1) mirror_record_bad(rec, "an odd number of elements (not field/value pairs)");
    if (r->elements / 2 > MIRROR_RECORD_MAX_FIELDS) {
        /* restricts whatever the fields say: no need to read them */
        mirror_record_bad(rec, "more fields than a record may have");
        return true;
    }
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        bool fs = f->type == REDIS_REPLY_STRING, vs = v->type == REDIS_REPLY_STRING;
        mirror_record_field(rec, fs ? f->str : NULL, fs ? f->len : 0, vs ? v->str : NULL, vs ? v->len : 0);
    }
    return true;
}

static void apply_record(struct mirror_key k, redisReply *r)
{
    struct mirror_record rec;
    if (!mirror_reply_record(r, &rec)) {
        mirror_table_del(M.table, k);
        return;
    }
    if (rec.unknown) atomic_fetch_add_explicit(&M.unknown, (uint64_t)rec.unknown, memory_order_relaxed);
    /* not understood (not a hash, too big, a bad value): fails toward privacy, counted */
    if (rec.why) atomic_fetch_add_explicit(&M.bad_records, 1, memory_order_relaxed);
    put(k, mirror_record_flags(&rec));
}

static void reload_key(const char *key, size_t len)
{
    if (!M.cmd || len < PREFIX_LEN || memcmp(key, PREFIX, PREFIX_LEN) != 0) return;
    struct pending *p = malloc(sizeof *p);
    if (!p) {
        teardown("out of memory", NULL);
        return;
    }
    p->k = mirror_key_of(key + PREFIX_LEN, len - PREFIX_LEN);
    p->gen = M.gen;
    p->seq = ++M.reload_issued;
    p->issued = fb_clock_mono_coarse_ms();
    if (!p->issued) p->issued = 1; /* 0 means none */
    p->next = NULL;
    if (M.q_tail)
        M.q_tail->next = p;
    else {
        M.q_head = p;
        atomic_store(&M.oldest_unapplied, p->issued);
    }
    M.q_tail = p;
    redisAsyncCommand(M.cmd, on_hgetall, p, "HGETALL %b", key, len);
}

static void on_sub_message(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    redisReply *r = reply;
    if (!r || ac != M.sub || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const char *kind = r->element[0]->str;
    redisReply *chan = r->element[1];
    redisReply *msg = r->element[2];
    if (!kind || !chan->str) return;
    if (!strcmp(kind, "subscribe")) {
        if (++M.subs_confirmed == 2 && M.cmd) start_scan();
        return;
    }
    if (strcmp(kind, "message") != 0) return;
    if (!strcmp(chan->str, M.hb_channel)) {
        int64_t sent;
        if (hb_parse(msg, &sent)) {
            hb_echo(sent);
            M.link_ok_ms = fb_clock_mono_ms();
            redis_link_ok(&M.lsub);
            redis_link_ok(&M.lcmd);
        } else {
            atomic_fetch_add_explicit(&M.bad_heartbeats, 1, memory_order_relaxed);
        }
        return;
    }
    if (strcmp(chan->str, INVALIDATE_CHANNEL) != 0) return;
    if (msg->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < msg->elements; i++) {
            redisReply *k = msg->element[i];
            if (k->type != REDIS_REPLY_STRING) continue;
            atomic_fetch_add_explicit(&M.invalidations, 1, memory_order_relaxed);
            reload_key(k->str, k->len);
        }
    } else if (M.phase >= PH_SCANNING) {
        /* nil: FLUSHALL / FLUSHDB (or tracking table overflow): everything may have changed */
        atomic_fetch_add(&M.flushes, 1);
        log_info("consent mirror: flush invalidation, resyncing", "records=%zu", mirror_table_live(M.table));
        start_scan();
    }
}

/* ---- full sync ------------------------------------------------------------------------------------ */

static void on_scan_done(redisAsyncContext *ac, void *reply, void *priv)
{
    uint64_t gen = (uint64_t)(uintptr_t)priv;
    if (!reply_ok(ac, reply, gen, "sync barrier")) return;
    /* every HGETALL issued by the SCAN has been applied (replies in order): drop what the SCAN did not see */
    size_t swept = mirror_table_sweep(M.table, (unsigned)(M.gen & 1));
    int64_t took = fb_clock_mono_ms() - M.scan_start_ms;
    M.phase = PH_SYNCED;
    M.backoff_ms = BACKOFF_MIN_MS;
    atomic_store(&M.load_ms, took);
    atomic_store(&M.sync_ms, fb_clock_mono_coarse_ms());
    atomic_store(&M.resyncing, false);
    /* a load that could not hold every record is never trusted (retried every FULL_RETRY_MS) */
    if (!atomic_load(&M.full)) atomic_store_explicit(&M.synced, true, memory_order_release);
    /* prove the links at once rather than on the next tick (up to 100 ms): a started instance is trusted a
     * round trip after its load completes */
    publish_heartbeat();
    bool first = !atomic_exchange(&M.ready, true);
    log_info(first ? "consent mirror: loaded" : "consent mirror: resynced",
             "records=%zu scanned=%" PRIu64 " removed=%zu ms=%" PRId64 " capacity=%zu bytes=%zu full=%d",
             mirror_table_live(M.table), M.scan_keys, swept, took, mirror_table_capacity(M.table),
             mirror_table_bytes(M.table), (int)atomic_load(&M.full));
}

static void on_scan(redisAsyncContext *ac, void *reply, void *priv)
{
    uint64_t gen = (uint64_t)(uintptr_t)priv;
    redisReply *r = reply;
    if (!reply_ok(ac, r, gen, "SCAN")) return;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
        teardown("SCAN", "unexpected reply");
        return;
    }
    redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
        redisReply *k = keys->element[i];
        if (k->type == REDIS_REPLY_STRING) reload_key(k->str, k->len);
    }
    M.scan_keys += keys->elements;
    const char *cursor = r->element[0]->str;
    if (!M.cmd) return;
    if (!strcmp(cursor, "0"))
        redisAsyncCommand(M.cmd, on_scan_done, priv, "PING");
    else
        redisAsyncCommand(M.cmd, on_scan, priv, "SCAN %s MATCH " PREFIX "* COUNT %d", cursor, SCAN_COUNT);
}

/* Starts a full SCAN on the current links (tracking already on). Replies of an older generation are dropped
 * from now on; records not seen by this SCAN (tagged with the other epoch) are swept when it completes. */
static void start_scan(void)
{
    M.gen++;
    hb_reset();
    bool first = !atomic_load(&M.ready);
    if (!first) atomic_fetch_add(&M.resyncs, 1);
    atomic_store(&M.synced, false);
    atomic_store(&M.resyncing, !first);
    atomic_store(&M.full, false); /* this load counts afresh */
    M.phase = PH_SCANNING;
    M.scan_start_ms = fb_clock_mono_ms();
    M.scan_keys = 0;
    void *g = (void *)(uintptr_t)M.gen;
    redisAsyncCommand(M.cmd, on_scan, g, "SCAN 0 MATCH " PREFIX "* COUNT %d", SCAN_COUNT);
}

static void on_tracking(redisAsyncContext *ac, void *reply, void *priv)
{
    uint64_t gen = (uint64_t)(uintptr_t)priv;
    if (!reply_ok(ac, reply, gen, "CLIENT TRACKING")) return;
    /* tracking is on before the SCAN: nothing written from now on can be missed. Subscribe, and scan once
     * both subscriptions are confirmed (on_sub_message). */
    M.subs_confirmed = 0;
    redisAsyncCommand(M.sub, on_sub_message, NULL, "SUBSCRIBE " INVALIDATE_CHANNEL " %s", M.hb_channel);
}

static void on_client_id(redisAsyncContext *ac, void *reply, void *priv)
{
    uint64_t gen = (uint64_t)(uintptr_t)priv;
    redisReply *r = reply;
    if (!reply_ok(ac, r, gen, "CLIENT ID")) return;
    if (r->type != REDIS_REPLY_INTEGER) {
        teardown("CLIENT ID", "not an integer");
        return;
    }
    M.sub_id = r->integer;
    redisAsyncCommand(M.cmd, on_tracking, priv, "CLIENT TRACKING on REDIRECT %lld BCAST PREFIX " PREFIX,
                      M.sub_id);
}

static void connect_now(void)
{
    /* sentinel://: wait until the store has resolved the primary (next tick) */
    if (store_target(&M.url, &M.target)) return;
    M.store_gen = store_generation();
    M.gen++;
    M.phase = PH_CONNECTING;
    M.link_ok_ms = fb_clock_mono_ms();
    redis_link_connect(&M.lsub);
    if (M.phase == PH_CONNECTING) redis_link_connect(&M.lcmd);
}

/* ---- heartbeat ------------------------------------------------------------------------------------ */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    int64_t now = fb_clock_mono_ms();
    if (M.phase == PH_IDLE) {
        if (now >= M.next_connect_ms) connect_now();
        return;
    }
    /* a link that proves nothing for this long is dropped and everything is reloaded; trust itself is
     * lost earlier (consent_stale_ms), on the workers' side */
    if (M.store_gen != store_generation()) {
        teardown("primary changed", NULL);
        return;
    }
    int stale = atomic_load(&M.stale_ms);
    int64_t limit = stale * 2 > 1000 ? stale * 2 : 1000;
    if (now - M.link_ok_ms > limit) {
        teardown("heartbeat timeout", "no echo from Redis");
        return;
    }
    if (M.phase == PH_SYNCED && atomic_load(&M.full) && now - M.full_ms >= FULL_RETRY_MS) {
        /* records may have been deleted (or the ceiling raised): only a full load can tell */
        log_info("consent mirror: reloading to see whether every record fits now", "records=%zu",
                 mirror_table_live(M.table));
        start_scan();
        return;
    }
    publish_heartbeat();
}

static int hb_interval(int stale)
{
    int ms = stale / 5;
    return ms < 5 ? 5 : ms > 100 ? 100 : ms;
}

static void arm_timer(void)
{
    M.hb_ms = hb_interval(atomic_load(&M.stale_ms));
    struct timeval tv = {0, M.hb_ms * 1000};
    event_add(M.timer, &tv);
}

/* ---- lifecycle ------------------------------------------------------------------------------------ */

static size_t max_records_of(const struct config *cfg)
{
    size_t max = cfg->consent_mirror_max_records > 0 ? (size_t)cfg->consent_mirror_max_records : 20000000;
    return max > MIRROR_TABLE_MAX_RECORDS ? MIRROR_TABLE_MAX_RECORDS : max;
}

int mirror_start(struct event_base *base, const struct config *cfg, char *err, size_t errlen)
{
    memset(&M, 0, sizeof M);
    atomic_store(&M.stale_ms, cfg->consent_stale_ms > 0 ? cfg->consent_stale_ms : 500);
    atomic_store(&M.max_records, max_records_of(cfg));
    if (!cfg->redis[0]) return 0;
    if (store_parse_url(cfg->redis, &M.url, err, errlen)) return -1;
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    M.coarse_res_ms = (int64_t)res.tv_sec * 1000 + (res.tv_nsec + 999999) / 1000000;
    M.base = base;
    M.table = mirror_table_new(0);
    if (!M.table) {
        snprintf(err, errlen, "consent mirror: out of memory");
        return -1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(M.hb_channel, sizeof M.hb_channel, "fairbid:mirror:hb:%ld.%ld", (long)getpid(),
             (long)ts.tv_nsec);
    struct redis_link_opts lo = {.name = "mirror-sub",
                                 .manual = true,
                                 .command_timeout_ms = -1,
                                 .on_ready = on_link_ready,
                                 .on_down = on_link_down};
    if (redis_link_init(&M.lsub, base, cfg->redis, &lo, err, errlen)) return -1;
    lo.name = "mirror-cmd";
    if (redis_link_init(&M.lcmd, base, cfg->redis, &lo, err, errlen)) return -1;
    M.enabled = true;
    M.backoff_ms = BACKOFF_MIN_MS;
    M.timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    if (!M.timer) {
        snprintf(err, errlen, "consent mirror: cannot create its timer");
        return -1;
    }
    arm_timer();
    connect_now();
    return 0;
}

void mirror_stop(void)
{
    if (!M.enabled) return;
    M.phase = PH_IDLE; /* no log line for our own teardown */
    M.cmd = M.sub = NULL;
    M.gen++;
    redis_link_stop(&M.lcmd);
    redis_link_stop(&M.lsub);
    if (M.timer) event_free(M.timer);
    M.timer = NULL;
    atomic_store(&M.synced, false);
    /* workers have been joined by now: nobody reads the table */
    mirror_table_free(M.table);
    M.table = NULL;
    M.enabled = false;
}

void mirror_on_reload(const struct config *cfg)
{
    atomic_store(&M.stale_ms, cfg->consent_stale_ms > 0 ? cfg->consent_stale_ms : 500);
    size_t max = max_records_of(cfg);
    if (atomic_exchange(&M.max_records, max) != max && M.enabled && atomic_load(&M.full) &&
        M.phase == PH_SYNCED)
        start_scan(); /* a raised ceiling may hold every record now */
    if (M.enabled && hb_interval(cfg->consent_stale_ms) != M.hb_ms) {
        event_del(M.timer);
        arm_timer();
    }
}
