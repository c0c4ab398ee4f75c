/* Unit tests for the config's "upstreams" (bidder/upstream_config.c) and the URL parser it uses
 * (bidder/http/url.c): the contract names parse into struct config; a config with only upstreams is valid;
 * every error names the file, the line, the upstream and the key; a non-loopback address needs allow_remote;
 * the budget an upstream gets is min(timeout_ms, tmax - tmax_margin_ms). */
#include <criterion/criterion.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/http/url.h"
#include "bidder/config/upstream_config.h"

static struct config *parse(const char *text, char *err, size_t errlen)
{
    return config_parse("u.json", text, strlen(text), NULL, err, errlen);
}

Test(upstream_config, contract_names_parse)
{
    char err[512] = "";
    struct config *c =
        parse("{\"upstreams\": [{\"id\": \"dsp-a\", \"url\": \"http://127.0.0.1:9000/openrtb2/bid\",\n"
              " \"tcf_vendor_id\": 1234, \"timeout_ms\": 80, \"connections\": 32,\n"
              " \"allow_remote\": true, \"seat\": \"seat-a\",\n"
              " \"special_category\": {\"employment\": {\"cats\": [\"IAB4\", \"653\"],\n"
              "   \"fairness\": {\"attribute\": \"gender\", \"max_boost\": 2}}}},\n"
              " {\"id\": \"b\", \"url\": \"http://[::1]:81\"}],\n"
              " \"tmax_margin_ms\": 15}",
              err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(c->upstreams.n, 2);
    const struct upstream *a = &c->upstreams.v[0];
    cr_assert_str_eq(a->id, "dsp-a");
    cr_assert_str_eq(a->u.host, "127.0.0.1");
    cr_assert_eq(a->u.port, 9000);
    cr_assert_str_eq(a->u.path, "/openrtb2/bid");
    cr_assert(a->u.loopback);
    cr_assert_eq(a->tcf_vendor_id, 1234);
    cr_assert_eq(a->timeout_ms, 80);
    cr_assert_eq(a->connections, 32);
    cr_assert(a->allow_remote);
    cr_assert_str_eq(a->seat, "seat-a");
    const struct upstream_special *sp = &a->special[CAMPAIGN_SPECIAL_EMPLOYMENT];
    cr_assert(sp->present);
    cr_assert(!a->special[CAMPAIGN_SPECIAL_HOUSING].present);
    cr_assert_eq(sp->ncats, 2);
    cr_assert_str_eq(sp->cats[1], "653");
    cr_assert_eq(sp->fair.attrs, FAIR_ATTR_GENDER);
    cr_assert_float_eq(sp->fair.max_boost, 2.0, 1e-9);
    cr_assert_float_eq(sp->fair.min_impact_ratio, 0.8, 1e-9);
    const struct upstream *b = &c->upstreams.v[1];
    cr_assert_str_eq(b->seat, "b", "the seat defaults to the id");
    cr_assert_eq(b->timeout_ms, 100);
    cr_assert_eq(b->connections, 16);
    cr_assert(b->u.ipv6 && b->u.loopback);
    cr_assert_str_eq(b->u.hostport, "[::1]:81");
    cr_assert_eq(c->tmax_margin_ms, 15);
    cr_assert_eq(c->campaigns.n, 0);
    cr_assert_eq(upstream_find(&c->upstreams, "b", 1), b);
    cr_assert_null(upstream_find(&c->upstreams, "c", 1));
    config_free(c);
}

Test(upstream_config, defaults_and_campaigns_beside)
{
    char err[512] = "";
    struct config *c = parse("{\"campaigns\": []}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(c->tmax_margin_ms, 10);
    cr_assert_eq(c->upstreams.n, 0);
    config_free(c);
    /* neither campaigns nor upstreams: still an error that says what to add */
    c = parse("{}", err, sizeof err);
    cr_assert_null(c);
    cr_assert(strstr(err, "campaigns") && strstr(err, "upstreams"), "%s", err);
}

Test(upstream_config, budget)
{
    struct upstream u = {.timeout_ms = 80};
    cr_assert_eq(upstream_budget_ms(&u, 200, 10), 80);
    cr_assert_eq(upstream_budget_ms(&u, 50, 10), 40);
    cr_assert_eq(upstream_budget_ms(&u, 5, 10), 1, "never 0 or negative");
    cr_assert_eq(upstream_budget_ms(&u, 0, 10), 80, "no tmax: timeout_ms");
    cr_assert_eq(upstream_budget_ms(&u, INT32_MIN, 10), 80);
}

struct bad {
    const char *text;
    const char *parts[4]; /* each must be in the message */
};

static const struct bad bads[] = {
    {"{\"upstreams\": [{\"id\": \"x\",\n \"url\": \"http://10.0.0.5:9000/\"}]}",
     {"u.json:2:", "upstream \"x\"", "key \"url\"", "allow_remote"}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://dsp.example:9000/\"}]}",
     {"u.json:1:", "upstream \"x\"", "loopback", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"https://127.0.0.1/\"}]}", {"key \"url\"", "https", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1:0/\"}]}", {"key \"url\"", "port", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://u@127.0.0.1/\"}]}", {"key \"url\"", "user", NULL}},
    {"{\"upstreams\": [{\"url\": \"http://127.0.0.1/\"}]}", {"upstreams[0]", "key \"id\"", "required", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\"}]}", {"upstream \"x\"", "key \"url\"", "required", NULL}},
    {"{\"upstreams\": [{\"url\": \"http://127.0.0.1/\", \"id\": \"x\", \"timeout_ms\": 0}]}",
     {"upstream \"x\"", "key \"timeout_ms\"", "between 1 and 10000", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\", \"connections\": \"4\"}]}",
     {"upstream \"x\"", "key \"connections\"", "integer", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\", \"tcf_vendor_id\": 70000}]}",
     {"key \"tcf_vendor_id\"", "65535", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\", \"allow_remote\": 1}]}",
     {"key \"allow_remote\"", "true or false", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\"}, {\"id\": \"x\", \"url\": "
     "\"http://127.0.0.1/\"}]}",
     {"upstream \"x\"", "duplicate", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"id\": \"y\", \"url\": \"http://127.0.0.1/\"}]}",
     {"key \"id\"", "given twice", NULL}},
    {"{\"upstreams\": [{\"id\": \"a b\", \"url\": \"http://127.0.0.1/\"}]}", {"key \"id\"", "letters", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\", \"special_category\": {\"jobs\": "
     "{}}}]}",
     {"upstream \"x\"", "key \"special_category\"", "employment", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\", \"special_category\": {\"credit\": "
     "{}}}]}",
     {"key \"special_category.credit\"", "cats", NULL}},
    {"{\"upstreams\": [{\"id\": \"x\", \"url\": \"http://127.0.0.1/\",\n\"special_category\": {\"credit\": "
     "{\"cats\": [\"1\"], \"fairness\": {\"attribute\": \"race\"}}}}]}",
     {"u.json:2:", "key \"special_category.credit.fairness.attribute\"", "gender", NULL}},
    {"{\"upstreams\": {}}", {"key \"upstreams\"", "array", NULL}},
    {"{\"upstreams\": [], \"tmax_margin_ms\": -1}", {"key \"tmax_margin_ms\"", "between 0 and 1000", NULL}},
};

Test(upstream_config, errors_name_file_line_upstream_key)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char err[512] = "";
        struct config *c = parse(bads[i].text, err, sizeof err);
        cr_assert_null(c, "config %zu must be refused: %s", i, bads[i].text);
        for (int p = 0; p < 4 && bads[i].parts[p]; p++)
            cr_assert(strstr(err, bads[i].parts[p]), "config %zu: \"%s\" not in: %s", i, bads[i].parts[p],
                      err);
    }
}

Test(url, parse_and_loopback)
{
    struct url u;
    const char *err = NULL;
    cr_assert_eq(url_parse("http://LocalHost:8080?x=1", 25, &u, &err), 0, "%s", err);
    cr_assert_str_eq(u.host, "localhost");
    cr_assert_str_eq(u.path, "/?x=1");
    cr_assert_str_eq(u.hostport, "localhost:8080");
    cr_assert(u.loopback);
    const char *s = "http://127.255.0.9";
    cr_assert_eq(url_parse(s, strlen(s), &u, &err), 0);
    cr_assert(u.loopback);
    cr_assert_str_eq(u.path, "/");
    cr_assert_eq(u.port, 80);
    /* loopback by text only: names, octal-looking and out-of-range literals count as remote */
    const char *remote[] = {
        "localhost.evil.example", "0177.0.0.1", "127.0.0.256", "128.0.0.1", "127.0.0", "::2",
        "127.0.0.1.nip.io"};
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
        cr_assert(!url_host_is_loopback(remote[i]), "%s", remote[i]);
    cr_assert(url_host_is_loopback("::ffff:127.0.0.1"));
    const char *bad[] = {"ftp://127.0.0.1/",     "http://",
                         "http://:80/",          "http://127.0.0.1:99999/",
                         "http://127.0.0.1:8a/", "http://127.0.0.1/a b",
                         "http://[::1/",         "http://127.0.0.1/#f",
                         "http://a_b/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_neq(url_parse(bad[i], strlen(bad[i]), &u, &err), 0, "%s must be refused", bad[i]);
}
