/* fairness: the lifecycle, the sync timer and the fleet sync through Redis (one pipelined round trip per
 * period). The other modules of bidder/fairness/ are listed in internal.h. See fairness.h and
 * docs/fairness.md. Threads: workers write their own counters (single writer, relaxed atomics) and take cap
 * tokens with a CAS; everything else runs on the control-plane loop (the base given to fairness_start). The
 * view is an immutable snapshot behind an atomic pointer, replaced each sync and freed after an RCU grace
 * period. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "bidder/obs/log.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"

struct fairness_state fairness_state_;

/* ---- sync without Redis: this instance is the fleet ---- */

static void local_tick(void)
{
    int64_t now = fb_clock_wall_ms();
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used) continue;
        if (fz_windowed(sl)) {
            fz_read_counters(s, sl);
            for (int g = 0; g < FAIR_NGROUPS; g++)
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    if (sl->pending[g][k] > sl->pushed[g][k])
                        fair_window_add(&sl->win, now, g, k, sl->pending[g][k] - sl->pushed[g][k]);
            fz_commit_counters(s, sl);
            fz_run_controller(sl, now);
        }
        if (sl->cap.enabled) {
            sl->pend = false;
            int64_t want = fz_cap_want(s, sl, now);
            if (want > 0) {
                int64_t left = sl->cap.bids - sl->local_granted;
                int64_t got = want < left ? want : left;
                if (got < 0) got = 0;
                sl->local_granted += got;
                fz_cap_granted(s, sl, want, got, left - got);
            }
        }
        if (sl->budget.enabled) fz_budget_local(s, sl, now);
    }
    atomic_fetch_add(&F.syncs_ok, 1);
    atomic_store(&F.last_ok_wall, now);
    fz_publish();
}

/* ---- sync through Redis ---- */

/* The connection policy (checked AUTH/SELECT, connect timeout, backoff, failover) is the shared link's
 * (bidder/store/link.h); F.ac mirrors the link's context while it is ready. */
static struct redis_link FL;

static void redis_drop(const char *why)
{
    if (!F.ac) return;
    log_warn("fairness: dropping the Redis connection", "reason=\"%s\"", why);
    F.ac = NULL;
    F.connected = false;
    redis_link_fail(&FL, "fairness", why); /* pending callbacks run now with NULL replies */
}

static void on_link_down(struct redis_link *l, void *arg, const char *why)
{
    (void)l;
    (void)arg;
    (void)why;
    F.ac = NULL;
    F.connected = false;
}

static void on_link_ready(struct redis_link *l, void *arg)
{
    (void)arg;
    F.ac = redis_link_ctx(l);
    F.connected = true;
    log_info("fairness: Redis connected", "%s", "");
}

static void redis_connect(void)
{
    if (!FL.timer) {
        char err[256];
        struct redis_link_opts o = {.name = "fairness",
                                    .manual = true,
                                    .command_timeout_ms = -1,
                                    .on_ready = on_link_ready,
                                    .on_down = on_link_down};
        if (redis_link_init(&FL, F.base, F.redis_url, &o, err, sizeof err)) {
            log_error("fairness: Redis link", "error=\"%s\"", err);
            return;
        }
    }
    /* a no-op while connecting or backing off; follows a failover (store_generation) through store_target */
    if (FL.store_gen != store_generation()) redis_link_drop(&FL);
    redis_link_connect(&FL);
}

static void tick_done(void)
{
    int64_t now = fb_clock_wall_ms();
    F.inflight = false;
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used) continue;
        if (sl->cap.enabled) sl->lease_inflight = false;
        if (sl->budget.enabled) fz_budget_tick_done(sl, F.tick_failed);
        if (!fz_windowed(sl)) continue;
        if (!F.tick_failed) fz_commit_counters(s, sl);
        fz_run_controller(sl, now);
    }
    fz_ext_tick_done(F.tick_failed);
    if (!F.tick_failed) {
        redis_link_ok(&FL); /* the link's health: a sync round trip answered */
        F.last_ok_ms = fb_clock_mono_ms();
        atomic_store(&F.last_ok_wall, now);
        atomic_fetch_add(&F.syncs_ok, 1);
    } else {
        atomic_fetch_add(&F.syncs_failed, 1);
    }
    fz_publish();
}

