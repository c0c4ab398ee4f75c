/* Unit tests for the config table (bidder/config/config_table.c, issue 16): every key has a doc, a default
 * that parses and lies within its bounds, the reloadable flags the reload relies on, apply hooks where a
 * snapshot alone does not reach; config_reload_prepare keeps restart-only keys and collects hooks; parsing is
 * pure (the policy is a separate load step); unknown cap.* keys are errors; the reason classes of
 * reasons.def. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/obs/log.h"
#include "filters/reasons.h"

static struct config *parse(const char *text, char *err, size_t n)
{
    return config_parse("t.json", text, strlen(text), NULL, err, n);
}

Test(config_table, every_key_documented_and_default_within_bounds)
{
    size_t n;
    const struct config_key *k = config_keys(&n);
    cr_assert_gt(n, 30);
    char err[512] = "";
    struct config *c = parse("{\"campaigns\": []}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    for (size_t i = 0; i < n; i++) {
        cr_expect(k[i].name && *k[i].name, "row %zu has a name", i);
        cr_expect(k[i].doc && strlen(k[i].doc) > 8, "%s: doc", k[i].name);
        cr_expect_not_null(k[i].def, "%s: default", k[i].name);
        cr_expect_eq(config_key_by_name(k[i].name), &k[i], "%s: found by name, once", k[i].name);
        if (k[i].type == CONFIG_CUSTOM) {
            cr_expect_not_null(k[i].read, "%s: custom keys have a reader", k[i].name);
            cr_expect(k[i].type_doc && *k[i].type_doc, "%s: type in the docs", k[i].name);
            continue;
        }
        cr_expect_gt(k[i].size, 0, "%s: a field", k[i].name);
        const char *f = (const char *)c + k[i].off;
        if (k[i].type == CONFIG_INT) {
            long d = strtol(k[i].def, NULL, 10);
            cr_expect(d >= k[i].min && d <= k[i].max, "%s: default %ld in [%ld, %ld]", k[i].name, d, k[i].min,
                      k[i].max);
            if (strcmp(k[i].name, "threads") != 0) /* 0 = cores, resolved at parse */
                cr_expect_eq(*(const int *)f, (int)d, "%s: the parsed default", k[i].name);
        } else if (k[i].type == CONFIG_NUMBER) {
            double d = strtod(k[i].def, NULL);
            cr_expect(d >= (double)k[i].min && d <= (double)k[i].max, "%s: default in bounds", k[i].name);
            cr_expect_eq(*(const double *)f, d, "%s: the parsed default", k[i].name);
        } else if (k[i].type == CONFIG_STRING) {
            cr_expect_lt(strlen(k[i].def), k[i].size, "%s: default fits", k[i].name);
            cr_expect_str_eq(f, k[i].def, "%s: the parsed default", k[i].name);
        } else if (k[i].type == CONFIG_BOOL) {
            cr_expect(!strcmp(k[i].def, "true") || !strcmp(k[i].def, "false"), "%s", k[i].name);
            cr_expect_eq(*(const bool *)f, !strcmp(k[i].def, "true"), "%s: the parsed default", k[i].name);
        }
    }
    config_free(c);
}

