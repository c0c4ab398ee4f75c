/* config: table-driven JSON config. See config.h.
 * Errors name the file, the line, the campaign and the key, because the person reading them is an operator
 * with the file open in an editor. Unknown keys are logged and ignored (later versions add keys). */
#include "bidder/config.h"
#include "bidder/creative_load.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidder/log.h"
#include "bidder/policy_load.h"
#include "filters/json.h"
#include "filters/jurisdiction.h"
#include "filters/response.h"

enum ctype { T_STR, T_INT, T_BOOL, T_DOUBLE };

struct setting {
    const char *name;
    enum ctype type;
    size_t off, size;
    const char *def;
    long min, max;
    bool reloadable;
    const char *help;
};

#define S(name, type, field, def, min, max, rel, help)                                                       \
    {                                                                                                        \
        name, type, offsetof(struct config, field), sizeof(((struct config *)0)->field), def, min, max, rel, \
            help                                                                                             \
    }

static const struct setting settings[] = {
    S("listen", T_STR, listen, "127.0.0.1:8080", 0, 0, false, "address:port to serve HTTP on"),
    S("threads", T_INT, threads, "0", 0, 256, false, "worker threads; 0 = number of cores"),
    S("redis", T_STR, redis, "", 0, 0, false, "redis://host:port/db URL; empty = no Redis"),
    S("currency", T_STR, currency, "USD", 0, 0, true, "ISO-4217 currency fairbid bids in"),
    S("tcf_vendor_id", T_INT, tcf_vendor_id, "0", 0, 65535, true, "fairbid's IAB TCF vendor id"),
    S("policy", T_STR, policy, "builtin", 0, 0, true,
      "sensitive-category policy: builtin (deploy/policy.json, compiled in), a file relative to this file, "
      "or none (no sensitive-category rules: warned, shown in /readyz)"),
    S("max_body", T_INT, max_body, "65536", 512, 16777216, false,
      "largest request body in bytes (413 above)"),
    S("read_timeout_ms", T_INT, read_timeout_ms, "5000", 10, 600000, false,
      "a request begun must arrive whole within this (408 above)"),
    S("idle_timeout_ms", T_INT, idle_timeout_ms, "60000", 10, 3600000, false,
      "close keep-alive connections idle this long (native http_server)"),
    S("write_timeout_ms", T_INT, write_timeout_ms, "5000", 10, 600000, false, "cut clients that do not read"),
    S("max_connections", T_INT, max_connections, "10000", 1, 1000000, false,
      "open client connections, all workers"),
    S("admin_listen", T_STR, admin_listen, "", 0, 0, false,
      "address:port serving /metrics, /readyz, /healthz; when set the public listener answers 404 for them"),
    S("max_buffered_bytes", T_INT, max_buffered_bytes, "134217728", 1048576, 2147483647, false,
      "request input buffered beyond each connection's first 16 KiB, all connections (503 for new bodies "
      "above)"),
    S("max_output_bytes", T_INT, max_output_bytes, "33554432", 65536, 2147483647, false,
      "replies held for slow readers across all connections (pipelined requests wait above)"),
    S("max_conn_output_bytes", T_INT, max_conn_output_bytes, "262144", 4096, 16777216, false,
      "replies held for one connection (its pipelined requests wait above)"),
    S("seat", T_STR, seat, "fairbid", 0, 0, true, "seatbid.seat in responses; empty = omitted"),
    S("win_url", T_STR, win_url, "", 0, 0, true, "base URL of GET /win for nurl win notices; empty = none"),
    S("consent_stale_ms", T_INT, consent_stale_ms, "500", 10, 600000, true, "consent mirror trust bound"),
    S("consent_mirror_max_records", T_INT, consent_mirror_max_records, "20000000", 1000, 1000000000, true,
      "most consent-store records the mirror holds; a store with more is never trusted"),
    S("tcf_strict", T_BOOL, tcf_strict, "true", 0, 0, true, "TCF 2.2+ rules (strict) or legacy (lenient)"),
    S("arena_bytes", T_INT, arena_bytes, "1048576", 65536, 268435456, false, "per-worker request memory"),
    S("http_server", T_STR, http_server, "native", 0, 0, false,
      "native (one read and one write per request) or evhttp (libevent's HTTP server, the reference)"),
    S("log_level", T_STR, log_level, "info", 0, 0, true, "debug, info, warn or error"),
    S("instance_id", T_STR, instance_id, "", 0, 0, false, "this instance's name in Redis; empty = host-pid"),
    S("audit_sample_rate", T_DOUBLE, audit_sample_rate, "1.0", 0, 1, true,
      "share of drops written to the audit"),
    S("audit_maxlen", T_INT, audit_maxlen, "1000000", 1000, 1000000000, true,
      "XADD MAXLEN ~ of fairbid:audit"),
    S("audit_queue", T_INT, audit_queue, "65536", 64, 16777216, false,
      "per-worker audit queue (drops above)"),
    S("fairness_sync_ms", T_INT, fairness_sync_ms, "100", 10, 1000, true,
      "fairness/cap sync period with Redis"),
    S("lease_min_replicas", T_INT, lease_min_replicas, "0", 0, 16, true,
      "replicas that must confirm a cap lease (WAIT) before its tokens are spent; 0 = do not wait"),
    S("unknown_region", T_STR, unknown_region, "strictest", 0, 0, true,
      "a US request without a state: \"strictest\" (every state's rules in force) or \"none\""),
    S("political_consent_custom_purpose", T_INT, political_consent_custom_purpose, "0", 0, 64, true,
      "TCF publisher custom purpose id that carries consent to political ads; 0 = none"),
};

