/* config_campaign: the reader of the config's "campaigns" array (bidder/config/config.c hands it the array;
 * the "targeting" object is read by config_targeting.c; the keys are listed for docs/config.md in
 * config_doc.c). Errors name the file, the line, the campaign and the key. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/config/config_internal.h"
#include "bidder/config/creative_load.h"
#include "bidder/obs/log.h"
#include "filters/json.h"
#include "filters/jurisdiction.h"
#include "filters/response.h"

/* The line of off >= the previous call's, in time proportional to the distance (line_of is O(off)). */
static int ccfg_line(struct cctx *cc, size_t off)
{
    if (off < cc->line_off) {
        cc->line_off = 0;
        cc->line_no = 1;
    }
    for (; cc->line_off < off; cc->line_off++)
        if (cc->e->text[cc->line_off] == '\n') cc->line_no++;
    return cc->line_no;
}

int ccfg_err(struct cctx *cc, size_t off, const char *key, const char *msg)
{
    return cfg_err(cc->e, off, "campaign \"%s\": key \"%s\": %s", cc->cid, key, msg);
}

int ccfg_strlist(struct cctx *cc, struct ortb_list *out, const char *key)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, key) : 0;
    if (json_peek(cc->j) != JSON_ARRAY) return ccfg_err(cc, at, key, "must be an array of strings");
    struct arena_vec v = {.max = 100000};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        struct sv *s = arena_vec_push(cc->a, &v, sizeof *s, _Alignof(struct sv));
        if (!s) return ccfg_err(cc, at, key, "out of memory");
        size_t eat = cfg_off(cc->j);
        if (json_peek(cc->j) != JSON_STRING) return ccfg_err(cc, eat, key, "must be an array of strings");
        if (json_string(cc->j, s)) return cfg_json_err(cc->e, cc->j, key);
        if (s->n == 0) return ccfg_err(cc, eat, key, "entries must not be empty");
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, key);
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int rd_cstr(struct cctx *cc, struct sv *out, const char *key)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, key) : 0;
    if (json_peek(cc->j) != JSON_STRING) return ccfg_err(cc, at, key, "must be a string");
    if (json_string(cc->j, out)) return cfg_json_err(cc->e, cc->j, key);
    if (!out->p) out->p = "";
    return 0;
}

int ccfg_int(struct cctx *cc, int32_t *out, const char *key, int64_t min, int64_t max)
{
    size_t at = cfg_off(cc->j);
    int64_t v;
    if (json_peek(cc->j) != JSON_NUMBER || json_int(cc->j, &v))
        return ccfg_err(cc, at, key, "must be an integer");
    if (v < min || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %lld and %lld", (long long)min, (long long)max);
        return ccfg_err(cc, at, key, msg);
    }
    *out = (int32_t)v;
    return 0;
}

static int rd_formats(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) != JSON_ARRAY)
        return ccfg_err(cc, at, "formats", "must be an array of {\"w\", \"h\"}");
    struct arena_vec v = {.max = 256};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        size_t fat = cfg_off(cc->j);
        if (json_peek(cc->j) != JSON_OBJECT)
            return ccfg_err(cc, fat, "formats", "entries must be {\"w\", \"h\"}");
        struct ortb_format *f = arena_vec_push(cc->a, &v, sizeof *f, _Alignof(struct ortb_format));
        if (!f) return ccfg_err(cc, fat, "formats", "too many formats (limit 256)");
        f->w = f->h = -1;
        json_obj_begin(cc->j);
        struct sv k;
        while (json_obj_next(cc->j, &k)) {
            if (sv_eq_cstr(k, "w")) {
                if (ccfg_int(cc, &f->w, "formats.w", 1, 100000)) return -1;
            } else if (sv_eq_cstr(k, "h")) {
                if (ccfg_int(cc, &f->h, "formats.h", 1, 100000)) return -1;
            } else if (json_skip(cc->j)) {
                return cfg_json_err(cc->e, cc->j, "formats");
            }
        }
        if (cc->j->err) return cfg_json_err(cc->e, cc->j, "formats");
        if (f->w < 0 || f->h < 0) return ccfg_err(cc, fat, "formats", "each format needs both w and h");
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "formats");
    if (v.n == 0) return ccfg_err(cc, at, "formats", "must list at least one size");
    c->formats = v.items;
    c->nformats = v.n;
    return 0;
}

