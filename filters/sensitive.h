/* sensitive: sensitive-category and exploitative targeting rules (GDPR Art. 9, DSA Art. 26/28), applied per
 * campaign per request against the compiled policy. See docs/sensitive.md. */
#ifndef FAIRBID_FILTERS_SENSITIVE_H
#define FAIRBID_FILTERS_SENSITIVE_H

#include <stdint.h>
#include "filters/campaign.h"
#include "filters/consent.h"
#include "filters/ortb.h"

/* Returns REASON_BID when the campaign may bid on this request, else the drop reason, with what the detail
 * names (class, taxonomy id, segment provider) in *arg and *num. Called once per campaign per request, after
 * the consent and targeting checks passed. cs->policy may be NULL (no policy loaded: nothing to check). */
int sensitive_check(const struct campaign_set *cs, const struct campaign *c, const struct ortb_request *req,
                    const struct consent_state *cst, struct sv *arg, int64_t *num);

#endif
