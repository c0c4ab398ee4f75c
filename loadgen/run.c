/* run: the load engine; see run.h for the schedule and how latency is measured.
 * Each connection is an explicit state machine (connecting, idle, busy, dead) driven by raw libevent events
 * on the socket: no bufferevents, so a request is one writev and a response one read in the common case. */
#include "loadgen/run.h"
#include "bidder/common/clock.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define READ_INIT 16384
#define READ_MAX (8u << 20)    /* a response larger than this is an error */
#define SCRATCH_CAP (1u << 20) /* decoded (gunzipped, de-chunked) response bodies */
#define SWEEP_NS 10000000ull   /* timeouts and reconnects are checked every 10 ms */
#define NOTICE_HOSTS 8
#define NOTICE_SLOTS 256
#define RECONNECT_NS 10000000ull

enum conn_state { C_DEAD, C_CONNECTING, C_IDLE, C_BUSY };

struct worker;

struct conn {
    struct worker *w;
    int fd;
    enum conn_state state;
    struct event *rev, *wev;
    const struct sockaddr *addr;
    socklen_t addrlen;
    const struct run_target *target; /* load connections */
    int notice;                      /* -1 for load connections, else the notice host index */
    uint64_t t_sched, t_sent, t_retry;
    uint32_t item;
    bool measured;
    /* A reused connection the server closed before any byte of the answer: the server's idle close raced our
     * request, and the request was never read (fairbid, like any HTTP server, closes only a connection with
     * no request begun). It is sent again once on a new connection, as HTTP clients do (RFC 9112 9.3.1). */
    bool reused;   /* at least one answer came back on this connection */
    bool is_retry; /* the request in flight was sent again after such a close */
    bool pending;  /* the request waits for the new connection to be up */
    char *rbuf;
    size_t rlen, rcap;
    char *wbuf; /* the unsent rest of a partial write */
    size_t wlen, woff, wcap;
};

struct notice_host {
    char hostport[HP_URL_MAX_HOST + 8];
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool refused;
    struct conn c;
    char (*slot)[EXCH_MAX_URL + HP_URL_MAX_HOST + 64];
    uint32_t head, n; /* ring of pending requests */
};

struct worker {
    const struct run_cfg *cfg;
    unsigned idx;
    pthread_t tid;
    struct event_base *base;
    struct event *timer;
    struct conn *conns;
    unsigned nconns;
    struct conn **idle;
    unsigned nidle, idle_head; /* a FIFO ring of nconns slots: the connection idle longest goes next */
    unsigned inflight;
    /* Schedule. */
    uint64_t t0, measure_start, sched_end, drain_deadline;
    double period_ns; /* between two requests of the whole run */
    uint64_t k, next_sched, t_blocked;
    bool sched_done, stopping;
    bool timer_fired; /* the sleep's timer ran (not a socket event) */
    uint64_t quota;   /* measured requests this thread may send; UINT64_MAX = unlimited */
    uint64_t next_item;
    struct rng rng;
    struct run_stats st;
    char *scratch, *json_scratch;
    struct notice_host notice[NOTICE_HOSTS];
    unsigned nnotice, notice_pending;
    int setup_err;
};

/* ---- time-line -------------------------------------------------------------------------------------------
 */

static void timeline_add(struct worker *w, uint64_t t_done, uint64_t lat)
{
    if (t_done < w->measure_start) return;
    uint64_t s = (t_done - w->measure_start) / 1000000000ull;
    if (s >= w->st.nsecs) return;
    struct run_second *sec = &w->st.secs[s];
    if (!sec->h) {
        sec->h = malloc(sizeof *sec->h); /* once per second of the run */
        if (!sec->h) return;
        hist_init(sec->h);
    }
    sec->n++;
    hist_record(sec->h, lat);
}

/* ---- connections -----------------------------------------------------------------------------------------
 */

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void conn_send_load(struct conn *c, uint64_t t_sched, uint64_t now);
static void conn_send_item(struct conn *c, uint32_t item, uint64_t now);
static int conn_resend(struct conn *c);
static void notice_kick(struct worker *w, struct notice_host *h);

static void conn_close(struct conn *c)
{
    if (c->rev) event_del(c->rev);
    if (c->wev) event_del(c->wev);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->rlen = 0;
    c->wlen = c->woff = 0;
}

