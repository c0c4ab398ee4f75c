/* config: table-driven JSON config. See config.h.
 * Errors name the file, the line, the campaign and the key, because the person reading them is an operator
 * with the file open in an editor. Unknown keys are logged and ignored (later versions add keys). */
#include "bidder/config.h"

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

#define T_STR CONFIG_STRING
#define T_INT CONFIG_INT
#define T_BOOL CONFIG_BOOL
#define T_DOUBLE CONFIG_NUMBER

#define FIELD(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)
/* a plain key: the value is read from the current snapshot wherever it is used */
#define S(name, type, field, def, min, max, rel, help)                                                       \
    {                                                                                                        \
        name, type, FIELD(field), def, min, max, rel, help, NULL, NULL, NULL, false                          \
    }
/* a reloadable key held outside the snapshot: `apply` makes a reload reach it */
#define SH(name, type, field, def, min, max, help, apply)                                                    \
    {                                                                                                        \
        name, type, FIELD(field), def, min, max, true, help, apply, NULL, NULL, false                        \
    }
/* a key with its own reader */
#define SX(name, type_doc, def, rel, help, reader)                                                           \
    {                                                                                                        \
        name, CONFIG_CUSTOM, 0, 0, def, 0, 0, rel, help, NULL, reader, type_doc, false                       \
    }

static int rd_no_bid(struct config_parser *p, const struct config_key *k);
static int rd_tcf_mode(struct config_parser *p, const struct config_key *k);
static int rd_first_party(struct config_parser *p, const struct config_key *k);
static int rd_campaigns_key(struct config_parser *p, const struct config_key *k);
static int rd_deprecated(struct config_parser *p, const struct config_key *k);
static void apply_log_level(const struct config *now);
static void apply_http(const struct config *now);

