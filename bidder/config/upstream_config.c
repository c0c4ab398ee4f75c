/* upstream_config: the reader of the config's "upstreams" array; see upstream_config.h. The settings table
 * (bidder/config/config_table.c, row "upstreams") hands it the array. */
#include "bidder/config/upstream_config.h"

#include <stdio.h>
#include <string.h>

#include "bidder/config/config_internal.h"
#include "bidder/obs/log.h"
#include "filters/json.h"

struct uctx {
    struct errctx *e;
    struct json *j;
    char uid[UPSTREAM_ID_MAX + 16]; /* for messages: the id, or "upstreams[3]" before it is known */
};

static int uerr(struct uctx *uc, size_t off, const char *key, const char *msg)
{
    return cfg_err(uc->e, off, "upstream \"%s\": key \"%s\": %s", uc->uid, key, msg);
}

static int rd_ustr(struct uctx *uc, char *out, size_t cap, const char *key, bool nonempty)
{
    size_t at = cfg_off(uc->j);
    struct sv v;
    if (json_peek(uc->j) != JSON_STRING) return uerr(uc, at, key, "must be a string");
    if (json_string(uc->j, &v)) return cfg_json_err(uc->e, uc->j, key);
    if (nonempty && v.n == 0) return uerr(uc, at, key, "must not be empty");
    if (v.n >= cap) {
        char msg[64];
        snprintf(msg, sizeof msg, "longer than %zu bytes", cap - 1);
        return uerr(uc, at, key, msg);
    }
    if (v.n) memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return 0;
}

static int rd_uint(struct uctx *uc, int32_t *out, const char *key, int64_t min, int64_t max)
{
    size_t at = cfg_off(uc->j);
    int64_t v;
    if (json_peek(uc->j) != JSON_NUMBER || json_int(uc->j, &v))
        return uerr(uc, at, key, "must be an integer");
    if (v < min || v > max) {
        char msg[80];
        snprintf(msg, sizeof msg, "must be between %lld and %lld (got %lld)", (long long)min, (long long)max,
                 (long long)v);
        return uerr(uc, at, key, msg);
    }
    *out = (int32_t)v;
    return 0;
}

static int rd_unum(struct uctx *uc, double *out, const char *key, double min, double max)
{
    size_t at = cfg_off(uc->j);
    double v;
    if (json_peek(uc->j) != JSON_NUMBER || json_double(uc->j, &v))
        return uerr(uc, at, key, "must be a number");
    if (v < min || v > max) {
        char msg[80];
        snprintf(msg, sizeof msg, "must be between %g and %g", min, max);
        return uerr(uc, at, key, msg);
    }
    *out = v;
    return 0;
}

/* The same bounds as a campaign's "fairness" (bidder/config/config_campaign.c, docs/fairness.md); the
 * defaults are config_fairness_defaults. */
static int rd_ufair(struct uctx *uc, struct campaign_fairness *f, const char *cls)
{
    size_t at = cfg_off(uc->j);
    char key[96];
    snprintf(key, sizeof key, "special_category.%s.fairness", cls);
    if (json_peek(uc->j) != JSON_OBJECT) return uerr(uc, at, key, "must be an object");
    json_obj_begin(uc->j);
    struct sv k;
    while (json_obj_next(uc->j, &k)) {
        size_t kat = cfg_off(uc->j);
        char sub[160];
        snprintf(sub, sizeof sub, "%s.%.*s", key, SV_FMT(k));
        int rc;
        if (sv_eq_cstr(k, "attribute")) {
            struct sv a = SV_NULL;
            if (json_peek(uc->j) != JSON_STRING || json_string(uc->j, &a))
                return uerr(uc, kat, sub, "must be \"gender\" or \"age_band\"");
            if (sv_eq_cstr(a, "gender"))
                f->attrs = FAIR_ATTR_GENDER;
            else if (sv_eq_cstr(a, "age_band"))
                f->attrs = FAIR_ATTR_AGE_BAND;
            else
                return uerr(uc, kat, sub, "must be \"gender\" or \"age_band\"");
            rc = 0;
        } else if (sv_eq_cstr(k, "min_impact_ratio"))
            rc = rd_unum(uc, &f->min_impact_ratio, sub, 0, 1);
        else if (sv_eq_cstr(k, "max_tvd"))
            rc = rd_unum(uc, &f->max_tvd, sub, 0, 1);
        else if (sv_eq_cstr(k, "max_boost"))
            rc = rd_unum(uc, &f->max_boost, sub, 1, 10);
        else if (sv_eq_cstr(k, "window_s"))
            rc = rd_uint(uc, &f->window_s, sub, 10, 30 * 86400);
        else if (sv_eq_cstr(k, "min_eligible"))
            rc = rd_uint(uc, &f->min_eligible, sub, 1, 100000000);
        else {
            log_warn("config: unknown key ignored", "file=%s line=%d upstream=%s key=%s", uc->e->file,
                     cfg_line_of(uc->e->text, kat), uc->uid, sub);
            rc = json_skip(uc->j) ? cfg_json_err(uc->e, uc->j, sub) : 0;
        }
        if (rc) return -1;
    }
    return uc->j->err ? cfg_json_err(uc->e, uc->j, key) : 0;
}

