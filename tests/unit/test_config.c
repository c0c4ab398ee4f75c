/* Unit tests for bidder/config: every validation error names the file and line, the campaign and the key (a
 * table of broken configs with the message parts each must contain); valid configs compile into the campaign
 * set decide() reads; defaults, overrides, the bundled deploy/fairbid.json; every prefix of a config fails
 * cleanly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "bidder/config/policy_load.h"
#include "filters/classes.h"
#include "filters/policy.h"
#include "tests/unit/testutil.h"

static struct config *parse_q(const char *q, char *err, size_t errlen)
{
    static char text[1 << 16];
    size_t n = tu_unquote(q, text, sizeof text);
    err[0] = '\0';
    return config_parse_load("t.json", text, n, NULL, err, errlen);
}

/* Campaigns start on line 4. */
#define CFG(campaign_lines) "{\n  'currency': 'USD',\n  'campaigns': [\n" campaign_lines "  ]\n}\n"
#define CFG_G(global, campaign_lines) "{\n  " global ",\n  'campaigns': [\n" campaign_lines "  ]\n}\n"
#define GOOD(id) "    {'id':'" id "','crid':'r','bid_cpm':1,'formats':[{'w':300,'h':250}],'adm':'x'}"
#define C(body) "    {" body "}\n"
#define BASE "'crid':'r','bid_cpm':1,'formats':[{'w':300,'h':250}],'adm':'x'"

struct ecase {
    const char *name;
    const char *text;
    const char *parts[4]; /* substrings the message must contain, in order; the first is "t.json:LINE:" */
};

