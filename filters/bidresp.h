/* bidresp: an upstream bidder's OpenRTB 2.6 BidResponse (filter mode, issue 17), read with the pull parser
 * into the caller's fixed storage, checked bid by bid against the request it answers, and written back for
 * the exchange with nurl/burl pointing at fairbid's win_url. Pure: no I/O, no malloc; strings are views into
 * the caller's copy of the body (or into the caller's arena when they held escapes).
 *
 * Why a strict reader: fairbid forwards each surviving bid's own bytes (no re-serialisation, so nothing the
 * upstream meant is lost), so the exchange reads exactly what fairbid checked. A duplicate key (the exchange
 * might read the other copy), a wrong type or more entries than a cap make the whole response unreadable
 * (response.malformed): never a bid whose categories or domains were only partly checked. An HTTP 204 (or an
 * empty body) is a no-bid the caller handles without parsing. */
#ifndef FAIRBID_FILTERS_BIDRESP_H
#define FAIRBID_FILTERS_BIDRESP_H

#include <stdbool.h>
#include <stdint.h>

#include "filters/arena.h"
#include "filters/buf.h"
#include "filters/consent.h"
#include "filters/ortb.h"
#include "filters/policy.h"
#include "filters/sv.h"

#define BIDRESP_MAX_SEATBID 16
#define BIDRESP_MAX_BID 64     /* across all seatbids */
#define BIDRESP_MAX_ADOMAIN 16 /* per bid */
#define BIDRESP_MAX_CAT 16     /* per bid */
#define BIDRESP_MAX_ATTR 32    /* per bid */

struct bidresp_bid {
    struct sv id, impid, adid, adm, nurl, burl, lurl, cid, crid, dealid, bundle, iurl;
    double price;
    bool has_price;
    struct sv adomain[BIDRESP_MAX_ADOMAIN];
    uint32_t nadomain;
    struct sv cat[BIDRESP_MAX_CAT];
    uint32_t ncat;
    int32_t cattax; /* ORTB_UNSET when absent (spec default 1) */
    int32_t attr[BIDRESP_MAX_ATTR];
    uint32_t nattr;
    int32_t mtype, w, h; /* ORTB_UNSET when absent */
    uint32_t seat;       /* index into bidresp.seat */
    /* the bid object's bytes in the body, and the spans of its nurl / burl values (quotes included) inside
     * them, so bidresp_write_bid can copy the bid with only those values replaced */
    struct sv raw, nurl_raw, burl_raw, price_raw;
};

struct bidresp_seat {
    struct sv seat;
    uint32_t first, n; /* bids bid[first .. first + n) */
};

struct bidresp {
    struct sv id, bidid, cur, customdata;
    int32_t nbr; /* ORTB_UNSET when absent */
    struct bidresp_seat seat[BIDRESP_MAX_SEATBID];
    uint32_t nseat;
    struct bidresp_bid bid[BIDRESP_MAX_BID];
    uint32_t nbid;
};

enum bidresp_err {
    BIDRESP_OK = 0,
    BIDRESP_EJSON = -1,     /* not well-formed JSON (details in the error) */
    BIDRESP_ESHAPE = -2,    /* JSON, but not a BidResponse object, or a field of the wrong type */
    BIDRESP_EREQUIRED = -3, /* id missing, a bid without id, impid or price */
    BIDRESP_EDUP = -4,      /* a key given twice in the response, a seatbid or a bid */
    BIDRESP_ELIMIT = -5,    /* more seatbids, bids, adomains, cats or attrs than the caps */
    BIDRESP_ENOMEM = -6,    /* the arena ran out (strings with escapes) */
};

struct bidresp_error {
    int code;          /* enum bidresp_err */
    const char *msg;   /* static text */
    const char *field; /* static path, or NULL */
    size_t offset;     /* byte offset into the body */
};

/* Parses body[0..len) into *r (zeroed first). Returns 0 or a negative enum bidresp_err and fills *err.
 * One pass, no malloc. */
