/* server: `fairbid serve`: start (config, listeners, workers, the control plane), reload on SIGHUP, drain on
 * SIGTERM/SIGINT, stop. The workers are in workers.c, the routes in routes.c; see server.h and
 * docs/architecture.md. */
#define _LGPL_SOURCE
#include "bidder/server/server.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include "bidder/audit.h"
#include "bidder/fairness/fairness.h"
#include "bidder/consent/mirror.h"
#include "bidder/obs/log.h"
#include "bidder/server/server_int.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "bidder/upstream/win.h"

struct server_globals server_g;

static void publish(struct config *c)
{
    c->generation = atomic_fetch_add(&G.generation, 1) + 1;
    struct config *old = rcu_xchg_pointer(&G.cfg, c);
    if (old) {
        /* wait until no worker can still hold the old snapshot, then free it */
        urcu_memb_synchronize_rcu();
        config_free(old);
    }
}

/* Says which policy a loaded config uses; "none" is a warning at start and on every reload that keeps it. */
static void log_policy(const struct config *c)
{
    if (c->policy_source == CONFIG_POLICY_NONE)
        log_warn(
            "policy: none: no sensitive-category policy, so sensitive segments, vulnerable targeting and "
            "high-risk ads to minors are NOT refused",
            "path=%s protections_off=%s", c->path, config_protections_off_json(c));
    else
        log_info("policy", "source=%s file=%s", config_policy_source_name(c->policy_source),
                 c->policy_source == CONFIG_POLICY_FILE ? c->policy_file : "-");
}

static void reload(void)
{
    char err[1024];
    struct config *c = config_load(G.config_path, &G.ov, err, sizeof err);
    if (!c) {
        atomic_fetch_add(&G.reloads_failed, 1);
        char esc[1200];
        log_error("reload failed, keeping the current config", "error=\"%s\"", log_esc(err, esc, sizeof esc));
        return;
    }
    /* key by key from the config table: a changed restart-only key (listen, threads, http_server, ...) is
     * logged "needs restart" and keeps its running value; the reloadable ones apply, through their hooks
     * where the snapshot alone does not reach (log level, the workers' HTTP timeouts) */
    void (*hooks[8])(const struct config *);
    size_t nhooks = config_reload_prepare(G.cfg, c, hooks, 8);
    log_policy(c);
    publish(c);
    for (size_t i = 0; i < nhooks; i++) hooks[i](c);
    log_debug("reload: published",
              "generation=%llu read_timeout_ms=%d idle_timeout_ms=%d write_timeout_ms=%d",
              (unsigned long long)c->generation, c->read_timeout_ms, c->idle_timeout_ms, c->write_timeout_ms);
    mirror_on_reload(c);
    fairness_on_reload(c);
    audit_on_reload(c);
    atomic_fetch_add(&G.reloads_ok, 1);
    log_info("config reloaded", "path=%s generation=%llu campaigns=%u", G.config_path,
             (unsigned long long)atomic_load(&G.generation), c->campaigns.n);
    /* only now is the reload's generation shown: the snapshot is published before its hooks run (log level,
     * the workers' HTTP timeouts) and before its lines are logged, so whoever waits for the generation (an
     * operator, test_config_reload) would otherwise see it while the old timeouts or log level still apply */
    atomic_store(&G.generation_done, c->generation);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    (void)arg;
    if (sig == SIGHUP) {
        reload();
        return;
    }
    if (atomic_exchange(&G.stopping, true)) return;
    log_info("shutting down: draining", "signal=%d", (int)sig);
    for (int i = 0; i < G.nworkers; i++) {
        uint64_t one = 1;
        ssize_t n = write(G.workers[i].wake_fd, &one, sizeof one);
        (void)n;
    }
    event_base_loopexit(G.main_base, NULL);
}

