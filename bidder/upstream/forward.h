/* forward: filter mode's bid route (issue 17). When the config has upstreams, a bid request is decided for
 * fairbid's own campaigns as before, then a scrubbed copy goes to every upstream that may see it, at once,
 * through the worker's pool (pool.h); the reply is deferred (http_server.h hs_reply.defer) until every
 * upstream has answered or passed its time, min(timeout_ms, tmax - tmax_margin_ms). Each answer is read
 * (filters/bidresp.h), every bid checked, and the survivors written as one seatbid per upstream beside
 * fairbid's own; 204 when nothing survives. Everything runs on the worker's thread and event loop. */
#ifndef FAIRBID_BIDDER_UPSTREAM_FORWARD_H
#define FAIRBID_BIDDER_UPSTREAM_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "bidder/server/http_server.h"

struct event_base;
struct fwd_worker;

/* get_cfg returns the current config snapshot; it is called inside an RCU read-side section that forward.c
 * opens (urcu-memb) when the answers are in, so checks use the config in force then. */
struct fwd_worker *fwd_worker_new(struct event_base *base, int worker_id,
                                  const struct config *(*get_cfg)(void));
void fwd_worker_free(struct fwd_worker *w);

/* Handles one bid request (body already inflated) for a config with upstreams. Fills *rep: a deferred reply
 * (answered later through hs_resume(conn, ...)) or an immediate one (an error, or nothing could be sent and
 * fairbid's own answer is final). *own is the own-campaign decision, for the caller's counters (valid until
 * the call returns). Called inside the caller's RCU read-side section. */
void fwd_bid(struct fwd_worker *w, const struct config *cfg, const struct engine_ctx *ectx, const char *body,
             size_t len, struct hs_conn *conn, struct hs_reply *rep, const struct engine_result **own);

#endif