void fz_on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    struct cmd *c = priv;
    redisReply *rep = r;
    if (c->tick != F.tick || !F.inflight) return;
    struct slot *sl = &F.slots[c->slot];
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        if (rep) log_warn("fairness: Redis error", "error=\"%s\"", rep->str);
        F.tick_failed = true;
    } else if (c->kind == 6) {
        fz_ext_reply(c, rep); /* an external key's bucket (ext.c) */
    } else if (c->kind >= 3) {
        if (fz_budget_reply(c, sl, rep)) F.tick_failed = true;
    } else if (c->kind == 0 && rep->type == REDIS_REPLY_ARRAY) {
        uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT];
        fz_hash_counts(rep, v);
        fair_window_set(&sl->win, c->arg, (const uint64_t(*)[FAIR_NCOUNT])v);
    } else if (c->kind == 1 && (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
                                rep->element[0]->type != REDIS_REPLY_INTEGER ||
                                rep->element[1]->type != REDIS_REPLY_INTEGER ||
                                fairness_lease_check(rep->element[0]->integer, rep->element[1]->integer,
                                                     c->arg, sl->cap.bids))) {
        /* a lease reply that is not one this script can give: no token (fail closed) */
        log_warn("fairness: cap lease reply not understood, no tokens", "campaign=%s", sl->id);
        F.tick_failed = true;
    } else if (c->kind == 1) {
        if (F.cfg && F.cfg->lease_min_replicas > 0) {
            /* not spendable until a replica has it: a failover must not hand the same tokens out twice */
            sl->pend = true;
            sl->pend_want = c->arg;
            sl->pend_got = rep->element[0]->integer;
            sl->pend_remaining = rep->element[1]->integer;
        } else {
            fz_cap_granted(c->slot, sl, c->arg, rep->element[0]->integer, rep->element[1]->integer);
        }
    } else if (c->kind == 2 && rep->type == REDIS_REPLY_INTEGER) {
        bool acked = F.cfg && rep->integer >= F.cfg->lease_min_replicas;
        for (int i = 0; i < F.nslots; i++) {
            struct slot *p = &F.slots[i];
            if (p->b_pend) fz_budget_acked(i, p, acked);
            if (!p->pend) continue;
            p->pend = false;
            if (acked) {
                fz_cap_granted(i, p, p->pend_want, p->pend_got, p->pend_remaining);
            } else {
                /* taken from the budget in Redis but not replicated in time: drop them (undershoot, never
                 * overshoot) */
                atomic_fetch_add(&F.lease_unacked, (uint64_t)(p->pend_got > 0 ? p->pend_got : 0));
                fz_cap_granted(i, p, p->pend_want, 0, p->pend_remaining);
            }
        }
    }
    if (--F.pending == 0) tick_done();
}

void fz_hash_counts(const struct redisReply *rep, uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT])
{
    memset(v, 0, sizeof(uint64_t) * FAIR_NGROUPS * FAIR_NCOUNT);
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        const redisReply *f = rep->element[i], *x = rep->element[i + 1];
        int g, k;
        if (f->type != REDIS_REPLY_STRING || x->type != REDIS_REPLY_STRING) continue;
        if (fairness_parse_field(f->str, f->len, &g, &k)) continue;
        long long n = strtoll(x->str, NULL, 10);
        v[g][k] = n > 0 ? (uint64_t)n : 0;
    }
}

struct cmd *fz_new_cmd(int slot, int kind, int64_t arg)
{
    struct cmd *c = &F.cmds[F.ncmds++];
    c->tick = F.tick;
    c->slot = (int16_t)slot;
    c->kind = (int8_t)kind;
    c->arg = arg;
    F.pending++;
    return c;
}

/* A command that could not even be queued (connection in error) never calls back: count it as failed. */
void fz_queued(int rc)
{
    if (rc == REDIS_OK) return;
    F.tick_failed = true;
    F.pending--;
}

