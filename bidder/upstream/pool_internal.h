/* pool internals: the state pool.c (connections, fan-outs) and target.c (the target table, resolution,
 * health and back-off) share. Single-threaded: one pool per worker, used only on that worker's loop. Not part
 * of any other module's interface. */
#ifndef FAIRBID_BIDDER_UPSTREAM_POOL_INTERNAL_H
#define FAIRBID_BIDDER_UPSTREAM_POOL_INTERNAL_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "bidder/http/http_parse.h"
#include "bidder/http/http_resp.h"
#include "bidder/upstream/pool.h"

enum conn_state {
    C_CONNECTING, /* non-blocking connect under way; the call's request waits in out */
    C_IDLE,       /* connected, keep-alive, no call */
    C_BUSY,       /* a call's request written or being written, its answer being read */
    C_LATE,       /* its call passed the deadline: reading the answer only to discard it */
    C_HELD,       /* the answer is complete and its body lent to the fan-out until up_fanout_free */
};

struct up_conn {
    struct up_pool *p;
    int t; /* target index */
    int fd;
    struct event *rev, *wev;
    enum conn_state st;
    bool writing, used;
    char *out;
    size_t out_off, out_len, out_cap;
    char *in;
    size_t in_len, in_cap;
    struct hr_response hr;
    bool have_head;
    struct hp_chunked ck;
    struct up_call *call;
    struct up_conn *next;
};

struct up_target {
    char id[UPSTREAM_ID_MAX];
    char url[UPSTREAM_URL_MAX];
    char hostport[URL_MAX_HOST + 8];
    char path[URL_MAX_PATH];
    /* every request's head up to the Content-Length value, written once (no snprintf per request) */
    char head[URL_MAX_PATH + URL_MAX_HOST + 128];
    size_t head_len;
    struct sockaddr_storage addr;
    socklen_t alen; /* 0 while a host name is not resolved (yet): its calls are not sent */
    /* a host name, resolved on the worker's loop with evdns (never a blocking getaddrinfo on a worker):
     * again after a failed lookup (back-off) and when the target is marked down (the name may have moved) */
    struct up_pool *pool;
    char host[URL_MAX_HOST];
    int port;
    bool named, allow_remote;
    struct evdns_getaddrinfo_request *lookup; /* the lookup under way, if any */
    uint64_t lookup_after_ns;                 /* a failed lookup: the next one not before */
    int lookup_backoff_ms;
    int max_conns, nconns;
    struct up_conn *conns;
    int fails;
    bool down, probing;
    uint64_t down_until_ns;
    int backoff_ms;
    struct up_stats *stats;
};

struct evdns_base;
struct evdns_getaddrinfo_request;

struct up_pool {
    struct event_base *base;
    struct evdns_base *dns; /* made with the first upstream named by a host name */
    struct up_target t[UP_MAX_TARGETS];
    int nt;
};

struct up_fanout {
    struct up_pool *p;
    void (*done)(void *arg, struct up_fanout *f);
    void *arg;
    struct event *timer;
    uint32_t n, pending;
    bool started, done_called;
    struct up_call calls[UPSTREAM_MAX];
};

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* target.c: a call to t may be sent at now (ns): true when it is up, or down and due for its one probe (then
 * marked probing) */
bool up_target_admit(struct up_target *t, uint64_t now);
/* a call to t answered / failed (error or timeout): its health and back-off */
void up_target_ok(struct up_target *t);
void up_target_fail(struct up_target *t);
/* target.c: cancels the lookups under way (running the loop once so their cancel callbacks free them) and
 * frees the resolver (up_pool_free, after the worker's loop has ended and the pool's connections are gone) */
void up_targets_free(struct up_pool *p);

#endif
