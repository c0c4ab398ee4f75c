/* hist: a log-linear histogram of non-negative 64-bit values (latencies in nanoseconds), our own because
 * Debian has no C HdrHistogram. Values below 256 are counted exactly; above, each power of two is split into
 * 128 equal buckets, so a bucket is at most 1/128 of its lower bound wide and the midpoint we report is
 * within 1/256 (0.4%) of any value in it. Fixed size (about 58 KiB), no allocation, record is O(1) with one
 * clz. */
#ifndef FAIRBID_LOADGEN_HIST_H
#define FAIRBID_LOADGEN_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB (1u << HIST_SUB_BITS)
/* Exact part (2 * HIST_SUB values) plus HIST_SUB buckets for each shift 1..(63 - HIST_SUB_BITS). */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
    uint64_t count;
    uint64_t min, max; /* exact; min is UINT64_MAX while empty */
    double sum;        /* for the mean */
    uint64_t b[HIST_BUCKETS];
};

/* Caller's storage; empties it. */
void hist_init(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
void hist_record_n(struct hist *h, uint64_t v, uint64_t n);
/* Adds every count of src into dst. Not thread safe: merge after the writers are done. */
void hist_merge(struct hist *dst, const struct hist *src);
/* The value at quantile q (0..1): the smallest bucket whose cumulative count reaches ceil(q * count),
 * reported as its midpoint and clamped to [min, max]. q >= 1 gives the exact max. 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket arithmetic, exposed for tests. */
uint32_t hist_index(uint64_t v);
uint64_t hist_bucket_lo(uint32_t i);
uint64_t hist_bucket_hi(uint32_t i);

#endif
