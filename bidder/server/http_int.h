/* http_int: what the modules of the native HTTP server (http_conn.c: input, requests, writes; http_out.c:
 * the reply writer; http_accept.c: accepting, limits at accept, drain, lifetime) share. Internal to
 * bidder/server/; the interface is http_server.h. */
#ifndef FAIRBID_BIDDER_SERVER_HTTP_INT_H
#define FAIRBID_BIDDER_SERVER_HTTP_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "bidder/common/clock.h"
#include "bidder/server/http_server.h"

#define HS_IN_INIT 16384u
#define HS_OUT_INIT 4096u
#define HS_OUT_KEEP (64u * 1024u) /* an emptied output buffer larger than this is given back */
#define HS_MAX_TIMED 64
#define HS_LINGER_MS 2000 /* a lingering close lasts this long in all, whatever the client sends */
#define HS_ACCEPT_BACKOFF_MS 100
#define HS_FD_LOG_MS 10000
#define HS_FLUSH_MAX 16 /* replies held for the end of the turn at most: then written at once */
#define HS_BATCH 32     /* requests answered per connection per turn of the loop: pipeliners take turns */

struct hs_conn {
    struct hs_server *s;
    int fd;
    struct event *rev, *wev;
    char *in;
    size_t in_off, in_len, in_cap; /* unread bytes are in[in_off..in_len) */
    char *out;
    size_t out_off, out_len, out_cap;
    uint64_t t_read_ns;     /* the latest read */
    uint64_t t_first_ns;    /* the read that brought the first byte of the request at in_off */
    uint64_t idle_since_ns; /* the idle clock: the latest read, or when reading resumed (hs_idle_touch) */
    int64_t last_active_ms;
    uint64_t timed[HS_MAX_TIMED];
    int ntimed;
    bool close_after;   /* the reply queued last closes the connection */
    bool linger;        /* after that reply: half-close and read until EOF (unread bytes would cause a RST) */
    bool lingering;     /* half-closed, discarding input */
    bool sent_continue; /* "100 Continue" sent for the request at in_off */
    bool peer_eof;      /* the client half-closed: answer what is complete, then close */
    bool reading;       /* rev is added (without a timeout: the idle timeout is the server's idle list) */
    bool writing;       /* wev is added */
    /* the request at in_off, parsed incrementally (offsets are relative to in_off) */
    struct hp_head_scan hscan;
    size_t head_len; /* 0 until the head is complete and valid */
    bool chunked, expect;
    uint64_t clen;
    struct hp_chunked ck;
    bool waiting;      /* the request at in_off is incomplete: the read deadline runs */
    struct event *tev; /* the deadline: the request's read_timeout_ms, or the end of a lingering close */
    struct event *cev; /* continue answering after HS_BATCH requests, on the next turn (made when needed) */
    bool tev_on;
    uint64_t tev_for;     /* the request start the deadline was armed for */
    uint64_t t_resume_ns; /* when we last started reading again after the client drained its replies */
    /* a deferred reply (hs_reply.defer) is owed for the request before in_off: nothing after it is answered
     */
    bool deferred, def_head_only, def_http10_ka, def_close;
    uint64_t def_t_first;
    void (*def_cancel)(void *arg);
    void *def_cancel_arg;
    struct hs_conn *prev, *next;
    /* on the server's flush list: replies queued by this turn's reads, written after the turn (hs_flush) */
    bool flush_queued;
    struct hs_conn *fprev, *fnext;
};

struct hs_server {
    struct event_base *base;
    struct evconnlistener *lis;
    struct hs_config cfg;
    const struct timeval *tv_write; /* common timeout */
    /* every connection, oldest idle clock first (hs_idle_touch moves one to the tail): the idle timeout is
     * one timer for the server, armed for the head, instead of a timeout on each connection's read event
     * that libevent re-added (a timer-queue operation) on every read */
    struct hs_conn *conns, *conns_tail;
    struct event *idle_ev;
    bool idle_armed;
    struct hs_shared *sh; /* cfg.shared, or own_shared */
    struct hs_shared own_shared;
    struct event *backoff; /* re-enables accepting after EMFILE */
    int reserve_fd;        /* closed to make room to shed a connection when out of fds */
    uint32_t nactive;      /* connections within the limit */
    _Atomic uint64_t nconns, rejected;
    bool draining;
    int quiet_ms, drain_max_ms;
    int64_t drain_start_ms;
    struct event *drain_timer;
    void (*on_drained)(void *arg);
    void *drained_arg;
    /* connections with replies to write once every read of this turn of the loop is answered (hs_flush) */
    struct hs_conn *flush_head;
    int nflush;
    char date[64]; /* "Date: ...\r\n", redone once a second */
    size_t date_len;
    time_t date_sec;
};

static inline void mem_acct(_Atomic uint64_t *ctr, size_t from, size_t to)
{
    if (to > from)
        atomic_fetch_add_explicit(ctr, to - from, memory_order_relaxed);
    else if (from > to)
        atomic_fetch_sub_explicit(ctr, from - to, memory_order_relaxed);
}

/* http_out.c */
bool hs_out_reserve(struct hs_conn *c, size_t n);
/* An emptied output buffer that a large reply grew is given back: idle connections hold little. */
void hs_out_shrink(struct hs_conn *c);
/* Queues a reply. head_only: a HEAD request (Content-Length of the body, no body). */
void hs_conn_reply(struct hs_conn *c, const struct hs_reply *r, bool head_only, bool http10_keepalive);
/* An error the server answers itself: JSON body, connection closed after it. */
void hs_conn_error(struct hs_conn *c, int status, const char *msg, bool linger);

/* http_conn.c */
/* The connection's idle clock starts again at now_ns (a read, or reading resumed): to the idle list's tail.
 */
static inline void hs_idle_touch(struct hs_conn *c, uint64_t now_ns)
{
    struct hs_server *s = c->s;
    c->idle_since_ns = now_ns;
    if (s->conns_tail == c) return;
    /* unlink (c is not the tail, so c->next is set) */
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    c->next->prev = c->prev;
    c->prev = s->conns_tail;
    c->next = NULL;
    s->conns_tail->next = c;
    s->conns_tail = c;
}
void hs_idle_link(struct hs_conn *c, uint64_t now_ns);
void hs_idle_arm(struct hs_server *s, uint64_t now_ns);
void hs_on_idle(evutil_socket_t fd, short what, void *arg);
void hs_req_reset(struct hs_conn *c);
void hs_arm_read(struct hs_conn *c, bool on);
void hs_on_read(evutil_socket_t fd, short what, void *arg);
void hs_on_deadline(evutil_socket_t fd, short what, void *arg);
void hs_conn_close(struct hs_conn *c);

#endif
