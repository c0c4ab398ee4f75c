/* win: win and billing notices of upstream bids (filter mode, issue 17). fairbid rewrote each upstream bid's
 * nurl and burl to its own win_url carrying the original (filters/bidresp.h bidresp_write_bid); the notice
 * that comes back to GET /win?up=... is counted for fairness (a win notice, kind=n) and forwarded to the
 * original URL asynchronously by one notice thread (its own event loop and asynchronous DNS), through a
 * bounded queue: a worker only copies the URL into the queue and never waits. Counted per upstream
 * (bidder/upstream/stats.h): forwarded, failed (no 2xx within UP_WIN_TIMEOUT_S), refused, queue_full.
 *
 * What is forwarded where (fairbid must not become an open relay): the URL must parse (bidder/http/url.h,
 * plain http); a loopback target only when it is the upstream's own host and port (a win URL pointing at
 * another local service is refused); any other address only when the upstream has allow_remote. */
#ifndef FAIRBID_BIDDER_UPSTREAM_WIN_H
#define FAIRBID_BIDDER_UPSTREAM_WIN_H

#include <stdbool.h>
#include <stddef.h>

#include "bidder/config/config.h"

#define UP_WIN_QUEUE 4096  /* notices waiting */
#define UP_WIN_INFLIGHT 64 /* notices being sent at once */
#define UP_WIN_TIMEOUT_S 5

/* Starts the notice thread. Returns 0, or -1 with a message in err. */
int up_win_start(char *err, size_t errlen);
void up_win_stop(void);

/* Whether a /win query is for an upstream bid (it carries up=). */
bool up_win_is_upstream(const char *query);

/* Handles /win?up=ID&cid=..&imp=..&req=..&price=..&kind=n|b&u=URL on a worker: counts the win (kind n)
 * through fairness_win and queues the forward. Writes a JSON body into body[0..cap); returns the status. */
int up_win_handle(int worker, const struct config *cfg, const char *query, char *body, size_t cap);

#endif
