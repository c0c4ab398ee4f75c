/* Unit tests for filters/scrub.c (filter mode, issue 17): what an upstream bidder may see. Each field class
 * (user ids and profile, device ids, IPs, precise geo, segments by class), the consent situations that
 * decide them (no vendor consent, basic ads only, COPPA, a duplicate privacy key, a key spelled in another
 * case), the comma handling (every output is parsed again with the project's JSON parser), the tmax
 * rewrite, and consent_for_vendor's equality with consent_eval for that vendor. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/consent.h"
#include "filters/json.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "filters/scrub.h"
#include "tests/unit/consent_testutil.h"

#define VENDOR 1000

/* ---- TC strings, built bit by bit (as tests/unit/test_consent.c does) ---- */
static char tcbuf[8][2048];
static int tcn;

static const char *tc(uint32_t purposes, int vendor_consent, uint16_t special)
{
    static struct bw w;
    char enc[2048];
    memset(&w, 0, sizeof w);
    struct core_opts c = core_defaults();
    c.purposes = purposes;
    c.special = special;
    bw_core(&w, &c);
    int vc[] = {vendor_consent};
    bw_bitfield(&w, vc, vendor_consent ? 1 : 0, vendor_consent ? (unsigned)vendor_consent : 0);
    bw_bitfield(&w, vc, 0, 0); /* no vendor LI */
    bw_put(&w, 0, 12);         /* no publisher restrictions */
    char *out = tcbuf[tcn++ % 8];
    strcpy(out, bw_b64(&w, enc));
    return out;
}

/* ---- running the scrubber ---- */

static struct config *cfg; /* for the built-in policy */
static _Alignas(16) char amem[1 << 20];

struct run {
    struct ortb_request req;
    struct consent_state cs;
    struct scrub_result r;
    int rc;
    char body[16384];
    char out[2 * 16384 + SCRUB_SLACK];
};

static void setup(void)
{
    char err[512];
    const char *t = "{\"campaigns\": []}";
    cfg = config_parse_load("t.json", t, strlen(t), NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_not_null(cfg->campaigns.policy);
}

static void teardown(void)
{
    config_free(cfg);
}

static bool valid_json(const char *p, size_t n)
{
    static _Alignas(16) char m[1 << 16];
    struct arena a;
    arena_init(&a, m, sizeof m);
    struct json j;
    json_init(&j, p, n, &a);
    return json_skip(&j) == 0 && json_finish(&j) == 0;
}

static void run_ex(struct run *x, const char *body, int32_t vendor, const struct consent_store_view *store,
                   int32_t tmax_ms)
{
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    snprintf(x->body, sizeof x->body, "%s", body);
    struct ortb_error err;
    size_t n = strlen(x->body);
    cr_assert_eq(ortb_parse(x->body, n, &a, &x->req, &err), 0, "does not parse: %s: %s", err.msg, body);
    struct consent_config cc = {.tcf_vendor_id = CONSENT_VENDOR_DEFERRED, .tcf_strict = true};
    consent_eval(&x->req, &cc, store, 2026, &a, &x->cs);
    struct scrub_input in = {.body = x->body,
                             .len = n,
                             .req = &x->req,
                             .cs = &x->cs,
                             .tcf_vendor_id = vendor,
                             .tcf_strict = true,
                             .policy = cfg->campaigns.policy,
                             .year = 2026,
                             .tmax_ms = tmax_ms};
    x->rc = scrub_request(&in, &a, x->out, sizeof x->out, &x->r);
    cr_assert_eq(x->rc, 0, "scrub_request: %d", x->rc);
    if (x->r.forward) {
        x->out[x->r.out_len] = '\0';
        cr_assert(valid_json(x->out, x->r.out_len), "output is not valid JSON: %s", x->out);
        /* and still a bid request fairbid reads */
        struct ortb_request again;
        cr_assert_eq(ortb_parse(x->out, x->r.out_len, &a, &again, &err), 0, "%s: %s", err.msg, x->out);
    } else {
        cr_assert_eq(x->r.out_len, 0);
    }
}

static void run(struct run *x, const char *body)
{
    run_ex(x, body, VENDOR, NULL, 80);
}

static bool removed(const struct run *x, const char *path, int reason)
{
    for (uint32_t i = 0; i < x->r.nremoved; i++)
        if (!strcmp(x->r.removed[i].path, path) && (reason < 0 || x->r.removed[i].reason == reason))
            return true;
    return false;
}

static bool has(const struct run *x, const char *needle)
{
    return strstr(x->out, needle) != NULL;
}

/* Each of the n bodies is not forwarded at all: consent.malformed (x holds the last run). */
static void assert_all_refused(struct run *x, const char *const *bodies, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        run(x, bodies[i]);
        cr_assert(!x->r.forward, "%s", bodies[i]);
        cr_assert_eq(x->r.reason, REASON_CONSENT_MALFORMED);
    }
}

/* a request carrying every personal field, three segments (non-sensitive 1, health 381, addiction 399) */
#define REQ(regs, user_extra)                                                                                \
    "{\"id\":\"r1\",\"tmax\":120,\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],"                 \
    "\"site\":{\"domain\":\"news.example\"},"                                                                \
    "\"device\":{\"ua\":\"UA\",\"ip\":\"203.0.113.77\",\"ipv6\":\"2001:db8:85a3:12ab:8a2e::7334\","          \
    "\"ifa\":\"IFA-1\",\"dpidsha1\":\"D1\",\"dpidmd5\":\"D2\",\"didsha1\":\"D3\",\"didmd5\":\"D4\","         \
    "\"macsha1\":\"M1\",\"macmd5\":\"M2\",\"geo\":{\"lat\":48.85,\"lon\":2.35,\"country\":\"FRA\","          \
    "\"region\":\"IDF\",\"zip\":\"75001\",\"metro\":\"m\",\"city\":\"Paris\",\"accuracy\":5,\"type\":2}},"   \
    "\"user\":{\"id\":\"U-1\",\"buyeruid\":\"B-1\",\"yob\":1980,\"gender\":\"F\",\"keywords\":\"k\","        \
    "\"geo\":{\"lat\":1},\"eids\":[{\"source\":\"s\",\"uids\":[{\"id\":\"E\"}]}],"                           \
    "\"data\":[{\"id\":\"dp\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"1\"},{\"id\":\"381\"},"          \
    "{\"id\":\"399\"}]}],\"ext\":{\"eids\":[{\"source\":\"x\"}],\"other\":1}" user_extra "},"                \
    "\"regs\":{" regs "}}"