int server_run(const struct server_opts *opts)
{
    char err[1024];
    G.started_ms = fb_clock_mono_ms();
    G.config_path = opts->config_path;
    G.ov = opts->ov;
    struct config *cfg = config_load(opts->config_path, &opts->ov, err, sizeof err);
    if (!cfg) {
        char esc[1200];
        log_error("config error", "error=\"%s\"", log_esc(err, esc, sizeof esc));
        return 2;
    }
    log_set_level((enum log_level)config_log_level(cfg));
    config_set_http_apply(server_apply_http_timeouts);
    log_policy(cfg);
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    char host[128];
    int port = 0;
    if (server_split_hostport("listen", cfg->listen, host, sizeof host, &port, err, sizeof err)) {
        log_error("config error", "error=\"%s\"", err);
        return 2;
    }
    G.hs_shared.max_buffered = (size_t)cfg->max_buffered_bytes;
    G.hs_shared.max_output = (size_t)cfg->max_output_bytes;

    G.nworkers = cfg->threads;
    G.workers = calloc((size_t)G.nworkers, sizeof *G.workers);
    if (!G.workers) return 1;
    publish(cfg);
    atomic_store(&G.generation_done, cfg->generation);
    int bound_port = port;
    for (int i = 0; i < G.nworkers; i++) {
        int fd = server_make_listener(host, bound_port, true, &bound_port, err, sizeof err);
        if (fd < 0) {
            log_error("cannot listen", "error=\"%s\"", err);
            return 1;
        }
        if (server_worker_init(&G.workers[i], i, fd, cfg)) {
            log_error("cannot start worker", "worker=%d", i);
            return 1;
        }
    }

    int admin_port = 0;
    if (cfg->admin_listen[0] && server_admin_start(cfg, &admin_port, err, sizeof err)) {
        log_error("cannot listen", "error=\"%s\"", err);
        return 1;
    }

    G.main_base = event_base_new();
    struct event *sigs[4];
    int signos[4] = {SIGTERM, SIGINT, SIGHUP, 0};
    for (int i = 0; signos[i]; i++) {
        sigs[i] = evsignal_new(G.main_base, signos[i], on_signal, NULL);
        event_add(sigs[i], NULL);
    }
    if (store_start(G.main_base, cfg->redis, err, sizeof err)) {
        log_error("config error", "error=\"%s\"", err);
        return 2;
    }
    if (mirror_start(G.main_base, cfg, err, sizeof err) ||
        fairness_start(G.main_base, cfg, G.nworkers, err, sizeof err) ||
        audit_start(G.main_base, cfg, G.nworkers, err, sizeof err) || up_win_start(err, sizeof err)) {
        log_error("cannot start the control plane", "error=\"%s\"", err);
        return 2;
    }
    for (int i = 0; i < G.nworkers; i++) G.workers[i].ectx.fair = fairness_view(i);

    for (int i = 0; i < G.nworkers; i++) {
        if (pthread_create(&G.workers[i].thread, NULL, server_worker_main, &G.workers[i])) {
            log_error("cannot start worker thread", "worker=%d", i);
            return 1;
        }
    }
    if (opts->port_file && G.admin) {
        /* <port_file>.admin: the admin port (tests bind port 0), written before the main one */
        char path[600], tmp[620];
        snprintf(path, sizeof path, "%s.admin", opts->port_file);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", admin_port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
            log_error("cannot write port file", "path=%s error=\"%s\"", path, strerror(errno));
            return 1;
        }
    }
    if (opts->port_file) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.tmp", opts->port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", bound_port) < 0 || fclose(f) != 0 || rename(tmp, opts->port_file) != 0) {
            log_error("cannot write port file", "path=%s error=\"%s\"", opts->port_file, strerror(errno));
            return 1;
        }
    }
    char redis_where[300] = "none"; /* never the password */
    struct store_url ru;
    char rerr[64];
    if (cfg->redis[0] && !store_parse_url(cfg->redis, &ru, rerr, sizeof rerr))
        redis_url_redacted(&ru, redis_where, sizeof redis_where);
    log_info("fairbid listening", "addr=%s:%d admin=%s threads=%d campaigns=%u redis=%s version=%s", host,
             bound_port, G.admin ? cfg->admin_listen : "none", G.nworkers, cfg->campaigns.n, redis_where,
             FAIRBID_VERSION);

    event_base_dispatch(G.main_base);

    for (int i = 0; i < G.nworkers; i++) pthread_join(G.workers[i].thread, NULL);
    up_win_stop();
    audit_stop();
    fairness_stop();
    mirror_stop();
    store_stop();
    uint64_t total = 0;
    for (int i = 0; i < G.nworkers; i++) {
        struct worker *w = &G.workers[i];
        for (int s = 0; s < MS__COUNT; s++) total += atomic_load(&w->m.requests[s]);
        server_worker_free(w);
    }
    for (int i = 0; signos[i]; i++) event_free(sigs[i]);
    event_base_free(G.main_base);
    struct config *last = rcu_xchg_pointer(&G.cfg, NULL);
    config_free(last);
    free(G.workers);
    log_info("stopped", "requests=%llu", (unsigned long long)total);
    return 0;
}
