/* store: Redis control-plane connection with heartbeat and reconnect backoff. See store.h.
 * Replies arrive in order on one connection, so a heartbeat that does not come back within the timeout means
 * the link is unusable (paused server, partition): we drop it and reconnect rather than wait. */
#include "bidder/store.h"
#include "bidder/common/clock.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder/obs/log.h"

#define HEARTBEAT_MS 100
#define HEARTBEAT_TIMEOUT_MS 400
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

static struct {
    struct event_base *base;
    struct store_url url;
    bool enabled;
    redisAsyncContext *ac;
    struct event *timer;
    int backoff_ms;
    int64_t next_connect_ms;
    int64_t ping_sent_ms; /* 0 = no ping outstanding */
    _Atomic int state;
    _Atomic uint64_t reconnects;
    char last_error[512];
    bool have_primary;
    uint64_t generation;
    redisAsyncContext *sub; /* Sentinel +switch-master subscription */
    int sub_index;          /* which sentinel we subscribe to */
    int64_t next_sub_ms;
} S;

static int parse_hostport(const char *p, size_t len, char *host, size_t hostcap, int *port, const char *url,
                          char *err, size_t errlen)
{
    const char *colon = memchr(p, ':', len);
    size_t hl = colon ? (size_t)(colon - p) : len;
    if (hl == 0 || hl >= hostcap) {
        snprintf(err, errlen, "redis URL \"%s\" has an empty or too long host", url);
        return -1;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    if (colon) {
        char num[8];
        size_t nl = len - hl - 1;
        if (nl == 0 || nl >= sizeof num) goto bad;
        memcpy(num, colon + 1, nl);
        num[nl] = '\0';
        char *end;
        long v = strtol(num, &end, 10);
        if (*end || v < 1 || v > 65535) goto bad;
        *port = (int)v;
    }
    return 0;
bad:
    snprintf(err, errlen, "redis URL \"%s\" has a bad port", url);
    return -1;
}

int store_parse_url(const char *url, struct store_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    const char *p = url;
    bool sentinel = false;
    if (strncmp(p, "redis://", 8) == 0) {
        p += 8;
    } else if (strncmp(p, "sentinel://", 11) == 0) {
        p += 11;
        sentinel = true;
    } else {
        snprintf(err, errlen, "redis URL \"%s\" must start with redis:// or sentinel://", url);
        return -1;
    }
    const char *at = strchr(p, '@');
    const char *slash = strchr(p, '/');
    if (at && (!slash || at < slash)) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof out->password) {
            snprintf(err, errlen, "redis URL password too long");
            return -1;
        }
        memcpy(out->password, pw, n);
        p = at + 1;
        slash = strchr(p, '/');
    }
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    if (!sentinel) {
        if (parse_hostport(p, hl, out->host, sizeof out->host, &out->port, url, err, errlen)) return -1;
        if (slash && slash[1]) {
            char *end;
            long db = strtol(slash + 1, &end, 10);
            if (end == slash + 1 || *end || db < 0 || db > 1000) {
                snprintf(err, errlen, "redis URL \"%s\" has a bad database number", url);
                return -1;
            }
            out->db = (int)db;
        }
        return 0;
    }
    out->sentinel = true;
    const char *q = p, *end = p + hl;
    while (q < end) {
        const char *comma = memchr(q, ',', (size_t)(end - q));
        size_t l = comma ? (size_t)(comma - q) : (size_t)(end - q);
        if (out->nsentinels == STORE_MAX_SENTINELS) {
            snprintf(err, errlen, "redis URL \"%s\": at most %d sentinels", url, STORE_MAX_SENTINELS);
            return -1;
        }
        out->sentinels[out->nsentinels].port = 26379;
        if (parse_hostport(q, l, out->sentinels[out->nsentinels].host, sizeof out->sentinels[0].host,
                           &out->sentinels[out->nsentinels].port, url, err, errlen))
            return -1;
        out->nsentinels++;
        q += l + (comma ? 1 : 0);
    }
    if (out->nsentinels == 0 || !slash || !slash[1]) {
        snprintf(err, errlen, "sentinel URL \"%s\" must be sentinel://host:port[,host:port...]/master-name",
                 url);
        return -1;
    }
    const char *name = slash + 1;
    const char *dbs = strchr(name, '/');
    size_t nl = dbs ? (size_t)(dbs - name) : strlen(name);
    if (nl == 0 || nl >= sizeof out->master) {
        snprintf(err, errlen, "sentinel URL \"%s\" has no master name", url);
        return -1;
    }
    memcpy(out->master, name, nl);
    if (dbs && dbs[1]) {
        /* strictly, as for redis:// (atoi took "-5" or "99999", and SELECT then failed on every connect;
         * found by tests/fuzz/fuzz_redis_url.c) */
        char *dend;
        long db = strtol(dbs + 1, &dend, 10);
        if (dend == dbs + 1 || *dend || db < 0 || db > 1000) {
            snprintf(err, errlen, "sentinel URL \"%s\" has a bad database number", url);
            return -1;
        }
        out->db = (int)db;
    }
    out->host[0] = '\0';
    return 0;
}

