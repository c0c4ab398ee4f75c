/* link: one Redis connection with the policy every subsystem shares (the consent store's heartbeat, the
 * mirror's two links, the fairness sync, the audit drain), and the blocking form the CLIs and the fairness
 * stop path use. One place for: checked AUTH and SELECT (an error reply fails the link, logged with the URL
 * without its password), a connect timeout that covers the handshake (hiredis 0.14 has none for async
 * connects), a per-command timeout for commands sent with redis_link_command*, reconnect backoff (doubling,
 * capped, jittered), failover following (a new primary from store_generation() reconnects the link), and
 * one health record per link that /readyz and /metrics read (redis_links_metrics). See docs/redis.md.
 * Control-plane thread only, except the health fields (atomics) and redis_links_metrics. */
#ifndef FAIRBID_BIDDER_STORE_LINK_H
#define FAIRBID_BIDDER_STORE_LINK_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bidder/store/store.h"

struct event_base;
struct event;
struct evbuffer;

#define REDIS_BACKOFF_MIN_MS 50
#define REDIS_BACKOFF_MAX_MS 2000
#define REDIS_CONNECT_TIMEOUT_MS 500
#define REDIS_COMMAND_TIMEOUT_MS 1000

enum redis_link_state {
    RLINK_DISABLED = 0,
    RLINK_CONNECTING, /* never up yet */
    RLINK_UP,         /* connected, AUTH and SELECT answered OK */
    RLINK_DOWN,       /* was up, lost; reconnecting */
};

/* What /readyz and metrics read: written on the control plane, read from any thread. */
struct redis_link_health {
    _Atomic int state;          /* enum redis_link_state */
    _Atomic int64_t last_ok_ms; /* monotonic ms of the last proof of life (handshake, reply), 0 = never */
    _Atomic uint64_t reconnects;
    char last_error[256]; /* readers may see a slightly old text */
};

struct redis_link;
typedef void redis_link_fn(struct redis_link *l, void *arg);
/* The link is gone (error, timeout, failover, AUTH refused): l->ac is NULL already; commands in flight get
 * NULL replies. Not called for redis_link_stop or redis_link_drop. */
typedef void redis_link_down_fn(struct redis_link *l, void *arg, const char *why);

struct redis_link_opts {
    const char *name;       /* "consent-store", "mirror-cmd", "fairness", "audit": logs and metrics label */
    int connect_timeout_ms; /* 0 = REDIS_CONNECT_TIMEOUT_MS: TCP connect + AUTH + SELECT */
    int command_timeout_ms; /* 0 = REDIS_COMMAND_TIMEOUT_MS, -1 = none: for redis_link_command* */
    /* false: the link reconnects by itself after the backoff and follows failovers. true: the owner calls
     * redis_link_connect (the mirror, whose two links go together; fairness, on its own tick), which
     * respects the backoff too. */
    bool manual;
    redis_link_fn *on_ready;
    redis_link_down_fn *on_down;
    void *arg;
};

struct cmd_wait;

struct redis_link {
    struct redis_link_opts o;
    struct event_base *base;
    struct store_url url;    /* as configured */
    struct store_url target; /* where the current connection goes */
    char where[300];         /* the URL without its password, for messages */
    uint64_t store_gen;
    redisAsyncContext *ac; /* set while connecting and up */
    bool ready;            /* handshake done */
    bool registered;
    int handshake_left;
    struct event *timer;
    int backoff_ms;
    int64_t next_connect_ms, connect_start_ms;
    struct cmd_wait *q_head, *q_tail; /* timed commands in flight, oldest first (replies come in order) */
    struct redis_link_health h;
};

/* Parses url (store_parse_url) and prepares the link; does not connect. Returns 0 or -1 (message in err). */
int redis_link_init(struct redis_link *l, struct event_base *base, const char *url,
                    const struct redis_link_opts *o, char *err, size_t errlen);
/* Connects now unless connected, connecting or backing off. A sentinel:// URL waits for the primary. */
void redis_link_connect(struct redis_link *l);
/* Fails the link as if Redis had: logs, backs off, calls on_down, reconnects (unless manual). */
void redis_link_fail(struct redis_link *l, const char *why, const char *detail);
/* Closes the current connection quietly (no on_down, no log), backing off as after a failure. */
void redis_link_drop(struct redis_link *l);
void redis_link_stop(struct redis_link *l);
/* The connection once ready, else NULL. Commands sent on it directly are not timed (subscriptions). */
redisAsyncContext *redis_link_ctx(const struct redis_link *l);
/* A command under the link's command timeout: no reply within it fails the link. REDIS_OK or REDIS_ERR. */
int redis_link_command(struct redis_link *l, redisCallbackFn *cb, void *priv, const char *fmt, ...);
int redis_link_command_argv(struct redis_link *l, redisCallbackFn *cb, void *priv, int argc,
                            const char **argv, const size_t *argvlen);
/* The owner saw the link work (a heartbeat echo): refreshes last_ok_ms and resets the backoff. */
void redis_link_ok(struct redis_link *l);
const char *redis_link_state_name(enum redis_link_state s);

/* The next reconnect delay: *cur_ms plus up to a quarter of jitter; doubles *cur_ms up to the cap. */
int redis_backoff_next(int *cur_ms);
/* The URL without its password: redis://host:port/db or sentinel://s1:p1,.../master/db. */
void redis_url_redacted(const struct store_url *u, char *out, size_t cap);

/* Every link started in this process (the health /readyz and /metrics read). Returns the count. */
int redis_links(const struct redis_link **out, int max);
/* fairbid_redis_link_up / _state / _reconnects_total / _last_ok_age_seconds, labelled by link. Any thread. */
void redis_links_metrics(struct evbuffer *o);

/* {"consent-store":"up","audit":"down",...}: each link's state, for /readyz. Returns the length written (out
 * is always terminated; "{}" when no link). Any thread. */
size_t redis_links_json(char *out, size_t cap);

/* Blocking form (CLIs, the fairness stop path): resolves url (Sentinel queried synchronously), connects
 * within timeout_ms, sets it as the command timeout, and checks AUTH and SELECT. Returns a context, or NULL
 * with a message naming the URL (without password) in err. */
redisContext *redis_block_connect(const char *url, int timeout_ms, char *err, size_t errlen);

#endif
