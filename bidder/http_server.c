/* http_server: see http_server.h. */
#include "bidder/http_server.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HS_IN_INIT 16384u
#define HS_OUT_INIT 4096u
#define HS_OUT_HIGH (256u * 1024u) /* stop answering pipelined requests until the client reads */
#define HS_MAX_TIMED 64
#define HS_LINGER_MS 2000

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
    bool over_limit;    /* accepted beyond max_connections: answered 503 and closed */
    bool reading;       /* rev is added */
    const struct timeval *tv_cur; /* rev's timeout: idle, read (a request begun) or linger */
    bool writing;                 /* wev is added */
    struct hs_conn *prev, *next;
};

struct hs_server {
    struct event_base *base;
    struct evconnlistener *lis;
    struct hs_config cfg;
    const struct timeval *tv_read;   /* common timeout: O(1) re-arming per request */
    const struct timeval *tv_idle;   /* common timeout */
    const struct timeval *tv_write;  /* common timeout */
    const struct timeval *tv_linger; /* common timeout */
    struct hs_conn *conns;
    uint32_t nactive; /* connections within the limit */
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

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct hs_conn *c);
static int conn_flush(struct hs_conn *c);
static void on_write(evutil_socket_t fd, short what, void *arg);

/* ---- output ---- */

static bool out_reserve(struct hs_conn *c, size_t n)
{
    if (c->out_len + n <= c->out_cap) return true;
    size_t cap = c->out_cap ? c->out_cap : HS_OUT_INIT;
    while (cap < c->out_len + n) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return false;
    c->out = p;
    c->out_cap = cap;
    return true;
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
            s->cfg.on_sent(s->cfg.arg, now_ns() - c->t_first_ns);
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

/* Room for need bytes of the current request from in_off (plus a NUL). Moves unread bytes to the front. */
static bool in_reserve(struct hs_conn *c, size_t need)
{
    if (c->in_off) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (need + 1 <= c->in_cap) return true;
    size_t cap = c->in_cap;
    while (cap < need + 1) cap *= 2;
    size_t hard = in_hard_cap(c->s);
    if (cap > hard) cap = hard > need + 1 ? hard : need + 1;
    char *p = realloc(c->in, cap);
    if (!p) return false;
    c->in = p;
    c->in_cap = cap;
    return true;
}

static void send_continue(struct hs_conn *c)
{
    if (c->sent_continue) return;
    c->sent_continue = true;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (out_reserve(c, sizeof cont - 1)) OUT_LIT(c, cont);
}

/* Answers every complete request in the buffer, in order; returns how many. */
static int conn_process(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    int done = 0;
    while (!c->close_after && c->in_off < c->in_len) {
        if (c->out_len - c->out_off > HS_OUT_HIGH) break;
        char *p = c->in + c->in_off;
        size_t n = c->in_len - c->in_off;
        struct hp_request h;
        int hl = hp_parse_head(p, n, s->cfg.max_head, &h);
        if (hl == 0) {
            if (!in_reserve(c, n + 4096 < s->cfg.max_head ? n + 4096 : s->cfg.max_head))
                conn_error(c, 500, "out of memory", false);
            break;
        }
        if (hl < 0) {
            conn_error(c, hp_status(hl), hp_strerror(hl), true);
            break;
        }
        if (c->over_limit) {
            conn_error(c, 503, "too many connections (max_connections)", true);
            break;
        }
        size_t wire, blen;
        if (h.chunked) {
            int rc = hp_chunked_scan(p + hl, n - (size_t)hl, s->cfg.max_body, s->cfg.max_head, &wire, &blen);
            if (rc < 0) {
                conn_error(c, hp_status(rc),
                           rc == HP_EBODYTOOBIG ? "request body larger than max_body" : hp_strerror(rc),
                           true);
                break;
            }
            if (rc == 0) {
                if (h.expect_continue) send_continue(c);
                if (!in_reserve(c, n + 16384)) conn_error(c, 500, "out of memory", false);
                break;
            }
        } else {
            uint64_t cl = h.has_length ? h.content_length : 0;
            if (cl > s->cfg.max_body) {
                /* answered before the body is read: the client learns at once (and an Expect: 100-continue
                 * client does not send it at all) */
                conn_error(c, 413, "request body larger than max_body", true);
                break;
            }
            if (n - (size_t)hl < cl) {
                if (h.expect_continue) send_continue(c);
                if (!in_reserve(c, (size_t)hl + (size_t)cl)) conn_error(c, 500, "out of memory", false);
                break;
            }
            wire = blen = (size_t)cl;
        }
        char *body = p + hl;
        if (h.chunked) blen = hp_chunked_decode(body, wire);
        /* the handler gets a NUL-terminated body; the byte after it may be the next request's first */
        char saved = body[blen];
        body[blen] = '\0';
        struct hs_request req = {.head = &h, .body = body, .body_len = blen, .t_first_ns = c->t_first_ns};
        struct hs_reply rep = {0};
        s->cfg.handler(s->cfg.arg, &req, &rep);
        body[blen] = saved;
        if (!h.keep_alive) rep.close = true;
        conn_reply(c, &rep, h.method == HP_HEAD, h.minor == 0 && h.keep_alive);
        c->in_off += (size_t)hl + wire;
        c->sent_continue = false;
        c->t_first_ns = c->t_read_ns; /* a pipelined request came in the latest read at the earliest */
        done++;
    }
    if (c->in_off == c->in_len) c->in_off = c->in_len = 0;
    return done;
}

/* The read timeout that fits the connection's state: an idle keep-alive connection may wait idle_timeout_ms
 * for its next request (a client must not race a short idle close when it reuses the connection), a request
 * begun must be complete within read_timeout_ms, a lingering close lasts HS_LINGER_MS. */
static const struct timeval *read_tv(const struct hs_conn *c)
{
    if (c->lingering) return c->s->tv_linger;
    return c->in_len > c->in_off ? c->s->tv_read : c->s->tv_idle;
}

static void arm_read(struct hs_conn *c, bool on)
{
    if (on == c->reading) {
        /* re-arm only when the timeout changes (a request left half-read, or the buffer emptied) */
        if (on && c->tv_cur != read_tv(c)) {
            c->tv_cur = read_tv(c);
            event_add(c->rev, c->tv_cur);
        }
        return;
    }
    c->reading = on;
    if (on) {
        c->tv_cur = read_tv(c);
        event_add(c->rev, c->tv_cur);
    } else {
        event_del(c->rev);
    }
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
    if (c->writing) {
        event_del(c->wev);
        c->writing = false;
        if (!c->lingering) arm_read(c, true);
    }
    if (c->ntimed && s->cfg.on_sent) {
        uint64_t t = now_ns();
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
            c->reading = false;
            event_del(c->rev);
            arm_read(c, true);
            return 0;
        }
        conn_close(c);
        return -1;
    }
    return 0;
}

