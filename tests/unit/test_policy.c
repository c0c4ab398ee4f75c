/* Unit tests for filters/policy (keys, tables) and bidder/config/policy_load (file, key and id named in every
 * error; special-category rule 4; the committed deploy/policy.json). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bidder/config/config.h"
#include "filters/policy.h"
#include "tests/unit/testutil.h"

Test(policy, keys)
{
    cr_expect_eq(policy_key(4, SV_LIT("")), 0u);
    cr_expect_eq(policy_key(0, SV_LIT("1")), 0u);
    cr_expect_eq(policy_key(256, SV_LIT("1")), 0u);
    cr_expect_eq(policy_key(4, SV_LIT("12345678")), 0u);
    cr_expect_neq(policy_key(4, SV_LIT("1234567")), 0u);
    cr_expect_neq(policy_key(4, SV_LIT("588")), policy_key(6, SV_LIT("588")));
    cr_expect_neq(policy_key(4, SV_LIT("58")), policy_key(4, SV_LIT("588")));
    char id[8];
    cr_expect_eq(policy_key_id(policy_key(7, SV_LIT("v9i3On")), id), 6u);
    cr_expect_str_eq(id, "V9I3ON", "letters are compared case-insensitively (policy_id_canon)");
}

Test(policy, table_put_get_and_capacity)
{
    static struct policy_entry slots[16];
    struct policy_table t;
    policy_table_init(&t, slots, 16);
    for (int i = 0; i < 8; i++) {
        char s[8];
        int n = snprintf(s, sizeof s, "%d", i * 37);
        cr_assert_eq(policy_table_put(&t, policy_key(4, (struct sv){s, (size_t)n}), 1u << i, 0), 0);
    }
    cr_expect_eq(policy_table_put(&t, policy_key(4, SV_LIT("x")), 1, 0), -1, "load kept at 1/2");
    cr_expect_eq(policy_table_put(&t, policy_key(4, SV_LIT("37")), 1u << 20, 1), 0, "existing key merges");
    const struct policy_entry *e = policy_table_get(&t, policy_key(4, SV_LIT("37")));
    cr_assert_not_null(e);
    cr_expect_eq(e->classes, (1u << 1) | (1u << 20));
    cr_expect_eq(e->flags, 1u);
    cr_expect_null(policy_table_get(&t, policy_key(4, SV_LIT("38"))));
    cr_expect_null(policy_table_get(&t, 0));
    cr_expect_eq(policy_table_put(&t, 0, 1, 0), -1);
}

static char dir[] = "/tmp/fairbid-test-policy-XXXXXX";

static void mkdir_once(void)
{
    static bool done;
    if (!done) cr_assert_not_null(mkdtemp(dir));
    done = true;
}

static struct config *load(const char *policy, const char *campaigns, char *err, size_t errlen)
{
    mkdir_once();
    char path[256], cfgtext[8192];
    snprintf(path, sizeof path, "%s/p.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(policy, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/c.json", dir);
    int n = snprintf(cfgtext, sizeof cfgtext,
                     "{\"currency\":\"USD\",\"policy\":\"p.json\",\"win_url\":\"https://w.example/win\","
                     "\"campaigns\":[%s]}",
                     campaigns);
    return config_parse_load(path, cfgtext, (size_t)n, NULL, err, errlen);
}

#define OKPOL                                                                                                \
    "{\"segments\":[{\"segtax\":4,\"classes\":{\"health\":[\"383\"],\"addiction\":[\"399\"]},"               \
    "\"demographic\":[\"3\",\"49\",\"59\"]}],\"ad_categories\":[{\"cattax\":8,\"classes\":{\"gambling\":["   \
    "\"1361\"]}}],\"gpp_usnat_sensitive\":{\"health\":3}}"
#define CAMP(extra)                                                                                          \
    "{\"id\":\"cmp1\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":1,\"h\":1}],\"adm\":\"x\"" extra "}"

struct bad {
    const char *policy, *campaigns;
    const char *want[3]; /* substrings of the error */
};

