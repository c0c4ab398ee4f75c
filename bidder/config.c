/* config: table-driven JSON config. See config.h.
 * Errors name the file, the line, the campaign and the key, because the person reading them is an operator
 * with the file open in an editor. Unknown keys are logged and ignored (later versions add keys).
 * This file holds the settings table (a third of it: one row per key, its doc included), the top-level parse,
 * the docs generator and the reload comparison; the campaigns are read by config_campaign.c. */
#include "bidder/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidder/config_internal.h"
#include "bidder/creative_load.h"
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
static int rd_fx(struct config_parser *p, const struct config_key *k);
static int rd_upstreams_key(struct config_parser *p, const struct config_key *k);
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
    SX("fx", "{date, rates}", "", true,
       "exchange rates for floors in other currencies: `{\"date\": \"2026-12-01\", \"rates\": {\"EUR\": "
       "0.92, "
       "\"GBP\": 0.79}}`, each rate the units of that currency per one unit of `currency`; a floor in a "
       "currency "
       "the table lacks is a no-bid (`floor.currency`). docs/formats.md",
       rd_fx),
    SX("campaigns", "array", "(required)", true,
       "the campaigns (below); may be empty; may be left out when `upstreams` is given", rd_campaigns_key),
    SX("upstreams", "array", "", true,
       "filter mode: the bidders fairbid sits in front of (below, docs/filter.md); beside `campaigns` or "
       "alone",
       rd_upstreams_key),
    S("tmax_margin_ms", T_INT, tmax_margin_ms, "10", 0, 1000, true,
      "filter mode: each upstream gets min(its `timeout_ms`, `tmax` - this), so fairbid answers within "
      "`tmax`"),
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

int cfg_line_of(const char *text, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') line++;
    return line;
}

int cfg_err(struct errctx *e, size_t off, const char *fmt, ...)
{
    if (e->failed) return -1;
    e->failed = true;
    int n = snprintf(e->err, e->errlen, "%s:%d: ", e->file, cfg_line_of(e->text, off));
    if (n < 0 || (size_t)n >= e->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

size_t cfg_off(const struct json *j)
{
    return (size_t)(j->p - j->start);
}

int cfg_json_err(struct errctx *e, struct json *j, const char *what)
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
    size_t at = cfg_off(j);
    switch (s->type) {
    case T_STR: {
        struct sv v;
        if (json_peek(j) == JSON_NULL) return json_null(j) ? cfg_json_err(e, j, s->name) : 0;
        if (json_peek(j) != JSON_STRING) return cfg_err(e, at, "key \"%s\": must be a string", s->name);
        if (json_string(j, &v)) return cfg_json_err(e, j, s->name);
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

/* "fx": {"date", "rates"} (issue 19): parsed by bidder/creative_load.c */
static int rd_fx(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    struct cl_err ce = {.off = p->kat};
    struct fx_rate *rates = NULL;
    uint32_t n = 0;
    int rc = 0;
    if (creative_load_fx(p->j, &p->c->arena, NULL, &rates, &n, &p->c->campaigns.fx_date, &ce))
        rc = cfg_err(p->e, ce.off, "%s", ce.msg);
    p->c->campaigns.fx = rates;
    p->c->campaigns.nfx = n;
    return rc;
}

static int rd_campaigns_key(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    p->have_campaigns = true;
    return config_read_campaigns(p->e, p->j, p->c, p->win_path);
}

static int rd_upstreams_key(struct config_parser *p, const struct config_key *k)
{
    (void)k;
    p->have_upstreams = true;
    return config_read_upstreams(p->e, p->j, &p->c->upstreams);
}

/* A key that no longer does anything: configs that carry it keep loading, and say so. */
static int rd_deprecated(struct config_parser *p, const struct config_key *k)
{
    if (json_peek(p->j) != JSON_STRING && json_peek(p->j) != JSON_NULL)
        return cfg_err(p->e, p->kat, "key \"%s\": must be a string", k->name);
    if (json_skip(p->j)) return cfg_json_err(p->e, p->j, k->name);
    log_warn("config: deprecated key ignored", "file=%s line=%d key=%s", p->e->file,
             cfg_line_of(p->e->text, p->kat), k->name);
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
            cfg_json_err(&e, &j, "config");
        else
            cfg_err(&e, cfg_off(&j), "the config must be a JSON object");
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
        size_t kat = cfg_off(&j);
        const struct config_key *s = NULL;
        for (size_t i = 0; i < NSETTINGS; i++)
            if (sv_eq_cstr(k, settings[i].name)) s = &settings[i];
        if (s && s->type == CONFIG_CUSTOM) {
            p.kat = kat;
            s->read(&p, s);
        } else if (s) {
            read_setting(&e, &j, c, s);
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d key=%.*s", name,
                     cfg_line_of(c->text, kat), SV_FMT(k));
            if (json_skip(&j)) cfg_json_err(&e, &j, "config");
        }
    }
    if (!e.failed && (j.err || json_finish(&j))) cfg_json_err(&e, &j, "config");
    if (!e.failed && !p.have_campaigns && !p.have_upstreams)
        cfg_err(&e, 0,
                "key \"campaigns\": is required (it may be an empty array) unless \"upstreams\" is given");
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
    size_t n;
    const struct config_campaign_key *keys = config_campaign_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const struct config_campaign_key *k = &keys[i];
        fprintf(f, "| `%s` | %s | %s | %s |\n", k->name, k->type, k->required, k->doc);
    }
}

static void doc_upstreams(FILE *f)
{
    fputs("| key | type | default | meaning |\n| --- | --- | --- | --- |\n", f);
    size_t n;
    const struct upstream_key_doc *keys = upstream_config_keys(&n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "| `%s` | %s | %s | %s |\n", keys[i].name, keys[i].type,
                keys[i].def[0] == '(' ? "required" : keys[i].def, keys[i].doc);
}

void config_doc_write(void *file)
{
    FILE *f = file;
    fputs(DOC_BEGIN, f);
    doc_settings(f);
    fputs(DOC_END "\n" DOC_BEGIN, f);
    doc_campaigns(f);
    fputs(DOC_END "\n" DOC_BEGIN, f);
    doc_upstreams(f);
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
    /* the upstreams table (a third block) is replaced where the page has one: older pages have two */
    const char *third = strstr(t, DOC_BEGIN);
    for (int i = 0; third && i < 2; i++) third = strstr(third + 1, DOC_BEGIN);
    if (doc_replace(&t, 0, doc_settings) || doc_replace(&t, 1, doc_campaigns) ||
        (third && doc_replace(&t, 2, doc_upstreams))) {
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
