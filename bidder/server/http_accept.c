/* http_accept: the native server's listener: accepting (max_connections enforced at accept, with a canned 503
 * that holds no fd), the backoff when out of file descriptors, hs_new/hs_free, reloaded timeouts, and the
 * drain that closes idle connections and reports when none is left. */
#include <errno.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bidder/obs/log.h"
#include "bidder/server/http_int.h"

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
    if (c) c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, hs_on_read, c);
    if (c && c->rev) c->tev = event_new(s->base, -1, 0, hs_on_deadline, c);
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
    uint64_t now = fb_clock_mono_ns();
    c->last_active_ms = (int64_t)(now / 1000000u);
    hs_req_reset(c);
    s->nactive++;
    atomic_fetch_add_explicit(&s->nconns, 1, memory_order_relaxed);
    hs_idle_link(c, now);
    hs_arm_read(c, true);
}

/* ---- the idle timeout: one timer per server over the idle list (s->conns, oldest idle clock first) ---- */

void hs_idle_link(struct hs_conn *c, uint64_t now_ns)
{
    struct hs_server *s = c->s;
    c->idle_since_ns = now_ns;
    c->next = NULL;
    c->prev = s->conns_tail;
    if (s->conns_tail)
        s->conns_tail->next = c;
    else
        s->conns = c;
    s->conns_tail = c;
    if (!s->idle_armed) hs_idle_arm(s, now_ns);
}

/* Arms the timer for the head's idle deadline. Touches only move connections back, so the timer may fire
 * early for a head that was touched since; hs_on_idle then arms it again for the new head. */
void hs_idle_arm(struct hs_server *s, uint64_t now_ns)
{
    if (!s->conns) {
        if (s->idle_armed) event_del(s->idle_ev);
        s->idle_armed = false;
        return;
    }
    uint64_t deadline = s->conns->idle_since_ns + (uint64_t)s->cfg.idle_timeout_ms * 1000000u;
    uint64_t left = deadline > now_ns ? deadline - now_ns : 0;
    left += 999; /* round up to the timer's microseconds: never early */
    struct timeval tv = {(time_t)(left / 1000000000u), (suseconds_t)(left % 1000000000u / 1000u)};
    event_add(s->idle_ev, &tv);
    s->idle_armed = true;
}

/* idle_timeout_ms without a request begun: closed. A connection that is busy (a request begun, bounded by the
 * deadline; a deferred one, bounded by its handler; replies the client has not drained, bounded by the write
 * timeout; a lingering close) is not idle: it goes back to the tail, and what ends its busy state (a read,
 * reading resumed, hs_resume) starts its idle clock again. */
void hs_on_idle(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_server *s = arg;
    s->idle_armed = false;
    uint64_t now = fb_clock_mono_ns();
    /* at least 1 ms: a busy connection moved to the tail is then past the loop's end */
    uint64_t idle_ns = (uint64_t)(s->cfg.idle_timeout_ms > 0 ? s->cfg.idle_timeout_ms : 1) * 1000000u;
    struct hs_conn *c;
    while ((c = s->conns) && c->idle_since_ns + idle_ns <= now) {
        bool idle = c->reading && !c->writing && !c->lingering && !c->deferred && c->in_off == c->in_len &&
                    c->out_off == c->out_len;
        if (idle)
            hs_conn_close(c);
        else
            hs_idle_touch(c, now);
    }
    hs_idle_arm(s, now);
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
    s->idle_ev = evtimer_new(base, hs_on_idle, s);
    struct timeval tw = {cfg->write_timeout_ms / 1000, (cfg->write_timeout_ms % 1000) * 1000};
    s->tv_write = event_base_init_common_timeout(base, &tw);
    s->backoff = evtimer_new(base, on_backoff, s);
    s->lis =
        evconnlistener_new(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, listen_fd);
    if (!s->idle_ev || !s->tv_write || !s->backoff || !s->lis) {
        if (s->lis) evconnlistener_free(s->lis);
        if (s->backoff) event_free(s->backoff);
        if (s->idle_ev) event_free(s->idle_ev);
        if (s->reserve_fd >= 0) close(s->reserve_fd);
        free(s);
        return NULL;
    }
    evconnlistener_set_error_cb(s->lis, on_accept_error);
    return s;
}

void hs_set_timeouts(struct hs_server *s, int read_ms, int idle_ms, int write_ms)
{
    struct timeval tw = {write_ms / 1000, (write_ms % 1000) * 1000};
    /* the base keeps a queue per duration (returned again for a duration it has): a reload back and forth
     * allocates nothing new. On failure the old timeouts stay. The read deadline is computed per request from
     * cfg.read_timeout_ms, the idle deadline from cfg.idle_timeout_ms (the idle timer is armed again for it).
     */
    const struct timeval *w = event_base_init_common_timeout(s->base, &tw);
    if (!w) return;
    s->tv_write = w;
    s->cfg.read_timeout_ms = read_ms;
    s->cfg.idle_timeout_ms = idle_ms;
    s->cfg.write_timeout_ms = write_ms;
    hs_idle_arm(s, fb_clock_mono_ns());
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct hs_server *s = arg;
    int64_t now = fb_clock_mono_ms(); /* last_active_ms is from the precise clock */
    for (struct hs_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        bool idle = c->in_off == c->in_len && c->out_off == c->out_len && !c->lingering && !c->deferred;
        if (idle && now - c->last_active_ms >= s->quiet_ms) hs_conn_close(c);
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
    while (s->conns) hs_conn_close(s->conns);
    if (s->lis) evconnlistener_free(s->lis);
    if (s->drain_timer) event_free(s->drain_timer);
    event_free(s->idle_ev);
    event_free(s->backoff);
    if (s->reserve_fd >= 0) close(s->reserve_fd);
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