/* Starts a non-blocking connect. Returns 0 when under way or done. */
static int conn_open(struct conn *c)
{
    int fd = socket(c->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->reused = false;
    event_assign(c->rev, c->w->base, fd, EV_READ | EV_PERSIST, on_read, c);
    event_assign(c->wev, c->w->base, fd, EV_WRITE, on_write, c);
    if (connect(fd, c->addr, c->addrlen) == 0) {
        c->state = C_IDLE;
        event_add(c->rev, NULL);
        return 0;
    }
    if (errno != EINPROGRESS) {
        close(fd);
        c->fd = -1;
        return -1;
    }
    c->state = C_CONNECTING;
    event_add(c->wev, NULL);
    return 0;
}

/* Idle connections are used oldest first, as a round-robin balancer would: with several targets every
 * instance gets its share of the load, and no connection sits idle long enough to race a server's idle close
 * (a last-in-first-out pool sent nearly everything down one connection at moderate rates). */
static void idle_push(struct worker *w, struct conn *c)
{
    w->idle[(w->idle_head + w->nidle++) % w->nconns] = c;
}

static struct conn *idle_pop(struct worker *w)
{
    struct conn *c = w->idle[w->idle_head];
    w->idle_head = (w->idle_head + 1) % w->nconns;
    w->nidle--;
    return c;
}

static void conn_became_idle(struct conn *c)
{
    struct worker *w = c->w;
    c->state = C_IDLE;
    if (c->notice >= 0) {
        notice_kick(w, &w->notice[c->notice]);
        return;
    }
    idle_push(w, c);
}

/* A connection failed: what it carried is lost, and it is retried after RECONNECT_NS. */
static void conn_fail(struct conn *c, uint64_t *counter)
{
    struct worker *w = c->w;
    if (c->state == C_BUSY && c->notice < 0 && counter == &w->st.err_io && c->reused && c->rlen == 0 &&
        !c->is_retry) {
        /* closed before any byte of the answer on a reused connection: safe to send again (see struct conn)
         */
        conn_close(c);
        c->state = C_DEAD;
        if (conn_resend(c) == 0) {
            w->st.retried++;
            return;
        }
        w->st.err_connect++;
        if (c->measured) (*counter)++;
        w->inflight--;
        c->state = C_DEAD;
        c->t_retry = fb_clock_mono_ns() + RECONNECT_NS;
        return;
    }
    if (c->state == C_BUSY) {
        if (c->notice >= 0) {
            w->st.notices_failed++;
        } else {
            if (c->measured) (*counter)++;
        }
        w->inflight--;
    } else if (c->state == C_CONNECTING) {
        w->st.err_connect++;
        if (c->pending) {
            /* the request waiting to be sent again is lost with the new connection */
            c->pending = false;
            if (c->measured) w->st.err_io++;
            w->inflight--;
        }
    } else if (c->state == C_IDLE && c->notice < 0) {
        for (unsigned i = 0; i < w->nidle; i++)
            if (w->idle[(w->idle_head + i) % w->nconns] == c) {
                w->idle[(w->idle_head + i) % w->nconns] = w->idle[(w->idle_head + w->nidle - 1) % w->nconns];
                w->nidle--;
                break;
            }
    }
    conn_close(c);
    c->state = C_DEAD;
    c->t_retry = fb_clock_mono_ns() + RECONNECT_NS;
}

static int conn_write(struct conn *c, const struct iovec *iov, int niov, size_t total)
{
    ssize_t n = writev(c->fd, iov, niov);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        n = 0;
    }
    c->w->st.bytes_out += (uint64_t)n;
    if ((size_t)n == total) return 0;
    /* Rare: keep the rest and wait for the socket to drain. */
    size_t rest = total - (size_t)n;
    if (rest > c->wcap) {
        char *nb = realloc(c->wbuf, rest);
        if (!nb) return -1;
        c->wbuf = nb;
        c->wcap = rest;
    }
    size_t skip = (size_t)n, o = 0;
    for (int i = 0; i < niov; i++) {
        size_t l = iov[i].iov_len;
        if (skip >= l) {
            skip -= l;
            continue;
        }
        memcpy(c->wbuf + o, (const char *)iov[i].iov_base + skip, l - skip);
        o += l - skip;
        skip = 0;
    }
    c->wlen = rest;
    c->woff = 0;
    event_add(c->wev, NULL);
    return 0;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            conn_fail(c, &c->w->st.err_connect);
            return;
        }
        event_add(c->rev, NULL);
        if (c->pending)
            conn_send_item(c, c->item, fb_clock_mono_ns());
        else
            conn_became_idle(c);
        return;
    }
    if (c->wlen > c->woff) {
        ssize_t n = write(fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_fail(c, &c->w->st.err_io);
            return;
        }
        if (n > 0) {
            c->woff += (size_t)n;
            c->w->st.bytes_out += (uint64_t)n;
        }
        if (c->woff < c->wlen)
            event_add(c->wev, NULL);
        else
            c->wlen = c->woff = 0;
    }
}

/* ---- load requests ---------------------------------------------------------------------------------------
 */

