/* stats: see stats.h. */
#include "bidder/upstream/stats.h"

#include <event2/buffer.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

#define LD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static void counter(struct evbuffer *o, const char *name, const char *help)
{
    evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

void up_stats_metrics(struct evbuffer *o)
{
    uint32_t n = atomic_load_explicit(&ntable, memory_order_acquire);
    if (!n) return;
    counter(o, "fairbid_upstream_forwarded_total", "Bid requests forwarded to the upstream (scrubbed).");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_forwarded_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].forwarded));
    counter(o, "fairbid_upstream_not_forwarded_total",
            "Bid requests not forwarded to the upstream, by reason.");
    for (uint32_t i = 0; i < n; i++)
        for (int r = 0; r < REASON__COUNT; r++)
            if (LD(table[i].not_forwarded[r]))
                evbuffer_add_printf(
                    o, "fairbid_upstream_not_forwarded_total{upstream=\"%s\",reason=\"%s\"} %llu\n",
                    table[i].id, reason_name(r), LD(table[i].not_forwarded[r]));
    counter(o, "fairbid_upstream_fields_removed_total",
            "Fields removed from requests forwarded to the upstream, by reason.");
    for (uint32_t i = 0; i < n; i++)
        for (int r = 0; r < REASON__COUNT; r++)
            if (LD(table[i].removed[r]))
                evbuffer_add_printf(
                    o, "fairbid_upstream_fields_removed_total{upstream=\"%s\",reason=\"%s\"} %llu\n",
                    table[i].id, reason_name(r), LD(table[i].removed[r]));
    counter(o, "fairbid_upstream_timeouts_total",
            "Calls with no complete answer within min(timeout_ms, tmax - tmax_margin_ms).");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_timeouts_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].timeouts));
    counter(o, "fairbid_upstream_late_answers_total", "Answers that arrived after their deadline (dropped).");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_late_answers_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].late));
    counter(o, "fairbid_upstream_busy_total",
            "Requests not sent because all the worker's connections to the upstream were in use.");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_busy_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].busy));
    counter(o, "fairbid_upstream_errors_total",
            "Failed calls, by kind (connect, reset, http: malformed answer, oversized, 5xx, status: other).");
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < UP_E__N; k++)
            evbuffer_add_printf(o, "fairbid_upstream_errors_total{upstream=\"%s\",kind=\"%s\"} %llu\n",
                                table[i].id, up_err_kind_name(k), LD(table[i].errors[k]));
    counter(o, "fairbid_upstream_answers_total",
            "HTTP answers read in time, by what they were (bid: a BidResponse; no_bid: 204 or empty; "
            "malformed: not a BidResponse fairbid can check).");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o,
                            "fairbid_upstream_answers_total{upstream=\"%s\",kind=\"bid\"} %llu\n"
                            "fairbid_upstream_answers_total{upstream=\"%s\",kind=\"no_bid\"} %llu\n"
                            "fairbid_upstream_answers_total{upstream=\"%s\",kind=\"malformed\"} %llu\n",
                            table[i].id, LD(table[i].answers), table[i].id, LD(table[i].no_bids), table[i].id,
                            LD(table[i].malformed));
    counter(o, "fairbid_upstream_bids_total", "Bids received from the upstream in time.");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_bids_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].bids));
    counter(o, "fairbid_upstream_bids_passed_total", "Upstream bids passed to the exchange.");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_bids_passed_total{upstream=\"%s\"} %llu\n", table[i].id,
                            LD(table[i].bids_passed));
    counter(o, "fairbid_upstream_bids_dropped_total", "Upstream bids dropped, by reason (reasons.def).");
    for (uint32_t i = 0; i < n; i++)
        for (int r = 0; r < REASON__COUNT; r++)
            if (LD(table[i].bids_dropped[r]))
                evbuffer_add_printf(
                    o, "fairbid_upstream_bids_dropped_total{upstream=\"%s\",reason=\"%s\"} %llu\n",
                    table[i].id, reason_name(r), LD(table[i].bids_dropped[r]));
    counter(o, "fairbid_upstream_win_notices_total",
            "Win and billing notices for upstream bids, by what became of the forward (forwarded, failed, "
            "refused: not loopback without allow_remote or unknown upstream, queue_full).");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(
            o,
            "fairbid_upstream_win_notices_total{upstream=\"%s\",result=\"forwarded\"} %llu\n"
            "fairbid_upstream_win_notices_total{upstream=\"%s\",result=\"failed\"} %llu\n"
            "fairbid_upstream_win_notices_total{upstream=\"%s\",result=\"refused\"} %llu\n"
            "fairbid_upstream_win_notices_total{upstream=\"%s\",result=\"queue_full\"} %llu\n",
            table[i].id, LD(table[i].wins_forwarded), table[i].id, LD(table[i].wins_failed), table[i].id,
            LD(table[i].wins_refused), table[i].id, LD(table[i].wins_queue_full));
    evbuffer_add_printf(o,
                        "# HELP fairbid_upstream_down Whether the upstream is marked down on some worker.\n"
                        "# TYPE fairbid_upstream_down gauge\n");
    for (uint32_t i = 0; i < n; i++)
        evbuffer_add_printf(o, "fairbid_upstream_down{upstream=\"%s\"} %d\n", table[i].id,
                            atomic_load_explicit(&table[i].down, memory_order_relaxed) > 0);
    const char *hn = "fairbid_upstream_latency_seconds";
    evbuffer_add_printf(o,
                        "# HELP %s Time from sending a request to the upstream to its complete answer.\n"
                        "# TYPE %s histogram\n",
                        hn, hn);
    for (uint32_t i = 0; i < n; i++) {
        struct metrics_hist *h = &table[i].latency;
        uint64_t cum = 0;
        for (int b = 0; b <= METRICS_NBUCKETS; b++) {
            cum += LD(h->b[b]);
            if (b < METRICS_NBUCKETS)
                evbuffer_add_printf(o, "%s_bucket{upstream=\"%s\",le=\"%g\"} %llu\n", hn, table[i].id,
                                    metrics_bucket_le[b], (unsigned long long)cum);
            else
                evbuffer_add_printf(o, "%s_bucket{upstream=\"%s\",le=\"+Inf\"} %llu\n", hn, table[i].id,
                                    (unsigned long long)cum);
        }
        evbuffer_add_printf(o, "%s_sum{upstream=\"%s\"} %.9f\n%s_count{upstream=\"%s\"} %llu\n", hn,
                            table[i].id, (double)LD(h->sum_ns) / 1e9, hn, table[i].id,
                            (unsigned long long)cum);
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