static const struct config_key settings[] = {
    S("listen", T_STR, listen, "127.0.0.1:8080", 0, 0, false,
      "IPv4 address:port to serve HTTP on (`--listen` overrides)"),
    S("threads", T_INT, threads, "0", 0, 256, false,
      "worker threads; 0 = the number of cores (`--threads` overrides)"),
    S("redis", T_STR, redis, "", 0, 0, false,
      "`redis://[:password@]host[:port][/db]`; empty = no Redis (`--redis` overrides)"),
    S("currency", T_STR, currency, "USD", 0, 0, true, "ISO-4217 currency of `bid_cpm` and responses"),
    S("tcf_vendor_id", T_INT, tcf_vendor_id, "0", 0, 65535, true, "fairbid's IAB TCF vendor id"),
    SX("tcf_mode", "string", "strict", true,
       "`strict` (TCF 2.2+ rules) or `lenient`; the same as `tcf_strict`", rd_tcf_mode),
    S("policy", T_STR, policy, "builtin", 0, 0, true,
      "sensitive-category policy (below): `builtin` (also: no key, `\"\"`, `null`; deploy/policy.json, "
      "compiled in), a file relative to the config file, or `none` (no sensitive-category rules: warned, "
      "shown in /readyz)"),
    SX("no_bid", "string", "204", true,
       "`\"204\"` empty reply, or `\"200\"` with `{\"id\": ..., \"nbr\": no_bid_nbr}`", rd_no_bid),
    S("no_bid_nbr", T_INT, no_bid_nbr, "0", 0, 1000, true,
      "OpenRTB no-bid reason code for `\"no_bid\": \"200\"`"),
    S("max_body", T_INT, max_body, "65536", 512, 16777216, false,
      "largest request body in bytes (413 above)"),
    SH("read_timeout_ms", T_INT, read_timeout_ms, "5000", 10, 600000,
       "a request must arrive whole (head and body) within this of its first byte, whatever it sends "
       "meanwhile "
       "(408 above); evhttp uses it for idle connections too",
       apply_http),
    SH("idle_timeout_ms", T_INT, idle_timeout_ms, "60000", 10, 3600000,
       "a keep-alive connection with no request begun is closed after this (native `http_server`). Long, so "
       "that clients reusing a connection seldom race the close",
       apply_http),
    SH("write_timeout_ms", T_INT, write_timeout_ms, "5000", 10, 600000,
       "a client must make room for its replies within this (cut above; native `http_server`)", apply_http),
    S("max_connections", T_INT, max_connections, "10000", 1, 1000000, false,
      "open client connections, all workers (503 at accept and close above)"),
    S("admin_listen", T_STR, admin_listen, "", 0, 0, false,
      "IPv4 address:port serving `/metrics`, `/readyz`, `/healthz` (then answered 404 on `listen`); e.g. "
      "`127.0.0.1:9090`; empty = served on `listen`"),
    S("max_buffered_bytes", T_INT, max_buffered_bytes, "134217728", 1048576, 2147483647, false,
      "request input buffered beyond each connection's first 16 KiB, all connections; a body that would pass "
      "it gets 503 (a request admitted finishes). Default sized so that 10,000 connections' first buffers + "
      "this + `max_output_bytes` (320 MiB) fit the 512 MiB pod limit in deploy/k8s"),
    S("max_output_bytes", T_INT, max_output_bytes, "33554432", 65536, 2147483647, false,
      "replies held for clients that have not read them, all connections; past it pipelined requests wait"),
    S("max_conn_output_bytes", T_INT, max_conn_output_bytes, "262144", 4096, 16777216, false,
      "the same, per connection"),
    S("seat", T_STR, seat, "fairbid", 0, 0, true, "`seatbid.seat` in responses; empty = omitted"),
    S("win_url", T_STR, win_url, "", 0, 0, true,
      "base URL of `GET /win`; bids then carry `nurl` = "
      "`win_url?cid=..&imp=..&req=..&price=${AUCTION_PRICE}`; "
      "how fairness campaigns learn their wins (below). Empty = none"),
    S("consent_stale_ms", T_INT, consent_stale_ms, "500", 10, 600000, true, "consent mirror trust bound"),
    S("consent_mirror_max_records", T_INT, consent_mirror_max_records, "20000000", 1000, 1000000000, true,
      "most consent-store records the mirror holds (~33 bytes each). A store with more is never trusted: "
      "personal data is refused, `/readyz` says why (docs/consent-store.md)"),
    S("tcf_strict", T_BOOL, tcf_strict, "true", 0, 0, true, "TCF 2.2+ rules (strict) or legacy (lenient)"),
    S("arena_bytes", T_INT, arena_bytes, "1048576", 65536, 268435456, false,
      "per-worker request memory in bytes"),
    S("http_server", T_STR, http_server, "native", 0, 0, false,
      "`native` (bidder/http_server.c: one read and one write per request) or `evhttp` (libevent's HTTP "
      "server, the reference); `--http-server` overrides"),
    SH("log_level", T_STR, log_level, "info", 0, 0, "`debug`, `info`, `warn` or `error`", apply_log_level),
    {"instance_id", CONFIG_CUSTOM, 0, 0, "", 0, 0, true,
     "deprecated, ignored (was: this instance's name in Redis); accepted with a warning", NULL, rd_deprecated,
     "string", true},
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
      "a US request without a state: `strictest` (every state's rules in force) or `none` (federal only); "
      "docs/jurisdictions.md"),
    S("political_consent_custom_purpose", T_INT, political_consent_custom_purpose, "0", 0, 64, true,
      "TCF publisher custom purpose id (1-64) carrying consent to political ads; 0 = none, so EU political "
      "campaigns bid only contextually"),
    SX("first_party_providers", "[string]", "", true,
       "`user.data[].id` or `name` values that are first-party data (the only data EU political campaigns "
       "may "
       "use)",
       rd_first_party),
    SX("campaigns", "array", "(required)", true, "the campaigns (below); may be empty", rd_campaigns_key),
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

const struct config_key *config_keys(size_t *n)
{
    *n = NSETTINGS;
    return settings;
}

const struct config_key *config_key_by_name(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0) return &settings[i];
    return NULL;
}

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

static void set_default(struct config *c, const struct config_key *s)
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
    case CONFIG_CUSTOM: /* its reader sets its fields; calloc's zeros are the defaults until then */
        break;
    }
}

static int read_setting(struct errctx *e, struct json *j, struct config *c, const struct config_key *s)
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
    case CONFIG_CUSTOM:
        break;
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
            /* a cap is a promise to the advertiser: a key not understood (a typo of "bids"?) must not
             * quietly leave a campaign capped otherwise than asked */
            char key[80];
            snprintf(key, sizeof key, "cap.%.*s", (int)(k.n > 60 ? 60 : k.n), k.p);
            return cerr(cc, off_of(cc->j), key, "unknown key (cap has \"bids\" and \"period_s\")");
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
    if (c->nformats == 0) return cerr(cc, at, "formats", "is required");
    if (c->adm.n == 0 && c->nurl.n == 0) return cerr(cc, at, "adm", "a campaign needs adm or nurl");
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

