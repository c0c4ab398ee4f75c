/* http_server: see http_server.h. */
#include "bidder/server/http_server.h"
#include "bidder/common/clock.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bidder/obs/log.h"

#define HS_IN_INIT 16384u
#define HS_OUT_INIT 4096u
#define HS_OUT_KEEP (64u * 1024u) /* an emptied output buffer larger than this is given back */
#define HS_MAX_TIMED 64
#define HS_LINGER_MS 2000 /* a lingering close lasts this long in all, whatever the client sends */
#define HS_ACCEPT_BACKOFF_MS 100
#define HS_FD_LOG_MS 10000
#define HS_BATCH 32 /* requests answered per connection per turn of the loop: pipeliners take turns */

struct hs_conn {
    struct hs_server *s;
    int fd;
    struct event *rev, *wev;
    char *in;
    size_t in_off, in_len, in_cap; /* unread bytes are in[in_off..in_len) */
    char *out;
    size_t out_off, out_len, out_cap;
    uint64_t t_read_ns;  /* the latest read */
    uint64_t t_first_ns; /* the read that brought the first byte of the request at in_off */
    int64_t last_active_ms;
    uint64_t timed[HS_MAX_TIMED];
    int ntimed;
    bool close_after;   /* the reply queued last closes the connection */
    bool linger;        /* after that reply: half-close and read until EOF (unread bytes would cause a RST) */
    bool lingering;     /* half-closed, discarding input */
    bool sent_continue; /* "100 Continue" sent for the request at in_off */
    bool peer_eof;      /* the client half-closed: answer what is complete, then close */
    bool reading;       /* rev is added */
    bool tv_set;        /* rev was added with tv_cur (NULL: without a timeout) */
    const struct timeval *tv_cur; /* rev's timeout: idle_timeout_ms between requests, none otherwise */
    bool writing;                 /* wev is added */
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
};

struct hs_server {
    struct event_base *base;
    struct evconnlistener *lis;
    struct hs_config cfg;
    const struct timeval *tv_idle;  /* common timeout: O(1) re-arming per request */
    const struct timeval *tv_write; /* common timeout */
    struct hs_conn *conns;
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
    char date[64]; /* "Date: ...\r\n", redone once a second */
    size_t date_len;
    time_t date_sec;
};

static void conn_close(struct hs_conn *c);
static int conn_flush(struct hs_conn *c);
static void on_write(evutil_socket_t fd, short what, void *arg);

/* ---- output ---- */

static void mem_acct(_Atomic uint64_t *ctr, size_t from, size_t to)
{
    if (to > from)
        atomic_fetch_add_explicit(ctr, to - from, memory_order_relaxed);
    else if (from > to)
        atomic_fetch_sub_explicit(ctr, from - to, memory_order_relaxed);
}

static bool out_reserve(struct hs_conn *c, size_t n)
{
    if (c->out_len + n <= c->out_cap) return true;
    size_t cap = c->out_cap ? c->out_cap : HS_OUT_INIT;
    while (cap < c->out_len + n) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return false;
    mem_acct(&c->s->sh->output, c->out_cap, cap);
    c->out = p;
    c->out_cap = cap;
    return true;
}

/* An emptied output buffer that a large reply grew is given back: idle connections hold little. */
static void out_shrink(struct hs_conn *c)
{
    if (c->out_cap <= HS_OUT_KEEP) return;
    mem_acct(&c->s->sh->output, c->out_cap, 0);
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
}

static void out_put(struct hs_conn *c, const char *p, size_t n)
{
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}
#define OUT_LIT(c, s) out_put((c), (s), sizeof(s) - 1)

static void out_u64(struct hs_conn *c, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_put(c, tmp + i, sizeof tmp - (size_t)i);
}

const char *hs_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