/* Writes request item on c (idle or just connected); c->t_sched and c->measured are already set. */
static void conn_send_item(struct conn *c, uint32_t item, uint64_t now)
{
    struct worker *w = c->w;
    const struct run_target *t = c->target;
    const struct traffic_item *it = &w->cfg->traffic->items[item];
    struct iovec iov[2] = {{(void *)(uintptr_t)t->head, t->head_len}, {it->tail, it->tail_len}};
    c->item = item;
    c->t_sent = now;
    c->pending = false;
    c->state = C_BUSY;
    if (conn_write(c, iov, 2, t->head_len + it->tail_len) < 0) conn_fail(c, &w->st.err_io);
}

static void conn_send_load(struct conn *c, uint64_t t_sched, uint64_t now)
{
    struct worker *w = c->w;
    const struct run_cfg *cfg = w->cfg;
    uint32_t item = (uint32_t)(w->next_item % cfg->traffic->n);
    w->next_item += cfg->threads;
    c->t_sched = t_sched;
    c->measured = (cfg->rate > 0 ? t_sched : now) >= w->measure_start;
    c->is_retry = false;
    w->inflight++;
    w->st.sent++;
    if (c->measured) {
        w->st.measured_sent++;
        w->st.group_sent[cfg->traffic->items[item].group]++;
    }
    conn_send_item(c, item, now);
}

/* Sends c's request again on a new connection (c is closed). The request stays in flight and keeps its due
 * time, so its latency includes the retry. Returns -1 when no connection can be started. */
static int conn_resend(struct conn *c)
{
    c->is_retry = true;
    c->pending = true;
    if (conn_open(c) < 0) {
        c->pending = false;
        return -1;
    }
    if (c->state == C_IDLE) conn_send_item(c, c->item, fb_clock_mono_ns());
    return 0;
}

/* Closed loop: whether this thread may send another request now. */
static bool closed_may_send(struct worker *w, uint64_t now)
{
    if (w->stopping || now >= w->sched_end) return false;
    if (now >= w->measure_start && w->st.measured_sent >= w->quota) return false;
    return true;
}

static void schedule_advance(struct worker *w)
{
    w->k++;
    double off = ((double)w->idx + (double)w->k * (double)w->cfg->threads) * w->period_ns;
    w->next_sched = w->t0 + (uint64_t)off;
    if (w->next_sched >= w->sched_end) w->sched_done = true;
    if (w->next_sched >= w->measure_start && w->st.measured_sent >= w->quota) w->sched_done = true;
}

/* Open loop: send every request that is due, as long as an idle connection is there. */
static void dispatch_due(struct worker *w, uint64_t now)
{
    while (!w->sched_done && !w->stopping && w->next_sched <= now) {
        if (w->nidle == 0) {
            w->t_blocked = now;
            return;
        }
        struct conn *c = idle_pop(w);
        uint64_t due = w->next_sched;
        /* The send time is read again for each send, just before its writev: `now` dates from before the
         * callbacks of this loop turn and the sends before it in this batch, and the error must include them.
         */
        uint64_t t_send = fb_clock_mono_ns();
        if (due >= w->measure_start) {
            if (due > w->t_blocked)
                hist_record(&w->st.sched, t_send - due);
            else
                w->st.queued++;
        }
        conn_send_load(c, due, t_send);
        schedule_advance(w);
    }
}

