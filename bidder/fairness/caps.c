/* fairness caps: cap counters (the rule the lease script applies in Redis), the lease reply check, and the
 * instance's token bookkeeping each sync. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

int fairness_cap_count_parse(const char *s, size_t n, int64_t *out)
{
    /* the rule of CAP_COUNT_LUA, which applies it inside Redis */
    if (n == 0 || n > 16 || (n > 1 && s[0] == '0')) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > FAIRNESS_CAP_MAX) return -1;
    *out = v;
    return 0;
}

int fairness_lease_check(long long got, long long remaining, int64_t want, int64_t cap)
{
    /* got = min(want, cap - used) clamped at 0; remaining = cap - used - got, with 0 <= used <= 1e15 */
    if (got < 0 || got > want || got > cap) return -1;
    if (remaining > cap - got || remaining < cap - got - FAIRNESS_CAP_MAX) return -1;
    return 0;
}

/* Cap bookkeeping before a sync: period roll-over, spend rate, how many tokens to ask for (0: none). */
int64_t fz_cap_want(int s, struct slot *sl, int64_t now)
{
    int64_t period = now / 1000 / (sl->cap.period_s > 0 ? sl->cap.period_s : 86400);
    if (period != sl->period) {
        /* tokens of the old period are spent against it or dropped: a new period starts from a clean lease */
        atomic_exchange(&F.caps[s].tokens, 0);
        sl->period = period;
        sl->exhausted = false;
        sl->remaining = -1;
        sl->local_granted = 0;
    }
    int64_t spent = atomic_load(&F.caps[s].spent);
    double used = (double)(spent - sl->last_spent);
    sl->last_spent = spent;
    sl->rate = 0.7 * sl->rate + 0.3 * used;
    int64_t held = atomic_load(&F.caps[s].tokens);
    if (sl->exhausted || sl->lease_inflight) return 0;
    if ((double)held > sl->rate * 4 + 2) return 0;
    int64_t maxw = sl->cap.bids / 20 > 1 ? sl->cap.bids / 20 : 1;
    int64_t want = (int64_t)(sl->rate * 8) + 4;
    if (want > maxw) want = maxw;
    return want;
}

void fz_cap_granted(int s, struct slot *sl, int64_t want, int64_t got, int64_t remaining)
{
    if (got > 0) atomic_fetch_add(&F.caps[s].tokens, got);
    sl->leased += got;
    sl->remaining = remaining;
    if (got < want && remaining <= 0) sl->exhausted = true;
}
