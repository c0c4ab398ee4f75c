/* Unit tests for filters/sensitive (rules 1-3 and 5) through sensitive_check, against the committed
 * deploy/policy.json compiled by bidder/config/policy_load; consent states are built directly (stored
 * consents, GPP US National SensitiveDataProcessing, GDPR, DSA, minors), so every rule and its allow cases
 * are covered without the consent mirror. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/policy.h"
#include "filters/reasons.h"
#include "filters/sensitive.h"
#include "tests/unit/testutil.h"

/* Campaigns, in order (indexes used by the table below). */
static const char CAMPAIGNS[] =
    "{\"currency\":\"USD\",\"policy\":\"policy.json\",\"campaigns\":["
    /* 0 */ "{\"id\":\"ctx-health\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":"
    "\"x\","
    "\"targeting\":{\"site_cat\":[\"286\",\"301\"]}},"
    /* 1 */ "{\"id\":\"health-seg\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":"
    "\"x\","
    "\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"383\",\"5\"]}]}},"
    /* 2 */ "{\"id\":\"addiction-seg\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],"
    "\"adm\":\"x\","
    "\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"399\",\"5\"]}]}},"
    /* 3 */ "{\"id\":\"casino\",\"crid\":\"c\",\"cat\":[\"1362\"],\"cattax\":8,\"bid_cpm\":1,"
    "\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"x\"},"
    /* 4 */ "{\"id\":\"plain-seg\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":"
    "\"x\","
    "\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"5\",\"6\"]}]}},"
    /* 5 */ "{\"id\":\"religion-ct\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],"
    "\"adm\":\"x\","
    "\"targeting\":{\"segments\":[{\"segtax\":6,\"ids\":[\"459\"]},{\"segtax\":7,\"ids\":[\"v9i3On\",\"453\"]"
    "}]}},"
    /* 6 */ "{\"id\":\"politics\",\"crid\":\"c\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":"
    "\"x\","
    "\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"530\"]}]}}"
    "]}";

static struct config *cfg;