static void refresh_date(struct hs_server *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec == s->date_sec) return;
    s->date_sec = ts.tv_sec;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    s->date_len = strftime(s->date, sizeof s->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

/* Queues a reply. head_only: a HEAD request (Content-Length of the body, no body). */
static void conn_reply(struct hs_conn *c, const struct hs_reply *r, bool head_only, bool http10_keepalive)
{
    struct hs_server *s = c->s;
    if (s->draining) c->close_after = true;
    if (r->close) c->close_after = true;
    const char *reason = hs_reason(r->status);
    size_t reason_len = strlen(reason);
    size_t ct_len = r->ctype ? strlen(r->ctype) : 0;
    size_t ex_len = r->extra_headers ? strlen(r->extra_headers) : 0;
    size_t body = head_only ? 0 : r->len;
    if (!out_reserve(c, 16 + reason_len + 64 + 16 + ct_len + 40 + ex_len + 48 + body)) {
        c->close_after = true;
        return;
    }
    refresh_date(s);
    OUT_LIT(c, "HTTP/1.1 ");
    out_u64(c, (uint64_t)r->status);
    OUT_LIT(c, " ");
    out_put(c, reason, reason_len);
    OUT_LIT(c, "\r\n");
    out_put(c, s->date, s->date_len);
    if (r->ctype) {
        OUT_LIT(c, "Content-Type: ");
        out_put(c, r->ctype, ct_len);
        OUT_LIT(c, "\r\n");
    }
    if (r->status != 204 && r->status >= 200) {
        OUT_LIT(c, "Content-Length: ");
        out_u64(c, r->len);
        OUT_LIT(c, "\r\n");
    }
    if (ex_len) out_put(c, r->extra_headers, ex_len);
    if (c->close_after)
        OUT_LIT(c, "Connection: close\r\n");
    else if (http10_keepalive)
        OUT_LIT(c, "Connection: keep-alive\r\n");
    OUT_LIT(c, "\r\n");
    if (body) out_put(c, r->body, body);
    if (r->timed) {
        if (c->ntimed < HS_MAX_TIMED)
            c->timed[c->ntimed++] = c->t_first_ns;
        else if (s->cfg.on_sent)
            s->cfg.on_sent(s->cfg.arg, fb_clock_mono_ns() - c->t_first_ns);
    }
}

/* An error the server answers itself: JSON body, connection closed after it. */
static void conn_error(struct hs_conn *c, int status, const char *msg, bool linger)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
    struct hs_reply r = {.status = status,
                         .ctype = "application/json",
                         .body = body,
                         .len = (size_t)(n < 0                  ? 0
                                         : n < (int)sizeof body ? n
                                                                : (int)sizeof body - 1),
                         .close = true};
    conn_reply(c, &r, false, false);
    c->linger = linger;
    if (c->s->cfg.on_error) c->s->cfg.on_error(c->s->cfg.arg, status);
}

/* ---- input ---- */

static size_t in_hard_cap(const struct hs_server *s)
{
    /* a head, a body, and room for chunk framing */
    return s->cfg.max_head * 2 + s->cfg.max_body + 1;
}

enum { IN_OK = 0, IN_NOMEM = -1, IN_BUSY = -2 };

/* Room for need bytes of the current request from in_off (plus a NUL). Moves unread bytes to the front.
 * IN_BUSY: growing would pass max_buffered across all connections. What is counted is each buffer beyond its
 * first HS_IN_INIT bytes: those are bounded by max_connections already, and counting them would let idle
 * connections lower the connection limit. */
static int in_reserve_how(struct hs_conn *c, size_t need, bool exact)
{
    if (c->in_off) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (need + 1 <= c->in_cap) return IN_OK;
    size_t cap = c->in_cap;
    if (exact)
        cap = need + 1; /* a body of known length: room for it and no more */
    else
        while (cap < need + 1) cap *= 2;
    size_t hard = in_hard_cap(c->s);
    if (cap > hard) cap = hard > need + 1 ? hard : need + 1;
    struct hs_shared *sh = c->s->sh;
    size_t grow = cap - c->in_cap;
    /* reserve first, so that two workers cannot both pass the cap */
    uint64_t before = atomic_fetch_add_explicit(&sh->buffered, grow, memory_order_relaxed);
    if (sh->max_buffered && before + grow > sh->max_buffered) {
        atomic_fetch_sub_explicit(&sh->buffered, grow, memory_order_relaxed);
        return IN_BUSY;
    }
    char *p = realloc(c->in, cap);
    if (!p) {
        atomic_fetch_sub_explicit(&sh->buffered, grow, memory_order_relaxed);
        return IN_NOMEM;
    }
    c->in = p;
    c->in_cap = cap;
    return IN_OK;
}

