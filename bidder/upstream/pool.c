/* pool: see pool.h. This file: connections (non-blocking connect, keep-alive, reading and bounding the
 * answers) and fan-outs (deadlines, late answers); the target table and its health are target.c. */
#include "bidder/upstream/pool.h"
#include "bidder/upstream/pool_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bidder/http/http_parse.h"
#include "bidder/http/http_resp.h"
#include "bidder/obs/log.h"

static struct timeval tv_of_ns(uint64_t ns)
{
    return (struct timeval){(time_t)(ns / 1000000000u), (suseconds_t)(ns % 1000000000u / 1000u)};
}

/* ---- pool and targets ---- */

struct up_pool *up_pool_new(struct event_base *base)
{
    struct up_pool *p = calloc(1, sizeof *p);
    if (p) p->base = base;
    return p;
}

static void conn_free(struct up_conn *c)
{
    struct up_target *t = &c->p->t[c->t];
    for (struct up_conn **pp = &t->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    t->nconns--;
    if (c->rev) event_free(c->rev);
    if (c->wev) event_free(c->wev);
    if (c->fd >= 0) close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

void up_pool_free(struct up_pool *p)
{
    if (!p) return;
    for (int i = 0; i < p->nt; i++)
        while (p->t[i].conns) {
            struct up_conn *c = p->t[i].conns;
            if (c->call) c->call->conn = NULL;
            conn_free(c);
        }
    up_targets_free(p); /* after the connections: it may run the loop once, with their events gone */
    free(p);
}

/* ---- calls ---- */

static void fanout_fire(struct up_fanout *f);

/* The call has its result: counted, and the fan-out told when it was the last. Nothing may touch the call's
 * connection after this (the fan-out's callback may free it). */
static void call_finish(struct up_call *call, enum up_result r, int err_kind)
{
    struct up_fanout *f = call->f;
    call->result = r;
    call->latency_ns = now_ns() - call->t_start_ns;
    struct up_target *t = &f->p->t[call->target];
    struct up_stats *s = t->stats;
    if (r == UP_OK) {
        up_target_ok(t);
        if (s) up_stats_observe(s, call->latency_ns);
    } else if (r == UP_TIMEOUT) {
        up_target_fail(t);
        if (s) UP_STAT_INC(s, timeouts);
    } else if (r == UP_ERROR) {
        up_target_fail(t);
        if (s && err_kind >= 0 && err_kind < UP_E__N) UP_STAT_INC(s, errors[err_kind]);
    }
    f->pending--;
    if (f->pending == 0 && f->started) fanout_fire(f);
}

/* ---- connections ---- */

static void on_conn_read(evutil_socket_t fd, short what, void *arg);
static void on_conn_write(evutil_socket_t fd, short what, void *arg);

static void conn_reset_input(struct up_conn *c)
{
    c->in_len = 0;
    c->have_head = false;
    memset(&c->hr, 0, sizeof c->hr);
}

static struct up_conn *conn_new(struct up_pool *p, int ti);

/* The connection failed or must not be reused: its call (if any, and still open) gets the error. A kept-alive
 * connection that fails before any byte of the answer is usually one the upstream closed while idle (the
 * race every keep-alive client has): the request is sent again, once, on a new connection. */
static void conn_fail(struct up_conn *c, int kind, const char *msg)
{
    struct up_call *call = c->call;
    bool late = c->st == C_LATE;
    c->call = NULL;
    if (call && !late && c->used && c->in_len == 0 && !call->retried && kind == UP_E_RESET) {
        struct up_pool *p = c->p;
        int ti = c->t;
        char *out = c->out;
        size_t out_len = c->out_len, out_cap = c->out_cap;
        c->out = NULL;
        conn_free(c);
        struct up_conn *n = conn_new(p, ti);
        if (n) {
            n->out = out;
            n->out_len = out_len;
            n->out_cap = out_cap;
            n->out_off = 0;
            n->call = call;
            call->conn = n;
            call->retried = true;
            return;
        }
        free(out);
    } else {
        conn_free(c);
    }
    if (call && !late) {
        call->conn = NULL;
        call->err = msg;
        call_finish(call, UP_ERROR, kind);
    }
}

static void conn_idle(struct up_conn *c)
{
    c->st = C_IDLE;
    c->used = true;
    c->call = NULL;
    c->out_off = c->out_len = 0;
    conn_reset_input(c);
    /* an idle connection reads only to notice the upstream closing it; a long quiet one is closed */
    struct timeval tv = {60, 0};
    event_add(c->rev, &tv);
}

/* The answer is complete (c->hr, body at in + head_len, decoded). */
static void conn_complete(struct up_conn *c, size_t body_off, size_t body_len)
{
    struct up_target *t = &c->p->t[c->t];
    if (c->out_off < c->out_len) {
        /* answered before it had all of the request: the rest is not wanted, the connection not reusable */
        c->hr.keep_alive = false;
        if (c->writing) event_del(c->wev);
        c->writing = false;
    }
    if (c->st == C_LATE) {
        if (t->stats) UP_STAT_INC(t->stats, late);
        if (c->hr.keep_alive)
            conn_idle(c);
        else
            conn_free(c);
        return;
    }
    struct up_call *call = c->call;
    /* the read event stays registered (no epoll_ctl per call): a byte or EOF while the body is lent marks
     * the connection not reusable (on_conn_read) */
    c->st = C_HELD;
    call->status = c->hr.status;
    if (c->hr.status >= 500) {
        call->err = "the upstream answered a 5xx status";
        call->conn = c;
        call_finish(call, UP_ERROR, UP_E_5XX);
        return;
    }
    call->body = c->in + body_off;
    call->body_len = body_len;
    call->conn = c;
    call_finish(call, UP_OK, -1);
}

static int conn_flush(struct up_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (k > 0) {
            c->out_off += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->writing) event_add(c->wev, NULL);
            c->writing = true;
            return 0;
        }
        return -1;
    }
    if (c->writing) event_del(c->wev);
    c->writing = false;
    return 0;
}

