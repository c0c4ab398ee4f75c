/* config_internal: what the config modules share: config.c (the top-level parse), config_table.c (the
 * settings table and its readers), config_doc.c (the docs) and config_campaign.c (the campaign reader). Not
 * for other modules. */
#ifndef FAIRBID_BIDDER_CONFIG_INTERNAL_H
#define FAIRBID_BIDDER_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "bidder/config/config.h"
#include "filters/json.h"

/* The first error of a parse, as "FILE:LINE: ..." in err. */
struct errctx {
    const char *file;
    const char *text;
    char *err;
    size_t errlen;
    bool failed;
};

/* The state the readers of CONFIG_CUSTOM keys get. */
struct config_parser {
    struct errctx *e;
    struct json *j;
    struct config *c;
    size_t kat;          /* offset of the key's value */
    bool win_path;       /* the config has a win_url (for the campaigns' fairness check) */
    bool have_campaigns; /* "campaigns" was read */
    bool have_upstreams; /* "upstreams" was read */
};

/* The line (1-based) of offset off in text. O(off). */
int cfg_line_of(const char *text, size_t off);
/* Writes "FILE:LINE: " + the message into e (the first error only). Returns -1. */
int cfg_err(struct errctx *e, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A JSON syntax error, at the offset the parser recorded. Returns -1. */
int cfg_json_err(struct errctx *e, struct json *j, const char *what);
/* The parser's offset in the text. */
size_t cfg_off(const struct json *j);

/* Reads the "campaigns" array into c->campaigns (compiled in c->arena) and c->segments_line. win_path: the
 * config has a win_url (fairness campaigns need a win path). Returns 0, or -1 with the error in e. */
int config_read_campaigns(struct errctx *e, struct json *j, struct config *c, bool win_path);

#endif