static const struct bad bads[] = {
    {"{\"segments\":[{\"segtax\":4,\"classes\":{\"healthy\":[\"1\"]}}]}",
     CAMP(""),
     {"p.json:1", "segments[0].classes.healthy", "unknown class"}},
    {"{\"segments\":[{\"segtax\":4,\"classes\":{\"health\":[\"1\",\"58 8\"]}}]}",
     CAMP(""),
     {"p.json", "segments[0].classes.health", "id \"58 8\""}},
    {"{\"segments\":[{\"segtax\":4,\"classes\":{\"health\":[\"12345678\"]}}]}",
     CAMP(""),
     {"p.json", "id \"12345678\"", NULL}},
    {"{\"segments\":[{\"classes\":{\"health\":[\"1\"]}}]}", CAMP(""), {"p.json", "segments[0].segtax", NULL}},
    {"{\"segments\":[{\"segtax\":4,\"classes\":{\"gambling\":[\"1\"]}}]}",
     CAMP(""),
     {"segments[0].classes.gambling", "sensitive or vulnerability", NULL}},
    {"{\"segments\":[],\"ad_categories\":[{\"cattax\":8,\"classes\":{\"health\":[\"1\"]}}]}",
     CAMP(""),
     {"ad_categories[0].classes.health", "high-risk", NULL}},
    {"{\"segments\":[],\"gpp_usnat_sensitive\":{\"health\":17}}",
     CAMP(""),
     {"gpp_usnat_sensitive.health", NULL}},
    {"{\"ad_categories\":[]}", CAMP(""), {"p.json", "\"segments\"", "required"}},
    {"{\"segments\":[", CAMP(""), {"p.json", NULL}},
    {"[]", CAMP(""), {"p.json", "JSON object", NULL}},
    /* rule 4 */
    {OKPOL,
     CAMP(",\"special_category\":\"housing\",\"targeting\":{\"age\":{\"min\":25,\"max\":40}}"),
     {"c.json", "campaign \"cmp1\"", "targeting.age"}},
    {OKPOL,
     CAMP(",\"special_category\":\"employment\",\"targeting\":{\"gender\":[\"F\"]}"),
     {"c.json", "campaign \"cmp1\"", "targeting.gender"}},
    {OKPOL,
     CAMP(",\"special_category\":\"credit\",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"569\","
          "\"383\"]}]}"),
     {"campaign \"cmp1\"", "targeting.segments", "id \"383\" (health)"}},
    {OKPOL,
     CAMP(",\"special_category\":\"credit\",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"49\"]}]}"),
     {"campaign \"cmp1\"", "targeting.segments", "demographic"}},
    {OKPOL,
     CAMP(",\"special_category\":\"credit\",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"59\"]}]}"),
     {"campaign \"cmp1\"", "postal code", NULL}},
};

Test(policy_load, bad_policies_name_file_key_and_id)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char err[512] = "";
        struct config *c = load(bads[i].policy, bads[i].campaigns, err, sizeof err);
        cr_expect_null(c, "case %zu accepted", i);
        config_free(c);
        for (int k = 0; k < 3 && bads[i].want[k]; k++)
            cr_expect(strstr(err, bads[i].want[k]) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err,
                      bads[i].want[k]);
    }
}

