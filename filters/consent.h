/* consent: which privacy signals of a request apply, and what they allow. Evaluated once per request
 * (decoding each consent string present); decide() then applies the outcome per campaign: personal-data
 * targeting needs more than contextual ads. The rules and their order are documented in docs/consent.md.
 * Everything unknown fails toward privacy. Pure: scratch for decoded strings comes from the caller's arena.
 */
#ifndef FAIRBID_FILTERS_CONSENT_H
#define FAIRBID_FILTERS_CONSENT_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/arena.h"
#include "filters/gpp.h"
#include "filters/ortb.h"
#include "filters/tcf.h"

struct consent_config {
    int32_t tcf_vendor_id; /* CONSENT_VENDOR_DEFERRED: leave the vendor's TCF rules to consent_for_vendor */
    bool tcf_strict;
};

/* consent_config.tcf_vendor_id for a request evaluated once for several vendors (filter mode: fairbid's own
 * campaigns and each upstream bidder, each with its own TCF vendor id). */
#define CONSENT_VENDOR_DEFERRED (-1)

/* The advertiser's own record for this person (the Redis consent store, mirrored in memory by bidder/). */
struct consent_stored {
    bool optout; /* opted out of sale, sharing and targeted advertising */
    bool minor;
    uint32_t
        sensitive_mask; /* sensitive classes the person explicitly consented to (bit = policy class id) */
};

/* What the caller knows about the consent store for this request. */
struct consent_store_view {
    bool trusted;                     /* false: mirror stale or resyncing → no personal-data targeting */
    const struct consent_stored *rec; /* NULL: no stored record */
};

struct consent_state {
    bool gdpr_applies;
    bool dsa; /* regs.ext.dsa present */
    bool minor;
    bool precise_geo_ok; /* false for minors and without consent: lat/lon must not be used */
    int block_all;       /* enum reason that forbids any bid for this request, or -1 */
    int block_personal;  /* enum reason that forbids personal-data targeting, or -1 */
    struct sv detail;    /* what block_personal names (a field, a section, a purpose) */
    int64_t num;
    struct sv all_detail;
    int64_t all_num;
    /* decoded signals, for later rules (sensitive-data consents); NULL when absent or invalid */
    const struct tcf *tc;
    const struct gpp *gpp;
    const struct consent_stored *stored;
    /* For consent_for_vendor (another vendor's outcome from this evaluation): what block_personal was when
     * the vendor's TCF rules ran (step 4b), and the first block_personal of every step but those rules.
     * vendor_deferred: evaluated with CONSENT_VENDOR_DEFERRED (no vendor's rules applied). */
    bool vendor_deferred;
    int pre_tcf_personal;
    struct sv pre_tcf_detail;
    int64_t pre_tcf_num;
    int nv_personal;
    struct sv nv_detail;
    int64_t nv_num;
};

/* Fills *out. a: scratch for decoding (about the size of the consent strings). store may be NULL (no store
 * configured: no stored restrictions, and the store is not required). */
void consent_eval(const struct ortb_request *req, const struct consent_config *cfg,
                  const struct consent_store_view *store, int32_t year, struct arena *a,
                  struct consent_state *out);

/* The outcome for one TCF vendor from one evaluation: *s from consent_eval with any tcf_vendor_id (fairbid's
 * own, or CONSENT_VENDOR_DEFERRED; the strings are decoded once), with the TCF vendor rules replayed for
 * vendor (basic ads: purpose 2 and the vendor; personal data: purposes 1, 3, 4, the vendor's consent,
 * publisher restrictions). The result equals consent_eval with that vendor id: the same block_all,
 * block_personal and detail (the first reason in docs/consent.md's order), minor and precise_geo_ok (a
 * caller's later narrowing of precise_geo_ok, e.g. by jurisdiction, is not kept). Pure, O(1) but for the TC
 * string's bit lookups. */
void consent_for_vendor(const struct consent_state *s, int32_t vendor, bool strict,
                        struct consent_state *out);

#endif
