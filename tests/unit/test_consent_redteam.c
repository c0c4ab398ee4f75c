/* Red-team cases for the consent readers (issue 12: anything not read, trusted or understood restricts). Each
 * test pins one class of fail-open found by a hostile audit of filters/tcf.c, gpp.c and consent.c; before the
 * fix every "restricts" assertion here allowed personal data or the TCF grant. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "filters/arena.h"
#include "filters/consent.h"
#include "filters/gpp.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "filters/tcf.h"
#include "tests/unit/consent_testutil.h"
#include "tests/unit/testutil.h"

#define VENDOR 1000
#define NONE (-1)

static uint8_t scratch[8192];

/* A full-consent TC string for VENDOR: purposes 1-4, vendor consent, vendor disclosed; created / last_updated
 * and the policy version as given. */
static const char *tc_string(uint64_t created, uint64_t last_updated, unsigned policy, bool disclosed,
                             uint32_t purposes, char *out)
{
    static struct bw w;
    char enc[2048];
    memset(&w, 0, sizeof w);
    struct core_opts o = core_defaults();
    o.policy = policy;
    o.purposes = purposes;
    o.created = created;
    bw_core(&w, &o);
    /* bw_core writes Created twice; overwrite LastUpdated (bits 42..77) */
    for (int i = 0; i < 36; i++) w.bit[42 + i] = (uint8_t)((last_updated >> (35 - i)) & 1u);
    const int vc[] = {VENDOR};
    bw_bitfield(&w, vc, 1, VENDOR);
    bw_bitfield(&w, NULL, 0, 0);
    bw_put(&w, 0, 12);
    strcpy(out, bw_b64(&w, enc));
    if (disclosed) {
        memset(&w, 0, sizeof w);
        bw_put(&w, 1, 3);
        const unsigned r[][2] = {{VENDOR, VENDOR}};
        bw_ranges(&w, r, 1, VENDOR);
        strcat(out, ".");
        strcat(out, bw_b64(&w, enc));
    }
    return out;
}

static int decode_tc(const char *s, struct tcf *tc)
{
    return tcf_decode(s, strlen(s), scratch, sizeof scratch, tc);
}

#define MAR_2026 17723232000ull /* 2026-03-01 in deciseconds */

/* Class: a date-gated rule dodged by the other date. Created 0 (or any old Created) with a LastUpdated after
 * 2026-03-01 skipped the Disclosed Vendors requirement of strict mode. */
Test(redteam, strict_disclosed_rule_reads_the_later_date)
{
    char s[2048];
    struct tcf tc;
    cr_assert_eq(decode_tc(tc_string(0, MAR_2026 + 10, 4, false, 0xf, s), &tc), 0);
    cr_expect_eq(tc.created, 0);
    cr_expect_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_DISCLOSED, "created 0, updated 2026-03: %s", s);
    cr_assert_eq(decode_tc(tc_string(16500000000ull, MAR_2026, 4, false, 0xf, s), &tc), 0);
    cr_expect_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_DISCLOSED);
    /* Created after LastUpdated (nonsense, but either date counts) */
    cr_assert_eq(decode_tc(tc_string(MAR_2026, 0, 4, false, 0xf, s), &tc), 0);
    cr_expect_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_DISCLOSED);
    /* allow side: both dates before the rule, or the segment present */
    cr_assert_eq(decode_tc(tc_string(0, MAR_2026 - 1, 4, false, 0xf, s), &tc), 0);
    cr_expect_eq(tcf_check_policy(&tc, 1), 0);
    cr_assert_eq(decode_tc(tc_string(0, MAR_2026 + 10, 4, true, 0xf, s), &tc), 0);
    cr_expect_eq(tcf_check_policy(&tc, 1), 0);
}

/* Class: a policy version from the future was read with today's rules. TCF 2.2 changed what LI means for
 * purposes 3-6; a 2.4 could change more, so its grants cannot be read. */
Test(redteam, unknown_future_policy_version_restricts)
{
    char s[2048];
    struct tcf tc;
    const unsigned ok[] = {2, 3, 4, 5};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_assert_eq(decode_tc(tc_string(16500000000ull, 16500000000ull, ok[i], true, 0xf, s), &tc), 0);
        cr_expect_eq(tcf_check_policy(&tc, 0), 0, "policy %u", ok[i]);
        cr_expect_eq(tcf_check_policy(&tc, 1), 0, "policy %u", ok[i]);
    }
    const unsigned bad[] = {6, 7, 63};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(decode_tc(tc_string(16500000000ull, 16500000000ull, bad[i], true, 0xf, s), &tc), 0);
        cr_expect_eq(tcf_check_policy(&tc, 0), TCF_EPOLICY_VERSION, "policy %u lenient", bad[i]);
        cr_expect_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_VERSION, "policy %u strict", bad[i]);
    }
}

/* ---- consent_eval ------------------------------------------------------------------------------- */

