/* Unit tests for filters/jurisdiction through decide_run, against the committed deploy/policy.json (its
 * jurisdictions table is generated from scripts/jurisdictions.tsv): one table per jurisdiction and rule, with
 * the allow cases, and the clock pinned on both sides of each law's date. Also the loader's refusals and the
 * config's political declaration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bidder/config/config.h"
#include "consent_testutil.h"
#include "filters/classes.h"
#include "filters/decide.h"
#include "filters/jurisdiction.h"
#include "filters/reasons.h"
#include "filters/response.h"
#include "tests/unit/testutil.h"

#define CAMP(id, extra)                                                                                      \
    "{'id':'" id "','crid':'c','bid_cpm':1,'formats':[{'w':300,'h':250}],'adm':'x'" extra "}"
/* clang-format off */
static const char CAMPAIGNS[] =
    "{'currency':'USD','tcf_vendor_id':1000,'policy':'policy.json','political_consent_custom_purpose':2,"
    "'first_party_providers':['pub1st'],'campaigns':["
    CAMP("sens", ",'targeting':{'segments':[{'segtax':4,'ids':['381','5']}]}") ","
    CAMP("plain", ",'targeting':{'segments':[{'segtax':4,'ids':['5']}]}") ","
    CAMP("polctx", ",'cat':['1476'],'political':{'sponsor':'Party A','notice_url':'https://a.example/n'}") ","
    CAMP("polseg", ",'cat':['1479'],'political':{'sponsor':'Party B','notice_url':'https://b.example/n'},"
                   "'targeting':{'segments':[{'segtax':4,'ids':['5']}]}") ","
    CAMP("polage", ",'cat':['1474'],'political':{'sponsor':'Party C','notice_url':'https://c.example/n'},"
                   "'targeting':{'age':{'min':18,'max':99}}") ","
    CAMP("nearpdx", ",'targeting':{'near':{'lat':45.52,'lon':-122.68,'radius_km':10}}")
    "]}";
/* clang-format on */

static struct config *cfg;

static struct config *load(const char *q, char *err, size_t errlen)
{
    static char text[1 << 14], name[1024];
    size_t n = tu_unquote(q, text, sizeof text);
    snprintf(name, sizeof name, "%s/deploy/unit-test.json", tu_src_dir());
    return config_parse_load(name, text, n, NULL, err, errlen);
}

static void setup(void)
{
    char err[512] = "";
    cfg = load(CAMPAIGNS, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_not_null(cfg->campaigns.juris, "deploy/policy.json has a jurisdictions table");
}

static void teardown(void)
{
    config_free(cfg);
}

/* A TC string: purposes 1-4 consented, vendor 1000 consented, publisher TC segment with custom purposes
 * 1..3 of which `custom` (bit i-1 = purpose i) consented. */
static const char *tc_string(unsigned custom)
{
    static struct bw w;
    static char out[4096], enc[4096];
    memset(&w, 0, sizeof w);
    struct core_opts o = core_defaults();
    bw_core(&w, &o);
    const int vc[] = {1000};
    bw_bitfield(&w, vc, 1, 1000);
    bw_bitfield(&w, NULL, 0, 0);
    bw_put(&w, 0, 12);
    strcpy(out, bw_b64(&w, enc));
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 3);
    bw_put(&w, 0, 24);
    bw_put(&w, 0, 24);
    bw_put(&w, 3, 6);
    for (int i = 0; i < 3; i++) bw_put(&w, (custom >> i) & 1u, 1);
    bw_put(&w, 0, 3);
    strcat(out, ".");
    strcat(out, bw_b64(&w, enc));
    return out;
}

static int64_t day_ms(const char *date)
{
    int32_t d = juris_parse_date(sv_from(date));
    cr_assert_neq(d, INT32_MIN, "date %s", date);
    return (int64_t)d * 86400000 + 12 * 3600000; /* noon UTC */
}

static _Alignas(64) char pmem[1 << 20], dmem[1 << 20];
static char body[1 << 14];

struct run {
    struct ortb_request req;
    struct decide_result res;
};

