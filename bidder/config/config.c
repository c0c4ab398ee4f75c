/* config: table-driven JSON config. See config.h.
 * Errors name the file, the line, the campaign and the key, because the person reading them is an operator
 * with the file open in an editor. Unknown keys are logged and ignored (later versions add keys).
 * This file holds the top-level parse and the load; the settings table, its readers and the reload comparison
 * are in config_table.c, the docs generator in config_doc.c, and the campaigns are read by config_campaign.c.
 */
#include "bidder/config/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "bidder/config/config_internal.h"
#include "bidder/config/creative_load.h"
#include "bidder/obs/log.h"
#include "bidder/config/policy_load.h"
#include "filters/json.h"
#include "filters/jurisdiction.h"
#include "filters/response.h"

int cfg_line_in(const char *text, size_t len, size_t off)
{
    int line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (text[i] == '\n') line++;
    return line;
}

int cfg_line_of(const char *text, size_t off)
{
    return cfg_line_in(text, off, off);
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
    case CONFIG_STRING:
        snprintf(field, s->size, "%s", s->def);
        break;
    case CONFIG_INT:
        *(int *)field = atoi(s->def);
        break;
    case CONFIG_BOOL:
        *(bool *)field = strcmp(s->def, "true") == 0;
        break;
    case CONFIG_NUMBER:
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
    case CONFIG_STRING: {
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
    case CONFIG_INT: {
        int64_t v;
        if (json_peek(j) != JSON_NUMBER) return cfg_err(e, at, "key \"%s\": must be an integer", s->name);
        if (json_int(j, &v)) return cfg_err(e, at, "key \"%s\": must be an integer", s->name);
        if (v < s->min || v > s->max)
            return cfg_err(e, at, "key \"%s\": must be between %ld and %ld (got %lld)", s->name, s->min,
                           s->max, (long long)v);
        *(int *)field = (int)v;
        return 0;
    }
    case CONFIG_NUMBER: {
        double v;
        if (json_peek(j) != JSON_NUMBER || json_double(j, &v))
            return cfg_err(e, at, "key \"%s\": must be a number", s->name);
        if (v < (double)s->min || v > (double)s->max)
            return cfg_err(e, at, "key \"%s\": must be between %ld and %ld (got %g)", s->name, s->min, s->max,
                           v);
        *(double *)field = v;
        return 0;
    }
    case CONFIG_BOOL: {
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
    /* compiled campaigns cost more than their text (large structs, vectors that double): be generous */
    size_t memcap = len * 20 + 65536;
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
    size_t nsettings;
    const struct config_key *settings = config_keys(&nsettings);
    for (size_t i = 0; i < nsettings; i++) set_default(c, &settings[i]);

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
        for (size_t i = 0; i < nsettings; i++)
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
    if (strcmp(c->http_server, "evhttp") == 0) {
        /* removed, not mapped: the native server has its own limits and timeouts (idle_timeout_ms,
         * write_timeout_ms, max_*_bytes), so running it in place of what the operator asked for must be
         * their decision; at start this refuses to serve, on reload the running config is kept */
        cfg_err(
            &e, 0,
            "key \"http_server\": \"evhttp\" was removed (issue 16); the only transport is \"native\": set "
            "\"http_server\": \"native\" or delete the key (and drop --http-server evhttp)");
        config_free(c);
        return NULL;
    }
    if (strcmp(c->http_server, "native") != 0) {
        cfg_err(&e, 0, "key \"http_server\": must be \"native\" (got \"%s\")", c->http_server);
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
    char *buf;
    size_t len;
    if (fb_file_read(path, 64u << 20, &buf, &len, err, errlen) != 0) return NULL;
    struct config *c = config_parse_load(path, buf, len, ov, err, errlen);
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
