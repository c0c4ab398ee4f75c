/* creative_load: the campaign-level "creatives", "deals" and the top-level "fx" of the config
 * (docs/formats.md), compiled into filters/campaign.h structs in the config's arena. Kept apart from
 * config.c's settings table: config.c calls these for the keys and wraps the message with the file, line and
 * campaign. */
#ifndef FAIRBID_BIDDER_CREATIVE_LOAD_H
#define FAIRBID_BIDDER_CREATIVE_LOAD_H

#include <stddef.h>

#include "filters/arena.h"
#include "filters/campaign.h"
#include "filters/json.h"

struct cl_err {
    size_t off;    /* byte offset of the bad value in the config text */
    char msg[320]; /* "creatives[2] (video): key \"duration_s\": must be ..." */
};

/* The value of a campaign's "creatives" key. 0, or -1 with e filled. */
int creative_load_list(struct json *j, struct arena *a, struct campaign *c, struct cl_err *e);
/* The value of "fx" ({"date": "YYYY-MM-DD", "rates": {"EUR": 0.92}}); currency is the bidding currency, which
 * the table may not list. 0, or -1 with e filled. */
int creative_load_fx(struct json *j, struct arena *a, const char *currency, struct fx_rate **rates,
                     uint32_t *nrates, struct sv *date, struct cl_err *e);
/* Checks that need the whole campaign: a deal_only campaign names its deals. 0 or -1. */
int creative_check_campaign(const struct campaign *c, struct cl_err *e);
/* Bytes campaign_prepare_json may need for c's creatives (for config.c's sizing). */
size_t creative_json_need(const struct campaign *c);

#endif
