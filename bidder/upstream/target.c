/* target: the pool's table of upstream targets (see pool.h): address resolution when a worker first sees an
 * upstream (numeric hosts parsed, names looked up with evdns on the worker's loop, never a blocking call),
 * and each target's health: UP_DOWN_AFTER consecutive failures mark it down, then one probe per back-off
 * period (UP_BACKOFF_MIN_MS doubling to UP_BACKOFF_MAX_MS) until one answers. */
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "bidder/http/url.h"
#include "bidder/obs/log.h"
#include "bidder/upstream/pool_internal.h"

#define LOOKUP_BACKOFF_MIN_MS 1000
#define LOOKUP_BACKOFF_MAX_MS 30000

/* A numeric host (IPv4, IPv6 literal) into *t: parsing only, no lookup. 1 when the host is not numeric. */
static int numeric(struct up_target *t)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    if (getaddrinfo(t->host, port, &hints, &res) || !res) return 1;
    memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
    t->alen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
    char txt[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET)
        evutil_inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, txt, sizeof txt);
    else if (sa->sa_family == AF_INET6)
        evutil_inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, txt, sizeof txt);
    else
        return false;
    return url_host_is_loopback(txt);
}

static void lookup_start(struct up_target *t);

static void lookup_failed(struct up_target *t, const char *why)
{
    log_warn("upstream: cannot resolve its host, its requests are not sent until it resolves",
             "upstream=%s host=%s error=\"%s\" retry_ms=%d", t->id, t->host, why, t->lookup_backoff_ms);
    t->lookup_after_ns = now_ns() + (uint64_t)t->lookup_backoff_ms * 1000000u;
    t->lookup_backoff_ms =
        t->lookup_backoff_ms * 2 > LOOKUP_BACKOFF_MAX_MS ? LOOKUP_BACKOFF_MAX_MS : t->lookup_backoff_ms * 2;
}

static void on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
    struct up_target *t = arg;
    if (err == EVUTIL_EAI_CANCEL) { /* the pool is being freed */
        if (res) evutil_freeaddrinfo(res);
        return;
    }
    t->lookup = NULL;
    if (err || !res) {
        lookup_failed(t, evutil_gai_strerror(err));
        if (res) evutil_freeaddrinfo(res);
        return;
    }
    /* IPv4 first: a dual-stack name is usually served on both, and local bidders listen on 127.0.0.1 */
    const struct evutil_addrinfo *pick = NULL;
    for (const struct evutil_addrinfo *a = res; a && !pick; a = a->ai_next)
        if (a->ai_family == AF_INET) pick = a;
    for (const struct evutil_addrinfo *a = res; a && !pick; a = a->ai_next)
        if (a->ai_family == AF_INET6) pick = a;
    if (!pick || pick->ai_addrlen > sizeof t->addr) {
        lookup_failed(t, "no IPv4 or IPv6 address");
    } else if (!t->allow_remote && !addr_is_loopback(pick->ai_addr)) {
        /* "localhost" passed the config's loopback test by its name; an address elsewhere is not sent to */
        lookup_failed(t, "the name resolved to a non-loopback address and the upstream has no allow_remote");
    } else {
        memcpy(&t->addr, pick->ai_addr, pick->ai_addrlen);
        t->alen = (socklen_t)pick->ai_addrlen;
        t->lookup_backoff_ms = LOOKUP_BACKOFF_MIN_MS;
        t->lookup_after_ns = 0;
    }
    evutil_freeaddrinfo(res);
}

/* Starts a lookup of t's host on the worker's loop; the answer may come at once (the hosts file, a cached
 * one), else from the loop. The address in use (if any) stays until a new one arrives. */