static const char *const personal_paths[] = {
    "user.id",         "user.buyeruid",      "user.yob",       "user.gender",    "user.keywords",
    "user.geo",        "user.eids",          "user.data",      "user.ext.eids",  "device.ifa",
    "device.dpidsha1", "device.dpidmd5",     "device.didsha1", "device.didmd5",  "device.macsha1",
    "device.macmd5",   "device.geo.lat",     "device.geo.lon", "device.geo.zip", "device.geo.metro",
    "device.geo.city", "device.geo.accuracy"};

static void assert_personal_gone(const struct run *x, int reason)
{
    for (size_t i = 0; i < sizeof personal_paths / sizeof personal_paths[0]; i++)
        cr_assert(removed(x, personal_paths[i], reason), "%s not removed (reason %s): %s", personal_paths[i],
                  reason_name(reason), x->out);
    static const char *const gone[] = {"U-1",   "B-1",   "1980",   "\"F\"", "IFA-1", "D1",     "D2",
                                       "D3",    "D4",    "M1",     "M2",    "48.85", "75001",  "Paris",
                                       "\"k\"", "\"E\"", "segtax", "eids",  ".77",   "\"lat\""};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        cr_assert(!has(x, gone[i]), "%s still forwarded: %s", gone[i], x->out);
    cr_assert(has(x, "\"ip\":\"203.0.113.0\""), "%s", x->out);
    cr_assert(has(x, "\"ipv6\":\"2001:db8:85a3:1200::\""), "%s", x->out);
    cr_assert(has(x, "\"country\":\"FRA\"") && has(x, "\"region\":\"IDF\"") && has(x, "\"type\":2"));
    cr_assert(has(x, "\"ua\":\"UA\""), "what is not personal stays: %s", x->out);
    /* an extension of user is about the person: without personal data only the consent signals stay */
    cr_assert(!has(x, "\"other\":1") && removed(x, "user.ext.*", reason), "%s", x->out);
    cr_assert(removed(x, "device.ip", reason) && removed(x, "device.ipv6", reason));
}

TestSuite(scrub, .init = setup, .fini = teardown);

Test(scrub, consenting_adult_outside_gdpr_keeps_personal_data_but_never_sensitive_or_vulnerable_segments)
{
    static struct run x;
    /* no regs.gdpr: gdpr 0 with this French geo is a disagreement (gdpr_0_with_a_geo_in_the_eea below) */
    run(&x, REQ("", ""));
    cr_assert(x.r.forward);
    cr_assert(x.r.personal && x.r.precise_geo);
    cr_assert_eq(x.r.reason, -1);
    cr_assert(has(&x, "\"buyeruid\":\"B-1\"") && has(&x, "\"ifa\":\"IFA-1\"") && has(&x, "203.0.113.77"));
    cr_assert(has(&x, "\"lat\":48.85"));
    /* the segments: 1 stays, health 381 (no explicit consent) and addiction 399 (always) go */
    cr_assert(has(&x, "\"segment\":[{\"id\":\"1\"}]"), "%s", x.out);
    cr_assert(removed(&x, "user.data[].segment[]", REASON_SENSITIVE_HEALTH));
    cr_assert(removed(&x, "user.data[].segment[]", REASON_EXPLOIT_VULNERABLE_SEGMENT));
    cr_assert_eq(x.r.nremoved, 2);
    cr_assert_eq(x.r.removed[0].i1, 0);
    cr_assert_eq(x.r.removed[0].i2, 1);
    cr_assert_eq(x.r.removed[1].i2, 2);
    cr_assert(sv_eq_cstr(x.r.removed[1].id, "399"));
    cr_assert(has(&x, "\"tmax\":80"), "tmax rewritten to the upstream's budget: %s", x.out);
}

Test(scrub, gdpr_0_with_a_geo_in_the_eea_removes_personal_data)
{
    /* regs.gdpr 0 says GDPR does not apply, device.geo.country FRA says it does: no reading lifts the other
     * (issue 12) */
    static struct run x;
    run(&x, REQ("\"gdpr\":0", ""));
    cr_assert(x.r.forward);
    cr_assert(!x.r.personal);
    cr_assert_eq(x.r.reason, REASON_CONSENT_MALFORMED);
    cr_assert(!has(&x, "\"buyeruid\"") && !has(&x, "\"lat\":48.85"), "%s", x.out);
}

Test(scrub, coppa_removes_every_personal_field)
{
    static struct run x;
    run(&x, REQ("\"coppa\":1", ""));
    cr_assert(x.r.forward);
    cr_assert(!x.r.personal && !x.r.precise_geo);
    cr_assert_eq(x.r.reason, REASON_MINOR_COPPA);
    assert_personal_gone(&x, REASON_MINOR_COPPA);
}

/* regs.ext.coppa: the same rules as regs.coppa (either 1 applies; a conflict, a repeat or a bad value
 * restricts), through the consent state scrub_request derives from the parse. The clean twin keeps it all. */
Test(scrub, ext_coppa_removes_every_personal_field)
{
    static struct run x;
    static const char *const regs[] = {"\"ext\":{\"coppa\":1}", "\"coppa\":0,\"ext\":{\"coppa\":1}",
                                       "\"coppa\":1,\"ext\":{\"coppa\":0}",
                                       "\"ext\":{\"coppa\":0,\"coppa\":0}", "\"ext\":{\"coppa\":\"1\"}"};
    char body[8192];
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++) {
        snprintf(body, sizeof body, REQ("%s", ""), regs[i]);
        run(&x, body);
        cr_assert(x.r.forward, "[%s]", regs[i]);
        cr_assert(!x.r.personal && !x.r.precise_geo, "[%s]", regs[i]);
        cr_assert_eq(x.r.reason, REASON_MINOR_COPPA, "[%s] %s", regs[i], reason_name(x.r.reason));
        assert_personal_gone(&x, REASON_MINOR_COPPA);
    }
    snprintf(body, sizeof body, REQ("%s", ""), "\"coppa\":0,\"ext\":{\"coppa\":0}");
    run(&x, body);
    cr_assert(x.r.forward && x.r.personal, "%s", reason_name(x.r.reason));
}

Test(scrub, minor_by_yob_is_the_same)
{
    static struct run x;
    run(&x, REQ("", ",\"yob\":2015"));
    cr_assert(x.r.forward);
    cr_assert_eq(x.r.reason, REASON_MINOR_AGE);
    cr_assert(!has(&x, "\"lat\"") && !has(&x, "2015"), "%s", x.out);
}

