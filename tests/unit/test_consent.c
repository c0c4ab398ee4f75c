/* Criterion tables for the consent rules (filters/consent.c, docs/consent.md): which regime applies, where
 * the TC string comes from, basic vs personal-data purposes, vendor, publisher restrictions, strict-mode
 * policy, US Privacy, GPP opt-outs, GPC, COPPA and minors, LMT, the consent store's view, and over-blocking
 * cases (a consenting adult keeps personal-data targeting). TC strings are built bit by bit; GPP strings come
 * from
 * @iabgpp/cmpapi's encoder (tests/interop/gen_consent_fixtures.js). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/consent.h"
#include "filters/decide.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "tests/unit/consent_testutil.h"
#include "tests/unit/testutil.h"

#define VENDOR 1000
#define NONE (-1)

/* GPP fixtures (reference encoder). */
#define GPP_USNAT_OK "DBABLA~CEAqAAAAAACA.QA"
#define GPP_USNAT_SALE_OPTOUT "DBABLA~CEAQAAAAAACA.QA"
#define GPP_USNAT_TARGETING_OPTOUT "DBABLA~CAABAAAAAACA.QA"
#define GPP_USNAT_CHILD "DBABLA~CAAAAAAAAECA.QA"
#define GPP_USNAT_GPC "DBABLA~CAAAAAAAAACA.YA"

struct tc_opts {
    uint32_t purposes;    /* bit p-1 */
    uint32_t purposes_li; /* bit p-1 */
    int vendor_consent;   /* 0 = none, else that vendor id */
    int vendor_li;
    int restr_purpose, restr_type; /* restr_purpose 0 = none; applies to VENDOR */
    uint64_t created;              /* deciseconds; 0 = 2022 */
    int disclosed;                 /* -1 = no segment, 0 = segment without VENDOR, 1 = with VENDOR */
    unsigned iss;
};

static char tcbuf[16][2048];
static int tcn;

static const char *tc(struct tc_opts o)
{
    static struct bw w;
    char enc[2048];
    memset(&w, 0, sizeof w);
    struct core_opts c = core_defaults();
    c.purposes = o.purposes;
    c.purposes_li = o.purposes_li;
    c.iss = o.iss ? o.iss - 1 : 1;
    if (o.created) c.created = o.created;
    bw_core(&w, &c);
    int vc[] = {o.vendor_consent};
    bw_bitfield(&w, vc, o.vendor_consent ? 1 : 0, o.vendor_consent ? (unsigned)o.vendor_consent : 0);
    int vl[] = {o.vendor_li};
    bw_bitfield(&w, vl, o.vendor_li ? 1 : 0, o.vendor_li ? (unsigned)o.vendor_li : 0);
    if (o.restr_purpose) {
        bw_put(&w, 1, 12);
        const unsigned r[][2] = {{VENDOR, VENDOR}};
        bw_put(&w, (uint64_t)o.restr_purpose, 6), bw_put(&w, (uint64_t)o.restr_type, 2), bw_entries(&w, r, 1);
    } else {
        bw_put(&w, 0, 12);
    }
    char *out = tcbuf[tcn++ % 16];
    strcpy(out, bw_b64(&w, enc));
    if (o.disclosed >= 0) {
        memset(&w, 0, sizeof w);
        bw_put(&w, 1, 3);
        const unsigned with[][2] = {{5, 5}, {VENDOR, VENDOR}};
        const unsigned without[][2] = {{5, 5}};
        if (o.disclosed)
            bw_ranges(&w, with, 2, VENDOR);
        else
            bw_ranges(&w, without, 1, 5);
        strcat(out, ".");
        strcat(out, bw_b64(&w, enc));
    }
    return out;
}

/* purposes 1-4 and 7 consented, vendor consent, no restriction: everything allowed */
static struct tc_opts full(void)
{
    return (struct tc_opts){.purposes = 0x4f, .vendor_consent = VENDOR, .disclosed = 1};
}

static _Alignas(16) char arena_mem[1 << 16];

static void eval_json(struct tu_eval *e, const char *body, bool strict,
                      const struct consent_store_view *store)
{
    tu_eval_json(e, body, VENDOR, strict, store);
}