static void setup(void)
{
    char name[1024], err[512];
    snprintf(name, sizeof name, "%s/deploy/unit-test.json", tu_src_dir());
    cfg = config_parse_load(name, CAMPAIGNS, sizeof CAMPAIGNS - 1, NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_not_null(cfg->campaigns.policy);
}

static void teardown(void)
{
    config_free(cfg);
}

static char arena_mem[1 << 16];

static void parse_req(const char *json, struct ortb_request *req)
{
    struct arena a;
    arena_init(&a, arena_mem, sizeof arena_mem);
    struct ortb_error e;
    cr_assert_eq(ortb_parse(json, strlen(json), &a, req, &e), 0, "%s", e.msg);
}

/* A decoded GPP with a US National v1 section whose SensitiveDataProcessing[cat-1] = val. */
static void gpp_usnat(struct gpp *g, int cat, int val)
{
    memset(g, 0, sizeof *g);
    g->type = 3;
    g->version = 1;
    g->nsections = 1;
    g->section_ids[0] = GPP_SID_USNAT;
    g->kind[0] = GPP_KIND_US;
    g->nus = 1;
    struct gpp_us *u = &g->us[0];
    u->def = gpp_section_def(GPP_SID_USNAT, 1);
    cr_assert_not_null(u->def);
    int at = 0;
    for (unsigned f = 0; f < u->def->nfields; f++) {
        if (!strcmp(u->def->fields[f].name, "SensitiveDataProcessing")) break;
        at += u->def->fields[f].count;
    }
    u->i_sensitive = (int8_t)at;
    u->n_sensitive = 12;
    u->i_sale = u->i_sharing = u->i_targeted = u->i_known_child = -1;
    u->val[at + cat - 1] = (uint8_t)val;
    cr_assert_eq(gpp_sensitive(g, GPP_SID_USNAT, cat), val);
}

#define SEG(tax, ids) "{\"name\":\"prov-" #tax "\",\"ext\":{\"segtax\":" #tax "},\"segment\":[" ids "]}"
#define REQ(data)                                                                                            \
    "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"site\":{\"id\":\"s\","        \
    "\"cat\":["                                                                                              \
    "\"286\",\"301\"],\"content\":{\"cat\":[\"301\",\"453\"]}},\"user\":{\"data\":[" data "]}}"

enum { C_NONE, C_STORED_HEALTH, C_GPP_HEALTH, C_GPP_HEALTH_NO, C_STORED_RELIGION };

struct row {
    const char *name;
    int campaign;
    const char *req;
    int consent;
    bool gdpr, dsa, minor;
    int want;
    const char *detail; /* substring of the detail, or NULL */
};

static const struct row rows[] = {
    /* rule 5: page categories are context */
    {"contextual campaign on a health page bids", 0, REQ(""), C_NONE, false, false, false, REASON_BID, NULL},
    {"contextual on health page under GDPR bids", 0, REQ(""), C_NONE, true, true, false, REASON_BID, NULL},
    /* rule 1 */
    {"health segment, no consent", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_NONE, false, false, false,
     REASON_SENSITIVE_HEALTH, "health: segtax 4 id 383 (provider prov-4)"},
    {"health segment, stored consent, US adult", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_STORED_HEALTH, false,
     false, false, REASON_BID, NULL},
    {"health segment, GPP US National consent = 2", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_GPP_HEALTH, false,
     false, false, REASON_BID, NULL},
    {"health segment, GPP US National = 1 (no consent)", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_GPP_HEALTH_NO,
     false, false, false, REASON_SENSITIVE_HEALTH, NULL},
    {"health segment, stored consent, GDPR", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_STORED_HEALTH, true, false,
     false, REASON_SENSITIVE_HEALTH, "segtax 4 id 383"},
    {"health segment, stored consent, DSA", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_STORED_HEALTH, false, true,
     false, REASON_SENSITIVE_HEALTH, NULL},
    {"health segment, GPP consent, DSA", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_GPP_HEALTH, false, true, false,
     REASON_SENSITIVE_HEALTH, NULL},
    {"stored consent for another class does not count", 1, REQ(SEG(4, "{\"id\":\"383\"}")), C_STORED_RELIGION,
     false, false, false, REASON_SENSITIVE_HEALTH, NULL},
    {"matched on the plain segment only", 1, REQ(SEG(4, "{\"id\":\"5\"},{\"id\":\"384\"}")), C_NONE, false,
     false, false, REASON_BID, NULL},
    {"same id in another segtax does not match", 1, REQ(SEG(6, "{\"id\":\"383\"}")), C_NONE, false, false,
     false, REASON_BID, NULL},
    {"second provider carries it", 1,
     REQ(SEG(6, "{\"id\":\"1\"}") "," SEG(4, "{\"id\":\"5\"},{\"id\":\"383\"}")), C_NONE, false, false, false,
     REASON_SENSITIVE_HEALTH, "provider prov-4"},
    {"content taxonomy 2.2 religion segment", 5, REQ(SEG(6, "{\"id\":\"459\"}")), C_NONE, false, false, false,
     REASON_SENSITIVE_RELIGION, "religion: segtax 6 id 459"},
    {"content taxonomy 3.0 alphanumeric id is not sensitive by itself", 5, REQ(SEG(7, "{\"id\":\"v9i3On\"}")),
     C_NONE, false, false, false, REASON_BID, NULL},
    {"content taxonomy 3.0 religion", 5, REQ(SEG(7, "{\"id\":\"453\"}")), C_STORED_RELIGION, false, false,
     false, REASON_BID, NULL},
    {"politics has no GPP category: GPP consent does not help", 6, REQ(SEG(4, "{\"id\":\"530\"}")),
     C_GPP_HEALTH, false, false, false, REASON_SENSITIVE_POLITICS, NULL},
    /* rule 2 */
    {"addiction-targeting campaign, matched on the plain segment", 2, REQ(SEG(4, "{\"id\":\"5\"}")), C_NONE,
     false, false, false, REASON_EXPLOIT_VULNERABLE_TARGETING, "addiction: segtax 4 id 399"},
    {"addiction-targeting campaign with every consent", 2, REQ(SEG(4, "{\"id\":\"399\"}")), C_STORED_HEALTH,
     false, false, false, REASON_EXPLOIT_VULNERABLE_TARGETING, NULL},
    /* rule 3 */
    {"gambling ad to an adult", 3, REQ(SEG(4, "{\"id\":\"5\"}")), C_NONE, false, false, false, REASON_BID,
     NULL},
    {"gambling ad to a minor", 3, REQ(""), C_NONE, false, false, true, REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE,
     "gambling: cattax 8 id 1362 (to minor)"},
    {"gambling ad to a person with an addiction segment", 3, REQ(SEG(4, "{\"id\":\"5\"},{\"id\":\"399\"}")),
     C_NONE, false, false, false, REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE, "to addiction segtax 4 id 399"},
    {"gambling ad, vulnerability segment in content taxonomy 2.2", 3, REQ(SEG(6, "{\"id\":\"189\"}")), C_NONE,
     false, false, false, REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE, "crisis"},
    {"gambling ad on a health page, adult, no segments", 3, REQ(""), C_NONE, true, true, false, REASON_BID,
     NULL},
    /* ids read as the classification reads them (policy_id_canon): one rule for every comparison */
    {"health segment written 0383", 1, REQ(SEG(4, "{\"id\":\"0383\"}")), C_NONE, false, false, false,
     REASON_SENSITIVE_HEALTH, "segtax 4 id 383"},
    {"health segment written +383.0 with blanks", 1, REQ(SEG(4, "{\"id\":\" +383.0 \"}")), C_NONE, false,
     false, false, REASON_SENSITIVE_HEALTH, NULL},
    {"health segment written 3.83e2", 1, REQ(SEG(4, "{\"id\":\"3.83e2\"}")), C_NONE, false, false, false,
     REASON_SENSITIVE_HEALTH, NULL},
    {"content taxonomy 3.0 id in another case", 5, REQ(SEG(7, "{\"id\":\"V9I3ON\"}")), C_NONE, false, false,
     false, REASON_BID, NULL},
    {"gambling ad, addiction segment written 00399", 3, REQ(SEG(4, "{\"id\":\"00399\"}")), C_NONE, false,
     false, false, REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE, "to addiction segtax 4 id 399"},
    {"gambling ad, an Audience 1.1 id that is no integer may be any segment", 3,
     REQ(SEG(4, "{\"id\":\"5\"},{\"id\":\"399abc\"}")), C_NONE, false, false, false,
     REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE, "unreadable segment id, segtax 4 id 399abc"},
    {"gambling ad, a fraction in Audience 1.1", 3, REQ(SEG(4, "{\"id\":\"399.5\"}")), C_NONE, false, false,
     false, REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE, "unreadable"},
    {"gambling ad, an odd id in a taxonomy the policy does not classify", 3,
     REQ(SEG(5, "{\"id\":\"399.5\"}")), C_NONE, false, false, false, REASON_BID, NULL},
    /* no class at all */
    {"plain segment campaign", 4, REQ(SEG(4, "{\"id\":\"5\"},{\"id\":\"383\"},{\"id\":\"399\"}")), C_NONE,
     false, false, true, REASON_BID, NULL},
};

static void run_row(const struct row *r)
{
    struct ortb_request req;
    parse_req(r->req, &req);
    struct consent_stored st = {0};
    struct gpp g;
    struct consent_state cst = {.block_all = -1, .block_personal = -1};
    cst.gdpr_applies = r->gdpr;
    cst.dsa = r->dsa;
    cst.minor = r->minor;
    if (r->consent == C_STORED_HEALTH) st.sensitive_mask = CLASS_BIT(CLASS_HEALTH);
    if (r->consent == C_STORED_RELIGION) st.sensitive_mask = CLASS_BIT(CLASS_RELIGION);
    if (r->consent == C_STORED_HEALTH || r->consent == C_STORED_RELIGION) cst.stored = &st;
    if (r->consent == C_GPP_HEALTH || r->consent == C_GPP_HEALTH_NO) {
        gpp_usnat(&g, 3, r->consent == C_GPP_HEALTH ? 2 : 1);
        cst.gpp = &g;
    }
    struct sv arg = SV_NULL;
    int64_t num = 0;
    const struct campaign *c = &cfg->campaigns.v[r->campaign];
    int got = sensitive_check(&cfg->campaigns, c, &req, &cst, &arg, &num);
    cr_expect_eq(got, r->want, "%s: got %s want %s (%.*s)", r->name, reason_name(got), reason_name(r->want),
                 SV_FMT(arg));
    if (r->detail) {
        char d[256];
        snprintf(d, sizeof d, "%.*s", SV_FMT(arg));
        cr_expect(strstr(d, r->detail) != NULL, "%s: detail \"%s\" lacks \"%s\"", r->name, d, r->detail);
    }
    /* decide()'s path (the request's segments packed once) gives the same verdict and detail */
    static _Alignas(16) char mem[1 << 16];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct sensitive_req *sp = sensitive_prepare(&cfg->campaigns, &req, &a);
    cr_assert_not_null(sp);
    struct sv parg = SV_NULL;
    int pgot = sensitive_check_prepared(&cfg->campaigns, c, &req, &cst, sp, &parg, &num);
    cr_expect_eq(pgot, got, "%s: prepared %s, unprepared %s", r->name, reason_name(pgot), reason_name(got));
    cr_expect(sv_eq(parg, arg), "%s: prepared detail \"%.*s\", unprepared \"%.*s\"", r->name, SV_FMT(parg),
              SV_FMT(arg));
}

Test(sensitive, rules, .init = setup, .fini = teardown)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) run_row(&rows[i]);
}

