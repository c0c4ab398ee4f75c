/* fairness: per-worker counters, the fleet sync through Redis, cap leases and the published view. See
 * fairness.h and docs/fairness.md.
 * Threads: workers write their own counters (single writer, relaxed atomics) and take cap tokens with a CAS;
 * everything else runs on the control-plane loop (the base given to fairness_start). The view is an immutable
 * snapshot behind an atomic pointer, replaced each sync and freed after an RCU grace period. */
#define _LGPL_SOURCE
#include "bidder/fairness.h"
#include "bidder/common/clock.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-memb.h>
#include <xxhash.h>

#include "bidder/obs/log.h"
#include "bidder/obs/prom.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"

#define RECENT_BITS 16
#define RECENT_N (1u << RECENT_BITS)
#define RECENT_BUCKETS 2        /* the controller's input: the current and the previous bucket */
#define TICK_TIMEOUT_MIN_MS 500 /* a sync round trip slower than this drops the connection */
#define GRACE_MIN_MS 2000       /* fairness keeps deciding on the last fleet totals this long */
#define RECONNECT_MS 250

static const char COUNT_CH[FAIR_NCOUNT] = {'e', 'b', 'w', 't'};

/* The cap counter must be a count (fairness_cap_count_parse's rule: decimal digits, no sign, no leading zero,
 * at most 1e15, the largest cap config accepts); anything else (negative, fractional, huge, another type: GET
 * then fails) is an error reply, so no token is leased: a corrupt counter stops the campaign, never lifts its
 * cap. Lua numbers are doubles: exact up to 2^53 > 1e15. */
#define CAP_COUNT_LUA                                                                                        \
    "local v = redis.call('GET', KEYS[1]) local used = 0 "                                                   \
    "if v then "                                                                                             \
    "if #v > 16 or not string.match(v, '^[0-9]+$') or (#v > 1 and string.sub(v, 1, 1) == '0') "              \
    "or tonumber(v) > 1e15 then "                                                                            \
    "return redis.error_reply('fairbid: cap counter ' .. KEYS[1] .. ' is not a valid count') end "           \
    "used = tonumber(v) end "
/* Grants min(want, cap - used) tokens; returns {granted, remaining after}. KEYS[1] cap key. */
static const char LEASE_LUA[] = CAP_COUNT_LUA "local cap = tonumber(ARGV[1]) "
                                              "local g = math.min(tonumber(ARGV[2]), cap - used) "
                                              "if g < 0 then g = 0 end "
                                              "if g > 0 then redis.call('INCRBY', KEYS[1], g) "
                                              "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3])) end "
                                              "return {g, cap - used - g}";
/* Gives back up to ARGV[1] unused tokens. */
static const char RELEASE_LUA[] = CAP_COUNT_LUA "local r = math.min(tonumber(ARGV[1]), used) "
                                                "if r > 0 then redis.call('DECRBY', KEYS[1], r) end return r";

struct slot {
    bool used;
    char id[128];
    struct campaign_fairness fair;
    struct campaign_cap cap;
    /* fairness */
    float boost[FAIR_NGROUPS];
    struct fair_attr_ctl ctl[FAIR_NATTR];
    struct fair_window win; /* fleet buckets */
    uint64_t wsum[FAIR_NGROUPS][FAIR_NCOUNT];
    uint64_t pushed[FAIR_NGROUPS][FAIR_NCOUNT];  /* sum of the workers' counters already in Redis */
    uint64_t pending[FAIR_NGROUPS][FAIR_NCOUNT]; /* ... being pushed by the tick in flight */
    /* cap */
    int64_t period;
    bool exhausted;
    bool lease_inflight;
    int64_t remaining; /* in Redis after our last lease, -1 unknown */
    int64_t leased, released, local_granted;
    /* a lease waiting for WAIT to confirm that a replica has it (lease_min_replicas > 0) */
    bool pend;
    int64_t pend_want, pend_got, pend_remaining;
    int64_t last_spent;
    double rate; /* tokens per tick, smoothed */
};

struct slot_report {
    char id[128];
    bool fair, cap;
    uint64_t wsum[FAIR_NGROUPS][FAIR_NCOUNT];
    float boost[FAIR_NGROUPS];
    unsigned attrs;
    bool level_down[FAIR_NATTR];
    int64_t leased, released, cap_bids;
    bool exhausted;
};

struct snap_full {
    struct fair_snapshot pub; /* first: workers see only this */
    struct fair_camp *camp;
    uint32_t *cidx; /* campaign indexes with a slot */
    uint32_t ncidx;
    uint32_t nslots;
    struct slot_report *rep;
};