static const struct ecase ecases[] = {
    /* campaigns */
    {"missing id", CFG(C(BASE)), {"t.json:4: ", "campaign \"#1\"", "key \"id\""}},
    {"empty id", CFG(C("'id':''," BASE)), {"t.json:4: ", "campaign \"", "key \"id\""}},
    {"id not a string", CFG(C("'id':7," BASE)), {"t.json:4: ", "campaign \"#1\"", "key \"id\""}},
    {"duplicate id",
     CFG(GOOD("c1") ",\n" GOOD("c2") ",\n" GOOD("c1") "\n"),
     {"t.json:6: ", "campaign \"c1\"", "key \"id\"", "duplicate"}},
    {"bid_cpm 0",
     CFG(C("'id':'c1','crid':'r','bid_cpm':0,'formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm negative",
     CFG(C("'id':'c1','crid':'r','bid_cpm':-2.5,'formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm a string",
     CFG(C("'id':'c1','crid':'r','bid_cpm':'2.5','formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm too high",
     CFG(C("'id':'c1','crid':'r','bid_cpm':2e6,'formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm 1e999",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1e999,'formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm missing",
     CFG(C("'id':'c1','crid':'r','formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"bid_cpm on its own line",
     CFG("    {'id':'c1',\n     'crid':'r',\n     'bid_cpm': 0,\n     "
         "'formats':[{'w':1,'h':1}],'adm':'x'}\n"),
     {"t.json:6: ", "campaign \"c1\"", "key \"bid_cpm\""}},
    {"formats empty",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'formats':[],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"formats\""}},
    {"formats missing",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"formats\""}},
    {"format without h",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'formats':[{'w':300}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"formats\""}},
    {"format w 0",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'formats':[{'w':0,'h':250}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"formats.w\""}},
    {"formats an object",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'formats':{'w':1,'h':1},'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"formats\""}},
    {"bad gender",
     CFG(C("'id':'c1'," BASE ",'targeting':{'gender':['F','X']}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.gender\""}},
    {"gender lower case",
     CFG(C("'id':'c1'," BASE ",'targeting':{'gender':['m']}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.gender\""}},
    {"country alpha-2",
     CFG(C("'id':'c1'," BASE ",'targeting':{'countries':['USA','DE']}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.countries\""}},
    {"country alpha-4",
     CFG(C("'id':'c1'," BASE ",'targeting':{'countries':['DEUT']}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.countries\""}},
    {"country empty",
     CFG(C("'id':'c1'," BASE ",'targeting':{'countries':['']}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.countries\""}},
    {"age min > max",
     CFG(C("'id':'c1'," BASE ",'targeting':{'age':{'min':60,'max':30}}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.age\""}},
    {"age min negative",
     CFG(C("'id':'c1'," BASE ",'targeting':{'age':{'min':-1,'max':30}}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.age.min\""}},
    {"age a number",
     CFG(C("'id':'c1'," BASE ",'targeting':{'age':30}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.age\""}},
    {"segments without segtax",
     CFG(C("'id':'c1'," BASE ",'targeting':{'segments':[{'ids':['1']}]}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.segments.segtax\""}},
    {"segments without ids",
     CFG(C("'id':'c1'," BASE ",'targeting':{'segments':[{'segtax':4,'ids':[]}]}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.segments.ids\""}},
    {"site_cat a string",
     CFG(C("'id':'c1'," BASE ",'targeting':{'site_cat':'IAB1'}")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting.site_cat\""}},
    {"targeting a string",
     CFG(C("'id':'c1'," BASE ",'targeting':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"targeting\""}},
    {"crid missing",
     CFG(C("'id':'c1','bid_cpm':1,'formats':[{'w':1,'h':1}],'adm':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"crid\""}},
    {"neither adm nor nurl",
     CFG(C("'id':'c1','crid':'r','bid_cpm':1,'formats':[{'w':1,'h':1}]")),
     {"t.json:4: ", "campaign \"c1\"", "key \"adm\""}},
    {"cat a string",
     CFG(C("'id':'c1'," BASE ",'cat':'1002'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"cat\""}},
    {"empty adomain entry",
     CFG(C("'id':'c1'," BASE ",'adomain':['']")),
     {"t.json:4: ", "campaign \"c1\"", "key \"adomain\""}},
    {"cattax 0",
     CFG(C("'id':'c1'," BASE ",'cattax':0")),
     {"t.json:4: ", "campaign \"c1\"", "key \"cattax\""}},
    {"unknown special_category",
     CFG(C("'id':'c1'," BASE ",'special_category':'politics'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"special_category\""}},
    {"fairness a string",
     CFG(C("'id':'c1'," BASE ",'fairness':'x'")),
     {"t.json:4: ", "campaign \"c1\"", "key \"fairness\""}},
    {"third campaign broken",
     CFG(GOOD("a") ",\n" GOOD("b") ",\n" C("'id':'c'," BASE ",'targeting':{'gender':['Q']}")),
     {"t.json:6: ", "campaign \"c\"", "key \"targeting.gender\""}},
    {"campaign not an object", CFG(GOOD("a") ",\n    7\n"), {"t.json:5: ", "campaigns[1]"}},
    {"campaigns missing", "{\n  'threads': 1\n}\n", {"t.json:", "key \"campaigns\""}},
    {"campaigns an object", "{\n  'campaigns': {}\n}\n", {"t.json:2: ", "key \"campaigns\""}},

    /* global settings */
    {"unknown no_bid", CFG_G("'no_bid': '205'", GOOD("a") "\n"), {"t.json:2: ", "key \"no_bid\""}},
    {"no_bid 201", CFG_G("'no_bid': 201", GOOD("a") "\n"), {"t.json:2: ", "key \"no_bid\""}},
    {"no_bid true", CFG_G("'no_bid': true", GOOD("a") "\n"), {"t.json:2: ", "key \"no_bid\""}},
    {"threads too many", CFG_G("'threads': 300", GOOD("a") "\n"), {"t.json:2: ", "key \"threads\"", "300"}},
    {"threads negative", CFG_G("'threads': -1", GOOD("a") "\n"), {"t.json:2: ", "key \"threads\"", "-1"}},
    {"threads a string", CFG_G("'threads': '2'", GOOD("a") "\n"), {"t.json:2: ", "key \"threads\""}},
    {"threads a fraction", CFG_G("'threads': 1.5", GOOD("a") "\n"), {"t.json:2: ", "key \"threads\""}},
    {"tcf_vendor_id out of range",
     CFG_G("'tcf_vendor_id': 70000", GOOD("a") "\n"),
     {"t.json:2: ", "key \"tcf_vendor_id\""}},
    {"max_body too small", CFG_G("'max_body': 100", GOOD("a") "\n"), {"t.json:2: ", "key \"max_body\""}},
    {"tcf_strict a string",
     CFG_G("'tcf_strict': 'yes'", GOOD("a") "\n"),
     {"t.json:2: ", "key \"tcf_strict\""}},
    {"tcf_mode unknown", CFG_G("'tcf_mode': 'loose'", GOOD("a") "\n"), {"t.json:2: ", "key \"tcf_mode\""}},
    {"no_bid_nbr too big", CFG_G("'no_bid_nbr': 2000", GOOD("a") "\n"), {"t.json:2: ", "key \"no_bid_nbr\""}},
    {"currency not 3 letters",
     CFG_G("'currency': 'US'", GOOD("a") "\n"),
     {"t.json:", "key \"currency\"", "US"}},
    {"listen too long",
     CFG_G("'listen': "
           "'127.0.0.1:8080-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
           GOOD("a") "\n"),
     {"t.json:2: ", "key \"listen\""}},
    {"listen a number", CFG_G("'listen': 8080", GOOD("a") "\n"), {"t.json:2: ", "key \"listen\""}},

    /* the file itself */
    {"root an array", "[]", {"t.json:1: ", "JSON object"}},
    {"root a string on line 3", "\n\n  'x'", {"t.json:3: ", "JSON object"}},
    {"empty file", "", {"t.json:1: "}},
    {"syntax error on line 5",
     "{\n  'currency': 'USD',\n  'campaigns': [\n" GOOD("a") ",\n    {'id' 'b'}\n  ]\n}\n",
     {"t.json:5: "}},
    {"trailing comma before the ] on line 5",
     "{\n  'currency': 'USD',\n  'campaigns': [\n" GOOD("a") ",\n  ]\n}\n",
     {"t.json:5: "}},
    {"garbage after the root on line 7", CFG(GOOD("a") "\n") "x\n", {"t.json:7: "}},
    {"invalid UTF-8 on line 4", CFG(C("'id':'c\xc0\x80'," BASE)), {"t.json:4: "}},
    {"missing comma between settings", "{\n  'threads': 2\n  'campaigns': []\n}\n", {"t.json:3: "}},
    /* special categories (rule 4), whatever the policy source: the line is the offending key's or id's */
    {"housing targets gender (built-in policy)",
     CFG("    {'id':'h1'," BASE ",'nurl':'n',\n     'special_category':'housing',\n"
         "     'targeting':{'gender':['F']}}\n"),
     {"t.json:6: ", "campaign \"h1\"", "key \"targeting.gender\"", "housing"}},
    {"housing targets gender (policy none)",
     CFG_G("'policy': 'none'", "    {'id':'h1'," BASE ",'nurl':'n','special_category':'housing',\n"
                               "     'targeting':{'gender':['M','F']}}\n"),
     {"t.json:5: ", "campaign \"h1\"", "key \"targeting.gender\"", "housing"}},
    {"employment targets age (policy none)",
     CFG_G("'policy': 'none'",
           "    {'id':'e1'," BASE ",'nurl':'n',\n     'targeting':{'age':{'min':18,'max':40}},\n"
           "     'special_category':'employment'}\n"),
     {"t.json:5: ", "campaign \"e1\"", "key \"targeting.age\"", "employment"}},
    {"credit targets an age segment (policy none)",
     CFG_G("'policy': 'none'", "    {'id':'k1'," BASE ",'nurl':'n','special_category':'credit','targeting':\n"
                               "     {'segments':[{'segtax':4,'ids':['569',\n '49']}]}}\n"),
     {"t.json:6: ", "campaign \"k1\"", "key \"targeting.segments\"", "id \"49\""}},
    {"credit targets a postal-code segment (built-in)",
     CFG("    {'id':'k2'," BASE ",'nurl':'n','special_category':'credit',\n"
         "     'targeting':{'segments':[{'segtax':4,'ids':['59']}]}}\n"),
     {"t.json:5: ", "campaign \"k2\"", "key \"targeting.segments\"", "postal code"}},
    {"credit targets an escaped age segment id (the line of the segments key)",
     CFG_G("'policy': 'none'", "    {'id':'k3'," BASE ",'nurl':'n','special_category':'credit',\n"
                               "     'targeting':{'segments':[{'segtax':4,'ids':['\\u0034\\u0039']}]}}\n"),
     {"t.json:5: ", "campaign \"k3\"", "key \"targeting.segments\"", "id \"49\""}},
    {"housing targets a health segment (policy none)",
     CFG_G("'policy': 'none'", "    {'id':'h2'," BASE ",'nurl':'n','special_category':'housing',\n"
                               "     'targeting':{'segments':[{'segtax':4,'ids':['383']}]}}\n"),
     {"t.json:5: ", "campaign \"h2\"", "key \"targeting.segments\"", "(health)"}},
    /* fairness that cannot see its wins */
    {"fairness without a win path",
     CFG("    {'id':'f1'," BASE ",\n     'fairness':{'attribute':'gender'}}\n"),
     {"t.json:5: ", "campaign \"f1\"", "key \"fairness\"", "win_url"}},
    {"fairness 'wins' without a win path",
     CFG("    {'id':'f1'," BASE ",'fairness':{'attribute':'gender','balance':'wins'}}\n"),
     {"t.json:4: ", "campaign \"f1\"", "key \"fairness\"", "\"balance\": \"bids\""}},
    {"special category (implicit fairness) without a win path",
     CFG("    {'id':'s1'," BASE ",\n     'special_category':'employment'}\n"),
     {"t.json:5: ", "campaign \"s1\"", "key \"special_category\"", "win_url"}},
    {"fairness balance unknown",
     CFG("    {'id':'f2'," BASE ",'nurl':'n','fairness':{'attribute':'gender','balance':'clicks'}}\n"),
     {"t.json:4: ", "campaign \"f2\"", "key \"fairness.balance\""}},
    {"fairness balance bids still needs an attribute (not a special category)",
     CFG("    {'id':'f3'," BASE ",'fairness':{'balance':'bids'}}\n"),
     {"t.json:4: ", "campaign \"f3\"", "key \"fairness.attribute\""}},
    /* budgets (#20) */
    {"budget without amount",
     CFG("    {'id':'b1'," BASE ",\n     'budget':{'period_s':60}}\n"),
     {"t.json:5: ", "campaign \"b1\"", "key \"budget.amount\"", "required"}},
    {"budget amount 0",
     CFG("    {'id':'b2'," BASE ",\n     'budget':{'amount':0}}\n"),
     {"t.json:5: ", "campaign \"b2\"", "key \"budget.amount\"", "between"}},
    {"budget amount too large",
     CFG("    {'id':'b3'," BASE ",'budget':{'amount':2e9}}\n"),
     {"t.json:4: ", "campaign \"b3\"", "key \"budget.amount\"", "between"}},
    {"budget period_s 0",
     CFG("    {'id':'b4'," BASE ",'budget':{'amount':5,'period_s':0}}\n"),
     {"t.json:4: ", "campaign \"b4\"", "key \"budget.period_s\"", "between"}},
    {"budget pacing unknown",
     CFG("    {'id':'b5'," BASE ",'budget':{'amount':5,'pacing':'fast'}}\n"),
     {"t.json:4: ", "campaign \"b5\"", "key \"budget.pacing\"", "even"}},
    {"budget unknown key",
     CFG("    {'id':'b6'," BASE ",'budget':{'amount':5,'amout':6}}\n"),
     {"t.json:4: ", "campaign \"b6\"", "key \"budget.amout\"", "unknown key"}},
    {"budget not an object",
     CFG("    {'id':'b7'," BASE ",'budget':5}\n"),
     {"t.json:4: ", "campaign \"b7\"", "key \"budget\""}},
};

Test(config, validation_errors_name_file_line_campaign_and_key)
{
    for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
        const struct ecase *c = &ecases[i];
        char err[512];
        struct config *cfg = parse_q(c->text, err, sizeof err);
        cr_expect_null(cfg, "[%s] accepted", c->name);
        if (cfg) {
            config_free(cfg);
            continue;
        }
        cr_expect(strncmp(err, c->parts[0], strlen(c->parts[0])) == 0, "[%s] message starts \"%s\": %s",
                  c->name, c->parts[0], err);
        const char *at = err;
        for (int k = 1; k < 4 && c->parts[k]; k++) {
            const char *hit = strstr(at, c->parts[k]);
            cr_expect_not_null(hit, "[%s] message lacks %s: %s", c->name, c->parts[k], err);
            if (hit) at = hit + strlen(c->parts[k]);
        }
    }
}

Test(config, valid_config_compiles)
{
    char err[512];
    struct config *c =
        parse_q("{'listen':'127.0.0.1:0','threads':3,'redis':'redis://127.0.0.1:6390/1',"
                "'currency':'EUR','tcf_vendor_id':1000,'no_bid':'200','no_bid_nbr':2,'seat':'s',"
                "'win_url':'https://w.example/win','tcf_mode':'lenient','future_key':{'a':[1]},"
                "'campaigns':["
                "{'id':'a','advertiser':'A','adomain':['a.example'],'crid':'ca','cat':['1002'],"
                "'bid_cpm':2.5,'formats':[{'w':300,'h':250},{'w':728,'h':90}],'adm':'<b>a</b>',"
                "'targeting':{'site_cat':['IAB17'],'countries':['USA','usa']},"
                "'special_category':null,'fairness':null,'unknown':1},"
                "{'id':'b','crid':'cb','bid_cpm':1.1,'cattax':7,'formats':[{'w':1,'h':1}],"
                "'nurl':'https://b.example/n','special_category':null,'targeting':{"
                "'segments':[{'segtax':4,'ids':['1','2']}],'age':{'min':18,'max':99},"
                "'gender':['M','F','O'],'new_targeting':true}},"
                "{'id':'h','crid':'ch','bid_cpm':1,'formats':[{'w':1,'h':1}],'adm':'x',"
                "'special_category':'housing','targeting':{'countries':['USA']}}]}",
                err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(c->listen, "127.0.0.1:0");
    cr_expect_eq(c->threads, 3);
    cr_expect_str_eq(c->redis, "redis://127.0.0.1:6390/1");
    cr_expect_str_eq(c->currency, "EUR");
    cr_expect_eq(c->no_bid_status, 200);
    cr_expect_eq(c->no_bid_nbr, 2);
    cr_expect(!c->tcf_strict, "tcf_mode lenient");
    cr_expect_str_eq(c->seat, "s");
    cr_expect(sv_eq_cstr(c->campaigns.currency, "EUR"));
    cr_expect_eq(c->campaigns.tcf_vendor_id, 1000);
    cr_assert_eq(c->campaigns.n, 3);
    const struct campaign *a = &c->campaigns.v[0], *b = &c->campaigns.v[1];
    cr_expect(sv_eq_cstr(a->id, "a") && sv_eq_cstr(a->crid, "ca") && sv_eq_cstr(a->adm, "<b>a</b>"));
    cr_expect_eq(a->bid_micros, 2500000);
    cr_expect_eq(a->nformats, 2);
    cr_expect(a->formats[1].w == 728 && a->formats[1].h == 90);
    cr_expect_eq(a->cattax, 8, "cattax defaults to 8 (Ad Product 2.0)");
    cr_expect(a->t.site_cat.n == 1 && a->t.countries.n == 2);
    cr_expect(!a->personal, "contextual targeting is not personal");
    cr_expect_eq(a->special, CAMPAIGN_SPECIAL_NONE);
    cr_expect_eq(b->bid_micros, 1100000, "1.1 CPM is exactly 1100000 micros");
    cr_expect_eq(b->cattax, 7);
    cr_expect(sv_eq_cstr(b->nurl, "https://b.example/n") && b->adm.n == 0);
    cr_expect(b->personal, "segments, age and gender are personal");
    cr_expect(b->t.nsegments == 1 && b->t.segments[0].segtax == 4 && b->t.segments[0].ids.n == 2);
    cr_expect(b->t.has_age && b->t.age_min == 18 && b->t.age_max == 99);
    cr_expect_eq(b->t.gender_mask, CAMPAIGN_GENDER_M | CAMPAIGN_GENDER_F | CAMPAIGN_GENDER_O);
    cr_expect_eq(b->special, CAMPAIGN_SPECIAL_NONE);
    const struct campaign *h = &c->campaigns.v[2];
    cr_expect_eq(h->special, CAMPAIGN_SPECIAL_HOUSING);
    cr_expect(h->fair.enabled && h->fair.attrs == (FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND),
              "special categories balance both attributes by default");
    cr_expect_eq(c->policy_source, CONFIG_POLICY_BUILTIN, "no policy key: the built-in policy");
    cr_expect_not_null(c->campaigns.policy);
    cr_expect_eq(a->ad_classes, CLASS_BIT(CLASS_ALCOHOL), "cat 1002 (Alcohol) is high-risk by default");
    config_free(c);
}

Test(config, personal_flag_table)
{
    static const struct {
        const char *targeting;
        bool personal;
    } cases[] = {
        {"{}", false},
        {"null", false},
        {"{'site_cat':['1']}", false},
        {"{'countries':['USA']}", false},
        {"{'segments':[{'segtax':4,'ids':['1']}]}", true},
        {"{'age':{'min':18}}", true},
        {"{'gender':['F']}", true},
        {"{'gender':[]}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[512], err[512];
        snprintf(q, sizeof q, "{'campaigns':[{'id':'a'," BASE ",'targeting':%s}]}", cases[i].targeting);
        struct config *c = parse_q(q, err, sizeof err);
        cr_assert_not_null(c, "%s: %s", cases[i].targeting, err);
        cr_expect_eq(c->campaigns.v[0].personal, cases[i].personal, "targeting %s", cases[i].targeting);
        config_free(c);
    }
}

Test(config, defaults_and_overrides)
{
    char err[512];
    struct config *c = parse_q("{'campaigns':[]}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(c->listen, "127.0.0.1:8080");
    cr_expect(c->threads >= 1 && c->threads <= 256, "threads 0 becomes the number of cores: %d", c->threads);
    cr_expect_str_eq(c->redis, "");
    cr_expect_str_eq(c->currency, "USD");
    cr_expect_eq(c->no_bid_status, 204);
    cr_expect_eq(c->max_body, 65536);
    cr_expect(c->tcf_strict);
    cr_expect_eq(c->campaigns.n, 0, "an empty campaign list is allowed");
    /* issue 13: no admin listener by default; buffer caps sized under the 512 MiB pod limit in deploy/k8s */
    cr_expect_str_eq(c->admin_listen, "");
    cr_expect_eq(c->max_buffered_bytes, 128 << 20);
    cr_expect_eq(c->max_output_bytes, 32 << 20);
    cr_expect_eq(c->max_conn_output_bytes, 256 << 10);
    config_free(c);
    c = parse_q("{'campaigns':[],'admin_listen':'127.0.0.1:9090'}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(c->admin_listen, "127.0.0.1:9090");
    config_free(c);
    cr_expect_null(parse_q("{'campaigns':[],'admin_listen':'9090'}", err, sizeof err));
    cr_expect(strstr(err, "admin_listen") != NULL, "%s", err);
    cr_expect_null(parse_q("{'campaigns':[],'max_buffered_bytes':1000}", err, sizeof err),
                   "below the 1 MiB minimum");

    static const char text[] = "{\"listen\":\"0.0.0.0:1\",\"threads\":4,\"campaigns\":[]}";
    struct config_overrides ov = {.listen = "127.0.0.1:0", .threads = 2, .redis = "redis://127.0.0.1:1/0"};
    c = config_parse_load("o.json", text, sizeof text - 1, &ov, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_str_eq(c->listen, "127.0.0.1:0");
    cr_expect_eq(c->threads, 2);
    cr_expect_str_eq(c->redis, "redis://127.0.0.1:1/0");
    config_free(c);
    c = parse_q("{'campaigns':[],'no_bid':204}", err, sizeof err);
    cr_assert_not_null(c, "no_bid 204 as a number: %s", err);
    cr_expect_eq(c->no_bid_status, 204);
    config_free(c);
}

Test(config, bundled_config_loads)
{
    const char *dir = tu_src_dir();
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/deploy/fairbid.json", dir);
    struct config *c = config_load(path, NULL, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_eq(c->campaigns.n, 5);
    cr_expect(sv_eq_cstr(c->campaigns.v[2].id, "initech-runners") && c->campaigns.v[2].personal);
    /* issue 19: a video and a native campaign, and the fx table */
    cr_expect(sv_eq_cstr(c->campaigns.v[3].id, "umbrella-video") && c->campaigns.v[3].ncreatives == 1 &&
              c->campaigns.v[3].creatives[0].type == CREATIVE_VIDEO);
    cr_expect(sv_eq_cstr(c->campaigns.v[4].id, "hooli-native") && c->campaigns.v[4].ncreatives == 1 &&
              c->campaigns.v[4].creatives[0].type == CREATIVE_NATIVE);
    cr_expect_eq(c->campaigns.nfx, 2);
    cr_expect_eq(c->campaigns.v[2].bid_micros, 3100000);
    cr_expect_eq(c->tcf_vendor_id, 1000);
    cr_expect(strstr(c->path, "fairbid.json") != NULL);
    config_free(c);

    snprintf(path, sizeof path, "%s/deploy/does-not-exist.json", dir);
    c = config_load(path, NULL, err, sizeof err);
    cr_expect_null(c);
    cr_expect(strstr(err, "does-not-exist.json") != NULL, "names the file: %s", err);
}

Test(config, every_prefix_of_the_bundled_config_fails_cleanly)
{
    size_t len;
    char *text = tu_load_file("deploy/fairbid.json", &len);
    size_t last = len;
    while (last > 0 && (text[last - 1] == '\n' || text[last - 1] == ' ')) last--;
    for (size_t n = 0; n < last; n++) {
        char *copy = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, text, n);
        char err[256] = "";
        struct config *c = config_parse_load("p.json", copy, n, NULL, err, sizeof err);
        cr_expect_null(c, "prefix %zu accepted", n);
        config_free(c);
        cr_expect(strncmp(err, "p.json:", 7) == 0, "prefix %zu: %s", n, err);
        free(copy);
    }
    free(text);
}

Test(config, small_error_buffers_are_respected)
{
    /* errors are written with snprintf: any errlen, even 0 or 1, is safe and terminated */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(map != MAP_FAILED);
    cr_assert(mprotect(map + page, page, PROT_NONE) == 0);
    static const char *const texts[] = {"[]", "{\"campaigns\":[{\"id\":\"c1\",\"bid_cpm\":0}]}",
                                        "{\"threads\":999,", "{\"currency\":\"EURO\",\"campaigns\":[]}"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (size_t errlen = 0; errlen <= 64; errlen++) {
            char *err = map + page - errlen;
            struct config *c =
                config_parse_load("x.json", texts[t], strlen(texts[t]), NULL, errlen ? err : NULL, errlen);
            cr_expect_null(c, "text %zu", t);
            if (errlen)
                cr_expect(memchr(err, '\0', errlen) != NULL, "text %zu errlen %zu: not terminated", t,
                          errlen);
        }
    }
    munmap(map, 2 * page);
}

/* ---- campaign counts ---- */

static char *many_campaigns(int n, size_t *len)
{
    char *t = malloc(64 + (size_t)n * 96);
    size_t k = (size_t)sprintf(t, "{\"campaigns\":[");
    for (int i = 0; i < n; i++)
        k += (size_t)sprintf(
            t + k,
            "%s{\"id\":\"c%d\",\"crid\":\"r\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],"
            "\"adm\":\"x\"}",
            i ? "," : "", i);
    k += (size_t)sprintf(t + k, "]}");
    *len = k;
    return t;
}

Test(config, campaign_cap)
{
    char err[512];
    size_t len;
    char *t = many_campaigns(CAMPAIGN_MAX + 1, &len);
    struct config *c = config_parse_load("cap.json", t, len, NULL, err, sizeof err);
    cr_expect_null(c, "4097 campaigns accepted");
    config_free(c);
    cr_expect(strstr(err, "key \"campaigns\"") && strstr(err, "4096"), "%s", err);
    free(t);
}

/* A minified config of thousands of campaigns loads (regression: the campaign arena was sized len*4 + 64 KiB
 * while a compiled campaign costs ~470 bytes, so 400 compact campaigns failed as "too many campaigns (limit
 * 4096)"; found by this test, fixed in b668167). */
Test(config, many_compact_campaigns_load)
{
    static const int counts[] = {100, 400, 1000, CAMPAIGN_MAX};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char err[512] = "";
        size_t len;
        char *t = many_campaigns(counts[i], &len);
        struct config *c = config_parse_load("many.json", t, len, NULL, err, sizeof err);
        cr_expect_not_null(c, "%d compact campaigns (%zu bytes): %s", counts[i], len, err);
        if (c) cr_expect_eq(c->campaigns.n, (uint32_t)counts[i]);
        config_free(c);
        free(t);
    }
}

/* ---- the policy source (issue 12: no `policy` key must not mean no protection) ---- */

static const char HEALTH_AND_GAMBLING[] =
    "'campaigns':[{'id':'hs'," BASE ",'targeting':{'segments':[{'segtax':4,'ids':['383']}]}},"
    "{'id':'bet'," BASE ",'cat':['1361']}]";

static struct config *parse_with(const char *global, char *err, size_t errlen)
{
    char q[2048];
    snprintf(q, sizeof q, "{%s%s%s}", global, *global ? "," : "", HEALTH_AND_GAMBLING);
    return parse_q(q, err, errlen);
}

Test(config, no_policy_key_means_the_builtin_policy)
{
    static const char *const builtin[] = {"", "'policy':'builtin'", "'policy':''", "'policy':null"};
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        char err[512] = "";
        struct config *c = parse_with(builtin[i], err, sizeof err);
        cr_assert_not_null(c, "[%s] %s", builtin[i], err);
        cr_expect_eq(c->policy_source, CONFIG_POLICY_BUILTIN, "[%s]", builtin[i]);
        cr_expect_str_eq(config_policy_source_name(c->policy_source), "builtin");
        cr_expect_str_eq(config_protections_off_json(c), "[]");
        cr_expect_str_eq(c->policy_file, "");
        const struct policy *p = c->campaigns.policy;
        cr_assert_not_null(p, "[%s] no policy compiled", builtin[i]);
        cr_expect(p->seg.n > 300 && p->cat.n > 50, "the whole bundled policy: %u segments, %u categories",
                  p->seg.n, p->cat.n);
        cr_expect_eq(c->campaigns.v[0].seg_classes, CLASS_BIT(CLASS_HEALTH), "[%s] health segment",
                     builtin[i]);
        cr_expect_eq(c->campaigns.v[1].ad_classes, CLASS_BIT(CLASS_GAMBLING), "[%s] gambling ad", builtin[i]);
        config_free(c);
    }
}

Test(config, policy_none_is_explicit_and_reported)
{
    char err[512] = "";
    struct config *c = parse_with("'policy':'none'", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_eq(c->policy_source, CONFIG_POLICY_NONE);
    cr_expect_str_eq(config_policy_source_name(c->policy_source), "none");
    cr_expect_null(c->campaigns.policy);
    cr_expect_eq(c->campaigns.v[0].seg_classes | c->campaigns.v[1].ad_classes, 0u);
    const char *off = config_protections_off_json(c);
    cr_expect(strstr(off, "\"sensitive.*\"") && strstr(off, "\"exploit.high_risk_to_vulnerable\"") &&
                  strstr(off, "\"exploit.vulnerable_targeting\""),
              "%s", off);
    config_free(c);
    /* "none" still allows a special-category campaign that aims at nothing protected */
    c = parse_q("{'policy':'none','campaigns':[{'id':'h'," BASE ",'nurl':'n','special_category':'housing',"
                "'targeting':{'countries':['USA'],'segments':[{'segtax':4,'ids':['569']}]}}]}",
                err, sizeof err);
    cr_expect_not_null(c, "%s", err);
    config_free(c);
}

Test(config, policy_file_keeps_working)
{
    const char *dir = tu_src_dir();
    char g[1200], err[512] = "";
    snprintf(g, sizeof g, "'policy':'%s/deploy/policy.json'", dir);
    struct config *c = parse_with(g, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_eq(c->policy_source, CONFIG_POLICY_FILE);
    cr_expect_str_eq(config_policy_source_name(c->policy_source), "file");
    cr_expect(strstr(c->policy_file, "deploy/policy.json") != NULL, "%s", c->policy_file);
    cr_assert_not_null(c->campaigns.policy);
    cr_expect_eq(c->campaigns.v[0].seg_classes, CLASS_BIT(CLASS_HEALTH));
    config_free(c);
    /* a file without the demographic nodes does not let a credit ad be aimed by age: the built-in policy
     * is checked too */
    static char pdir[] = "/tmp/fairbid-test-config-XXXXXX";
    cr_assert_not_null(mkdtemp(pdir));
    char path[256];
    snprintf(path, sizeof path, "%s/p.json", pdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"segments\":[]}", f);
    fclose(f);
    snprintf(g, sizeof g,
             "{'policy':'%s','campaigns':[{'id':'k'," BASE ",'nurl':'n','special_category':'credit',"
             "'targeting':{'segments':[{'segtax':4,'ids':['49']}]}}]}",
             path);
    c = parse_q(g, err, sizeof err);
    cr_expect_null(c, "a sparse policy file lifted rule 4");
    config_free(c);
    cr_expect(strstr(err, "campaign \"k\"") && strstr(err, "key \"targeting.segments\"") &&
                  strstr(err, "id \"49\""),
              "%s", err);
    unlink(path);
    rmdir(pdir);
}

Test(config, builtin_policy_is_the_committed_file)
{
    size_t len;
    char *text = tu_load_file("deploy/policy.json", &len);
    cr_expect_eq(policy_builtin_len, len, "rebuild: the embedded policy is stale");
    cr_expect(len == policy_builtin_len && memcmp(text, policy_builtin_json, len) == 0);
    cr_expect_eq(policy_builtin_json[policy_builtin_len], '\0');
    free(text);
}

Test(config, fairness_with_a_win_path_or_balance_bids_loads)
{
    static const struct {
        const char *text;
        bool bids_only;
    } ok[] = {
        {"{'win_url':'https://w.example/win','campaigns':[{'id':'f'," BASE
         ",'fairness':{'attribute':'gender'}}]}",
         false},
        /* win_url after the campaigns counts too */
        {"{'campaigns':[{'id':'f'," BASE
         ",'fairness':{'attribute':'gender'}}],'win_url':'https://w.example/w'}",
         false},
        {"{'campaigns':[{'id':'f'," BASE ",'nurl':'https://fb.example/win?cid=f','fairness':{'attribute':"
         "'age_band','balance':'wins'}}]}",
         false},
        {"{'campaigns':[{'id':'f'," BASE ",'fairness':{'attribute':'gender','balance':'bids'}}]}", true},
        /* a special category may say only how it balances: both attributes by default */
        {"{'campaigns':[{'id':'f'," BASE ",'special_category':'credit','fairness':{'balance':'bids'}}]}",
         true},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char err[512] = "";
        struct config *c = parse_q(ok[i].text, err, sizeof err);
        cr_assert_not_null(c, "case %zu: %s", i, err);
        const struct campaign *f = &c->campaigns.v[0];
        cr_expect(f->fair.enabled && f->fair.attrs, "case %zu", i);
        cr_expect_eq(f->fair_bids_only, ok[i].bids_only, "case %zu", i);
        if (f->special) cr_expect_eq(f->fair.attrs, FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND);
        config_free(c);
    }
    /* an empty or null win_url is no win path; the last win_url counts */
    static const char *const bad[] = {
        "{'win_url':'','campaigns':[{'id':'f'," BASE ",'fairness':{'attribute':'gender'}}]}",
        "{'win_url':'https://w.example/w','win_url':'','campaigns':[{'id':'f'," BASE
        ",'fairness':{'attribute':'gender'}}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        struct config *c = parse_q(bad[i], err, sizeof err);
        cr_expect_null(c, "bad %zu accepted", i);
        config_free(c);
        cr_expect(strstr(err, "campaign \"f\": key \"fairness\"") != NULL, "bad %zu: %s", i, err);
    }
}

/* A campaign's "fairness" and a special category's implicit one start from the documented defaults
 * (docs/fairness.md); the keys given override them. */
Test(config, fairness_defaults_fill_what_is_not_given)
{
    char err[512];
    struct config *c = parse_q("{'win_url':'https://w.example/win','campaigns':[{'id':'f'," BASE
                               ",'fairness':{'attribute':'age_band','max_tvd':0.1}},{'id':'h'," BASE
                               ",'special_category':'housing'}]}",
                               err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    for (int i = 0; i < 2; i++) {
        const struct campaign_fairness *f = &c->campaigns.v[i].fair;
        cr_expect(f->enabled, "campaign %d", i);
        cr_expect_eq(f->attrs, i ? FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND : FAIR_ATTR_AGE_BAND, "campaign %d",
                     i);
        cr_expect_float_eq(f->min_impact_ratio, 0.8, 1e-12, "campaign %d", i);
        cr_expect_float_eq(f->max_tvd, i ? 0.05 : 0.1, 1e-12, "campaign %d", i);
        cr_expect_eq(f->window_s, 3600, "campaign %d", i);
        cr_expect_float_eq(f->max_boost, 1.5, 1e-12, "campaign %d", i);
        cr_expect_eq(f->min_eligible, 200, "campaign %d", i);
    }
    config_free(c);
}

Test(config, budget_loads_in_micros_with_defaults)
{
    char err[512];
    struct config *c =
        parse_q(CFG("    {'id':'b'," BASE ",'budget':{'amount':5000.25,'pacing':'even'}},\n" GOOD("n") "\n"),
                err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    const struct campaign_budget *b = &c->campaigns.v[0].budget;
    cr_expect(b->enabled);
    cr_expect_eq(b->amount_micros, 5000250000LL);
    cr_expect_eq(b->period_s, 86400);
    cr_expect_eq(b->pacing, BUDGET_PACING_EVEN);
    cr_expect(!c->campaigns.v[1].budget.enabled);
    config_free(c);
}
