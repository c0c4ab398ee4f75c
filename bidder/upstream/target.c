/* target: the pool's table of upstream targets (see pool.h): address resolution when a worker first sees an
 * upstream, and each target's health: UP_DOWN_AFTER consecutive failures mark it down, then one probe per
 * back-off period (UP_BACKOFF_MIN_MS doubling to UP_BACKOFF_MAX_MS) until one answers. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "bidder/obs/log.h"
#include "bidder/upstream/pool_internal.h"

static int resolve(const struct upstream *u, struct sockaddr_storage *ss, socklen_t *len)
{
    char port[16];
    snprintf(port, sizeof port, "%d", u->u.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(u->u.host, port, &hints, &res);
    if (rc) {
        /* a name ("localhost", or one allow_remote permits): looked up once per worker and config load */
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(u->u.host, port, &hints, &res);
    }
    if (rc || !res) {
        log_warn("upstream: cannot resolve its host, its requests are not sent",
                 "upstream=%s host=%s error=\"%s\"", u->id, u->u.host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int up_pool_target(struct up_pool *p, const struct upstream *u)
{
    for (int i = 0; i < p->nt; i++) {
        struct up_target *t = &p->t[i];
        if (!strcmp(t->id, u->id) && !strcmp(t->url, u->url)) {
            t->max_conns = u->connections > 0 ? u->connections : 1;
            return i;
        }
    }
    if (p->nt >= UP_MAX_TARGETS) return -1;
    struct up_target *t = &p->t[p->nt];
    memset(t, 0, sizeof *t);
    if (resolve(u, &t->addr, &t->alen)) return -1;
    snprintf(t->id, sizeof t->id, "%s", u->id);
    snprintf(t->url, sizeof t->url, "%s", u->url);
    snprintf(t->hostport, sizeof t->hostport, "%s", u->u.hostport);
    snprintf(t->path, sizeof t->path, "%s", u->u.path[0] ? u->u.path : "/");
    int hn = snprintf(t->head, sizeof t->head,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nX-OpenRTB-Version: "
                      "2.6\r\nContent-Length: ",
                      u->u.path[0] ? u->u.path : "/", u->u.hostport);
    if (hn < 0 || (size_t)hn >= sizeof t->head) return -1;
    t->head_len = (size_t)hn;
    t->max_conns = u->connections > 0 ? u->connections : 1;
    t->backoff_ms = UP_BACKOFF_MIN_MS;
    t->stats = up_stats_get(u->id);
    return p->nt++;
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
