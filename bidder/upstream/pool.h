/* pool: filter mode's HTTP/1.1 client to the upstream bidders (issue 17), one per worker, on the worker's own
 * event loop: no thread hop and no blocking call on the request path. Each upstream gets a pool of
 * keep-alive connections (at most its `connections` per worker); a request fans out to several upstreams at
 * once (a fan-out), each call with its own deadline, and the fan-out's callback runs once every call has an
 * answer or has passed its deadline.
 *
 * Failure handling (everything bounded, nothing can stall the worker):
 *  - time: a call past its deadline is a timeout; its connection stays open only to read and discard the
 *    late answer (counted as late), for at most UP_LATE_MS more, and is reused after that;
 *  - size: an answer head over UP_MAX_HEAD or a body over UP_MAX_BODY closes the connection (an error);
 *  - malformed HTTP, a reset, a refused connect, 5xx: an error, the connection is closed;
 *  - a dead upstream: after UP_DOWN_AFTER consecutive failures (errors and timeouts) it is marked down and
 *    gets no calls but one probe (a real request) per back-off period, UP_BACKOFF_MIN_MS doubling to
 *    UP_BACKOFF_MAX_MS; the first success marks it up.
 * Addresses are resolved when a worker first sees an upstream: numeric hosts without a lookup; "localhost" or
 * an allow_remote name with evdns on the worker's own loop (never a blocking getaddrinfo on a worker), again
 * after a failed lookup (back-off 1 s doubling to 30 s) and when the upstream is marked down. Until a name
 * has an address its calls are not sent (UP_ERROR, counted as a connect error). A name without allow_remote
 * must resolve to a loopback address. */
#ifndef FAIRBID_BIDDER_UPSTREAM_POOL_H
#define FAIRBID_BIDDER_UPSTREAM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidder/upstream/stats.h"
#include "bidder/config/upstream_config.h"

#define UP_MAX_HEAD 16384
#define UP_MAX_BODY (1u << 20)
#define UP_LATE_MS 2500
#define UP_DOWN_AFTER 5
#define UP_BACKOFF_MIN_MS 100
#define UP_BACKOFF_MAX_MS 5000
#define UP_MAX_TARGETS 64 /* upstreams a worker has known (a reload's new ones are added) */

struct event_base;
struct up_pool;
struct up_fanout;

enum up_result {
    UP_PENDING = 0,
    UP_OK,      /* an HTTP answer (status, body below) */
    UP_TIMEOUT, /* no complete answer by the deadline */
    UP_ERROR,   /* connect refused, reset, malformed HTTP, oversized, 5xx */
    UP_DOWN,    /* the upstream is marked down: not sent */
    UP_BUSY,    /* all its connections of this worker are in use: not sent */
};

struct up_call {
    enum up_result result;
    int status;       /* HTTP status when UP_OK or a 5xx UP_ERROR */
    const char *body; /* UP_OK: the decoded body, valid until up_fanout_free */
    size_t body_len;
    const char *err; /* static text for UP_ERROR */
    uint64_t latency_ns;
    int target; /* index in the pool */
    struct up_stats *stats;
    /* internal */
    struct up_fanout *f;
    struct up_conn *conn;
    uint64_t deadline_ns, t_start_ns;
    bool retried; /* sent again once after a kept-alive connection failed before answering */
};

struct up_pool *up_pool_new(struct event_base *base);
void up_pool_free(struct up_pool *p);

/* The pool's index for this upstream (by id, url and connections), made on first use; -1 when the address
 * cannot be resolved or the table is full. */
int up_pool_target(struct up_pool *p, const struct upstream *u);

/* Calls back done(arg, f) once, from the event loop, when every call has its result. */
struct up_fanout *up_fanout_new(struct up_pool *p, void (*done)(void *arg, struct up_fanout *f), void *arg);
/* Adds a call: POST body[0..len) (copied) to the target, due within timeout_ms. Returns the call's index. */
int up_fanout_add(struct up_fanout *f, int target, const char *body, size_t len, int timeout_ms);
/* Sends what was added (those that cannot be sent get UP_DOWN / UP_BUSY / UP_ERROR at once). */
void up_fanout_start(struct up_fanout *f);
uint32_t up_fanout_n(const struct up_fanout *f);
struct up_call *up_fanout_call(struct up_fanout *f, uint32_t i);
/* Frees the fan-out; calls still open are abandoned (their connections read and discard the late answers). */
void up_fanout_free(struct up_fanout *f);

/* Whether the target is marked down (for /readyz and logs). */
bool up_pool_down(const struct up_pool *p, int target);

#endif
