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

enum metrics_status {
    MS_200,
    MS_204,
    MS_400,
    MS_404,
    MS_405,
    MS_413,
    MS_415,
    MS_500,
    MS_503,
    MS_OTHER,
    MS__COUNT
};

struct metrics_worker {
    _Atomic uint64_t requests[MS__COUNT];
    _Atomic uint64_t bid_requests;
    _Atomic uint64_t bids;    /* bids returned (one per winning imp) */
    _Atomic uint64_t no_bids; /* bid requests answered without a bid */
    _Atomic uint64_t decisions[REASON__COUNT];
    _Atomic uint64_t in_flight;
    _Atomic uint64_t connections;
    _Atomic uint64_t connections_rejected;
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