const struct campaign_fairness config_fairness_defaults = {.enabled = true,
                                                           .attrs = FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND,
                                                           .min_impact_ratio = 0.8,
                                                           .max_tvd = 0.05,
                                                           .window_s = 3600,
                                                           .max_boost = 1.5,
                                                           .min_eligible = 200};

int ccfg_num(struct cctx *cc, double *out, const char *key, double min, double max)
{
    size_t at = cfg_off(cc->j);
    double v;
    if (json_peek(cc->j) != JSON_NUMBER || json_double(cc->j, &v))
        return ccfg_err(cc, at, key, "must be a number");
    if (v < min || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %g and %g", min, max);
        return ccfg_err(cc, at, key, msg);
    }
    *out = v;
    return 0;
}

static int rd_fairness(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, "fairness") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return ccfg_err(cc, at, "fairness", "must be null or an object");
    struct campaign_fairness *f = &c->fair;
    unsigned attrs = f->attrs; /* none by default here: a missing attribute is checked once all is read */
    *f = config_fairness_defaults;
    f->attrs = attrs;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        size_t kat = cfg_off(cc->j);
        int rc = 0;
        if (sv_eq_cstr(k, "attribute")) {
            struct sv a = SV_NULL;
            rc = rd_cstr(cc, &a, "fairness.attribute");
            if (!rc) {
                if (sv_eq_cstr(a, "gender"))
                    f->attrs = FAIR_ATTR_GENDER;
                else if (sv_eq_cstr(a, "age_band"))
                    f->attrs = FAIR_ATTR_AGE_BAND;
                else
                    return ccfg_err(cc, kat, "fairness.attribute", "must be \"gender\" or \"age_band\"");
            }
        } else if (sv_eq_cstr(k, "min_impact_ratio")) {
            rc = ccfg_num(cc, &f->min_impact_ratio, "fairness.min_impact_ratio", 0, 1);
        } else if (sv_eq_cstr(k, "max_tvd")) {
            rc = ccfg_num(cc, &f->max_tvd, "fairness.max_tvd", 0, 1);
        } else if (sv_eq_cstr(k, "max_boost")) {
            rc = ccfg_num(cc, &f->max_boost, "fairness.max_boost", 1, 10);
        } else if (sv_eq_cstr(k, "window_s")) {
            rc = ccfg_int(cc, &f->window_s, "fairness.window_s", 10, 30 * 86400);
        } else if (sv_eq_cstr(k, "min_eligible")) {
            rc = ccfg_int(cc, &f->min_eligible, "fairness.min_eligible", 1, 100000000);
        } else if (sv_eq_cstr(k, "balance")) {
            /* "wins" (the default) needs win notices; "bids" says so explicitly (rd_campaign checks) */
            struct sv b = SV_NULL;
            rc = rd_cstr(cc, &b, "fairness.balance");
            if (!rc && b.p) {
                if (sv_eq_cstr(b, "wins"))
                    c->fair_bids_only = false;
                else if (sv_eq_cstr(b, "bids"))
                    c->fair_bids_only = true;
                else
                    return ccfg_err(cc, kat, "fairness.balance",
                                    "must be \"wins\" (the default: needs win notices) or \"bids\"");
            }
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=fairness.%.*s",
                     cc->e->file, cfg_line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            rc = json_skip(cc->j) ? cfg_json_err(cc->e, cc->j, "fairness") : 0;
        }
        if (rc) return -1;
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "fairness");
    /* a missing attribute is an error unless the campaign is special_category (both, by default): rd_campaign
     * decides once every key is read */
    return 0;
}

static int rd_cap(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, "cap") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return ccfg_err(cc, at, "cap", "must be null or an object");
    c->cap.enabled = true;
    c->cap.period_s = 86400;
    c->cap.bids = -1;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        int rc = 0;
        if (sv_eq_cstr(k, "bids")) {
            size_t kat = cfg_off(cc->j);
            int64_t v;
            if (json_peek(cc->j) != JSON_NUMBER || json_int(cc->j, &v) || v < 0 || v > (int64_t)1e15)
                return ccfg_err(cc, kat, "cap.bids", "must be an integer between 0 and 1e15");
            c->cap.bids = v;
        } else if (sv_eq_cstr(k, "period_s")) {
            rc = ccfg_int(cc, &c->cap.period_s, "cap.period_s", 1, 366 * 86400);
        } else {
            /* a cap is a promise to the advertiser: a key not understood (a typo of "bids"?) must not
             * quietly leave a campaign capped otherwise than asked */
            char key[80];
            snprintf(key, sizeof key, "cap.%.*s", (int)(k.n > 60 ? 60 : k.n), k.p);
            return ccfg_err(cc, cfg_off(cc->j), key, "unknown key (cap has \"bids\" and \"period_s\")");
        }
        if (rc) return -1;
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "cap");
    if (c->cap.bids < 0) return ccfg_err(cc, at, "cap.bids", "is required");
    return 0;
}

