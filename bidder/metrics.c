/* metrics: see metrics.h. */
#include "bidder/metrics.h"

const double metrics_bucket_le[METRICS_NBUCKETS] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4,
                                                    5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1,
                                                    2e-1, 5e-1, 1,    2,    5,    10};

static const uint64_t bucket_ns[METRICS_NBUCKETS] = {
    1000,      2000,      5000,       10000,      20000,      50000,      100000,   200000,
    500000,    1000000,   2000000,    5000000,    10000000,   20000000,   50000000, 100000000,
    200000000, 500000000, 1000000000, 2000000000, 5000000000, 10000000000};

void metrics_hist_observe(struct metrics_hist *h, uint64_t ns)
{
    int i = 0;
    while (i < METRICS_NBUCKETS && ns > bucket_ns[i]) i++;
    METRIC_INC(h->b[i]);
    METRIC_ADD(h->sum_ns, ns);
    METRIC_INC(h->count);
}

#define METRICS_STATUS_LABEL_(c) #c,
const char *const metrics_status_label[MS__COUNT] = {METRICS_STATUS_CODES(METRICS_STATUS_LABEL_) "other"};

int metrics_status_index(int status)
{
#define METRICS_STATUS_CASE_(c)                                                                              \
    case c:                                                                                                  \
        return MS_##c;
    switch (status) {
        METRICS_STATUS_CODES(METRICS_STATUS_CASE_)
    default:
        return MS_OTHER;
    }
#undef METRICS_STATUS_CASE_
}