static int rd_special(struct uctx *uc, struct upstream *up)
{
    size_t at = cfg_off(uc->j);
    if (json_peek(uc->j) == JSON_NULL)
        return json_null(uc->j) ? cfg_json_err(uc->e, uc->j, "special_category") : 0;
    if (json_peek(uc->j) != JSON_OBJECT) return uerr(uc, at, "special_category", "must be an object");
    json_obj_begin(uc->j);
    struct sv k;
    while (json_obj_next(uc->j, &k)) {
        size_t kat = cfg_off(uc->j);
        int cls = sv_eq_cstr(k, "housing")      ? CAMPAIGN_SPECIAL_HOUSING
                  : sv_eq_cstr(k, "employment") ? CAMPAIGN_SPECIAL_EMPLOYMENT
                  : sv_eq_cstr(k, "credit")     ? CAMPAIGN_SPECIAL_CREDIT
                                                : 0;
        if (!cls)
            return uerr(uc, kat, "special_category",
                        "keys must be \"housing\", \"employment\" or \"credit\"");
        const char *name = cls == CAMPAIGN_SPECIAL_HOUSING      ? "housing"
                           : cls == CAMPAIGN_SPECIAL_EMPLOYMENT ? "employment"
                                                                : "credit";
        struct upstream_special *sp = &up->special[cls];
        char key[64];
        snprintf(key, sizeof key, "special_category.%s", name);
        if (sp->present) return uerr(uc, kat, key, "given twice");
        if (json_peek(uc->j) != JSON_OBJECT) return uerr(uc, kat, key, "must be an object");
        sp->present = true;
        /* special ad categories balance both attributes unless "fairness" names one (as campaigns do) */
        sp->fair = config_fairness_defaults;
        bool have_cats = false;
        json_obj_begin(uc->j);
        struct sv sk;
        while (json_obj_next(uc->j, &sk)) {
            size_t sat = cfg_off(uc->j);
            char sub[96];
            snprintf(sub, sizeof sub, "%s.%.*s", key, SV_FMT(sk));
            if (sv_eq_cstr(sk, "cats")) {
                have_cats = true;
                if (json_peek(uc->j) != JSON_ARRAY) return uerr(uc, sat, sub, "must be an array of strings");
                json_arr_begin(uc->j);
                while (json_arr_next(uc->j)) {
                    size_t eat = cfg_off(uc->j);
                    struct sv c;
                    if (json_peek(uc->j) != JSON_STRING || json_string(uc->j, &c) || c.n == 0)
                        return uerr(uc, eat, sub, "must be an array of non-empty strings");
                    if (c.n >= UPSTREAM_CAT_LEN)
                        return uerr(uc, eat, sub, "a category id is longer than 31 bytes");
                    if (sp->ncats == UPSTREAM_CATS_MAX) return uerr(uc, eat, sub, "more than 64 categories");
                    memcpy(sp->cats[sp->ncats], c.p, c.n);
                    sp->cats[sp->ncats++][c.n] = '\0';
                }
                if (uc->j->err) return cfg_json_err(uc->e, uc->j, sub);
            } else if (sv_eq_cstr(sk, "fairness")) {
                if (rd_ufair(uc, &sp->fair, name)) return -1;
            } else {
                log_warn("config: unknown key ignored", "file=%s line=%d upstream=%s key=%s", uc->e->file,
                         cfg_line_of(uc->e->text, sat), uc->uid, sub);
                if (json_skip(uc->j)) return cfg_json_err(uc->e, uc->j, sub);
            }
        }
        if (uc->j->err) return cfg_json_err(uc->e, uc->j, key);
        if (!have_cats || sp->ncats == 0)
            return uerr(uc, kat, key, "needs \"cats\": the ad categories it covers");
    }
    return uc->j->err ? cfg_json_err(uc->e, uc->j, "special_category") : 0;
}