/* Decides q (single quotes for double) at noon UTC on date; stored: a consent-store record or NULL. */
static void decide_at(const char *date, const char *q, const struct consent_stored *stored, struct run *r)
{
    size_t n = tu_unquote(q, body, sizeof body);
    struct arena a;
    arena_init(&a, pmem, sizeof pmem);
    struct ortb_error e;
    int rc = ortb_parse(body, n, &a, &r->req, &e);
    cr_assert_eq(rc, 0, "request %s: %s", q, e.msg ? e.msg : "");
    struct decide_env env = {.now_ms = day_ms(date)};
    time_t t = (time_t)(env.now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    env.year = tm.tm_year + 1900;
    struct consent_store_view view = {.trusted = true, .rec = stored};
    if (stored) env.store = &view;
    struct arena d;
    arena_init(&d, dmem, sizeof dmem);
    cr_assert_eq(decide_run(&cfg->campaigns, &r->req, &env, &d, &r->res), 0);
}

static const char *verdict(const struct run *r, const char *campaign)
{
    for (uint32_t i = 0; i < r->res.nv; i++) {
        const struct decide_verdict *v = &r->res.v[i];
        if (sv_eq_cstr(cfg->campaigns.v[v->campaign].id, campaign)) {
            /* a lost auction is eligibility too: these tables ask whether the campaign may bid */
            return v->reason == REASON_AUCTION_LOST ? "bid" : reason_name(v->reason);
        }
    }
    return "?";
}

static const char *detail_of(const struct run *r, const char *campaign, char *buf, size_t cap)
{
    for (uint32_t i = 0; i < r->res.nv; i++)
        if (sv_eq_cstr(cfg->campaigns.v[r->res.v[i].campaign].id, campaign)) {
            decide_detail(&cfg->campaigns, &r->req, &r->res.v[i], buf, cap);
            return buf;
        }
    return "";
}

struct jcase {
    const char *name, *date, *geo, *extra; /* extra: more request members after device */
    int yob_age;                           /* age by yob (0: no yob) */
    bool stored_health;                    /* stored explicit consent to health targeting */
    const char *campaign, *want, *code;
};

#define REQ_FMT "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':%s}%s%s%s}"
#define SEG5 "{'id':'dmp-x','segment':[{'id':'5'}],'ext':{'segtax':4}}"
#define SEG5FP "{'id':'pub1st','segment':[{'id':'5'}],'ext':{'segtax':4}}"

static void run_cases(const struct jcase *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct jcase *c = &cs[i];
        char user[512] = "", q[4096];
        int year = atoi(c->date);
        if (c->yob_age)
            snprintf(user, sizeof user, ",'user':{'yob':%d,'data':[" SEG5 "," SEG5FP "]}", year - c->yob_age);
        else
            snprintf(user, sizeof user, ",'user':{'data':[" SEG5 "," SEG5FP "]}");
        snprintf(q, sizeof q, REQ_FMT, c->geo, user, c->extra[0] ? "," : "", c->extra);
        struct consent_stored st = {.sensitive_mask = c->stored_health ? CLASS_BIT(CLASS_HEALTH) : 0};
        static struct run r;
        decide_at(c->date, q, c->stored_health ? &st : NULL, &r);
        char d[256];
        cr_expect_str_eq(verdict(&r, c->campaign), c->want, "[%s] %s: got %s (%s)", c->name, c->campaign,
                         verdict(&r, c->campaign), detail_of(&r, c->campaign, d, sizeof d));
        if (c->code) cr_expect_str_eq(r.res.juris.code, c->code, "[%s] jurisdiction", c->name);
    }
}

TestSuite(juris, .init = setup, .fini = teardown);

