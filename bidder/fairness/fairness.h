/* fairness: the bidder side of fairness quotas and caps: per-worker counters, fleet totals synced through
 * Redis every fairness_sync_ms (one pipelined round trip: push deltas, read the window back, lease cap
 * tokens), the controller run on those totals, the view published to the workers (RCU), win notices. The
 * per-request math is filters/fair.c. See docs/fairness.md. */
#ifndef FAIRBID_BIDDER_FAIRNESS_H
#define FAIRBID_BIDDER_FAIRNESS_H

#include <stdbool.h>
#include <stddef.h>
#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "filters/fair.h"

struct event_base;
struct evbuffer;

/* Starts the sync timer and the Redis connection (cfg->redis; none: this instance alone is the fleet and caps
 * are granted locally) on base, the control-plane thread's loop. Returns 0, or -1 with a message in err. */
int fairness_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen);
/* After the loop ended and the workers stopped: returns unused cap tokens to Redis (blocking, bounded). */
void fairness_stop(void);
/* On the control-plane thread after a new config was published: maps campaigns to slots by id (counts and
 * boosts carry over) and publishes a view for the new campaign set. */
void fairness_on_reload(const struct config *cfg);
/* The view worker `worker` decides against (stable pointer; its contents are read lock-free). */
const struct fair_view *fairness_view(int worker);
/* On worker `worker`, inside its RCU read-side section, after each decision: counts eligible, bids, throttles
 * per campaign and group; gives back the cap tokens of campaigns that lost the internal auction; remembers
 * the group of each bid for its win notice. No allocation, no lock. */
void fairness_after(int worker, const struct config *cfg, const struct engine_result *res);
/* GET /win?cid=&imp=&req=&price=: a win notice. Returns the HTTP status and writes a JSON body into body. */
int fairness_win(int worker, const char *query, char *body, size_t cap);
/* Prometheus text: per campaign and group eligible/bids/wins/throttled/boost (fleet window), impact ratio and
 * TVD gauges, lease state. Any registered RCU thread. */
void fairness_metrics(struct evbuffer *out);

/* Redis keys (docs/fairness.md): fairbid:fair:<campaign>:<bucket_ms>:<bucket> hash of "<group>:e|b|w|t|s",
 * and fairbid:cap:<campaign>:<period_s>:<period>. Used by `fairbid fairness report` too. */
#define FAIRNESS_KEY_FMT "fairbid:fair:%s:%lld:%lld"
#define FAIRNESS_CAP_KEY_FMT "fairbid:cap:%s:%d:%lld"
/* Budgets (micros of the currency): fairbid:budget:<campaign>:<period_s>:<period> the spend the fleet has
 * reserved (leased minus returned), and ...:spent the spend win notices reported at the clearing price. */
#define FAIRNESS_BUDGET_KEY_FMT "fairbid:budget:%s:%d:%lld"
#define FAIRNESS_BUDGET_SPENT_KEY_FMT "fairbid:budget:%s:%d:%lld:spent"
/* ...:start: wall ms of the period's first lease (even pacing spreads the budget from then to the period's
 * end) */
#define FAIRNESS_BUDGET_START_KEY_FMT "fairbid:budget:%s:%d:%lld:start"
/* The largest cap (config: cap.bids) and so the largest valid cap counter. */
#define FAIRNESS_CAP_MAX 1000000000000000LL
/* A cap counter's value (the string GET returns): 0 and *out for a count (decimal digits, no sign, no leading
 * zero, at most FAIRNESS_CAP_MAX), -1 for anything else. The lease script applies the same rule in Redis, so
 * a counter that is not a count never grants a token. */
int fairness_cap_count_parse(const char *s, size_t n, int64_t *out);
/* A lease script's reply {got, remaining} for a request of `want` tokens under `cap`: 0 if it is one the
 * script can give, -1 otherwise (then no token is spent). */
int fairness_lease_check(long long got, long long remaining, int64_t want, int64_t cap);
/* Parses a hash field "<group>:<e|b|w|t|s>" into (group, count); -1 if not one. */
int fairness_parse_field(const char *f, size_t n, int *group, int *count);
int64_t fairness_bucket_ms(const struct campaign_fairness *f);
/* `fairbid fairness report`'s budget part for campaign c (nothing without a budget): amount, pacing, the
 * period's clock, the fleet's reserved and spent (Redis), the state, and wins / spend / cost per win per
 * group from the window w. json: a `,"budget":{...}` member; else text lines. Blocking (the CLI). */
struct redisContext;
void fairness_budget_report(struct redisContext *rc, const struct campaign *c, int64_t now_ms,
                            const uint64_t (*w)[FAIR_NCOUNT], bool json);

/* External fairness keys: windows the fleet sync carries beside the campaigns' slots, for fairness state kept
 * outside this subsystem (filter mode's upstream bids, bidder/upstream/fair.c). The owner registers its table
 * once (any thread); every sync through Redis then, on the control-plane thread and per key in use, does what
 * it does for a campaign slot: HINCRBY the counts not yet pushed into fairbid:fair:<id>:<bucket_ms>:<bucket>
 * (the same key format, so the fleet shares them), HGETALL the window's buckets back into set(), and commit()
 * once the round trip succeeded (after a failed one the same counts are pushed again). Without Redis nothing
 * is called: the owner's own window is the fleet's. */
#define FAIRNESS_EXT_MAX 256
struct fairness_ext {
    int n; /* keys, at most FAIRNESS_EXT_MAX */
    /* key i: false if unused; else its id (Redis key part), its bucket size and the counts not yet pushed */
    bool (*take)(int i, char *id, size_t idcap, int64_t *bucket_ms,
                 uint64_t delta[FAIR_NGROUPS][FAIR_NCOUNT]);
    void (*set)(int i, int64_t epoch, const uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT]);
    void (*commit)(int i); /* the counts the last take() gave are in Redis */
};
void fairness_ext_register(const struct fairness_ext *ext);
/* As campaigns' FAIR_F_FAIR_OK: false while Redis is configured and the fleet totals are older than the grace
 * period (fail closed). True without Redis, or before fairness_start (nothing is synced). Any thread. */
bool fairness_fleet_ok(void);

#endif