/* "political": {"sponsor": "...", "notice_url": "https://..."}: Regulation (EU) 2024/900's transparency
 * notice, carried in every bid as bid.ext.political (docs/jurisdictions.md). */
static int rd_political(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, "political") : 0;
    if (json_peek(cc->j) != JSON_OBJECT)
        return ccfg_err(cc, at, "political", "must be {\"sponsor\", \"notice_url\"}");
    c->political = true;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        int rc = 0;
        if (sv_eq_cstr(k, "sponsor"))
            rc = rd_cstr(cc, &c->pol_sponsor, "political.sponsor");
        else if (sv_eq_cstr(k, "notice_url"))
            rc = rd_cstr(cc, &c->pol_notice_url, "political.notice_url");
        else
            rc = json_skip(cc->j) ? cfg_json_err(cc->e, cc->j, "political") : 0;
        if (rc) return -1;
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "political");
    if (c->pol_sponsor.n == 0)
        return ccfg_err(cc, at, "political.sponsor", "is required: who pays for the political ad");
    struct sv u = c->pol_notice_url;
    if (u.n < 9 || memcmp(u.p, "https://", 8) != 0)
        return ccfg_err(cc, at, "political.notice_url",
                        "is required: an https:// URL of the transparency notice");
    return 0;
}

/* "creatives", "deals", "deal_only" (issue 19): parsed by bidder/config/creative_load.c, wrapped here with
 * the file, line and campaign. */
static int rd_campaign_formats(struct cctx *cc, struct campaign *c, struct sv k)
{
    size_t at = cfg_off(cc->j);
    if (sv_eq_cstr(k, "deals")) {
        if (ccfg_strlist(cc, &c->deals, "deals")) return -1;
        if (c->deals.n == 0) return ccfg_err(cc, at, "deals", "must list at least one deal id");
        return 0;
    }
    if (sv_eq_cstr(k, "deal_only")) {
        if (json_bool(cc->j, &c->deal_only)) return ccfg_err(cc, at, "deal_only", "must be true or false");
        return 0;
    }
    struct cl_err ce = {.off = at};
    if (creative_load_list(cc->j, cc->a, c, &ce))
        return cfg_err(cc->e, ce.off, "campaign \"%s\": %s", cc->cid, ce.msg);
    /* with win_url every bid's nurl is fairbid's win notice, so a creative served by nurl alone would lose
     * its markup */
    for (uint32_t i = 0; cc->win_path && i < c->ncreatives; i++)
        if (c->creatives[i].type != CREATIVE_NATIVE && c->creatives[i].adm.n == 0)
            return cfg_err(cc->e, at,
                           "campaign \"%s\": creatives[%u]: key \"adm\": is required when the config has a "
                           "win_url (bids then carry fairbid's win notice as nurl, not the creative's)",
                           cc->cid, i);
    return 0;
}