/* Maryland: sensitive targeting banned whatever the consent says, from 2026-04-01. */
Test(juris, maryland_sensitive_ban)
{
    static const struct jcase cs[] = {
        {"MD, stored health consent", "2026-06-01", "{'country':'USA','region':'MD'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        {"US-MD form", "2026-06-01", "{'country':'USA','region':'US-MD'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        {"lower case us-md", "2026-06-01", "{'country':'usa','region':'us-md'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        {"lower case md", "2026-06-01", "{'country':'USA','region':'md'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        {"MD the day before", "2026-03-31", "{'country':'USA','region':'MD'}", "", 30, true, "sens", "bid",
         "US-MD"},
        {"MD on the day", "2026-04-01", "{'country':'USA','region':'MD'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        /* allow: a consenting adult in a state without the ban gets the sensitive campaign */
        {"VA consenting adult", "2026-06-01", "{'country':'USA','region':'VA'}", "", 30, true, "sens", "bid",
         "US-VA"},
        {"VA without consent", "2026-06-01", "{'country':'USA','region':'VA'}", "", 30, false, "sens", "bid",
         "US-VA"},
        {"MD non-sensitive campaign", "2026-06-01", "{'country':'USA','region':'MD'}", "", 30, true, "plain",
         "bid", "US-MD"},
        /* no region: the strictest US rules in force */
        {"USA without region", "2026-06-01", "{'country':'USA'}", "", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US"},
        /* GPP applicable sections: Maryland (24) */
        {"GPP sid 24, no geo", "2026-06-01", "{}", "'regs':{'gpp_sid':[24]}", 30, true, "sens",
         "jurisdiction.sensitive_banned", "US-MD"},
        {"GPP sid 9 (VA), no geo", "2026-06-01", "{}", "'regs':{'gpp_sid':[9]}", 30, true, "sens", "bid",
         "US-VA"},
        {"GPP sids 9 and 24: strictest of both", "2026-06-01", "{}", "'regs':{'gpp_sid':[9,24]}", 30, true,
         "sens", "jurisdiction.sensitive_banned", NULL},
        {"no signal at all", "2026-06-01", "{}", "", 30, true, "sens", "bid", ""},
    };
    run_cases(cs, sizeof cs / sizeof cs[0]);
}

Test(juris, unknown_region_none)
{
    cfg->campaigns.juris_unknown_strictest = false;
    static const struct jcase cs[] = {
        {"USA without region, unknown_region none", "2026-06-01", "{'country':'USA'}", "", 30, true, "sens",
         "bid", "US"},
        {"USA with region still applies MD", "2026-06-01", "{'country':'USA','region':'MD'}", "", 30, true,
         "sens", "jurisdiction.sensitive_banned", "US-MD"},
    };
    run_cases(cs, sizeof cs / sizeof cs[0]);
}

/* Minimum ages per state on top of fairbid's own under-18 rule (minor.age). */
Test(juris, state_minor_thresholds)
{
    static const struct jcase cs[] = {
        {"OR 15", "2026-06-01", "{'country':'USA','region':'OR'}", "", 15, false, "plain",
         "jurisdiction.minor", "US-OR"},
        {"OR 15 before HB 2008", "2025-12-31", "{'country':'USA','region':'OR'}", "", 15, false, "plain",
         "minor.age", "US-OR"},
        {"OR 17: fairbid's own rule", "2026-06-01", "{'country':'USA','region':'OR'}", "", 17, false, "plain",
         "minor.age", "US-OR"},
        {"MD 17", "2026-06-01", "{'country':'USA','region':'MD'}", "", 17, false, "plain",
         "jurisdiction.minor", "US-MD"},
        {"CT 17 from 2026-07-01", "2026-07-01", "{'country':'USA','region':'CT'}", "", 17, false, "plain",
         "jurisdiction.minor", "US-CT"},
        {"CT 17 the day before", "2026-06-30", "{'country':'USA','region':'CT'}", "", 17, false, "plain",
         "minor.age", "US-CT"},
        {"AR 16 from 2026-07-01", "2026-07-02", "{'country':'USA','region':'AR'}", "", 16, false, "plain",
         "jurisdiction.minor", "US-AR"},
        {"VA 12: COPPA rule", "2026-06-01", "{'country':'USA','region':'VA'}", "", 12, false, "plain",
         "jurisdiction.minor", "US-VA"},
        {"VA 12 before the COPPA compliance date", "2026-04-21", "{'country':'USA','region':'VA'}", "", 12,
         false, "plain", "minor.age", "US-VA"},
        {"NY 17 from 2025-06-20", "2025-06-20", "{'country':'USA','region':'NY'}", "", 17, false, "plain",
         "jurisdiction.minor", "US-NY"},
        {"NY 17 the day before", "2025-06-19", "{'country':'USA','region':'NY'}", "", 17, false, "plain",
         "minor.age", "US-NY"},
        {"CO 17 from 2025-10-01", "2025-10-01", "{'country':'USA','region':'CO'}", "", 17, false, "plain",
         "jurisdiction.minor", "US-CO"},
        {"EU 17 (DSA Art. 28)", "2026-06-01", "{'country':'DEU'}", "", 17, false, "plain",
         "jurisdiction.minor", "EU"},
        {"USA without region, 17: strictest", "2026-06-01", "{'country':'USA'}", "", 17, false, "plain",
         "jurisdiction.minor", "US"},
        {"OR adult", "2026-06-01", "{'country':'USA','region':'OR'}", "", 30, false, "plain", "bid", "US-OR"},
        {"OR 15 contextual campaign", "2026-06-01", "{'country':'USA','region':'OR'}", "", 15, false,
         "polctx", "bid", "US-OR"},
    };
    run_cases(cs, sizeof cs / sizeof cs[0]);
}

/* Precise geolocation: never used where its sale is banned, for anyone. */
Test(juris, precise_geo)
{
    static struct run r;
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'USA',"
              "'region':'OR','lat':45.5,'lon':-122.6}},'user':{'yob':1980}}",
              NULL, &r);
    cr_expect_eq(r.res.juris.precise_geo, JURIS_GEO_BANNED);
    cr_expect(!r.res.consent.precise_geo_ok, "Oregon: precise geo not usable for an adult");
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'USA',"
              "'region':'VA','lat':37.5,'lon':-77.4}},'user':{'yob':1980}}",
              NULL, &r);
    cr_expect_eq(r.res.juris.precise_geo, JURIS_GEO_ALLOWED);
    cr_expect(r.res.consent.precise_geo_ok, "Virginia: consenting adult keeps precise geo");
    decide_at("2025-12-31",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'USA',"
              "'region':'OR','lat':45.5,'lon':-122.6}},'user':{'yob':1980}}",
              NULL, &r);
    cr_expect(r.res.consent.precise_geo_ok, "Oregon before 2026-01-01");
}

/* Precise-location targeting: never where the sale of precise geolocation is banned, for anyone. */
Test(juris, precise_geo_targeting)
{
#define PDX "'lat':45.53,'lon':-122.66"
    static const struct jcase cs[] = {
        {"OR adult at the point", "2026-06-01", "{'country':'USA','region':'OR'," PDX "}", "", 30, false,
         "nearpdx", "jurisdiction.precise_geo", "US-OR"},
        {"OR before HB 2008", "2025-12-31", "{'country':'USA','region':'OR'," PDX "}", "", 30, false,
         "nearpdx", "bid", "US-OR"},
        {"MD adult (sensitive data)", "2026-06-01", "{'country':'USA','region':'MD'," PDX "}", "", 30, false,
         "nearpdx", "jurisdiction.precise_geo", "US-MD"},
        {"USA without region: strictest", "2026-06-01", "{'country':'USA'," PDX "}", "", 30, false, "nearpdx",
         "jurisdiction.precise_geo", "US"},
        /* allow: a consenting adult where precise geolocation is allowed */
        {"WA adult at the point", "2026-06-01", "{'country':'USA','region':'WA'," PDX "}", "", 30, false,
         "nearpdx", "bid", "US-WA"},
        {"CO adult (consent state, consent not refused)", "2026-06-01",
         "{'country':'USA','region':'CO'," PDX "}", "", 30, false, "nearpdx", "bid", "US-CO"},
        {"WA adult 40 km away", "2026-06-01", "{'country':'USA','region':'WA','lat':45.9,'lon':-122.68}", "",
         30, false, "nearpdx", "match.geo", "US-WA"},
        {"WA adult without lat/lon", "2026-06-01", "{'country':'USA','region':'WA'}", "", 30, false,
         "nearpdx", "match.geo", "US-WA"},
        {"WA minor", "2026-06-01", "{'country':'USA','region':'WA'," PDX "}", "", 16, false, "nearpdx",
         "minor.age", "US-WA"},
    };
    run_cases(cs, sizeof cs / sizeof cs[0]);
#undef PDX
}

/* EU political advertising, Regulation (EU) 2024/900, from 2025-10-10. */
Test(juris, eu_political)
{
    char tc_ok[4096], tc_nopol[4096];
    snprintf(tc_ok, sizeof tc_ok, "%s", tc_string(0x2)); /* custom purpose 2 consented */
    snprintf(tc_nopol, sizeof tc_nopol, "%s", tc_string(0x5));
    struct {
        const char *name, *date, *consent;
        int age;
        const char *data, *campaign, *want;
    } cs[] = {
        /* allow: a contextual political ad in the EU bids */
        {"contextual, no consent string", "2026-06-01", NULL, 0, "", "polctx", "bid"},
        {"contextual, minor", "2026-06-01", tc_ok, 15, SEG5FP, "polctx", "bid"},
        /* allow: political consent (custom purpose) and a first-party segment, adult */
        {"custom purpose + first-party segment", "2026-06-01", tc_ok, 30, SEG5FP, "polseg", "bid"},
        {"no political consent", "2026-06-01", tc_nopol, 30, SEG5FP, "polseg", "political.personal_data"},
        {"third-party segment only", "2026-06-01", tc_ok, 30, SEG5, "polseg", "political.personal_data"},
        {"unknown age", "2026-06-01", tc_ok, 0, SEG5FP, "polseg", "political.minor"},
        /* a known minor is refused by the DSA row first (EU min_age 18), before the political rules */
        {"age 16", "2026-06-01", tc_ok, 16, SEG5FP, "polseg", "jurisdiction.minor"},
        {"contextual, consenting adult", "2026-06-01", tc_ok, 30, SEG5FP, "polctx", "bid"},
        {"age targeting is not first-party data", "2026-06-01", tc_ok, 30, SEG5FP, "polage",
         "political.personal_data"},
        /* before the regulation applied: the ordinary consent rules only */
        {"before 2025-10-10, no political consent", "2025-10-09", tc_nopol, 30, SEG5, "polseg", "bid"},
        {"on 2025-10-10", "2025-10-10", tc_nopol, 30, SEG5, "polseg", "political.personal_data"},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char q[8192], user[4096];
        int year = atoi(cs[i].date);
        snprintf(user, sizeof user, ",'user':{%s%s%s'data':[%s]}", cs[i].consent ? "'consent':'" : "",
                 cs[i].consent ? cs[i].consent : "", cs[i].consent ? "'," : "", cs[i].data);
        if (cs[i].age) {
            char y[32];
            snprintf(y, sizeof y, "'yob':%d,", year - cs[i].age);
            memmove(user + 9 + strlen(y), user + 9, strlen(user + 9) + 1);
            memcpy(user + 9, y, strlen(y));
        }
        snprintf(q, sizeof q, REQ_FMT, "{'country':'DEU'}", user, cs[i].consent ? "," : "",
                 cs[i].consent ? "'regs':{'gdpr':1}" : "");
        static struct run r;
        decide_at(cs[i].date, q, NULL, &r);
        char d[256];
        cr_expect_str_eq(verdict(&r, cs[i].campaign), cs[i].want, "[%s] %s: got %s (%s)", cs[i].name,
                         cs[i].campaign, verdict(&r, cs[i].campaign),
                         detail_of(&r, cs[i].campaign, d, sizeof d));
        cr_expect_str_eq(r.res.juris.code, "EU", "[%s]", cs[i].name);
    }
}

Test(juris, details_name_jurisdiction_and_law)
{
    static struct run r;
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'USA',"
              "'region':'MD'}},'user':{'yob':1980,'data':[{'id':'x','segment':[{'id':'381'}],'ext':{'segtax':"
              "4}}]}}",
              NULL, &r);
    char d[256];
    detail_of(&r, "sens", d, sizeof d);
    cr_expect(strstr(d, "US-MD") && strstr(d, "MODPA") && strstr(d, "2026-04-01") && strstr(d, "health"),
              "%s", d);
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'USA',"
              "'region':'OR'}},'user':{'yob':2011,'data':[" SEG5 "]}}",
              NULL, &r);
    detail_of(&r, "plain", d, sizeof d);
    cr_expect(strstr(d, "US-OR") && strstr(d, "HB 2008") && strstr(d, "16+"), "%s", d);
}

/* The winning political bid carries bid.ext.political. */
Test(juris, bid_ext_political)
{
    static struct run r;
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'device':{'geo':{'country':'DEU'}}}",
              NULL, &r);
    cr_assert_eq(r.res.nbids, 1);
    static char out[1 << 14];
    struct buf b;
    buf_init(&b, out, sizeof out);
    cr_assert_eq(resp_write_bids(&b, &cfg->campaigns, &r.req, &r.res, NULL), 0);
    out[b.len] = '\0';
    cr_expect(
        strstr(out,
               "\"ext\":{\"political\":{\"sponsor\":\"Party A\",\"notice_url\":\"https://a.example/n\"}}"),
        "%s", out);
}

