/* stats: see stats.h. */
#include "bidder/upstream/stats.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bidder/obs/prom.h"

static struct up_stats table[UP_STATS_MAX];
static _Atomic uint32_t ntable;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

struct up_stats *up_stats_get(const char *id)
{
    uint32_t n = atomic_load_explicit(&ntable, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(table[i].id, id)) return &table[i];
    pthread_mutex_lock(&mu);
    struct up_stats *s = NULL;
    n = atomic_load_explicit(&ntable, memory_order_relaxed);
    for (uint32_t i = 0; i < n && !s; i++)
        if (!strcmp(table[i].id, id)) s = &table[i];
    if (!s && n < UP_STATS_MAX) {
        s = &table[n];
        snprintf(s->id, sizeof s->id, "%s", id);
        atomic_store_explicit(&ntable, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&mu);
    return s;
}

const char *up_err_kind_name(int k)
{
    static const char *const names[UP_E__N] = {"connect", "reset", "http", "oversized", "5xx", "status"};
    return k >= 0 && k < UP_E__N ? names[k] : "other";
}

#define LD(x) ((uint64_t)atomic_load_explicit(&(x), memory_order_relaxed))

/* One counter per upstream. */
static void per_up(struct evbuffer *o, uint32_t n, const char *name, const char *help, size_t off)
{
    prom_family(o, name, PROM_COUNTER, help);
    for (uint32_t i = 0; i < n; i++)
        prom_u64(o, name, PROM_L({"upstream", table[i].id}),
                 LD(*(_Atomic uint64_t *)((char *)&table[i] + off)));
}

/* One counter per upstream and reason, the reasons seen (non-zero) only. */
static void per_reason(struct evbuffer *o, uint32_t n, const char *name, const char *help, size_t off)
{
    prom_family(o, name, PROM_COUNTER, help);
    for (uint32_t i = 0; i < n; i++) {
        _Atomic uint64_t *v = (_Atomic uint64_t *)((char *)&table[i] + off);
        for (int r = 0; r < REASON__COUNT; r++)
            if (LD(v[r]))
                prom_u64(o, name, PROM_L({"upstream", table[i].id}, {"reason", reason_name(r)}), LD(v[r]));
    }
}

void up_stats_metrics(struct evbuffer *o)
{
    uint32_t n = atomic_load_explicit(&ntable, memory_order_acquire);
    if (!n) return;
    per_up(o, n, "fairbid_upstream_forwarded_total", "Bid requests forwarded to the upstream (scrubbed).",
           offsetof(struct up_stats, forwarded));
    per_reason(o, n, "fairbid_upstream_not_forwarded_total",
               "Bid requests not forwarded to the upstream, by reason (reasons.def).",
               offsetof(struct up_stats, not_forwarded));
    per_reason(o, n, "fairbid_upstream_fields_removed_total",
               "Fields removed from (or truncated in) requests forwarded to the upstream, by reason.",
               offsetof(struct up_stats, removed));
    per_up(o, n, "fairbid_upstream_timeouts_total",
           "Calls with no complete answer within min(timeout_ms, tmax - tmax_margin_ms).",
           offsetof(struct up_stats, timeouts));
    per_up(o, n, "fairbid_upstream_late_answers_total",
           "Answers that arrived after their deadline (dropped).", offsetof(struct up_stats, late));
    per_up(o, n, "fairbid_upstream_busy_total",
           "Requests not sent because all the worker's connections to the upstream were in use.",
           offsetof(struct up_stats, busy));
    const char *en = "fairbid_upstream_errors_total";
    prom_family(
        o, en, PROM_COUNTER,
        "Failed calls, by kind (connect, reset, http: a malformed answer, oversized, 5xx, status: another "
        "non-2xx).");
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < UP_E__N; k++)
            prom_u64(o, en, PROM_L({"upstream", table[i].id}, {"kind", up_err_kind_name(k)}),
                     LD(table[i].errors[k]));
    const char *an = "fairbid_upstream_answers_total";
    prom_family(
        o, an, PROM_COUNTER,
        "HTTP answers read in time, by what they were (bid: a BidResponse; no_bid: 204 or empty; malformed: "
        "not a BidResponse fairbid can check, response.malformed).");
    for (uint32_t i = 0; i < n; i++) {
        prom_u64(o, an, PROM_L({"upstream", table[i].id}, {"kind", "bid"}), LD(table[i].answers));
        prom_u64(o, an, PROM_L({"upstream", table[i].id}, {"kind", "no_bid"}), LD(table[i].no_bids));
        prom_u64(o, an, PROM_L({"upstream", table[i].id}, {"kind", "malformed"}), LD(table[i].malformed));
    }
    per_up(o, n, "fairbid_upstream_bids_total", "Bids received from the upstream in time.",
           offsetof(struct up_stats, bids));
    per_up(o, n, "fairbid_upstream_bids_passed_total", "Upstream bids passed to the exchange.",
           offsetof(struct up_stats, bids_passed));
    per_reason(o, n, "fairbid_upstream_bids_dropped_total", "Upstream bids dropped, by reason (reasons.def).",
               offsetof(struct up_stats, bids_dropped));
    const char *wn = "fairbid_upstream_win_notices_total";
    prom_family(
        o, wn, PROM_COUNTER,
        "Win and billing notices of upstream bids, by what became of the forward (forwarded: a 2xx; failed; "
        "refused: not the upstream's own loopback address, or remote without allow_remote; queue_full).");
    for (uint32_t i = 0; i < n; i++) {
        prom_u64(o, wn, PROM_L({"upstream", table[i].id}, {"result", "forwarded"}),
                 LD(table[i].wins_forwarded));
        prom_u64(o, wn, PROM_L({"upstream", table[i].id}, {"result", "failed"}), LD(table[i].wins_failed));
        prom_u64(o, wn, PROM_L({"upstream", table[i].id}, {"result", "refused"}), LD(table[i].wins_refused));
        prom_u64(o, wn, PROM_L({"upstream", table[i].id}, {"result", "queue_full"}),
                 LD(table[i].wins_queue_full));
    }
    const char *dn = "fairbid_upstream_down";
    prom_family(o, dn, PROM_GAUGE, "Whether the upstream is marked down (on any worker).");
    for (uint32_t i = 0; i < n; i++)
        prom_u64(o, dn, PROM_L({"upstream", table[i].id}),
                 atomic_load_explicit(&table[i].down, memory_order_relaxed) > 0);
    const char *hn = "fairbid_upstream_latency_seconds";
    prom_family(o, hn, PROM_HISTOGRAM, "Time from sending a request to the upstream to its complete answer.");
    char name_b[64], name_s[64], name_c[64];
    snprintf(name_b, sizeof name_b, "%s_bucket", hn);
    snprintf(name_s, sizeof name_s, "%s_sum", hn);
    snprintf(name_c, sizeof name_c, "%s_count", hn);
    for (uint32_t i = 0; i < n; i++) {
        struct metrics_hist *h = &table[i].latency;
        uint64_t cum = 0;
        for (int b = 0; b <= METRICS_NBUCKETS; b++) {
            cum += LD(h->b[b]);
            char le[32];
            if (b < METRICS_NBUCKETS)
                snprintf(le, sizeof le, "%g", metrics_bucket_le[b]);
            else
                snprintf(le, sizeof le, "+Inf");
            prom_u64(o, name_b, PROM_L({"upstream", table[i].id}, {"le", le}), cum);
        }
        prom_double(o, name_s, PROM_L({"upstream", table[i].id}), (double)LD(h->sum_ns) / 1e9);
        prom_u64(o, name_c, PROM_L({"upstream", table[i].id}), cum);
    }
}

void up_stats_observe(struct up_stats *s, uint64_t ns)
{
    int i = 0;
    while (i < METRICS_NBUCKETS && (double)ns > metrics_bucket_le[i] * 1e9) i++;
    atomic_fetch_add_explicit(&s->latency.b[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->latency.sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->latency.count, 1, memory_order_relaxed);
}