struct cmd { /* one pipelined command's context */
    uint64_t tick;
    int16_t slot;
    int8_t kind; /* 0 HGETALL, 1 lease, 2 WAIT for the leases' replication */
    int64_t arg; /* bucket epoch or tokens wanted */
};

static struct {
    bool started;
    struct event_base *base;
    const struct config *cfg;
    int nworkers;
    struct fair_counters *local; /* [nworkers] */
    struct fair_counters *mark;  /* [nworkers] */
    struct fair_counters *cur;   /* [nworkers] values read by the tick in flight */
    struct fair_view *views;
    _Atomic(const struct fair_snapshot *) snap;
    struct fair_cap_slot caps[FAIR_MAX_SLOTS];
    struct slot *slots;
    int nslots;
    _Atomic uint64_t recent[RECENT_N];
    _Atomic uint64_t wins_unmatched, wins_total;
    /* Redis */
    bool redis;
    char redis_url[512];
    redisAsyncContext *ac;
    bool connected;
    int64_t next_connect_ms;
    struct event *timer;
    uint64_t tick;
    bool inflight;
    bool tick_failed;
    int pending;
    int64_t sent_ms;
    struct cmd *cmds;
    int ncmds;
    int64_t last_ok_ms; /* monotonic */
    _Atomic int64_t last_ok_wall;
    _Atomic uint64_t syncs_ok, syncs_failed;
    _Atomic uint64_t lease_unacked; /* tokens leased but not confirmed on a replica in time: never spent */
    _Atomic int state_ok;
} F;

int64_t fairness_bucket_ms(const struct campaign_fairness *f)
{
    int64_t w = f->window_s > 0 ? f->window_s : 3600;
    return w * 1000 / FAIR_NBUCKETS;
}

int fairness_cap_count_parse(const char *s, size_t n, int64_t *out)
{
    /* the rule of CAP_COUNT_LUA, which applies it inside Redis */
    if (n == 0 || n > 16 || (n > 1 && s[0] == '0')) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > FAIRNESS_CAP_MAX) return -1;
    *out = v;
    return 0;
}

int fairness_lease_check(long long got, long long remaining, int64_t want, int64_t cap)
{
    /* got = min(want, cap - used) clamped at 0; remaining = cap - used - got, with 0 <= used <= 1e15 */
    if (got < 0 || got > want || got > cap) return -1;
    if (remaining > cap - got || remaining < cap - got - FAIRNESS_CAP_MAX) return -1;
    return 0;
}

int fairness_parse_field(const char *f, size_t n, int *group, int *count)
{
    if (n < 3 || f[n - 2] != ':') return -1;
    int k = -1;
    for (int i = 0; i < FAIR_NCOUNT; i++)
        if (f[n - 1] == COUNT_CH[i]) k = i;
    if (k < 0) return -1;
    for (int g = 0; g < FAIR_NGROUPS; g++) {
        const char *name = fair_group_name(g);
        if (strlen(name) == n - 2 && !memcmp(name, f, n - 2)) {
            *group = g;
            *count = k;
            return 0;
        }
    }
    return -1;
}

static bool constrained(const struct campaign *c)
{
    return c->fair.enabled || c->cap.enabled;
}

static int slot_find(struct sv id)
{
    for (int s = 0; s < F.nslots; s++)
        if (F.slots[s].used && strlen(F.slots[s].id) == id.n && !memcmp(F.slots[s].id, id.p, id.n)) return s;
    return -1;
}

/* Maps the config's constrained campaigns to slots (by id: a campaign keeps its counts across reloads). */
static void assign_slots(const struct config *cfg)
{
    const struct campaign_set *cs = &cfg->campaigns;
    for (uint32_t i = 0; i < cs->n; i++) {
        const struct campaign *c = &cs->v[i];
        if (!constrained(c)) continue;
        int s = slot_find(c->id);
        if (s < 0) {
            if (F.nslots == FAIR_MAX_SLOTS || c->id.n >= sizeof F.slots[0].id) {
                log_error("fairness: no slot for campaign, it will not bid", "campaign=%.*s max=%d",
                          (int)c->id.n, c->id.p, FAIR_MAX_SLOTS);
                continue;
            }
            s = F.nslots++;
            struct slot *sl = &F.slots[s];
            memset(sl, 0, sizeof *sl);
            sl->used = true;
            memcpy(sl->id, c->id.p, c->id.n);
            sl->id[c->id.n] = '\0';
            for (int g = 0; g < FAIR_NGROUPS; g++) sl->boost[g] = 1;
            sl->period = -1;
            sl->remaining = -1;
        }
        struct slot *sl = &F.slots[s];
        if (fairness_bucket_ms(&c->fair) != sl->win.bucket_ms)
            fair_window_init(&sl->win, fairness_bucket_ms(&c->fair));
        sl->fair = c->fair;
        sl->cap = c->cap;
    }
}