static int in_reserve(struct hs_conn *c, size_t need)
{
    return in_reserve_how(c, need, false);
}

/* An emptied input buffer that a large body grew goes back to its first size. */
static void in_shrink(struct hs_conn *c)
{
    if (c->in_cap <= HS_IN_INIT || c->in_len != c->in_off) return;
    char *p = malloc(HS_IN_INIT);
    if (!p) return;
    mem_acct(&c->s->sh->buffered, c->in_cap - HS_IN_INIT, 0);
    free(c->in);
    c->in = p;
    c->in_cap = HS_IN_INIT;
    c->in_off = c->in_len = 0;
}

static void send_continue(struct hs_conn *c)
{
    if (c->sent_continue) return;
    c->sent_continue = true;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (out_reserve(c, sizeof cont - 1)) OUT_LIT(c, cont);
}

static void req_reset(struct hs_conn *c)
{
    hp_head_scan_init(&c->hscan);
    c->head_len = 0;
    c->chunked = c->expect = false;
    c->clen = 0;
    c->sent_continue = false;
}

/* An input buffer that cannot grow: out of memory, or over max_buffered (new bodies get 503 then). */
static void in_fail(struct hs_conn *c, int rc)
{
    if (rc == IN_BUSY) {
        atomic_fetch_add_explicit(&c->s->sh->busy_rejected, 1, memory_order_relaxed);
        conn_error(c, 503, "server busy: buffered request input over max_buffered_bytes; retry later", true);
    } else {
        conn_error(c, 500, "out of memory", false);
    }
}

/* Whether the replies already queued allow answering one more request: a client that does not read gets no
 * more than max_conn_output of them, and all such clients together no more than max_output. */
static bool out_room(const struct hs_conn *c)
{
    size_t pending = c->out_len - c->out_off;
    if (pending == 0) return true;
    if (pending >= c->s->cfg.max_conn_output) return false;
    const struct hs_shared *sh = c->s->sh;
    return !sh->max_output ||
           atomic_load_explicit(&((struct hs_shared *)sh)->output, memory_order_relaxed) < sh->max_output;
}

/* Answers every complete request in the buffer, in order; returns how many. Sets c->waiting when it stopped
 * at an incomplete request (the read deadline applies only then). The parse state of that request is kept,
 * so the next call continues where this one stopped. */
