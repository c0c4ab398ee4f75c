/* decide: for every imp and every campaign, bid or drop with a reason; then the auction per imp.
 * Pure: reads the parsed request and the immutable campaign set, writes verdicts into the caller's arena.
 * Thread safety: any number of threads may decide against the same campaign set at once. */
#ifndef FAIRBID_FILTERS_DECIDE_H
#define FAIRBID_FILTERS_DECIDE_H

#include <stdint.h>
#include "filters/arena.h"
#include "filters/campaign.h"
#include "filters/consent.h"
#include "filters/fair.h"
#include "filters/jurisdiction.h"
#include "filters/ortb.h"
#include "filters/reasons.h"

/* One verdict per (imp, campaign). `arg`/`num` carry what the detail text names (a category, a size, a
 * price). */
struct decide_verdict {
    uint16_t imp, campaign;
    uint16_t reason; /* enum reason */
    struct sv arg;
    int64_t num;
};

/* What a winning bid serves: the creative and, when bid in a deal, the deal. */
struct decide_pick {
    int32_t creative; /* index into the campaign's creatives, -1 = its formats + adm banner */
    uint8_t mtype;    /* 1 banner, 2 video, 3 audio, 4 native */
    int32_t w, h;     /* banner / video size served; 0 = none */
    int32_t deal;     /* index into imp.pmp.deals, -1 = open auction */
};

struct decide_result {
    struct decide_verdict *v; /* nimp × ncampaign, imp-major */
    uint32_t nv;
    int32_t *winner;          /* per imp: campaign index, or -1 */
    int64_t *price;           /* per imp: the winning price in micros (after any fairness boost) */
    struct decide_pick *pick; /* per imp: what the winner serves */
    uint32_t nbids;
    int request_reason;           /* a reason that dropped every campaign for the whole request, or -1 */
    struct consent_state consent; /* the request's consent evaluation */
    struct juris_state juris;     /* where the person is and the rules in force there */
};

struct decide_env {
    int64_t now_ms; /* wall clock, for ages and the jurisdiction rules' dates */
    int32_t year;   /* current UTC year */
    /* the consent store's view for this request's user; NULL when no store is configured */
    const struct consent_store_view *store;
    /* fairness and cap state (bidder/fairness/); NULL when nothing is constrained */
    const struct fair_view *fair;
    uint64_t seed; /* per-request randomness for fair_check's draws */
};

/* Returns 0, or DECIDE_ENOMEM when the arena ran out (then every imp is a no-bid). */
#define DECIDE_ENOMEM (-1)
int decide_run(const struct campaign_set *cs, const struct ortb_request *req, const struct decide_env *env,
               struct arena *a, struct decide_result *out);

/* Renders the detail of one verdict ("banner 320x50 not in [300x250]") into buf; returns its length. */
size_t decide_detail(const struct campaign_set *cs, const struct ortb_request *req,
                     const struct decide_verdict *v, char *buf, size_t cap);

#endif
