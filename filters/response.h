/* response: OpenRTB 2.6 BidResponse written straight into a capped buffer, without a DOM. */
#ifndef FAIRBID_FILTERS_RESPONSE_H
#define FAIRBID_FILTERS_RESPONSE_H

#include "filters/buf.h"
#include "filters/campaign.h"
#include "filters/decide.h"
#include "filters/ortb.h"

struct resp_opts {
    struct sv seat; /* seatbid.seat; empty = omitted */
    struct sv
        win_url; /* when set, each bid's nurl is win_url?... with ${AUCTION_PRICE}, for win accounting */
};

/* Writes a BidResponse for the winners in res (res->nbids > 0). bidid is derived from the request id.
 * Returns 0, or -1 when the buffer overflowed. */
int resp_write_bids(struct buf *b, const struct campaign_set *cs, const struct ortb_request *req,
                    const struct decide_result *res, const struct resp_opts *opts);
/* Writes {"id": ..., "nbr": nbr}. */
int resp_write_nobid(struct buf *b, struct sv request_id, int nbr);

#endif