/* Answers what is complete in the buffer and writes the replies; goes on while that makes progress (requests
 * held back while the socket was full). Returns -1 when the connection was closed. */
static int conn_after_io(struct hs_conn *c)
{
    for (;;) {
        int done = c->close_after || c->lingering ? 0 : conn_process(c);
        if (conn_flush(c)) return -1;
        if (!done || c->out_len || c->close_after || c->lingering) return 0;
    }
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct hs_conn *c = arg;
    if (what & EV_TIMEOUT) {
        conn_close(c); /* a client that does not read its answers */
        return;
    }
    conn_after_io(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct hs_conn *c = arg;
    if (what & EV_TIMEOUT) {
        if (!c->lingering && c->in_len > c->in_off && !c->over_limit) {
            conn_error(c, 408, "request not received within read_timeout_ms", false);
            c->in_off = c->in_len = 0;
            if (conn_after_io(c) == 0 && !c->lingering && c->out_off == c->out_len) conn_close(c);
            return;
        }
        conn_close(c);
        return;
    }
    if (c->lingering) {
        char junk[16384];
        ssize_t k = read(fd, junk, sizeof junk);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) conn_close(c);
        return;
    }
    if (c->in_cap - c->in_len < 1024 && !in_reserve(c, c->in_len - c->in_off + 16384)) {
        conn_close(c);
        return;
    }
    size_t room = c->in_cap - 1 - c->in_len;
    if (room == 0) {
        /* the buffer is at its hard limit with unanswered requests: wait for the client to read */
        arm_read(c, false);
        return;
    }
    ssize_t k = read(fd, c->in + c->in_len, room);
    if (k <= 0) {
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (k == 0 && c->out_off < c->out_len) {
            /* the client half-closed after its requests: finish writing their answers, then close */
            c->close_after = true;
            arm_read(c, false);
            return;
        }
        conn_close(c); /* the peer closed (or reset) with nothing owed to it */
        return;
    }
    c->t_read_ns = now_ns();
    if (c->in_len == c->in_off) c->t_first_ns = c->t_read_ns;
    c->in_len += (size_t)k;
    c->last_active_ms = now_ms();
    if (conn_after_io(c) == 0 && c->reading) arm_read(c, true);
}

