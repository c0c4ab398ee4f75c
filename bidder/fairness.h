/* fairness: the bidder side of fairness quotas and caps: per-worker windowed counts, fleet totals synced
 * through Redis every <= 100 ms, cap leases, win notices. The per-request math is filters/fair.c. See
 * docs/fairness.md. */
#ifndef FAIRBID_BIDDER_FAIRNESS_H
#define FAIRBID_BIDDER_FAIRNESS_H

#include <stddef.h>
#include "bidder/config.h"
#include "bidder/engine.h"
#include "filters/fair.h"

struct event_base;
struct evbuffer;

int fairness_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen);
void fairness_stop(void);
void fairness_on_reload(const struct config *cfg);
/* The view worker `worker` decides against (stable pointer; its contents are read lock-free). NULL = none. */
const struct fair_view *fairness_view(int worker);
/* After each decision on worker `worker`: count eligible, bids and drops per campaign and group. */
void fairness_after(int worker, const struct config *cfg, const struct engine_result *res);
/* GET /win?...: a win notice. Returns the HTTP status and writes a JSON body into body. */
int fairness_win(int worker, const char *query, char *body, size_t cap);
void fairness_metrics(struct evbuffer *out);

#endif
