/* fairness internals: the state the modules of bidder/fairness/ share (see fairness.h for the public API).
 * Modules: fairness.c (lifecycle, the sync timer, the Redis round trip), view.c (slots, the published view
 * and the fair_view interface decide() reads), control.c (counters in and out of the windows, the
 * controller), caps.c (cap counters and leases), win.c (worker side: counting after a decision, win notices),
 * metrics.c. Threads: workers write their own counters (single writer, relaxed atomics) and take from the
 * reserves with a CAS; everything else runs on the control-plane loop. Not part of any other subsystem's
 * interface. */
#ifndef FAIRBID_BIDDER_FAIRNESS_INTERNAL_H
#define FAIRBID_BIDDER_FAIRNESS_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bidder/common/clock.h"
#include "bidder/fairness/fairness.h"
#include "filters/fair_pace.h"

struct event;
struct evbuffer;
struct redisAsyncContext;
typedef struct redisAsyncContext redisAsyncContext;

#define RECENT_BITS 16
#define RECENT_N (1u << RECENT_BITS)
#define RECENT_BUCKETS 2        /* the controller's input: the current and the previous bucket */
#define TICK_TIMEOUT_MIN_MS 500 /* a sync round trip slower than this drops the connection */
#define GRACE_MIN_MS 2000       /* fairness keeps deciding on the last fleet totals this long */
#define RECONNECT_MS 250

static const char COUNT_CH[FAIR_NCOUNT] = {'e', 'b', 'w', 't', 's'}; /* s: spend, micros */

/* A lease script's counter KEYS[1] into `used`: it must be a count (fairness_cap_count_parse's rule: decimal
 * digits, no sign, no leading zero, at most 1e15, the largest cap or budget in micros config accepts);
 * anything else (negative, fractional, huge, another type: GET then fails) is an error reply naming the
 * `what` counter, so nothing is leased: a corrupt counter stops the campaign, never lifts its cap or budget.
 * Lua numbers are doubles: exact up to 2^53 > 1e15. Cap scripts here, budget scripts in budget.c. */
#define COUNT_LUA(what)                                                                                      \
    "local v = redis.call('GET', KEYS[1]) local used = 0 "                                                   \
    "if v then "                                                                                             \
    "if #v > 16 or not string.match(v, '^[0-9]+$') or (#v > 1 and string.sub(v, 1, 1) == '0') "              \
    "or tonumber(v) > 1e15 then "                                                                            \
    "return redis.error_reply('fairbid: " what " counter ' .. KEYS[1] .. ' is not a valid count') end "      \
    "used = tonumber(v) end "
#define CAP_COUNT_LUA COUNT_LUA("cap")
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

/* The snapshot the workers read through the view: immutable once published, replaced each sync (RCU). */
struct fairness_snapshot {
    const struct campaign_set *cs; /* the set the indexes refer to (compared, never dereferenced) */
    int32_t year;
    uint32_t n;
    const struct fair_camp *camp;
};

/* Monotonic per-worker counters; single writer (the worker), read by the control plane. */
struct fairness_counters {
    _Atomic uint64_t c[FAIR_MAX_SLOTS][FAIR_NGROUPS][FAIR_NCOUNT];
};

/* What the instance holds for a slot: cap tokens fair_check takes one per bid (CAS), the control plane adds
 * leased ones and takes back expired ones. */
struct fairness_cap_slot {
    _Alignas(64) _Atomic int64_t tokens;
    _Atomic int64_t spent; /* bids made with a token (metrics) */
    /* budget (budget.c): spend in micros of the currency. fair_check takes a bid's spend from the reserve
     * (CAS); decide gives back the internal auction's losers'; win and loss notices give back what a bid did
     * not cost; the control plane adds leased spend and takes back what it returns to Redis. */
    _Alignas(64) _Atomic int64_t reserve;
    _Atomic int64_t period; /* the budget period the reserve belongs to (notices from another give nothing) */
    _Atomic int64_t charged;             /* won at the clearing price, from win notices (monotonic) */
    _Atomic int64_t refunded;            /* given back by win/loss notices (monotonic) */
    _Atomic uint64_t wins, losses, late; /* notices matched; late: the bid's record was gone (no refund) */
};

/* A worker's view context. */
struct fairness_worker {
    int w;
    int64_t took_period[FAIR_MAX_SLOTS]; /* budget: the period of the reserve this worker last took from */
};

struct slot {
    bool used;
    char id[128];
    struct campaign_fairness fair;
    struct campaign_cap cap;
    int64_t bid_micros;
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
    /* budget (budget.c), micros of the currency */
    struct campaign_budget budget;
    int64_t b_unit;   /* the most one bid can cost (bid price x max_boost) */
    int64_t b_period; /* -1: none yet */
    bool b_exhausted, b_paced, b_inflight;
    int64_t b_remaining; /* in Redis (amount - reserved fleet-wide) after our last lease, -1 unknown */
    int64_t b_leased, b_returned, b_local_granted; /* this instance, this period */
    int64_t b_last_reserve;                        /* the reserve right after the last tick */
    double b_rate;                                 /* reserve consumed per tick, smoothed */
    float pace_keep;
    int64_t b_release; /* taken out of the reserve, being returned by the tick in flight */
    int64_t b_ticks;
    int64_t b_start_ms;     /* even pacing without Redis: the period's first lease */
    int64_t b_lease_period; /* the period of the lease in flight */
    bool b_pend;            /* a lease waiting for WAIT (lease_min_replicas) */
    int64_t b_pend_want, b_pend_got, b_pend_remaining, b_pend_room;
    int64_t b_spent_fleet;   /* the fleet's :spent counter (won at clearing price), -1 unknown */
    int64_t b_spent_pushed;  /* of our charged counter, what is in it */
    int64_t b_spent_sending; /* ... and what the tick in flight adds */
    /* fairness + budget: the controller of filters/fair_pace.h (pace.c) */
    bool pace_on;
    struct fair_pace pace;
    struct fair_pace_out pace_out;
    int64_t pace_last_ms;
};