struct errctx {
    const char *file;
    const char *text;
    char *err;
    size_t errlen;
    bool failed;
};

static int line_of(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') line++;
    return line;
}

static int cfg_err(struct errctx *e, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int cfg_err(struct errctx *e, size_t off, const char *fmt, ...)
{
    if (e->failed) return -1;
    e->failed = true;
    int n = snprintf(e->err, e->errlen, "%s:%d: ", e->file, line_of(e->text, off));
    if (n < 0 || (size_t)n >= e->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t off_of(const struct json *j)
{
    return (size_t)(j->p - j->start);
}

/* JSON syntax errors carry their own offset. */
static int json_err(struct errctx *e, struct json *j, const char *what)
{
    if (e->failed) return -1;
    return cfg_err(e, j->err_off, "%s: %s", what, j->err_msg ? j->err_msg : "malformed JSON");
}

static void set_default(struct config *c, const struct setting *s)
{
    char *field = (char *)c + s->off;
    switch (s->type) {
    case T_STR:
        snprintf(field, s->size, "%s", s->def);
        break;
    case T_INT:
        *(int *)field = atoi(s->def);
        break;
    case T_BOOL:
        *(bool *)field = strcmp(s->def, "true") == 0;
        break;
    case T_DOUBLE:
        *(double *)field = strtod(s->def, NULL);
        break;
    }
}

static int read_setting(struct errctx *e, struct json *j, struct config *c, const struct setting *s)
{
    char *field = (char *)c + s->off;
    size_t at = off_of(j);
    switch (s->type) {
    case T_STR: {
        struct sv v;
        if (json_peek(j) == JSON_NULL) return json_null(j) ? json_err(e, j, s->name) : 0;
        if (json_peek(j) != JSON_STRING) return cfg_err(e, at, "key \"%s\": must be a string", s->name);
        if (json_string(j, &v)) return json_err(e, j, s->name);
        if (v.n >= s->size)
            return cfg_err(e, at, "key \"%s\": longer than %zu characters", s->name, s->size - 1);
        memcpy(field, v.p, v.n);
        field[v.n] = '\0';
        return 0;
    }
    case T_INT: {
        int64_t v;
        if (json_peek(j) != JSON_NUMBER) return cfg_err(e, at, "key \"%s\": must be an integer", s->name);
        if (json_int(j, &v)) return cfg_err(e, at, "key \"%s\": must be an integer", s->name);
        if (v < s->min || v > s->max)
            return cfg_err(e, at, "key \"%s\": must be between %ld and %ld (got %lld)", s->name, s->min,
                           s->max, (long long)v);
        *(int *)field = (int)v;
        return 0;
    }
    case T_DOUBLE: {
        double v;
        if (json_peek(j) != JSON_NUMBER || json_double(j, &v))
            return cfg_err(e, at, "key \"%s\": must be a number", s->name);
        if (v < (double)s->min || v > (double)s->max)
            return cfg_err(e, at, "key \"%s\": must be between %ld and %ld (got %g)", s->name, s->min, s->max,
                           v);
        *(double *)field = v;
        return 0;
    }
    case T_BOOL: {
        bool v;
        if (json_peek(j) != JSON_TRUE && json_peek(j) != JSON_FALSE)
            return cfg_err(e, at, "key \"%s\": must be true or false", s->name);
        json_bool(j, &v);
        *(bool *)field = v;
        return 0;
    }
    }
    return 0;
}

/* ---- campaigns ---- */

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

/* The line of off >= the previous call's, in time proportional to the distance (line_of is O(off)). */
static int cc_line(struct cctx *cc, size_t off)
{
    if (off < cc->line_off) {
        cc->line_off = 0;
        cc->line_no = 1;
    }
    for (; cc->line_off < off; cc->line_off++)
        if (cc->e->text[cc->line_off] == '\n') cc->line_no++;
    return cc->line_no;
}

static int cerr(struct cctx *cc, size_t off, const char *key, const char *msg)
{
    return cfg_err(cc->e, off, "campaign \"%s\": key \"%s\": %s", cc->cid, key, msg);
}

static int rd_strlist(struct cctx *cc, struct ortb_list *out, const char *key)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, key) : 0;
    if (json_peek(cc->j) != JSON_ARRAY) return cerr(cc, at, key, "must be an array of strings");
    struct arena_vec v = {.max = 100000};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        struct sv *s = arena_vec_push(cc->a, &v, sizeof *s, _Alignof(struct sv));
        if (!s) return cerr(cc, at, key, "out of memory");
        size_t eat = off_of(cc->j);
        if (json_peek(cc->j) != JSON_STRING) return cerr(cc, eat, key, "must be an array of strings");
        if (json_string(cc->j, s)) return json_err(cc->e, cc->j, key);
        if (s->n == 0) return cerr(cc, eat, key, "entries must not be empty");
    }
    if (cc->j->err) return json_err(cc->e, cc->j, key);
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int rd_cstr(struct cctx *cc, struct sv *out, const char *key)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, key) : 0;
    if (json_peek(cc->j) != JSON_STRING) return cerr(cc, at, key, "must be a string");
    if (json_string(cc->j, out)) return json_err(cc->e, cc->j, key);
    if (!out->p) out->p = "";
    return 0;
}