Test(scrub, gdpr_without_vendor_consent_is_not_forwarded)
{
    static struct run x;
    char regs[4096];
    snprintf(regs, sizeof regs, "{\"gdpr\":1}");
    char body[8192];
    snprintf(body, sizeof body,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":%s,\"user\":{\"buyeruid\":\"B\",\"consent\":\"%"
             "s\"}}",
             regs, tc(0x4f, 77, 1));
    run(&x, body);
    cr_assert(!x.r.forward);
    cr_assert_eq(x.r.reason, REASON_CONSENT_TCF_VENDOR, "%s", reason_name(x.r.reason));
    cr_assert_eq(x.r.nremoved, 0);
    /* the same request for vendor 77, which has consent: forwarded whole */
    run_ex(&x, body, 77, NULL, 50);
    cr_assert(x.r.forward && x.r.personal, "%s", reason_name(x.r.reason));
    cr_assert(has(&x, "\"buyeruid\":\"B\""));
    cr_assert(has(&x, "{\"tmax\":50,\"id\""), "tmax inserted where there was none: %s", x.out);
}

Test(scrub, gdpr_basic_ads_only_forwards_without_personal_data)
{
    static struct run x;
    char body[16384];
    /* purpose 2 only: basic ads allowed, no profile purposes */
    snprintf(body, sizeof body, REQ("\"gdpr\":1", ",\"consent\":\"%s\""), tc(0x2, VENDOR, 1));
    run(&x, body);
    cr_assert(x.r.forward);
    cr_assert_eq(x.r.reason, REASON_CONSENT_TCF_PURPOSE, "%s", reason_name(x.r.reason));
    assert_personal_gone(&x, REASON_CONSENT_TCF_PURPOSE);
    cr_assert(has(&x, "\"consent\":\""), "the consent string stays for the upstream: %s", x.out);
}

Test(scrub, gdpr_full_consent_without_special_feature_1_drops_precise_geo_only)
{
    static struct run x;
    char body[16384];
    snprintf(body, sizeof body, REQ("\"gdpr\":1", ",\"consent\":\"%s\""), tc(0x4f, VENDOR, 0));
    run(&x, body);
    cr_assert(x.r.forward && x.r.personal && !x.r.precise_geo);
    cr_assert_eq(x.r.geo_reason, REASON_CONSENT_TCF_GEO);
    cr_assert(removed(&x, "device.geo.lat", REASON_CONSENT_TCF_GEO));
    cr_assert(removed(&x, "user.geo.lat", REASON_CONSENT_TCF_GEO));
    cr_assert(has(&x, "\"buyeruid\":\"B-1\""));
    cr_assert(!has(&x, "48.85"));
    /* with the opt-in, it stays */
    snprintf(body, sizeof body, REQ("\"gdpr\":1", ",\"consent\":\"%s\""), tc(0x4f, VENDOR, 1));
    run(&x, body);
    cr_assert(x.r.precise_geo && has(&x, "48.85"));
}

Test(scrub, duplicate_privacy_keys_restrict)
{
    static struct run x;
    /* coppa given twice: the user may be a child */
    run(&x, REQ("\"coppa\":0,\"coppa\":0", ""));
    cr_assert(x.r.forward);
    cr_assert_eq(x.r.reason, REASON_MINOR_COPPA);
    assert_personal_gone(&x, REASON_MINOR_COPPA);
    /* gdpr given twice: no consent can be read, nothing forwarded */
    run(&x, REQ("\"gdpr\":0,\"gdpr\":0", ""));
    cr_assert(!x.r.forward);
    cr_assert_eq(x.r.reason, REASON_CONSENT_MALFORMED);
}

Test(scrub, privacy_key_in_another_case_is_not_forwarded)
{
    static struct run x;
    const char *bodies[] = {
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"Regs\":{\"coppa\":1},\"user\":{\"buyeruid\":\"B\"}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"COPPA\":1},\"user\":{\"buyeruid\":\"B\"}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"ext\":{\"GDPR\":1}},\"user\":{\"buyeruid\":\"B\"}"
        "}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"buyeruid\":\"B\",\"YOB\":2015}}",
        /* U+017F LATIN SMALL LETTER LONG S: Go's encoding/json reads this key as "user" */
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"u\xc5\xbf"
        "er\":{\"buyeruid\":\"B\"}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"device\":{\"LMT\":1,\"ifa\":\"I\"}}",
    };
    assert_all_refused(&x, bodies, sizeof bodies / sizeof bodies[0]);
    /* a personal field in another case is removed like the field */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"user\":{\"BuyerUID\":\"B\","
            "\"id\":\"U\"},"
            "\"device\":{\"IFA\":\"I\",\"Ip\":\"1.2.3.4\"}}");
    cr_assert(x.r.forward);
    cr_assert(!has(&x, "\"B\"") && !has(&x, "\"U\"") && !has(&x, "\"I\"") && has(&x, "1.2.3.0"), "%s", x.out);
}

/* Keys are folded once per key (a plain lower-case key is its own fold): every edge of that fold. */
Test(scrub, key_fold_edges)
{
    static struct run x;
    /* under COPPA: upper case, U+017F for 's', U+212A for 'k', both with upper case; a key that only
     * differs in case from a device id; each is cut like the field it folds to */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},"
            "\"device\":{\"DIDSHA1\":\"D1\",\"did\xc5\xbfha1\":\"D2\",\"DID\xc5\xbfHA1\":\"D3\",\"dIdMd5\":"
            "\"D4\","
            "\"ifa\xc5\x80\":\"KEPT1\",\"ifaa\":\"KEPT2\",\"if\":\"KEPT3\",\"\":\"KEPT4\","
            "\"didsha1didsha1didsha1didsha1didsha1\":\"KEPT5\",\"d\xc3\xaf\x64sha1\":\"KEPT6\"},"
            "\"user\":{\"\xe2\x84\xaa\x45YWORDS\":\"K1\",\"ext\":{"
            "\"CONSENTED_PROVIDERS_SETTINGS\":\"KEEP1\","
            "\"con\xc5\xbf\x65nted_provider\xc5\xbf_\xc5\xbf\x65tting\xc5\xbf\":\"KEEP2\","
            "\"CON\xc5\xbf\x45NTED_PROVIDER\xc5\xbf_\xc5\xbf\x45TTING\xc5\xbfX\":\"GONE1\"}}}");
    cr_assert(x.r.forward);
    for (int i = 1; i <= 4; i++) {
        char v[8];
        snprintf(v, sizeof v, "\"D%d\"", i);
        cr_assert(!has(&x, v), "%s still forwarded: %s", v, x.out);
    }
    cr_assert(removed(&x, "device.didsha1", REASON_MINOR_COPPA) && removed(&x, "device.didmd5", -1));
    /* a lead byte not of a fold, a longer or shorter key, the empty key, a fold longer than any name, another
     * non-ASCII letter: no name, and device keeps what it does not know */
    for (int i = 1; i <= 6; i++) {
        char v[12];
        snprintf(v, sizeof v, "\"KEPT%d\"", i);
        cr_assert(has(&x, v), "%s removed: %s", v, x.out);
    }
    cr_assert(!has(&x, "\"K1\"") && removed(&x, "user.keywords", REASON_MINOR_COPPA), "%s", x.out);
    /* user.ext keeps the consent signals in any spelling (28 bytes folded, 32 raw: the longest name) */
    cr_assert(has(&x, "KEEP1") && has(&x, "KEEP2") && !has(&x, "GONE1"), "%s", x.out);
    /* a signal whose only difference is a Unicode fold, with no upper case, is still another spelling */
    const char *bodies[] = {
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gpp_\xc5\xbfid\":[2]},\"user\":{\"buyeruid\":"
        "\"B\"}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":0,\"\xc5\xbf\x64\x61\":1},"
        "\"user\":{\"ext\":{\"con\xc5\xbf\x65nt\":\"x\"}}}",
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"Ext\":{}}}",
    };
    assert_all_refused(&x, bodies, sizeof bodies / sizeof bodies[0]);
    /* the plain spellings are what fairbid reads: forwarded */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":0},\"user\":{\"ext\":{}},"
            "\"device\":{\"lmt\":0}}");
    cr_assert(x.r.forward, "%s", x.out);
}

