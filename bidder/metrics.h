/* metrics: per-worker counters and histograms, summed when /metrics is scraped (Prometheus text format
 * 0.0.4). Each worker writes only its own struct (no shared cache lines on the hot path); the scraper reads
 * them with relaxed atomic loads, so a scrape may be a few increments behind but never torn. */
#ifndef FAIRBID_BIDDER_METRICS_H
#define FAIRBID_BIDDER_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include "filters/reasons.h"

/* Histogram buckets in seconds (1-2-5 series from 1 µs to 10 s). */
#define METRICS_NBUCKETS 22
extern const double metrics_bucket_le[METRICS_NBUCKETS];

struct metrics_hist {
    _Atomic uint64_t b[METRICS_NBUCKETS + 1]; /* last = +Inf */
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t count;
};

/* Every status the server can answer with (routes, the HTTP parser's errors, timeouts), each counted under
 * its own code label; "other" is only for a code not in this list (a bug: add it here). */
#define METRICS_STATUS_CODES(X)                                                                              \
    X(200) X(204) X(400) X(404) X(405) X(408) X(413) X(415) X(431) X(500) X(501) X(503) X(505)
#define METRICS_STATUS_ENUM_(c) MS_##c,
enum metrics_status { METRICS_STATUS_CODES(METRICS_STATUS_ENUM_) MS_OTHER, MS__COUNT };
/* the label value of each index: "200", ..., "other" */
extern const char *const metrics_status_label[MS__COUNT];

struct metrics_worker {
    _Atomic uint64_t requests[MS__COUNT];
    _Atomic uint64_t bid_requests;
    _Atomic uint64_t bids;    /* bids returned (one per winning imp) */
    _Atomic uint64_t no_bids; /* bid requests answered without a bid */
    _Atomic uint64_t decisions[REASON__COUNT];
    _Atomic uint64_t in_flight;
    struct metrics_hist request_latency;
    struct metrics_hist decision_latency;
} __attribute__((aligned(64)));

/* Single-writer increment: a plain load/add/store (no lock prefix), safe because only the owner writes. */
#define METRIC_ADD(field, v)                                                                                 \
    atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (v),              \
                          memory_order_relaxed)
#define METRIC_INC(field) METRIC_ADD(field, 1)

void metrics_hist_observe(struct metrics_hist *h, uint64_t ns);
int metrics_status_index(int status);

#endif