static int rd_campaign(struct cctx *cc, struct campaign *c, uint32_t index)
{
    struct json *j = cc->j;
    size_t at = cfg_off(j);
    snprintf(cc->cid, sizeof cc->cid, "#%u", index + 1);
    if (json_peek(j) != JSON_OBJECT) return cfg_err(cc->e, at, "campaigns[%u]: must be an object", index);
    /* find the id first so every message can name the campaign */
    {
        struct json probe = *j;
        struct sv k, id;
        json_obj_begin(&probe);
        while (json_obj_next(&probe, &k)) {
            if (sv_eq_cstr(k, "id") && json_peek(&probe) == JSON_STRING && json_string(&probe, &id) == 0) {
                snprintf(cc->cid, sizeof cc->cid, "%.*s", (int)(id.n > 64 ? 64 : id.n), id.p);
                break;
            }
            if (json_skip(&probe)) break;
        }
    }
    c->cattax = 8;
    cc->at_age = cc->at_gender = cc->at_special = cc->at_fairness = cc->at_segments = at;
    bool has_bid = false;
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        size_t kat = cfg_off(j);
        int rc = 0;
        if (sv_eq_cstr(k, "id"))
            rc = rd_cstr(cc, &c->id, "id");
        else if (sv_eq_cstr(k, "advertiser"))
            rc = rd_cstr(cc, &c->advertiser, "advertiser");
        else if (sv_eq_cstr(k, "adomain"))
            rc = ccfg_strlist(cc, &c->adomain, "adomain");
        else if (sv_eq_cstr(k, "crid"))
            rc = rd_cstr(cc, &c->crid, "crid");
        else if (sv_eq_cstr(k, "cat"))
            rc = ccfg_strlist(cc, &c->cat, "cat");
        else if (sv_eq_cstr(k, "cattax"))
            rc = ccfg_int(cc, &c->cattax, "cattax", 1, 1000);
        else if (sv_eq_cstr(k, "adm"))
            rc = rd_cstr(cc, &c->adm, "adm");
        else if (sv_eq_cstr(k, "nurl"))
            rc = rd_cstr(cc, &c->nurl, "nurl");
        else if (sv_eq_cstr(k, "formats"))
            rc = rd_formats(cc, c);
        else if (sv_eq_cstr(k, "creatives") || sv_eq_cstr(k, "deals") || sv_eq_cstr(k, "deal_only"))
            rc = rd_campaign_formats(cc, c, k); /* bidder/config/creative_load.c: docs/formats.md */
        else if (sv_eq_cstr(k, "targeting"))
            rc = ccfg_targeting(cc, c);
        else if (sv_eq_cstr(k, "bid_cpm")) {
            double v;
            if (json_peek(j) != JSON_NUMBER || json_double(j, &v))
                return ccfg_err(cc, kat, "bid_cpm", "must be a number");
            if (!(v > 0) || v > 1e6)
                return ccfg_err(cc, kat, "bid_cpm", "must be a price above 0 and at most 1000000");
            c->bid_micros = llround(v * 1e6);
            has_bid = true;
        } else if (sv_eq_cstr(k, "special_category")) {
            cc->at_special = kat;
            struct sv s = SV_NULL;
            rc = rd_cstr(cc, &s, "special_category");
            if (!rc && s.p) {
                if (sv_eq_cstr(s, "housing"))
                    c->special = CAMPAIGN_SPECIAL_HOUSING;
                else if (sv_eq_cstr(s, "employment"))
                    c->special = CAMPAIGN_SPECIAL_EMPLOYMENT;
                else if (sv_eq_cstr(s, "credit"))
                    c->special = CAMPAIGN_SPECIAL_CREDIT;
                else
                    return ccfg_err(cc, kat, "special_category",
                                    "must be null, \"housing\", \"employment\" or \"credit\"");
            }
        } else if (sv_eq_cstr(k, "political")) {
            rc = rd_political(cc, c);
        } else if (sv_eq_cstr(k, "fairness")) {
            cc->at_fairness = kat;
            rc = rd_fairness(cc, c);
        } else if (sv_eq_cstr(k, "cap")) {
            rc = rd_cap(cc, c);
        } else if (sv_eq_cstr(k, "budget")) {
            rc = ccfg_budget(cc, c);
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=%.*s", cc->e->file,
                     cfg_line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            rc = json_skip(j) ? cfg_json_err(cc->e, j, "campaign") : 0;
        }
        if (rc) return -1;
    }
    if (j->err) return cfg_json_err(cc->e, j, "campaign");
    if (c->id.n == 0) return ccfg_err(cc, at, "id", "is required and must not be empty");
    if (c->crid.n == 0) return ccfg_err(cc, at, "crid", "is required and must not be empty");
    if (!has_bid) return ccfg_err(cc, at, "bid_cpm", "is required");
    if (c->nformats == 0 && c->ncreatives == 0)
        return ccfg_err(cc, at, "formats", "is required (or \"creatives\", docs/formats.md)");
    if (c->nformats && c->adm.n == 0 && c->nurl.n == 0)
        return ccfg_err(cc, at, "adm", "a campaign needs adm or nurl");
    {
        struct cl_err ce = {.off = at};
        if (creative_check_campaign(c, &ce))
            return cfg_err(cc->e, at, "campaign \"%s\": %s", cc->cid, ce.msg);
    }
    c->personal = c->t.nsegments > 0 || c->t.has_age || c->t.gender_mask != 0 || c->t.has_near;
    for (uint32_t i = 0; i < c->cat.n; i++)
        if (juris_is_politics_cat(c->cattax, c->cat.v[i])) c->politics_cat = true;
    if (c->politics_cat && !c->political)
        return ccfg_err(cc, at, "political",
                        "a campaign in an Ad Product Politics category (1474-1481) must declare "
                        "{\"sponsor\", \"notice_url\"}");
    bool explicit_fair = c->fair.enabled; /* a "fairness" object, not only the special-category default */
    if (c->special != CAMPAIGN_SPECIAL_NONE) {
        /* Rule 4 (docs/sensitive.md), whatever the policy source, "none" included: housing, employment and
         * credit ads may not be aimed by age or gender. Segments (age, gender and postal-code nodes,
         * sensitive classes) are checked by policy_load against the built-in policy and the configured one.
         */
        static const char *const names[] = {"", "housing", "employment", "credit"};
        const char *key = c->t.has_age ? "targeting.age" : c->t.gender_mask ? "targeting.gender" : NULL;
        if (key) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "special_category %s campaigns may not target age, gender, postal code or sensitive "
                     "segments",
                     names[c->special]);
            return ccfg_err(cc, c->t.has_age ? cc->at_age : cc->at_gender, key, msg);
        }
        /* special ad categories get both attributes constrained by default */
        if (!c->fair.enabled) c->fair = config_fairness_defaults;
        if (!c->fair.attrs) c->fair.attrs = FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND;
    }
    if (c->fair.enabled && !c->fair.attrs)
        return ccfg_err(cc, cc->at_fairness, "fairness.attribute",
                        "is required (\"gender\" or \"age_band\")");
    /* Fairness balances wins, which fairbid learns only from win notices: its own (win_url) or the campaign's
     * nurl pointed at GET /win. Without either, delivery is balanced on bids only, and in a market where one
     * group's impressions cost more the wins stay as skewed as an unconstrained campaign's. That must be said
     * explicitly, never happen by omission. */
    if (c->fair.enabled && !c->fair_bids_only && !cc->win_path && c->nurl.n == 0) {
        bool implicit = !explicit_fair;
        return ccfg_err(
            cc, implicit ? cc->at_special : cc->at_fairness, implicit ? "special_category" : "fairness",
            implicit ? "special_category campaigns balance their wins across gender and age band, but "
                       "fairbid cannot learn this campaign's wins: set the config's win_url (or the "
                       "campaign's nurl to fairbid's GET /win), or add \"fairness\": {\"balance\": "
                       "\"bids\"} to balance bids only"
                     : "balances wins, but fairbid cannot learn this campaign's wins: set the config's "
                       "win_url (or the campaign's nurl to fairbid's GET /win), or say \"balance\": "
                       "\"bids\" to balance bids only");
    }
    return 0;
}