/* Bids, no-bids and the exchange simulation for one 200 response. */
static void handle_bid_response(struct worker *w, struct conn *c, const struct hp_response *r)
{
    const char *body = r->body;
    size_t n = r->body_len;
    if (r->chunked) {
        long l = hp_chunked_copy(body, n, w->scratch, SCRATCH_CAP);
        if (l < 0) {
            w->st.err_parse++;
            return;
        }
        body = w->scratch;
        n = (size_t)l;
    }
    if (r->gzip) {
        /* De-chunked data already sits in scratch: inflate into its second half. */
        char *out = w->scratch + SCRATCH_CAP / 2;
        uLongf outlen = SCRATCH_CAP / 2;
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK) return;
        z.next_in = (Bytef *)(uintptr_t)body;
        z.avail_in = (uInt)(n < SCRATCH_CAP / 2 ? n : SCRATCH_CAP / 2);
        z.next_out = (Bytef *)out;
        z.avail_out = (uInt)outlen;
        int rc = inflate(&z, Z_FINISH);
        n = z.total_out;
        inflateEnd(&z);
        if (rc != Z_STREAM_END) {
            w->st.err_parse++;
            return;
        }
        body = out;
    }
    if (n == 0 || !memmem(body, n, "\"seatbid\"", 9)) {
        w->st.nobids++;
        return;
    }
    static _Thread_local struct exch_resp resp;
    if (exch_parse_response(body, n, &resp, w->json_scratch, 65536) < 0) {
        w->st.err_parse++;
        return;
    }
    if (resp.nbids == 0) {
        w->st.nobids++;
        return;
    }
    w->st.bids++;
    w->st.bids_total += resp.nbids + resp.dropped;
    int group = w->cfg->traffic->items[c->item].group;
    for (unsigned i = 0; i < resp.nbids; i++) {
        const struct exch_bid *b = &resp.bids[i];
        bool win = false;
        double clearing = 0;
        if (w->cfg->exchange) {
            double compete = exch_draw(&w->cfg->compete, &w->rng, group);
            win = b->price > compete;
            clearing = w->cfg->compete.second_price ? compete : b->price;
        }
        exch_tally_add(w->st.tally, b->cid, group, win, clearing);
        if (win) w->st.wins++;
        /* a win calls the bid's nurl, a loss its lurl (loss notice), when it has one */
        struct exch_bid nb = *b;
        if (!win) nb.nurl = w->cfg->exchange ? b->lurl : SV_NULL; /* no auction simulated: no loss known */
        if (!nb.nurl.n) continue;
        if (!win) w->st.loss_notices++;
        char url[EXCH_MAX_URL];
        if (exch_expand_nurl(&resp, &nb, clearing, url, sizeof url) < 0) {
            w->st.notices_dropped++;
            continue;
        }
        /* Win notices go to whatever host the nurl names, under the same loopback rule as targets. */
        struct hp_url u;
        const char *err;
        if (hp_parse_url(url, &u, &err) < 0) {
            w->st.notices_failed++;
            continue;
        }
        struct notice_host *h = NULL;
        for (unsigned k = 0; k < w->nnotice; k++)
            if (!strcmp(w->notice[k].hostport, u.hostport)) h = &w->notice[k];
        if (!h) {
            if (w->nnotice == NOTICE_HOSTS) {
                w->st.notices_dropped++;
                continue;
            }
            h = &w->notice[w->nnotice];
            memset(h, 0, sizeof *h);
            strcpy(h->hostport, u.hostport);
            if (http_resolve(&u, &h->addr, &h->addrlen, &err) < 0 ||
                (!w->cfg->allow_remote && !http_is_loopback((struct sockaddr *)&h->addr)))
                h->refused = true;
            h->slot = calloc(NOTICE_SLOTS, sizeof *h->slot);
            h->c.w = w;
            h->c.fd = -1;
            h->c.notice = (int)w->nnotice;
            h->c.addr = (struct sockaddr *)&h->addr;
            h->c.addrlen = h->addrlen;
            h->c.rev = event_new(w->base, -1, 0, NULL, NULL);
            h->c.wev = event_new(w->base, -1, 0, NULL, NULL);
            h->c.rcap = READ_INIT;
            h->c.rbuf = malloc(h->c.rcap);
            if (!h->slot || !h->c.rbuf || !h->c.rev || !h->c.wev) h->refused = true;
            w->nnotice++;
        }
        if (h->refused) {
            w->st.notices_refused++;
            continue;
        }
        if (h->n == NOTICE_SLOTS) {
            w->st.notices_dropped++;
            continue;
        }
        char *s = h->slot[(h->head + h->n) % NOTICE_SLOTS];
        int l =
            snprintf(s, sizeof *h->slot, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fairbid-loadgen\r\n\r\n",
                     u.path, u.hostport);
        if (l < 0 || (size_t)l >= sizeof *h->slot) {
            w->st.notices_dropped++;
            continue;
        }
        h->n++;
        w->notice_pending++;
        notice_kick(w, h);
    }
}

static void notice_kick(struct worker *w, struct notice_host *h)
{
    struct conn *c = &h->c;
    if (h->n == 0) return;
    if (c->state == C_DEAD) {
        if (conn_open(c) < 0) {
            /* Unreachable: drop what is queued rather than spin. */
            w->st.notices_failed += h->n;
            w->notice_pending -= h->n;
            h->n = 0;
            return;
        }
    }
    if (c->state != C_IDLE) return;
    char *s = h->slot[h->head];
    h->head = (h->head + 1) % NOTICE_SLOTS;
    h->n--;
    w->notice_pending--;
    struct iovec iov = {s, strlen(s)};
    c->state = C_BUSY;
    c->t_sent = fb_clock_mono_ns();
    w->inflight++;
    w->st.notices_sent++;
    if (conn_write(c, &iov, 1, iov.iov_len) < 0) conn_fail(c, &w->st.notices_failed);
}

