/* campaign: the compiled, immutable form of the configured campaigns that decide() reads.
 * Built once per config load (by bidder/config/config.c) into memory owned by the config snapshot; every
 * string is a view into that snapshot. Prices are integer micros of the bidding currency so comparisons are
 * exact. */
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
    bool site_cat_canon;       /* every site_cat id written canonically (policy_ids_canonical) */
    struct campaign_segment_rule *segments;
    uint32_t nsegments;
    struct ortb_list countries; /* ISO-3166-1 alpha-3, as OpenRTB sends them */
    bool has_age;
    int32_t age_min, age_max;
    unsigned gender_mask; /* 0 = no gender targeting */
    /* "near": {"lat", "lon", "radius_km"}: precise-location targeting on device.geo.lat/lon (personal data,
     * refused where the law bans precise geolocation: docs/jurisdictions.md) */
    bool has_near;
    double near_lat, near_lon, near_radius_km;
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

/* "budget": {"amount": A, "period_s": S, "pacing": "asap"|"even"}: money per period across all instances, in
 * the bidding currency (docs/fairness.md, Budgets). */
enum { BUDGET_PACING_ASAP = 0, BUDGET_PACING_EVEN = 1 };
struct campaign_budget {
    bool enabled;
    int64_t amount_micros; /* amount × 1e6 */
    int32_t period_s;
    uint8_t pacing; /* BUDGET_PACING_* */
};

/* A creative of a campaign ("creatives": [...], docs/formats.md). The type is the bid's mtype. */
enum creative_type { CREATIVE_BANNER = 1, CREATIVE_VIDEO = 2, CREATIVE_AUDIO = 3, CREATIVE_NATIVE = 4 };

#define CREATIVE_MAX 64
#define CREATIVE_MAX_ASSETS 32

struct creative_img {
    int32_t type; /* Native image type: 1 icon, 3 main */
    int32_t w, h;
    struct sv url;
};

struct creative_data {
    int32_t type; /* Native data asset type: 1 sponsored, 2 desc, 12 ctatext, ... */
    struct sv value;
};

struct creative {
    uint8_t type;        /* enum creative_type */
    struct sv crid;      /* empty: the campaign's crid */
    struct sv adm, nurl; /* banner, video (VAST XML), audio (VAST/DAAST XML); native builds its adm */
    int32_t w, h;        /* banner: required; video: 0 = not declared */
    int32_t duration_s;  /* video, audio */
    struct ortb_list mimes;
    uint32_t protocols;  /* bit mask of OpenRTB protocol ids 1..31 */
    int32_t linearity;   /* video: 1 linear (default), 2 non-linear */
    bool skippable;      /* video: the creative carries a skip offset */
    int32_t *startdelay; /* accepted start delays (0 pre, -1 generic mid, -2 post); NULL = any */
    uint32_t nstartdelay;
    int32_t *plcmt; /* accepted 2.6 plcmt values; NULL = any */
    uint32_t nplcmt;
    int32_t *placement; /* accepted 2.5 placement values; NULL = any */
    uint32_t nplacement;
    /* native: the assets it can fill and the values it returns */
    struct sv title;
    struct creative_img *imgs;
    uint32_t nimgs;
    struct creative_data *data;
    uint32_t ndata;
    struct sv link; /* link.url (required for native) */
    struct ortb_list imptrackers;
    struct sv j_crid, j_adm, j_nurl; /* JSON-escaped at load; empty = escape at run time */
};

struct campaign {
    struct sv id, advertiser, crid, adm, nurl;
    struct ortb_list adomain;
    struct ortb_list cat;
    bool cat_canon;     /* every cat id written canonically (policy_ids_canonical): byte comparisons */
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
    struct campaign_budget budget;
    uint32_t seg_classes; /* policy classes of the campaign's targeted segments (filled by the policy load) */
    uint32_t ad_classes;  /* high-risk classes of the campaign's own categories (filled by the policy load) */
    enum campaign_special special;
    /* "political": {"sponsor", "notice_url"} (Regulation (EU) 2024/900 transparency notice); empty = none */
    struct sv pol_sponsor, pol_notice_url;
    bool political;    /* declared political */
    bool politics_cat; /* one of its categories is Ad Product 1474-1481 (Politics) */
    /* the response's fixed parts, JSON-escaped once at load (campaign_prepare_json): id, crid, adm, nurl as
     * quoted strings, adomain and cat as arrays; empty views = write them the slow way */
    struct sv j_id, j_crid, j_adm, j_nurl, j_adomain, j_cat;
    /* ,"cid":…,"crid":…[,"adomain":…][,"cat":…,"cattax":N] of a bid without a creative crid, whole
     * (response.c put_campaign_meta); empty = write it piece by piece */
    struct sv j_meta;
    /* "creatives": typed creatives, besides the legacy banner of formats + adm/nurl (nformats may be 0 when
     * creatives are given) */
    struct creative *creatives;
    uint32_t ncreatives;
    struct ortb_list deals; /* deal ids it buys */
    bool deal_only;         /* bids only inside one of its deals */
};

/* "fx": {"date", "rates": {"EUR": 0.92}}: units of that currency per one unit of the bidding currency. */
struct fx_rate {
    char cur[4];
    double rate;
};

struct juris_table;
struct policy; /* compiled sensitive-category policy (filters/policy.h), owned by the config snapshot */

struct campaign_set {
    struct campaign *v;
    uint32_t n;
    struct sv currency; /* ISO-4217, e.g. "USD" */
    int32_t tcf_vendor_id;
    bool tcf_strict;
    const struct policy *policy; /* NULL: no policy loaded */
    /* jurisdictions (filters/jurisdiction.h): the policy's dated table, NULL = none loaded */
    const struct juris_table *juris;
    bool juris_unknown_strictest; /* config unknown_region: "strictest" (default) or "none" */
    int32_t pol_custom_purpose;   /* config political_consent_custom_purpose; 0 = none */
    struct ortb_list first_party; /* config first_party_providers: user.data id or name */
    const struct fx_rate *fx;     /* "fx" rates; NULL/0 = none: a floor in another currency is a no-bid */
    uint32_t nfx;
    struct sv fx_date;
    struct sv seat; /* config seat, for a deal's wseat */
};

/* Fills the j_* views of c with JSON-escaped copies written into mem[0..cap); returns the bytes used, or 0
 * when cap is too small (the views stay empty and the response writer escapes at run time). */
size_t campaign_prepare_json(struct campaign *c, char *mem, size_t cap);

#endif
