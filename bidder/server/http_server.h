/* http_server: the native HTTP/1.1 server of one worker (http_conn.c, http_out.c, http_accept.c), on the
 * worker's libevent event_base.
 *
 * Why not evhttp: measured on these machines (bench/RESULTS.md §4), evhttp spends 5 system calls per
 * keep-alive request (readv, ioctl FIONREAD, writev and two epoll_ctl to arm and disarm write interest, the
 * reply being written one loop turn later) plus a dozen mallocs for the request, its header lists and
 * buffers. At ~1 µs per syscall that fixed cost was most of a request. Here a request costs one read() and
 * one write() (the reply is written in place, at once; write interest is armed only when the socket is full),
 * the head is parsed in the connection's buffer without copies, and a connection allocates its buffers once.
 * evhttp was the transport before this server and its reference until issue 16 removed it.
 *
 * The handler runs synchronously and fills an hs_reply; pipelined requests are answered in order, in one
 * write. Every resource a client can make us hold is bounded (issue 13, docs/http.md "Limits"):
 *  - time: a request has read_timeout_ms from its first byte for its head and body together (then 408 and
 *    close; reads do not extend it); a keep-alive connection idle for idle_timeout_ms is closed; a lingering
 *    close (after an error reply, draining what the client still sends) lasts HS_LINGER_MS in all; a client
 *    that makes no room for its replies within write_timeout_ms is cut;
 *  - file descriptors: a connection over max_connections is answered 503 and closed at once, so open fds
 *    stay within max_connections plus one per worker; on EMFILE/ENFILE the worker stops accepting for
 *    HS_ACCEPT_BACKOFF_MS, sheds one waiting connection with 503 through a reserved fd, logs once per 10 s
 *    and counts it;
 *  - memory: input buffered beyond each connection's first HS_IN_INIT (16 KiB) is capped across all
 *    connections (max_buffered; a body that would need more gets 503, a request admitted finishes), and so
 *    are replies held for clients that do not read (per connection and in total: the
 *    connection's later pipelined requests wait until the client drains);
 *  - CPU: the head and chunked parsers resume where they stopped (bidder/http/http_parse.h); a connection
 *    gets at most HS_BATCH (32) answers per turn of the loop, so a long pipeline does not hold the worker
 *    while others (and new connections) wait. */
#ifndef FAIRBID_BIDDER_SERVER_HTTP_SERVER_H
#define FAIRBID_BIDDER_SERVER_HTTP_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidder/http/http_parse.h"

struct event_base;
struct hs_server;

struct hs_request {
    const struct hp_request *head;
    const char *body; /* NUL-terminated; valid until the handler returns */
    size_t body_len;
    uint64_t t_first_ns;  /* CLOCK_MONOTONIC of the read that brought the request's first byte */
    struct hs_conn *conn; /* for a deferred reply (hs_reply.defer): hs_resume(conn, ...) answers later */
};

struct hs_reply {
    int status;
    const char *ctype;         /* NULL: no Content-Type */
    const char *extra_headers; /* "Name: value\r\n"..., or NULL */
    /* strlen(ctype) and strlen(extra_headers) when the handler knows them (a literal: the bid path), else 0
     * and the server measures them; whoever sets ctype or extra_headers sets these to match, or to 0 */
    size_t ctype_len, extra_len;
    const char *body;
    size_t len;
    bool close; /* close the connection after this reply */
    bool timed; /* report the request latency through on_sent once the reply is on the socket */
    /* The handler will answer later (filter mode waits for its upstreams on the same event loop): no reply
     * is written now, the connection's later pipelined requests wait, and hs_resume(req->conn, &reply)
     * answers, once, on the worker's thread. If the connection closes first (the client went away),
     * cancel(cancel_arg) is called instead and the handler must not call hs_resume. The handler must copy
     * what it keeps of the request: the body is valid only during the call. */
    bool defer;
    void (*cancel)(void *arg);
    void *cancel_arg;
};

struct hs_conn;
/* Answers a deferred request (see hs_reply.defer), on the worker's thread. */
void hs_resume(struct hs_conn *c, const struct hs_reply *rep);

struct hs_config {
    size_t max_head;
    size_t max_body;
    int read_timeout_ms;      /* a request begun must be complete within */
    int idle_timeout_ms;      /* a keep-alive connection without a request begun is closed after */
    int write_timeout_ms;     /* a client must make room for its replies within */
    uint32_t max_connections; /* for this worker */
    size_t max_conn_output;   /* replies queued on one connection before its next requests wait */
    /* shared by all the workers' servers (may be NULL: no cap); the caps are totals across them */
    struct hs_shared *shared;
    /* fills *rep; must not keep req past the call */
    void (*handler)(void *arg, const struct hs_request *req, struct hs_reply *rep);
    /* a timed reply was written: latency from the request's first byte to the write */
    void (*on_sent)(void *arg, uint64_t latency_ns);
    /* an error reply the server made itself (400, 408, 413, 431, 501, 503, 505), for the status counters */
    void (*on_error)(void *arg, int status);
    void *arg;
};

/* Totals across workers, and the caps on them. */
struct hs_shared {
    size_t max_buffered; /* input buffer bytes beyond each connection's first 16 KiB, all connections */
    size_t max_output;   /* output buffer bytes, all connections */
    _Atomic uint64_t buffered, output;
    _Atomic uint64_t busy_rejected;  /* 503: a body over max_buffered */
    _Atomic uint64_t fd_exhausted;   /* accept failed with EMFILE/ENFILE (or ENOBUFS/ENOMEM) */
    _Atomic uint64_t timeouts;       /* 408 for an incomplete request */
    _Atomic uint64_t write_timeouts; /* clients cut for not reading */
    _Atomic int64_t last_fd_log_ms;
};

struct hs_server *hs_new(struct event_base *base, int listen_fd, const struct hs_config *cfg);
void hs_free(struct hs_server *s);
/* Writes the replies that this turn of the event loop's reads queued. The owner of the loop calls it after
 * each turn (event_base_loop with EVLOOP_ONCE): one burst of sends per turn wakes the clients' threads once
 * instead of once per connection. */
void hs_flush(struct hs_server *s);
/* New timeouts (a config reload): new connections get them, open ones at their next read or write arming.
 * On the worker's thread. */
void hs_set_timeouts(struct hs_server *s, int read_ms, int idle_ms, int write_ms);

/* Stops accepting and starts draining: idle connections close once idle for quiet_ms, every reply from now
 * on carries "Connection: close"; on_drained is called once no connection is left (or max_ms has passed). */
void hs_drain(struct hs_server *s, int quiet_ms, int max_ms, void (*on_drained)(void *arg), void *arg);

/* The reason phrase of a status code ("Payload Too Large"), for either transport. */
const char *hs_reason(int status);

/* Open connections and connections refused by max_connections (read from any thread). */
uint64_t hs_connections(const struct hs_server *s);
uint64_t hs_rejected(const struct hs_server *s);

#endif
