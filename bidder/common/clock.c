/* clock: the one external definition of each inline in clock.h (C99 inline model). */
#include "bidder/common/clock.h"

extern inline uint64_t fb_clock_ns(clockid_t id);
extern inline int64_t fb_clock_ms(clockid_t id);
extern inline uint64_t fb_clock_mono_ns(void);
extern inline int64_t fb_clock_mono_ms(void);
extern inline int64_t fb_clock_mono_coarse_ms(void);
extern inline int64_t fb_clock_wall_ms(void);
extern inline int64_t fb_clock_wall_coarse_ms(void);
extern inline uint64_t fb_clock_thread_cpu_ns(void);