/* One whole response arrived on c at t_done. */
static void complete(struct conn *c, const struct hp_response *r, uint64_t t_done)
{
    struct worker *w = c->w;
    w->inflight--;
    if (c->notice >= 0) {
        if (r->status >= 200 && r->status < 300)
            w->st.notices_ok++;
        else
            w->st.notices_failed++;
        return;
    }
    w->st.completed++;
    if (c->measured) {
        uint64_t lat = t_done - (w->cfg->rate > 0 ? c->t_sched : c->t_sent);
        hist_record(&w->st.lat, lat);
        timeline_add(w, t_done, lat);
        w->st.status[r->status < RUN_MAX_STATUS && r->status >= 0 ? r->status : 0]++;
        if (r->status == 200 || r->status == 204)
            w->st.group_answered[w->cfg->traffic->items[c->item].group]++;
        if (r->status == 200)
            handle_bid_response(w, c, r);
        else if (r->status == 204)
            w->st.nobids++;
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct conn *c = arg;
    struct worker *w = c->w;
    for (;;) {
        if (c->rlen == c->rcap) {
            if (c->rcap >= READ_MAX) {
                conn_fail(c, &w->st.err_parse);
                return;
            }
            char *nb = realloc(c->rbuf, c->rcap * 2);
            if (!nb) {
                conn_fail(c, &w->st.err_io);
                return;
            }
            c->rbuf = nb;
            c->rcap *= 2;
        }
        ssize_t n = read(fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        uint64_t t_done = fb_clock_mono_ns();
        if (n == 0) {
            conn_fail(c, &w->st.err_io);
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            conn_fail(c, &w->st.err_io);
            return;
        }
        c->rlen += (size_t)n;
        w->st.bytes_in += (uint64_t)n;
        for (;;) {
            struct hp_response r;
            int rc = hp_parse_response(c->rbuf, c->rlen, &r);
            if (rc == HP_RESP_MORE) break;
            if (rc < 0 || c->state != C_BUSY) {
                /* Malformed, or a response nobody asked for. */
                conn_fail(c, &w->st.err_parse);
                return;
            }
            complete(c, &r, t_done);
            c->state = C_IDLE;
            c->reused = true;
            c->is_retry = false;
            memmove(c->rbuf, c->rbuf + r.msg_len, c->rlen - r.msg_len);
            c->rlen -= r.msg_len;
            if (r.close) {
                conn_close(c);
                if (conn_open(c) < 0) {
                    c->state = C_DEAD;
                    c->t_retry = t_done + RECONNECT_NS;
                    return;
                }
                if (c->state != C_IDLE) return; /* on_write makes it idle once connected */
                conn_became_idle(c);
                return;
            }
            if (c->notice < 0 && w->cfg->rate <= 0) {
                /* Closed loop: the next request goes out at once on the same connection. */
                if (closed_may_send(w, t_done))
                    conn_send_load(c, t_done, t_done);
                else
                    conn_became_idle(c);
                if (c->state != C_BUSY) return;
            } else {
                conn_became_idle(c);
                if (c->notice < 0) dispatch_due(w, t_done);
                return;
            }
        }
        if ((size_t)n < c->rcap - (c->rlen - (size_t)n)) return; /* short read: the socket is drained */
    }
}

/* ---- the thread ------------------------------------------------------------------------------------------
 */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    w->timer_fired = true;
}

static void sweep(struct worker *w, uint64_t now)
{
    const struct run_cfg *cfg = w->cfg;
    for (unsigned i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        /* t_sent may be later than now (sends read the clock afresh): compare without unsigned wrap-round */
        if (c->state == C_BUSY && now > c->t_sent + cfg->timeout_ns) {
            conn_fail(c, &w->st.timeouts);
        } else if (c->state == C_DEAD && now >= c->t_retry && !w->stopping) {
            if (conn_open(c) < 0) {
                w->st.err_connect++;
                c->t_retry = now + RECONNECT_NS;
            } else if (c->state == C_IDLE) {
                conn_became_idle(c);
            }
        }
    }
    for (unsigned i = 0; i < w->nnotice; i++) {
        struct conn *c = &w->notice[i].c;
        if (c->state == C_BUSY && now > c->t_sent + cfg->timeout_ns) conn_fail(c, &w->st.notices_failed);
    }
    if (cfg->rate <= 0 && !w->stopping) {
        /* Closed loop: idle connections (after a reconnect) start over. */
        while (w->nidle && closed_may_send(w, now)) conn_send_load(idle_pop(w), now, now);
    }
}

static void begin_stop(struct worker *w, uint64_t now, bool interrupted)
{
    if (w->stopping) return;
    w->stopping = true;
    /* Open loop: requests that fell due before the end but never left are reported, not forgotten. */
    if (w->cfg->rate > 0) {
        uint64_t end = now < w->sched_end ? now : w->sched_end;
        while (!w->sched_done && w->next_sched <= end) {
            if (w->next_sched >= w->measure_start) w->st.unsent++;
            schedule_advance(w);
        }
    }
    w->sched_done = true;
    /* In-flight requests get their full timeout, except after Ctrl-C, where the user wants the report now. */
    uint64_t grace = w->cfg->timeout_ns;
    if (interrupted && grace > 200000000ull) grace = 200000000ull;
    w->drain_deadline = now + grace;
}

static void worker_loop(struct worker *w)
{
    const struct run_cfg *cfg = w->cfg;
    bool open = cfg->rate > 0;
    uint64_t next_sweep = 0;
    w->next_sched = w->t0 + (uint64_t)((double)w->idx * w->period_ns);
    w->sched_done = w->next_sched >= w->sched_end;
    if (!open) {
        uint64_t now = fb_clock_mono_ns();
        while (now < w->t0) now = fb_clock_mono_ns();
        while (w->nidle && closed_may_send(w, now)) conn_send_load(idle_pop(w), now, now);
    }
    for (;;) {
        uint64_t now = fb_clock_mono_ns();
        if (atomic_load_explicit(cfg->stop, memory_order_relaxed)) begin_stop(w, now, true);
        if (!w->stopping && (now >= w->sched_end || (open && w->sched_done))) begin_stop(w, now, false);
        if (!open && !w->stopping && now >= w->measure_start && w->st.measured_sent >= w->quota)
            begin_stop(w, now, false);
        if (open) dispatch_due(w, now);
        if (w->stopping && w->inflight == 0 && w->notice_pending == 0) break;
        if (w->stopping && now >= w->drain_deadline) {
            for (unsigned i = 0; i < w->nconns; i++)
                if ((w->conns[i].state == C_BUSY || w->conns[i].pending) && w->conns[i].measured)
                    w->st.unfinished++;
            w->st.notices_failed += w->notice_pending;
            break;
        }
        if (now >= next_sweep) {
            sweep(w, now);
            next_sweep = now + SWEEP_NS;
        }
        bool spin = (cfg->busy_poll && w->inflight > 0) ||
                    (open && !w->sched_done && !w->stopping && w->next_sched <= now + cfg->spin_ns);
        if (spin) {
            event_base_loop(w->base, EVLOOP_NONBLOCK);
            continue;
        }
        uint64_t wake = next_sweep;
        if (open && !w->sched_done && w->next_sched - cfg->spin_ns < wake)
            wake = w->next_sched - cfg->spin_ns;
        if (w->stopping && w->drain_deadline < wake) wake = w->drain_deadline;
        if (!w->stopping && w->sched_end < wake) wake = w->sched_end;
        if (wake > now) {
            uint64_t d = wake - now;
            struct timeval tv = {(time_t)(d / 1000000000ull), (suseconds_t)(d % 1000000000ull / 1000)};
            w->timer_fired = false;
            evtimer_add(w->timer, &tv);
            event_base_loop(w->base, EVLOOP_ONCE);
            /* How late the sleep ended, when the timer (not a socket) ended it: past --spin-us, a send is
             * late because the thread woke late (an idle vCPU's wake-up), not because it was busy. */
            if (open && w->timer_fired && !w->stopping) {
                uint64_t t = fb_clock_mono_ns();
                hist_record(&w->st.wake, t > wake ? t - wake : 0);
            }
        } else {
            event_base_loop(w->base, EVLOOP_NONBLOCK);
        }
    }
}

struct shared {
    pthread_barrier_t ready, go;
    uint64_t t0;
};
static struct shared g_shared;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* Connect everything before the clock starts, so the first second is not spent in handshakes. */
    for (unsigned i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        if (conn_open(c) < 0) {
            w->st.err_connect++;
            c->state = C_DEAD;
        } else if (c->state == C_IDLE) {
            conn_became_idle(c);
        }
    }
    uint64_t deadline = fb_clock_mono_ns() + 2000000000ull;
    while (w->nidle < w->nconns && fb_clock_mono_ns() < deadline) {
        struct timeval tv = {0, 10000};
        evtimer_add(w->timer, &tv);
        event_base_loop(w->base, EVLOOP_ONCE);
        bool pending = false;
        for (unsigned i = 0; i < w->nconns; i++) pending |= w->conns[i].state == C_CONNECTING;
        if (!pending) break;
    }
    if (w->nidle == 0) w->setup_err = 1;
    pthread_barrier_wait(&g_shared.ready);
    pthread_barrier_wait(&g_shared.go);
    const struct run_cfg *cfg = w->cfg;
    w->t0 = g_shared.t0;
    w->measure_start = w->t0 + cfg->warmup_ns;
    w->sched_end = w->measure_start + cfg->duration_ns;
    if (!w->setup_err) worker_loop(w);
    return NULL;
}

