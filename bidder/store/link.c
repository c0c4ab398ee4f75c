/* link: the shared Redis connection policy. See link.h and docs/redis.md. */
#include "bidder/store/link.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bidder/common/clock.h"
#include "bidder/obs/log.h"
#include "bidder/obs/prom.h"

#define LINK_TICK_MS 50
#define MAX_LINKS 16

struct cmd_wait {
    struct redis_link *l;
    redisCallbackFn *cb;
    void *priv;
    int64_t sent;
    struct cmd_wait *next;
};

static const struct redis_link *registry[MAX_LINKS];
static _Atomic int nregistry;

int redis_backoff_next(int *cur_ms)
{
    if (*cur_ms < REDIS_BACKOFF_MIN_MS) *cur_ms = REDIS_BACKOFF_MIN_MS;
    unsigned r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) r = (unsigned)fb_clock_mono_ms();
    /* jitter only lengthens: a fleet that lost Redis together does not come back in lockstep, and no link
     * reconnects sooner than its backoff says */
    int d = *cur_ms + (int)(r % (unsigned)(*cur_ms / 4 + 1));
    *cur_ms = *cur_ms * 2 > REDIS_BACKOFF_MAX_MS ? REDIS_BACKOFF_MAX_MS : *cur_ms * 2;
    return d;
}

void redis_url_redacted(const struct store_url *u, char *out, size_t cap)
{
    if (!u->sentinel) {
        snprintf(out, cap, "redis://%s%s:%d/%d", u->password[0] ? "***@" : "", u->host, u->port, u->db);
        return;
    }
    size_t n = (size_t)snprintf(out, cap, "sentinel://%s", u->password[0] ? "***@" : "");
    for (int i = 0; i < u->nsentinels && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s:%d", i ? "," : "", u->sentinels[i].host,
                              u->sentinels[i].port);
    if (n < cap) snprintf(out + n, cap - n, "/%s/%d", u->master, u->db);
}

const char *redis_link_state_name(enum redis_link_state s)
{
    switch (s) {
    case RLINK_DISABLED:
        return "disabled";
    case RLINK_CONNECTING:
        return "connecting";
    case RLINK_UP:
        return "up";
    case RLINK_DOWN:
        return "down";
    }
    return "unknown";
}

static void set_error(struct redis_link *l, const char *why, const char *detail)
{
    snprintf(l->h.last_error, sizeof l->h.last_error, "%s%s%s", why, detail ? ": " : "",
             detail ? detail : "");
}

/* Frees the context and forgets the timed commands: their callbacks run now with NULL replies. */
static void close_ctx(struct redis_link *l)
{
    redisAsyncContext *ac = l->ac;
    l->ac = NULL;
    l->ready = false;
    l->q_head = l->q_tail = NULL;
    if (!ac) return;
    ac->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
    ac->onConnect = NULL;
    ac->data = NULL;
    redisAsyncFree(ac); /* deferred by hiredis when called inside one of its callbacks */
}

static void lost(struct redis_link *l, const char *why, const char *detail, bool notify)
{
    close_ctx(l);
    char prev[sizeof l->h.last_error];
    memcpy(prev, l->h.last_error, sizeof prev);
    set_error(l, why, detail);
    int old = atomic_load(&l->h.state);
    int st = old == RLINK_CONNECTING ? RLINK_CONNECTING : RLINK_DOWN;
    atomic_store(&l->h.state, st);
    int delay = redis_backoff_next(&l->backoff_ms);
    l->next_connect_ms = fb_clock_mono_ms() + delay;
    /* one line when the link goes down or the reason changes, not one per retry of a long outage */
    bool repeat = old != RLINK_UP && strcmp(prev, l->h.last_error) == 0;
    if (notify && !repeat)
        log_warn("redis link down", "link=%s url=%s state=%s error=\"%s\" retry_ms=%d", l->o.name, l->where,
                 redis_link_state_name((enum redis_link_state)st), l->h.last_error, delay);
    if (notify && l->o.on_down) l->o.on_down(l, l->o.arg, l->h.last_error);
}

void redis_link_fail(struct redis_link *l, const char *why, const char *detail)
{
    lost(l, why, detail, true);
}

