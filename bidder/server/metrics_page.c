/* metrics_page: GET /metrics: the server's own families (requests by status, decisions, connections, HTTP
 * limits, latency histograms, config and Redis state), then the mirror's, fairness's and audit's, all written
 * with bidder/obs/prom (HELP and TYPE for every family, escaped label values). Per-worker counters are summed
 * with relaxed loads: a scrape may be a few increments behind, never torn. */
#define _LGPL_SOURCE
#include <event2/buffer.h>
#include <stdatomic.h>
#include <stddef.h>
#include <urcu/urcu-memb.h>

#include "bidder/audit.h"
#include "bidder/fairness/fairness.h"
#include "bidder/consent/mirror.h"
#include "bidder/obs/prom.h"
#include "bidder/server/server_int.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "bidder/upstream/stats.h"
#include "filters/reasons.h"

#define SUM(field)                                                                                           \
    ({                                                                                                       \
        uint64_t s_ = 0;                                                                                     \
        for (int i_ = 0; i_ < G.nworkers; i_++)                                                              \
            s_ += atomic_load_explicit(&G.workers[i_].m.field, memory_order_relaxed);                        \
        s_;                                                                                                  \
    })

static void put_hist(struct evbuffer *o, const char *name, const char *help, size_t off)
{
    struct metrics_hist acc = {0};
    for (int i = 0; i < G.nworkers; i++)
        prom_hist_add(&acc, (const struct metrics_hist *)((const char *)&G.workers[i].m + off));
    prom_hist(o, name, help, &acc);
}

static uint64_t hs_sum(bool rejected)
{
    uint64_t v = 0;
    for (int i = 0; i < G.nworkers; i++)
        if (G.workers[i].hs) v += rejected ? hs_rejected(G.workers[i].hs) : hs_connections(G.workers[i].hs);
    return v;
}