/* ---- the readers of CONFIG_CUSTOM keys ---- */

static int rd_no_bid(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    struct json *j = p->j;
    struct sv v = SV_NULL;
    int64_t iv = 0;
    if (json_peek(j) == JSON_STRING)
        json_string(j, &v);
    else if (json_peek(j) == JSON_NUMBER && json_int(j, &iv) == 0)
        v = iv == 204 ? SV_LIT("204") : iv == 200 ? SV_LIT("200") : SV_LIT("?");
    else
        json_skip(j);
    if (sv_eq_cstr(v, "204"))
        p->c->no_bid_status = 204;
    else if (sv_eq_cstr(v, "200"))
        p->c->no_bid_status = 200;
    else
        return cfg_err(p->e, p->kat,
                       "key \"no_bid\": must be \"204\" (empty reply) or \"200\" (reply with nbr)");
    return 0;
}

static int rd_tcf_mode(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    struct sv v = SV_NULL;
    if (json_peek(p->j) != JSON_STRING || json_string(p->j, &v) ||
        (!sv_eq_cstr(v, "strict") && !sv_eq_cstr(v, "lenient")))
        return cfg_err(p->e, p->kat, "key \"tcf_mode\": must be \"strict\" or \"lenient\"");
    p->c->tcf_strict = sv_eq_cstr(v, "strict");
    return 0;
}

/* user.data[].id or name values whose segments are first-party data (docs/jurisdictions.md) */
static int rd_first_party(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    struct json *j = p->j;
    struct arena_vec v = {.max = 1024};
    bool bad = json_peek(j) != JSON_ARRAY;
    if (!bad) {
        json_arr_begin(j);
        while (!bad && json_arr_next(j)) {
            struct sv *sp = arena_vec_push(&p->c->arena, &v, sizeof *sp, _Alignof(struct sv));
            bad = !sp || json_peek(j) != JSON_STRING || json_string(j, sp) || sp->n == 0;
        }
        bad = bad || j->err;
    }
    if (bad)
        return cfg_err(p->e, p->kat,
                       "key \"first_party_providers\": must be an array of non-empty strings "
                       "(user.data id or name), at most 1024");
    p->c->campaigns.first_party = (struct ortb_list){v.items, v.n};
    return 0;
}

static int rd_campaigns_key(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    p->have_campaigns = true;
    return rd_campaigns(p->e, p->j, p->c, p->win_path);
}

/* A key that no longer does anything: configs that carry it keep loading, and say so. */
static int rd_deprecated(struct config_parser *p, const struct config_key *k)
{
    if (json_peek(p->j) != JSON_STRING && json_peek(p->j) != JSON_NULL)
        return cfg_err(p->e, p->kat, "key \"%s\": must be a string", k->name);
    if (json_skip(p->j)) return json_err(p->e, p->j, k->name);
    log_warn("config: deprecated key ignored", "file=%s line=%d key=%s", p->e->file,
             line_of(p->e->text, p->kat), k->name);
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
    for (size_t i = 0; i < NSETTINGS; i++) set_default(c, &settings[i]);

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
    struct config_parser p = {.e = &e, .j = &j, .c = c, .win_path = win_path};
    while (!e.failed && json_obj_next(&j, &k)) {
        size_t kat = off_of(&j);
        const struct config_key *s = NULL;
        for (size_t i = 0; i < NSETTINGS; i++)
            if (sv_eq_cstr(k, settings[i].name)) s = &settings[i];
        if (s && s->type == CONFIG_CUSTOM) {
            p.kat = kat;
            s->read(&p, s);
        } else if (s) {
            read_setting(&e, &j, c, s);
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d key=%.*s", name, line_of(c->text, kat),
                     SV_FMT(k));
            if (json_skip(&j)) json_err(&e, &j, "config");
        }
    }
    if (!e.failed && (j.err || json_finish(&j))) json_err(&e, &j, "config");
    if (!e.failed && !p.have_campaigns)
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
        char *mem = arena_alloc(&c->arena, need, 1);
        if (mem) c->arena.used -= need - campaign_prepare_json(cp, mem, need);
    }
    c->campaigns.currency = sv_from(c->currency);
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
    if (strcmp(c->log_level, "debug") && strcmp(c->log_level, "info") && strcmp(c->log_level, "warn") &&
        strcmp(c->log_level, "error"))
        log_warn("config: unknown log_level, using info", "file=%s log_level=%s", name, c->log_level);
    return c;
}