static int rd_cint(struct cctx *cc, int32_t *out, const char *key, int64_t min, int64_t max)
{
    size_t at = off_of(cc->j);
    int64_t v;
    if (json_peek(cc->j) != JSON_NUMBER || json_int(cc->j, &v))
        return cerr(cc, at, key, "must be an integer");
    if (v < min || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %lld and %lld", (long long)min, (long long)max);
        return cerr(cc, at, key, msg);
    }
    *out = (int32_t)v;
    return 0;
}

static int rd_formats(struct cctx *cc, struct campaign *c)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) != JSON_ARRAY) return cerr(cc, at, "formats", "must be an array of {\"w\", \"h\"}");
    struct arena_vec v = {.max = 256};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        size_t fat = off_of(cc->j);
        if (json_peek(cc->j) != JSON_OBJECT)
            return cerr(cc, fat, "formats", "entries must be {\"w\", \"h\"}");
        struct ortb_format *f = arena_vec_push(cc->a, &v, sizeof *f, _Alignof(struct ortb_format));
        if (!f) return cerr(cc, fat, "formats", "too many formats (limit 256)");
        f->w = f->h = -1;
        json_obj_begin(cc->j);
        struct sv k;
        while (json_obj_next(cc->j, &k)) {
            if (sv_eq_cstr(k, "w")) {
                if (rd_cint(cc, &f->w, "formats.w", 1, 100000)) return -1;
            } else if (sv_eq_cstr(k, "h")) {
                if (rd_cint(cc, &f->h, "formats.h", 1, 100000)) return -1;
            } else if (json_skip(cc->j)) {
                return json_err(cc->e, cc->j, "formats");
            }
        }
        if (cc->j->err) return json_err(cc->e, cc->j, "formats");
        if (f->w < 0 || f->h < 0) return cerr(cc, fat, "formats", "each format needs both w and h");
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "formats");
    if (v.n == 0) return cerr(cc, at, "formats", "must list at least one size");
    c->formats = v.items;
    c->nformats = v.n;
    return 0;
}

static int rd_segments(struct cctx *cc, struct campaign_targeting *t)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) != JSON_ARRAY)
        return cerr(cc, at, "targeting.segments", "must be an array of {\"segtax\", \"ids\"}");
    struct arena_vec v = {.max = 256};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        size_t sat = off_of(cc->j);
        if (json_peek(cc->j) != JSON_OBJECT)
            return cerr(cc, sat, "targeting.segments", "entries must be {\"segtax\", \"ids\"}");
        struct campaign_segment_rule *r =
            arena_vec_push(cc->a, &v, sizeof *r, _Alignof(struct campaign_segment_rule));
        if (!r) return cerr(cc, sat, "targeting.segments", "too many segment rules (limit 256)");
        r->segtax = -1;
        json_obj_begin(cc->j);
        struct sv k;
        while (json_obj_next(cc->j, &k)) {
            if (sv_eq_cstr(k, "segtax")) {
                if (rd_cint(cc, &r->segtax, "targeting.segments.segtax", 1, 1000)) return -1;
            } else if (sv_eq_cstr(k, "ids")) {
                if (rd_strlist(cc, &r->ids, "targeting.segments.ids")) return -1;
            } else if (json_skip(cc->j)) {
                return json_err(cc->e, cc->j, "targeting.segments");
            }
        }
        if (cc->j->err) return json_err(cc->e, cc->j, "targeting.segments");
        if (r->segtax < 0) return cerr(cc, sat, "targeting.segments.segtax", "is required");
        if (r->ids.n == 0) return cerr(cc, sat, "targeting.segments.ids", "must list at least one id");
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "targeting.segments");
    t->segments = v.items;
    t->nsegments = v.n;
    return 0;
}

static int rd_num(struct cctx *cc, double *out, const char *key, double min, double max);

