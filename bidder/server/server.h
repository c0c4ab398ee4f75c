/* server: `fairbid serve`: worker threads (one event_base and one native HTTP server each, one SO_REUSEPORT
 * socket each), the control plane on the main thread (signals, Redis, reloads), and the HTTP routes.
 * Modules of bidder/server/: server.c (lifecycle: start, reload, signals, drain, stop), workers.c (listeners,
 * worker threads and their HTTP servers), routes.c (bid, win, readyz, healthz), metrics_page.c (/metrics),
 * http_conn.c + http_out.c + http_accept.c (the native HTTP/1.1 server, http_server.h). */
#ifndef FAIRBID_BIDDER_SERVER_SERVER_H
#define FAIRBID_BIDDER_SERVER_SERVER_H

#include "bidder/config/config.h"

struct server_opts {
    const char *config_path;
    struct config_overrides ov;
    const char *port_file; /* written once every worker listens: the bound port, then '\n' */
};

/* Runs until SIGTERM/SIGINT; returns the process exit code (0 after a clean drain). */
int server_run(const struct server_opts *opts);

#endif