static int conn_process(struct hs_conn *c, int max)
{
    struct hs_server *s = c->s;
    int done = 0;
    c->waiting = false;
    while (!c->close_after && !c->deferred && c->in_off < c->in_len && done < max) {
        if (!out_room(c)) break;
        char *p = c->in + c->in_off;
        size_t n = c->in_len - c->in_off;
        struct hp_request h;
        bool have_h = false;
        if (!c->head_len) {
            /* the first look parses at once (the usual case: the whole head came in one read); after that,
             * the resumable scan looks at each new byte once and the head is parsed when it is complete */
            int hl;
            if (c->hscan.pos == 0) {
                hl = hp_parse_head(p, n, s->cfg.max_head, &h);
                if (hl == 0) hl = hp_head_scan(&c->hscan, p, n, s->cfg.max_head);
            } else {
                hl = hp_head_scan(&c->hscan, p, n, s->cfg.max_head);
                if (hl > 0) hl = hp_parse_head(p, (size_t)hl, s->cfg.max_head, &h);
            }
            if (hl == 0) {
                c->waiting = true;
                int rc = in_reserve(c, n + 4096 < s->cfg.max_head ? n + 4096 : s->cfg.max_head);
                if (rc) in_fail(c, rc);
                break;
            }
            if (hl < 0) {
                conn_error(c, hp_status(hl), hp_strerror(hl), true);
                break;
            }
            have_h = true;
            c->head_len = (size_t)hl;
            c->chunked = h.chunked;
            c->expect = h.expect_continue;
            c->clen = h.has_length ? h.content_length : 0;
            if (!c->chunked && c->clen > s->cfg.max_body) {
                /* answered before the body is read: the client learns at once (and an Expect: 100-continue
                 * client does not send it at all) */
                conn_error(c, 413, "request body larger than max_body", true);
                break;
            }
            if (c->chunked) hp_chunked_init(&c->ck);
        }
        size_t hl = c->head_len, wire, blen;
        if (c->chunked) {
            int rc = hp_chunked_feed(&c->ck, p + hl, n - hl, s->cfg.max_body, s->cfg.max_head);
            if (rc < 0) {
                conn_error(c, hp_status(rc),
                           rc == HP_EBODYTOOBIG ? "request body larger than max_body" : hp_strerror(rc),
                           true);
                break;
            }
            if (rc == 0) {
                c->waiting = true;
                if (c->expect) send_continue(c);
                int ir = c->in_cap - 1 - c->in_len < 4096 ? in_reserve(c, n + 16384) : IN_OK;
                if (ir) in_fail(c, ir);
                break;
            }
            wire = c->ck.pos;
            blen = c->ck.body;
        } else {
            if (n - hl < c->clen) {
                c->waiting = true;
                if (c->expect) send_continue(c);
                /* the whole body is reserved at once: a request admitted under max_buffered finishes */
                int ir = in_reserve_how(c, hl + (size_t)c->clen, true);
                if (ir) in_fail(c, ir);
                break;
            }
            wire = blen = (size_t)c->clen;
        }
        /* the buffer may have moved since the head was parsed: parse it again for its views (once) */
        if (!have_h) hp_parse_head(p, hl, s->cfg.max_head, &h);
        char *body = p + hl;
        if (c->chunked) blen = hp_chunked_decode(body, wire);
        /* the handler gets a NUL-terminated body; the byte after it may be the next request's first */
        char saved = body[blen];
        body[blen] = '\0';
        struct hs_request req = {
            .head = &h, .body = body, .body_len = blen, .t_first_ns = c->t_first_ns, .conn = c};
        struct hs_reply rep = {0};
        s->cfg.handler(s->cfg.arg, &req, &rep);
        body[blen] = saved;
        if (!h.keep_alive) rep.close = true;
        if (rep.defer) {
            c->deferred = true;
            c->def_head_only = h.method == HP_HEAD;
            c->def_http10_ka = h.minor == 0 && h.keep_alive;
            c->def_close = rep.close;
            c->def_cancel = rep.cancel;
            c->def_cancel_arg = rep.cancel_arg;
            c->def_t_first = c->t_first_ns;
        } else {
            conn_reply(c, &rep, h.method == HP_HEAD, h.minor == 0 && h.keep_alive);
        }
        c->in_off += hl + wire;
        req_reset(c);
        c->t_first_ns = c->t_read_ns; /* a pipelined request came in the latest read at the earliest */
        done++;
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        in_shrink(c);
    }
    return done;
}

/* The read timeout that fits the connection's state: an idle keep-alive connection may wait idle_timeout_ms
 * for its next request (a client must not race a short idle close when it reuses the connection); a request
 * begun and a lingering close are bounded by the deadline timer (tev) instead, which reads do not move. */
static const struct timeval *read_tv(const struct hs_conn *c)
{
    if (c->lingering || c->in_len > c->in_off) return NULL;
    return c->s->tv_idle;
}

static void arm_read(struct hs_conn *c, bool on)
{
    if (!on) {
        if (c->reading) event_del(c->rev);
        c->reading = false;
        return;
    }
    const struct timeval *tv = read_tv(c);
    if (c->reading && c->tv_set && c->tv_cur == tv) return; /* re-arm only when the timeout changes */
    /* event_add with a NULL timeout keeps an earlier timeout: remove the event first */
    if (c->reading && !tv) event_del(c->rev);
    c->reading = true;
    c->tv_set = true;
    c->tv_cur = tv;
    event_add(c->rev, tv);
}

static void tev_set(struct hs_conn *c, uint64_t deadline_ns, uint64_t key)
{
    if (c->tev_on && c->tev_for == key) return;
    uint64_t now = fb_clock_mono_ns();
    uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
    struct timeval tv = {(time_t)(left / 1000000000u), (suseconds_t)(left % 1000000000u / 1000u)};
    event_add(c->tev, &tv);
    c->tev_on = true;
    c->tev_for = key;
}

static void tev_clear(struct hs_conn *c)
{
    if (!c->tev_on) return;
    event_del(c->tev);
    c->tev_on = false;
}

/* The whole-request deadline: read_timeout_ms from the request's first byte (or from when we resumed reading
 * after the client drained its replies, since we did not read meanwhile), not moved by later reads. */
