/* fair: see fair.h. */
#include "bidder/upstream/fair.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "bidder/common/clock.h"
#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "bidder/fairness/fairness.h"
#include "filters/fair.h"
#include "filters/reasons.h"

#define RECENT_BUCKETS 2 /* the controller's input: the current and the previous bucket (as campaigns) */
#define CONTROL_MS 1000  /* the controller runs at most this often per key */

struct slot {
    pthread_mutex_t mu;
    _Atomic uint64_t key; /* 0: free */
    struct campaign_fairness p;
    struct fair_window win;
    uint64_t wsum[FAIR_NGROUPS][FAIR_NCOUNT];
    float boost[FAIR_NGROUPS];
    struct fair_attr_ctl ctl[FAIR_NATTR];
    int64_t next_ctl_ms;
    /* the fleet sync (bidder/fairness, struct fairness_ext): this process's counts since it started, those
     * already in Redis and those the sync in flight pushes; the window holds the fleet's buckets as read
     * back, plus this process's counts since (so a decision never waits for a sync) */
    char id[UPFAIR_ID_MAX];
    uint64_t cnt[FAIR_NGROUPS][FAIR_NCOUNT];
    uint64_t pushed[FAIR_NGROUPS][FAIR_NCOUNT];
    uint64_t pending[FAIR_NGROUPS][FAIR_NCOUNT];
};

static struct slot slots[UPFAIR_SLOTS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* remembered bids: (key of the bid) -> slot and groups, for the win notice */
static _Atomic uint64_t recent[UPFAIR_RECENT];

static bool ext_take(int i, char *id, size_t cap, int64_t *bucket_ms,
                     uint64_t delta[FAIR_NGROUPS][FAIR_NCOUNT])
{
    struct slot *s = &slots[i];
    if (!atomic_load_explicit(&s->key, memory_order_acquire)) return false;
    pthread_mutex_lock(&s->mu);
    snprintf(id, cap, "%s", s->id);
    *bucket_ms = s->win.bucket_ms;
    for (int g = 0; g < FAIR_NGROUPS; g++)
        for (int k = 0; k < FAIR_NCOUNT; k++) {
            s->pending[g][k] = s->cnt[g][k];
            delta[g][k] = s->cnt[g][k] - s->pushed[g][k];
        }
    pthread_mutex_unlock(&s->mu);
    return true;
}

static void ext_set(int i, int64_t epoch, const uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT])
{
    struct slot *s = &slots[i];
    pthread_mutex_lock(&s->mu);
    fair_window_set(&s->win, epoch, v);
    s->next_ctl_ms = 0; /* fresh fleet totals: the controller runs on them at the next bid */
    pthread_mutex_unlock(&s->mu);
}

static void ext_commit(int i)
{
    struct slot *s = &slots[i];
    pthread_mutex_lock(&s->mu);
    memcpy(s->pushed, s->pending, sizeof s->pushed);
    pthread_mutex_unlock(&s->mu);
}

_Static_assert(UPFAIR_SLOTS <= FAIRNESS_EXT_MAX, "the fleet sync carries at most FAIRNESS_EXT_MAX keys");
static const struct fairness_ext ext = {
    .n = UPFAIR_SLOTS, .take = ext_take, .set = ext_set, .commit = ext_commit};

static void init(void)
{
    for (int i = 0; i < UPFAIR_SLOTS; i++) pthread_mutex_init(&slots[i].mu, NULL);
    fairness_ext_register(&ext);
}

/* Appends src to the id, characters outside [A-Za-z0-9._-] as '_'; returns whether it changed anything. */
static bool id_part(char *id, size_t *len, const char *src, size_t n, size_t max)
{
    bool changed = n > max;
    if (n > max) n = max;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        id[(*len)++] = ok ? c : '_';
        changed |= !ok;
    }
    return changed;
}

/* "up:<upstream>:<creative>" (docs/filter-response.md): the same on every instance, so the fleet shares the
 * key's counts; a part cut or with other characters gets the key's hash so two keys never share one id. */
