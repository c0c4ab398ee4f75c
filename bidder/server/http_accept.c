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
    c->last_active_ms = fb_clock_mono_coarse_ms();
    hs_req_reset(c);
    s->nactive++;
    atomic_fetch_add_explicit(&s->nconns, 1, memory_order_relaxed);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    hs_arm_read(c, true);
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