/* Reads what arrived and, once the answer is complete, hands it on. */
static void on_conn_read(evutil_socket_t fd, short what, void *arg)
{
    struct up_conn *c = arg;
    if (what & EV_TIMEOUT) {
        /* the read event keeps one timeout through every state (moving it costs no system call, removing and
         * adding the event does): a busy or held connection is bounded by its fan-out's deadline instead */
        if (c->st == C_BUSY || c->st == C_HELD) return;
        /* an idle connection quiet for long, or a late answer not complete within UP_LATE_MS */
        conn_free(c);
        return;
    }
    if (c->st == C_HELD) {
        /* the answer's body is lent to the fan-out, so nothing may be read into the buffer now: whatever
         * came (EOF, stray bytes) makes the connection not reusable; it is closed when the body is given back
         */
        c->hr.keep_alive = false;
        event_del(c->rev);
        return;
    }
    if (c->st == C_IDLE) {
        /* data on an idle connection is not an answer to anything; EOF is the upstream closing it */
        conn_free(c);
        return;
    }
    for (;;) {
        if (c->in_cap - c->in_len < 4096) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
            if (cap > UP_MAX_HEAD + UP_MAX_BODY + 65536) cap = UP_MAX_HEAD + UP_MAX_BODY + 65536;
            if (cap <= c->in_len + 1) {
                conn_fail(c, UP_E_OVERSIZED, "the answer is larger than the cap");
                return;
            }
            char *n = realloc(c->in, cap);
            if (!n) {
                conn_fail(c, UP_E_OVERSIZED, "out of memory for the answer");
                return;
            }
            c->in = n;
            c->in_cap = cap;
        }
        ssize_t k = read(fd, c->in + c->in_len, c->in_cap - 1 - c->in_len);
        if (k < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            conn_fail(c, UP_E_RESET, "the connection was reset");
            return;
        }
        if (k == 0) {
            if (c->have_head && c->hr.until_close) {
                size_t hl = c->hr.head_len;
                c->hr.keep_alive = false;
                conn_complete(c, hl, c->in_len - hl);
                return;
            }
            conn_fail(c, UP_E_RESET, "the upstream closed the connection before a complete answer");
            return;
        }
        c->in_len += (size_t)k;
        if (!c->have_head) {
            int hl = hr_parse_head(c->in, c->in_len, UP_MAX_HEAD, &c->hr);
            if (hl < 0) {
                conn_fail(c, hl == HR_ETOOBIG ? UP_E_OVERSIZED : UP_E_HTTP, hr_strerror(hl));
                return;
            }
            if (hl == 0) continue;
            if (c->hr.status < 200) {
                /* an interim answer (100 Continue): dropped, the real one follows */
                memmove(c->in, c->in + hl, c->in_len - (size_t)hl);
                c->in_len -= (size_t)hl;
                continue;
            }
            c->have_head = true;
            if (c->hr.has_length && c->hr.content_length > UP_MAX_BODY) {
                conn_fail(c, UP_E_OVERSIZED, "the answer's Content-Length is over the cap");
                return;
            }
            if (c->hr.chunked) hp_chunked_init(&c->ck);
        }
        size_t hl = c->hr.head_len;
        if (c->hr.chunked) {
            int rc = hp_chunked_feed(&c->ck, c->in + hl, c->in_len - hl, UP_MAX_BODY, 65536);
            if (rc < 0) {
                conn_fail(c, rc == HP_EBODYTOOBIG ? UP_E_OVERSIZED : UP_E_HTTP, hp_strerror(rc));
                return;
            }
            if (rc == 0) continue;
            if (hl + c->ck.pos != c->in_len) c->hr.keep_alive = false; /* bytes nobody asked for */
            size_t blen = hp_chunked_decode(c->in + hl, c->ck.pos);
            c->in[hl + blen] = '\0';
            conn_complete(c, hl, blen);
            return;
        }
        if (c->hr.until_close) {
            if (c->in_len - hl > UP_MAX_BODY) {
                conn_fail(c, UP_E_OVERSIZED, "the answer is larger than the cap");
                return;
            }
            continue;
        }
        size_t need = (size_t)c->hr.content_length;
        if (c->in_len - hl < need) continue;
        if (c->in_len - hl > need) c->hr.keep_alive = false; /* bytes nobody asked for: not reused */
        c->in[hl + need] = '\0';
        conn_complete(c, hl, need);
        return;
    }
}

