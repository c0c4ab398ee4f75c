/* store: the consent store's Redis link (heartbeat), the Redis URL, and the primary a sentinel:// URL names.
 * See store.h. The link itself (timeouts, AUTH/SELECT, backoff) is bidder/store/link.c's; this file adds the
 * heartbeat that proves it (a PING that does not come back within 400 ms fails it: paused server, partition)
 * and resolves Sentinel asynchronously on the control loop: a Sentinel that blackholes costs the loop
 * nothing, where the blocking queries it replaced stalled it up to 200 ms per Sentinel per attempt. */
#include "bidder/store/store.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder/common/clock.h"
#include "bidder/obs/log.h"
#include "bidder/store/link.h"

#define HEARTBEAT_MS 100
#define HEARTBEAT_TIMEOUT_MS 400
#define SENTINEL_TIMEOUT_MS 200

static struct {
    struct event_base *base;
    struct store_url url; /* as configured; host/port = the current primary once known */
    bool enabled;
    struct redis_link link; /* the consent store's heartbeat link */
    struct event *timer;
    bool ping_out;
    bool have_primary;
    uint64_t generation;
    redisAsyncContext *sq;   /* SENTINEL get-master-addr-by-name in flight */
    int sq_index, sq_tried;  /* which sentinel; how many tried in this round */
    int64_t sq_started_ms;   /* when the query's connect began */
    int64_t next_resolve_ms; /* a round that found no primary retries then */
    int resolve_backoff_ms;
    bool resolve_wanted;
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

/* The database number after the URL's last '/' (0..1000), strictly for redis:// and sentinel:// alike: atoi
 * took
 * "-5" or "99999", and SELECT then failed on every connect (found by tests/fuzz/fuzz_redis_url.c). kind names
 * the URL in the message ("redis", "sentinel"). */
static int parse_db(const char *s, const char *kind, const char *url, int *db, char *err, size_t errlen)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 1000) {
        snprintf(err, errlen, "%s URL \"%s\" has a bad database number", kind, url);
        return -1;
    }
    *db = (int)v;
    return 0;
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
        if (slash && slash[1] && parse_db(slash + 1, "redis", url, &out->db, err, errlen)) return -1;
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
    if (dbs && dbs[1] && parse_db(dbs + 1, "sentinel", url, &out->db, err, errlen)) return -1;
    out->host[0] = '\0';
    return 0;
}

/* Asks the sentinels, in order, for the master's address (blocking: CLIs and the stop path only). */
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
    snprintf(S.link.h.last_error, sizeof S.link.h.last_error, "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
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

/* ---- asynchronous Sentinel resolution ---- */

static void sq_close(void)
{
    redisAsyncContext *ac = S.sq;
    S.sq = NULL;
    if (!ac) return;
    ac->onDisconnect = NULL; /* hiredis 0.14: Set...Callback(NULL) is a no-op once set */
    ac->onConnect = NULL;
    redisAsyncFree(ac);
}

static void sq_start(void);

/* this sentinel could not tell: ask the next one, or, after a whole round, retry later */
static void sq_next(const char *why)
{
    int i = S.sq_index;
    set_error("sentinel", why);
    log_warn("redis sentinel", "sentinel=%s:%d error=\"%s\"", S.url.sentinels[i].host,
             S.url.sentinels[i].port, why);
    S.sq_index = (i + 1) % S.url.nsentinels;
    if (++S.sq_tried >= S.url.nsentinels) {
        S.resolve_wanted = false;
        S.next_resolve_ms = fb_clock_mono_ms() + redis_backoff_next(&S.resolve_backoff_ms);
        return;
    }
    sq_start();
}

static void on_sq_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)priv;
    redisReply *r = reply;
    if (!r || ac != S.sq) return;
    char why[300];
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
        r->element[1]->type == REDIS_REPLY_STRING) {
        char host[256];
        snprintf(host, sizeof host, "%s", r->element[0]->str);
        int port = atoi(r->element[1]->str);
        S.resolve_wanted = false;
        S.resolve_backoff_ms = REDIS_BACKOFF_MIN_MS;
        sq_close(); /* deferred by hiredis: we are in its callback */
        set_primary(host, port);
        if (!S.sub) sentinel_subscribe();
        return;
    }
    snprintf(why, sizeof why, "does not know master \"%s\"", S.url.master);
    sq_close();
    sq_next(why);
}

static void on_sq_connect(const redisAsyncContext *ac, int status)
{
    if (status == REDIS_OK || ac != S.sq) return;
    char why[256];
    snprintf(why, sizeof why, "%s", ac->errstr);
    S.sq = NULL; /* hiredis frees it */
    sq_next(why);
}

