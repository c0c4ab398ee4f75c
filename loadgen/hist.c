/* hist: log-linear histogram; see hist.h for the bucket layout and its error bound. */
#include "loadgen/hist.h"

#include <math.h>
#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint32_t hist_index(uint64_t v)
{
    if (v < 2 * HIST_SUB) return (uint32_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= HIST_SUB_BITS + 1 */
    unsigned shift = e - HIST_SUB_BITS;              /* >= 1 */
    return (uint32_t)(shift * HIST_SUB + (v >> shift));
}

uint64_t hist_bucket_lo(uint32_t i)
{
    if (i < 2 * HIST_SUB) return i;
    unsigned shift = i / HIST_SUB - 1;
    uint64_t m = i % HIST_SUB + HIST_SUB;
    return m << shift;
}

uint64_t hist_bucket_hi(uint32_t i)
{
    if (i < 2 * HIST_SUB) return i;
    unsigned shift = i / HIST_SUB - 1;
    uint64_t m = i % HIST_SUB + HIST_SUB;
    /* The last bucket's top is 2^64 - 1; (m + 1) << shift would overflow to 0 there, and 0 - 1 wraps right.
     */
    return ((m + 1) << shift) - 1;
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
    if (n == 0) return;
    h->b[hist_index(v)] += n;
    h->count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

void hist_record(struct hist *h, uint64_t v)
{
    hist_record_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->count == 0) return;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0) return 0;
    if (q >= 1.0) return h->max;
    if (q < 0) q = 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo = hist_bucket_lo(i), hi = hist_bucket_hi(i);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min) mid = h->min;
            if (mid > h->max) mid = h->max;
            return mid;
        }
    }
    return h->max;
}

double hist_mean(const struct hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