static int rd_upstream(struct uctx *uc, struct upstream *up, uint32_t index)
{
    struct json *j = uc->j;
    size_t at = cfg_off(j);
    snprintf(uc->uid, sizeof uc->uid, "upstreams[%u]", index);
    if (json_peek(j) != JSON_OBJECT) return cfg_err(uc->e, at, "upstreams[%u]: must be an object", index);
    /* the id first, wherever it sits, so every message names the upstream */
    {
        struct json probe = *j;
        struct sv k, v;
        json_obj_begin(&probe);
        while (json_obj_next(&probe, &k)) {
            if (sv_eq_cstr(k, "id") && json_peek(&probe) == JSON_STRING && json_string(&probe, &v) == 0 &&
                v.n > 0 && v.n < UPSTREAM_ID_MAX) {
                snprintf(uc->uid, sizeof uc->uid, "%.*s", SV_FMT(v));
                break;
            }
            if (json_skip(&probe)) break;
        }
    }
    memset(up, 0, sizeof *up);
    up->line = cfg_line_of(uc->e->text, at);
    up->timeout_ms = 100;
    up->connections = 16;
    bool have_id = false, have_url = false;
    size_t url_at = at;
    json_obj_begin(j);
    struct sv k;
    uint32_t seen = 0; /* each key once: which copy an operator meant is not ours to guess */
    static const char *const names[] = {"id",          "url",  "tcf_vendor_id",    "timeout_ms",
                                        "connections", "seat", "special_category", "allow_remote"};
    while (json_obj_next(j, &k)) {
        size_t kat = cfg_off(j);
        for (uint32_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (sv_eq_cstr(k, names[i])) {
                if (seen & (1u << i)) return uerr(uc, kat, names[i], "given twice");
                seen |= 1u << i;
            }
        int rc;
        if (sv_eq_cstr(k, "id")) {
            rc = rd_ustr(uc, up->id, sizeof up->id, "id", true);
            for (const char *c = up->id; !rc && *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '-' || *c == '_' || *c == '.'))
                    return uerr(uc, kat, "id",
                                "may hold only letters, digits, '-', '_' and '.' (it is a URL "
                                "parameter and a metric label)");
            have_id = true;
        } else if (sv_eq_cstr(k, "url")) {
            url_at = kat;
            rc = rd_ustr(uc, up->url, sizeof up->url, "url", true);
            const char *why = NULL;
            if (!rc && url_parse(up->url, strlen(up->url), &up->u, &why)) return uerr(uc, kat, "url", why);
            have_url = true;
        } else if (sv_eq_cstr(k, "tcf_vendor_id"))
            rc = rd_uint(uc, &up->tcf_vendor_id, "tcf_vendor_id", 0, 65535);
        else if (sv_eq_cstr(k, "timeout_ms"))
            rc = rd_uint(uc, &up->timeout_ms, "timeout_ms", 1, 10000);
        else if (sv_eq_cstr(k, "connections"))
            rc = rd_uint(uc, &up->connections, "connections", 1, 1024);
        else if (sv_eq_cstr(k, "allow_remote")) {
            if (json_peek(j) != JSON_TRUE && json_peek(j) != JSON_FALSE)
                return uerr(uc, kat, "allow_remote", "must be true or false");
            rc = json_bool(j, &up->allow_remote) ? -1 : 0;
        } else if (sv_eq_cstr(k, "seat"))
            rc = rd_ustr(uc, up->seat, sizeof up->seat, "seat", false);
        else if (sv_eq_cstr(k, "special_category"))
            rc = rd_special(uc, up);
        else {
            log_warn("config: unknown key ignored", "file=%s line=%d upstream=%s key=%.*s", uc->e->file,
                     cfg_line_of(uc->e->text, kat), uc->uid, SV_FMT(k));
            rc = json_skip(j) ? cfg_json_err(uc->e, j, "upstreams") : 0;
        }
        if (rc) return -1;
    }
    if (j->err) return cfg_json_err(uc->e, j, "upstreams");
    if (!have_id) return cfg_err(uc->e, at, "upstream \"%s\": key \"id\": is required", uc->uid);
    if (!have_url) return uerr(uc, at, "url", "is required (http://host:port/path)");
    if (!up->u.loopback && !up->allow_remote)
        return uerr(uc, url_at, "url",
                    "is not a loopback address (127.0.0.0/8, ::1, localhost): people's data would leave this "
                    "machine; set \"allow_remote\": true if that is meant");
    if (!up->seat[0] && !(seen & (1u << 5))) memcpy(up->seat, up->id, sizeof up->seat);
    return 0;
}