void server_metrics_page(struct worker *w, struct hs_reply *rep)
{
    struct evbuffer *o = w->metrics_buf;
    evbuffer_drain(o, evbuffer_get_length(o));
    prom_family(o, "fairbid_build_info", PROM_GAUGE, "Build information.");
    prom_u64(o, "fairbid_build_info", PROM_L({"version", FAIRBID_VERSION}), 1);
    prom_family(o, "fairbid_http_requests_total", PROM_COUNTER, "HTTP requests answered, by status code.");
    /* this scrape itself is counted after it is written */
    for (int s = 0; s < MS__COUNT; s++)
        prom_u64(o, "fairbid_http_requests_total", PROM_L({"code", metrics_status_label[s]}),
                 SUM(requests[s]));
    prom_one_u64(o, "fairbid_bid_requests_total", PROM_COUNTER, "Bid requests received on /openrtb2/bid.",
                 SUM(bid_requests));
    prom_one_u64(o, "fairbid_bids_total", PROM_COUNTER, "Bids returned (one per winning imp).", SUM(bids));
    prom_one_u64(o, "fairbid_no_bids_total", PROM_COUNTER, "Parsed bid requests answered without a bid.",
                 SUM(no_bids));
    prom_family(o, "fairbid_decisions_total", PROM_COUNTER,
                "Imp x campaign decisions by outcome and reason.");
    uint64_t by_class[REASON_CLASS__COUNT] = {0};
    for (int r = 0; r < REASON__COUNT; r++) {
        uint64_t v = SUM(decisions[r]);
        by_class[reason_class(r)] += v;
        prom_u64(o, "fairbid_decisions_total",
                 PROM_L({"outcome", r == REASON_BID ? "bid" : "drop"}, {"reason", reason_name(r)}), v);
    }
    prom_family(o, "fairbid_decisions_by_class_total", PROM_COUNTER,
                "Imp x campaign decisions by reason class (the class column of reasons.def).");
    for (int k = 0; k < REASON_CLASS__COUNT; k++)
        prom_u64(o, "fairbid_decisions_by_class_total", PROM_L({"class", reason_class_name(k)}), by_class[k]);
    prom_one_u64(o, "fairbid_requests_in_flight", PROM_GAUGE, "Bid requests being processed.",
                 SUM(in_flight));
    prom_one_u64(o, "fairbid_connections", PROM_GAUGE, "Open client connections.", hs_sum(false));
    prom_one_u64(o, "fairbid_connections_rejected_total", PROM_COUNTER,
                 "Connections refused by max_connections.", hs_sum(true));
    struct hs_shared *hsh = &G.hs_shared;
    prom_one_u64(o, "fairbid_http_buffered_bytes", PROM_GAUGE,
                 "Request input buffered beyond each connection's first 16 KiB, all connections (cap: "
                 "max_buffered_bytes).",
                 atomic_load(&hsh->buffered));
    prom_one_u64(o, "fairbid_http_output_bytes", PROM_GAUGE,
                 "Replies held for clients across connections (cap: max_output_bytes).",
                 atomic_load(&hsh->output));
    prom_one_u64(o, "fairbid_http_busy_rejected_total", PROM_COUNTER,
                 "Request bodies answered 503 because max_buffered_bytes was reached.",
                 atomic_load(&hsh->busy_rejected));
    prom_one_u64(o, "fairbid_http_request_timeouts_total", PROM_COUNTER,
                 "Requests answered 408: not complete within read_timeout_ms of their first byte.",
                 atomic_load(&hsh->timeouts));
    prom_one_u64(o, "fairbid_http_write_timeouts_total", PROM_COUNTER,
                 "Connections cut because the client did not read its replies within write_timeout_ms.",
                 atomic_load(&hsh->write_timeouts));
    prom_one_u64(
        o, "fairbid_accept_fd_exhausted_total", PROM_COUNTER,
        "accept() failures for lack of file descriptors (EMFILE, ENFILE) or kernel memory; accepting "
        "pauses briefly after each.",
        atomic_load(&hsh->fd_exhausted));
    put_hist(o, "fairbid_request_duration_seconds",
             "Bid request latency, from the read that completed the request to the response written to the "
             "socket.",
             offsetof(struct metrics_worker, request_latency));
    put_hist(o, "fairbid_decision_duration_seconds", "Parse + decide + serialize time per bid request.",
             offsetof(struct metrics_worker, decision_latency));
    urcu_memb_read_lock();
    const struct config *pcfg = rcu_dereference(G.cfg);
    const char *psrc = pcfg ? config_policy_source_name(pcfg->policy_source) : NULL; /* static strings */
    urcu_memb_read_unlock();
    if (psrc) {
        prom_family(o, "fairbid_policy_info", PROM_GAUGE,
                    "Where the sensitive-category policy in use comes from (builtin, file, or none: no "
                    "sensitive-category rules).");
        prom_u64(o, "fairbid_policy_info", PROM_L({"source", psrc}), 1);
    }
    prom_one_u64(o, "fairbid_config_generation", PROM_GAUGE,
                 "Config generation in use (1 at start, +1 per reload).", atomic_load(&G.generation_done));
    prom_family(o, "fairbid_config_reloads_total", PROM_COUNTER, "Config reloads by result.");
    prom_u64(o, "fairbid_config_reloads_total", PROM_L({"result", "ok"}), atomic_load(&G.reloads_ok));
    prom_u64(o, "fairbid_config_reloads_total", PROM_L({"result", "failed"}), atomic_load(&G.reloads_failed));
    prom_one_u64(o, "fairbid_redis_up", PROM_GAUGE, "Whether the control-plane Redis connection is up.",
                 store_state() == STORE_UP);
    prom_one_u64(o, "fairbid_redis_reconnects_total", PROM_COUNTER, "Redis connections established.",
                 store_reconnects());
    prom_one_double(o, "fairbid_uptime_seconds", PROM_GAUGE, "Seconds since start.",
                    (double)(fb_clock_mono_ms() - G.started_ms) / 1000.0);
    mirror_metrics(o);
    fairness_metrics(o);
    audit_metrics(o);
    up_stats_metrics(o);
    redis_links_metrics(o);
    rep->status = 200;
    rep->ctype = "text/plain; version=0.0.4; charset=utf-8";
    rep->len = evbuffer_get_length(o);
    rep->body = (const char *)evbuffer_pullup(o, -1);
}