static void eval_json(struct tu_eval *e, const char *body, bool strict)
{
    tu_eval_json(e, body, VENDOR, strict, NULL);
}

static void expect(const char *name, const char *regs, const char *user, int all, int personal, bool strict)
{
    static char b[8192];
    snprintf(b, sizeof b,
             "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250}}],\"regs\":{%s},"
             "\"user\":{%s}}",
             regs, user ? user : "");
    struct tu_eval e;
    eval_json(&e, b, strict);
    cr_expect_eq(e.st.block_all, all, "%s: block_all %s (%.*s), expected %s", name,
                 e.st.block_all < 0 ? "none" : reason_name(e.st.block_all), SV_FMT(e.st.all_detail),
                 all < 0 ? "none" : reason_name(all));
    cr_expect_eq(e.st.block_personal, personal, "%s: block_personal %s (%.*s), expected %s", name,
                 e.st.block_personal < 0 ? "none" : reason_name(e.st.block_personal), SV_FMT(e.st.detail),
                 personal < 0 ? "none" : reason_name(personal));
    /* the per-vendor replay agrees (filter mode) */
    struct consent_state v;
    consent_for_vendor(&e.st, VENDOR, strict, &v);
    cr_expect_eq(v.block_all, e.st.block_all, "%s: consent_for_vendor block_all", name);
    cr_expect_eq(v.block_personal, e.st.block_personal, "%s: consent_for_vendor block_personal", name);
}

/* Virginia (9) v1: notices 1, no opt-outs (2 = did not opt out), SensitiveDataProcessing as given,
 * KnownChild 0, MSPA fields 0/2/2. */
static const char *usva(unsigned sensitive_value, char *out)
{
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, 1, 6);
    bw_put(&w, 1, 2), bw_put(&w, 1, 2), bw_put(&w, 1, 2); /* notices */
    bw_put(&w, 2, 2), bw_put(&w, 2, 2);                   /* sale, targeted: did not opt out */
    for (int i = 0; i < 8; i++) bw_put(&w, sensitive_value, 2);
    bw_put(&w, 0, 2);                                     /* KnownChildSensitiveDataConsents */
    bw_put(&w, 0, 2), bw_put(&w, 2, 2), bw_put(&w, 2, 2); /* MSPA */
    return bw_b64(&w, out);
}

/* Class: gpp_sid names an applicable section the GPP string does not hold, or holds only as a section
 * fairbid skips; the applicable choices were never read. Before: personal data allowed. */
Test(redteam, gpp_sid_section_missing_from_string_restricts)
{
    char h[128], va[64], regs[1024];
    const unsigned ids9[] = {9};
    bw_gpp_header(ids9, 1, h);
    usva(0, va);
    char gpp[256];
    snprintf(gpp, sizeof gpp, "%s~%s", h, va);
    struct gpp g;
    cr_assert_eq(gpp_decode(gpp, strlen(gpp), scratch, sizeof scratch, &g), 0, "%s", gpp);

    snprintf(regs, sizeof regs, "\"gpp\":\"%s\",\"gpp_sid\":[9]", gpp);
    expect("gpp_sid [9], string holds 9 (allow side)", regs, NULL, NONE, NONE, false);
    snprintf(regs, sizeof regs, "\"gpp\":\"%s\",\"gpp_sid\":[7]", gpp);
    expect("gpp_sid [7], string holds only 9", regs, NULL, NONE, REASON_CONSENT_MALFORMED, false);
    snprintf(regs, sizeof regs, "\"gpp\":\"%s\",\"gpp_sid\":[7,9]", gpp);
    expect("gpp_sid [7,9], string holds only 9", regs, NULL, NONE, REASON_CONSENT_MALFORMED, false);
    snprintf(regs, sizeof regs, "\"gpp\":\"%s\",\"gpp_sid\":[28]", gpp);
    expect("gpp_sid [28] (unknown id)", regs, NULL, NONE, REASON_CONSENT_MALFORMED, false);
    snprintf(regs, sizeof regs, "\"gpp\":\"%s\",\"ext\":{\"gpp_sid\":[6]}", gpp);
    expect("regs.ext.gpp_sid [6], no US Privacy section", regs, NULL, NONE, REASON_CONSENT_MALFORMED, false);
    /* a section fairbid lists but does not read (TCF Canada) named as applicable */
    expect("gpp_sid [5] with a skipped TCF Canada section",
           "\"gpp\":\"DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN\",\"gpp_sid\":[5]", NULL, NONE,
           REASON_CONSENT_MALFORMED, false);
    expect("gpp_sid [6] with its US Privacy section (allow side)",
           "\"gpp\":\"DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN\",\"gpp_sid\":[6]", NULL, NONE,
           NONE, false);
    /* without a GPP string gpp_sid names regimes only (unchanged) */
    expect("gpp_sid [7] without a string", "\"gpp_sid\":[7]", NULL, NONE, NONE, false);
    /* an empty GPP string is a string that holds no section: the sections gpp_sid names went unread (it
     * used to count as no string, so personal data was allowed) */
    expect("gpp_sid [7] with \"gpp\": \"\"", "\"gpp\":\"\",\"gpp_sid\":[7]", NULL, NONE,
           REASON_CONSENT_MALFORMED, false);
    expect("regs.ext.gpp_sid [8] with regs.ext.gpp \"\"", "\"ext\":{\"gpp\":\"\",\"gpp_sid\":[8]}", NULL,
           NONE, REASON_CONSENT_MALFORMED, false);
    expect("gpp_sid [6] with \"gpp\": \"\" and regs.us_privacy",
           "\"gpp\":\"\",\"gpp_sid\":[6],\"us_privacy\":\"1YNN\"", NULL, NONE, REASON_CONSENT_MALFORMED,
           false);
    /* clean twins: "" with no section named (what exchanges send for "not set"), or only TCF EU's 2 */
    expect("\"gpp\": \"\" with gpp_sid []", "\"gpp\":\"\",\"gpp_sid\":[]", NULL, NONE, NONE, false);
}

