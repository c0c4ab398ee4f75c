/* consent: which privacy signals of a request apply, and what they allow. Evaluated once per request; decide()
 * then applies the outcome per campaign (personal-data targeting needs more than contextual ads).
 * The rules are documented in docs/consent.md. Everything unknown fails toward privacy. */
#ifndef FAIRBID_FILTERS_CONSENT_H
#define FAIRBID_FILTERS_CONSENT_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/ortb.h"

struct consent_config {
    int32_t tcf_vendor_id;
    bool tcf_strict;
};

struct consent_state {
    bool gdpr_applies;
    bool minor;
    int block_all;        /* enum reason that forbids any bid for this request, or -1 */
    int block_personal;   /* enum reason that forbids personal-data targeting, or -1 */
    struct sv detail;     /* what the reason names (a field, a section) */
    int64_t num;          /* a purpose, vendor or section id */
    int all_num;
    struct sv all_detail;
};

void consent_eval(const struct ortb_request *req, const struct consent_config *cfg, int32_t year,
                  struct consent_state *out);

#endif