/* ---- the published view ---- */

static bool fair_state_ok(void)
{
    if (!F.redis) return true;
    int64_t grace = 20LL * (F.cfg ? F.cfg->fairness_sync_ms : 100);
    if (grace < GRACE_MIN_MS) grace = GRACE_MIN_MS;
    return fb_clock_mono_ms() - F.last_ok_ms <= grace;
}

static void snap_free(struct snap_full *s)
{
    if (!s) return;
    free(s->camp);
    free(s->cidx);
    free(s->rep);
    free(s);
}

static void publish(void)
{
    const struct config *cfg = F.cfg;
    const struct campaign_set *cs = &cfg->campaigns;
    struct snap_full *s = calloc(1, sizeof *s);
    if (s) {
        s->camp = calloc(cs->n + 1, sizeof *s->camp);
        s->cidx = calloc(cs->n + 1, sizeof *s->cidx);
        s->rep = calloc((size_t)F.nslots + 1, sizeof *s->rep);
    }
    if (!s || !s->camp || !s->cidx || !s->rep) {
        log_error("fairness: out of memory building the view, keeping the old one", "%s", "");
        snap_free(s);
        return;
    }
    bool ok = fair_state_ok();
    atomic_store(&F.state_ok, ok);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    s->pub.cs = cs;
    s->pub.year = tm.tm_year + 1900;
    s->pub.n = cs->n;
    s->pub.camp = s->camp;
    for (uint32_t i = 0; i < cs->n; i++) {
        struct fair_camp *fc = &s->camp[i];
        fc->slot = -1;
        if (!constrained(&cs->v[i])) continue;
        int sl_ix = slot_find(cs->v[i].id);
        if (sl_ix < 0) continue;
        const struct slot *sl = &F.slots[sl_ix];
        fc->slot = sl_ix;
        fc->flags = (ok ? FAIR_F_FAIR_OK : 0) | (sl->exhausted ? FAIR_F_CAP_EXHAUSTED : 0);
        memcpy(fc->ctl, sl->ctl, sizeof fc->ctl);
        memcpy(fc->boost, sl->boost, sizeof fc->boost);
        for (int g = 0; g < FAIR_NGROUPS; g++) {
            const struct fair_attr_ctl *ctl =
                &sl->ctl[g < FAIR_NGENDER ? FAIR_ATTR_IX_GENDER : FAIR_ATTR_IX_AGE];
            fc->elig[g] = sl->wsum[g][FAIR_C_ELIG];
            fc->deliv[g] = sl->wsum[g][ctl->use_wins ? FAIR_C_WIN : FAIR_C_BID];
            fc->thr[g] = sl->wsum[g][FAIR_C_THR];
        }
        s->cidx[s->ncidx++] = i;
    }
    s->nslots = (uint32_t)F.nslots;
    for (int i = 0; i < F.nslots; i++) {
        const struct slot *sl = &F.slots[i];
        struct slot_report *r = &s->rep[i];
        memcpy(r->id, sl->id, sizeof r->id);
        r->fair = sl->fair.enabled;
        r->cap = sl->cap.enabled;
        r->attrs = sl->fair.attrs;
        memcpy(r->wsum, sl->wsum, sizeof r->wsum);
        memcpy(r->boost, sl->boost, sizeof r->boost);
        for (int a = 0; a < FAIR_NATTR; a++) r->level_down[a] = sl->ctl[a].level_down;
        r->leased = sl->leased;
        r->released = sl->released;
        r->cap_bids = sl->cap.bids;
        r->exhausted = sl->exhausted;
    }
    const struct fair_snapshot *old = atomic_exchange_explicit(&F.snap, &s->pub, memory_order_acq_rel);
    if (old) {
        urcu_memb_synchronize_rcu();
        snap_free((struct snap_full *)(uintptr_t)old);
    }
}

/* ---- controller and caps, once per sync ---- */

static void run_controller(struct slot *sl, int64_t now)
{
    uint64_t recent[FAIR_NGROUPS][FAIR_NCOUNT];
    fair_window_sum(&sl->win, now, FAIR_NBUCKETS, sl->wsum);
    fair_window_sum(&sl->win, now, RECENT_BUCKETS, recent);
    for (int a = 0; a < FAIR_NATTR; a++) {
        unsigned bit = a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND;
        if (!(sl->fair.attrs & bit)) continue;
        fair_control(&sl->fair, fair_attr_first(a), fair_attr_n(a), (const uint64_t(*)[FAIR_NCOUNT])sl->wsum,
                     (const uint64_t(*)[FAIR_NCOUNT])recent, sl->boost, &sl->ctl[a]);
    }
}