static void conn_close(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    event_free(c->rev);
    if (c->wev) event_free(c->wev);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    if (!c->over_limit) s->nactive--;
    atomic_fetch_sub_explicit(&s->nconns, 1, memory_order_relaxed);
    free(c->in);
    free(c->out);
    free(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct hs_server *s = arg;
    struct hs_conn *c = calloc(1, sizeof *c);
    if (c) c->in = malloc(HS_IN_INIT);
    if (c) c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
    if (!c || !c->in || !c->rev) {
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
    c->last_active_ms = now_ms();
    if (s->nactive >= s->cfg.max_connections) {
        c->over_limit = true;
        atomic_fetch_add_explicit(&s->rejected, 1, memory_order_relaxed);
    } else {
        s->nactive++;
    }
    atomic_fetch_add_explicit(&s->nconns, 1, memory_order_relaxed);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    arm_read(c, true);
}

struct hs_server *hs_new(struct event_base *base, int listen_fd, const struct hs_config *cfg)
{
    struct hs_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->base = base;
    s->cfg = *cfg;
    struct timeval tv = {cfg->read_timeout_ms / 1000, (cfg->read_timeout_ms % 1000) * 1000};
    s->tv_read = event_base_init_common_timeout(base, &tv);
    struct timeval ti = {cfg->idle_timeout_ms / 1000, (cfg->idle_timeout_ms % 1000) * 1000};
    s->tv_idle = event_base_init_common_timeout(base, &ti);
    struct timeval tw = {cfg->write_timeout_ms / 1000, (cfg->write_timeout_ms % 1000) * 1000};
    s->tv_write = event_base_init_common_timeout(base, &tw);
    struct timeval tl = {HS_LINGER_MS / 1000, (HS_LINGER_MS % 1000) * 1000};
    s->tv_linger = event_base_init_common_timeout(base, &tl);
    s->lis =
        evconnlistener_new(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd);
    if (!s->tv_read || !s->tv_idle || !s->tv_write || !s->tv_linger || !s->lis) {
        if (s->lis) evconnlistener_free(s->lis);
        free(s);
        return NULL;
    }
    return s;
}

void hs_set_timeouts(struct hs_server *s, int read_ms, int idle_ms, int write_ms)
{
    struct timeval tv = {read_ms / 1000, (read_ms % 1000) * 1000};
    struct timeval ti = {idle_ms / 1000, (idle_ms % 1000) * 1000};
    struct timeval tw = {write_ms / 1000, (write_ms % 1000) * 1000};
    /* the base keeps a queue per duration (returned again for a duration it has): a reload back and forth
     * allocates nothing new. On failure the old timeouts stay. */
    const struct timeval *r = event_base_init_common_timeout(s->base, &tv);
    const struct timeval *i = event_base_init_common_timeout(s->base, &ti);
    const struct timeval *w = event_base_init_common_timeout(s->base, &tw);
    if (!r || !i || !w) return;
    s->tv_read = r;
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
    int64_t now = now_ms();
    for (struct hs_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        bool idle = c->in_off == c->in_len && c->out_off == c->out_len && !c->lingering;
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
    s->drain_start_ms = now_ms();
    s->on_drained = on_drained;
    s->drained_arg = arg;
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
    free(s);
}

uint64_t hs_connections(const struct hs_server *s)
{
    return atomic_load_explicit(&((struct hs_server *)s)->nconns, memory_order_relaxed);
}

uint64_t hs_rejected(const struct hs_server *s)
{
    return atomic_load_explicit(&((struct hs_server *)s)->rejected, memory_order_relaxed);
}