Test(scrub, every_copy_of_a_repeated_field_is_removed)
{
    static struct run x;
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},"
            "\"user\":{\"buyeruid\":\"B1\",\"buyeruid\":\"B2\"},\"user\":{\"buyeruid\":\"B3\"},"
            "\"device\":{\"ifa\":\"I1\"},\"device\":{\"ifa\":\"I2\",\"ip\":\"9.9.9.9\",\"ip\":\"8.8.8.8\"}}");
    cr_assert(x.r.forward);
    cr_assert(!has(&x, "B1") && !has(&x, "B2") && !has(&x, "B3") && !has(&x, "I1") && !has(&x, "I2"), "%s",
              x.out);
    cr_assert(has(&x, "9.9.9.0") && has(&x, "8.8.8.0"));
}

Test(scrub, commas_stay_valid_whatever_is_removed)
{
    /* a device object of 6 members, each personal or not, in every one of the 64 combinations, compact and
     * pretty-printed: every output parses and holds exactly the kept members */
    static const char *const pers[] = {"\"ifa\":\"P0\"",
                                       "\"dpidsha1\":\"P1\"",
                                       "\"dpidmd5\":\"P2\"",
                                       "\"didsha1\":\"P3\"",
                                       "\"macsha1\":[{\"source\":\"P4\"}]",
                                       "\"macmd5\":\"P5\""};
    static const char *const keep[] = {"\"k0\":0",         "\"k1\":[1,2]", "\"k2\":{\"a\":\"b\"}",
                                       "\"consent\":\"\"", "\"k4\":null",  "\"k5\":\"x,y\""};
    static struct run x;
    for (int pretty = 0; pretty < 2; pretty++)
        for (unsigned m = 0; m < 64; m++) {
            char user[1024] = "";
            for (int i = 0; i < 6; i++) {
                if (i) strcat(user, pretty ? " ,\n  " : ",");
                strcat(user, (m >> i) & 1 ? pers[i] : keep[i]);
            }
            char body[2048];
            snprintf(
                body, sizeof body,
                pretty ? "{ \"id\" : \"r\",\n \"imp\" : [ { \"id\" : \"1\" } ],\n \"regs\" : { \"coppa\" : 1 "
                         "},\n \"device\" : {\n  %s\n }\n}\n"
                       : "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"device\":{%s}}",
                user);
            run(&x, body);
            cr_assert(x.r.forward);
            cr_assert_eq(x.r.nremoved, (uint32_t)__builtin_popcount(m), "%u: %s", m, x.out);
            for (int i = 0; i < 6; i++) {
                char tag[4] = {'P', (char)('0' + i), 0, 0};
                cr_assert(!has(&x, tag), "%u: %s", m, x.out);
                if (!((m >> i) & 1)) cr_assert(has(&x, keep[i]), "%u: %s kept: %s", m, keep[i], x.out);
            }
        }
}

Test(scrub, segment_removal_keeps_the_array_valid)
{
    static struct run x;
    /* vulnerable first, middle, last and alone; and a data object whose taxonomy cannot be told */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"data\":["
            "{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"399\"},{\"id\":\"1\"},{\"id\":\"1502\"},{\"id\":"
            "\"2\"},"
            "{\"id\":\"356\"}]},"
            "{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"369\"}]},"
            "{\"segment\":[{\"id\":\"399\"}]},"
            "{\"ext\":{\"segtax\":6},\"segment\":[{\"id\":\"x\",\"id\":\"181\"}]}]}}");
    cr_assert(x.r.forward && x.r.personal);
    cr_assert(has(&x, "\"segment\":[{\"id\":\"1\"},{\"id\":\"2\"}]"), "%s", x.out);
    cr_assert(has(&x, "\"segment\":[]"), "%s", x.out);
    cr_assert(has(&x, "{\"segment\":[{\"id\":\"399\"}]}"), "no segtax: unclassifiable, kept: %s", x.out);
    cr_assert(!has(&x, "181"), "a repeated segment id cannot hide a class: %s", x.out);
    /* two ext objects, one spelled "EXT" (which segtax?), and a segment array fairbid's parser does not read
     * ("Segment"): the bid path's parser cannot see those segments, so no personal data goes anywhere
     * (test_privacy_fields key_in_another_case); the data object and the segments go all the same */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"data\":["
            "{\"ext\":{\"segtax\":6},\"EXT\":{\"segtax\":4},\"segment\":[{\"id\":\"5\"}]}]}}");
    cr_assert(x.r.forward && !x.r.personal);
    cr_assert(!has(&x, "\"id\":\"5\""), "%s", x.out);
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"data\":[{\"ext\":{\"segtax\":4},"
            "\"Segment\":[\"399\",381,\"1\"]}]}}");
    cr_assert(x.r.forward && !x.r.personal);
    cr_assert(!has(&x, "399") && !has(&x, "381"), "%s", x.out);
}