int config_read_campaigns(struct errctx *e, struct json *j, struct config *c, bool win_path)
{
    size_t at = cfg_off(j);
    if (json_peek(j) != JSON_ARRAY) return cfg_err(e, at, "key \"campaigns\": must be an array");
    struct arena_vec v = {.max = CAMPAIGN_MAX};
    struct cctx cc = {.e = e, .j = j, .a = &c->arena, .win_path = win_path, .line_no = 1};
    static _Thread_local uint32_t lines[CAMPAIGN_MAX]; /* of targeting.segments, for policy_load's messages */
    json_arr_begin(j);
    while (json_arr_next(j)) {
        struct campaign *cp = arena_vec_push(&c->arena, &v, sizeof *cp, _Alignof(struct campaign));
        if (!cp) {
            if (v.n >= v.max)
                return cfg_err(e, cfg_off(j), "key \"campaigns\": too many campaigns (limit %d)",
                               CAMPAIGN_MAX);
            return cfg_err(e, cfg_off(j), "key \"campaigns\": out of memory compiling campaigns");
        }
        if (rd_campaign(&cc, cp, v.n - 1)) return -1;
        lines[v.n - 1] = (uint32_t)ccfg_line(&cc, cc.at_segments);
        for (uint32_t i = 0; i + 1 < v.n; i++)
            if (sv_eq(((struct campaign *)v.items)[i].id, cp->id))
                return cfg_err(e, cfg_off(j), "campaign \"%s\": key \"id\": duplicate campaign id", cc.cid);
    }
    if (j->err) return cfg_json_err(e, j, "campaigns");
    uint32_t *sl = arena_alloc(&c->arena, (v.n ? v.n : 1) * sizeof *sl, _Alignof(uint32_t));
    if (!sl) return cfg_err(e, at, "key \"campaigns\": out of memory compiling campaigns");
    memcpy(sl, lines, v.n * sizeof *sl);
    c->campaigns.v = v.items;
    c->campaigns.n = v.n;
    c->segments_line = sl;
    return 0;
}
