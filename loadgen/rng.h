/* rng: a small seeded generator (splitmix64) so every run with the same --seed draws the same traffic and the
 * same competing prices. Not for anything that needs unpredictability. */
#ifndef FAIRBID_LOADGEN_RNG_H
#define FAIRBID_LOADGEN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
    uint64_t s;
};

static inline uint64_t rng_u64(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static inline double rng_unit(struct rng *r)
{
    return ((double)(rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n ? rng_u64(r) % n : 0;
}

static inline int rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Standard normal (Box-Muller, one of the pair). */
static inline double rng_normal(struct rng *r)
{
    double u1 = rng_unit(r), u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* A stream for item `index` of a run seeded with `seed`: independent of how many draws other items made, so
 * request k is the same whatever the pool size or thread count. */
static inline struct rng rng_for(uint64_t seed, uint64_t index)
{
    struct rng r = {seed * 0xD1B54A32D192ED03ull ^ (index + 1) * 0x9E3779B97F4A7C15ull};
    (void)rng_u64(&r);
    return r;
}

#endif