/* Class: the same TC string in two places (GPP section 2 and user.consent) with different values; GPP won,
 * so a granting GPP copy undid a refusing user.consent. Now malformed: no bid, as for user.ext.consent. */
Test(redteam, tcf_in_gpp_and_user_consent_disagreeing_is_malformed)
{
    char grant[2048], refuse[2048], h[128], gpp[4096], regs[4200], user[2200];
    tc_string(16500000000ull, 16500000000ull, 4, true, 0xf, grant);
    tc_string(16500000000ull, 16500000000ull, 4, true, 0x0, refuse);
    const unsigned ids2[] = {2};
    snprintf(gpp, sizeof gpp, "%s~%s", bw_gpp_header(ids2, 1, h), grant);
    snprintf(regs, sizeof regs, "\"gdpr\":1,\"gpp\":\"%s\",\"gpp_sid\":[2]", gpp);

    expect("GPP TCF grant only (allow side)", regs, NULL, NONE, NONE, false);
    snprintf(user, sizeof user, "\"consent\":\"%s\"", grant);
    expect("GPP TCF and user.consent the same (allow side)", regs, user, NONE, NONE, false);
    snprintf(user, sizeof user, "\"consent\":\"%s\"", refuse);
    expect("GPP TCF grants, user.consent refuses", regs, user, REASON_CONSENT_MALFORMED,
           REASON_CONSENT_MALFORMED, false);
    snprintf(user, sizeof user, "\"ext\":{\"consent\":\"%s\"}", refuse);
    expect("GPP TCF grants, user.ext.consent refuses", regs, user, REASON_CONSENT_MALFORMED,
           REASON_CONSENT_MALFORMED, false);
    snprintf(user, sizeof user, "\"consent\":\"%s\"", "garbage!");
    expect("GPP TCF grants, user.consent garbage", regs, user, REASON_CONSENT_MALFORMED,
           REASON_CONSENT_MALFORMED, true);
}

/* Class: US National and a state section of one string disagreeing on sensitive data; the consent in US
 * National was taken whatever the state section said (filters/sensitive.c reads gpp_sensitive on 7 only). */
Test(redteam, state_section_refusing_sensitive_outranks_us_national)
{
    char h[128], va[64], gpp[256];
    const unsigned ids[] = {7, 9};
    /* US National v1 with SensitiveDataProcessing all 2 (consent): 6 + 2*(9+12+2+4) = 60 bits */
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, 1, 6);
    for (int i = 0; i < 6; i++) bw_put(&w, 1, 2); /* notices */
    for (int i = 0; i < 3; i++) bw_put(&w, 2, 2); /* no opt-outs */
    for (int i = 0; i < 12; i++) bw_put(&w, 2, 2);
    bw_put(&w, 0, 2), bw_put(&w, 0, 2); /* known child */
    bw_put(&w, 0, 2), bw_put(&w, 0, 2), bw_put(&w, 2, 2), bw_put(&w, 2, 2);
    char nat[64];
    bw_b64(&w, nat);
    struct gpp g;
    for (unsigned sv = 0; sv <= 2; sv++) {
        snprintf(gpp, sizeof gpp, "%s~%s~%s", bw_gpp_header(ids, 2, h), nat, usva(sv, va));
        cr_assert_eq(gpp_decode(gpp, strlen(gpp), scratch, sizeof scratch, &g), 0, "%s", gpp);
        cr_expect_eq(gpp_sensitive(&g, GPP_SID_USNAT, 1), 2);
        cr_expect_eq(gpp_sensitive_refused_elsewhere(&g, GPP_SID_USNAT), sv == 1, "Virginia sensitive = %u",
                     sv);
        cr_expect(!gpp_sensitive_refused_elsewhere(&g, 9) || sv == 1);
    }
}