static int rd_targeting(struct cctx *cc, struct campaign *c)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, "targeting") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return cerr(cc, at, "targeting", "must be an object");
    struct campaign_targeting *t = &c->t;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        size_t kat = off_of(cc->j);
        if (sv_eq_cstr(k, "site_cat")) {
            if (rd_strlist(cc, &t->site_cat, "targeting.site_cat")) return -1;
        } else if (sv_eq_cstr(k, "segments")) {
            cc->at_segments = kat;
            if (rd_segments(cc, t)) return -1;
        } else if (sv_eq_cstr(k, "countries")) {
            if (rd_strlist(cc, &t->countries, "targeting.countries")) return -1;
            for (uint32_t i = 0; i < t->countries.n; i++)
                if (t->countries.v[i].n != 3)
                    return cerr(cc, kat, "targeting.countries",
                                "entries must be ISO-3166-1 alpha-3 codes (\"USA\")");
        } else if (sv_eq_cstr(k, "age")) {
            cc->at_age = kat;
            if (json_peek(cc->j) != JSON_OBJECT)
                return cerr(cc, kat, "targeting.age", "must be {\"min\", \"max\"}");
            t->has_age = true;
            t->age_min = 0;
            t->age_max = 150;
            json_obj_begin(cc->j);
            struct sv ak;
            while (json_obj_next(cc->j, &ak)) {
                if (sv_eq_cstr(ak, "min")) {
                    if (rd_cint(cc, &t->age_min, "targeting.age.min", 0, 150)) return -1;
                } else if (sv_eq_cstr(ak, "max")) {
                    if (rd_cint(cc, &t->age_max, "targeting.age.max", 0, 150)) return -1;
                } else if (json_skip(cc->j)) {
                    return json_err(cc->e, cc->j, "targeting.age");
                }
            }
            if (cc->j->err) return json_err(cc->e, cc->j, "targeting.age");
            if (t->age_min > t->age_max) return cerr(cc, kat, "targeting.age", "min is greater than max");
        } else if (sv_eq_cstr(k, "near")) {
            if (json_peek(cc->j) != JSON_OBJECT)
                return cerr(cc, kat, "targeting.near", "must be {\"lat\", \"lon\", \"radius_km\"}");
            t->has_near = true;
            t->near_lat = t->near_lon = t->near_radius_km = NAN;
            json_obj_begin(cc->j);
            struct sv nk;
            while (json_obj_next(cc->j, &nk)) {
                int rc = 0;
                if (sv_eq_cstr(nk, "lat"))
                    rc = rd_num(cc, &t->near_lat, "targeting.near.lat", -90, 90);
                else if (sv_eq_cstr(nk, "lon"))
                    rc = rd_num(cc, &t->near_lon, "targeting.near.lon", -180, 180);
                else if (sv_eq_cstr(nk, "radius_km"))
                    rc = rd_num(cc, &t->near_radius_km, "targeting.near.radius_km", 0.001, 20000);
                else
                    rc = json_skip(cc->j) ? json_err(cc->e, cc->j, "targeting.near") : 0;
                if (rc) return -1;
            }
            if (cc->j->err) return json_err(cc->e, cc->j, "targeting.near");
            if (isnan(t->near_lat) || isnan(t->near_lon) || isnan(t->near_radius_km))
                return cerr(cc, kat, "targeting.near", "needs lat, lon and radius_km");
        } else if (sv_eq_cstr(k, "gender")) {
            cc->at_gender = kat;
            struct ortb_list g = {0};
            if (rd_strlist(cc, &g, "targeting.gender")) return -1;
            for (uint32_t i = 0; i < g.n; i++) {
                if (sv_eq_cstr(g.v[i], "M"))
                    t->gender_mask |= CAMPAIGN_GENDER_M;
                else if (sv_eq_cstr(g.v[i], "F"))
                    t->gender_mask |= CAMPAIGN_GENDER_F;
                else if (sv_eq_cstr(g.v[i], "O"))
                    t->gender_mask |= CAMPAIGN_GENDER_O;
                else
                    return cerr(cc, kat, "targeting.gender", "entries must be \"M\", \"F\" or \"O\"");
            }
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=targeting.%.*s",
                     cc->e->file, line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            if (json_skip(cc->j)) return json_err(cc->e, cc->j, "targeting");
        }
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "targeting");
    return 0;
}

static void fairness_defaults(struct campaign_fairness *f)
{
    f->min_impact_ratio = 0.8;
    f->max_tvd = 0.05;
    f->window_s = 3600;
    f->max_boost = 1.5;
    f->min_eligible = 200;
}

static int rd_num(struct cctx *cc, double *out, const char *key, double min, double max)
{
    size_t at = off_of(cc->j);
    double v;
    if (json_peek(cc->j) != JSON_NUMBER || json_double(cc->j, &v))
        return cerr(cc, at, key, "must be a number");
    if (v < min || v > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %g and %g", min, max);
        return cerr(cc, at, key, msg);
    }
    *out = v;
    return 0;
}

static int rd_fairness(struct cctx *cc, struct campaign *c)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, "fairness") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return cerr(cc, at, "fairness", "must be null or an object");
    struct campaign_fairness *f = &c->fair;
    fairness_defaults(f);
    f->enabled = true;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        size_t kat = off_of(cc->j);
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
                    return cerr(cc, kat, "fairness.attribute", "must be \"gender\" or \"age_band\"");
            }
        } else if (sv_eq_cstr(k, "min_impact_ratio")) {
            rc = rd_num(cc, &f->min_impact_ratio, "fairness.min_impact_ratio", 0, 1);
        } else if (sv_eq_cstr(k, "max_tvd")) {
            rc = rd_num(cc, &f->max_tvd, "fairness.max_tvd", 0, 1);
        } else if (sv_eq_cstr(k, "max_boost")) {
            rc = rd_num(cc, &f->max_boost, "fairness.max_boost", 1, 10);
        } else if (sv_eq_cstr(k, "window_s")) {
            rc = rd_cint(cc, &f->window_s, "fairness.window_s", 10, 30 * 86400);
        } else if (sv_eq_cstr(k, "min_eligible")) {
            rc = rd_cint(cc, &f->min_eligible, "fairness.min_eligible", 1, 100000000);
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
                    return cerr(cc, kat, "fairness.balance",
                                "must be \"wins\" (the default: needs win notices) or \"bids\"");
            }
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=fairness.%.*s",
                     cc->e->file, line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            rc = json_skip(cc->j) ? json_err(cc->e, cc->j, "fairness") : 0;
        }
        if (rc) return -1;
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "fairness");
    /* a missing attribute is an error unless the campaign is special_category (both, by default): rd_campaign
     * decides once every key is read */
    return 0;
}