static void lookup_start(struct up_target *t)
{
    struct up_pool *p = t->pool;
    if (t->lookup) return;
    if (!p->dns) {
        /* reads resolv.conf and the hosts file once, then every lookup is a datagram on the loop */
        p->dns =
            evdns_base_new(p->base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (!p->dns) {
            lookup_failed(t, "cannot start the resolver");
            return;
        }
    }
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    struct evutil_addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    t->lookup_after_ns = UINT64_MAX; /* under way */
    struct evdns_getaddrinfo_request *q = evdns_getaddrinfo(p->dns, t->host, port, &hints, on_resolved, t);
    /* NULL: answered (or failed) inside the call, on_resolved has run */
    if (q && t->lookup_after_ns == UINT64_MAX) t->lookup = q;
}

void up_targets_free(struct up_pool *p)
{
    /* at a worker's end, after its loop: a lookup still under way is cancelled, and the loop is run once so
     * that the cancel's callback (libevent schedules it on the loop) frees the lookup's memory now, while the
     * targets still exist; dropping it with the resolver instead would leak it */
    int pending = 0;
    for (int i = 0; i < p->nt; i++)
        if (p->t[i].lookup) {
            evdns_getaddrinfo_cancel(p->t[i].lookup);
            p->t[i].lookup = NULL;
            pending = 1;
        }
    if (pending && p->base) event_base_loop(p->base, EVLOOP_NONBLOCK);
    if (p->dns) evdns_base_free(p->dns, 0);
    p->dns = NULL;
}

int up_pool_target(struct up_pool *p, const struct upstream *u)
{
    for (int i = 0; i < p->nt; i++) {
        struct up_target *t = &p->t[i];
        if (!strcmp(t->id, u->id) && !strcmp(t->url, u->url)) {
            t->max_conns = u->connections > 0 ? u->connections : 1;
            /* a failed lookup: tried again once its back-off has passed */
            if (t->named && !t->lookup && t->lookup_after_ns && now_ns() >= t->lookup_after_ns)
                lookup_start(t);
            return i;
        }
    }
    if (p->nt >= UP_MAX_TARGETS) return -1;
    struct up_target *t = &p->t[p->nt];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", u->id);
    snprintf(t->url, sizeof t->url, "%s", u->url);
    snprintf(t->hostport, sizeof t->hostport, "%s", u->u.hostport);
    snprintf(t->path, sizeof t->path, "%s", u->u.path[0] ? u->u.path : "/");
    snprintf(t->host, sizeof t->host, "%s", u->u.host);
    int hn = snprintf(t->head, sizeof t->head,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-OpenRTB-Version: "
                      "2.6\r\nContent-Length: ",
                      u->u.path[0] ? u->u.path : "/", u->u.hostport);
    if (hn < 0 || (size_t)hn >= sizeof t->head) return -1;
    t->head_len = (size_t)hn;
    t->pool = p;
    t->port = u->u.port;
    t->allow_remote = u->allow_remote;
    t->max_conns = u->connections > 0 ? u->connections : 1;
    t->backoff_ms = UP_BACKOFF_MIN_MS;
    t->lookup_backoff_ms = LOOKUP_BACKOFF_MIN_MS;
    t->stats = up_stats_get(u->id);
    p->nt++;
    if (numeric(t)) {
        t->named = true;
        lookup_start(t);
    }
    return p->nt - 1;
}

bool up_pool_down(const struct up_pool *p, int target)
{
    return target >= 0 && target < p->nt && p->t[target].down;
}

/* ---- liveness: consecutive failures mark a target down, probes with back-off bring it up ---- */

void up_target_ok(struct up_target *t)
{
    if (t->down) {
        log_info("upstream: answering again, marked up", "upstream=%s", t->id);
        if (t->stats) atomic_fetch_sub_explicit(&t->stats->down, 1, memory_order_relaxed);
    }
    t->fails = 0;
    t->down = t->probing = false;
    t->backoff_ms = UP_BACKOFF_MIN_MS;
}

void up_target_fail(struct up_target *t)
{
    t->fails++;
    uint64_t now = now_ns();
    if (t->down) {
        /* the probe failed: wait twice as long before the next */
        t->probing = false;
        t->backoff_ms = t->backoff_ms * 2 > UP_BACKOFF_MAX_MS ? UP_BACKOFF_MAX_MS : t->backoff_ms * 2;
        t->down_until_ns = now + (uint64_t)t->backoff_ms * 1000000u;
    } else if (t->fails >= UP_DOWN_AFTER) {
        t->down = true;
        t->backoff_ms = UP_BACKOFF_MIN_MS;
        t->down_until_ns = now + (uint64_t)t->backoff_ms * 1000000u;
        if (t->stats) atomic_fetch_add_explicit(&t->stats->down, 1, memory_order_relaxed);
        if (t->named) lookup_start(t); /* the name may point elsewhere now */
        log_warn("upstream: consecutive failures, marked down", "upstream=%s failures=%d probe_ms=%d..%d",
                 t->id, t->fails, UP_BACKOFF_MIN_MS, UP_BACKOFF_MAX_MS);
    }
}

bool up_target_admit(struct up_target *t, uint64_t now)
{
    if (!t->down) return true;
    /* one probe per back-off period; the rest are not sent */
    if (t->probing || now < t->down_until_ns) return false;
    t->probing = true;
    return true;
}