/* Sums the workers' counters of a slot into sl->pending and remembers each worker's values in F.cur. */
static void read_counters(int s, struct slot *sl)
{
    memset(sl->pending, 0, sizeof sl->pending);
    for (int w = 0; w < F.nworkers; w++)
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int k = 0; k < FAIR_NCOUNT; k++) {
                uint64_t v = atomic_load_explicit(&F.local[w].c[s][g][k], memory_order_relaxed);
                atomic_store_explicit(&F.cur[w].c[s][g][k], v, memory_order_relaxed);
                sl->pending[g][k] += v;
            }
}

/* The counts are now in the fleet totals: advance the marks the workers subtract. */
static void commit_counters(int s, struct slot *sl)
{
    memcpy(sl->pushed, sl->pending, sizeof sl->pushed);
    for (int w = 0; w < F.nworkers; w++)
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int k = 0; k < FAIR_NCOUNT; k++)
                atomic_store_explicit(&F.mark[w].c[s][g][k],
                                      atomic_load_explicit(&F.cur[w].c[s][g][k], memory_order_relaxed),
                                      memory_order_relaxed);
}

/* Cap bookkeeping before a sync: period roll-over, spend rate, how many tokens to ask for (0: none). */
static int64_t cap_want(int s, struct slot *sl, int64_t now)
{
    int64_t period = now / 1000 / (sl->cap.period_s > 0 ? sl->cap.period_s : 86400);
    if (period != sl->period) {
        /* tokens of the old period are spent against it or dropped: a new period starts from a clean lease */
        atomic_exchange(&F.caps[s].tokens, 0);
        sl->period = period;
        sl->exhausted = false;
        sl->remaining = -1;
        sl->local_granted = 0;
    }
    int64_t spent = atomic_load(&F.caps[s].spent);
    double used = (double)(spent - sl->last_spent);
    sl->last_spent = spent;
    sl->rate = 0.7 * sl->rate + 0.3 * used;
    int64_t held = atomic_load(&F.caps[s].tokens);
    if (sl->exhausted || sl->lease_inflight) return 0;
    if ((double)held > sl->rate * 4 + 2) return 0;
    int64_t maxw = sl->cap.bids / 20 > 1 ? sl->cap.bids / 20 : 1;
    int64_t want = (int64_t)(sl->rate * 8) + 4;
    if (want > maxw) want = maxw;
    return want;
}

static void cap_granted(int s, struct slot *sl, int64_t want, int64_t got, int64_t remaining)
{
    if (got > 0) atomic_fetch_add(&F.caps[s].tokens, got);
    sl->leased += got;
    sl->remaining = remaining;
    if (got < want && remaining <= 0) sl->exhausted = true;
}

/* ---- sync without Redis: this instance is the fleet ---- */

static void local_tick(void)
{
    int64_t now = fb_clock_wall_ms();
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used) continue;
        if (sl->fair.enabled) {
            read_counters(s, sl);
            for (int g = 0; g < FAIR_NGROUPS; g++)
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    if (sl->pending[g][k] > sl->pushed[g][k])
                        fair_window_add(&sl->win, now, g, k, sl->pending[g][k] - sl->pushed[g][k]);
            commit_counters(s, sl);
            run_controller(sl, now);
        }
        if (sl->cap.enabled) {
            sl->pend = false;
            int64_t want = cap_want(s, sl, now);
            if (want > 0) {
                int64_t left = sl->cap.bids - sl->local_granted;
                int64_t got = want < left ? want : left;
                if (got < 0) got = 0;
                sl->local_granted += got;
                cap_granted(s, sl, want, got, left - got);
            }
        }
    }
    atomic_fetch_add(&F.syncs_ok, 1);
    atomic_store(&F.last_ok_wall, now);
    publish();
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
        if (!sl->fair.enabled) continue;
        if (!F.tick_failed) commit_counters(s, sl);
        run_controller(sl, now);
    }
    if (!F.tick_failed) {
        redis_link_ok(&FL); /* the link's health: a sync round trip answered */
        F.last_ok_ms = fb_clock_mono_ms();
        atomic_store(&F.last_ok_wall, now);
        atomic_fetch_add(&F.syncs_ok, 1);
    } else {
        atomic_fetch_add(&F.syncs_failed, 1);
    }
    publish();
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    struct cmd *c = priv;
    redisReply *rep = r;
    if (c->tick != F.tick || !F.inflight) return;
    struct slot *sl = &F.slots[c->slot];
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        if (rep) log_warn("fairness: Redis error", "error=\"%s\"", rep->str);
        F.tick_failed = true;
    } else if (c->kind == 0 && rep->type == REDIS_REPLY_ARRAY) {
        uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT];
        memset(v, 0, sizeof v);
        for (size_t i = 0; i + 1 < rep->elements; i += 2) {
            redisReply *f = rep->element[i], *x = rep->element[i + 1];
            int g, k;
            if (f->type != REDIS_REPLY_STRING || x->type != REDIS_REPLY_STRING) continue;
            if (fairness_parse_field(f->str, f->len, &g, &k)) continue;
            long long n = strtoll(x->str, NULL, 10);
            v[g][k] = n > 0 ? (uint64_t)n : 0;
        }
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
            cap_granted(c->slot, sl, c->arg, rep->element[0]->integer, rep->element[1]->integer);
        }
    } else if (c->kind == 2 && rep->type == REDIS_REPLY_INTEGER) {
        bool acked = F.cfg && rep->integer >= F.cfg->lease_min_replicas;
        for (int i = 0; i < F.nslots; i++) {
            struct slot *p = &F.slots[i];
            if (!p->pend) continue;
            p->pend = false;
            if (acked) {
                cap_granted(i, p, p->pend_want, p->pend_got, p->pend_remaining);
            } else {
                /* taken from the budget in Redis but not replicated in time: drop them (undershoot, never
                 * overshoot) */
                atomic_fetch_add(&F.lease_unacked, (uint64_t)(p->pend_got > 0 ? p->pend_got : 0));
                cap_granted(i, p, p->pend_want, 0, p->pend_remaining);
            }
        }
    }
    if (--F.pending == 0) tick_done();
}