Test(juris, resolve_without_table)
{
    struct ortb_request req = {0};
    req.device.geo.country = SV_LIT("usa");
    req.device.geo.region = SV_LIT("Us-Tx");
    struct juris_state js;
    juris_resolve(NULL, NULL, &req, NULL, 0, &js);
    cr_expect_str_eq(js.code, "US-TX");
    cr_expect_eq(js.how, JURIS_BY_GEO);
    cr_expect_eq(js.min_age, 0);
    req.device.geo.country = SV_NULL;
    req.device.geo.region = SV_LIT("US-OR");
    juris_resolve(NULL, NULL, &req, NULL, 0, &js);
    cr_expect_str_eq(js.code, "US-OR", "a US- region without a country");
    req.device.geo.region = SV_LIT("OR");
    juris_resolve(NULL, NULL, &req, NULL, 0, &js);
    cr_expect_str_eq(js.code, "", "a bare region without a country places no one");
    req.device.geo.region = SV_NULL;
    req.device.geo.country = SV_LIT("FRA");
    juris_resolve(NULL, NULL, &req, NULL, 0, &js);
    cr_expect_str_eq(js.code, "EU");
    req.device.geo.country = SV_LIT("CAN");
    juris_resolve(NULL, NULL, &req, NULL, 0, &js);
    cr_expect_str_eq(js.code, "CAN");
}

