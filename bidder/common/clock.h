/* clock: the process's clocks, one definition each (issue 16: there were 15 copies). Used by bidder/,
 * loadgen/, bench/ and tests/; never by filters/, which is handed the time (decide_env.now_ms) so it stays
 * pure.
 *
 * The functions are C99 `inline` so the hot paths (a request's timing, the engine's clock) pay no call;
 * clock.c holds the one external definition of each for a call the compiler chooses not to inline.
 *
 * Which clock: monotonic for durations, timeouts and ages (never jumps); wall (CLOCK_REALTIME) only for what
 * is compared with other machines or written down (audit records, consent ages, fairness windows in Redis);
 * the coarse forms (vDSO, ~5 ns against ~25, resolution one tick, typically 1-4 ms) where a tick of error is
 * accounted for; thread CPU time in the benchmarks, so time spent preempted by the machine's other tenants
 * stays out of the figures. */
#ifndef FAIRBID_COMMON_CLOCK_H
#define FAIRBID_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock `id` in nanoseconds; the named clocks below are this or fb_clock_ms on one id */
inline uint64_t fb_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* clock `id` in milliseconds */
inline int64_t fb_clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in nanoseconds */
inline uint64_t fb_clock_mono_ns(void)
{
    return fb_clock_ns(CLOCK_MONOTONIC);
}

/* CLOCK_MONOTONIC in milliseconds */
inline int64_t fb_clock_mono_ms(void)
{
    return fb_clock_ms(CLOCK_MONOTONIC);
}

/* CLOCK_MONOTONIC_COARSE in milliseconds: callers subtract its resolution where it bounds a guarantee */
inline int64_t fb_clock_mono_coarse_ms(void)
{
    return fb_clock_ms(CLOCK_MONOTONIC_COARSE);
}

/* CLOCK_REALTIME in milliseconds since the epoch */
inline int64_t fb_clock_wall_ms(void)
{
    return fb_clock_ms(CLOCK_REALTIME);
}

/* CLOCK_REALTIME_COARSE in milliseconds since the epoch */
inline int64_t fb_clock_wall_coarse_ms(void)
{
    return fb_clock_ms(CLOCK_REALTIME_COARSE);
}

/* CLOCK_THREAD_CPUTIME_ID in nanoseconds: the calling thread's CPU time (benchmarks) */
inline uint64_t fb_clock_thread_cpu_ns(void)
{
    return fb_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

#endif