/* Asks the sentinels, in order, for the master's address. */
static int sentinel_query(struct store_url *u, char *err, size_t errlen)
{
    for (int i = 0; i < u->nsentinels; i++) {
        struct timeval tv = {0, 200000};
        redisContext *c = redisConnectWithTimeout(u->sentinels[i].host, u->sentinels[i].port, tv);
        if (!c || c->err) {
            snprintf(err, errlen, "sentinel %s:%d: %s", u->sentinels[i].host, u->sentinels[i].port,
                     c ? c->errstr : "out of memory");
            if (c) redisFree(c);
            continue;
        }
        redisSetTimeout(c, tv);
        redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", u->master);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
            r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
            snprintf(u->host, sizeof u->host, "%s", r->element[0]->str);
            u->port = atoi(r->element[1]->str);
            freeReplyObject(r);
            redisFree(c);
            return 0;
        }
        snprintf(err, errlen, "sentinel %s:%d does not know master \"%s\"", u->sentinels[i].host,
                 u->sentinels[i].port, u->master);
        if (r) freeReplyObject(r);
        redisFree(c);
    }
    return -1;
}

int store_resolve(const char *url, struct store_url *out, char *err, size_t errlen)
{
    if (store_parse_url(url, out, err, errlen)) return -1;
    if (!out->sentinel) return 0;
    return sentinel_query(out, err, errlen);
}