void fz_queue_window(const char *id, int64_t bms, int64_t ep, const uint64_t (*d)[FAIR_NCOUNT], int slot,
                     int kind)
{
    char key[300];
    snprintf(key, sizeof key, FAIRNESS_KEY_FMT, id, (long long)bms, (long long)ep);
    bool any = false;
    for (int g = 0; g < FAIR_NGROUPS; g++)
        for (int k = 0; k < FAIR_NCOUNT; k++) {
            if (!d[g][k]) continue;
            char field[40];
            snprintf(field, sizeof field, "%s:%c", fair_group_name(g), COUNT_CH[k]);
            redisAsyncCommand(F.ac, NULL, NULL, "HINCRBY %s %s %llu", key, field,
                              (unsigned long long)d[g][k]);
            any = true;
        }
    if (any)
        redisAsyncCommand(F.ac, NULL, NULL, "EXPIRE %s %lld", key,
                          (long long)(bms * FAIR_NBUCKETS * 2 / 1000 + 60));
    for (int b = 0; b < FAIR_NBUCKETS; b++) {
        snprintf(key, sizeof key, FAIRNESS_KEY_FMT, id, (long long)bms, (long long)(ep - b));
        fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(slot, kind, ep - b), "HGETALL %s", key));
    }
}

/* One pipelined round trip: HINCRBY the deltas, HGETALL the window's buckets, EVAL the leases, and with
 * lease_min_replicas > 0 a WAIT whose answer decides whether the new tokens may be spent. */
static void redis_tick(void)
{
    int64_t now = fb_clock_wall_ms();
    F.tick++;
    F.inflight = true;
    F.tick_failed = false;
    F.pending = 0;
    F.ncmds = 0;
    F.sent_ms = fb_clock_mono_ms();
    F.pending = 1; /* held until every command is queued */
    bool leases_queued = false;
    char key[300];
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used) continue;
        if (fz_windowed(sl)) {
            fz_read_counters(s, sl);
            uint64_t d[FAIR_NGROUPS][FAIR_NCOUNT];
            for (int g = 0; g < FAIR_NGROUPS; g++)
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    d[g][k] = sl->pending[g][k] > sl->pushed[g][k] ? sl->pending[g][k] - sl->pushed[g][k] : 0;
            fz_queue_window(sl->id, sl->win.bucket_ms, now / sl->win.bucket_ms,
                            (const uint64_t(*)[FAIR_NCOUNT])d, s, 0);
        }
        if (sl->cap.enabled) {
            sl->pend = false;
            int64_t want = fz_cap_want(s, sl, now);
            if (want > 0) {
                snprintf(key, sizeof key, FAIRNESS_CAP_KEY_FMT, sl->id, sl->cap.period_s,
                         (long long)sl->period);
                sl->lease_inflight = true;
                leases_queued = true;
                fz_queued(redisAsyncCommand(
                    F.ac, fz_on_reply, fz_new_cmd(s, 1, want), "EVAL %s 1 %s %lld %lld %lld", LEASE_LUA, key,
                    (long long)sl->cap.bids, (long long)want, (long long)sl->cap.period_s * 2 + 60));
            }
        }
        if (sl->budget.enabled && fz_budget_queue(s, sl, now)) leases_queued = true;
    }
    fz_ext_queue(now); /* filter mode's upstream keys (ext.c) */
    if (F.cfg && F.cfg->lease_min_replicas > 0 && leases_queued)
        fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(0, 2, 0), "WAIT %d %d",
                                    F.cfg->lease_min_replicas,
                                    F.cfg->fairness_sync_ms / 2 > 0 ? F.cfg->fairness_sync_ms / 2 : 1));
    if (--F.pending == 0) tick_done();
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (!F.redis) {
        local_tick();
        return;
    }
    fz_budget_clock(fb_clock_wall_ms());
    int64_t now = fb_clock_mono_ms();
    if (F.inflight) {
        int64_t limit = 5LL * F.cfg->fairness_sync_ms;
        if (limit < TICK_TIMEOUT_MIN_MS) limit = TICK_TIMEOUT_MIN_MS;
        if (now - F.sent_ms > limit) redis_drop("sync round trip timed out");
        if (F.inflight) return;
    }
    if (!F.ac) {
        if (now >= F.next_connect_ms) redis_connect();
    } else if (F.connected) {
        redis_tick();
        return;
    }
    /* no round trip this period: caps keep their tokens; fairness goes stale after the grace period */
    bool ok = fz_state_ok();
    if (ok != (bool)atomic_load(&F.state_ok)) fz_publish();
}