static void make_id(char *id, const char *upstream, struct sv creative, uint64_t key)
{
    size_t n = 0;
    memcpy(id, "up:", 3);
    n = 3;
    bool changed = id_part(id, &n, upstream, strlen(upstream), 48);
    id[n++] = ':';
    changed |= id_part(id, &n, creative.p ? creative.p : "", creative.n, 64);
    if (changed) n += (size_t)snprintf(id + n, UPFAIR_ID_MAX - n, "~%016llx", (unsigned long long)key);
    id[n] = '\0';
}

static uint64_t key_of(const char *upstream, struct sv creative)
{
    uint64_t h = XXH64(upstream, strlen(upstream), 0x5eed);
    h = XXH64(creative.p ? creative.p : "", creative.n, h);
    return h ? h : 1;
}

/* The key's slot (made on first use), locked; NULL when the table is full. */
static struct slot *slot_lock(uint64_t key, const struct campaign_fairness *p, bool create,
                              const char *upstream, struct sv creative)
{
    pthread_once(&once, init);
    for (uint32_t i = 0; i < UPFAIR_SLOTS; i++) {
        struct slot *s = &slots[(key + i) % UPFAIR_SLOTS];
        uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == key) {
            pthread_mutex_lock(&s->mu);
            return s;
        }
        if (k) continue;
        if (!create) return NULL;
        pthread_mutex_lock(&s->mu);
        k = atomic_load_explicit(&s->key, memory_order_relaxed);
        if (k == 0) {
            s->p = *p;
            fair_window_init(&s->win, fairness_bucket_ms(p));
            for (int g = 0; g < FAIR_NGROUPS; g++) s->boost[g] = 1;
            memset(s->ctl, 0, sizeof s->ctl);
            s->next_ctl_ms = 0;
            make_id(s->id, upstream, creative, key);
            memset(s->cnt, 0, sizeof s->cnt);
            memset(s->pushed, 0, sizeof s->pushed);
            memset(s->pending, 0, sizeof s->pending);
            atomic_store_explicit(&s->key, key, memory_order_release);
            return s;
        }
        pthread_mutex_unlock(&s->mu);
        if (k == key) return slot_lock(key, p, create, upstream, creative);
    }
    return NULL;
}

/* One count, in the window the controller reads and in the counts the fleet sync pushes. */
static void count(struct slot *s, int64_t now, int g, int k)
{
    fair_window_add(&s->win, now, g, k, 1);
    s->cnt[g][k]++;
}

static int attr_on(const struct campaign_fairness *p, int a)
{
    return p->attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND);
}

static int32_t year_now(void)
{
    struct decide_env env;
    engine_env_now(&env); /* the engine's per-thread cached year */
    return env.year;
}

static uint64_t bid_key(uint64_t slot_key, struct sv imp, struct sv req)
{
    uint64_t h = XXH64(imp.p ? imp.p : "", imp.n, slot_key);
    return XXH64(req.p ? req.p : "", req.n, h);
}