static int worker_init(struct worker *w, const struct run_cfg *cfg, unsigned idx)
{
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->idx = idx;
    w->nconns = cfg->connections / cfg->threads + (idx < cfg->connections % cfg->threads);
    struct event_config *ec = event_config_new();
    if (!ec) return -1;
    /* timerfd-backed timeouts: microsecond wake-ups instead of epoll's milliseconds. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_PRECISE_TIMER);
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base) return -1;
    w->timer = evtimer_new(w->base, on_timer, w);
    w->conns = calloc(w->nconns, sizeof *w->conns);
    w->idle = calloc(w->nconns, sizeof *w->idle);
    w->scratch = malloc(SCRATCH_CAP);
    w->json_scratch = malloc(65536);
    w->st.tally = calloc(1, sizeof *w->st.tally);
    uint64_t secs = (cfg->duration_ns + 999999999ull) / 1000000000ull + 1;
    w->st.nsecs = (uint32_t)secs;
    w->st.secs = calloc(secs, sizeof *w->st.secs);
    if (!w->timer || !w->conns || !w->idle || !w->scratch || !w->json_scratch || !w->st.tally || !w->st.secs)
        return -1;
    hist_init(&w->st.lat);
    hist_init(&w->st.sched);
    hist_init(&w->st.wake);
    w->period_ns = cfg->rate > 0 ? 1e9 / cfg->rate : 0;
    w->next_item = idx;
    w->rng = rng_for(cfg->seed ^ 0xE8C4A1E5ull, idx);
    if (cfg->max_requests) {
        w->quota = cfg->max_requests / cfg->threads + (idx < cfg->max_requests % cfg->threads);
    } else {
        w->quota = UINT64_MAX;
    }
    for (unsigned i = 0; i < w->nconns; i++) {
        struct conn *c = &w->conns[i];
        /* Thread idx owns global connections idx, idx + threads, ...: target = global index mod targets. */
        const struct run_target *t = &cfg->targets[(idx + (size_t)i * cfg->threads) % cfg->ntargets];
        c->w = w;
        c->fd = -1;
        c->notice = -1;
        c->target = t;
        c->addr = (const struct sockaddr *)&t->addr;
        c->addrlen = t->addrlen;
        c->rev = event_new(w->base, -1, 0, NULL, NULL);
        c->wev = event_new(w->base, -1, 0, NULL, NULL);
        c->rcap = READ_INIT;
        c->rbuf = malloc(c->rcap);
        if (!c->rev || !c->wev || !c->rbuf) return -1;
    }
    return 0;
}

