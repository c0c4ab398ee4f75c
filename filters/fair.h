/* fair: fairness quotas and caps, the per-request part. The bidder keeps the windowed counts and the leases
 * and hands decide() a read-only view; this module decides throttle / boost / cap per campaign per imp. See
 * docs/fairness.md. */
#ifndef FAIRBID_FILTERS_FAIR_H
#define FAIRBID_FILTERS_FAIR_H

#include <stdint.h>
#include "filters/campaign.h"
#include "filters/ortb.h"

struct fair_view; /* defined by the fairness module; NULL = no fairness state (no constrained campaigns) */

/* Called for a campaign that passed every other filter for this imp (it is "eligible"). May raise
 * *price_micros (boost, up to the campaign's max_boost). Returns REASON_BID or a drop reason
 * (fairness.throttle, fairness.state_unavailable, cap.exhausted) with *arg / *num for the detail. `draw` is a
 * uniform random number in [0, 2^32) for probabilistic throttling, supplied by the caller so the function
 * stays pure. */
int fair_check(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
               const struct ortb_request *req, uint32_t draw, int64_t *price_micros, struct sv *arg,
               int64_t *num);

#endif