/* Builds {"id":"r","imp":[...],"regs":{REGS},"user":{USER},"device":{DEVICE}} */
static const char *req(const char *regs, const char *user, const char *device)
{
    static char b[8192];
    snprintf(
        b, sizeof b,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"regs\":{%s},\"user\":{%s},"
        "\"device\":{%s}}",
        regs ? regs : "", user ? user : "", device ? device : "");
    return b;
}

struct row {
    const char *name;
    const char *regs, *user, *device;
    int all;      /* expected block_all, NONE = bids allowed */
    int personal; /* expected block_personal, NONE = personal data allowed */
};

static void run_rows(const struct row *rows, size_t n, bool strict)
{
    for (size_t i = 0; i < n; i++) {
        struct tu_eval e;
        eval_json(&e, req(rows[i].regs, rows[i].user, rows[i].device), strict, NULL);
        cr_expect_eq(e.st.block_all, rows[i].all, "%s: block_all %s, expected %s", rows[i].name,
                     e.st.block_all < 0 ? "none" : reason_name(e.st.block_all),
                     rows[i].all < 0 ? "none" : reason_name(rows[i].all));
        cr_expect_eq(e.st.block_personal, rows[i].personal, "%s: block_personal %s (%.*s), expected %s",
                     rows[i].name, e.st.block_personal < 0 ? "none" : reason_name(e.st.block_personal),
                     SV_FMT(e.st.detail), rows[i].personal < 0 ? "none" : reason_name(rows[i].personal));
    }
}

static char s1[2048], s2[2048], s3[2048], s4[2048], s5[2048], s6[2048], s7[2048], s8[2048], s9[2048],
    s10[2048], s11[2048], s12[2048];

Test(consent, gdpr_regime_and_tc_string_sources)
{
    const char *ok = tc(full());
    snprintf(s1, sizeof s1, "\"consent\":\"%s\"", ok);
    snprintf(s2, sizeof s2, "\"ext\":{\"consent\":\"%s\"}", ok);
    snprintf(s3, sizeof s3, "\"consent\":\"%s\",\"ext\":{\"consent\":\"garbage\"}", ok);
    const struct row rows[] = {
        {"no regs at all: nothing restricts", NULL, NULL, NULL, NONE, NONE},
        {"gdpr=0", "\"gdpr\":0", NULL, NULL, NONE, NONE},
        {"gdpr=1, no TC string: no bid", "\"gdpr\":1", NULL, NULL, REASON_CONSENT_TCF_INVALID,
         REASON_CONSENT_TCF_INVALID},
        {"gdpr=1, full consent in user.consent (over-blocking check)", "\"gdpr\":1", s1, NULL, NONE, NONE},
        {"regs.ext.gdpr=1 (2.5 location), consent in user.ext.consent", "\"ext\":{\"gdpr\":1}", s2, NULL,
         NONE, NONE},
        /* the same signal in its 2.6 and 2.5 locations with different values is a duplicate: malformed */
        {"user.consent and a different user.ext.consent", "\"gdpr\":1", s3, NULL, REASON_CONSENT_MALFORMED,
         REASON_CONSENT_MALFORMED},
        {"regs.gdpr=0 and regs.ext.gdpr=1 disagree", "\"gdpr\":0,\"ext\":{\"gdpr\":1}", NULL, NULL,
         REASON_CONSENT_MALFORMED, REASON_CONSENT_MALFORMED},
        {"regs.gdpr=0 and regs.ext.gdpr=0 agree", "\"gdpr\":0,\"ext\":{\"gdpr\":0}", NULL, NULL, NONE, NONE},
        {"gpp_sid contains 2: GDPR applies even without regs.gdpr", "\"gpp_sid\":[2,7]", NULL, NULL,
         REASON_CONSENT_TCF_INVALID, REASON_CONSENT_TCF_INVALID},
        {"gpp_sid without 2 and gdpr=0", "\"gpp_sid\":[7],\"gdpr\":0", NULL, NULL, NONE, NONE},
        {"gdpr=1, TC string garbage", "\"gdpr\":1", "\"consent\":\"not-a-tc-string\"", NULL,
         REASON_CONSENT_TCF_INVALID, REASON_CONSENT_TCF_INVALID},
        {"regs.gdpr=2 malformed: no bid", "\"gdpr\":2", s1, NULL, REASON_CONSENT_MALFORMED,
         REASON_CONSENT_MALFORMED},
        {"regs.ext.gdpr=\"foo\" malformed", "\"ext\":{\"gdpr\":\"foo\"}", s1, NULL, REASON_CONSENT_MALFORMED,
         REASON_CONSENT_MALFORMED},
        {"regs.gdpr given twice (1 then 0): malformed, not last-wins", "\"gdpr\":1,\"gdpr\":0", NULL, NULL,
         REASON_CONSENT_MALFORMED, REASON_CONSENT_MALFORMED},
        {"us_privacy given twice: no personal data", "\"us_privacy\":\"1YYN\",\"us_privacy\":\"1YNN\"", NULL,
         NULL, NONE, REASON_CONSENT_MALFORMED},
        {"regs.ext a string: malformed", "\"ext\":\"malformed\"", NULL, NULL, REASON_CONSENT_MALFORMED,
         REASON_CONSENT_MALFORMED},
        {"user.ext.consent an integer: malformed", NULL, "\"ext\":{\"consent\":1}", NULL,
         REASON_CONSENT_MALFORMED, REASON_CONSENT_MALFORMED},
        {"user.consent not a string: malformed", "\"gdpr\":1", "\"consent\":{\"a\":1}", NULL,
         REASON_CONSENT_MALFORMED, REASON_CONSENT_MALFORMED},
    };
    run_rows(rows, sizeof rows / sizeof rows[0], true);
}