Test(sensitive, campaign_classes_filled_at_load, .init = setup, .fini = teardown)
{
    const struct campaign *v = cfg->campaigns.v;
    cr_expect_eq(v[0].seg_classes, 0u);
    cr_expect_eq(v[1].seg_classes, CLASS_BIT(CLASS_HEALTH));
    cr_expect(v[2].seg_classes & CLASS_BIT(CLASS_ADDICTION));
    cr_expect_eq(v[3].ad_classes, CLASS_BIT(CLASS_GAMBLING));
    cr_expect_eq(v[4].seg_classes | v[4].ad_classes, 0u);
}

/* A one-campaign config (top: its extra top-level keys) whose campaign targets Audience 399 (segtax 4). */
static struct config *config_399(const char *top)
{
    static char text[512];
    int n = snprintf(text, sizeof text,
                     "{\"currency\":\"USD\",%s\"campaigns\":[{\"id\":\"a\",\"crid\":\"c\",\"bid_cpm\":1,"
                     "\"formats\":[{\"w\":1,\"h\":1}],\"adm\":\"x\",\"targeting\":{\"segments\":[{"
                     "\"segtax\":4,\"ids\":[\"399\"]}]}}]}",
                     top);
    char err[256];
    struct config *c = config_parse_load("x.json", text, (size_t)n, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    return c;
}

/* sensitive_check of c's campaign on a minor's request with Audience 399 */
static int check_minor_399(const struct config *c)
{
    struct ortb_request req;
    parse_req(REQ(SEG(4, "{\"id\":\"399\"}")), &req);
    struct consent_state cst = {.block_all = -1, .block_personal = -1, .minor = true};
    struct sv arg = SV_NULL;
    int64_t num = 0;
    return sensitive_check(&c->campaigns, &c->campaigns.v[0], &req, &cst, &arg, &num);
}

Test(sensitive, policy_none_checks_nothing)
{
    struct config *c = config_399("\"policy\":\"none\",");
    cr_expect_null(c->campaigns.policy);
    cr_expect_eq(check_minor_399(c), REASON_BID);
    config_free(c);
}

/* issue 12: a config without a `policy` key is protected by the built-in policy */
Test(sensitive, no_policy_key_applies_the_builtin_policy)
{
    struct config *c = config_399("");
    cr_assert_not_null(c->campaigns.policy);
    cr_expect_eq(check_minor_399(c), REASON_EXPLOIT_VULNERABLE_TARGETING,
                 "Audience 399 is addiction in the bundled policy");
    config_free(c);
}

Test(sensitive, detail_parse)
{
    struct sv cls;
    char id[32];
    cr_assert(sensitive_detail_parse(SV_LIT("health: segtax 4 id 383 (provider x)"), &cls, id, sizeof id));
    cr_expect(sv_eq_cstr(cls, "health"));
    cr_expect_str_eq(id, "4:383");
    cr_assert(sensitive_detail_parse(SV_LIT("gambling: cattax 8 id 1362 (to minor)"), &cls, id, sizeof id));
    cr_expect_str_eq(id, "8:1362");
    cr_expect_not(sensitive_detail_parse(SV_LIT("stored minor = 1"), &cls, id, sizeof id));
    cr_expect_not(sensitive_detail_parse(SV_LIT("health: segtax 4 id 383"), &cls, id, 4));
}
