/* upstream_config: the config's "upstreams" array (filter mode, issue 17): the existing bidders fairbid sits
 * in front of. Plain structs with fixed caps, held in struct config (bidder/config/config.h) and so immutable
 * with the snapshot. Errors name the file, the line, the upstream and the key, like the campaigns'. The key
 * names are a contract (docs/config.md, docs/filter.md). */
#ifndef FAIRBID_BIDDER_UPSTREAM_CONFIG_H
#define FAIRBID_BIDDER_UPSTREAM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "bidder/http/url.h"
#include "filters/campaign.h"

#define UPSTREAM_MAX 16      /* upstreams per config */
#define UPSTREAM_ID_MAX 64   /* bytes of an id or a seat, NUL included */
#define UPSTREAM_URL_MAX 512 /* bytes of a url as written, NUL included */
#define UPSTREAM_CATS_MAX 64 /* categories per special category */
#define UPSTREAM_CAT_LEN 32  /* bytes of one category id, NUL included */
#define UPSTREAM_SPECIAL_N 4 /* indexed by enum campaign_special (NONE unused) */

/* "special_category": {"employment": {"cats": [...], "fairness": {...}}}: the upstream's bids in these ad
 * categories are special-category bids (docs/fairness.md), balanced by the fairness controller. */
struct upstream_special {
    bool present;
    uint32_t ncats;
    char cats[UPSTREAM_CATS_MAX][UPSTREAM_CAT_LEN];
    struct campaign_fairness fair; /* defaults as a campaign's; enabled = true */
};

struct upstream {
    char id[UPSTREAM_ID_MAX];
    char url[UPSTREAM_URL_MAX]; /* as written */
    struct url u;               /* parsed (bidder/http/url.h) */
    int32_t tcf_vendor_id;      /* 0: none, so nothing is forwarded where GDPR applies */
    int32_t timeout_ms;         /* the most this upstream is given; tmax - tmax_margin_ms caps it */
    int32_t connections;        /* keep-alive connections per worker */
    bool allow_remote;          /* a non-loopback address is allowed */
    char seat[UPSTREAM_ID_MAX]; /* seatbid.seat of its bids; the id when absent */
    struct upstream_special special[UPSTREAM_SPECIAL_N];
    int line; /* of the upstream's object in the file, for messages */
};

struct upstream_set {
    uint32_t n;
    struct upstream v[UPSTREAM_MAX];
};

/* The upstream of that id, or NULL. */
const struct upstream *upstream_find(const struct upstream_set *s, const char *id, size_t idlen);

/* The time the upstream really has for a request with this tmax (ORTB tmax, <= 0 or absent: none given):
 * min(timeout_ms, tmax - margin_ms), at least 1. */
int32_t upstream_budget_ms(const struct upstream *u, int32_t tmax, int32_t margin_ms);

struct errctx;
struct json;
/* Reads the "upstreams" array into *out. Returns 0, or -1 with the error in e. */
int config_read_upstreams(struct errctx *e, struct json *j, struct upstream_set *out);

/* The upstream keys, for docs/config.md (a generated table like the campaigns'). */
struct upstream_key_doc {
    const char *name, *type, *def, *doc;
};
const struct upstream_key_doc *upstream_config_keys(size_t *n);

#endif