static int rd_cap(struct cctx *cc, struct campaign *c)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, "cap") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return cerr(cc, at, "cap", "must be null or an object");
    c->cap.enabled = true;
    c->cap.period_s = 86400;
    c->cap.bids = -1;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        int rc = 0;
        if (sv_eq_cstr(k, "bids")) {
            size_t kat = off_of(cc->j);
            int64_t v;
            if (json_peek(cc->j) != JSON_NUMBER || json_int(cc->j, &v) || v < 0 || v > (int64_t)1e15)
                return cerr(cc, kat, "cap.bids", "must be an integer between 0 and 1e15");
            c->cap.bids = v;
        } else if (sv_eq_cstr(k, "period_s")) {
            rc = rd_cint(cc, &c->cap.period_s, "cap.period_s", 1, 366 * 86400);
        } else {
            rc = json_skip(cc->j) ? json_err(cc->e, cc->j, "cap") : 0;
        }
        if (rc) return -1;
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "cap");
    if (c->cap.bids < 0) return cerr(cc, at, "cap.bids", "is required");
    return 0;
}

/* "political": {"sponsor": "...", "notice_url": "https://..."}: Regulation (EU) 2024/900's transparency
 * notice, carried in every bid as bid.ext.political (docs/jurisdictions.md). */
static int rd_political(struct cctx *cc, struct campaign *c)
{
    size_t at = off_of(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? json_err(cc->e, cc->j, "political") : 0;
    if (json_peek(cc->j) != JSON_OBJECT)
        return cerr(cc, at, "political", "must be {\"sponsor\", \"notice_url\"}");
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
            rc = json_skip(cc->j) ? json_err(cc->e, cc->j, "political") : 0;
        if (rc) return -1;
    }
    if (cc->j->err) return json_err(cc->e, cc->j, "political");
    if (c->pol_sponsor.n == 0)
        return cerr(cc, at, "political.sponsor", "is required: who pays for the political ad");
    struct sv u = c->pol_notice_url;
    if (u.n < 9 || memcmp(u.p, "https://", 8) != 0)
        return cerr(cc, at, "political.notice_url",
                    "is required: an https:// URL of the transparency notice");
    return 0;
}

/* "creatives", "deals", "deal_only" (issue 19): parsed by bidder/creative_load.c, wrapped here with the file,
 * line and campaign. */