static void set_error(const char *what, const char *detail)
{
    snprintf(S.last_error, sizeof S.last_error, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static void set_state(enum store_state st)
{
    int old = atomic_exchange(&S.state, (int)st);
    if (old != (int)st)
        log_info("redis state", "state=%s host=%s port=%d error=\"%s\"", store_state_name(st), S.url.host,
                 S.url.port, st == STORE_UP ? "" : S.last_error);
}

static void schedule_reconnect(void)
{
    S.next_connect_ms = fb_clock_mono_ms() + S.backoff_ms;
    S.backoff_ms = S.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : S.backoff_ms * 2;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    if (ac->errstr[0]) set_error("disconnected", ac->errstr);
    S.ac = NULL;
    S.ping_sent_ms = 0;
    set_state(atomic_load(&S.state) == STORE_CONNECTING ? STORE_CONNECTING : STORE_DOWN);
    schedule_reconnect();
}

static void on_pong(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    redisReply *reply = r;
    S.ping_sent_ms = 0;
    if (!reply) return; /* connection going away */
    if (reply->type == REDIS_REPLY_ERROR) {
        set_error("redis error", reply->str);
        return;
    }
    S.backoff_ms = BACKOFF_MIN_MS;
    set_state(STORE_UP);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    if (status != REDIS_OK) {
        set_error("connect failed", ac->errstr);
        S.ac = NULL;
        set_state(atomic_load(&S.state) == STORE_UP ? STORE_DOWN : (enum store_state)atomic_load(&S.state));
        schedule_reconnect();
        return;
    }
    atomic_fetch_add(&S.reconnects, 1);
}

static void sentinel_subscribe(void);

static void set_primary(const char *host, int port)
{
    if (!S.have_primary || strcmp(S.url.host, host) != 0 || S.url.port != port) {
        if (host != S.url.host) snprintf(S.url.host, sizeof S.url.host, "%s", host);
        S.url.port = port;
        S.have_primary = true;
        S.generation++;
        log_info("redis primary", "host=%s port=%d generation=%llu", S.url.host, S.url.port,
                 (unsigned long long)S.generation);
    }
}

static void connect_now(void)
{
    if (S.url.sentinel) {
        /* ask the sentinels every time we (re)connect: a missed +switch-master must not strand us */
        struct store_url u = S.url;
        char err[256];
        if (sentinel_query(&u, err, sizeof err)) {
            set_error("sentinel", err);
            schedule_reconnect();
            return;
        }
        set_primary(u.host, u.port);
        if (!S.sub) sentinel_subscribe();
    } else if (!S.have_primary) {
        set_primary(S.url.host, S.url.port);
    }
    /* hiredis 0.14 has no async connect timeout: the heartbeat timeout below covers a connect that hangs */
    redisAsyncContext *ac = redisAsyncConnect(S.url.host, S.url.port);
    if (!ac || ac->err) {
        set_error("connect failed", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        schedule_reconnect();
        return;
    }
    redisLibeventAttach(ac, S.base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (S.url.password[0]) redisAsyncCommand(ac, NULL, NULL, "AUTH %s", S.url.password);
    if (S.url.db) redisAsyncCommand(ac, NULL, NULL, "SELECT %d", S.url.db);
    S.ac = ac;
    S.ping_sent_ms = fb_clock_mono_ms();
    redisAsyncCommand(ac, on_pong, NULL, "PING");
}

static void drop_main(void)
{
    if (!S.ac) return;
    redisAsyncContext *ac = S.ac;
    S.ac = NULL;
    ac->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
    redisAsyncFree(ac);
    S.ping_sent_ms = 0;
}

/* "+switch-master" payload: "<master> <old-ip> <old-port> <new-ip> <new-port>" */
static void on_sentinel_msg(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    redisReply *reply = r;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    redisReply *kind = reply->element[0], *payload = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") != 0) return;
    if (payload->type != REDIS_REPLY_STRING) return;
    char name[128], oh[256], nh[256];
    int op, np;
    if (sscanf(payload->str, "%127s %255s %d %255s %d", name, oh, &op, nh, &np) != 5) return;
    if (strcmp(name, S.url.master) != 0) return;
    log_warn("redis failover", "master=%s old=%s:%d new=%s:%d", name, oh, op, nh, np);
    set_error("failover", "switching to the new primary");
    set_primary(nh, np);
    drop_main();
    set_state(STORE_DOWN);
    S.backoff_ms = BACKOFF_MIN_MS;
    S.next_connect_ms = 0;
}

static void on_sub_disconnect(const redisAsyncContext *ac, int status)
{
    (void)ac;
    (void)status;
    S.sub = NULL;
    S.sub_index = (S.sub_index + 1) % (S.url.nsentinels ? S.url.nsentinels : 1);
    S.next_sub_ms = fb_clock_mono_ms() + 200;
}

static void sentinel_subscribe(void)
{
    int i = S.sub_index;
    redisAsyncContext *ac = redisAsyncConnect(S.url.sentinels[i].host, S.url.sentinels[i].port);
    if (!ac || ac->err) {
        if (ac) redisAsyncFree(ac);
        S.sub_index = (i + 1) % S.url.nsentinels;
        S.next_sub_ms = fb_clock_mono_ms() + 200;
        return;
    }
    redisLibeventAttach(ac, S.base);
    redisAsyncSetDisconnectCallback(ac, on_sub_disconnect);
    redisAsyncCommand(ac, on_sentinel_msg, NULL, "SUBSCRIBE +switch-master");
    S.sub = ac;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    int64_t now = fb_clock_mono_ms();
    if (S.url.sentinel && !S.sub && now >= S.next_sub_ms) sentinel_subscribe();
    if (!S.ac) {
        if (now >= S.next_connect_ms) connect_now();
        return;
    }
    if (S.ping_sent_ms) {
        if (now - S.ping_sent_ms > HEARTBEAT_TIMEOUT_MS) {
            set_error("heartbeat timeout", "no PONG within 400 ms");
            set_state(atomic_load(&S.state) == STORE_UP ? STORE_DOWN
                                                        : (enum store_state)atomic_load(&S.state));
            redisAsyncContext *ac = S.ac;
            S.ac = NULL;
            ac->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
            redisAsyncFree(ac);      /* pending callbacks get NULL replies */
            S.ping_sent_ms = 0;
            schedule_reconnect();
        }
        return;
    }
    S.ping_sent_ms = now;
    redisAsyncCommand(S.ac, on_pong, NULL, "PING");
}

int store_start(struct event_base *base, const char *url, char *err, size_t errlen)
{
    memset(&S, 0, sizeof S);
    S.base = base;
    if (!url || !*url) {
        atomic_store(&S.state, STORE_DISABLED);
        return 0;
    }
    if (store_parse_url(url, &S.url, err, errlen)) return -1;
    S.enabled = true;
    S.backoff_ms = BACKOFF_MIN_MS;
    atomic_store(&S.state, STORE_CONNECTING);
    set_error("connecting", NULL);
    S.timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, HEARTBEAT_MS * 1000};
    event_add(S.timer, &tv);
    connect_now();
    return 0;
}

void store_stop(void)
{
    if (S.sub) {
        redisAsyncContext *sub = S.sub;
        S.sub = NULL;
        sub->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
        redisAsyncFree(sub);
    }
    if (S.timer) {
        event_free(S.timer);
        S.timer = NULL;
    }
    if (S.ac) {
        redisAsyncContext *ac = S.ac;
        S.ac = NULL;
        ac->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
        redisAsyncFree(ac);
    }
}

enum store_state store_state(void)
{
    return (enum store_state)atomic_load_explicit(&S.state, memory_order_relaxed);
}

const char *store_state_name(enum store_state s)
{
    switch (s) {
    case STORE_DISABLED:
        return "disabled";
    case STORE_CONNECTING:
        return "connecting";
    case STORE_UP:
        return "up";
    case STORE_DOWN:
        return "down";
    }
    return "unknown";
}

const char *store_last_error(void)
{
    return S.last_error;
}

uint64_t store_reconnects(void)
{
    return atomic_load(&S.reconnects);
}

int store_primary(struct store_url *out)
{
    if (!S.enabled || !S.have_primary) return -1;
    *out = S.url;
    return 0;
}

uint64_t store_generation(void)
{
    return S.generation;
}

int store_target(const struct store_url *configured, struct store_url *out)
{
    *out = *configured;
    struct store_url p;
    if (store_primary(&p) == 0) {
        snprintf(out->host, sizeof out->host, "%s", p.host);
        out->port = p.port;
        return 0;
    }
    return configured->sentinel ? -1 : 0;
}