/* Without gpp_sid, the decoded GPP string's own section ids say which state sections apply. */
Test(juris, gpp_header_sections)
{
    struct ortb_request req = {0};
    static struct gpp g;
    memset(&g, 0, sizeof g);
    g.nsections = 2;
    g.section_ids[0] = 7;
    g.section_ids[1] = 24;
    struct consent_state cst = {.gpp = &g};
    struct juris_opts jo = {.unknown_strictest = true};
    struct juris_state js;
    juris_resolve(cfg->campaigns.juris, &jo, &req, &cst, day_ms("2026-06-01"), &js);
    cr_expect_str_eq(js.code, "US-MD");
    cr_expect_eq(js.how, JURIS_BY_GPP);
    cr_expect(js.sensitive_banned);
    g.nsections = 1; /* US National only: somewhere in the USA */
    juris_resolve(cfg->campaigns.juris, &jo, &req, &cst, day_ms("2026-06-01"), &js);
    cr_expect_str_eq(js.code, "US");
    cr_expect_eq(js.how, JURIS_BY_UNKNOWN);
    cr_expect(js.sensitive_banned && js.min_age == 18 && js.precise_geo == JURIS_GEO_BANNED, "strictest");
    jo.unknown_strictest = false;
    juris_resolve(cfg->campaigns.juris, &jo, &req, &cst, day_ms("2026-06-01"), &js);
    cr_expect(!js.sensitive_banned && js.min_age == 13, "unknown_region none: federal rules only");
}