int upfair_check(const char *upstream, struct sv creative, const struct campaign_fairness *p,
                 const struct ortb_request *req, struct sv imp_id, uint32_t draw, double *price,
                 struct sv *detail)
{
    uint64_t key = key_of(upstream, creative);
    if (!fairness_fleet_ok()) {
        /* Redis configured but the fleet totals are stale: fail closed, as campaigns do (FAIR_F_FAIR_OK) */
        *detail = SV_LIT("fleet fairness totals are stale");
        return REASON_FAIRNESS_STATE_UNAVAILABLE;
    }
    struct slot *s = slot_lock(key, p, true, upstream, creative);
    if (!s) {
        /* more balanced creatives than the table holds: fail closed, as campaigns do without state */
        *detail = SV_LIT("no fairness state for this upstream creative (table full)");
        return REASON_FAIRNESS_STATE_UNAVAILABLE;
    }
    int64_t now = fb_clock_wall_ms();
    if (now >= s->next_ctl_ms) {
        uint64_t rec[FAIR_NGROUPS][FAIR_NCOUNT];
        fair_window_sum(&s->win, now, FAIR_NBUCKETS, s->wsum);
        fair_window_sum(&s->win, now, RECENT_BUCKETS, rec);
        for (int a = 0; a < FAIR_NATTR; a++)
            if (attr_on(&s->p, a))
                fair_control(&s->p, fair_attr_first(a), fair_attr_n(a),
                             (const uint64_t(*)[FAIR_NCOUNT])s->wsum, (const uint64_t(*)[FAIR_NCOUNT])rec,
                             s->boost, &s->ctl[a]);
        s->next_ctl_ms = now + CONTROL_MS;
    }
    int g[FAIR_NATTR] = {fair_group_gender(req), fair_group_age(req, year_now())};
    double boost = 1;
    for (int a = 0; a < FAIR_NATTR; a++) {
        if (!attr_on(&s->p, a)) continue;
        count(s, now, g[a], FAIR_C_ELIG);
        const struct fair_attr_ctl *ctl = &s->ctl[a];
        if (ctl->level_down) {
            /* the campaigns' keep probability (filters/fair.c), on this process's window */
            int k = ctl->use_wins ? FAIR_C_WIN : FAIR_C_BID;
            double e = (double)s->wsum[g[a]][FAIR_C_ELIG], t = (double)s->wsum[g[a]][FAIR_C_THR];
            double d = (double)s->wsum[g[a]][k];
            double keep = e - t < 1 || d / (e - t) <= ctl->target ? 1 : ctl->target / (d / (e - t));
            if ((double)draw >= keep * 4294967296.0) {
                for (int b = 0; b < FAIR_NATTR; b++)
                    if (attr_on(&s->p, b)) count(s, now, g[b], FAIR_C_THR);
                pthread_mutex_unlock(&s->mu);
                *detail = sv_from(fair_group_name(g[a]));
                return REASON_FAIRNESS_THROTTLE;
            }
        }
        if (s->boost[g[a]] > boost) boost = s->boost[g[a]];
    }
    for (int a = 0; a < FAIR_NATTR; a++)
        if (attr_on(&s->p, a)) count(s, now, g[a], FAIR_C_BID);
    pthread_mutex_unlock(&s->mu);
    if (boost > p->max_boost) boost = p->max_boost < 1 ? 1 : p->max_boost;
    if (boost > 1) *price = *price * boost;
    /* remembered for its win notice: the key's top bits, then the groups */
    uint64_t bk = bid_key(key, imp_id, req->id);
    uint64_t v = (bk & ~0xFFFFull) | 0x8000u | ((uint64_t)(g[0] & 0x3) << 8) | (uint64_t)(g[1] & 0x1F);
    atomic_store_explicit(&recent[(bk >> 16) % UPFAIR_RECENT], v, memory_order_relaxed);
    return REASON_BID;
}

int upfair_win(const char *upstream, struct sv creative, struct sv imp_id, struct sv req_id)
{
    uint64_t key = key_of(upstream, creative);
    uint64_t bk = bid_key(key, imp_id, req_id);
    _Atomic uint64_t *e = &recent[(bk >> 16) % UPFAIR_RECENT];
    uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
    /* unknown, already counted, or evicted: a duplicate notice must not count twice */
    if (!(v & 0x8000u) || (v & ~0xFFFFull) != (bk & ~0xFFFFull) || !atomic_compare_exchange_strong(e, &v, 0))
        return 0;
    struct slot *s = slot_lock(key, &config_fairness_defaults, false, upstream, creative);
    if (!s) return 0;
    int g[FAIR_NATTR] = {(int)((v >> 8) & 0x3), (int)(v & 0x1F)};
    int64_t now = fb_clock_wall_ms();
    for (int a = 0; a < FAIR_NATTR; a++)
        if (attr_on(&s->p, a)) count(s, now, g[a], FAIR_C_WIN);
    pthread_mutex_unlock(&s->mu);
    return 1;
}
