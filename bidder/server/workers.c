/* workers: the worker threads of `fairbid serve`: their listeners (one SO_REUSEPORT socket each, plus
 * admin_listen on worker 0), their event bases and native HTTP servers, the drain a shutdown starts on each,
 * and the reload of their HTTP timeouts. */
#define _LGPL_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "bidder/consent/mirror.h"
#include "bidder/server/server_int.h"
#include "bidder/upstream/forward.h"

/* ---- the worker's native HTTP server callbacks ---- */
static void native_handler(void *arg, const struct hs_request *req, struct hs_reply *rep)
{
    struct worker *w = arg;
    const struct hp_request *h = req->head;
    struct http_in in = {.method = h->method,
                         .path = h->path,
                         .query = h->query,
                         .content_encoding = h->content_encoding,
                         .body = req->body,
                         .len = req->body_len,
                         .conn = req->conn};
    server_route(w, &in, rep);
    /* the index once: METRIC_INC names its field twice (a load and a store) */
    int si = metrics_status_index(rep->status);
    METRIC_INC(w->m.requests[si]);
}

static void admin_handler(void *arg, const struct hs_request *req, struct hs_reply *rep)
{
    struct worker *w = arg;
    const struct hp_request *h = req->head;
    struct http_in in = {.admin = true, .method = h->method, .path = h->path, .query = h->query, .body = ""};
    server_route(w, &in, rep);
}

static void native_sent(void *arg, uint64_t latency_ns)
{
    struct worker *w = arg;
    metrics_hist_observe(&w->m.request_latency, latency_ns);
}

static void native_error(void *arg, int status)
{
    struct worker *w = arg;
    int si = metrics_status_index(status);
    METRIC_INC(w->m.requests[si]);
}

static void on_drained(void *arg)
{
    struct worker *w = arg;
    event_base_loopexit(w->base, NULL);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    /* the admin listener closes with the rest (kubelet sees the probes fail; the worker's own drain ends the
     * loop) */
    if (w->admin_hs) hs_drain(w->admin_hs, DRAIN_QUIET_MS, DRAIN_MAX_MS, NULL, NULL);
    hs_drain(w->hs, DRAIN_QUIET_MS, DRAIN_MAX_MS, on_drained, w);
}

/* A reload changed the HTTP timeouts: take them from the current snapshot (config_set_http_apply). */
static void on_cfg(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct worker *w = arg;
    uint64_t n;
    ssize_t r = read(fd, &n, sizeof n);
    (void)r;
    urcu_memb_read_lock();
    const struct config *cfg = rcu_dereference(G.cfg);
    int rt = cfg->read_timeout_ms, it = cfg->idle_timeout_ms, wt = cfg->write_timeout_ms;
    urcu_memb_read_unlock();
    if (w->hs) hs_set_timeouts(w->hs, rt, it, wt);
    if (w->admin_hs) hs_set_timeouts(w->admin_hs, rt, it, wt);
}

/* The apply hook of the HTTP timeouts (control thread): the workers' bases have no locks, so each is told
 * through its eventfd and re-reads the snapshot itself. */
void server_apply_http_timeouts(const struct config *now)
{
    (void)now;
    for (int i = 0; i < G.nworkers; i++) {
        uint64_t one = 1;
        ssize_t n = write(G.workers[i].cfg_fd, &one, sizeof one);
        (void)n;
    }
}

void *server_worker_main(void *arg)
{
    struct worker *w = arg;
    /* named so that per-thread tools (top -H, perf, the allocation-budget test) can tell workers apart */
    char name[16];
    snprintf(name, sizeof name, "fb-worker-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    urcu_memb_register_thread();
    /* event_base_dispatch, with the replies a turn queued written after it (hs_flush) */
    while (!event_base_got_exit(w->base) && !event_base_got_break(w->base)) {
        if (event_base_loop(w->base, EVLOOP_ONCE) != 0) break;
        hs_flush(w->hs);
        if (w->admin_hs) hs_flush(w->admin_hs);
    }
    urcu_memb_unregister_thread();
    return NULL;
}

/* reuseport: the workers' sockets share the port (the kernel spreads connections over them); the admin socket
 * does not, so that a second instance on the host fails to bind instead of taking half the probes and
 * scrapes. */
int server_make_listener(const char *host, int port, bool reuseport, int *bound_port, char *err,
                         size_t errlen)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "listen: \"%s\" is not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        snprintf(err, errlen, "SO_REUSEPORT: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0) {
        snprintf(err, errlen, "listen on %s:%d: %s", host, port, strerror(errno));
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

/* "host:port" into its parts; -1 with a message when malformed. */
int server_split_hostport(const char *key, const char *addr, char *host, size_t hostlen, int *port, char *err,
                          size_t errlen)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= hostlen) {
        snprintf(err, errlen, "%s must be host:port, got %s", key, addr);
        return -1;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535) {
        snprintf(err, errlen, "%s port out of range: %s", key, addr);
        return -1;
    }
    *port = (int)p;
    return 0;
}