static struct cmd *new_cmd(int slot, int kind, int64_t arg)
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
static void queued(int rc)
{
    if (rc == REDIS_OK) return;
    F.tick_failed = true;
    F.pending--;
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
        if (sl->fair.enabled) {
            int64_t bms = sl->win.bucket_ms;
            int64_t ep = now / bms;
            read_counters(s, sl);
            snprintf(key, sizeof key, FAIRNESS_KEY_FMT, sl->id, (long long)bms, (long long)ep);
            bool any = false;
            for (int g = 0; g < FAIR_NGROUPS; g++)
                for (int k = 0; k < FAIR_NCOUNT; k++) {
                    if (sl->pending[g][k] <= sl->pushed[g][k]) continue;
                    char field[40];
                    snprintf(field, sizeof field, "%s:%c", fair_group_name(g), COUNT_CH[k]);
                    redisAsyncCommand(F.ac, NULL, NULL, "HINCRBY %s %s %llu", key, field,
                                      (unsigned long long)(sl->pending[g][k] - sl->pushed[g][k]));
                    any = true;
                }
            if (any)
                redisAsyncCommand(F.ac, NULL, NULL, "EXPIRE %s %lld", key,
                                  (long long)(bms * FAIR_NBUCKETS * 2 / 1000 + 60));
            for (int i = 0; i < FAIR_NBUCKETS; i++) {
                snprintf(key, sizeof key, FAIRNESS_KEY_FMT, sl->id, (long long)bms, (long long)(ep - i));
                queued(redisAsyncCommand(F.ac, on_reply, new_cmd(s, 0, ep - i), "HGETALL %s", key));
            }
        }
        if (sl->cap.enabled) {
            sl->pend = false;
            int64_t want = cap_want(s, sl, now);
            if (want > 0) {
                snprintf(key, sizeof key, FAIRNESS_CAP_KEY_FMT, sl->id, sl->cap.period_s,
                         (long long)sl->period);
                sl->lease_inflight = true;
                leases_queued = true;
                queued(redisAsyncCommand(F.ac, on_reply, new_cmd(s, 1, want), "EVAL %s 1 %s %lld %lld %lld",
                                         LEASE_LUA, key, (long long)sl->cap.bids, (long long)want,
                                         (long long)sl->cap.period_s * 2 + 60));
            }
        }
    }
    if (F.cfg && F.cfg->lease_min_replicas > 0 && leases_queued)
        queued(redisAsyncCommand(F.ac, on_reply, new_cmd(0, 2, 0), "WAIT %d %d", F.cfg->lease_min_replicas,
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
    bool ok = fair_state_ok();
    if (ok != (bool)atomic_load(&F.state_ok)) publish();
}

/* ---- lifecycle ---- */

int fairness_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen)
{
    memset(&F, 0, sizeof F);
    F.base = base;
    F.cfg = cfg;
    F.nworkers = nworkers;
    F.local = aligned_alloc(64, sizeof(struct fair_counters) * (size_t)nworkers);
    F.mark = aligned_alloc(64, sizeof(struct fair_counters) * (size_t)nworkers);
    F.cur = aligned_alloc(64, sizeof(struct fair_counters) * (size_t)nworkers);
    F.views = calloc((size_t)nworkers, sizeof *F.views);
    F.slots = calloc(FAIR_MAX_SLOTS, sizeof *F.slots);
    F.cmds = calloc((size_t)FAIR_MAX_SLOTS * (FAIR_NBUCKETS + 1) + 1, sizeof *F.cmds);
    if (!F.local || !F.mark || !F.cur || !F.views || !F.slots || !F.cmds) {
        snprintf(err, errlen, "fairness: out of memory");
        return -1;
    }
    memset(F.local, 0, sizeof(struct fair_counters) * (size_t)nworkers);
    memset(F.mark, 0, sizeof(struct fair_counters) * (size_t)nworkers);
    memset(F.cur, 0, sizeof(struct fair_counters) * (size_t)nworkers);
    for (int w = 0; w < nworkers; w++)
        F.views[w] = (struct fair_view){&F.snap, &F.local[w], &F.mark[w], F.caps};
    F.redis = cfg->redis[0] != '\0';
    snprintf(F.redis_url, sizeof F.redis_url, "%s", cfg->redis);
    F.last_ok_ms =
        fb_clock_mono_ms(); /* the grace period starts now: decide on empty totals until the first sync */
    assign_slots(cfg);
    publish();
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
    assign_slots(cfg);
    publish();
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
    if (c) redisFree(c);
    const struct fair_snapshot *old = atomic_exchange(&F.snap, NULL);
    snap_free((struct snap_full *)(uintptr_t)old);
    free(F.local);
    free(F.mark);
    free(F.cur);
    free(F.views);
    free(F.slots);
    free(F.cmds);
    F.started = false;
}