/* Closes c and frees its events and buffers (a load or a win-notice connection). */
static void conn_fini(struct conn *c)
{
    conn_close(c);
    if (c->rev) event_free(c->rev);
    if (c->wev) event_free(c->wev);
    free(c->rbuf);
    free(c->wbuf);
}

static void worker_fini(struct worker *w)
{
    for (unsigned i = 0; i < w->nconns; i++) conn_fini(&w->conns[i]);
    for (unsigned i = 0; i < w->nnotice; i++) {
        conn_fini(&w->notice[i].c);
        free(w->notice[i].slot);
    }
    if (w->timer) event_free(w->timer);
    if (w->base) event_base_free(w->base);
    free(w->conns);
    free(w->idle);
    free(w->scratch);
    free(w->json_scratch);
}

static void stats_merge(struct run_stats *d, const struct run_stats *s)
{
    hist_merge(&d->lat, &s->lat);
    hist_merge(&d->sched, &s->sched);
    hist_merge(&d->wake, &s->wake);
    for (int i = 0; i < RUN_MAX_STATUS; i++) d->status[i] += s->status[i];
#define ADD(f) d->f += s->f
    ADD(sent);
    ADD(completed);
    ADD(measured_sent);
    ADD(queued);
    ADD(unsent);
    ADD(err_connect);
    ADD(err_io);
    ADD(retried);
    ADD(err_parse);
    ADD(timeouts);
    ADD(unfinished);
    ADD(bids);
    ADD(nobids);
    ADD(bids_total);
    ADD(wins);
    ADD(notices_sent);
    ADD(notices_ok);
    ADD(notices_failed);
    ADD(notices_refused);
    ADD(notices_dropped);
    ADD(loss_notices);
    ADD(bytes_out);
    ADD(bytes_in);
#undef ADD
    for (int g = 0; g < GEN_NGROUPS; g++) {
        d->group_sent[g] += s->group_sent[g];
        d->group_answered[g] += s->group_answered[g];
    }
    for (uint32_t i = 0; i < s->nsecs && i < d->nsecs; i++) {
        if (!s->secs[i].h) continue;
        d->secs[i].n += s->secs[i].n;
        if (!d->secs[i].h) {
            d->secs[i].h = s->secs[i].h; /* take it */
            s->secs[i].h = NULL;
        } else {
            hist_merge(d->secs[i].h, s->secs[i].h);
        }
    }
    exch_tally_merge(d->tally, s->tally);
}