int config_load_policy(struct config *c, char *err, size_t errlen)
{
    return policy_load_for_config(c, err, errlen);
}

struct config *config_parse_load(const char *name, const char *text, size_t len,
                                 const struct config_overrides *ov, char *err, size_t errlen)
{
    struct config *c = config_parse(name, text, len, ov, err, errlen);
    if (c && config_load_policy(c, err, errlen) != 0) {
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
    struct config *c = config_parse_load(path, buf ? buf : "", len, ov, err, errlen);
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

static const char *type_name(const struct config_key *k)
{
    static const char *const tn[] = {"string", "int", "bool", "number", "?"};
    return k->type == CONFIG_CUSTOM ? k->type_doc : tn[k->type];
}

void config_print_table(void *file)
{
    FILE *f = file;
    fprintf(f, "%-32s %-8s %-16s %-10s %s\n", "key", "type", "default", "reloadable", "meaning");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct config_key *s = &settings[i];
        fprintf(f, "%-32s %-8s %-16s %-10s %s\n", s->name, type_name(s), *s->def ? s->def : "\"\"",
                s->deprecated   ? "ignored"
                : s->reloadable ? "yes"
                                : "no",
                s->doc);
    }
}

/* ---- campaign keys (read by rd_campaign; listed for the docs) ---- */

static const struct config_campaign_key campaign_keys[] = {
    {"id", "string", "yes", "unique"},
    {"advertiser", "string", "", "display name"},
    {"adomain", "[string]", "", "advertiser domains (checked against `badv`, subdomains included)"},
    {"crid", "string", "yes", "creative id"},
    {"cat`, `cattax", "[string], int", "",
     "ad categories and their taxonomy (default 8 = Ad Product 2.0); a `cat` entry equal to any `bcat` entry "
     "blocks the campaign, whatever the request's `cattax`, so list the IAB 1.0 ids too if exchanges block "
     "by "
     "them"},
    {"bid_cpm", "number", "yes", "price per mille in `currency`, > 0"},
    {"formats", "[{w,h}]", "yes", "banner sizes served"},
    {"adm` / `nurl", "string", "one of", "markup, or a notice URL"},
    {"targeting.site_cat", "[string]", "", "contextual: any in `site/app.cat` or `content.cat`"},
    {"targeting.segments", "[{segtax, ids}]", "",
     "personal data: a `user.data[]` with `ext.segtax` = segtax carrying one of ids"},
    {"targeting.countries", "[string]", "", "ISO-3166-1 alpha-3 (`device.geo.country`)"},
    {"targeting.age", "{min,max}", "", "personal data: from `user.yob`"},
    {"targeting.gender", "[\"M\",\"F\",\"O\"]", "", "personal data: `user.gender`"},
    {"targeting.near", "{lat, lon, radius_km}", "",
     "personal data: `device.geo.lat/lon` within radius_km of the point; refused where precise geolocation "
     "is "
     "banned or not consented (docs/jurisdictions.md)"},
    {"special_category", "null or `housing`/`employment`/`credit`", "", "special ad category"},
    {"political", "null or {sponsor, notice_url}", "with a Politics `cat`",
     "a political ad (Regulation (EU) 2024/900): both keys required, `notice_url` https; required for Ad "
     "Product "
     "categories 1474-1481; bids carry `bid.ext.political` (docs/jurisdictions.md)"},
    {"fairness", "object", "",
     "`attribute`, `min_impact_ratio`, `max_tvd`, `max_boost`, `window_s`, `min_eligible`, `balance` (see "
     "docs/fairness.md); needs a win path (`win_url` or the campaign's `nurl`) or `\"balance\": \"bids\"` "
     "(below)"},
    {"cap", "object", "",
     "`bids` (required) and `period_s` (default 86400); any other key is an error (see "
     "docs/fairness.md)"},
};

const struct config_campaign_key *config_campaign_keys(size_t *n)
{
    *n = sizeof campaign_keys / sizeof campaign_keys[0];
    return campaign_keys;
}

/* ---- docs/config.md ---- */

#define DOC_BEGIN "<!-- BEGIN GENERATED by `fairbid config-doc` from bidder/config.c: do not edit -->\n"
#define DOC_END "<!-- END GENERATED -->\n"

static void doc_settings(FILE *f)
{
    fputs("| key | type | default | bounds | reload | meaning |\n| --- | --- | --- | --- | --- | --- |\n", f);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct config_key *k = &settings[i];
        fprintf(f, "| `%s` | %s | ", k->name, type_name(k));
        if (!*k->def)
            fputs("none", f);
        else if (k->def[0] == '(') /* "(required)" */
            fprintf(f, "%.*s", (int)strlen(k->def) - 2, k->def + 1);
        else
            fprintf(f, "`%s`", k->def);
        if (k->type == CONFIG_INT || k->type == CONFIG_NUMBER)
            fprintf(f, " | %ld..%ld", k->min, k->max);
        else
            fputs(" | ", f);
        fprintf(f, " | %s | %s |\n", k->deprecated ? "ignored" : k->reloadable ? "yes" : "restart", k->doc);
    }
}

