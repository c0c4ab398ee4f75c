/* config_internal: what the config modules share: config.c (the top-level parse), config_table.c (the
 * settings table and its readers), config_doc.c (the docs), config_campaign.c and config_targeting.c (the
 * campaign reader); policy_load.c and juris_load.c take its line numbering. Not for other modules. */
#ifndef FAIRBID_BIDDER_CONFIG_INTERNAL_H
#define FAIRBID_BIDDER_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* The same, counting no further than len (an offset past the text names its last line); also for the policy
 * and jurisdiction files (policy_load.c, juris_load.c). */
int cfg_line_in(const char *text, size_t len, size_t off);
/* Writes "FILE:LINE: " + the message into e (the first error only). Returns -1. */
int cfg_err(struct errctx *e, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A JSON syntax error, at the offset the parser recorded. Returns -1. */
int cfg_json_err(struct errctx *e, struct json *j, const char *what);
/* The parser's offset in the text. */
size_t cfg_off(const struct json *j);

/* Reads the "campaigns" array into c->campaigns (compiled in c->arena) and c->segments_line. win_path: the
 * config has a win_url (fairness campaigns need a win path). Returns 0, or -1 with the error in e. */
int config_read_campaigns(struct errctx *e, struct json *j, struct config *c, bool win_path);

/* ---- the campaign readers (config_campaign.c, config_targeting.c) ---- */

/* The state of one campaign's read. */
struct cctx {
    struct errctx *e;
    struct json *j;
    struct arena *a;
    char cid[80];  /* for messages */
    bool win_path; /* the config has a win_url: every bid carries fairbid's own win notice */
    /* where the current campaign's keys are, for the checks made once the whole campaign is read */
    size_t at_age, at_gender, at_special, at_fairness, at_segments;
    size_t line_off; /* a cursor for lines of increasing offsets: line_no is the line of line_off */
    int line_no;
};

/* "FILE:LINE: campaign "ID": key "KEY": MSG" into the error context. Returns -1. */
int ccfg_err(struct cctx *cc, size_t off, const char *key, const char *msg);
/* Readers of one value of the current campaign: 0, or -1 with the error naming key. */
int ccfg_strlist(struct cctx *cc, struct ortb_list *out, const char *key);
int ccfg_int(struct cctx *cc, int32_t *out, const char *key, int64_t min, int64_t max);
int ccfg_num(struct cctx *cc, double *out, const char *key, double min, double max);
/* The "targeting" object into c->t (config_targeting.c). */
int ccfg_targeting(struct cctx *cc, struct campaign *c);
/* The "budget" object into c->budget (config_budget.c). */
int ccfg_budget(struct cctx *cc, struct campaign *c);

#endif
