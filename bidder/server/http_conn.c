/* http_conn: the native server's connections: reading into the connection's buffer, the resumable head and
 * chunked parsers (bidder/http/), answering complete requests in order (pipelining, 100-continue, HEAD,
 * limits, timeouts), writing, lingering close. See http_server.h. */

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
#include "bidder/server/http_int.h"

static int conn_flush(struct hs_conn *c);
static void on_write(evutil_socket_t fd, short what, void *arg);

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
    if (!hs_out_reserve(c, sizeof cont - 1)) return;
    memcpy(c->out + c->out_len, cont, sizeof cont - 1);
    c->out_len += sizeof cont - 1;
}

void hs_req_reset(struct hs_conn *c)
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
        hs_conn_error(c, 503, "server busy: buffered request input over max_buffered_bytes; retry later",
                      true);
    } else {
        hs_conn_error(c, 500, "out of memory", false);
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
                hs_conn_error(c, hp_status(hl), hp_strerror(hl), true);
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
                hs_conn_error(c, 413, "request body larger than max_body", true);
                break;
            }
            if (c->chunked) hp_chunked_init(&c->ck);
        }
        size_t hl = c->head_len, wire, blen;
        if (c->chunked) {
            int rc = hp_chunked_feed(&c->ck, p + hl, n - hl, s->cfg.max_body, s->cfg.max_head);
            if (rc < 0) {
                hs_conn_error(c, hp_status(rc),
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
            hs_conn_reply(c, &rep, h.method == HP_HEAD, h.minor == 0 && h.keep_alive);
        }
        c->in_off += hl + wire;
        hs_req_reset(c);
        c->t_first_ns = c->t_read_ns; /* a pipelined request came in the latest read at the earliest */
        done++;
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        in_shrink(c);
    }
    return done;
}

/* Read interest. The read event has no timeout: libevent re-adds a persistent event's timeout on every
 * callback (a timer-queue operation per read); the idle timeout is the server's idle list instead
 * (hs_on_idle), and a request begun and a lingering close are bounded by the deadline timer (tev). */
void hs_arm_read(struct hs_conn *c, bool on)
{
    if (!on) {
        if (c->reading) event_del(c->rev);
        c->reading = false;
        return;
    }
    if (c->reading) return;
    c->reading = true;
    event_add(c->rev, NULL);
    /* reading again (after the client drained its replies, or at accept): the idle clock starts now */
    hs_idle_touch(c, fb_clock_mono_ns());
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
                hs_conn_close(c);
                return -1;
            }
            if (!c->writing) event_add(c->wev, s->tv_write);
            c->writing = true;
            hs_arm_read(c, false);
            return 0;
        }
        hs_conn_close(c);
        return -1;
    }
    c->out_off = c->out_len = 0;
    /* hs_out_shrink's own test, made here: no call for the usual small buffer */
    if (c->out_cap > HS_OUT_KEEP) hs_out_shrink(c);
    if (c->writing) {
        event_del(c->wev);
        c->writing = false;
        /* we did not read while the client was not reading: the next request's clock starts now */
        c->t_resume_ns = fb_clock_mono_ns();
        if (!c->lingering && !c->peer_eof) hs_arm_read(c, true);
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
            hs_arm_read(c, false);
            hs_arm_read(c, true);
            /* bounded in absolute time: a client that keeps sending cannot keep the fd */
            tev_clear(c);
            tev_set(c, fb_clock_mono_ns() + (uint64_t)HS_LINGER_MS * 1000000u, 0);
            return 0;
        }
        hs_conn_close(c);
        return -1;
    }
    return 0;
}

/* Answers what is complete in the buffer and writes the replies; goes on while that makes progress (requests
 * held back while the socket was full). Returns -1 when the connection was closed. */
static void on_continue(evutil_socket_t fd, short what, void *arg);

static void flush_queue(struct hs_conn *c);

/* defer (a read's turn of the loop): when every complete request was answered, the replies are written at
 * the end of the turn (hs_flush) instead of now; a request stopped by an output cap or HS_BATCH, a close, a
 * full socket or a half-closed peer goes on at once as before, so a pipeline's flow control is unchanged */
static int conn_io(struct hs_conn *c, bool defer)
{
    int total = 0;
    for (;;) {
        int done = c->close_after || c->lingering ? 0 : conn_process(c, HS_BATCH - total);
        total += done;
        if (defer && total == done && c->out_off < c->out_len && (c->in_off == c->in_len || c->waiting) &&
            !c->close_after && !c->lingering && !c->writing && !c->peer_eof && !c->deferred) {
            flush_queue(c);
            arm_deadline(c);
            return 0;
        }
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
        hs_conn_close(c);
        return -1;
    }
    arm_deadline(c);
    return 0;
}