void redis_link_drop(struct redis_link *l)
{
    if (!l->ac) return;
    close_ctx(l);
    int delay = redis_backoff_next(&l->backoff_ms);
    l->next_connect_ms = fb_clock_mono_ms() + delay;
    if (atomic_load(&l->h.state) == RLINK_UP) atomic_store(&l->h.state, RLINK_DOWN);
}

static void became_ready(struct redis_link *l)
{
    l->ready = true;
    l->backoff_ms = REDIS_BACKOFF_MIN_MS;
    atomic_store(&l->h.last_ok_ms, fb_clock_mono_ms());
    int old = atomic_exchange(&l->h.state, RLINK_UP);
    if (old != RLINK_UP)
        log_info("redis link up", "link=%s url=%s host=%s port=%d", l->o.name, l->where, l->target.host,
                 l->target.port);
    if (l->o.on_ready) l->o.on_ready(l, l->o.arg);
}

static void on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
    const char *what = priv;
    struct redis_link *l = ac->data;
    redisReply *r = reply;
    if (!l || !r || ac != l->ac) return;
    if (r->type == REDIS_REPLY_ERROR) {
        /* a wrong password or a database that does not exist would otherwise fail every later command,
         * far from its cause (logged once per reason, not per retry) */
        char now_err[sizeof l->h.last_error];
        snprintf(now_err, sizeof now_err, "%s: %s", what, r->str);
        if (strcmp(now_err, l->h.last_error) != 0)
            log_error("redis: handshake refused", "link=%s url=%s command=%s error=\"%s\"", l->o.name,
                      l->where, what, r->str);
        lost(l, what, r->str, true);
        return;
    }
    if (--l->handshake_left == 0) became_ready(l);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_link *l = ac->data;
    if (!l || ac != l->ac) return;
    if (status != REDIS_OK) {
        /* hiredis frees a context whose connect failed, without calling on_disconnect */
        l->ac = NULL;
        lost(l, "connect failed", ac->errstr, true);
        return;
    }
    atomic_fetch_add(&l->h.reconnects, 1);
    if (l->handshake_left == 0) became_ready(l);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    struct redis_link *l = ac->data;
    if (!l || ac != l->ac) return;
    l->ac = NULL; /* hiredis is freeing it */
    lost(l, "disconnected", ac->errstr[0] ? ac->errstr : NULL, true);
}