static void on_sq_disconnect(const redisAsyncContext *ac, int status)
{
    (void)status;
    if (ac != S.sq) return;
    char why[256];
    snprintf(why, sizeof why, "%s", ac->errstr[0] ? ac->errstr : "disconnected");
    S.sq = NULL;
    sq_next(why);
}

static void sq_start(void)
{
    int i = S.sq_index;
    S.sq_started_ms = fb_clock_mono_ms();
    redisAsyncContext *ac = redisAsyncConnect(S.url.sentinels[i].host, S.url.sentinels[i].port);
    if (!ac || ac->err) {
        char why[256];
        snprintf(why, sizeof why, "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        sq_next(why);
        return;
    }
    S.sq = ac;
    redisLibeventAttach(ac, S.base);
    redisAsyncSetConnectCallback(ac, on_sq_connect);
    redisAsyncSetDisconnectCallback(ac, on_sq_disconnect);
    redisAsyncCommand(ac, on_sq_reply, NULL, "SENTINEL get-master-addr-by-name %s", S.url.master);
}

/* Starts a round of queries (one Sentinel at a time, each within SENTINEL_TIMEOUT_MS) unless one runs. */
static void resolve(void)
{
    if (!S.url.sentinel || S.sq) return;
    S.resolve_wanted = true;
    if (fb_clock_mono_ms() < S.next_resolve_ms) return;
    S.sq_tried = 0;
    sq_start();
}

/* ---- the heartbeat link ---- */

static void on_pong(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    redisReply *reply = r;
    S.ping_out = false;
    if (!reply) return; /* connection going away */
    if (reply->type == REDIS_REPLY_ERROR) {
        set_error("redis error", reply->str);
        return;
    }
    redis_link_ok(&S.link);
}

static void on_link_ready(struct redis_link *l, void *arg)
{
    (void)arg;
    S.ping_out = redis_link_command(l, on_pong, NULL, "PING") == REDIS_OK;
}

static void on_link_down(struct redis_link *l, void *arg, const char *why)
{
    (void)l;
    (void)arg;
    (void)why;
    S.ping_out = false;
    /* ask the sentinels every time we reconnect: a missed +switch-master must not strand us */
    if (S.url.sentinel) resolve();
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
    set_primary(nh, np);
    /* every link follows store_generation(): this one reconnects to the new primary at once */
    redis_link_drop(&S.link);
    S.link.backoff_ms = REDIS_BACKOFF_MIN_MS;
    S.link.next_connect_ms = 0;
    set_error("failover", "switching to the new primary");
    redis_link_connect(&S.link);
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
    if (S.url.sentinel) {
        if (!S.sub && S.have_primary && now >= S.next_sub_ms) sentinel_subscribe();
        if (S.sq && now - S.sq_started_ms > SENTINEL_TIMEOUT_MS) {
            sq_close();
            sq_next("no answer within 200 ms");
        } else if (!S.sq && (S.resolve_wanted || !S.have_primary) && now >= S.next_resolve_ms) {
            resolve();
        }
    }
    /* the link reconnects by itself; a PING outstanding is timed by the link (HEARTBEAT_TIMEOUT_MS) */
    if (!S.ping_out && redis_link_ctx(&S.link))
        S.ping_out = redis_link_command(&S.link, on_pong, NULL, "PING") == REDIS_OK;
}

int store_start(struct event_base *base, const char *url, char *err, size_t errlen)
{
    memset(&S, 0, sizeof S);
    S.base = base;
    if (!url || !*url) return 0;
    if (store_parse_url(url, &S.url, err, errlen)) return -1;
    struct redis_link_opts o = {.name = "consent-store",
                                .command_timeout_ms = HEARTBEAT_TIMEOUT_MS,
                                .on_ready = on_link_ready,
                                .on_down = on_link_down};
    if (redis_link_init(&S.link, base, url, &o, err, errlen)) return -1;
    S.enabled = true;
    S.resolve_backoff_ms = REDIS_BACKOFF_MIN_MS;
    if (!S.url.sentinel) set_primary(S.url.host, S.url.port);
    S.timer = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval tv = {0, HEARTBEAT_MS * 1000};
    event_add(S.timer, &tv);
    if (S.url.sentinel) resolve(); /* the link connects once the primary is known (its next tick) */
    redis_link_connect(&S.link);
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
    sq_close();
    if (S.timer) {
        event_free(S.timer);
        S.timer = NULL;
    }
    if (S.enabled) redis_link_stop(&S.link);
}

enum store_state store_state(void)
{
    if (!S.enabled) return STORE_DISABLED;
    return (enum store_state)atomic_load_explicit(&S.link.h.state, memory_order_relaxed);
}

const char *store_state_name(enum store_state s)
{
    return redis_link_state_name((enum redis_link_state)s);
}

const char *store_last_error(void)
{
    return S.link.h.last_error;
}

uint64_t store_reconnects(void)
{
    return atomic_load(&S.link.h.reconnects);
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
