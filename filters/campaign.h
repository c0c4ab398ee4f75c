/* campaign: the compiled, immutable form of the configured campaigns that decide() reads.
 * Built once per config load (by bidder/config.c) into memory owned by the config snapshot; every string is a
 * view into that snapshot. Prices are integer micros of the bidding currency so comparisons are exact. */
#ifndef FAIRBID_FILTERS_CAMPAIGN_H
#define FAIRBID_FILTERS_CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/ortb.h"
#include "filters/sv.h"

#define CAMPAIGN_MAX 4096

enum campaign_gender { CAMPAIGN_GENDER_M = 1, CAMPAIGN_GENDER_F = 2, CAMPAIGN_GENDER_O = 4 };

struct campaign_segment_rule {
    int32_t segtax; /* taxonomy of the ids (4 = Audience 1.1, 6/7/9 = Content 2.2/3.0/3.1) */
    struct ortb_list ids;
};

struct campaign_targeting {
    struct ortb_list site_cat; /* contextual: any of these in site/app cat or content.cat */
    struct campaign_segment_rule *segments;
    uint32_t nsegments;
    struct ortb_list countries; /* ISO-3166-1 alpha-3, as OpenRTB sends them */
    bool has_age;
    int32_t age_min, age_max;
    unsigned gender_mask; /* 0 = no gender targeting */
};

enum campaign_special {
    CAMPAIGN_SPECIAL_NONE = 0,
    CAMPAIGN_SPECIAL_HOUSING,
    CAMPAIGN_SPECIAL_EMPLOYMENT,
    CAMPAIGN_SPECIAL_CREDIT
};

enum { FAIR_ATTR_GENDER = 1, FAIR_ATTR_AGE_BAND = 2 };

/* "fairness": {...}: delivery across groups kept close to the eligible audience (docs/fairness.md). */
struct campaign_fairness {
    bool enabled;
    unsigned attrs;          /* FAIR_ATTR_* */
    double min_impact_ratio; /* four-fifths rule: 0.8 */
    double max_tvd;          /* 0.05 */
    int32_t window_s;        /* 3600 */
    double max_boost;        /* 1.5 */
    int32_t min_eligible;    /* 200 */
};

/* "cap": {"bids": N, "period_s": S}: a hard global budget across all instances. */
struct campaign_cap {
    bool enabled;
    int64_t bids;
    int32_t period_s;
};

struct campaign {
    struct sv id, advertiser, crid, adm, nurl;
    struct ortb_list adomain;
    struct ortb_list cat;
    int32_t cattax;     /* taxonomy of cat (8 = Ad Product 2.0) */
    int64_t bid_micros; /* bid_cpm × 1e6 */
    struct ortb_format *formats;
    uint32_t nformats;
    struct campaign_targeting t;
    bool personal; /* uses personal-data targeting: segments, age or gender */
    struct campaign_fairness fair;
    bool
        fair_bids_only; /* "fairness": {"balance": "bids"}: declared to balance bids, no win notices needed */
    struct campaign_cap cap;
    uint32_t seg_classes; /* policy classes of the campaign's targeted segments (filled by the policy load) */
    uint32_t ad_classes;  /* high-risk classes of the campaign's own categories (filled by the policy load) */
    enum campaign_special special;
    /* the response's fixed parts, JSON-escaped once at load (campaign_prepare_json): id, crid, adm, nurl as
     * quoted strings, adomain and cat as arrays; empty views = write them the slow way */
    struct sv j_id, j_crid, j_adm, j_nurl, j_adomain, j_cat;
};

struct policy; /* compiled sensitive-category policy (filters/policy.h), owned by the config snapshot */

struct campaign_set {
    struct campaign *v;
    uint32_t n;
    struct sv currency; /* ISO-4217, e.g. "USD" */
    int32_t tcf_vendor_id;
    bool tcf_strict;
    const struct policy *policy; /* NULL: no policy loaded */
};

/* Fills the j_* views of c with JSON-escaped copies written into mem[0..cap); returns the bytes used, or 0
 * when cap is too small (the views stay empty and the response writer escapes at run time). */
size_t campaign_prepare_json(struct campaign *c, char *mem, size_t cap);

#endif