void redis_link_connect(struct redis_link *l)
{
    if (l->ac || fb_clock_mono_ms() < l->next_connect_ms) return;
    /* sentinel://: the primary the store resolved (asynchronously); none yet = try on the next tick */
    if (store_target(&l->url, &l->target)) return; /* last_error keeps the Sentinel's (store.c) */
    l->store_gen = store_generation();
    redisAsyncContext *ac = redisAsyncConnect(l->target.host, l->target.port);
    if (!ac || ac->err) {
        char e[128];
        snprintf(e, sizeof e, "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        lost(l, "connect failed", e, true);
        return;
    }
    ac->data = l;
    l->ac = ac;
    l->ready = false;
    l->connect_start_ms = fb_clock_mono_ms();
    redisLibeventAttach(ac, l->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    l->handshake_left = 0;
    if (l->target.password[0] &&
        redisAsyncCommand(ac, on_handshake, "AUTH", "AUTH %s", l->target.password) == REDIS_OK)
        l->handshake_left++;
    if (l->target.db && redisAsyncCommand(ac, on_handshake, "SELECT", "SELECT %d", l->target.db) == REDIS_OK)
        l->handshake_left++;
}

static void on_timed(redisAsyncContext *ac, void *reply, void *priv)
{
    struct cmd_wait *w = priv;
    struct redis_link *l = w->l;
    if (w == l->q_head) {
        l->q_head = w->next;
        if (!l->q_head) l->q_tail = NULL;
        if (reply) atomic_store(&l->h.last_ok_ms, fb_clock_mono_ms());
    }
    redisCallbackFn *cb = w->cb;
    void *p = w->priv;
    free(w);
    if (cb) cb(ac, reply, p);
}

static struct cmd_wait *wait_new(struct redis_link *l, redisCallbackFn *cb, void *priv)
{
    struct cmd_wait *w = malloc(sizeof *w);
    if (!w) return NULL;
    *w = (struct cmd_wait){l, cb, priv, fb_clock_mono_ms(), NULL};
    return w;
}

static void wait_push(struct redis_link *l, struct cmd_wait *w)
{
    if (l->q_tail)
        l->q_tail->next = w;
    else
        l->q_head = w;
    l->q_tail = w;
}

int redis_link_command(struct redis_link *l, redisCallbackFn *cb, void *priv, const char *fmt, ...)
{
    if (!l->ac || !l->ready) return REDIS_ERR;
    struct cmd_wait *w = wait_new(l, cb, priv);
    if (!w) return REDIS_ERR;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAsyncCommand(l->ac, on_timed, w, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        free(w);
        return rc;
    }
    wait_push(l, w);
    return REDIS_OK;
}

int redis_link_command_argv(struct redis_link *l, redisCallbackFn *cb, void *priv, int argc,
                            const char **argv, const size_t *argvlen)
{
    if (!l->ac || !l->ready) return REDIS_ERR;
    struct cmd_wait *w = wait_new(l, cb, priv);
    if (!w) return REDIS_ERR;
    if (redisAsyncCommandArgv(l->ac, on_timed, w, argc, argv, argvlen) != REDIS_OK) {
        free(w);
        return REDIS_ERR;
    }
    wait_push(l, w);
    return REDIS_OK;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct redis_link *l = arg;
    int64_t now = fb_clock_mono_ms();
    if (l->ac && !l->ready && now - l->connect_start_ms > l->o.connect_timeout_ms) {
        char d[96];
        snprintf(d, sizeof d, "no connection and handshake within %d ms", l->o.connect_timeout_ms);
        redis_link_fail(l, "connect timeout", d);
        return;
    }
    if (l->ac && l->q_head && l->o.command_timeout_ms > 0 &&
        now - l->q_head->sent > l->o.command_timeout_ms) {
        char d[96];
        snprintf(d, sizeof d, "no reply within %d ms", l->o.command_timeout_ms);
        redis_link_fail(l, "command timeout", d);
        return;
    }
    if (l->o.manual) return;
    if (l->ac && l->store_gen != store_generation()) {
        /* failover: the data lives on the new primary now */
        log_info("redis link: primary changed, reconnecting", "link=%s", l->o.name);
        redis_link_drop(l);
        l->backoff_ms = REDIS_BACKOFF_MIN_MS;
        l->next_connect_ms = 0;
    }
    if (!l->ac) redis_link_connect(l);
}

int redis_link_init(struct redis_link *l, struct event_base *base, const char *url,
                    const struct redis_link_opts *o, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    l->o = *o;
    if (!l->o.connect_timeout_ms) l->o.connect_timeout_ms = REDIS_CONNECT_TIMEOUT_MS;
    if (!l->o.command_timeout_ms) l->o.command_timeout_ms = REDIS_COMMAND_TIMEOUT_MS;
    l->base = base;
    if (store_parse_url(url, &l->url, err, errlen)) return -1;
    redis_url_redacted(&l->url, l->where, sizeof l->where);
    l->backoff_ms = REDIS_BACKOFF_MIN_MS;
    atomic_store(&l->h.state, RLINK_CONNECTING);
    set_error(l, "connecting", NULL);
    l->timer = event_new(base, -1, EV_PERSIST, on_tick, l);
    if (!l->timer) {
        snprintf(err, errlen, "redis link %s: cannot create its timer", o->name);
        return -1;
    }
    struct timeval tv = {0, LINK_TICK_MS * 1000};
    event_add(l->timer, &tv);
    int n = atomic_load(&nregistry);
    for (int i = 0; i < n; i++)
        if (registry[i] == l) l->registered = true;
    if (!l->registered && n < MAX_LINKS) {
        registry[n] = l;
        atomic_store(&nregistry, n + 1);
        l->registered = true;
    }
    return 0;
}

void redis_link_stop(struct redis_link *l)
{
    close_ctx(l);
    if (l->timer) event_free(l->timer);
    l->timer = NULL;
    atomic_store(&l->h.state, RLINK_DISABLED);
    int n = atomic_load(&nregistry);
    for (int i = 0; i < n; i++) {
        if (registry[i] != l) continue;
        registry[i] = registry[n - 1];
        atomic_store(&nregistry, n - 1);
        break;
    }
    l->registered = false;
}

redisAsyncContext *redis_link_ctx(const struct redis_link *l)
{
    return l->ready ? l->ac : NULL;
}

void redis_link_ok(struct redis_link *l)
{
    atomic_store(&l->h.last_ok_ms, fb_clock_mono_ms());
    l->backoff_ms = REDIS_BACKOFF_MIN_MS;
}

int redis_links(const struct redis_link **out, int max)
{
    int n = atomic_load(&nregistry);
    if (n > max) n = max;
    for (int i = 0; i < n; i++) out[i] = registry[i];
    return n;
}

void redis_links_metrics(struct evbuffer *o)
{
    const struct redis_link *ls[MAX_LINKS];
    int n = redis_links(ls, MAX_LINKS);
    if (!n) return;
    int64_t now = fb_clock_mono_ms();
    prom_family(o, "fairbid_redis_link_up", PROM_GAUGE,
                "1 while the Redis link is connected and its AUTH/SELECT answered OK.");
    for (int i = 0; i < n; i++)
        prom_u64(o, "fairbid_redis_link_up", PROM_L({"link", ls[i]->o.name}),
                 atomic_load(&ls[i]->h.state) == RLINK_UP);
    prom_family(o, "fairbid_redis_link_reconnects_total", PROM_COUNTER,
                "Connections established by the link.");
    for (int i = 0; i < n; i++)
        prom_u64(o, "fairbid_redis_link_reconnects_total", PROM_L({"link", ls[i]->o.name}),
                 atomic_load(&ls[i]->h.reconnects));
    prom_family(
        o, "fairbid_redis_link_last_ok_age_seconds", PROM_GAUGE,
        "Time since the link last proved alive: handshake, a reply, or its owner's proof (-1: never).");
    for (int i = 0; i < n; i++) {
        int64_t ok = atomic_load(&ls[i]->h.last_ok_ms);
        prom_double(o, "fairbid_redis_link_last_ok_age_seconds", PROM_L({"link", ls[i]->o.name}),
                    ok ? (double)(now - ok) / 1e3 : -1.0);
    }
}

size_t redis_links_json(char *out, size_t cap)
{
    const struct redis_link *ls[MAX_LINKS];
    int n = redis_links(ls, MAX_LINKS);
    size_t len = 0;
    if (cap < 3) return 0;
    out[len++] = '{';
    for (int i = 0; i < n; i++) {
        /* names are fixed identifiers of this file's callers: nothing to escape */
        int w = snprintf(out + len, cap - len, "%s\"%s\":\"%s\"", i ? "," : "", ls[i]->o.name,
                         redis_link_state_name((enum redis_link_state)atomic_load(&ls[i]->h.state)));
        if (w < 0 || (size_t)w >= cap - len - 1) break;
        len += (size_t)w;
    }
    out[len++] = '}';
    out[len] = '\0';
    return len;
}

static int block_check(redisContext *c, const char *what, const char *where, redisReply *r, char *err,
                       size_t errlen)
{
    if (!r) {
        snprintf(err, errlen, "redis %s: %s failed: %s", where, what, c->errstr[0] ? c->errstr : "no reply");
        return -1;
    }
    int bad = r->type == REDIS_REPLY_ERROR;
    if (bad) snprintf(err, errlen, "redis %s: %s refused: %s", where, what, r->str);
    freeReplyObject(r);
    return bad ? -1 : 0;
}

redisContext *redis_block_connect(const char *url, int timeout_ms, char *err, size_t errlen)
{
    struct store_url u;
    if (store_resolve(url, &u, err, errlen)) return NULL;
    char where[300];
    redis_url_redacted(&u, where, sizeof where);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(u.host, u.port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "redis %s (%s:%d): %s", where, u.host, u.port, c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if ((u.password[0] &&
         block_check(c, "AUTH", where, redisCommand(c, "AUTH %s", u.password), err, errlen)) ||
        (u.db && block_check(c, "SELECT", where, redisCommand(c, "SELECT %d", u.db), err, errlen))) {
        redisFree(c);
        return NULL;
    }
    return c;
}