static void arm_deadline(struct hs_conn *c)
{
    if (c->lingering) return;
    if (!c->waiting || c->in_len == c->in_off) {
        tev_clear(c);
        return;
    }
    uint64_t start = c->t_first_ns > c->t_resume_ns ? c->t_first_ns : c->t_resume_ns;
    tev_set(c, start + (uint64_t)c->s->cfg.read_timeout_ms * 1000000u, start);
}

/* Writes what is queued. Returns 0 when the connection lives on, -1 when it was closed. */
static int conn_flush(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    while (c->out_off < c->out_len) {
        ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (k > 0) {
            c->out_off += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* the socket is full: wait for room, and read no more until then (a client that does not read
             * its answers gets no more of them; the write timeout cuts it) */
            if (!c->wev) c->wev = event_new(s->base, c->fd, EV_WRITE | EV_PERSIST, on_write, c);
            if (!c->wev) {
                conn_close(c);
                return -1;
            }
            if (!c->writing) event_add(c->wev, s->tv_write);
            c->writing = true;
            arm_read(c, false);
            return 0;
        }
        conn_close(c);
        return -1;
    }
    c->out_off = c->out_len = 0;
    out_shrink(c);
    if (c->writing) {
        event_del(c->wev);
        c->writing = false;
        /* we did not read while the client was not reading: the next request's clock starts now */
        c->t_resume_ns = fb_clock_mono_ns();
        if (!c->lingering && !c->peer_eof) arm_read(c, true);
    }
    if (c->ntimed && s->cfg.on_sent) {
        uint64_t t = fb_clock_mono_ns();
        for (int i = 0; i < c->ntimed; i++) s->cfg.on_sent(s->cfg.arg, t - c->timed[i]);
    }
    c->ntimed = 0;
    if (c->close_after) {
        if (c->linger || c->in_off < c->in_len) {
            /* half-close and drain what the client still sends, so that our reply is not destroyed by a
             * reset when we close with unread bytes */
            shutdown(c->fd, SHUT_WR);
            c->lingering = true;
            c->in_off = c->in_len = 0;
            arm_read(c, false);
            arm_read(c, true);
            /* bounded in absolute time: a client that keeps sending cannot keep the fd */
            tev_clear(c);
            tev_set(c, fb_clock_mono_ns() + (uint64_t)HS_LINGER_MS * 1000000u, 0);
            return 0;
        }
        conn_close(c);
        return -1;
    }
    return 0;
}

/* Answers what is complete in the buffer and writes the replies; goes on while that makes progress (requests
 * held back while the socket was full). Returns -1 when the connection was closed. */
static void on_continue(evutil_socket_t fd, short what, void *arg);

static int conn_after_io(struct hs_conn *c)
{
    int total = 0;
    for (;;) {
        int done = c->close_after || c->lingering ? 0 : conn_process(c, HS_BATCH - total);
        total += done;
        if (conn_flush(c)) return -1;
        if (!done || c->out_len || c->close_after || c->lingering) break;
        if (total >= HS_BATCH) {
            /* a long pipeline: the rest on a later turn (a zero timeout runs after the next epoll_wait, so
             * other connections and new ones are served in between) */
            if (c->in_off < c->in_len) {
                if (!c->cev) c->cev = event_new(c->s->base, -1, 0, on_continue, c);
                struct timeval now = {0, 0};
                if (c->cev) event_add(c->cev, &now);
            }
            break;
        }
    }
    if (c->peer_eof && !c->lingering && !c->deferred && c->out_off == c->out_len &&
        (c->in_off == c->in_len || c->waiting)) {
        /* the client half-closed: every complete request it sent has been answered */
        conn_close(c);
        return -1;
    }
    arm_deadline(c);
    return 0;
}

static void on_continue(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_conn *c = arg;
    if (c->writing || c->lingering) return; /* on_write resumes it */
    if (conn_after_io(c) == 0 && c->reading) arm_read(c, true);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct hs_conn *c = arg;
    if (what & EV_TIMEOUT) {
        atomic_fetch_add_explicit(&c->s->sh->write_timeouts, 1, memory_order_relaxed);
        conn_close(c); /* a client that does not read its answers */
        return;
    }
    conn_after_io(c);
}