static void on_conn_write(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct up_conn *c = arg;
    if (c->st == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err) {
            conn_fail(c, UP_E_CONNECT, "connect failed");
            return;
        }
        c->st = c->call ? C_BUSY : C_LATE;
        event_add(c->rev, NULL);
    }
    if (conn_flush(c)) conn_fail(c, UP_E_RESET, "the connection was reset while sending");
}

static struct up_conn *conn_new(struct up_pool *p, int ti)
{
    struct up_target *t = &p->t[ti];
    int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct up_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->p = p;
    c->t = ti;
    c->fd = fd;
    c->rev = event_new(p->base, fd, EV_READ | EV_PERSIST, on_conn_read, c);
    c->wev = event_new(p->base, fd, EV_WRITE | EV_PERSIST, on_conn_write, c);
    c->next = t->conns;
    t->conns = c;
    t->nconns++;
    if (!c->rev || !c->wev) {
        conn_free(c);
        return NULL;
    }
    int rc = connect(fd, (struct sockaddr *)&t->addr, t->alen);
    if (rc < 0 && errno != EINPROGRESS) {
        conn_free(c);
        return NULL;
    }
    c->st = C_CONNECTING;
    event_add(c->wev, NULL);
    c->writing = true;
    return c;
}

static bool out_put(struct up_conn *c, const char *s, size_t n)
{
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n) cap *= 2;
        char *o = realloc(c->out, cap);
        if (!o) return false;
        c->out = o;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
    return true;
}

/* ---- fan-outs ---- */

static void on_fanout_timer(evutil_socket_t fd, short what, void *arg);

struct up_fanout *up_fanout_new(struct up_pool *p, void (*done)(void *arg, struct up_fanout *f), void *arg)
{
    struct up_fanout *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->p = p;
    f->done = done;
    f->arg = arg;
    f->timer = evtimer_new(p->base, on_fanout_timer, f);
    if (!f->timer) {
        free(f);
        return NULL;
    }
    return f;
}

static void fanout_fire(struct up_fanout *f)
{
    if (f->done_called) return;
    f->done_called = true;
    event_del(f->timer);
    f->done(f->arg, f);
}

/* A call whose request could not be sent: its result now, counted. */
static int call_refused(struct up_fanout *f, struct up_call *call, enum up_result r, const char *msg)
{
    call->err = msg;
    call->result = r;
    struct up_stats *s = f->p->t[call->target].stats;
    if (s && r == UP_BUSY) UP_STAT_INC(s, busy);
    if (s && r == UP_DOWN) UP_STAT_INC(s, not_forwarded[REASON_UPSTREAM_DOWN]);
    return (int)(call - f->calls);
}