Test(consent, tcf_purposes_vendor_restrictions)
{
    struct tc_opts o;
    o = full();
    o.purposes = 0x4b; /* no purpose 3 */
    snprintf(s1, sizeof s1, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.purposes = 0x4e; /* no purpose 1 */
    snprintf(s2, sizeof s2, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.vendor_consent = 5; /* another vendor */
    snprintf(s3, sizeof s3, "\"consent\":\"%s\"", tc(o));
    /* basic ads by legitimate interest only: purpose 2 LI, vendor LI, no consents */
    o = (struct tc_opts){.purposes = 0, .purposes_li = 0x2, .vendor_li = VENDOR, .disclosed = 1};
    snprintf(s4, sizeof s4, "\"consent\":\"%s\"", tc(o));
    o = (struct tc_opts){.purposes = 0, .disclosed = 1};
    snprintf(s5, sizeof s5, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.restr_purpose = 3, o.restr_type = 0; /* publisher forbids purpose 3 for us */
    snprintf(s6, sizeof s6, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.restr_purpose = 2, o.restr_type = 0; /* publisher forbids basic ads for us */
    snprintf(s7, sizeof s7, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.restr_purpose = 4, o.restr_type = 1; /* require consent: we have it */
    snprintf(s8, sizeof s8, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.disclosed = 0; /* our vendor id was not disclosed to the user */
    snprintf(s9, sizeof s9, "\"consent\":\"%s\"", tc(o));
    const struct row rows[] = {
        {"no purpose 3: contextual only", "\"gdpr\":1", s1, NULL, NONE, REASON_CONSENT_TCF_PURPOSE},
        {"no purpose 1: contextual only", "\"gdpr\":1", s2, NULL, NONE, REASON_CONSENT_TCF_PURPOSE},
        {"no vendor consent and no vendor LI: no bid", "\"gdpr\":1", s3, NULL, REASON_CONSENT_TCF_VENDOR,
         REASON_CONSENT_TCF_VENDOR},
        {"basic ads by LI: contextual bids, no personal data", "\"gdpr\":1", s4, NULL, NONE,
         REASON_CONSENT_TCF_PURPOSE},
        {"nothing consented: no bid", "\"gdpr\":1", s5, NULL, REASON_CONSENT_TCF_VENDOR,
         REASON_CONSENT_TCF_VENDOR},
        {"restriction on purpose 3", "\"gdpr\":1", s6, NULL, NONE, REASON_CONSENT_TCF_RESTRICTED},
        {"restriction on purpose 2: no bid", "\"gdpr\":1", s7, NULL, REASON_CONSENT_TCF_RESTRICTED,
         REASON_CONSENT_TCF_RESTRICTED},
        {"require-consent restriction with consent: allowed", "\"gdpr\":1", s8, NULL, NONE, NONE},
        {"vendor not disclosed: no bid", "\"gdpr\":1", s9, NULL, REASON_CONSENT_TCF_VENDOR,
         REASON_CONSENT_TCF_VENDOR},
    };
    run_rows(rows, sizeof rows / sizeof rows[0], true);
}

/* Issue 14: publisher restriction type 3 is undefined in the TCF spec. The string stays valid (no longer
 * "TC string invalid": that was no bid at all) and the restriction reads as "not allowed" for its purpose
 * and vendor only. */
Test(consent, tcf_restriction_type_3_restricts_locally)
{
    struct tc_opts o;
    o = full();
    o.restr_purpose = 3, o.restr_type = 3; /* undefined type on a personal-data purpose, for us */
    snprintf(s1, sizeof s1, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.restr_purpose = 2, o.restr_type = 3; /* undefined type on basic ads, for us */
    snprintf(s2, sizeof s2, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.restr_purpose = 7, o.restr_type = 3; /* undefined type on a purpose we do not use */
    snprintf(s3, sizeof s3, "\"consent\":\"%s\"", tc(o));
    const struct row rows[] = {
        {"type 3 on purpose 3: contextual only", "\"gdpr\":1", s1, NULL, NONE, REASON_CONSENT_TCF_RESTRICTED},
        {"type 3 on purpose 2: no bid", "\"gdpr\":1", s2, NULL, REASON_CONSENT_TCF_RESTRICTED,
         REASON_CONSENT_TCF_RESTRICTED},
        {"type 3 on purpose 7: allowed", "\"gdpr\":1", s3, NULL, NONE, NONE},
    };
    run_rows(rows, sizeof rows / sizeof rows[0], true);
}

Test(consent, strict_and_lenient_policy)
{
    struct tc_opts o = full();
    o.iss = 1; /* IsServiceSpecific = 0: legacy global consent */
    snprintf(s1, sizeof s1, "\"consent\":\"%s\"", tc(o));
    o = full();
    o.created = 17800000000ull; /* 2026-05: Disclosed Vendors required in strict mode */
    o.disclosed = -1;
    snprintf(s2, sizeof s2, "\"consent\":\"%s\"", tc(o));
    o.disclosed = 1;
    snprintf(s3, sizeof s3, "\"consent\":\"%s\"", tc(o));
    const struct row strict_rows[] = {
        {"strict: IsServiceSpecific=0 invalid", "\"gdpr\":1", s1, NULL, REASON_CONSENT_TCF_INVALID,
         REASON_CONSENT_TCF_INVALID},
        {"strict: 2026 string without Disclosed Vendors invalid", "\"gdpr\":1", s2, NULL,
         REASON_CONSENT_TCF_INVALID, REASON_CONSENT_TCF_INVALID},
        {"strict: 2026 string with Disclosed Vendors fine", "\"gdpr\":1", s3, NULL, NONE, NONE},
    };
    run_rows(strict_rows, sizeof strict_rows / sizeof strict_rows[0], true);
    const struct row lenient_rows[] = {
        {"lenient: IsServiceSpecific=0 accepted", "\"gdpr\":1", s1, NULL, NONE, NONE},
        {"lenient: no Disclosed Vendors accepted", "\"gdpr\":1", s2, NULL, NONE, NONE},
    };
    run_rows(lenient_rows, sizeof lenient_rows / sizeof lenient_rows[0], false);
}

Test(consent, us_signals_minors_lmt)
{
    snprintf(s10, sizeof s10, "\"gpp\":\"%s\",\"gpp_sid\":[7]", GPP_USNAT_OK);
    snprintf(s11, sizeof s11, "\"gpp\":\"%s\",\"gpp_sid\":[7]", GPP_USNAT_SALE_OPTOUT);
    snprintf(s12, sizeof s12, "\"gpp\":\"%s\",\"gpp_sid\":[7]", GPP_USNAT_TARGETING_OPTOUT);
    snprintf(s4, sizeof s4, "\"gpp\":\"%s\",\"gpp_sid\":[7]", GPP_USNAT_CHILD);
    snprintf(s5, sizeof s5, "\"gpp\":\"%s\",\"gpp_sid\":[7]", GPP_USNAT_GPC);
    const struct row rows[] = {
        {"usp 1YNN: allowed (over-blocking check)", "\"us_privacy\":\"1YNN\"", NULL, NULL, NONE, NONE},
        {"usp 1YYN: opted out of sale", "\"us_privacy\":\"1YYN\"", NULL, NULL, NONE,
         REASON_CONSENT_USP_OPTOUT},
        {"usp lower case 1yyn still an opt-out", "\"us_privacy\":\"1yyn\"", NULL, NULL, NONE,
         REASON_CONSENT_USP_OPTOUT},
        {"usp 1---: not applicable", "\"us_privacy\":\"1---\"", NULL, NULL, NONE, NONE},
        {"usp in regs.ext (2.5)", "\"ext\":{\"us_privacy\":\"1YYN\"}", NULL, NULL, NONE,
         REASON_CONSENT_USP_OPTOUT},
        {"us_privacy and a different regs.ext.us_privacy: malformed",
         "\"us_privacy\":\"1YNN\",\"ext\":{\"us_privacy\":\"1YYN\"}", NULL, NULL, NONE,
         REASON_CONSENT_MALFORMED},
        {"us_privacy and the same regs.ext.us_privacy",
         "\"us_privacy\":\"1YNN\",\"ext\":{\"us_privacy\":\"1YNN\"}", NULL, NULL, NONE, NONE},
        {"usp garbage: no personal data", "\"us_privacy\":\"hello\"", NULL, NULL, NONE,
         REASON_CONSENT_MALFORMED},
        {"GPP US National, no opt-out: allowed", s10, NULL, NULL, NONE, NONE},
        {"GPP US National sale opt-out", s11, NULL, NULL, NONE, REASON_CONSENT_GPP_OPTOUT},
        {"GPP US National targeted-advertising opt-out", s12, NULL, NULL, NONE, REASON_CONSENT_GPP_OPTOUT},
        {"GPP known child", s4, NULL, NULL, NONE, REASON_MINOR_KNOWN_CHILD},
        {"GPP GPC sub-section", s5, NULL, NULL, NONE, REASON_CONSENT_GPC},
        {"GPP string garbage", "\"gpp\":\"DBAB~zz~\",\"gpp_sid\":[7]", NULL, NULL, NONE,
         REASON_CONSENT_MALFORMED},
        {"GPC in regs.ext", "\"ext\":{\"gpc\":1}", NULL, NULL, NONE, REASON_CONSENT_GPC},
        {"GPC as the string \"1\"", "\"ext\":{\"gpc\":\"1\"}", NULL, NULL, NONE, REASON_CONSENT_GPC},
        {"GPC 0", "\"ext\":{\"gpc\":0}", NULL, NULL, NONE, NONE},
        {"COPPA", "\"coppa\":1", NULL, NULL, NONE, REASON_MINOR_COPPA},
        {"COPPA 0", "\"coppa\":0", NULL, NULL, NONE, NONE},
        {"yob: 15 years old", NULL, "\"yob\":2011", NULL, NONE, REASON_MINOR_AGE},
        {"yob: 18 years old is an adult", NULL, "\"yob\":2008", NULL, NONE, NONE},
        {"lmt=1", NULL, NULL, "\"lmt\":1", NONE, REASON_CONSENT_LMT},
        {"lmt=0", NULL, NULL, "\"lmt\":0", NONE, NONE},
        {"dnt=1", NULL, NULL, "\"dnt\":1", NONE, REASON_CONSENT_DNT},
        {"dnt=0", NULL, NULL, "\"dnt\":0", NONE, NONE},
    };
    run_rows(rows, sizeof rows / sizeof rows[0], true);
}

Test(consent, store_view)
{
    struct consent_stored optout = {.optout = true}, minor = {.minor = true}, clean = {0};
    struct {
        const char *name;
        struct consent_store_view v;
        int personal;
    } rows[] = {
        {"trusted, no record", {true, NULL}, NONE},
        {"trusted, clean record", {true, &clean}, NONE},
        {"stored opt-out always restricts", {true, &optout}, REASON_CONSENT_STORED_OPTOUT},
        {"stored minor", {true, &minor}, REASON_MINOR_STORED},
        {"mirror not trusted: fail safe", {false, NULL}, REASON_CONSENT_STORE_UNAVAILABLE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct tu_eval e;
        /* request signals consent fully: the store still wins */
        eval_json(&e, req("\"us_privacy\":\"1YNN\"", NULL, NULL), true, &rows[i].v);
        cr_expect_eq(e.st.block_all, NONE, "%s: contextual bids continue", rows[i].name);
        cr_expect_eq(e.st.block_personal, rows[i].personal, "%s: got %s", rows[i].name,
                     e.st.block_personal < 0 ? "none" : reason_name(e.st.block_personal));
    }
}

Test(consent, minors_lose_precise_geo)
{
    struct tu_eval e;
    eval_json(&e, req("\"coppa\":1", NULL, "\"geo\":{\"lat\":1.5,\"lon\":2.5}"), true, NULL);
    cr_assert(e.st.minor);
    cr_assert(!e.st.precise_geo_ok);
    eval_json(&e, req(NULL, NULL, "\"geo\":{\"lat\":1.5,\"lon\":2.5}"), true, NULL);
    cr_assert(e.st.precise_geo_ok);
}

/* End to end through decide(): the personal-data campaign is dropped with the consent reason while the
 * contextual one still bids; a consenting adult gets the personal-data bid. */
Test(consent, decide_applies_consent_per_campaign)
{
    static const char cfgtext[] =
        "{\"tcf_vendor_id\":1000,\"campaigns\":["
        "{\"id\":\"ctx\",\"crid\":\"a\",\"bid_cpm\":1,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"x\"},"
        "{\"id\":\"pers\",\"crid\":\"b\",\"bid_cpm\":2,\"formats\":[{\"w\":300,\"h\":250}],\"adm\":\"y\","
        "\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"7\"]}]}}]}";
    char err[512];
    struct config *cfg = config_parse_load("t.json", cfgtext, sizeof cfgtext - 1, NULL, err, sizeof err);
    cr_assert(cfg, "%s", err);
    struct {
        const char *name, *regs;
        int pers_reason;
        const char *winner;
    } rows[] = {
        {"adult, no restrictions: personal campaign wins", "\"us_privacy\":\"1YNN\"", REASON_BID, "pers"},
        {"opted out of sale: contextual wins", "\"us_privacy\":\"1YYN\"", REASON_CONSENT_USP_OPTOUT, "ctx"},
        {"COPPA: contextual wins", "\"coppa\":1", REASON_MINOR_COPPA, "ctx"},
        {"GDPR without consent: nobody bids", "\"gdpr\":1", REASON_CONSENT_TCF_INVALID, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"regs\":{%s},"
                 "\"user\":{\"data\":[{\"id\":\"d\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"7\"}]}]}}",
                 rows[i].regs);
        struct arena a;
        arena_init(&a, arena_mem, sizeof arena_mem);
        struct ortb_request r;
        struct ortb_error pe;
        cr_assert_eq(ortb_parse(body, strlen(body), &a, &r, &pe), 0);
        struct decide_env env = {.year = 2026};
        struct decide_result res;
        cr_assert_eq(decide_run(&cfg->campaigns, &r, &env, &a, &res), 0);
        cr_expect_eq(res.v[1].reason, rows[i].pers_reason, "%s: personal campaign %s", rows[i].name,
                     reason_name(res.v[1].reason));
        if (rows[i].winner)
            cr_expect(sv_eq_cstr(cfg->campaigns.v[res.winner[0]].id, rows[i].winner), "%s: winner",
                      rows[i].name);
        else
            cr_expect_eq(res.winner[0], -1, "%s: no winner", rows[i].name);
    }
    config_free(cfg);
}