/* The deadline: a request still incomplete read_timeout_ms after its first byte gets 408 (complete requests
 * waiting for the client to drain its replies are not late: they are answered); a lingering close ends. */
static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_conn *c = arg;
    c->tev_on = false;
    if (c->lingering) {
        conn_close(c);
        return;
    }
    if (!c->waiting || c->in_len == c->in_off || c->close_after) return;
    atomic_fetch_add_explicit(&c->s->sh->timeouts, 1, memory_order_relaxed);
    conn_error(c, 408, "request not received within read_timeout_ms", false);
    c->in_off = c->in_len = 0;
    c->waiting = false;
    if (conn_after_io(c) == 0 && !c->lingering && c->out_off == c->out_len) conn_close(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct hs_conn *c = arg;
    if (what & EV_TIMEOUT) {
        /* idle_timeout_ms without a request begun (a request begun is bounded by the deadline; a deferred
         * one by its handler) */
        if (c->in_len == c->in_off && !c->lingering && !c->deferred) {
            conn_close(c);
            return;
        }
        if (!(what & EV_READ)) return;
    }
    if (c->lingering) {
        char junk[16384];
        ssize_t k = read(fd, junk, sizeof junk);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) conn_close(c);
        return;
    }
    /* grow for the next read when nearly full; refused over max_buffered_bytes, then read into what is
     * there (conn_process answers 503 if the request cannot fit) */
    if (c->in_cap - c->in_len < 1024) in_reserve(c, c->in_len - c->in_off + 16384);
    size_t room = c->in_cap - 1 - c->in_len;
    if (room == 0) {
        /* the buffer is full: of requests waiting for the client to read its replies (on_write resumes), or
         * of one request that cannot grow */
        arm_read(c, false);
        if (!c->writing && conn_after_io(c) == 0 && !c->writing && !c->close_after && !c->lingering) {
            in_fail(c, IN_BUSY);
            conn_after_io(c);
        }
        return;
    }
    ssize_t k = read(fd, c->in + c->in_len, room);
    if (k <= 0) {
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (k == 0 && (c->out_off < c->out_len || c->deferred || (c->in_len > c->in_off && !c->waiting))) {
            /* the client half-closed after its requests: answer the complete ones, then close */
            c->peer_eof = true;
            arm_read(c, false);
            conn_after_io(c);
            return;
        }
        conn_close(c); /* the peer closed (or reset) with nothing owed to it */
        return;
    }
    c->t_read_ns = fb_clock_mono_ns();
    if (c->in_len == c->in_off) c->t_first_ns = c->t_read_ns;
    c->in_len += (size_t)k;
    c->last_active_ms = fb_clock_mono_coarse_ms();
    if (conn_after_io(c) == 0 && c->reading) arm_read(c, true);
}

static void conn_close(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    if (c->deferred && c->def_cancel) {
        c->deferred = false;
        c->def_cancel(c->def_cancel_arg);
    }
    event_free(c->rev);
    if (c->wev) event_free(c->wev);
    event_free(c->tev);
    if (c->cev) event_free(c->cev);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nactive--;
    atomic_fetch_sub_explicit(&s->nconns, 1, memory_order_relaxed);
    mem_acct(&s->sh->buffered, c->in_cap - HS_IN_INIT, 0);
    mem_acct(&s->sh->output, c->out_cap, 0);
    free(c->in);
    free(c->out);
    free(c);
}

/* A connection we will not serve: a canned 503 written at once (it fits any fresh socket buffer), then
 * closed, so that it holds its fd for no longer than this call. */