int up_fanout_add(struct up_fanout *f, int ti, const char *body, size_t len, int timeout_ms)
{
    if (f->n >= UPSTREAM_MAX) return -1;
    struct up_call *call = &f->calls[f->n++];
    memset(call, 0, sizeof *call);
    call->f = f;
    call->target = ti;
    call->t_start_ns = now_ns();
    call->deadline_ns = call->t_start_ns + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000u;
    struct up_target *t = &f->p->t[ti];
    call->stats = t->stats;
    if (!t->alen) {
        /* its host name is being looked up, or the lookup failed (target.c tries again): not sent, counted
         * as a connect error, not as the upstream's failure */
        call->err = "the upstream's host name is not resolved";
        call->result = UP_ERROR;
        if (t->stats) UP_STAT_INC(t->stats, errors[UP_E_CONNECT]);
        return (int)(call - f->calls);
    }
    if (!up_target_admit(t, call->t_start_ns))
        return call_refused(f, call, UP_DOWN, "the upstream is marked down");
    struct up_conn *c = NULL;
    for (struct up_conn *x = t->conns; x; x = x->next)
        if (x->st == C_IDLE) {
            c = x;
            break;
        }
    if (!c) {
        if (t->nconns >= t->max_conns) {
            if (t->probing && t->down) t->probing = false;
            return call_refused(f, call, UP_BUSY, "all connections to the upstream are in use");
        }
        c = conn_new(f->p, ti);
        if (!c) {
            /* counted as a failure: a refused connect is the usual sign of a dead upstream */
            call->err = "cannot open a connection";
            call->result = UP_ERROR;
            if (t->stats) UP_STAT_INC(t->stats, errors[UP_E_CONNECT]);
            up_target_fail(t);
            return (int)(call - f->calls);
        }
    } else {
        /* its read event stays as it is (registered, with the idle timeout, which a busy connection ignores)
         */
        c->st = C_BUSY;
    }
    c->call = call;
    call->conn = c;
    c->out_off = c->out_len = 0;
    conn_reset_input(c);
    /* the target's fixed head, the length in decimal, the empty line, the body */
    char num[32];
    size_t nn = sizeof num;
    num[--nn] = '\n', num[--nn] = '\r', num[--nn] = '\n', num[--nn] = '\r';
    size_t v = len;
    do num[--nn] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (!out_put(c, t->head, t->head_len) || !out_put(c, num + nn, sizeof num - nn) ||
        !out_put(c, body, len)) {
        c->call = NULL;
        conn_free(c);
        call->conn = NULL;
        call->err = "out of memory for the request";
        call->result = UP_ERROR;
        return (int)(call - f->calls);
    }
    f->pending++;
    if (t->stats) UP_STAT_INC(t->stats, forwarded);
    /* a reused connection the upstream closed meanwhile: sent again on a new one (conn_fail) */
    if (c->st != C_CONNECTING && conn_flush(c))
        conn_fail(c, UP_E_RESET, "the connection was reset while sending");
    return (int)(call - f->calls);
}

static void arm(struct up_fanout *f)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < f->n; i++)
        if (f->calls[i].result == UP_PENDING && f->calls[i].deadline_ns < next)
            next = f->calls[i].deadline_ns;
    if (next == UINT64_MAX) return;
    uint64_t now = now_ns();
    struct timeval tv = tv_of_ns(next > now ? next - now : 0);
    event_add(f->timer, &tv);
}

void up_fanout_start(struct up_fanout *f)
{
    f->started = true;
    if (f->pending == 0) {
        /* answered from the event loop, never inside the caller's handler */
        struct timeval tv = {0, 0};
        event_add(f->timer, &tv);
        return;
    }
    arm(f);
}

/* Detaches a call from its connection: the connection reads and discards the late answer. */
static void call_abandon(struct up_call *call)
{
    struct up_conn *c = call->conn;
    call->conn = NULL;
    if (call->result == UP_PENDING) {
        /* a probe given up without a result (the client went away): the next request probes again */
        struct up_target *t = &call->f->p->t[call->target];
        if (t->down) t->probing = false;
    }
    if (!c) return;
    c->call = NULL;
    if (c->st == C_HELD) {
        if (c->hr.keep_alive)
            conn_idle(c);
        else
            conn_free(c);
        return;
    }
    if (c->st == C_CONNECTING) {
        /* nothing sent yet: no late answer to wait for */
        conn_free(c);
        return;
    }
    /* reads the late answer (and finishes sending, if it was still sending) within UP_LATE_MS */
    c->st = C_LATE;
    struct timeval tv = {UP_LATE_MS / 1000, (UP_LATE_MS % 1000) * 1000};
    event_add(c->rev, &tv); /* a pending event: only its timeout moves */
}

static void on_fanout_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct up_fanout *f = arg;
    if (f->pending == 0) {
        fanout_fire(f);
        return;
    }
    uint64_t now = now_ns();
    for (uint32_t i = 0; i < f->n && !f->done_called; i++) {
        struct up_call *call = &f->calls[i];
        if (call->result != UP_PENDING || call->deadline_ns > now) continue;
        call_abandon(call);
        call->err = "no answer within the upstream's time";
        /* the fan-out may fire (and be freed) on the last one: nothing after this touches f then */
        bool last = f->pending == 1;
        call_finish(call, UP_TIMEOUT, -1);
        if (last) return;
    }
    if (!f->done_called) arm(f);
}

uint32_t up_fanout_n(const struct up_fanout *f)
{
    return f->n;
}

struct up_call *up_fanout_call(struct up_fanout *f, uint32_t i)
{
    return i < f->n ? &f->calls[i] : NULL;
}

void up_fanout_free(struct up_fanout *f)
{
    if (!f) return;
    for (uint32_t i = 0; i < f->n; i++) call_abandon(&f->calls[i]);
    event_free(f->timer);
    free(f);
}