Test(scrub, explicit_sensitive_consent_outside_gdpr_keeps_that_class_only)
{
    static struct run x;
    const char *body = "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"buyeruid\":\"B\",\"data\":["
                       "{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"381\"},{\"id\":\"503\"}]}]}}";
    struct consent_stored rec = {.sensitive_mask = CLASS_BIT(CLASS_HEALTH)};
    struct consent_store_view sv = {.trusted = true, .rec = &rec};
    run_ex(&x, body, VENDOR, &sv, 80);
    cr_assert(has(&x, "381") && !has(&x, "503"), "%s", x.out);
    cr_assert(removed(&x, "user.data[].segment[]", REASON_SENSITIVE_RELIGION));
    /* under GDPR (or the DSA) no consent in the bid stream allows it */
    char b2[2048];
    snprintf(
        b2, sizeof b2,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":1},\"user\":{\"consent\":\"%s\",\"data\":["
        "{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"381\"}]}]}}",
        tc(0x4f, VENDOR, 1));
    run_ex(&x, b2, VENDOR, &sv, 80);
    cr_assert(x.r.forward && x.r.personal);
    cr_assert(!has(&x, "381"), "%s", x.out);
}

Test(scrub, tmax_every_copy_rewritten)
{
    static struct run x;
    run_ex(&x, "{\"id\":\"r\",\"tmax\":500,\"imp\":[{\"id\":\"1\"}],\"TMAX\":7}", VENDOR, NULL, 90);
    cr_assert(has(&x, "\"tmax\":90") && has(&x, "\"TMAX\":90") && !has(&x, "500"), "%s", x.out);
}

Test(scrub, ip_truncation)
{
    char b[48];
    cr_assert(scrub_ipv4_24(SV_LIT("192.168.1.254"), b));
    cr_assert_str_eq(b, "192.168.1.0");
    cr_assert(!scrub_ipv4_24(SV_LIT("192.168.1"), b));
    cr_assert(!scrub_ipv4_24(SV_LIT("192.168.01.1"), b));
    cr_assert(!scrub_ipv4_24(SV_LIT("1.2.3.4 "), b));
    cr_assert(scrub_ipv6_56(SV_LIT("2001:db8:85a3:12ab:8a2e:370:7334:1"), b));
    cr_assert_str_eq(b, "2001:db8:85a3:1200::");
    cr_assert(scrub_ipv6_56(SV_LIT("::1"), b));
    cr_assert_str_eq(b, "0:0:0:0::");
    cr_assert(scrub_ipv6_56(SV_LIT("::ffff:1.2.3.4"), b));
    cr_assert_str_eq(b, "0:0:0:0::");
    cr_assert(scrub_ipv6_56(SV_LIT("fe80::12:34ff:fe56:789a"), b));
    cr_assert_str_eq(b, "fe80:0:0:0::");
    const char *bad[] = {"1:2:3", ":::", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert(!scrub_ipv6_56(sv_from(bad[i]), b), "%s", bad[i]);
    /* an address that does not parse is removed, not passed on */
    static struct run x;
    run(&x,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"device\":{\"ip\":\"host.example\","
        "\"ipv6\":\"zz::1::\"}}");
    cr_assert(!has(&x, "host.example") && !has(&x, "ipv6"), "%s", x.out);
}

/* consent_for_vendor(consent_eval(DEFERRED)) == consent_eval(vendor) */
Test(scrub, consent_for_vendor_equals_consent_eval)
{
    static _Alignas(16) char m[1 << 16];
    const char *tcs[] = {tc(0x4f, VENDOR, 1), tc(0x2, VENDOR, 1), tc(0x4f, 5, 1),
                         tc(0x0, VENDOR, 1),  tc(0xd, VENDOR, 1), "garbage"};
    const char *regs[] = {"\"gdpr\":1", "\"gdpr\":1,\"coppa\":1", "\"gdpr\":0",
                          "\"gdpr\":1,\"us_privacy\":\"1YYN\"", "\"gdpr\":1,\"ext\":{\"gpc\":1}"};
    const int32_t vendors[] = {VENDOR, 5, 0, 77};
    for (size_t t = 0; t < sizeof tcs / sizeof tcs[0]; t++)
        for (size_t g = 0; g < sizeof regs / sizeof regs[0]; g++)
            for (size_t v = 0; v < sizeof vendors / sizeof vendors[0]; v++) {
                char body[4096];
                snprintf(
                    body, sizeof body,
                    "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{%s},\"user\":{\"consent\":\"%s\"}}",
                    regs[g], tcs[t]);
                struct arena a;
                arena_init(&a, m, sizeof m);
                struct ortb_request req;
                struct ortb_error err;
                cr_assert_eq(ortb_parse(body, strlen(body), &a, &req, &err), 0);
                struct consent_state direct;
                struct consent_config cv = {.tcf_vendor_id = vendors[v], .tcf_strict = true};
                consent_eval(&req, &cv, NULL, 2026, &a, &direct);
                /* from a deferred evaluation, and from one made for any other vendor (fairbid's own) */
                const int32_t from[] = {CONSENT_VENDOR_DEFERRED, VENDOR, 5, 0, 77};
                for (size_t f = 0; f < sizeof from / sizeof from[0]; f++) {
                    struct consent_state d, one;
                    struct consent_config cd = {.tcf_vendor_id = from[f], .tcf_strict = true};
                    consent_eval(&req, &cd, NULL, 2026, &a, &d);
                    consent_for_vendor(&d, vendors[v], true, &one);
                    cr_assert_eq(one.block_all, direct.block_all, "%s vendor %d from %d", body, vendors[v],
                                 from[f]);
                    cr_assert_eq(one.block_personal, direct.block_personal, "%s vendor %d from %d: %s vs %s",
                                 body, vendors[v], from[f], reason_name(one.block_personal),
                                 reason_name(direct.block_personal));
                    cr_assert(sv_eq(one.detail, direct.detail), "%s", body);
                    cr_assert(sv_eq(one.all_detail, direct.all_detail) || direct.block_all < 0, "%s", body);
                    cr_assert_eq(one.minor, direct.minor);
                    cr_assert_eq(one.precise_geo_ok, direct.precise_geo_ok);
                    if (f == 0) cr_assert_eq(d.block_personal, d.nv_personal, "deferred: no vendor rules");
                }
            }
}

/* Copies a bidder reads outside the fields' own places (Prebid's user.ext.prebid.buyeruids, an exchange's
 * user.ext.uid, device.ext.ifa / ip, a user member OpenRTB does not define): without personal data, none
 * survives; the consent signals stay. */
Test(scrub, ext_and_unknown_copies_of_personal_data_are_removed)
{
    static struct run x;
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},"
            "\"user\":{\"consent\":\"C\",\"tpid\":\"L1\",\"ext\":{\"consent\":\"C\","
            "\"ConsentedProvidersSettings\":{\"consented_providers\":\"1~2\"},"
            "\"prebid\":{\"buyeruids\":{\"x\":\"L2\"}},\"buyeruid\":\"L3\",\"id\":\"L4\",\"uid\":{\"v\":"
            "\"L5\"}}},"
            "\"device\":{\"ua\":\"UA\",\"IDFA\":\"L9\",\"ext\":{\"atts\":3,\"ifa\":\"L6\",\"IP\":\"203.0.113."
            "77\","
            "\"x\":[{\"idfa\":\"L7\"}],\"i\\u0066a\":\"L8\"}}}");
    cr_assert(x.r.forward && !x.r.personal);
    for (int i = 1; i <= 9; i++) {
        char tag[4] = {'L', (char)('0' + i), 0, 0};
        cr_assert(!has(&x, tag), "%s still forwarded: %s", tag, x.out);
    }
    cr_assert(!has(&x, "203.0.113"), "%s", x.out);
    cr_assert(has(&x, "\"consent\":\"C\"") && has(&x, "\"ext\":{\"consent\":\"C\"") &&
                  has(&x, "\"consented_providers\":\"1~2\"") && has(&x, "\"atts\":3") &&
                  has(&x, "\"ua\":\"UA\""),
              "the signals and what is not personal stay: %s", x.out);
    cr_assert(removed(&x, "user.*", REASON_MINOR_COPPA) && removed(&x, "user.ext.*", REASON_MINOR_COPPA) &&
              removed(&x, "device.ext.*", REASON_MINOR_COPPA) && removed(&x, "device.*", REASON_MINOR_COPPA));
    /* personal data allowed: all of it stays */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"tpid\":\"L1\",\"ext\":{\"uid\":\"L5\"}},"
            "\"device\":{\"ext\":{\"ifa\":\"L6\"}}}");
    cr_assert(x.r.personal && has(&x, "L1") && has(&x, "L5") && has(&x, "L6"), "%s", x.out);
}