static int conn_after_io(struct hs_conn *c)
{
    return conn_io(c, false);
}

static void on_continue(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_conn *c = arg;
    if (c->writing || c->lingering) return; /* on_write resumes it */
    conn_after_io(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct hs_conn *c = arg;
    if (what & EV_TIMEOUT) {
        atomic_fetch_add_explicit(&c->s->sh->write_timeouts, 1, memory_order_relaxed);
        hs_conn_close(c); /* a client that does not read its answers */
        return;
    }
    conn_after_io(c);
}

/* The deadline: a request still incomplete read_timeout_ms after its first byte gets 408 (complete requests
 * waiting for the client to drain its replies are not late: they are answered); a lingering close ends. */
void hs_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_conn *c = arg;
    c->tev_on = false;
    if (c->lingering) {
        hs_conn_close(c);
        return;
    }
    if (!c->waiting || c->in_len == c->in_off || c->close_after) return;
    atomic_fetch_add_explicit(&c->s->sh->timeouts, 1, memory_order_relaxed);
    hs_conn_error(c, 408, "request not received within read_timeout_ms", false);
    c->in_off = c->in_len = 0;
    c->waiting = false;
    if (conn_after_io(c) == 0 && !c->lingering && c->out_off == c->out_len) hs_conn_close(c);
}

void hs_on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct hs_conn *c = arg;
    if (c->lingering) {
        char junk[16384];
        ssize_t k = read(fd, junk, sizeof junk);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) hs_conn_close(c);
        return;
    }
    /* grow for the next read when nearly full; refused over max_buffered_bytes, then read into what is
     * there (conn_process answers 503 if the request cannot fit) */
    if (c->in_cap - c->in_len < 1024) in_reserve(c, c->in_len - c->in_off + 16384);
    size_t room = c->in_cap - 1 - c->in_len;
    if (room == 0) {
        /* the buffer is full: of requests waiting for the client to read its replies (on_write resumes), or
         * of one request that cannot grow */
        hs_arm_read(c, false);
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
            hs_arm_read(c, false);
            conn_after_io(c);
            return;
        }
        hs_conn_close(c); /* the peer closed (or reset) with nothing owed to it */
        return;
    }
    uint64_t now = fb_clock_mono_ns();
    c->t_read_ns = now;
    if (c->in_len == c->in_off) c->t_first_ns = now;
    c->in_len += (size_t)k;
    c->last_active_ms = (int64_t)(now / 1000000u);
    hs_idle_touch(c, now);
    struct hs_server *s = c->s;
    conn_io(c, true);
    /* bounded: once HS_FLUSH_MAX connections hold replies they are written at once (the rest of the turn's
     * reads then queue again), so no reply waits for more than that many others' work */
    if (s->nflush >= HS_FLUSH_MAX) hs_flush(s);
}

static void flush_queue(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    if (c->flush_queued) return;
    c->flush_queued = true;
    c->fprev = NULL;
    c->fnext = s->flush_head;
    if (s->flush_head) s->flush_head->fprev = c;
    s->flush_head = c;
    s->nflush++;
}

static void flush_unlink(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    if (!c->flush_queued) return;
    c->flush_queued = false;
    if (c->fprev)
        c->fprev->fnext = c->fnext;
    else
        s->flush_head = c->fnext;
    if (c->fnext) c->fnext->fprev = c->fprev;
    s->nflush--;
}

void hs_flush(struct hs_server *s)
{
    while (s->flush_head) {
        struct hs_conn *c = s->flush_head;
        flush_unlink(c);
        conn_after_io(c);
    }
}

void hs_conn_close(struct hs_conn *c)
{
    struct hs_server *s = c->s;
    flush_unlink(c);
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
    if (c->next)
        c->next->prev = c->prev;
    else
        s->conns_tail = c->prev;
    s->nactive--;
    atomic_fetch_sub_explicit(&s->nconns, 1, memory_order_relaxed);
    mem_acct(&s->sh->buffered, c->in_cap - HS_IN_INIT, 0);
    mem_acct(&s->sh->output, c->out_cap, 0);
    free(c->in);
    free(c->out);
    free(c);
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
    hs_conn_reply(c, &r, c->def_head_only, c->def_http10_ka);
    c->t_first_ns = t_next;
    uint64_t now = fb_clock_mono_ns();
    c->last_active_ms = (int64_t)(now / 1000000u);
    hs_idle_touch(c, now);                  /* idle from the reply, not from the request that waited for it */
    if (c->writing || c->lingering) return; /* the write callback flushes it and goes on */
    /* flush, then answer what was pipelined behind it */
    if (conn_after_io(c) == 0 && !c->peer_eof && !c->lingering) hs_arm_read(c, true);
}