/* ---- lifecycle ---- */

int fairness_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen)
{
    memset(&F, 0, sizeof F);
    F.base = base;
    F.cfg = cfg;
    F.nworkers = nworkers;
    F.local = aligned_alloc(64, sizeof(struct fairness_counters) * (size_t)nworkers);
    F.mark = aligned_alloc(64, sizeof(struct fairness_counters) * (size_t)nworkers);
    F.cur = aligned_alloc(64, sizeof(struct fairness_counters) * (size_t)nworkers);
    F.views = calloc((size_t)nworkers, sizeof *F.views);
    F.wctx = calloc((size_t)nworkers, sizeof *F.wctx);
    F.slots = calloc(FAIR_MAX_SLOTS, sizeof *F.slots);
    F.cmds =
        calloc((size_t)FAIR_MAX_SLOTS * (FAIR_NBUCKETS + 4) + (size_t)FAIRNESS_EXT_MAX * FAIR_NBUCKETS + 1,
               sizeof *F.cmds);
    if (!F.local || !F.mark || !F.cur || !F.views || !F.wctx || !F.slots || !F.cmds) {
        snprintf(err, errlen, "fairness: out of memory");
        return -1;
    }
    memset(F.local, 0, sizeof(struct fairness_counters) * (size_t)nworkers);
    memset(F.mark, 0, sizeof(struct fairness_counters) * (size_t)nworkers);
    memset(F.cur, 0, sizeof(struct fairness_counters) * (size_t)nworkers);
    fz_views_init();
    F.redis = cfg->redis[0] != '\0';
    snprintf(F.redis_url, sizeof F.redis_url, "%s", cfg->redis);
    F.last_ok_ms =
        fb_clock_mono_ms(); /* the grace period starts now: decide on empty totals until the first sync */
    fz_assign_slots(cfg);
    fz_publish();
    F.timer = event_new(base, -1, EV_PERSIST, on_timer, NULL);
    int ms = cfg->fairness_sync_ms > 0 ? cfg->fairness_sync_ms : 100;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!F.timer || event_add(F.timer, &tv)) {
        snprintf(err, errlen, "fairness: cannot start the sync timer");
        return -1;
    }
    if (F.redis) redis_connect();
    F.started = true;
    return 0;
}

void fairness_on_reload(const struct config *cfg)
{
    if (!F.started) return;
    F.cfg = cfg;
    fz_assign_slots(cfg);
    fz_publish();
}

void fairness_stop(void)
{
    if (!F.started) return;
    if (F.timer) event_free(F.timer);
    F.timer = NULL;
    F.inflight = false; /* callbacks below see a stale tick and return */
    F.ac = NULL;
    redis_link_stop(&FL);
    /* give the unused tokens back so the rest of the fleet can spend them */
    char err[512];
    redisContext *c = F.redis ? redis_block_connect(F.redis_url, 300, err, sizeof err) : NULL;
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used || !sl->cap.enabled) continue;
        int64_t held = atomic_exchange(&F.caps[s].tokens, 0);
        if (held <= 0 || !c || c->err) continue;
        char key[300];
        snprintf(key, sizeof key, FAIRNESS_CAP_KEY_FMT, sl->id, sl->cap.period_s, (long long)sl->period);
        redisReply *r = redisCommand(c, "EVAL %s 1 %s %lld", RELEASE_LUA, key, (long long)held);
        if (r && r->type == REDIS_REPLY_INTEGER) {
            sl->released += r->integer;
            log_info("fairness: cap tokens returned", "campaign=%s tokens=%lld", sl->id,
                     (long long)r->integer);
        }
        if (r) freeReplyObject(r);
    }
    fz_budget_return_all(c);
    if (c) redisFree(c);
    const struct fairness_snapshot *old = atomic_exchange(&F.snap, NULL);
    fz_snap_free((struct snap_full *)(uintptr_t)old);
    free(F.local);
    free(F.mark);
    free(F.cur);
    free(F.views);
    free(F.wctx);
    free(F.slots);
    free(F.cmds);
    F.started = false;
}