/* Segments in user.ext.data (Prebid's older place for user.data) are classified like user.data's, and the
 * escaped and case-folded spellings of segment, id and segtax are read as a bidder reads them. */
Test(scrub, segments_in_every_copy_and_spelling_are_classified)
{
    static struct run x;
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"ext\":{\"data\":[{\"ext\":{\"segtax\":4},"
            "\"segment\":[{\"id\":\"399\"},{\"id\":\"1\"}]}]},"
            "\"data\":[{\"ext\":{\"segtax\":4},\"s\\u0065gment\":[{\"\\u0069d\":\"381\"},{\"id\":\"1502\"},"
            "{\"id\":\"\\u0033\\u00399\"},{\"id\":\"2\"}]}]}}");
    cr_assert(x.r.forward && x.r.personal);
    cr_assert(!has(&x, "399") && !has(&x, "381") && !has(&x, "1502") && !has(&x, "\\u0033"), "%s", x.out);
    cr_assert(has(&x, "{\"id\":\"1\"}") && has(&x, "{\"id\":\"2\"}"), "%s", x.out);
    /* user.data spelled "DATA": the bid path's parser cannot read it (it may hold a vulnerability segment),
     * so personal data goes nowhere; its segments are classified and removed all the same */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"ext\":{\"data\":[{\"ext\":{\"segtax\":4},"
            "\"segment\":[{\"id\":\"399\"},{\"id\":\"1\"}]}]},"
            "\"data\":[{\"ext\":{\"segtax\":4},\"s\\u0065gment\":[{\"\\u0069d\":\"381\"},{\"ID\":\"1502\"},"
            "{\"id\":\"\\u0033\\u00399\"},{\"id\":\"2\"}]}],"
            "\"DATA\":[{\"EXT\":{\"SEGTAX\":4},\"SEGMENT\":[{\"Id\":\"356\"}]}]}}");
    cr_assert(x.r.forward && !x.r.personal);
    cr_assert(!has(&x, "399") && !has(&x, "381") && !has(&x, "1502") && !has(&x, "356") &&
                  !has(&x, "\\u0033"),
              "%s", x.out);
}

/* A location in an extension (device.ext.geo, user.ext.geo) goes where precise geo may not, also when
 * personal data may. */
Test(scrub, precise_geo_in_ext_copies_is_removed)
{
    static struct run x;
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"device\":{\"ext\":{\"geo\":"
            "{\"lat\":48.85}}},\"user\":{\"ext\":{\"geo\":{\"lat\":48.86}}}}");
    cr_assert(x.r.forward && !has(&x, "48.8"), "%s", x.out);
    char body[8192];
    snprintf(
        body, sizeof body,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":1},\"device\":{\"ext\":{\"atts\":3,"
        "\"ifa\":\"I\",\"x\":{\"LAT\":48.85}}},\"user\":{\"consent\":\"%s\",\"ext\":{\"geo\":{\"lat\":48.86,"
        "\"country\":\"FRA\"}}}}",
        tc(0x4f, VENDOR, 0));
    run(&x, body);
    cr_assert(x.r.forward && x.r.personal && !x.r.precise_geo);
    cr_assert(!has(&x, "48.8") && has(&x, "\"ifa\":\"I\"") && has(&x, "\"atts\":3") && has(&x, "FRA"), "%s",
              x.out);
    cr_assert(removed(&x, "device.ext.*", REASON_CONSENT_TCF_GEO), "%s", x.out);
}

/* Scrubs `body` with the parse and consent of `twin` (the same signals in a shape fairbid's parser takes):
 * what the scrubber does with shapes the parser would refuse, as a lenient exchange may still send them. */
static void run_twin(struct run *x, const char *twin, const char *body)
{
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct ortb_error err;
    cr_assert_eq(ortb_parse(twin, strlen(twin), &a, &x->req, &err), 0, "twin does not parse: %s", err.msg);
    struct consent_config cc = {.tcf_vendor_id = CONSENT_VENDOR_DEFERRED, .tcf_strict = true};
    consent_eval(&x->req, &cc, NULL, 2026, &a, &x->cs);
    snprintf(x->body, sizeof x->body, "%s", body);
    struct scrub_input in = {.body = x->body,
                             .len = strlen(x->body),
                             .req = &x->req,
                             .cs = &x->cs,
                             .tcf_vendor_id = VENDOR,
                             .tcf_strict = true,
                             .policy = cfg->campaigns.policy,
                             .year = 2026,
                             .tmax_ms = 80};
    x->rc = scrub_request(&in, &a, x->out, sizeof x->out, &x->r);
    cr_assert_eq(x->rc, 0, "scrub_request: %d", x->rc);
    cr_assert(x->r.forward);
    x->out[x->r.out_len] = '\0';
    cr_assert(valid_json(x->out, x->r.out_len), "output is not valid JSON: %s", x->out);
}