static void shed(struct hs_server *s, int fd, const char *why)
{
    char buf[512];
    char body[200];
    int bn = snprintf(body, sizeof body, "{\"error\":\"%s\"}", why);
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
                     "%d\r\nConnection: close\r\nRetry-After: 1\r\n\r\n%s",
                     bn, body);
    if (n > 0) {
        ssize_t k = send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)k;
    }
    /* drop what the client already sent, so that the close sends FIN rather than a reset that could destroy
     * the 503 before it is read */
    shutdown(fd, SHUT_WR);
    char junk[4096];
    for (int i = 0; i < 16 && recv(fd, junk, sizeof junk, MSG_DONTWAIT) > 0; i++) {
    }
    close(fd);
    if (s->cfg.on_error) s->cfg.on_error(s->cfg.arg, 503);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct hs_server *s = arg;
    if (s->nactive >= s->cfg.max_connections) {
        atomic_fetch_add_explicit(&s->rejected, 1, memory_order_relaxed);
        shed(s, fd, "too many connections (max_connections)");
        return;
    }
    struct hs_conn *c = calloc(1, sizeof *c);
    if (c) c->in = malloc(HS_IN_INIT);
    if (c) c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
    if (c && c->rev) c->tev = event_new(s->base, -1, 0, on_deadline, c);
    if (!c || !c->in || !c->rev || !c->tev) {
        if (c && c->rev) event_free(c->rev);
        if (c) free(c->in);
        free(c);
        close(fd);
        return;
    }
    /* replies are single writes, but a "100 Continue" followed by the reply must not wait for an ACK */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->s = s;
    c->fd = fd;
    c->in_cap = HS_IN_INIT;
    c->last_active_ms = fb_clock_mono_coarse_ms();
    req_reset(c);
    s->nactive++;
    atomic_fetch_add_explicit(&s->nconns, 1, memory_order_relaxed);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    arm_read(c, true);
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_server *s = arg;
    if (s->lis && !s->draining) evconnlistener_enable(s->lis);
}

/* accept() failed for a reason other than a retriable one. Out of fds (EMFILE, ENFILE) or kernel memory, the
 * listening socket stays readable and libevent would call accept again at once, forever: stop accepting for
 * HS_ACCEPT_BACKOFF_MS, and use the reserved fd to take the oldest waiting connection and tell it 503, so
 * that clients are not left hanging in the backlog. One log line per 10 s, and a counter. */
