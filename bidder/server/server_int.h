/* server_int: what the modules of bidder/server/ share: a worker's state, the process-wide globals, and the
 * functions one module calls in another. Not for use outside bidder/server/. */
#ifndef FAIRBID_BIDDER_SERVER_SERVER_INT_H
#define FAIRBID_BIDDER_SERVER_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <zlib.h>

#include "bidder/common/clock.h"
#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "bidder/metrics.h"
#include "bidder/server/http_server.h"

#define RESP_CAP (1u << 20)
#define DRAIN_QUIET_MS 250
#define DRAIN_MAX_MS 10000

struct event_base;
struct event;
struct evbuffer;
struct fwd_worker;

struct worker {
    int id;
    pthread_t thread;
    struct event_base *base;
    int fd;
    struct event *wake;
    int wake_fd; /* eventfd: the main thread writes to it to wake the worker (its base has no locks, so
                    event_active from another thread would not interrupt its epoll_wait) */
    int cfg_fd;  /* eventfd: a reload changed a setting the worker holds (its HTTP timeouts) */
    struct event *cfg_ev;
    struct hs_server *hs;         /* native: the worker's HTTP server */
    struct hs_server *admin_hs;   /* worker 0 only, when admin_listen is set */
    struct evbuffer *metrics_buf; /* the /metrics text */
    char *arena_mem;
    size_t arena_cap;
    char *resp_mem;
    z_stream gz; /* gzip bodies: initialised once, inflateReset per request, so a request allocates nothing */
    bool gz_ready;
    struct engine_ctx ectx; /* hooks into the mirror and fairness state */
    struct metrics_worker m;
    struct fwd_worker *fwd; /* filter mode (issue 17): the worker's client to the upstreams */
};

struct server_globals {
    struct config *cfg; /* RCU-published */
    const char *config_path;
    struct config_overrides ov;
    struct worker *workers;
    int nworkers;
    struct event_base *main_base;
    _Atomic bool stopping;
    _Atomic uint64_t generation; /* the newest snapshot published */
    /* the newest fully applied (hooks run, logged): what /metrics and /readyz say */
    _Atomic uint64_t generation_done;
    _Atomic uint64_t reloads_ok, reloads_failed;
    int64_t started_ms;
    bool admin;                 /* admin_listen is set: control paths are served there only */
    struct hs_shared hs_shared; /* buffer totals and caps across the workers' native servers */
};

extern struct server_globals server_g;
#define G server_g

/* routes.c: one request of the native server (bid listener or admin listener) to its reply */
struct http_in {
    bool admin; /* came in on admin_listen */
    enum hp_method method;
    struct sv path, query, content_encoding;
    const char *body; /* NUL-terminated */
    size_t len;
    struct hs_conn *conn; /* for a deferred reply (filter mode) */
};
void server_route(struct worker *w, const struct http_in *in, struct hs_reply *rep);
/* filter_route.c: POST /openrtb2/filter?upstream=ID (filter mode's request side, answered, not forwarded) */
void server_filter_route(struct worker *w, const struct http_in *in, struct hs_reply *rep);
/* The request's body as the engine reads it: in->body, or a gzip body (Content-Encoding gzip or x-gzip)
 * inflated into a (at most max_body bytes; one gzip member, nothing after it). False after writing the
 * error reply (413 over max_body, 415 another encoding, 400 not gzip or bytes after its end). */
bool server_request_body(struct worker *w, const struct config *cfg, const struct http_in *in,
                         struct arena *a, const char **body, size_t *len, struct hs_reply *rep);
void server_after_decision(void *arg, const struct config *cfg, const struct engine_result *res);
void server_reply_error(struct worker *w, struct hs_reply *rep, int status, const char *msg,
                        const char *field, long offset);

/* metrics_page.c: the /metrics text into the worker's metrics buffer */
void server_metrics_page(struct worker *w, struct hs_reply *rep);

/* workers.c */
int server_make_listener(const char *host, int port, bool reuseport, int *bound_port, char *err,
                         size_t errlen);
int server_split_hostport(const char *key, const char *addr, char *host, size_t hostlen, int *port, char *err,
                          size_t errlen);
int server_admin_start(const struct config *cfg, int *bound, char *err, size_t errlen);
int server_worker_init(struct worker *w, int id, int fd, const struct config *cfg);
void server_worker_free(struct worker *w);
void *server_worker_main(void *arg);
void server_apply_http_timeouts(const struct config *now);

#endif