Test(juris, dates)
{
    cr_expect_eq(juris_parse_date(sv_from("1970-01-01")), 0);
    cr_expect_eq(juris_parse_date(sv_from("2026-04-01")), 20544);
    cr_expect_eq(juris_parse_date(sv_from("2024-02-29")), 19782);
    cr_expect_eq(juris_parse_date(sv_from("2025-02-29")), INT32_MIN);
    cr_expect_eq(juris_parse_date(sv_from("2026-13-01")), INT32_MIN);
    cr_expect_eq(juris_parse_date(sv_from("2026-4-01")), INT32_MIN);
}

/* ---- configuration and table errors ---- */

Test(juris_config, political_declaration_required)
{
    char err[512] = "";
    struct config *c = load("{'campaigns':[" CAMP("vote", ",'cat':['1476']") "]}", err, sizeof err);
    cr_assert_null(c);
    cr_expect(strstr(err, "unit-test.json:1:") && strstr(err, "campaign \"vote\"") &&
                  strstr(err, "key \"political\""),
              "%s", err);
    c = load("{'campaigns':[" CAMP("vote", ",'political':{'sponsor':'P'}") "]}", err, sizeof err);
    cr_assert_null(c);
    cr_expect(strstr(err, "campaign \"vote\"") && strstr(err, "political.notice_url"), "%s", err);
    c = load("{'campaigns':[" CAMP("vote", ",'political':{'notice_url':'https://x.example/'}") "]}", err,
             sizeof err);
    cr_assert_null(c);
    cr_expect(strstr(err, "political.sponsor"), "%s", err);
    c = load(
        "{'campaigns':[" CAMP("vote", ",'political':{'sponsor':'P','notice_url':'http://x.example/'}") "]}",
        err, sizeof err);
    cr_assert_null(c, "a notice URL must be https");
    c = load("{'unknown_region':'maybe','campaigns':[]}", err, sizeof err);
    cr_assert_null(c);
    cr_expect(strstr(err, "unknown_region"), "%s", err);
}