static int rd_campaign_formats(struct cctx *cc, struct campaign *c, struct sv k)
{
    size_t at = off_of(cc->j);
    if (sv_eq_cstr(k, "deals")) {
        if (rd_strlist(cc, &c->deals, "deals")) return -1;
        if (c->deals.n == 0) return cerr(cc, at, "deals", "must list at least one deal id");
        return 0;
    }
    if (sv_eq_cstr(k, "deal_only")) {
        if (json_bool(cc->j, &c->deal_only)) return cerr(cc, at, "deal_only", "must be true or false");
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
    size_t at = off_of(j);
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
        size_t kat = off_of(j);
        int rc = 0;
        if (sv_eq_cstr(k, "id"))
            rc = rd_cstr(cc, &c->id, "id");
        else if (sv_eq_cstr(k, "advertiser"))
            rc = rd_cstr(cc, &c->advertiser, "advertiser");
        else if (sv_eq_cstr(k, "adomain"))
            rc = rd_strlist(cc, &c->adomain, "adomain");
        else if (sv_eq_cstr(k, "crid"))
            rc = rd_cstr(cc, &c->crid, "crid");
        else if (sv_eq_cstr(k, "cat"))
            rc = rd_strlist(cc, &c->cat, "cat");
        else if (sv_eq_cstr(k, "cattax"))
            rc = rd_cint(cc, &c->cattax, "cattax", 1, 1000);
        else if (sv_eq_cstr(k, "adm"))
            rc = rd_cstr(cc, &c->adm, "adm");
        else if (sv_eq_cstr(k, "nurl"))
            rc = rd_cstr(cc, &c->nurl, "nurl");
        else if (sv_eq_cstr(k, "formats"))
            rc = rd_formats(cc, c);
        else if (sv_eq_cstr(k, "creatives") || sv_eq_cstr(k, "deals") || sv_eq_cstr(k, "deal_only"))
            rc = rd_campaign_formats(cc, c, k); /* bidder/creative_load.c: docs/formats.md */
        else if (sv_eq_cstr(k, "targeting"))
            rc = rd_targeting(cc, c);
        else if (sv_eq_cstr(k, "bid_cpm")) {
            double v;
            if (json_peek(j) != JSON_NUMBER || json_double(j, &v))
                return cerr(cc, kat, "bid_cpm", "must be a number");
            if (!(v > 0) || v > 1e6)
                return cerr(cc, kat, "bid_cpm", "must be a price above 0 and at most 1000000");
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
                    return cerr(cc, kat, "special_category",
                                "must be null, \"housing\", \"employment\" or \"credit\"");
            }
        } else if (sv_eq_cstr(k, "political")) {
            rc = rd_political(cc, c);
        } else if (sv_eq_cstr(k, "fairness")) {
            cc->at_fairness = kat;
            rc = rd_fairness(cc, c);
        } else if (sv_eq_cstr(k, "cap")) {
            rc = rd_cap(cc, c);
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=%.*s", cc->e->file,
                     line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            rc = json_skip(j) ? json_err(cc->e, j, "campaign") : 0;
        }
        if (rc) return -1;
    }
    if (j->err) return json_err(cc->e, j, "campaign");
    if (c->id.n == 0) return cerr(cc, at, "id", "is required and must not be empty");
    if (c->crid.n == 0) return cerr(cc, at, "crid", "is required and must not be empty");
    if (!has_bid) return cerr(cc, at, "bid_cpm", "is required");
    if (c->nformats == 0 && c->ncreatives == 0)
        return cerr(cc, at, "formats", "is required (or \"creatives\", docs/formats.md)");
    if (c->nformats && c->adm.n == 0 && c->nurl.n == 0)
        return cerr(cc, at, "adm", "a campaign needs adm or nurl");
    {
        struct cl_err ce = {.off = at};
        if (creative_check_campaign(c, &ce))
            return cfg_err(cc->e, at, "campaign \"%s\": %s", cc->cid, ce.msg);
    }
    c->personal = c->t.nsegments > 0 || c->t.has_age || c->t.gender_mask != 0 || c->t.has_near;
    for (uint32_t i = 0; i < c->cat.n; i++)
        if (juris_is_politics_cat(c->cattax, c->cat.v[i])) c->politics_cat = true;
    if (c->politics_cat && !c->political)
        return cerr(cc, at, "political",
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
            return cerr(cc, c->t.has_age ? cc->at_age : cc->at_gender, key, msg);
        }
        /* special ad categories get both attributes constrained by default */
        if (!c->fair.enabled) {
            fairness_defaults(&c->fair);
            c->fair.enabled = true;
        }
        if (!c->fair.attrs) c->fair.attrs = FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND;
    }
    if (c->fair.enabled && !c->fair.attrs)
        return cerr(cc, cc->at_fairness, "fairness.attribute", "is required (\"gender\" or \"age_band\")");
    /* Fairness balances wins, which fairbid learns only from win notices: its own (win_url) or the campaign's
     * nurl pointed at GET /win. Without either, delivery is balanced on bids only, and in a market where one
     * group's impressions cost more the wins stay as skewed as an unconstrained campaign's. That must be said
     * explicitly, never happen by omission. */
    if (c->fair.enabled && !c->fair_bids_only && !cc->win_path && c->nurl.n == 0) {
        bool implicit = !explicit_fair;
        return cerr(
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

static int rd_campaigns(struct errctx *e, struct json *j, struct config *c, bool win_path)
{
    size_t at = off_of(j);
    if (json_peek(j) != JSON_ARRAY) return cfg_err(e, at, "key \"campaigns\": must be an array");
    struct arena_vec v = {.max = CAMPAIGN_MAX};
    struct cctx cc = {.e = e, .j = j, .a = &c->arena, .win_path = win_path, .line_no = 1};
    static _Thread_local uint32_t lines[CAMPAIGN_MAX]; /* of targeting.segments, for policy_load's messages */
    json_arr_begin(j);
    while (json_arr_next(j)) {
        struct campaign *cp = arena_vec_push(&c->arena, &v, sizeof *cp, _Alignof(struct campaign));
        if (!cp) {
            if (v.n >= v.max)
                return cfg_err(e, off_of(j), "key \"campaigns\": too many campaigns (limit %d)",
                               CAMPAIGN_MAX);
            return cfg_err(e, off_of(j), "key \"campaigns\": out of memory compiling campaigns");
        }
        if (rd_campaign(&cc, cp, v.n - 1)) return -1;
        lines[v.n - 1] = (uint32_t)cc_line(&cc, cc.at_segments);
        for (uint32_t i = 0; i + 1 < v.n; i++)
            if (sv_eq(((struct campaign *)v.items)[i].id, cp->id))
                return cfg_err(e, off_of(j), "campaign \"%s\": key \"id\": duplicate campaign id", cc.cid);
    }
    if (j->err) return json_err(e, j, "campaigns");
    uint32_t *sl = arena_alloc(&c->arena, (v.n ? v.n : 1) * sizeof *sl, _Alignof(uint32_t));
    if (!sl) return cfg_err(e, at, "key \"campaigns\": out of memory compiling campaigns");
    memcpy(sl, lines, v.n * sizeof *sl);
    c->campaigns.v = v.items;
    c->campaigns.n = v.n;
    c->segments_line = sl;
    return 0;
}

static void apply_overrides(struct config *c, const struct config_overrides *ov)
{
    if (!ov) return;
    if (ov->listen) snprintf(c->listen, sizeof c->listen, "%s", ov->listen);
    if (ov->threads > 0) c->threads = ov->threads;
    if (ov->redis) snprintf(c->redis, sizeof c->redis, "%s", ov->redis);
    if (ov->http_server) snprintf(c->http_server, sizeof c->http_server, "%s", ov->http_server);
}

struct config *config_parse(const char *name, const char *text, size_t len, const struct config_overrides *ov,
                            char *err, size_t errlen)
{
    struct config *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    snprintf(c->path, sizeof c->path, "%s", name);
    c->text = malloc(len + 1);
    /* compiled campaigns cost more than their text (216-byte structs, vectors that double): be generous */
    size_t memcap = len * 16 + 65536;
    c->mem = malloc(memcap);
    if (!c->text || !c->mem) {
        snprintf(err, errlen, "%s: out of memory", name);
        config_free(c);
        return NULL;
    }
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    c->text_len = len;
    arena_init(&c->arena, c->mem, memcap);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) set_default(c, &settings[i]);

    struct errctx e = {.file = name, .text = c->text, .err = err, .errlen = errlen};
    struct json j;
    json_init(&j, c->text, len, &c->arena);
    if (json_peek(&j) != JSON_OBJECT) {
        if (j.err)
            json_err(&e, &j, "config");
        else
            cfg_err(&e, off_of(&j), "the config must be a JSON object");
        config_free(c);
        return NULL;
    }
    /* whether bids carry fairbid's win notice (win_url, wherever it sits; the last one counts, as below), for
     * the campaigns' fairness check */
    bool win_path = false;
    {
        struct json probe = j;
        struct sv pk, pv;
        json_obj_begin(&probe);
        while (json_obj_next(&probe, &pk)) {
            /* a string sets it, null keeps it (as read_setting does); anything else fails below */
            if (sv_eq_cstr(pk, "win_url") && json_peek(&probe) == JSON_STRING &&
                json_string(&probe, &pv) == 0)
                win_path = pv.n > 0;
            else if (json_skip(&probe))
                break;
        }
    }
    json_obj_begin(&j);
    struct sv k;
    bool have_campaigns = false;
    while (!e.failed && json_obj_next(&j, &k)) {
        size_t kat = off_of(&j);
        const struct setting *s = NULL;
        for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
            if (sv_eq_cstr(k, settings[i].name)) s = &settings[i];
        if (s) {
            read_setting(&e, &j, c, s);
        } else if (sv_eq_cstr(k, "campaigns")) {
            have_campaigns = true;
            rd_campaigns(&e, &j, c, win_path);
        } else if (sv_eq_cstr(k, "no_bid")) {
            struct sv v = SV_NULL;
            int64_t iv = 0;
            if (json_peek(&j) == JSON_STRING)
                json_string(&j, &v);
            else if (json_peek(&j) == JSON_NUMBER && json_int(&j, &iv) == 0)
                v = iv == 204 ? SV_LIT("204") : iv == 200 ? SV_LIT("200") : SV_LIT("?");
            else
                json_skip(&j);
            if (sv_eq_cstr(v, "204"))
                c->no_bid_status = 204;
            else if (sv_eq_cstr(v, "200"))
                c->no_bid_status = 200;
            else
                cfg_err(&e, kat, "key \"no_bid\": must be \"204\" (empty reply) or \"200\" (reply with nbr)");
        } else if (sv_eq_cstr(k, "no_bid_nbr")) {
            int64_t v;
            if (json_int(&j, &v) || v < 0 || v > 1000)
                cfg_err(&e, kat, "key \"no_bid_nbr\": must be 0..1000");
            c->no_bid_nbr = (int)v;
        } else if (sv_eq_cstr(k, "first_party_providers")) {
            /* user.data[].id or name values whose segments are first-party data (docs/jurisdictions.md) */
            struct arena_vec v = {.max = 1024};
            bool bad = json_peek(&j) != JSON_ARRAY;
            if (!bad) {
                json_arr_begin(&j);
                while (!bad && json_arr_next(&j)) {
                    struct sv *sp = arena_vec_push(&c->arena, &v, sizeof *sp, _Alignof(struct sv));
                    bad = !sp || json_peek(&j) != JSON_STRING || json_string(&j, sp) || sp->n == 0;
                }
                bad = bad || j.err;
            }
            if (bad)
                cfg_err(&e, kat,
                        "key \"first_party_providers\": must be an array of non-empty strings "
                        "(user.data id or name), at most 1024");
            c->campaigns.first_party = (struct ortb_list){v.items, v.n};
        } else if (sv_eq_cstr(k, "fx")) {
            struct cl_err ce = {.off = kat};
            struct fx_rate *rates = NULL;
            uint32_t n = 0;
            if (creative_load_fx(&j, &c->arena, NULL, &rates, &n, &c->campaigns.fx_date, &ce))
                cfg_err(&e, ce.off, "%s", ce.msg);
            c->campaigns.fx = rates;
            c->campaigns.nfx = n;
        } else if (sv_eq_cstr(k, "tcf_mode")) {
            struct sv v = SV_NULL;
            if (json_peek(&j) != JSON_STRING || json_string(&j, &v) ||
                (!sv_eq_cstr(v, "strict") && !sv_eq_cstr(v, "lenient")))
                cfg_err(&e, kat, "key \"tcf_mode\": must be \"strict\" or \"lenient\"");
            else
                c->tcf_strict = sv_eq_cstr(v, "strict");
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d key=%.*s", name, line_of(c->text, kat),
                     SV_FMT(k));
            if (json_skip(&j)) json_err(&e, &j, "config");
        }
    }
    if (!e.failed && (j.err || json_finish(&j))) json_err(&e, &j, "config");
    if (!e.failed && !have_campaigns)
        cfg_err(&e, 0, "key \"campaigns\": is required (it may be an empty array)");
    if (e.failed) {
        config_free(c);
        return NULL;
    }
    if (c->no_bid_status == 0) c->no_bid_status = 204;
    if (strlen(c->currency) != 3) {
        cfg_err(&e, 0, "key \"currency\": must be a 3-letter ISO-4217 code (got \"%s\")", c->currency);
        config_free(c);
        return NULL;
    }
    apply_overrides(c, ov);
    if (strcmp(c->http_server, "native") != 0 && strcmp(c->http_server, "evhttp") != 0) {
        cfg_err(&e, 0, "key \"http_server\": must be \"native\" or \"evhttp\" (got \"%s\")", c->http_server);
        config_free(c);
        return NULL;
    }
    if (c->admin_listen[0]) {
        /* checked here so that check-config catches it, not only the start of `serve` */
        const char *colon = strrchr(c->admin_listen, ':');
        char *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : -1;
        if (!colon || colon == c->admin_listen || !end || end == colon + 1 || *end || port < 0 ||
            port > 65535) {
            cfg_err(&e, 0,
                    "key \"admin_listen\": must be IPv4 address:port, e.g. \"127.0.0.1:9090\" (got \"%s\")",
                    c->admin_listen);
            config_free(c);
            return NULL;
        }
    }
    if (c->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
    }
    /* escape each campaign's response fragments once, not per bid */
    for (uint32_t i = 0; i < c->campaigns.n; i++) {
        struct campaign *cp = &c->campaigns.v[i];
        size_t need = 2 * (cp->id.n + cp->crid.n + cp->adm.n + cp->nurl.n) + 64;
        for (uint32_t x = 0; x < cp->adomain.n; x++) need += 2 * cp->adomain.v[x].n + 4;
        for (uint32_t x = 0; x < cp->cat.n; x++) need += 2 * cp->cat.v[x].n + 4;
        need *= 3; /* \u00XX escapes are 6 bytes for 1 */
        need += creative_json_need(cp);
        char *mem = arena_alloc(&c->arena, need, 1);
        if (mem) c->arena.used -= need - campaign_prepare_json(cp, mem, need);
    }
    c->campaigns.currency = sv_from(c->currency);
    c->campaigns.seat = sv_from(c->seat);
    for (uint32_t i = 0; i < c->campaigns.nfx; i++)
        if (strncmp(c->campaigns.fx[i].cur, c->currency, 3) == 0 &&
            (c->campaigns.fx[i].rate < 0.999999 || c->campaigns.fx[i].rate > 1.000001)) {
            cfg_err(&e, 0, "key \"fx\": rates: %s is the bidding currency: its rate can only be 1",
                    c->currency);
            config_free(c);
            return NULL;
        }
    c->campaigns.tcf_vendor_id = c->tcf_vendor_id;
    c->campaigns.tcf_strict = c->tcf_strict;
    if (strcmp(c->unknown_region, "strictest") != 0 && strcmp(c->unknown_region, "none") != 0) {
        cfg_err(&e, 0, "key \"unknown_region\": must be \"strictest\" or \"none\" (got \"%s\")",
                c->unknown_region);
        config_free(c);
        return NULL;
    }
    c->campaigns.juris_unknown_strictest = strcmp(c->unknown_region, "strictest") == 0;
    c->campaigns.pol_custom_purpose = c->political_consent_custom_purpose;
    if (policy_load_for_config(c, err, errlen) != 0) {
        config_free(c);
        return NULL;
    }
    return c;
}

