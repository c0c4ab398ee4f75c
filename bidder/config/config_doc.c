/* config_doc: the human views of the config table: `fairbid config-keys` (config_print_table) and the
 * generated tables of docs/config.md (`fairbid config-doc`, checked by the docs.config_md test), with the
 * list of campaign keys they document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/config/config_internal.h"

static const char *type_name(const struct config_key *k)
{
    static const char *const tn[] = {"string", "int", "bool", "number", "?"};
    return k->type == CONFIG_CUSTOM ? k->type_doc : tn[k->type];
}

void config_print_table(void *file)
{
    FILE *f = file;
    fprintf(f, "%-32s %-8s %-16s %-10s %s\n", "key", "type", "default", "reloadable", "meaning");
    size_t n;
    const struct config_key *settings = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const struct config_key *s = &settings[i];
        fprintf(f, "%-32s %-8s %-16s %-10s %s\n", s->name, type_name(s), *s->def ? s->def : "\"\"",
                s->deprecated   ? "ignored"
                : s->reloadable ? "yes"
                                : "no",
                s->doc);
    }
}

/* ---- campaign keys (read by rd_campaign in config_campaign.c; listed for the docs) ---- */

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
    {"formats", "[{w,h}]", "this or `creatives`",
     "banner sizes served (with `adm`/`nurl`: a banner creative)"},
    {"adm` / `nurl", "string", "one of, with `formats`", "markup, or a notice URL"},
    {"creatives", "[{type, ...}]", "this or `formats`",
     "typed creatives: `banner` (w, h, adm/nurl), `video` (duration_s, mimes, protocols, w/h, adm as VAST "
     "XML or "
     "nurl, linearity, skippable, startdelay, plcmt, placement), `audio` (duration_s, mimes, protocols, "
     "adm/nurl, "
     "startdelay), `native` (title, images [{type, w, h, url}], data [{type, value}], link, imptrackers); "
     "each "
     "may carry its own `crid`. Errors name the creative: `campaign \"c\": creatives[1] (video): key "
     "\"duration_s\": ...`. docs/formats.md"},
    {"deals", "[string]", "",
     "deal ids the campaign buys: it bids with `dealid` on an imp whose `pmp.deals` lists one (wseat, "
     "wadomain "
     "and the deal's floor honoured)"},
    {"deal_only", "bool", "", "bids only inside one of its `deals` (needs `deals`)"},
    {"targeting.site_cat", "[string]", "", "contextual: any in `site/app.cat` or `content.cat`"},
    {"targeting.segments", "[{segtax, ids}]", "",
     "personal data: a `user.data[]` with `ext.segtax` = segtax carrying one of ids"},
    {"targeting.countries", "[string]", "",
     "ISO-3166-1 alpha-3 (`device.geo.country`; a `user.geo.country` given must be listed too)"},
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
    {"budget", "object", "",
     "money per period across the fleet, in `currency`: `amount` (required, > 0, at most 1e9), `period_s` "
     "(default 86400, at most 366 days), `pacing` `asap` (default) or `even`; any other key is an error (see "
     "docs/fairness.md, Budgets)"},
};

const struct config_campaign_key *config_campaign_keys(size_t *n)
{
    *n = sizeof campaign_keys / sizeof campaign_keys[0];
    return campaign_keys;
}

/* ---- docs/config.md ---- */

#define DOC_BEGIN                                                                                            \
    "<!-- BEGIN GENERATED by `fairbid config-doc` from bidder/config/config_table.c: do not edit -->\n"
#define DOC_END "<!-- END GENERATED -->\n"

static void doc_settings(FILE *f)
{
    fputs("| key | type | default | bounds | reload | meaning |\n| --- | --- | --- | --- | --- | --- |\n", f);
    size_t n;
    const struct config_key *settings = config_keys(&n);
    for (size_t i = 0; i < n; i++) {
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