struct slot_report {
    char id[128];
    bool fair, cap, budget;
    struct campaign_budget b;
    int64_t b_remaining, b_spent_fleet, b_leased, b_returned;
    bool b_exhausted, b_paced;
    float pace_keep;
    uint64_t wsum[FAIR_NGROUPS][FAIR_NCOUNT];
    float boost[FAIR_NGROUPS];
    unsigned attrs;
    bool level_down[FAIR_NATTR];
    int64_t leased, released, cap_bids;
    bool exhausted;
};

struct snap_full {
    struct fairness_snapshot pub; /* first: workers see only this */
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

struct fairness_state {
    bool started;
    struct event_base *base;
    const struct config *cfg;
    int nworkers;
    struct fairness_counters *local; /* [nworkers] */
    struct fairness_counters *mark;  /* [nworkers] */
    struct fairness_counters *cur;   /* [nworkers] values read by the tick in flight */
    struct fair_view *views;         /* [nworkers]: the interface decide() reads (view.c) */
    struct fairness_worker *wctx;    /* [nworkers]: each view's ctx */
    _Atomic(const struct fairness_snapshot *) snap;
    struct fairness_cap_slot caps[FAIR_MAX_SLOTS];
    struct slot *slots;
    int nslots;
    _Atomic uint64_t recent[RECENT_N];
    /* budget bids: (key >> 32) << 32 | period parity << 31 | reserved spend (31 bits) beside recent[] */
    _Atomic uint64_t recent_cost[RECENT_N];
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
};

/* The subsystem's one state (a short name: the moved functions use it as they did in one file). */
extern struct fairness_state fairness_state_;
#define F fairness_state_

/* view.c */
bool fz_constrained(const struct campaign *c);
int fz_slot_find(struct sv id);
void fz_assign_slots(const struct config *cfg);
bool fz_state_ok(void);
void fz_snap_free(struct snap_full *s);
void fz_publish(void);
void fz_views_init(void);
/* Gives n micros back to slot's reserve if it still belongs to `period` (notices, decide's losers). */
void fz_give_spend(int32_t slot, int64_t period, int64_t n);
/* control.c */
void fz_run_controller(struct slot *sl, int64_t now);
void fz_read_counters(int s, struct slot *sl);
void fz_commit_counters(int s, struct slot *sl);
/* fairness.c: the pipelined round trip's commands (kinds: 0 HGETALL, 1 cap lease, 2 WAIT, 3 budget lease,
 * 4 budget return, 5 budget :spent INCRBY) */
struct cmd *fz_new_cmd(int slot, int kind, int64_t arg);
void fz_queued(int rc);
void fz_on_reply(redisAsyncContext *ac, void *r, void *priv);
/* Queues one window's sync for key id (bucket bms, current bucket ep): HINCRBY the nonzero deltas d and
 * EXPIRE into bucket ep, then HGETALL the FAIR_NBUCKETS buckets up to ep as commands (slot, kind, bucket) */
void fz_queue_window(const char *id, int64_t bms, int64_t ep, const uint64_t (*d)[FAIR_NCOUNT], int slot,
                     int kind);
/* budget.c */
bool fz_windowed(const struct slot *sl);  /* keeps per-group windows (fairness or budget) */
unsigned fz_attrs(const struct slot *sl); /* the attributes counted per group */
void fz_budget_assign(struct slot *sl, const struct campaign *c);
void fz_budget_local(int s, struct slot *sl, int64_t now); /* no Redis: this instance is the fleet */
void fz_budget_clock(int64_t now); /* every tick: the period roll-over, connected or not */
bool fz_budget_queue(int s, struct slot *sl, int64_t now); /* true: a lease was queued (WAIT applies) */
/* a reply of kind 3-5; returns -1 when the tick failed */
int fz_budget_reply(const struct cmd *c, struct slot *sl, const void *reply);
void fz_budget_acked(int s, struct slot *sl, bool acked);
void fz_budget_tick_done(struct slot *sl, bool failed);
struct redisContext;
void fz_budget_return_all(struct redisContext *c); /* at stop: blocking, c may be NULL */
void fz_budget_metrics(struct evbuffer *o);
/* pace.c: fairness + budget, the controller step (from fz_run_controller) */
bool fz_paced(const struct slot *sl);
void fz_pace_step(struct slot *sl, int64_t now, const uint64_t recent[][FAIR_NCOUNT]);
/* The observations of a budgeted slot for a budget-aware controller (filters/fair.h), at wall time now. */
void fz_budget_obs(const struct slot *sl, int64_t now, const uint64_t (*recent)[FAIR_NCOUNT],
                   struct fair_budget_obs *out);
/* fairness.c: a HGETALL reply of a window bucket as counts (fields not understood are skipped) */
struct redisReply;
void fz_hash_counts(const struct redisReply *rep, uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT]);
/* ext.c: the external keys (fairness.h, struct fairness_ext) in the round trip, command kind 6 */
void fz_ext_queue(int64_t now);
void fz_ext_reply(const struct cmd *c, const void *reply);
void fz_ext_tick_done(bool failed);
/* caps.c */
int64_t fz_cap_want(int s, struct slot *sl, int64_t now);
void fz_cap_granted(int s, struct slot *sl, int64_t want, int64_t got, int64_t remaining);

#endif
