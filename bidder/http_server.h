/* http_server: the native HTTP/1.1 server of one worker, on the worker's libevent event_base.
 *
 * Why not evhttp: measured on these machines (bench/RESULTS.md §4), evhttp spends 5 system calls per
 * keep-alive request (readv, ioctl FIONREAD, writev and two epoll_ctl to arm and disarm write interest, the
 * reply being written one loop turn later) plus a dozen mallocs for the request, its header lists and
 * buffers. At ~1 µs per syscall that fixed cost was most of a request. Here a request costs one read() and
 * one write() (the reply is written in place, at once; write interest is armed only when the socket is full),
 * the head is parsed in the connection's buffer without copies, and a connection allocates its buffers once.
 * evhttp remains selectable (`"http_server": "evhttp"`) as the reference.
 *
 * The handler runs synchronously and fills an hs_reply; pipelined requests are answered in order, in one
 * write. Limits: head size (431), body size (413, answered as soon as the head announces it), read timeout
 * (a request begun and not complete within read_timeout_ms gets 408; a keep-alive
 * connection idle for idle_timeout_ms is closed), connection count (503 then close). */
#ifndef FAIRBID_BIDDER_HTTP_SERVER_H
#define FAIRBID_BIDDER_HTTP_SERVER_H

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
    uint64_t t_first_ns; /* CLOCK_MONOTONIC of the read that brought the request's first byte */
};

struct hs_reply {
    int status;
    const char *ctype;         /* NULL: no Content-Type */
    const char *extra_headers; /* "Name: value\r\n"..., or NULL */
    const char *body;
    size_t len;
    bool close; /* close the connection after this reply */
    bool timed; /* report the request latency through on_sent once the reply is on the socket */
};

struct hs_config {
    size_t max_head;
    size_t max_body;
    int read_timeout_ms;      /* a request begun must be complete within */
    int idle_timeout_ms;      /* a keep-alive connection without a request begun is closed after */
    int write_timeout_ms;     /* a client must make room for its replies within */
    uint32_t max_connections; /* for this worker */
    /* fills *rep; must not keep req past the call */
    void (*handler)(void *arg, const struct hs_request *req, struct hs_reply *rep);
    /* a timed reply was written: latency from the request's first byte to the write */
    void (*on_sent)(void *arg, uint64_t latency_ns);
    /* an error reply the server made itself (400, 408, 413, 431, 501, 503, 505), for the status counters */
    void (*on_error)(void *arg, int status);
    void *arg;
};

struct hs_server *hs_new(struct event_base *base, int listen_fd, const struct hs_config *cfg);
void hs_free(struct hs_server *s);

/* Stops accepting and starts draining: idle connections close once idle for quiet_ms, every reply from now
 * on carries "Connection: close"; on_drained is called once no connection is left (or max_ms has passed). */
void hs_drain(struct hs_server *s, int quiet_ms, int max_ms, void (*on_drained)(void *arg), void *arg);

/* The reason phrase of a status code ("Payload Too Large"), for either transport. */
const char *hs_reason(int status);

/* Open connections and connections refused by max_connections (read from any thread). */
uint64_t hs_connections(const struct hs_server *s);
uint64_t hs_rejected(const struct hs_server *s);

#endif