int run_phase(const struct run_cfg *cfg, struct run_stats *out, void (*on_measure_start)(void *), void *arg,
              char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    hist_init(&out->lat);
    hist_init(&out->sched);
    hist_init(&out->wake);
    uint64_t secs = (cfg->duration_ns + 999999999ull) / 1000000000ull + 1;
    out->nsecs = (uint32_t)secs;
    out->secs = calloc(secs, sizeof *out->secs);
    out->tally = calloc(1, sizeof *out->tally);
    struct worker *ws = calloc(cfg->threads, sizeof *ws);
    if (!out->secs || !out->tally || !ws) {
        snprintf(err, errcap, "out of memory");
        free(ws);
        return -1;
    }
    int rc = 0;
    unsigned started = 0;
    pthread_barrier_init(&g_shared.ready, NULL, cfg->threads + 1);
    pthread_barrier_init(&g_shared.go, NULL, cfg->threads + 1);
    for (unsigned i = 0; i < cfg->threads; i++) {
        if (worker_init(&ws[i], cfg, i) < 0) {
            snprintf(err, errcap, "out of memory setting up thread %u", i);
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        for (; started < cfg->threads; started++)
            if (pthread_create(&ws[started].tid, NULL, worker_main, &ws[started]) != 0) break;
        if (started < cfg->threads) {
            /* Cannot happen in practice; exit rather than leave the started threads at a barrier forever. */
            fprintf(stderr, "fairbid-loadgen: pthread_create failed\n");
            exit(2);
        }
        pthread_barrier_wait(&g_shared.ready);
        /* A short lead so every thread is back in its loop before the first request is due. */
        g_shared.t0 = fb_clock_mono_ns() + 5000000ull;
        out->t0_ns = g_shared.t0;
        out->measure_start_ns = g_shared.t0 + cfg->warmup_ns;
        pthread_barrier_wait(&g_shared.go);
        bool signalled = false;
        bool *joined = calloc(cfg->threads, sizeof *joined);
        if (!joined) exit(2);
        for (;;) {
            uint64_t now = fb_clock_mono_ns();
            if (!signalled && now >= out->measure_start_ns) {
                signalled = true;
                if (on_measure_start) on_measure_start(arg);
            }
            bool all_done = true;
            for (unsigned i = 0; i < cfg->threads; i++) {
                if (joined[i]) continue;
                if (pthread_tryjoin_np(ws[i].tid, NULL) == 0)
                    joined[i] = true;
                else
                    all_done = false;
            }
            if (all_done) break;
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
        free(joined);
        if (!signalled && on_measure_start) on_measure_start(arg);
        out->end_ns = fb_clock_mono_ns();
        unsigned failed = 0;
        for (unsigned i = 0; i < cfg->threads; i++) failed += ws[i].setup_err != 0;
        if (failed == cfg->threads) {
            snprintf(err, errcap, "could not connect to any target");
            rc = -1;
        }
        uint64_t last_end = out->measure_start_ns + cfg->duration_ns;
        /* The window is the scheduled duration, unless the run ended before it: Ctrl-C, --requests, or a
         * closed loop whose last answers came early. An open loop that finished its schedule covered it all.
         */
        bool early = atomic_load(cfg->stop) || cfg->max_requests || cfg->rate <= 0;
        out->measure_end_ns = early && out->end_ns < last_end ? out->end_ns : last_end;
        out->window_s = out->measure_end_ns > out->measure_start_ns
                            ? (double)(out->measure_end_ns - out->measure_start_ns) / 1e9
                            : 0.0;
        for (unsigned i = 0; i < cfg->threads; i++) stats_merge(out, &ws[i].st);
    }
    for (unsigned i = 0; i < cfg->threads; i++) {
        worker_fini(&ws[i]);
        for (uint32_t s = 0; s < ws[i].st.nsecs; s++) free(ws[i].st.secs[s].h);
        free(ws[i].st.secs);
        free(ws[i].st.tally);
    }
    free(ws);
    pthread_barrier_destroy(&g_shared.ready);
    pthread_barrier_destroy(&g_shared.go);
    return rc;
}

void run_stats_fini(struct run_stats *s)
{
    for (uint32_t i = 0; i < s->nsecs; i++) free(s->secs[i].h);
    free(s->secs);
    free(s->tally);
    memset(s, 0, sizeof *s);
}