int bidresp_parse(const char *body, size_t len, struct arena *a, struct bidresp *r,
                  struct bidresp_error *err);
const char *bidresp_strerror(int code);

/* The special categories of the special-category rule (docs/sensitive.md rule 4: housing, employment,
 * credit): ad categories that mark a bid as one, by taxonomy. */
enum {
    BIDRESP_SPECIAL_NONE = 0,
    BIDRESP_SPECIAL_HOUSING,
    BIDRESP_SPECIAL_EMPLOYMENT,
    BIDRESP_SPECIAL_CREDIT
};
struct bidresp_special {
    int32_t cattax;
    struct ortb_list cats;
    int kind; /* BIDRESP_SPECIAL_* */
};
/* The built-in map (Ad Product Taxonomy 2.0, cattax 8): Real Estate and mortgages as housing, Employment
 * Agencies as employment, credit cards, credit repair and loans as credit. */
extern const struct bidresp_special bidresp_special_builtin[];
extern const uint32_t bidresp_special_builtin_n;

/* What the checks need about the request and the upstream it went to. */
struct bidresp_ctx {
    const struct ortb_request *req;  /* the request (ids, floors, cur, bcat, badv) */
    const struct ortb_request *seen; /* what the upstream was sent (after the scrub); NULL = req */
    const struct consent_state *cst; /* consent_eval of the request: minor */
    const struct policy *policy;     /* NULL: no policy (high-risk and demographic lookups find nothing) */
    const struct bidresp_special *special; /* the upstream's map, then the built-in (NULL/0: built-in only) */
    uint32_t nspecial;
    struct sv cur; /* the answer's currency (fairbid's): a bid in another is dropped; empty = any allowed */
};

/* REASON_BID when the response may be used at all, else response.id. */
int bidresp_check_response(const struct bidresp_ctx *ctx, const struct bidresp *r);

/* REASON_BID when the bid may go to the exchange, else the reason it is dropped, with what it names in
 * *detail (a view into the bid, the request or static text). Checks, first failing wins: bid.impid,
 * bid.currency, bid.price, bid.floor, blocked.cat, blocked.adomain, exploit.high_risk_to_vulnerable (a
 * high-risk category for a minor or a person with a vulnerability segment), exploit.uncategorised (no cat for
 * such a person: the rule cannot be checked), sensitive.special_category (a special-category bid on a request
 * that carried age, gender, postal code, a sensitive or a demographic segment to the upstream). *special is
 * set to the bid's special category (BIDRESP_SPECIAL_*), for the fairness controller. */
int bidresp_check_bid(const struct bidresp_ctx *ctx, const struct bidresp *r, const struct bidresp_bid *b,
                      struct sv *detail, int *special);

/* The bid's special category by its cats (BIDRESP_SPECIAL_NONE when none). */
int bidresp_special_of(const struct bidresp_ctx *ctx, const struct bidresp_bid *b);

/* What a rewritten notice URL carries. */
struct bidresp_win {
    struct sv win_url;  /* fairbid's win_url; empty: nurl and burl are copied unchanged */
    struct sv upstream; /* the upstream's id */
    struct sv req_id;   /* the request's id */
};

/* Writes the bid object: its own bytes, with nurl and burl replaced by
 * win_url?up=<upstream>&cid=<cid, else crid>&imp=<impid>&req=<id>&price=${AUCTION_PRICE}&kind=<n|b>&u=<url>
 * where <url> is the original, percent-encoded except for ${MACRO} sequences (so the exchange still
 * substitutes them). Returns 0, or -1 on overflow. */
int bidresp_write_bid(struct buf *out, const struct bidresp_bid *b, const struct bidresp_win *w);
/* bidresp_write_bid with the price replaced by `price` when it is > 0 (a fairness boost). */
int bidresp_write_bid_priced(struct buf *out, const struct bidresp_bid *b, const struct bidresp_win *w,
                             double price);

/* Percent-encodes s as a URL query component, keeping ${MACRO} sequences as they are. */
void bidresp_put_url(struct buf *out, struct sv s);

#endif
