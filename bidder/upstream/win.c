/* win: see win.h. */
#include "bidder/upstream/win.h"

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bidder/http/url.h"
#include "bidder/obs/log.h"
#include "bidder/upstream/fair.h"
#include "bidder/upstream/stats.h"

struct notice {
    char up[UPSTREAM_ID_MAX];
    char url[2048];
};

static struct {
    pthread_t thread;
    bool started;
    struct event_base *base;
    struct evdns_base *dns;
    int wake_fd;
    struct event *wake;
    pthread_mutex_t mu;
    struct notice *q; /* ring */
    uint32_t head, n;
    int inflight;
    _Atomic bool stopping;
} W = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1};

bool up_win_is_upstream(const char *query)
{
    return query && (!strncmp(query, "up=", 3) || strstr(query, "&up="));
}

/* ---- the notice thread ---- */

struct sent {
    char up[UPSTREAM_ID_MAX];
    struct evhttp_connection *conn;
};

static void pump(void);

static void on_sent(struct evhttp_request *req, void *arg)
{
    struct sent *s = arg;
    int code = req ? evhttp_request_get_response_code(req) : 0;
    struct up_stats *st = up_stats_get(s->up);
    if (st) {
        if (code >= 200 && code < 300)
            UP_STAT_INC(st, wins_forwarded);
        else
            UP_STAT_INC(st, wins_failed);
    }
    free(s);
    W.inflight--;
    pump();
}

static void send_one(const struct notice *n)
{
    struct url u;
    const char *err;
    struct up_stats *st = up_stats_get(n->up);
    if (url_parse(n->url, strlen(n->url), &u, &err)) {
        if (st) UP_STAT_INC(st, wins_failed);
        return;
    }
    struct sent *s = calloc(1, sizeof *s);
    if (!s) {
        if (st) UP_STAT_INC(st, wins_failed);
        return;
    }
    snprintf(s->up, sizeof s->up, "%s", n->up);
    s->conn = evhttp_connection_base_new(W.base, W.dns, u.host, (unsigned short)u.port);
    struct evhttp_request *req = s->conn ? evhttp_request_new(on_sent, s) : NULL;
    if (!req) {
        if (s->conn) evhttp_connection_free(s->conn);
        free(s);
        if (st) UP_STAT_INC(st, wins_failed);
        return;
    }
    evhttp_connection_set_timeout(s->conn, UP_WIN_TIMEOUT_S);
    evhttp_connection_free_on_completion(s->conn);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", u.hostport);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    W.inflight++;
    if (evhttp_make_request(s->conn, req, EVHTTP_REQ_GET, u.path[0] ? u.path : "/")) {
        /* evhttp freed the request; our callback will not run */
        W.inflight--;
        if (st) UP_STAT_INC(st, wins_failed);
        free(s);
    }
}

