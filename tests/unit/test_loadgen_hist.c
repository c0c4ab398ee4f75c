/* Unit tests for loadgen/hist: every reported percentile of known distributions is within 1% of the exact
 * order statistic, the bucket layout keeps its bound, and merging equals recording into one histogram. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "loadgen/hist.h"

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(void)
{
    return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

enum dist { D_UNIFORM, D_EXP, D_LOGNORMAL, D_PARETO, D_CONST, D_BIMODAL, D_SMALL, D_WIDE };

static uint64_t draw(enum dist d)
{
    switch (d) {
    case D_UNIFORM:
        return 1 + rng_next() % 10000000;
    case D_EXP:
        return (uint64_t)(-log(rng_unit()) * 50000.0);
    case D_LOGNORMAL: {
        double u1 = rng_unit(), u2 = rng_unit();
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        return (uint64_t)exp(11.0 + 1.5 * z);
    }
    case D_PARETO:
        return (uint64_t)(20000.0 / pow(rng_unit(), 1.0 / 1.2));
    case D_CONST:
        return 48213;
    case D_BIMODAL:
        return rng_unit() < 0.8 ? 40000 + rng_next() % 20000 : 200000000 + rng_next() % 1000000;
    case D_SMALL:
        return rng_next() % 600; /* crosses the exact/log boundary at 256 */
    case D_WIDE:
        return rng_next() >> (rng_next() % 64);
    }
    return 0;
}

static void check_dist(enum dist d, size_t n)
{
    static const double qs[] = {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999, 1.0};
    uint64_t *v = malloc(n * sizeof *v);
    struct hist *h = malloc(sizeof *h);
    cr_assert(v && h);
    hist_init(h);
    rng_state = 42 + (uint64_t)d;
    for (size_t i = 0; i < n; i++) {
        v[i] = draw(d);
        hist_record(h, v[i]);
    }
    qsort(v, n, sizeof *v, cmp_u64);
    cr_assert_eq(h->count, n);
    cr_assert_eq(h->min, v[0]);
    cr_assert_eq(h->max, v[n - 1]);
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        size_t rank = (size_t)ceil(qs[k] * (double)n);
        if (rank < 1) rank = 1;
        uint64_t exact = v[rank - 1], got = hist_quantile(h, qs[k]);
        double err = exact ? fabs((double)got - (double)exact) / (double)exact : (double)got;
        cr_expect(err <= 0.01, "dist %d q %.4f: exact %llu got %llu (%.3f%%)", (int)d, qs[k],
                  (unsigned long long)exact, (unsigned long long)got, err * 100);
    }
    free(v);
    free(h);
}

Test(loadgen_hist, uniform)
{
    check_dist(D_UNIFORM, 1000000);
}
Test(loadgen_hist, exponential)
{
    check_dist(D_EXP, 1000000);
}
Test(loadgen_hist, lognormal)
{
    check_dist(D_LOGNORMAL, 1000000);
}
Test(loadgen_hist, pareto_heavy_tail)
{
    check_dist(D_PARETO, 1000000);
}
Test(loadgen_hist, constant)
{
    check_dist(D_CONST, 10000);
}
Test(loadgen_hist, bimodal_stall)
{
    check_dist(D_BIMODAL, 1000000);
}
Test(loadgen_hist, small_values_exact_region)
{
    check_dist(D_SMALL, 100000);
}
Test(loadgen_hist, full_64bit_range)
{
    check_dist(D_WIDE, 200000);
}

Test(loadgen_hist, bucket_bounds)
{
    rng_state = 7;
    for (int i = 0; i < 1000000; i++) {
        uint64_t v = rng_next() >> (rng_next() % 64);
        uint32_t idx = hist_index(v);
        cr_assert_lt(idx, HIST_BUCKETS);
        uint64_t lo = hist_bucket_lo(idx), hi = hist_bucket_hi(idx);
        cr_assert(lo <= v && v <= hi, "v %llu not in [%llu, %llu]", (unsigned long long)v,
                  (unsigned long long)lo, (unsigned long long)hi);
        cr_assert_leq((double)(hi - lo), (double)lo / 128.0);
    }
    cr_assert_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
    cr_assert_eq(hist_bucket_hi(HIST_BUCKETS - 1), UINT64_MAX);
    /* Buckets tile the line: each starts right after the previous one ends. */
    for (uint32_t i = 1; i < HIST_BUCKETS; i++) cr_assert_eq(hist_bucket_lo(i), hist_bucket_hi(i - 1) + 1);
}

Test(loadgen_hist, empty_and_merge)
{
    struct hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *all = malloc(sizeof *all);
    cr_assert(a && b && all);
    hist_init(a);
    hist_init(b);
    hist_init(all);
    cr_assert_eq(hist_quantile(a, 0.5), 0);
    cr_assert_eq(hist_mean(a), 0.0);
    rng_state = 9;
    for (int i = 0; i < 100000; i++) {
        uint64_t v = draw(D_LOGNORMAL);
        hist_record(i % 3 ? a : b, v);
        hist_record(all, v);
    }
    hist_merge(a, b);
    cr_assert_eq(a->count, all->count);
    cr_assert_eq(a->min, all->min);
    cr_assert_eq(a->max, all->max);
    for (double q = 0; q <= 1.0; q += 0.05) cr_assert_eq(hist_quantile(a, q), hist_quantile(all, q));
    hist_record_n(b, 5, 0);
    free(a);
    free(b);
    free(all);
}
