/* stats: filter mode's per-upstream counters (issue 17), process-wide and keyed by the upstream's id, so that
 * every worker's pool and the /win forwarder count into the same series and a reload keeps them. Written
 * with relaxed atomic adds (two to a few workers share an upstream's line: cheap next to a network round
 * trip), read by /metrics. */
#ifndef FAIRBID_BIDDER_UPSTREAM_STATS_H
#define FAIRBID_BIDDER_UPSTREAM_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "bidder/metrics.h"
#include "filters/reasons.h"

#define UP_STATS_MAX 64

enum up_err_kind { UP_E_CONNECT, UP_E_RESET, UP_E_HTTP, UP_E_OVERSIZED, UP_E_5XX, UP_E_STATUS, UP_E__N };

struct up_stats {
    char id[64];
    _Atomic uint64_t forwarded;
    _Atomic uint64_t not_forwarded[REASON__COUNT]; /* by reason (consent, upstream.down, ...) */
    _Atomic uint64_t removed[REASON__COUNT];       /* fields removed from what was forwarded, by reason */
    _Atomic uint64_t timeouts, late, busy;
    _Atomic uint64_t errors[UP_E__N];
    _Atomic uint64_t answers, no_bids, malformed;
    _Atomic uint64_t bids, bids_passed;
    _Atomic uint64_t bids_dropped[REASON__COUNT];
    _Atomic uint64_t wins_forwarded, wins_failed, wins_refused, wins_queue_full;
    _Atomic int down;
    struct metrics_hist latency;
};

/* The stats of that id, made on first use; NULL when UP_STATS_MAX ids are known. */
struct up_stats *up_stats_get(const char *id);
#define UP_STAT_INC(s, field) atomic_fetch_add_explicit(&(s)->field, 1, memory_order_relaxed)

/* Appends the Prometheus text of every upstream's counters (fairbid_upstream_*). */
struct evbuffer;
void up_stats_metrics(struct evbuffer *o);

const char *up_err_kind_name(int k);
/* A latency sample (several workers may write one upstream: atomic adds). */
void up_stats_observe(struct up_stats *s, uint64_t ns);

#endif