int config_read_upstreams(struct errctx *e, struct json *j, struct upstream_set *out)
{
    size_t at = cfg_off(j);
    out->n = 0;
    if (json_peek(j) == JSON_NULL) return json_null(j) ? cfg_json_err(e, j, "upstreams") : 0;
    if (json_peek(j) != JSON_ARRAY) return cfg_err(e, at, "key \"upstreams\": must be an array");
    struct uctx uc = {.e = e, .j = j};
    json_arr_begin(j);
    while (json_arr_next(j)) {
        if (out->n == UPSTREAM_MAX)
            return cfg_err(e, cfg_off(j), "key \"upstreams\": too many upstreams (limit %d)", UPSTREAM_MAX);
        struct upstream *up = &out->v[out->n];
        if (rd_upstream(&uc, up, out->n)) return -1;
        for (uint32_t i = 0; i < out->n; i++)
            if (strcmp(out->v[i].id, up->id) == 0)
                return cfg_err(e, cfg_off(j), "upstream \"%s\": key \"id\": duplicate upstream id", up->id);
        out->n++;
    }
    if (j->err) return cfg_json_err(e, j, "upstreams");
    return 0;
}

const struct upstream *upstream_find(const struct upstream_set *s, const char *id, size_t idlen)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strlen(s->v[i].id) == idlen && memcmp(s->v[i].id, id, idlen) == 0) return &s->v[i];
    return NULL;
}

int32_t upstream_budget_ms(const struct upstream *u, int32_t tmax, int32_t margin_ms)
{
    int32_t b = u->timeout_ms;
    if (tmax > 0 && tmax != INT32_MIN) {
        int64_t left = (int64_t)tmax - margin_ms;
        if (left < b) b = (int32_t)(left > 0 ? left : 0);
    }
    return b < 1 ? 1 : b;
}

static const struct upstream_key_doc keys[] = {
    {"id", "string", "(required)",
     "the upstream's name: `?upstream=` of `/openrtb2/filter`, the metric label; letters, digits, `-_.`"},
    {"url", "string", "(required)",
     "`http://host[:port][/path]` its bid requests are POSTed to (no https: put TLS in a local proxy). A "
     "loopback address (127.0.0.0/8, ::1, `localhost`) unless `allow_remote`"},
    {"tcf_vendor_id", "int 0..65535", "`0`",
     "its IAB TCF vendor id: consent is per vendor. 0 = none: nothing is forwarded where GDPR applies"},
    {"timeout_ms", "int 1..10000", "`100`",
     "the most it is given per request; it gets min(`timeout_ms`, `tmax` - `tmax_margin_ms`)"},
    {"connections", "int 1..1024", "`16`", "keep-alive connections to it per worker"},
    {"allow_remote", "bool", "`false`",
     "allow a non-loopback address (a host name other than `localhost` counts as remote)"},
    {"seat", "string", "the id", "`seatbid.seat` of its bids in fairbid's answer"},
    {"special_category", "object", "none",
     "`{\"housing\" / \"employment\" / \"credit\": {\"cats\": [ad category ids], \"fairness\": {...}}}`: its "
     "bids "
     "in those categories are balanced like special-category campaigns (docs/fairness.md)"},
};

const struct upstream_key_doc *upstream_config_keys(size_t *n)
{
    *n = sizeof keys / sizeof keys[0];
    return keys;
}
