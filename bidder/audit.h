/* audit: privacy and fairness drops appended asynchronously to the Redis stream fairbid:audit. The hot path
 * only enqueues into a bounded per-worker ring; the control plane drains the rings into XADD ... MAXLEN ~ N.
 */
#ifndef FAIRBID_BIDDER_AUDIT_H
#define FAIRBID_BIDDER_AUDIT_H

#include <stddef.h>
#include "bidder/config/config.h"
#include "bidder/engine.h"

struct event_base;
struct evbuffer;

int audit_start(struct event_base *base, const struct config *cfg, int nworkers, char *err, size_t errlen);
void audit_stop(void);
void audit_on_reload(const struct config *cfg);
/* After each decision on worker `worker`: enqueue its privacy/fairness drops (sampled); never blocks. */
void audit_after(int worker, const struct config *cfg, const struct engine_result *res);
void audit_metrics(struct evbuffer *out);
/* Filter mode (issue 17): an upstream bid dropped on worker `worker` for `reason`, enqueued like a campaign's
 * drop when the reason's class is audited (campaign_id "upstream:<id>:<cid, else crid>"); never blocks. */
void audit_upstream_drop(int worker, const struct config *cfg, const struct engine_result *res,
                         const char *upstream, struct sv imp_id, struct sv creative, int reason,
                         struct sv detail);

#endif
