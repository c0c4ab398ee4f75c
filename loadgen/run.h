/* run: the load engine. One thread per --threads, each with its own event_base, its share of the connections
 * and, in open loop, its share of one global schedule: request k of the run is due at t0 + k / rate, and
 * thread i owns every k with k mod threads == i. Latency is measured from that due time, not from when the
 * request went out, so a stalled server cannot slow the schedule down and hide its stall (coordinated
 * omission). Near each deadline a thread busy-polls its sockets instead of sleeping, so sends leave within
 * microseconds of their due time; the report gives the residual error. */
#ifndef FAIRBID_LOADGEN_RUN_H
#define FAIRBID_LOADGEN_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "loadgen/exchange.h"
#include "loadgen/hist.h"
#include "loadgen/http.h"
#include "loadgen/traffic.h"

#define RUN_MAX_THREADS 64
#define RUN_MAX_CONNECTIONS 10000
#define RUN_MAX_TARGETS 64
#define RUN_MAX_SECONDS 86400 /* the longest run we accept */
#define RUN_MAX_STATUS 600

struct run_target {
    struct hp_url url;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char head[HP_URL_MAX_PATH + HP_URL_MAX_HOST + 256]; /* request line and fixed headers, up to the tail */
    size_t head_len;
};

struct run_cfg {
    const struct run_target *targets;
    unsigned ntargets;
    const struct traffic *traffic;
    unsigned threads, connections;
    double rate; /* requests per second for the whole run; 0 = closed loop (--max) */
    uint64_t duration_ns, warmup_ns, timeout_ns;
    uint64_t max_requests; /* measured requests, 0 = no limit */
    uint64_t spin_ns;      /* busy-poll this long before each deadline */
    bool busy_poll;        /* also busy-poll while requests are in flight (see docs/loadgen.md) */
    bool exchange;
    bool allow_remote; /* for win-notice hosts */
    struct exch_compete compete;
    uint64_t seed;
    atomic_int *stop; /* set to 1 (SIGINT) to end early; the report covers what ran */
};

struct run_second {
    uint64_t n;
    struct hist *h; /* allocated when the second first sees a response */
};

struct run_stats {
    struct hist lat;   /* measured responses: ns from due time (open loop) or send time (closed loop) */
    struct hist sched; /* open loop: ns from due time to send, for sends not held back by busy connections */
    struct hist wake;  /* open loop: ns from the end a sleep asked for to the thread running again, when its
                          timer ended it (the sleep ends --spin-us before a due time) */
    uint64_t status[RUN_MAX_STATUS];
    uint64_t sent, completed, measured_sent;
    uint64_t queued; /* open loop: due while every connection of the thread was busy */
    uint64_t unsent; /* open loop: due before the end but never sent */
    uint64_t err_connect, err_io, err_parse, timeouts, unfinished;
    uint64_t retried; /* sent again after a reused connection closed before any byte of the answer */
    uint64_t bids, nobids, bids_total, wins;
    /* Measured requests by the demographic group of the user they carried: sent, and answered 200/204. The
     * answered ones are the population every group's bid and win rates are measured against (fairness tests).
     */
    uint64_t group_sent[GEN_NGROUPS], group_answered[GEN_NGROUPS];
    uint64_t notices_sent, notices_ok, notices_failed, notices_refused, notices_dropped;
    uint64_t loss_notices; /* of notices_sent: loss notices (the bid's lurl), not wins */
    uint64_t bytes_out, bytes_in;
    struct run_second *secs;
    uint32_t nsecs;
    struct exch_tally *tally;
    uint64_t t0_ns, measure_start_ns, measure_end_ns, end_ns; /* CLOCK_MONOTONIC */
    double window_s;                                          /* measured window actually covered */
};

/* Runs one phase to completion (or *stop). Fills out (caller's storage, zeroed by run_phase), merged over the
 * threads. on_measure_start, when set, is called on the calling thread once the warm-up ends (for CPU
 * samples). Returns 0, or -1 with a message in err when set-up fails (no connection could be made). */
int run_phase(const struct run_cfg *cfg, struct run_stats *out, void (*on_measure_start)(void *), void *arg,
              char *err, size_t errcap);
void run_stats_fini(struct run_stats *s);

#endif
