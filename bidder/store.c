/* store: Redis control-plane connection with heartbeat and reconnect backoff. See store.h.
 * Replies arrive in order on one connection, so a heartbeat that does not come back within the timeout means
 * the link is unusable (paused server, partition): we drop it and reconnect rather than wait. */
#include "bidder/store.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder/log.h"

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
    _Atomic int64_t last_ok_ms;
    _Atomic uint64_t reconnects;
    char last_error[256];
} S;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int store_parse_url(const char *url, struct store_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0) {
        snprintf(err, errlen, "redis URL \"%s\" must start with redis://", url);
        return -1;
    }
    p += 8;
    const char *at = strchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof out->password) {
            snprintf(err, errlen, "redis URL password too long");
            return -1;
        }
        memcpy(out->password, pw, n);
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof out->host) {
        snprintf(err, errlen, "redis URL \"%s\" has no host", url);
        return -1;
    }
    memcpy(out->host, p, hl);
    p += hl;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) {
            snprintf(err, errlen, "redis URL \"%s\" has a bad port", url);
            return -1;
        }
        out->port = (int)port;
        p = end;
    }
    if (*p == '/') {
        if (p[1]) {
            char *end;
            long db = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end || db < 0 || db > 1000) {
                snprintf(err, errlen, "redis URL \"%s\" has a bad database number", url);
                return -1;
            }
            out->db = (int)db;
        }
    } else if (*p) {
        snprintf(err, errlen, "redis URL \"%s\" has trailing characters", url);
        return -1;
    }
    return 0;
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
    S.next_connect_ms = mono_ms() + S.backoff_ms;
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
    atomic_store(&S.last_ok_ms, mono_ms());
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

static void connect_now(void)
{
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
    S.ping_sent_ms = mono_ms();
    redisAsyncCommand(ac, on_pong, NULL, "PING");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    int64_t now = mono_ms();
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
            redisAsyncSetDisconnectCallback(ac, NULL);
            redisAsyncFree(ac); /* pending callbacks get NULL replies */
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
    atomic_store(&S.last_ok_ms, -1);
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
    if (S.timer) {
        event_free(S.timer);
        S.timer = NULL;
    }
    if (S.ac) {
        redisAsyncContext *ac = S.ac;
        S.ac = NULL;
        redisAsyncSetDisconnectCallback(ac, NULL);
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

int64_t store_last_ok_age_ms(void)
{
    int64_t t = atomic_load(&S.last_ok_ms);
    return t < 0 ? -1 : mono_ms() - t;
}

uint64_t store_reconnects(void)
{
    return atomic_load(&S.reconnects);
}