struct config *config_load(const char *path, const struct config_overrides *ov, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (64u << 20)) {
                snprintf(err, errlen, "%s: larger than 64 MiB", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) break;
        len += n;
    }
    bool rerr = ferror(f);
    fclose(f);
    if (rerr) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    struct config *c = config_parse(path, buf ? buf : "", len, ov, err, errlen);
    free(buf);
    return c;
}

void config_free(struct config *c)
{
    if (!c) return;
    policy_free_for_config(c);
    free(c->text);
    free(c->mem);
    free(c);
}

void config_print_table(void *file)
{
    FILE *f = file;
    fprintf(f, "%-18s %-6s %-16s %-10s %s\n", "key", "type", "default", "reloadable", "meaning");
    static const char *const tn[] = {"string", "int", "bool", "number"};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *s = &settings[i];
        fprintf(f, "%-18s %-6s %-16s %-10s %s\n", s->name, tn[s->type], *s->def ? s->def : "\"\"",
                s->reloadable ? "yes" : "no", s->help);
    }
    fprintf(f, "%-18s %-6s %-16s %-10s %s\n", "no_bid", "string", "204", "yes",
            "\"204\" empty reply, or \"200\" with {\"id\",\"nbr\"}");
    fprintf(f, "%-18s %-6s %-16s %-10s %s\n", "tcf_mode", "string", "strict", "yes", "strict or lenient");
    fprintf(f, "%-18s %-6s %-16s %-10s %s\n", "campaigns", "array", "(required)", "yes",
            "see docs/config.md");
}

const char *config_policy_source_name(enum config_policy_source s)
{
    return s == CONFIG_POLICY_FILE ? "file" : s == CONFIG_POLICY_NONE ? "none" : "builtin";
}

const char *config_protections_off_json(const struct config *c)
{
    /* what filters/sensitive.c cannot apply without a policy: the reasons it would give. Rule 4 (special
     * categories) is checked at load whatever the source, so it is not in the list. */
    if (c->policy_source != CONFIG_POLICY_NONE) return "[]";
    return "[\"sensitive.*\",\"exploit.vulnerable_targeting\",\"exploit.high_risk_to_vulnerable\"]";
}
