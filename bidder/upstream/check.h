/* check: one upstream's answer to one request, bid by bid (filter mode, issue 17): read with
 * filters/bidresp.h, checked against the request and the config in force, the survivors written as the
 * upstream's seatbid. One code path for `serve` (bidder/upstream/forward.c) and `fairbid decide
 * --upstream-response` (bidder/cli/cli.c), so what decide prints is what serve does. No I/O. */
#ifndef FAIRBID_BIDDER_UPSTREAM_CHECK_H
#define FAIRBID_BIDDER_UPSTREAM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "filters/bidresp.h"
#include "filters/buf.h"
#include "filters/scrub.h"

struct upcheck_verdict {
    uint32_t bid;     /* index in resp->bid */
    int reason;       /* REASON_BID: passed */
    struct sv detail; /* what the reason names */
    int special;      /* BIDRESP_SPECIAL_* */
    double price;     /* > 0: the price after a fairness boost */
};

struct upcheck_result {
    int reason; /* REASON_BID: the response could be used; else response.malformed / response.id */
    struct bidresp_error err;
    uint32_t nbids, kept;
    bool fair;     /* in: special-category bids go through the fairness controller (serve; not decide) */
    uint64_t draw; /* in/out: the throttle's random state */
    struct upcheck_verdict v[BIDRESP_MAX_BID];
};

/* The request side for upstream u, from fairbid's own engine_bid of the request (res: its parse, consent and
 * jurisdiction): filters/scrub.h into out[0..cap) (2 * len + SCRUB_SLACK always suffices), tmax rewritten to
 * upstream_budget_ms. Returns scrub_request's code. */
int upcheck_scrub(const struct config *cfg, const struct upstream *u, const struct engine_result *res,
                  const char *body, size_t len, struct arena *a, char *out, size_t cap,
                  struct scrub_result *sr);

/* Reads body[0..len) (the upstream's 200 answer) into *resp and checks every bid. res is fairbid's own
 * engine_bid of the request (its parse and consent); personal: the upstream was sent personal data. When out
 * is not NULL, the surviving bids are written there as one seatbid (seat = the upstream's seat, else its id;
 * a ',' first unless *first), nurl/burl pointed at cfg's win_url. */
void upcheck_run(const struct config *cfg, const struct upstream *u, const struct engine_result *res,
                 bool personal, const char *body, size_t len, struct arena *a, struct bidresp *resp,
                 struct buf *out, bool *first, struct upcheck_result *r);

#endif