#define SEGS4(segs) "\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[" segs "]}]"

/* A segment id is read as the classification reads it (filters/policy.h): every spelling of 399 is the
 * addiction segment 399; what is no id of Audience 1.1 (a fraction, a negative, letters, an inner blank, a
 * value of another type) may be any of its segments and goes too. Only the plain ids 1 and 2 stay. */
Test(scrub, segment_ids_in_any_spelling_are_read_as_the_taxonomy_reads_them)
{
    static struct run x;
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{" SEGS4(
                "{\"id\":\"0399\"},{\"id\":\" 381\"},{\"id\":\"399 \"},{\"id\":\"+399\"},{\"id\":\"399.0\"},"
                "{\"id\":\"3.81e2\"},{\"id\":\"1\"},{\"id\":\"399abc\"},{\"id\":\"-399\"},{\"id\":\"3 99\"},"
                "{\"id\":\"\"},{\"id\":\"399.5\"},{\"id\":\"2\"}") "}}");
    cr_assert(x.r.forward && x.r.personal);
    cr_assert(has(&x, "\"segment\":[{\"id\":\"1\"},{\"id\":\"2\"}]"), "%s", x.out);
    cr_assert_eq(x.r.nremoved, 11, "%s", x.out);
    cr_assert(removed(&x, "user.data[].segment[]", REASON_EXPLOIT_VULNERABLE_SEGMENT));
    cr_assert(removed(&x, "user.data[].segment[]", REASON_SENSITIVE_HEALTH));
    cr_assert(removed(&x, "user.data[].segment[]", REASON_CONSENT_MALFORMED));
    /* numbers and other types, which fairbid's parser refuses but a lenient exchange sends */
    run_twin(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0}}",
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{" SEGS4(
                 "{\"id\":399},{\"id\":3.99e2},{\"id\":399.0},\"0399\",399,{\"id\":[399]},{\"id\":true},"
                 "[399],true,{\"id\":1},null,{\"id\":\"2\"}") "}}");
    cr_assert(has(&x, "\"segment\":[{\"id\":1},null,{\"id\":\"2\"}]"), "%s", x.out);
    /* in a taxonomy the policy does not classify, an odd id is nobody's segment: it stays */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{\"data\":[{\"ext\":"
            "{\"segtax\":5},\"segment\":[{\"id\":\"0399\"},{\"id\":\"3 99\"}]}]}}");
    cr_assert_eq(x.r.nremoved, 0, "%s", x.out);
    /* Content Taxonomy 3.0 ids are compared case-insensitively */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{\"data\":[{\"ext\":"
            "{\"segtax\":7},\"segment\":[{\"id\":\" rm3sit\"},{\"id\":\"ABC123\"}]}]}}");
    cr_assert(!has(&x, "rm3sit") && has(&x, "ABC123"), "%s", x.out);
}

/* Whatever the scrubber expects to be an object (user, device, their ext, a geo, a data object) or an array
 * (data, segment) and is not, goes whole where the rule that would have walked it applies: fairbid cannot
 * say what a lenient decoder reads in it. */
Test(scrub, members_of_another_shape_are_removed)
{
    static struct run x;
    const char *coppa = "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1}}";
    run_twin(&x, coppa,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"device\":{\"ua\":\"UA\","
             "\"ext\":\"ifa=X1\"},\"user\":{\"consent\":\"C\",\"ext\":\"X2\"}}");
    cr_assert(!has(&x, "X1") && !has(&x, "X2") && has(&x, "\"ua\":\"UA\"") && has(&x, "\"consent\":\"C\""),
              "%s", x.out);
    cr_assert(removed(&x, "device.ext", REASON_MINOR_COPPA) && removed(&x, "user.ext", REASON_MINOR_COPPA));
    run_twin(
        &x, coppa,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":\"X3\",\"regs\":{\"coppa\":1},\"device\":[\"X4\"],"
        "\"site\":{\"id\":\"s\"}}");
    cr_assert(!has(&x, "X3") && !has(&x, "X4") && has(&x, "\"site\":{\"id\":\"s\"}"), "%s", x.out);
    cr_assert(removed(&x, "user", REASON_MINOR_COPPA) && removed(&x, "device", REASON_MINOR_COPPA));
    run_twin(
        &x, coppa,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"coppa\":1},\"device\":{\"ext\":7,\"ua\":\"UA\"},"
        "\"user\":{\"ext\":[{\"eids\":\"X5\"}]}}");
    cr_assert(!has(&x, "\"ext\":7") && !has(&x, "X5"), "%s", x.out);

    /* personal data allowed, precise geo not (GDPR, consent without special feature 1): a geo of another
     * shape goes */
    char twin[4096], body[8192];
    snprintf(twin, sizeof twin,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":1},\"user\":{\"consent\":\"%s\"}}",
             tc(0x4f, VENDOR, 0));
    snprintf(
        body, sizeof body,
        "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":1},\"device\":{\"geo\":\"48.85,2.35\","
        "\"ext\":\"lat=48.86\"},\"user\":{\"consent\":\"%s\",\"geo\":[48.87],\"ext\":{\"geo\":\"48.88\"}}}",
        tc(0x4f, VENDOR, 0));
    run_twin(&x, twin, body);
    cr_assert(x.r.personal && !x.r.precise_geo);
    cr_assert(!has(&x, "48.8"), "%s", x.out);
    cr_assert(removed(&x, "device.geo", REASON_CONSENT_TCF_GEO) &&
              removed(&x, "user.geo", REASON_CONSENT_TCF_GEO) &&
              removed(&x, "user.ext.geo", REASON_CONSENT_TCF_GEO) &&
              removed(&x, "device.ext", REASON_CONSENT_TCF_GEO));

    /* segments, whatever the consent: data or segment of another shape goes */
    const char *adult = "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0}}";
    run_twin(&x, adult,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{\"id\":\"U\",\"data\":"
             "{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"399\"}]},\"ext\":{\"data\":\"399\"}}}");
    cr_assert(!has(&x, "399") && has(&x, "\"id\":\"U\""), "%s", x.out);
    cr_assert(removed(&x, "user.data", REASON_CONSENT_MALFORMED) &&
              removed(&x, "user.ext.data", REASON_CONSENT_MALFORMED));
    run_twin(&x, adult,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"user\":{\"data\":[\"399\","
             "{\"ext\":{\"segtax\":4},\"segment\":{\"id\":\"399\"}},{\"ext\":{\"segtax\":4},\"segment\":"
             "[{\"id\":\"1\"}]},null]}}");
    cr_assert(!has(&x, "399") && has(&x, "[{\"id\":\"1\"}]"), "%s", x.out);
    cr_assert(removed(&x, "user.data[]", REASON_CONSENT_MALFORMED) &&
              removed(&x, "user.data[].segment", REASON_CONSENT_MALFORMED));

    /* personal data allowed: an ext of another shape is the exchange's business, and stays */
    run_twin(&x, adult,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gdpr\":0},\"device\":{\"ext\":\"e1\"},"
             "\"user\":{\"ext\":\"e2\"}}");
    cr_assert(has(&x, "\"e1\"") && has(&x, "\"e2\"") && x.r.nremoved == 0, "%s", x.out);
}