static void bad_table(const char *rows, const char *want1, const char *want2)
{
    char dir[] = "/tmp/fairbid-juris-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], cfgname[256];
    snprintf(path, sizeof path, "%s/pol.json", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"segments\": [],\n \"jurisdictions\": [\n%s\n]}\n", rows);
    fclose(f);
    snprintf(cfgname, sizeof cfgname, "%s/cfg.json", dir);
    const char *text = "{\"policy\":\"pol.json\",\"campaigns\":[]}";
    char err[512] = "";
    struct config *c = config_parse_load(cfgname, text, strlen(text), NULL, err, sizeof err);
    unlink(path);
    rmdir(dir);
    cr_assert_null(c, "bad table accepted: %s", rows);
    cr_expect(strstr(err, "pol.json:") && strstr(err, want1) && strstr(err, want2), "%s", err);
}

#define ROW(j, extra)                                                                                        \
    "{\"jurisdiction\":\"" j                                                                                 \
    "\",\"from\":\"2026-04-01\",\"law\":\"L\",\"source\":\"S\",\"political\":\"none\"" extra "}"

Test(juris_config, bad_tables_rejected)
{
    bad_table(ROW("US-MD", ",\"min_age\":200"), "jurisdictions[0].min_age", "\"US-MD\"");
    bad_table(ROW("US-MD", "") ",\n" ROW("US-OR", ",\"precise_geo\":\"sometimes\""),
              "jurisdictions[1].precise_geo", "\"US-OR\"");
    bad_table(ROW("US-md", ""), "jurisdictions[0].jurisdiction", "US-md");
    bad_table("{\"jurisdiction\":\"US-MD\",\"from\":\"2026-02-30\",\"law\":\"L\",\"source\":\"S\","
              "\"political\":\"none\"}",
              "jurisdictions[0].from", "\"US-MD\"");
    bad_table("{\"jurisdiction\":\"US-MD\",\"from\":\"2026-04-01\",\"law\":\"L\",\"political\":\"none\"}",
              "jurisdictions[0].source", "\"US-MD\"");
    bad_table(ROW("EU", ",\"sensitive_bannd\":true"), "jurisdictions[0].sensitive_bannd", "\"EU\"");
    bad_table(ROW("EU", ",\"political\":\"eu_2024_900\""), "political_min_age", "\"EU\"");
    bad_table(ROW("US-MD", "") ",\n" ROW("US-MD", ""), "two rows", "\"US-MD\"");
}

