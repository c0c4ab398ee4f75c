/* fair: delivery fairness for upstream bidders' special-category bids (housing, employment, credit; filter
 * mode, issue 17), keyed by (upstream, cid else crid): the same controller as campaigns (filters/fair.h:
 * windows, fair_control's boost and level-down, the same keep probability), fed by the bids fairbid passes
 * and the win notices that come back through /win. A bid of an under-served group is raised up to max_boost
 * (its price rewritten in the bytes fairbid forwards); one of an over-served group is throttled
 * (fairness.throttle) once boosts are spent.
 *
 * With Redis the counts are the fleet's, as campaigns': each key's windows go through the fairness sync
 * (bidder/fairness, struct fairness_ext) as fairbid:fair:up:<upstream>:<creative>:<bucket_ms>:<bucket>,
 * pushed and read back every fairness_sync_ms; while they are stale (Redis gone past the grace period) every
 * special-category upstream bid is dropped (fairness.state_unavailable), as a campaign's would be. What
 * differs: "eligible" is a request the upstream bid on with that creative (fairbid cannot see the requests an
 * upstream would have bid on but did not). State: a fixed table of UPFAIR_SLOTS keys, each under its own
 * mutex (workers and the sync share a key; the critical section is a few window adds); a key beyond the table
 * is dropped (fairness.state_unavailable), never let through unbalanced. */
#ifndef FAIRBID_BIDDER_UPSTREAM_FAIR_H
#define FAIRBID_BIDDER_UPSTREAM_FAIR_H

#include <stdint.h>

#include "filters/campaign.h"
#include "filters/ortb.h"
#include "filters/sv.h"

#define UPFAIR_SLOTS 256    /* (upstream, creative) keys per process; at most FAIRNESS_EXT_MAX */
#define UPFAIR_ID_MAX 140   /* "up:" + 48 + ":" + 64 + "~" + 16 hex + NUL */
#define UPFAIR_RECENT 16384 /* bids remembered for their win notices */

/* For a special-category bid that passed every other check: REASON_BID (and *price possibly raised) or
 * REASON_FAIRNESS_THROTTLE with the group in *detail. p: the upstream's special_category fairness, or the
 * campaigns' defaults. draw: uniform in [0, 2^32). */
int upfair_check(const char *upstream, struct sv creative, const struct campaign_fairness *p,
                 const struct ortb_request *req, struct sv imp_id, uint32_t draw, double *price,
                 struct sv *detail);

/* A win notice for an upstream bid (/win?up=..&cid=..&imp=..&req=..): counted for its groups when the bid is
 * remembered. Returns 1 counted, 0 unknown (or already counted). */
int upfair_win(const char *upstream, struct sv creative, struct sv imp_id, struct sv req_id);

/* The defaults of a special-category bid's fairness are a campaign's: config_fairness_defaults
 * (bidder/config/config.h, docs/fairness.md), one table for both. */

#endif