static void pump(void)
{
    while (W.inflight < UP_WIN_INFLIGHT) {
        struct notice n;
        pthread_mutex_lock(&W.mu);
        if (!W.n) {
            pthread_mutex_unlock(&W.mu);
            return;
        }
        n = W.q[W.head];
        W.head = (W.head + 1) % UP_WIN_QUEUE;
        W.n--;
        pthread_mutex_unlock(&W.mu);
        send_one(&n);
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    (void)arg;
    uint64_t v;
    if (read(fd, &v, sizeof v) < 0) { /* nothing to read: woken for nothing */
    }
    if (atomic_load(&W.stopping)) {
        event_base_loopexit(W.base, NULL);
        return;
    }
    pump();
}

static void *notice_main(void *arg)
{
    (void)arg;
    event_base_dispatch(W.base);
    return NULL;
}

int up_win_start(char *err, size_t errlen)
{
    if (W.started) return 0;
    W.q = calloc(UP_WIN_QUEUE, sizeof *W.q);
    W.base = event_base_new();
    W.dns = W.base ? evdns_base_new(W.base, EVDNS_BASE_INITIALIZE_NAMESERVERS) : NULL;
    if (!W.dns && W.base) W.dns = evdns_base_new(W.base, 0); /* no resolv.conf: numeric hosts still work */
    W.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    W.wake =
        W.base && W.wake_fd >= 0 ? event_new(W.base, W.wake_fd, EV_READ | EV_PERSIST, on_wake, NULL) : NULL;
    if (!W.q || !W.base || !W.wake || event_add(W.wake, NULL) ||
        pthread_create(&W.thread, NULL, notice_main, NULL)) {
        snprintf(err, errlen, "cannot start the win-notice forwarder (out of memory or threads)");
        return -1;
    }
    W.started = true;
    return 0;
}

void up_win_stop(void)
{
    if (!W.started) return;
    atomic_store(&W.stopping, true);
    uint64_t one = 1;
    if (write(W.wake_fd, &one, sizeof one) < 0) { /* the thread is gone already */
    }
    pthread_join(W.thread, NULL);
    W.started = false;
}

/* ---- on a worker ---- */

static bool enqueue(const char *up, const char *url)
{
    pthread_mutex_lock(&W.mu);
    if (!W.started || W.n >= UP_WIN_QUEUE) {
        pthread_mutex_unlock(&W.mu);
        return false;
    }
    struct notice *n = &W.q[(W.head + W.n) % UP_WIN_QUEUE];
    snprintf(n->up, sizeof n->up, "%s", up);
    snprintf(n->url, sizeof n->url, "%s", url);
    W.n++;
    pthread_mutex_unlock(&W.mu);
    uint64_t one = 1;
    if (write(W.wake_fd, &one, sizeof one) < 0) { /* the counter is full: the thread is awake anyway */
    }
    return true;
}

int up_win_handle(int worker, const struct config *cfg, const char *query, char *body, size_t cap)
{
    char up[UPSTREAM_ID_MAX], kind[8], target[2048];
    int nu = url_query_value(query, "up", up, sizeof up);
    int nk = url_query_value(query, "kind", kind, sizeof kind);
    int nt = url_query_value(query, "u", target, sizeof target);
    if (nu == URL_QUERY_BAD || nk == URL_QUERY_BAD || nt == URL_QUERY_BAD) {
        snprintf(
            body, cap,
            "{\"error\":\"up, kind or u is unreadable: a bad %%-escape, %%00, too long, or given twice\"}");
        return 400;
    }
    if (nu <= 0) {
        snprintf(body, cap, "{\"error\":\"up is required\"}");
        return 400;
    }
    const struct upstream *u = cfg ? upstream_find(&cfg->upstreams, up, (size_t)nu) : NULL;
    struct up_stats *st = up_stats_get(up);
    if (!u) {
        snprintf(body, cap, "{\"error\":\"no such upstream\"}");
        return 404;
    }
    const char *status = "ignored";
    if (nk != 1 || kind[0] != 'b') {
        /* a win notice: counted for fairness like a campaign's (an unknown bid is "unmatched") */
        char cid[256], imp[256], req[256];
        int nc = url_query_value(query, "cid", cid, sizeof cid),
            ni = url_query_value(query, "imp", imp, sizeof imp),
            nr = url_query_value(query, "req", req, sizeof req);
        (void)worker;
        if (nc == URL_QUERY_BAD || ni == URL_QUERY_BAD || nr == URL_QUERY_BAD) {
            snprintf(body, cap,
                     "{\"error\":\"cid, imp or req is unreadable: a bad %%-escape, %%00, too long, or given "
                     "twice\"}");
            return 400;
        }
        bool counted = nc > 0 && ni > 0 && nr > 0 &&
                       upfair_win(up, (struct sv){cid, (size_t)nc}, (struct sv){imp, (size_t)ni},
                                  (struct sv){req, (size_t)nr});
        status = counted ? "counted" : "unmatched";
    }
    const char *fwd = "none";
    if (nt > 0) {
        struct url t;
        const char *err;
        bool ok = url_parse(target, (size_t)nt, &t, &err) == 0;
        /* loopback: only the upstream's own address; elsewhere: only with allow_remote */
        if (ok && t.loopback)
            ok = u->u.loopback && t.port == u->u.port && !strcmp(t.host, u->u.host);
        else if (ok)
            ok = u->allow_remote;
        if (!ok) {
            if (st) UP_STAT_INC(st, wins_refused);
            fwd = "refused";
        } else if (!enqueue(up, target)) {
            if (st) UP_STAT_INC(st, wins_queue_full);
            fwd = "queue_full";
        } else {
            fwd = "queued";
        }
    }
    snprintf(body, cap, "{\"status\":\"%s\",\"forward\":\"%s\"}", status, fwd);
    return 200;
}
