/* bench_stats: the order statistics every microbenchmark reports (medians of repeated runs), once.
 * Header-only: each bench_*.c is its own executable (bench/CMakeLists.txt). Clocks are bidder/common/clock.h.
 */
#ifndef FAIRBID_BENCH_STATS_H
#define FAIRBID_BENCH_STATS_H

#include <stdlib.h>

/* qsort comparator for doubles, ascending */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), n > 0; sorts v. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
