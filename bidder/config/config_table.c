/* config_table: the settings table, the one source of truth for every top-level config key (issue 16): its
 * type, default, bounds, reloadable flag, doc and apply hook, one row per key. The parse (config.c), the docs
 * generator (config_doc.c, docs/config.md), `fairbid config-keys` and the reload (config_reload_prepare,
 * here) all read this table; a key is added here and nowhere else. Also the readers of the CONFIG_CUSTOM
 * keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/config/config_internal.h"
#include "bidder/config/creative_load.h"
#include "bidder/obs/log.h"
#include "filters/json.h"
#include "filters/jurisdiction.h"

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
static int rd_upstreams_key(struct config_parser *p, const struct config_key *k);
static int rd_deprecated(struct config_parser *p, const struct config_key *k);
static int rd_fx(struct config_parser *p, const struct config_key *k);
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
       "(408 above)",
       apply_http),
    SH("idle_timeout_ms", T_INT, idle_timeout_ms, "60000", 10, 3600000,
       "a keep-alive connection with no request begun is closed after this. Long, so "
       "that clients reusing a connection seldom race the close",
       apply_http),
    SH("write_timeout_ms", T_INT, write_timeout_ms, "5000", 10, 600000,
       "a client must make room for its replies within this (cut above)", apply_http),
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
      "`native` (bidder/server/: one read and one write per request), the only transport; `evhttp` was "
      "removed (issue 16) and is a config error, so an old config fails at start or reload instead of "
      "silently changing server; `--http-server` overrides"),
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

/* "fx": {"date", "rates"} (issue 19): parsed by bidder/config/creative_load.c */
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
