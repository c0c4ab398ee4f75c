/* exchange: what an ad exchange does with fairbid's answer, simulated. Parses a BidResponse, draws a
 * competing price for each bid from the request's demographic group's distribution (a log-normal whose median
 * the
 * --compete multipliers scale: women's impressions costing 25% more is "female=1.25"), counts a win when our
 * price beats it, and expands the win-notice URL. No I/O: the engine sends the notices. */
#ifndef FAIRBID_LOADGEN_EXCHANGE_H
#define FAIRBID_LOADGEN_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filters/sv.h"
#include "loadgen/gen.h"
#include "loadgen/rng.h"

#define EXCH_MAX_BIDS 64
#define EXCH_MAX_CAMPAIGNS 256
#define EXCH_MAX_URL 2048

struct exch_bid {
    struct sv id, impid, cid, crid, nurl, lurl;
    double price;
};

struct exch_resp {
    struct sv id, cur;
    struct exch_bid bids[EXCH_MAX_BIDS];
    unsigned nbids;   /* kept, at most EXCH_MAX_BIDS */
    unsigned dropped; /* beyond the cap */
};

/* Parses body (borrowed; views point into it or into scratch for escaped strings). Returns 0, or -1 when the
 * body is not a BidResponse. scratch must be at least 4 KiB. */
int exch_parse_response(const char *body, size_t n, struct exch_resp *r, char *scratch, size_t scratch_cap);

struct exch_compete {
    double median; /* CPM of the competing bid for group multiplier 1 */
    double sigma;  /* log-normal shape */
    double mult[GEN_NGROUPS];
    bool second_price; /* clearing price = competing price (else our own bid: first price) */
};

void exch_compete_default(struct exch_compete *c);
/* "male=1.0,female=1.25" (groups from GEN_GROUPS). Returns 0 or -1 with a message in err. */
int exch_parse_compete(const char *spec, struct exch_compete *c, char *err, size_t errcap);
double exch_draw(const struct exch_compete *c, struct rng *r, int group);

/* Copies nurl into out replacing ${AUCTION_PRICE}, ${AUCTION_ID}, ${AUCTION_BID_ID}, ${AUCTION_IMP_ID},
 * ${AUCTION_CURRENCY}, ${AUCTION_LOSS} (102: lost to a higher bid; used in loss notices, lurl). Returns the
 * length, or -1 when it does not fit. */
int exch_expand_nurl(const struct exch_resp *r, const struct exch_bid *b, double price, char *out,
                     size_t cap);

/* Wins by campaign and group. One per thread, merged at the end. */
struct exch_tally_row {
    char campaign[64];
    uint64_t bids[GEN_NGROUPS], wins[GEN_NGROUPS];
    double spend[GEN_NGROUPS]; /* sum of clearing prices, CPM */
};
struct exch_tally {
    struct exch_tally_row rows[EXCH_MAX_CAMPAIGNS + 1]; /* the last one collects campaigns past the cap */
    unsigned n;
};
void exch_tally_add(struct exch_tally *t, struct sv campaign, int group, bool win, double price);
void exch_tally_merge(struct exch_tally *dst, const struct exch_tally *src);

#endif