/* The bid path's newer rules (device.dnt, a geo country that is no ISO code, an empty GPP string with a
 * gpp_sid, user.ext.data and its malformed members, a segtax key in another case) in filter mode: wherever
 * the bid path forbids personal data, the upstream gets none (ids, the profile, user.ext.data and its
 * segments all go), and a vulnerability or sensitive segment goes wherever it is, user.ext.data[].segment
 * included. Each row has a twin that keeps personal data, so over-blocking shows too. */
Test(scrub, newer_bid_path_rules_hold_in_filter_mode)
{
    static struct run x;
#define B(dev, regs, uext)                                                                                   \
    "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"device\":{\"ifa\":\"IFA-1\"" dev "},\"regs\":{\"x\":0" regs    \
    "},"                                                                                                     \
    "\"user\":{\"buyeruid\":\"B-1\",\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"2\"}]}],"       \
    "\"ext\":{\"data\":[{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"399\"},{\"id\":\"381\"},{\"id\":"     \
    "\"1\"}]}]" uext "}}}"
    static const struct {
        const char *body;
        int reason; /* -1: personal data allowed */
    } rows[] = {
        {B(",\"dnt\":1", "", ""), REASON_CONSENT_DNT},
        {B(",\"dnt\":0", "", ""), -1},
        {B(",\"geo\":{\"country\":\"Germany\"}", "", ""), REASON_CONSENT_MALFORMED},
        {B(",\"geo\":{\"country\":\"DE-BY\"}", "", ""), REASON_CONSENT_MALFORMED},
        {B(",\"geo\":{\"country\":\"DEU\"}", "", ""), -1},
        {B(",\"geo\":{\"country\":\"\"}", "", ""), -1},
        {B("", ",\"gpp\":\"\",\"gpp_sid\":[7]", ""), REASON_CONSENT_MALFORMED},
        {B("", ",\"gpp_sid\":[7]", ""), -1},
        /* a member of another shape in user.ext.data (it used to be a 400 naming user.data[]) */
        {B("", "", ",\"data\":[\"x\"]"), REASON_CONSENT_MALFORMED},
        {B("", "", ",\"data\":[{\"segment\":[{\"id\":399}]}]"), REASON_CONSENT_MALFORMED},
        {B("", "", ",\"data\":null"), -1},
    };
#undef B
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        run(&x, rows[i].body);
        cr_assert(x.r.forward, "[%zu] %s", i, rows[i].body);
        /* always: the vulnerability (399) and sensitive (381) segments of user.ext.data go */
        cr_expect(!has(&x, "\"399\"") && !has(&x, "\"381\""), "[%zu] %s", i, x.out);
        if (rows[i].reason < 0) {
            cr_expect(x.r.personal && has(&x, "B-1") && has(&x, "IFA-1") && has(&x, "{\"id\":\"1\"}"),
                      "[%zu] personal data kept: %s", i, x.out);
        } else {
            cr_expect(!x.r.personal, "[%zu] %s", i, rows[i].body);
            cr_expect_eq(x.r.reason, rows[i].reason, "[%zu] reason %s", i, reason_name(x.r.reason));
            cr_expect(!has(&x, "B-1") && !has(&x, "IFA-1") && !has(&x, "segment"), "[%zu] %s", i, x.out);
            cr_expect(removed(&x, "user.ext.*", -1) || removed(&x, "user.ext.data", -1), "[%zu]", i);
        }
    }
    /* DNT spelled in another case: a privacy signal fairbid cannot read, not forwarded (rule 2) */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"device\":{\"DNT\":1}}");
    cr_expect(!x.r.forward && x.r.reason == REASON_CONSENT_MALFORMED, "%d", x.r.forward);
}

/* Rule 7's data objects (a segtax given twice, of another type, or spelled in another case: "SegTax", which a
 * folding decoder reads as the taxonomy) are bad privacy fields on the bid path (docs/consent.md row 1: no
 * personal data, no high-risk ads) for the whole request: filter mode does the same, so the upstream gets no
 * personal data at all, not only that data object removed; the other data objects' segments go with
 * user.data. */
Test(scrub, unreadable_segtax_withholds_personal_data_as_the_bid_path_does)
{
    static struct run x;
    static const char *const tax[] = {"\"SegTax\":4", "\"segtax\":4,\"segtax\":4", "\"segtax\":\"4\"",
                                      "\"s\\u0065gtax\":4,\"SEGTAX\":4"};
    char body[1024];
    for (size_t i = 0; i < sizeof tax / sizeof tax[0]; i++) {
        snprintf(
            body, sizeof body,
            "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"buyeruid\":\"B-1\",\"data\":[{\"ext\":{%s},"
            "\"segment\":[{\"id\":\"399\"}]},{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"2\"}]}]}}",
            tax[i]);
        run(&x, body);
        cr_assert(x.r.forward, "[%s]", tax[i]);
        cr_expect(!x.r.personal && x.r.reason == REASON_CONSENT_MALFORMED, "[%s] personal %d reason %s",
                  tax[i], x.r.personal, reason_name(x.r.reason));
        cr_expect(!has(&x, "399") && !has(&x, "B-1") && !has(&x, "segment"), "[%s] %s", tax[i], x.out);
        cr_expect(sv_eq_cstr(x.r.detail, "user.data.ext.segtax: key spelled in another case") ||
                      sv_eq_cstr(x.r.detail, "user.data.ext.segtax: duplicate key") ||
                      sv_eq_cstr(x.r.detail, "user.data.ext.segtax: wrong type"),
                  "[%s] detail %.*s", tax[i], SV_FMT(x.r.detail));
    }
    /* the clean twin: personal data kept, only the addiction segment removed */
    run(&x, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"buyeruid\":\"B-1\",\"data\":[{\"ext\":{"
            "\"segtax\":4},"
            "\"segment\":[{\"id\":\"399\"}]},{\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"2\"}]}]}}");
    cr_expect(x.r.personal && has(&x, "B-1") && has(&x, "{\"id\":\"2\"}") && !has(&x, "399"), "%s", x.out);
}