/* The law of the place holds whatever the sensitive-category policy: "none" keeps the built-in table. */
Test(juris_config, policy_none_keeps_the_builtin_table)
{
    char err[512] = "";
    struct config *c = load("{'policy':'none','campaigns':[]}", err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_expect_null(c->campaigns.policy);
    cr_assert_not_null(c->campaigns.juris);
    cr_expect_geq(juris_find(c->campaigns.juris, sv_from("US-MD")), 0);
    config_free(c);
}

/* Signals that disagree about where the person is (issue 12): the rules of every place named apply, the
 * strictest of each, whichever signal comes first; agreeing ones change nothing. */
Test(juris, every_place_named_applies)
{
    static const struct {
        const char *name, *req, *want, *code, *detail; /* detail: a substring, or NULL */
    } cs[] = {
        {"device VA, user.geo MD",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'geo':{'country':'USA','region':'MD'}}",
         "jurisdiction.sensitive_banned", "US-VA", "US-MD: Maryland"},
        {"no device.geo, user.geo MD", "'user':{%s'geo':{'country':'USA','region':'MD'}}",
         "jurisdiction.sensitive_banned", "US-MD", "US-MD: Maryland"},
        {"device VA, gpp_sid MD",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'id':'u'},'regs':{'gpp_sid':[24]}",
         "jurisdiction.sensitive_banned", "US-VA", "US-MD: Maryland"},
        {"device CAN, user.geo USA without region",
         "'device':{'geo':{'country':'CAN'}},'user':{%s'geo':{'country':'USA'}}",
         "jurisdiction.sensitive_banned", "CAN", NULL},
        {"device VA, user.geo MD given twice (dropped)",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'geo':{'country':'USA','region':'MD'},'"
         "geo':{}}",
         "consent.malformed", "US-VA", "user.geo: duplicate key"},
        {"device VA, user.geo.region given twice",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'geo':{'country':'USA','region':'VA','"
         "region':'VA'}}",
         "consent.malformed", "US-VA", "user.geo.region: duplicate key"},
        {"gdpr 0, user.geo DEU", "'user':{%s'geo':{'country':'DEU'}},'regs':{'gdpr':0}",
         "jurisdiction.sensitive_banned", "EU", "EU: "},
        {"device CAN with region US-MD",
         "'device':{'geo':{'country':'CAN','region':'US-MD'}},'user':{%s'id':'u'}",
         "jurisdiction.sensitive_banned", "US-MD", NULL},
        {"device VA, regs.ext.gpp_sid MD",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'id':'u'},'regs':{'ext':{'gpp_sid':[24]}"
         "}",
         "jurisdiction.sensitive_banned", "US-VA", "US-MD: Maryland"},
        /* agreeing, or naming nothing more: as before */
        {"device VA, user.geo VA",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'geo':{'country':'usa','region':'US-VA'}"
         "}",
         "bid", "US-VA", NULL},
        {"device VA, user.geo without country",
         "'device':{'geo':{'country':'USA','region':'VA'}},'user':{%s'geo':{'lat':1,'city':'x'}}", "bid",
         "US-VA", NULL},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        char frag[1024], q[4096];
        /* the %s in req: the user's age and segments */
        const char *at = strstr(cs[i].req, "%s");
        cr_assert(at);
        snprintf(frag, sizeof frag, "%.*s'yob':1990,'data':[" SEG5 "],%s", (int)(at - cs[i].req), cs[i].req,
                 at + 2);
        snprintf(q, sizeof q, "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],%s}", frag);
        struct consent_stored st = {.sensitive_mask = CLASS_BIT(CLASS_HEALTH)};
        static struct run r;
        decide_at("2026-06-01", q, &st, &r);
        char d[256];
        cr_expect_str_eq(verdict(&r, "sens"), cs[i].want, "[%s] got %s (%s)", cs[i].name, verdict(&r, "sens"),
                         detail_of(&r, "sens", d, sizeof d));
        cr_expect_str_eq(r.res.juris.code, cs[i].code, "[%s] jurisdiction", cs[i].name);
        if (cs[i].detail)
            cr_expect(strstr(detail_of(&r, "sens", d, sizeof d), cs[i].detail), "[%s] detail %s", cs[i].name,
                      d);
    }
    /* regs.gdpr 0 with an EEA user.geo: no personal data (the non-sensitive campaign) */
    static struct run r;
    char d[256];
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],'user':{'yob':1990,"
              "'data':[" SEG5 "],'geo':{'country':'DEU'}},'regs':{'gdpr':0}}",
              NULL, &r);
    cr_expect_str_eq(verdict(&r, "plain"), "consent.malformed");
    cr_expect(strstr(detail_of(&r, "plain", d, sizeof d), "regs.gdpr: 0 but user.geo.country is in the EEA"),
              "%s", d);
    /* regs.gdpr 1 with a US geo: the EU's rules join the state's */
    decide_at("2026-06-01",
              "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}],"
              "'device':{'geo':{'country':'USA','region':'VA'}},'regs':{'gdpr':1}}",
              NULL, &r);
    const struct juris_table *t = cfg->campaigns.juris;
    cr_assert(t->eu >= 0);
    cr_expect(r.res.juris.mask >> t->eu & 1, "EU in the mask");
    cr_expect_str_eq(r.res.juris.code, "US-VA");
}