static void on_accept_error(struct evconnlistener *l, void *arg)
{
    struct hs_server *s = arg;
    int err = EVUTIL_SOCKET_ERROR();
    evconnlistener_disable(l);
    bool nofd = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
    if (nofd) {
        atomic_fetch_add_explicit(&s->sh->fd_exhausted, 1, memory_order_relaxed);
        if (s->reserve_fd >= 0) {
            close(s->reserve_fd);
            s->reserve_fd = -1;
            int fd = accept4(evconnlistener_get_fd(l), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                atomic_fetch_add_explicit(&s->rejected, 1, memory_order_relaxed);
                shed(s, fd, "out of file descriptors; retry later");
            }
            s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
    }
    int64_t now = fb_clock_mono_coarse_ms();
    int64_t last = atomic_load_explicit(&s->sh->last_fd_log_ms, memory_order_relaxed);
    if ((last == 0 || now - last >= HS_FD_LOG_MS) &&
        atomic_compare_exchange_strong_explicit(&s->sh->last_fd_log_ms, &last, now, memory_order_relaxed,
                                                memory_order_relaxed))
        log_warn("accept failed: pausing new connections",
                 "error=\"%s\" backoff_ms=%d open_connections=%u "
                 "fd_exhausted_total=%llu note=\"raise the open-file limit or lower max_connections\"",
                 strerror(err), HS_ACCEPT_BACKOFF_MS, s->nactive,
                 (unsigned long long)atomic_load_explicit(&s->sh->fd_exhausted, memory_order_relaxed));
    struct timeval tv = {0, HS_ACCEPT_BACKOFF_MS * 1000};
    event_add(s->backoff, &tv);
}

struct hs_server *hs_new(struct event_base *base, int listen_fd, const struct hs_config *cfg)
{
    struct hs_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->base = base;
    s->cfg = *cfg;
    if (!s->cfg.max_conn_output) s->cfg.max_conn_output = 256u * 1024u;
    s->sh = cfg->shared ? cfg->shared : &s->own_shared;
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct timeval ti = {cfg->idle_timeout_ms / 1000, (cfg->idle_timeout_ms % 1000) * 1000};
    s->tv_idle = event_base_init_common_timeout(base, &ti);
    struct timeval tw = {cfg->write_timeout_ms / 1000, (cfg->write_timeout_ms % 1000) * 1000};
    s->tv_write = event_base_init_common_timeout(base, &tw);
    s->backoff = evtimer_new(base, on_backoff, s);
    s->lis =
        evconnlistener_new(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd);
    if (!s->tv_idle || !s->tv_write || !s->backoff || !s->lis) {
        if (s->lis) evconnlistener_free(s->lis);
        if (s->backoff) event_free(s->backoff);
        if (s->reserve_fd >= 0) close(s->reserve_fd);
        free(s);
        return NULL;
    }
    evconnlistener_set_error_cb(s->lis, on_accept_error);
    return s;
}

void hs_set_timeouts(struct hs_server *s, int read_ms, int idle_ms, int write_ms)
{
    struct timeval ti = {idle_ms / 1000, (idle_ms % 1000) * 1000};
    struct timeval tw = {write_ms / 1000, (write_ms % 1000) * 1000};
    /* the base keeps a queue per duration (returned again for a duration it has): a reload back and forth
     * allocates nothing new. On failure the old timeouts stay. The read deadline is computed per request from
     * cfg.read_timeout_ms. */
    const struct timeval *i = event_base_init_common_timeout(s->base, &ti);
    const struct timeval *w = event_base_init_common_timeout(s->base, &tw);
    if (!i || !w) return;
    s->tv_idle = i;
    s->tv_write = w;
    s->cfg.read_timeout_ms = read_ms;
    s->cfg.idle_timeout_ms = idle_ms;
    s->cfg.write_timeout_ms = write_ms;
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_server *s = arg;
    int64_t now = fb_clock_mono_coarse_ms();
    for (struct hs_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        bool idle = c->in_off == c->in_len && c->out_off == c->out_len && !c->lingering && !c->deferred;
        if (idle && now - c->last_active_ms >= s->quiet_ms) conn_close(c);
    }
    if ((!s->conns || now - s->drain_start_ms >= s->drain_max_ms) && s->on_drained) {
        void (*cb)(void *) = s->on_drained;
        s->on_drained = NULL;
        event_del(s->drain_timer);
        cb(s->drained_arg);
    }
}

void hs_drain(struct hs_server *s, int quiet_ms, int max_ms, void (*on_drained)(void *arg), void *arg)
{
    if (s->draining) return;
    s->draining = true;
    if (s->lis) {
        evconnlistener_free(s->lis); /* closes the listening socket: the kernel refuses new connections */
        s->lis = NULL;
    }
    s->quiet_ms = quiet_ms;
    s->drain_max_ms = max_ms;
    s->drain_start_ms = fb_clock_mono_coarse_ms();
    s->on_drained = on_drained;
    s->drained_arg = arg;
    event_del(s->backoff);
    s->drain_timer = event_new(s->base, -1, EV_PERSIST, on_drain_tick, s);
    struct timeval tv = {0, 10000};
    if (s->drain_timer) event_add(s->drain_timer, &tv);
}

void hs_free(struct hs_server *s)
{
    if (!s) return;
    while (s->conns) conn_close(s->conns);
    if (s->lis) evconnlistener_free(s->lis);
    if (s->drain_timer) event_free(s->drain_timer);
    event_free(s->backoff);
    if (s->reserve_fd >= 0) close(s->reserve_fd);
    free(s);
}

void hs_resume(struct hs_conn *c, const struct hs_reply *rep)
{
    if (!c->deferred) return;
    c->deferred = false;
    c->def_cancel = NULL;
    struct hs_reply r = *rep;
    if (c->def_close) r.close = true;
    uint64_t t_next = c->t_first_ns; /* the deferred request's own clock, for on_sent */
    c->t_first_ns = c->def_t_first;
    conn_reply(c, &r, c->def_head_only, c->def_http10_ka);
    c->t_first_ns = t_next;
    c->last_active_ms = fb_clock_mono_coarse_ms();
    if (c->writing || c->lingering) return; /* on_write flushes it and goes on */
    /* flush, then answer what was pipelined behind it */
    if (conn_after_io(c) == 0 && !c->peer_eof && !c->lingering) arm_read(c, true);
}

uint64_t hs_connections(const struct hs_server *s)
{
    return atomic_load_explicit(&((struct hs_server *)s)->nconns, memory_order_relaxed);
}

uint64_t hs_rejected(const struct hs_server *s)
{
    return atomic_load_explicit(&((struct hs_server *)s)->rejected, memory_order_relaxed);
}