Test(config_table, reloadable_flags_and_hooks)
{
    static const char *const restart[] = {"listen",          "threads",     "redis",       "max_body",
                                          "max_connections", "arena_bytes", "http_server", "audit_queue"};
    for (size_t i = 0; i < sizeof restart / sizeof restart[0]; i++) {
        const struct config_key *k = config_key_by_name(restart[i]);
        cr_assert_not_null(k, "%s", restart[i]);
        cr_expect(!k->reloadable, "%s needs a restart", restart[i]);
    }
    static const char *const live[] = {"read_timeout_ms", "idle_timeout_ms", "write_timeout_ms", "log_level"};
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        const struct config_key *k = config_key_by_name(live[i]);
        cr_assert_not_null(k, "%s", live[i]);
        cr_expect(k->reloadable && k->apply, "%s: reloadable, with an apply hook", live[i]);
    }
    static const char *const snap[] = {"consent_stale_ms", "seat", "currency", "audit_sample_rate", "policy"};
    for (size_t i = 0; i < sizeof snap / sizeof snap[0]; i++) {
        const struct config_key *k = config_key_by_name(snap[i]);
        cr_assert_not_null(k, "%s", snap[i]);
        cr_expect(k->reloadable, "%s: reloadable (read from the snapshot)", snap[i]);
    }
    size_t n;
    const struct config_key *k = config_keys(&n);
    for (size_t i = 0; i < n; i++)
        if (!k[i].reloadable)
            cr_expect_null(k[i].apply, "%s: a restart-only key has no apply hook", k[i].name);
}

static int hook_calls;
static void count_hook(const struct config *c)
{
    (void)c;
    hook_calls++;
}

Test(config_table, reload_keeps_restart_keys_and_collects_hooks)
{
    log_set_level(LOG_ERROR);
    char err[512] = "";
    struct config *cur =
        parse("{\"threads\": 2, \"read_timeout_ms\": 5000, \"campaigns\": []}", err, sizeof err);
    cr_assert_not_null(cur, "%s", err);
    struct config *next = parse("{\"threads\": 3, \"read_timeout_ms\": 300, \"write_timeout_ms\": 400, "
                                "\"log_level\": \"debug\", \"listen\": \"127.0.0.1:1\", \"seat\": \"s2\", "
                                "\"campaigns\": []}",
                                err, sizeof err);
    cr_assert_not_null(next, "%s", err);
    config_set_http_apply(count_hook);
    void (*hooks[8])(const struct config *);
    size_t nh = config_reload_prepare(cur, next, hooks, 8);
    cr_expect_eq(next->threads, 2, "threads keeps its running value");
    cr_expect_str_eq(next->listen, cur->listen, "listen keeps its running value");
    cr_expect_eq(next->read_timeout_ms, 300, "read_timeout_ms applies");
    cr_expect_eq(next->write_timeout_ms, 400);
    cr_expect_str_eq(next->seat, "s2", "seat applies");
    cr_expect_eq(nh, 2, "two hooks: the HTTP timeouts (once for both keys) and the log level");
    for (size_t i = 0; i < nh; i++) hooks[i](next);
    cr_expect_eq(hook_calls, 1, "the HTTP apply hook ran once");
    cr_expect_eq(config_log_level(next), LOG_DEBUG);
    config_set_http_apply(NULL);
    log_set_level(LOG_ERROR);
    config_free(cur);
    config_free(next);
}