/* admin_listen: /metrics, /readyz, /healthz on their own port, served by worker 0 (they are cheap, and a
 * scrape or a probe then never waits behind bid traffic on a shared connection limit). */
#define ADMIN_MAX_CONNECTIONS 64
int server_admin_start(const struct config *cfg, int *bound, char *err, size_t errlen)
{
    char host[128];
    int port;
    if (server_split_hostport("admin_listen", cfg->admin_listen, host, sizeof host, &port, err, errlen))
        return -1;
    int fd = server_make_listener(host, port, false, bound, err, errlen);
    if (fd < 0) return -1;
    struct worker *w = &G.workers[0];
    struct hs_config hc = {.max_head = 16384,
                           .max_body = 65536, /* a bid request sent here by mistake gets 404, not 413 */
                           .read_timeout_ms = cfg->read_timeout_ms,
                           .idle_timeout_ms = cfg->idle_timeout_ms,
                           .write_timeout_ms = cfg->write_timeout_ms,
                           .max_connections = ADMIN_MAX_CONNECTIONS,
                           .max_conn_output = (size_t)cfg->max_conn_output_bytes,
                           .handler = admin_handler,
                           .arg = w};
    w->admin_hs = hs_new(w->base, fd, &hc);
    if (!w->admin_hs) {
        snprintf(err, errlen, "admin_listen %s: cannot start its HTTP server", cfg->admin_listen);
        close(fd);
        return -1;
    }
    G.admin = true;
    return 0;
}

static const struct config *cfg_now(void)
{
    return rcu_dereference(G.cfg);
}

int server_worker_init(struct worker *w, int id, int fd, const struct config *cfg)
{
    w->id = id;
    w->fd = fd;
    struct event_config *ec = event_config_new();
    /* one thread per base: no locks; the changelist batches epoll_ctl calls (fewer syscalls per request) */
    event_config_set_flag(ec, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = event_base_new_with_config(ec);
    event_config_free(ec);
    if (!w->base) return -1;
    struct hs_config hc = {.max_head = 16384,
                           .max_body = (size_t)cfg->max_body,
                           .read_timeout_ms = cfg->read_timeout_ms,
                           .idle_timeout_ms = cfg->idle_timeout_ms,
                           .write_timeout_ms = cfg->write_timeout_ms,
                           .max_connections =
                               (uint32_t)((cfg->max_connections + G.nworkers - 1) / G.nworkers),
                           .max_conn_output = (size_t)cfg->max_conn_output_bytes,
                           .shared = &G.hs_shared,
                           .handler = native_handler,
                           .on_sent = native_sent,
                           .on_error = native_error,
                           .arg = w};
    w->hs = hs_new(w->base, fd, &hc);
    if (!w->hs) return -1;
    w->fwd = fwd_worker_new(w->base, id, cfg_now);
    if (!w->fwd) return -1;
    w->metrics_buf = evbuffer_new();
    if (!w->metrics_buf) return -1;
    w->arena_cap = (size_t)cfg->arena_bytes;
    w->arena_mem = aligned_alloc(64, w->arena_cap);
    w->resp_mem = malloc(RESP_CAP);
    if (inflateInit2(&w->gz, 16 + MAX_WBITS) != Z_OK) return -1;
    w->gz_ready = true;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) return -1;
    w->wake = event_new(w->base, w->wake_fd, EV_READ, on_wake, w);
    if (w->wake) event_add(w->wake, NULL);
    w->cfg_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->cfg_fd < 0) return -1;
    w->cfg_ev = event_new(w->base, w->cfg_fd, EV_READ | EV_PERSIST, on_cfg, w);
    if (!w->cfg_ev || event_add(w->cfg_ev, NULL)) return -1;
    w->ectx.store_view = mirror_view;
    w->ectx.store_prefetch = mirror_prefetch;
    w->ectx.store_arg = w;
    w->ectx.after = server_after_decision;
    w->ectx.after_arg = w;
    if (!w->arena_mem || !w->resp_mem || !w->wake) return -1;
    return 0;
}

/* Everything server_worker_init made (safe on a partly initialised worker: every field starts zeroed). */
void server_worker_free(struct worker *w)
{
    if (w->wake) event_free(w->wake);
    if (w->wake_fd > 0) close(w->wake_fd);
    if (w->cfg_ev) event_free(w->cfg_ev);
    if (w->cfg_fd > 0) close(w->cfg_fd);
    hs_free(w->hs); /* before the pool: a deferred request's cancel returns its fan-out */
    hs_free(w->admin_hs);
    fwd_worker_free(w->fwd);
    if (w->metrics_buf) evbuffer_free(w->metrics_buf);
    if (w->base) event_base_free(w->base);
    free(w->arena_mem);
    free(w->resp_mem);
    if (w->gz_ready) inflateEnd(&w->gz);
}