const struct fair_view *fairness_view(int worker)
{
    if (!F.started || worker < 0 || worker >= F.nworkers) return NULL;
    return &F.views[worker];
}

/* ---- worker side ---- */

static inline void bump(struct fair_counters *c, int slot, int g, int k)
{
    _Atomic uint64_t *p = &c->c[slot][g][k];
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1, memory_order_relaxed);
}

static uint64_t bid_key(struct sv req, struct sv imp, struct sv cid)
{
    XXH64_hash_t h = XXH64(req.p, req.n, 0x6661697262696421ull);
    h = XXH64(imp.p, imp.n, h);
    return XXH64(cid.p, cid.n, h);
}

static void remember(uint64_t key, int slot, int g, int a)
{
    uint64_t v = (key & ~0xFFFFull) | 0x8000u | ((uint64_t)slot << 6) | ((uint64_t)g << 4) |
                 (uint64_t)(a - FAIR_NGENDER);
    atomic_store_explicit(&F.recent[(key >> 16) & (RECENT_N - 1)], v, memory_order_relaxed);
}

void fairness_after(int worker, const struct config *cfg, const struct engine_result *res)
{
    if (!F.started || worker < 0 || worker >= F.nworkers || !res->decided || !res->dec.v) return;
    const struct snap_full *s =
        (const struct snap_full *)(uintptr_t)atomic_load_explicit(&F.snap, memory_order_acquire);
    const struct campaign_set *cs = &cfg->campaigns;
    if (!s || s->pub.cs != cs || !s->ncidx) return;
    struct fair_counters *lc = &F.local[worker];
    const struct ortb_request *req = &res->req;
    int g = -1, a = -1;
    for (uint32_t i = 0; i < req->nimp; i++) {
        const struct decide_verdict *row = res->dec.v + (size_t)i * cs->n;
        for (uint32_t x = 0; x < s->ncidx; x++) {
            uint32_t c = s->cidx[x];
            const struct campaign *cp = &cs->v[c];
            int slot = s->camp[c].slot;
            int r = row[c].reason;
            bool bid = r == REASON_BID;
            if (cp->cap.enabled) {
                if (r == REASON_AUCTION_LOST)
                    atomic_fetch_add_explicit(&F.caps[slot].tokens, 1, memory_order_relaxed);
                if (bid) atomic_fetch_add_explicit(&F.caps[slot].spent, 1, memory_order_relaxed);
            }
            if (!cp->fair.enabled) continue;
            /* eligible: bid, lost the auction, or held back by fairness or a cap (reasons.def's classes) */
            enum reason_class rc = reason_class(r);
            if (rc != REASON_CLASS_BID && rc != REASON_CLASS_FAIRNESS)
                continue; /* not eligible: another filter dropped it */
            if (g < 0) {
                g = fair_group_gender(req);
                a = fair_group_age(req, s->pub.year);
            }
            int grp[2] = {g, a};
            for (int at = 0; at < FAIR_NATTR; at++) {
                if (!(cp->fair.attrs & (at == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                    continue;
                bump(lc, slot, grp[at], FAIR_C_ELIG);
                if (bid) bump(lc, slot, grp[at], FAIR_C_BID);
                if (r == REASON_FAIRNESS_THROTTLE) bump(lc, slot, grp[at], FAIR_C_THR);
            }
            if (bid) remember(bid_key(req->id, req->imp[i].id, cp->id), slot, g, a);
        }
    }
}

/* Decodes the %XX escapes of a query value into out (NUL-terminated); returns its length or -1. */
static int query_value(const char *q, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = q;
    while (p && *p) {
        if (!strncmp(p, name, nl) && p[nl] == '=') {
            p += nl + 1;
            size_t n = 0;
            while (*p && *p != '&') {
                int ch = (unsigned char)*p;
                if (ch == '%' && p[1] && p[2]) {
                    char hex[3] = {p[1], p[2], 0};
                    ch = (int)strtol(hex, NULL, 16);
                    p += 2;
                } else if (ch == '+') {
                    ch = ' ';
                }
                if (n + 1 >= cap) return -1;
                out[n++] = (char)ch;
                p++;
            }
            out[n] = '\0';
            return (int)n;
        }
        p = strchr(p, '&');
        if (p) p++;
    }
    return -1;
}

int fairness_win(int worker, const char *query, char *body, size_t cap)
{
    char cid[256], imp[256], req[256];
    int nc = query_value(query, "cid", cid, sizeof cid), ni = query_value(query, "imp", imp, sizeof imp),
        nr = query_value(query, "req", req, sizeof req);
    if (nc <= 0 || ni <= 0 || nr <= 0) {
        snprintf(body, cap, "{\"error\":\"cid, imp and req are required\"}");
        return 400;
    }
    if (!F.started || worker < 0 || worker >= F.nworkers) {
        snprintf(body, cap, "{\"status\":\"ignored\"}");
        return 200;
    }
    atomic_fetch_add_explicit(&F.wins_total, 1, memory_order_relaxed);
    uint64_t key =
        bid_key((struct sv){req, (size_t)nr}, (struct sv){imp, (size_t)ni}, (struct sv){cid, (size_t)nc});
    _Atomic uint64_t *e = &F.recent[(key >> 16) & (RECENT_N - 1)];
    uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
    if (!(v & 0x8000u) || (v & ~0xFFFFull) != (key & ~0xFFFFull) ||
        !atomic_compare_exchange_strong(e, &v, 0)) {
        /* unknown, already counted, or evicted: a duplicate notice must not count twice */
        atomic_fetch_add_explicit(&F.wins_unmatched, 1, memory_order_relaxed);
        snprintf(body, cap, "{\"status\":\"unmatched\"}");
        return 200;
    }
    int slot = (int)((v >> 6) & 0xFF), g = (int)((v >> 4) & 0x3), a = (int)(v & 0xF) + FAIR_NGENDER;
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    unsigned attrs = s && (uint32_t)slot < s->nslots ? s->rep[slot].attrs : 0;
    urcu_memb_read_unlock();
    if (attrs & FAIR_ATTR_GENDER) bump(&F.local[worker], slot, g, FAIR_C_WIN);
    if (attrs & FAIR_ATTR_AGE_BAND) bump(&F.local[worker], slot, a, FAIR_C_WIN);
    snprintf(body, cap, "{\"status\":\"counted\"}");
    return 200;
}

/* ---- metrics ---- */

void fairness_metrics(struct evbuffer *o)
{
    if (!F.started) return;
    prom_one_u64(o, "fairbid_fairness_state_ok", PROM_GAUGE,
                 "Fleet fairness totals fresh enough to decide on.", (uint64_t)atomic_load(&F.state_ok));
    prom_family(o, "fairbid_fairness_syncs_total", PROM_COUNTER,
                "Fairness/cap sync round trips with Redis, by result.");
    prom_u64(o, "fairbid_fairness_syncs_total", PROM_L({"result", "ok"}), atomic_load(&F.syncs_ok));
    prom_u64(o, "fairbid_fairness_syncs_total", PROM_L({"result", "failed"}), atomic_load(&F.syncs_failed));
    prom_family(o, "fairbid_fairness_win_notices_total", PROM_COUNTER,
                "Win notices received, by whether a recent bid matched.");
    prom_u64(o, "fairbid_fairness_win_notices_total", PROM_L({"matched", "yes"}),
             atomic_load(&F.wins_total) - atomic_load(&F.wins_unmatched));
    prom_u64(o, "fairbid_fairness_win_notices_total", PROM_L({"matched", "no"}),
             atomic_load(&F.wins_unmatched));
    prom_one_u64(o, "fairbid_cap_lease_unacked_tokens_total", PROM_COUNTER,
                 "Leased cap tokens dropped because no replica confirmed them in time (lease_min_replicas).",
                 atomic_load(&F.lease_unacked));
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    if (s) {
        /* one pass per family: the text format wants a family's samples together (campaign ids are escaped
         * by the writer; they come from config and may hold any character) */
        static const char *const CNAME[FAIR_NCOUNT] = {"eligible", "bids", "wins", "throttled"};
        prom_family(o, "fairbid_fair_window", PROM_GAUGE,
                    "Fleet counts over the campaign's fairness window.");
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->fair) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++) {
                if (!r->wsum[g][FAIR_C_ELIG]) continue;
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    prom_u64(o, "fairbid_fair_window",
                             PROM_L({"campaign", r->id}, {"group", fair_group_name(g)}, {"count", CNAME[k]}),
                             r->wsum[g][k]);
            }
        }
        prom_family(o, "fairbid_fair_boost", PROM_GAUGE,
                    "Fairness controller's boost per campaign and group (1 = neutral).");
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->fair) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++)
                if (r->wsum[g][FAIR_C_ELIG])
                    prom_double(o, "fairbid_fair_boost",
                                PROM_L({"campaign", r->id}, {"group", fair_group_name(g)}),
                                (double)r->boost[g]);
        }
        static const char *const FN[3] = {"fairbid_fair_impact_ratio", "fairbid_fair_tvd",
                                          "fairbid_fair_level_down"};
        static const char *const FH[3] = {
            "Lowest group rate over the highest, per campaign, attribute and measure (bids, wins).",
            "Total variation distance between a measure's group shares and the eligible shares.",
            "1 while the controller levels an attribute down (throttles the favoured groups)."};
        for (int f = 0; f < 3; f++) {
            prom_family(o, FN[f], PROM_GAUGE, FH[f]);
            for (uint32_t i = 0; i < s->nslots; i++) {
                const struct slot_report *r = &s->rep[i];
                if (!r->fair) continue;
                for (int a = 0; a < FAIR_NATTR; a++) {
                    if (!(r->attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                        continue;
                    const char *an = a == FAIR_ATTR_IX_GENDER ? "gender" : "age_band";
                    const uint64_t(*w)[FAIR_NCOUNT] = (const uint64_t(*)[FAIR_NCOUNT])r->wsum;
                    if (f == 2) {
                        prom_i64(o, FN[f], PROM_L({"campaign", r->id}, {"attribute", an}), r->level_down[a]);
                        continue;
                    }
                    for (int k = FAIR_C_BID; k <= FAIR_C_WIN; k++) {
                        const char *m = k == FAIR_C_BID ? "bids" : "wins";
                        double v = f == 0 ? fair_impact_ratio(w, fair_attr_first(a), fair_attr_n(a), k, 1)
                                          : fair_tvd(w, fair_attr_first(a), fair_attr_n(a), k);
                        prom_double(o, FN[f], PROM_L({"campaign", r->id}, {"attribute", an}, {"measure", m}),
                                    v);
                    }
                }
            }
        }
        static const char *const CN[5] = {"fairbid_cap_tokens", "fairbid_cap_spent_total",
                                          "fairbid_cap_leased_total", "fairbid_cap_exhausted",
                                          "fairbid_cap_limit"};
        static const enum prom_type CT[5] = {PROM_GAUGE, PROM_COUNTER, PROM_COUNTER, PROM_GAUGE, PROM_GAUGE};
        static const char *const CH[5] = {
            "Cap tokens this instance holds for the campaign.",
            "Cap tokens spent (bids placed under the cap) by this instance.",
            "Cap tokens leased from the fleet budget in Redis by this instance.",
            "1 while the campaign's fleet cap is exhausted.",
            "The campaign's cap (bids per cap window).",
        };
        for (int f = 0; f < 5; f++) {
            prom_family(o, CN[f], CT[f], CH[f]);
            for (uint32_t i = 0; i < s->nslots; i++) {
                const struct slot_report *r = &s->rep[i];
                if (!r->cap) continue;
                int64_t v = f == 0   ? (int64_t)atomic_load(&F.caps[i].tokens)
                            : f == 1 ? (int64_t)atomic_load(&F.caps[i].spent)
                            : f == 2 ? (int64_t)r->leased
                            : f == 3 ? (int64_t)r->exhausted
                                     : (int64_t)r->cap_bids;
                prom_i64(o, CN[f], PROM_L({"campaign", r->id}), v);
            }
        }
    }
    urcu_memb_read_unlock();
}