Test(policy_load, good_policy_and_special_category_allowed_cases)
{
    char err[512] = "";
    /* a credit campaign may target non-sensitive segments and countries (not 7, an age range: the built-in
     * policy's demographic nodes are checked whatever the file says) */
    struct config *c = load(
        OKPOL,
        CAMP(",\"special_category\":\"credit\",\"cat\":[\"1361\"],\"targeting\":{\"segments\":[{"
             "\"segtax\":4,\"ids\":[\"569\"]}],\"countries\":[\"USA\"]}") ","
                                                                          "{\"id\":\"cmp2\",\"crid\":\"c\","
                                                                          "\"bid_cpm\":1,\"formats\":[{\"w\":"
                                                                          "1,"
                                                                          "\"h\":1}],\"adm\":"
                                                                          "\"x\",\"targeting\":{\"segments\":"
                                                                          "[{"
                                                                          "\"segtax\":4,\"ids\":[\"399\","
                                                                          "\"383\"]}]}}",
        err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    const struct policy *p = c->campaigns.policy;
    cr_assert_not_null(p);
    cr_expect_eq(c->campaigns.v[0].ad_classes, CLASS_BIT(CLASS_GAMBLING));
    cr_expect_eq(c->campaigns.v[0].seg_classes, 0u);
    cr_expect_eq(c->campaigns.v[1].seg_classes, CLASS_BIT(CLASS_HEALTH) | CLASS_BIT(CLASS_ADDICTION));
    cr_expect_eq(p->camp[1].nkeys, 2u);
    cr_expect(p->camp[1].keys[0].key < p->camp[1].keys[1].key, "sorted");
    cr_expect_eq(p->gpp_usnat[CLASS_HEALTH], 3);
    cr_expect_eq(policy_segment_classes(p, 4, SV_LIT("383")), CLASS_BIT(CLASS_HEALTH));
    cr_expect_eq(policy_segment_classes(p, 4, SV_LIT("3")), 0u, "demographic nodes carry no class");
    cr_expect_eq(policy_cat_classes(p, 8, SV_LIT("1361")), CLASS_BIT(CLASS_GAMBLING));
    cr_expect_eq(policy_cat_classes(p, 7, SV_LIT("1361")), 0u);
    config_free(c);
}

Test(policy_load, missing_file_is_an_error_empty_key_loads_builtin_none_loads_none)
{
    char err[512] = "";
    static const char text[] = "{\"currency\":\"USD\",\"policy\":\"nope.json\",\"campaigns\":[]}";
    struct config *c = config_parse_load("/tmp/x/c.json", text, sizeof text - 1, NULL, err, sizeof err);
    cr_expect_null(c);
    cr_expect(strstr(err, "/tmp/x/nope.json") != NULL, "%s", err);
    /* an empty path is not a way to switch the policy off: it is the built-in one */
    static const char empty[] = "{\"currency\":\"USD\",\"policy\":\"\",\"campaigns\":[]}";
    c = config_parse_load("/tmp/x/c.json", empty, sizeof empty - 1, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_not_null(c->campaigns.policy);
    cr_expect_eq(c->policy_source, CONFIG_POLICY_BUILTIN);
    config_free(c);
    static const char none[] = "{\"currency\":\"USD\",\"policy\":\"none\",\"campaigns\":[]}";
    c = config_parse_load("/tmp/x/c.json", none, sizeof none - 1, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_null(c->campaigns.policy);
    cr_expect_eq(c->policy_source, CONFIG_POLICY_NONE);
    config_free(c);
}

Test(policy_load, committed_policy_loads)
{
    const char *d = tu_src_dir();
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/deploy/fairbid.json", d);
    struct config *c = config_load(path, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    const struct policy *p = c->campaigns.policy;
    cr_assert_not_null(p);
    cr_expect(p->seg.n > 300);
    cr_expect(policy_segment_classes(p, 6, SV_LIT("301")) & CLASS_BIT(CLASS_HEALTH), "CT 2.2 Mental Health");
    cr_expect(policy_segment_classes(p, 7, SV_LIT("453")) & CLASS_BIT(CLASS_RELIGION));
    cr_expect(policy_segment_classes(p, 4, SV_LIT("356")) & CLASS_BIT(CLASS_MINOR), "Parenting Teens");
    cr_expect_eq(policy_segment_classes(p, 6, SV_LIT("549")), 0u, "Bodybuilding: 2.2 SCD flag excluded");
    cr_expect_eq(policy_cat_classes(p, 8, SV_LIT("1366")), CLASS_BIT(CLASS_GAMBLING), "Sports Betting");
    cr_expect_eq(policy_cat_classes(p, 8, SV_LIT("1548")), CLASS_BIT(CLASS_TOBACCO), "Vaping");
    config_free(c);
}

/* Taxonomy ids as the classification reads them: every spelling of an integer is that integer; letters are
 * compared case-insensitively; anything else is not an id. */
Test(policy, id_canon)
{
    static const struct {
        const char *in;
        int rc;
        const char *out;
    } v[] = {
        {"399", POLICY_ID_OK, "399"},
        {"0399", POLICY_ID_OK, "399"},
        {" 399", POLICY_ID_OK, "399"},
        {"399 ", POLICY_ID_OK, "399"},
        {"\t399\n", POLICY_ID_OK, "399"},
        {"+399", POLICY_ID_OK, "399"},
        {"399.0", POLICY_ID_OK, "399"},
        {"399.", POLICY_ID_OK, "399"},
        {"3.99e2", POLICY_ID_OK, "399"},
        {"3990E-1", POLICY_ID_OK, "399"},
        {"0.399e3", POLICY_ID_OK, "399"},
        {"39900e-2", POLICY_ID_OK, "399"},
        {"000", POLICY_ID_OK, "0"},
        {"-0", POLICY_ID_OK, "0"},
        {"1e3", POLICY_ID_OK, "1000"},
        {"v9i3On", POLICY_ID_OK, "V9I3ON"},
        {"IAB7-39", POLICY_ID_OK, "IAB7-39"},
        {"a_b", POLICY_ID_OK, "A_B"},
        {"12345678", POLICY_ID_LONG, NULL},
        {"ABCDEFGH", POLICY_ID_LONG, NULL},
        {"", POLICY_ID_BAD, NULL},
        {"  ", POLICY_ID_BAD, NULL},
        {"-399", POLICY_ID_BAD, NULL},
        {"399.5", POLICY_ID_BAD, NULL},
        {"3.995e2", POLICY_ID_BAD, NULL},
        {"0.5", POLICY_ID_BAD, NULL},
        {"3 99", POLICY_ID_BAD, NULL},
        {"399!", POLICY_ID_BAD, NULL},
        {"1e400", POLICY_ID_BAD, NULL},
        {"39\xc2\xa0", POLICY_ID_BAD, NULL},
        {".", POLICY_ID_BAD, NULL},
        {"+", POLICY_ID_BAD, NULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[POLICY_ID_MAX];
        size_t n;
        int rc = policy_id_canon(sv_from(v[i].in), out, sizeof out, &n);
        cr_expect_eq(rc, v[i].rc, "\"%s\": rc %d, want %d", v[i].in, rc, v[i].rc);
        if (v[i].out && rc == POLICY_ID_OK)
            cr_expect(n == strlen(v[i].out) && !memcmp(out, v[i].out, n), "\"%s\": \"%.*s\", want \"%s\"",
                      v[i].in, (int)n, out, v[i].out);
    }
    char out[POLICY_ID_MAX];
    size_t n;
    cr_expect_eq(policy_id_canon((struct sv){"39\0"
                                             "9",
                                             4},
                                 out, sizeof out, &n),
                 POLICY_ID_BAD, "a NUL inside");
    cr_expect_eq(policy_key(4, SV_LIT(" 0399 ")), policy_key(4, SV_LIT("399")));
    cr_expect_eq(policy_key(4, SV_LIT("399.5")), 0u);
    cr_expect(policy_id_eq(SV_LIT("IAB7-39"), SV_LIT("iab7-39 ")));
    cr_expect(!policy_id_eq(SV_LIT("399"), SV_LIT("3990")));
    cr_expect(!policy_id_eq(SV_LIT("x y"), SV_LIT("x  y")), "two non-ids are the same only byte for byte");
}

/* In a taxonomy the policy classifies, what cannot be read as one of its ids is every class it could be; in
 * one it does not, nothing. */
Test(policy, unreadable_ids_fail_toward_privacy)
{
    static struct policy_entry slots[64];
    static struct policy p;
    policy_table_init(&p.seg, slots, 64);
    cr_assert_eq(policy_table_put(&p.seg, policy_key(4, SV_LIT("399")), CLASS_BIT(CLASS_ADDICTION), 0), 0);
    cr_assert_eq(policy_table_put(&p.seg, policy_key(4, SV_LIT("3")), 0, POLICY_F_DEMOGRAPHIC), 0);
    cr_assert_eq(policy_table_put(&p.seg, policy_key(7, SV_LIT("Rm3SiT")), CLASS_BIT(CLASS_SEXUALITY), 0), 0);
    uint32_t all = class_mask_sensitive | class_mask_vulnerability;
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("0399")), CLASS_BIT(CLASS_ADDICTION));
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("3")), 0u);
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("12")), 0u, "an integer not in the policy");
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("399.5")), POLICY_UNREADABLE | all);
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("399abc")), POLICY_UNREADABLE | all,
                 "Audience 1.1 has integer ids only");
    cr_expect_eq(policy_segment_classes(&p, 4, SV_NULL), POLICY_UNREADABLE | all);
    cr_expect_eq(policy_segment_classes(&p, 7, SV_LIT("rm3sit")), CLASS_BIT(CLASS_SEXUALITY));
    cr_expect_eq(policy_segment_classes(&p, 7, SV_LIT("ABC123")), 0u, "taxonomy 7 has alphanumeric ids");
    cr_expect_eq(policy_segment_classes(&p, 7, SV_LIT("rm3 sit")), POLICY_UNREADABLE | all);
    cr_assert_eq(policy_table_put(&p.seg, policy_key(7, SV_LIT("399")), CLASS_BIT(CLASS_CRISIS), 0), 0);
    cr_expect_eq(policy_segment_classes(&p, 7, SV_LIT("399ab")), CLASS_BIT(CLASS_CRISIS),
                 "parseInt's reading");
    cr_expect_eq(policy_segment_classes(&p, 7, SV_LIT("0x18F")), CLASS_BIT(CLASS_CRISIS),
                 "Number()'s reading");
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("0x18F")), POLICY_UNREADABLE | all);
    cr_expect_eq(policy_segment_classes(&p, 5, SV_LIT("399.5")), 0u, "taxonomy 5 is not classified");
    cr_expect_eq(policy_segment_classes(&p, 4, SV_LIT("399")) & POLICY_UNREADABLE, 0u);
}