static void doc_campaigns(FILE *f)
{
    fputs("| key | type | required | meaning |\n| --- | --- | --- | --- |\n", f);
    for (size_t i = 0; i < sizeof campaign_keys / sizeof campaign_keys[0]; i++) {
        const struct config_campaign_key *k = &campaign_keys[i];
        fprintf(f, "| `%s` | %s | %s | %s |\n", k->name, k->type, k->required, k->doc);
    }
}

void config_doc_write(void *file)
{
    FILE *f = file;
    fputs(DOC_BEGIN, f);
    doc_settings(f);
    fputs(DOC_END "\n" DOC_BEGIN, f);
    doc_campaigns(f);
    fputs(DOC_END, f);
}

/* Replaces the n-th generated block of text with gen's output. */
static int doc_replace(char **text, int nth, void (*gen)(FILE *))
{
    char *at = *text;
    for (int i = 0; i <= nth; i++) {
        at = strstr(at, DOC_BEGIN);
        if (!at) return -1;
        if (i < nth) at += strlen(DOC_BEGIN);
    }
    char *body = at + strlen(DOC_BEGIN);
    char *end = strstr(body, DOC_END);
    if (!end) return -1;
    char *gtext = NULL;
    size_t glen = 0;
    FILE *m = open_memstream(&gtext, &glen);
    if (!m) return -1;
    gen(m);
    if (fclose(m) != 0) return -1;
    size_t head = (size_t)(body - *text), tail = strlen(end);
    char *out = malloc(head + glen + tail + 1);
    if (!out) {
        free(gtext);
        return -1;
    }
    memcpy(out, *text, head);
    memcpy(out + head, gtext, glen);
    memcpy(out + head + glen, end, tail + 1);
    free(gtext);
    free(*text);
    *text = out;
    return 0;
}

int config_doc_update(const char *doc, size_t len, char **out)
{
    char *t = malloc(len + 1);
    if (!t) return -1;
    memcpy(t, doc, len);
    t[len] = '\0';
    if (doc_replace(&t, 0, doc_settings) || doc_replace(&t, 1, doc_campaigns)) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- reload ---- */

static void (*http_apply)(const struct config *now);

void config_set_http_apply(void (*fn)(const struct config *now))
{
    http_apply = fn;
}

static void apply_http(const struct config *now)
{
    if (http_apply) http_apply(now);
}

int config_log_level(const struct config *c)
{
    if (!strcmp(c->log_level, "debug")) return LOG_DEBUG;
    if (!strcmp(c->log_level, "warn")) return LOG_WARN;
    if (!strcmp(c->log_level, "error")) return LOG_ERROR;
    return LOG_INFO;
}

static void apply_log_level(const struct config *now)
{
    log_set_level((enum log_level)config_log_level(now));
}

size_t config_reload_prepare(const struct config *cur, struct config *next,
                             void (**hooks)(const struct config *), size_t max_hooks)
{
    size_t nh = 0;
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct config_key *k = &settings[i];
        if (k->size == 0) continue; /* custom keys: read from the snapshot */
        char *nf = (char *)next + k->off;
        const char *cf = (const char *)cur + k->off;
        bool same = k->type == CONFIG_STRING ? strcmp(nf, cf) == 0 : memcmp(nf, cf, k->size) == 0;
        if (same) continue;
        if (!k->reloadable) {
            log_warn("reload: key changed, needs restart: keeping the running value", "key=%s", k->name);
            memcpy(nf, cf, k->size);
            continue;
        }
        log_info("reload: key applied", "key=%s", k->name);
        if (!k->apply) continue;
        bool seen = false;
        for (size_t h = 0; h < nh; h++) seen = seen || hooks[h] == k->apply;
        if (!seen && nh < max_hooks) hooks[nh++] = k->apply;
    }
    return nh;
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