Test(config_table, parse_is_pure_policy_is_a_load_step)
{
    char err[512] = "";
    struct config *c =
        parse("{\"policy\": \"/nonexistent-fairbid-dir/policy.json\", \"campaigns\": []}", err, sizeof err);
    cr_assert_not_null(c, "config_parse reads no file: %s", err);
    cr_expect_null(c->campaigns.policy, "no policy before the load step");
    cr_expect_neq(config_load_policy(c, err, sizeof err), 0,
                  "the load step reads the file, which is missing");
    cr_expect(strstr(err, "policy") != NULL, "%s", err);
    config_free(c);
    c = config_parse_load("t.json", "{\"campaigns\": []}", 17, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_not_null(c->campaigns.policy, "parse + load: the built-in policy");
    config_free(c);
}

Test(config_table, unknown_cap_key_is_an_error_naming_it)
{
    char err[512] = "";
    struct config *c =
        parse("{\"campaigns\": [{\"id\": \"c1\", \"crid\": \"r\", \"bid_cpm\": 1, \"adm\": \"x\",\n"
              " \"formats\": [{\"w\": 300, \"h\": 250}], \"cap\": {\"bid\": 10}}]}",
              err, sizeof err);
    cr_expect_null(c);
    cr_expect(strstr(err, "t.json:2: ") && strstr(err, "campaign \"c1\"") && strstr(err, "key \"cap.bid\""),
              "%s", err);
    config_free(c);
}

Test(config_table, instance_id_is_accepted_deprecated)
{
    log_set_level(LOG_ERROR);
    char err[512] = "";
    struct config *c = parse("{\"instance_id\": \"a\", \"campaigns\": []}", err, sizeof err);
    cr_expect_not_null(c, "a config with instance_id keeps loading: %s", err);
    const struct config_key *k = config_key_by_name("instance_id");
    cr_assert_not_null(k);
    cr_expect(k->deprecated);
    config_free(c);
}

Test(config_table, doc_update_replaces_only_the_generated_blocks)
{
    const char *b =
        "<!-- BEGIN GENERATED by `fairbid config-doc` from bidder/config/config_table.c: do not edit -->\n";
    const char *e = "<!-- END GENERATED -->\n";
    char doc[1024];
    snprintf(doc, sizeof doc, "# prose kept\n%sold\n%smiddle prose\n%sold2\n%send prose\n", b, e, b, e);
    char *out = NULL;
    cr_assert_eq(config_doc_update(doc, strlen(doc), &out), 0);
    cr_expect(strstr(out, "# prose kept\n") == out);
    cr_expect(strstr(out, "middle prose") && strstr(out, "end prose"));
    cr_expect(!strstr(out, "old\n") && !strstr(out, "old2"));
    cr_expect(strstr(out, "| `read_timeout_ms` | int | `5000` | 10..600000 | yes |"), "%s", out);
    cr_expect(strstr(out, "| `listen` | string | `127.0.0.1:8080` |  | restart |"));
    cr_expect(strstr(out, "| `targeting.near` |"));
    free(out);
    cr_expect_neq(config_doc_update("no markers", 10, &out), 0);
}

Test(reasons, every_reason_has_a_class)
{
    cr_expect_eq(reason_class(REASON_BID), REASON_CLASS_BID);
    cr_expect_eq(reason_class(REASON_AUCTION_LOST), REASON_CLASS_BID);
    cr_expect_eq(reason_class(REASON_CAP_EXHAUSTED), REASON_CLASS_FAIRNESS);
    cr_expect_eq(reason_class(REASON_FLOOR), REASON_CLASS_MATCH);
    cr_expect_eq(reason_class(REASON_INTERNAL_MEMORY), REASON_CLASS_INTERNAL);
    for (int r = 0; r < REASON__COUNT; r++) {
        int c = reason_class(r);
        cr_expect(c >= 0 && c < REASON_CLASS__COUNT, "%s", reason_name(r));
        const char *n = reason_name(r), *cn = reason_class_name(c);
        /* the class is the name's prefix where the prefix is a class */
        static const char *const prefixed[] = {"consent.",      "minor.",     "sensitive.",
                                               "exploit.",      "fairness.",  "match.",
                                               "jurisdiction.", "political.", "internal."};
        for (size_t p = 0; p < sizeof prefixed / sizeof prefixed[0]; p++)
            if (!strncmp(n, prefixed[p], strlen(prefixed[p])))
                cr_expect(!strncmp(n, cn, strlen(cn)), "%s is in class %s", n, cn);
        /* the audit keeps exactly the privacy and fairness drops it kept by prefix before */
        bool old = !strncmp(n, "consent.", 8) || !strncmp(n, "minor.", 6) || !strncmp(n, "sensitive.", 10) ||
                   !strncmp(n, "exploit.", 8) || !strncmp(n, "fairness.", 9) || !strncmp(n, "cap.", 4) ||
                   !strncmp(n, "budget.", 7) || !strncmp(n, "jurisdiction.", 13) ||
                   !strncmp(n, "political.", 10);
        cr_expect_eq(reason_class_audited(c), old, "%s: audited", n);
    }
    cr_expect_str_eq(reason_class_name(REASON_CLASS_CONSENT), "consent");
}
