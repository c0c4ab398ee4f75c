/* Unit tests for loadgen/consent: encoded TC and GPP strings decode to what was meant with fairbid's own
 * decoders (filters/tcf, filters/gpp), for both vendor encodings, at the edges (no vendors, vendor 1, the
 * 16-bit maximum); known headers from the specifications; output buffers that are too small. The check
 * against IAB's reference libraries is tests/integration/test_loadgen_traffic.sh. The generator's own TC
 * strings (gen_request) must pass filters/tcf.c's strict TCF 2.2 checks, which fairbid applies by default: a
 * generator whose strings strict mode refuses makes every GDPR request in every test and bench a no-bid. */
#include <criterion/criterion.h>
#include <string.h>

#include "filters/gpp.h"
#include "filters/tcf.h"
#include "loadgen/consent.h"
#include "loadgen/gen.h"

static uint8_t scratch[65536];
static char out[65536];

static void tcf_roundtrip(const uint16_t *v, size_t n, enum consent_vendor_enc enc, bool disclosed)
{
    struct consent_tcf t = {.created_ds = 17040672000ull,
                            .updated_ds = 17040672123ull,
                            .cmp_id = 300,
                            .cmp_version = 7,
                            .consent_screen = 2,
                            .lang = {'F', 'R'},
                            .vendor_list_version = 77,
                            .policy_version = 5,
                            .special_features = 0x1,
                            .purposes_consent = 0x3FF & ~0x8u,
                            .purposes_li = 1u << 1 | 1u << 6,
                            .publisher_cc = {'D', 'E'},
                            .vendor_consent = v,
                            .n_vendor_consent = n,
                            .vendor_li = v,
                            .n_vendor_li = n ? 1 : 0,
                            .disclosed = disclosed ? v : NULL,
                            .n_disclosed = n,
                            .enc = enc};
    int len = consent_tcf_encode(&t, out, sizeof out);
    cr_assert_gt(len, 0);
    cr_assert_eq((size_t)len, strlen(out));
    struct tcf d;
    int rc = tcf_decode(out, (size_t)len, scratch, sizeof scratch, &d);
    cr_assert_eq(rc, 0, "decode: %s", tcf_strerror(rc));
    cr_assert_eq(d.version, 2);
    cr_assert_eq(d.created, t.created_ds);
    cr_assert_eq(d.last_updated, t.updated_ds);
    cr_assert_eq(d.cmp_id, 300);
    cr_assert_eq(d.cmp_version, 7);
    cr_assert_eq(d.consent_screen, 2);
    cr_assert_str_eq(d.consent_language, "FR");
    cr_assert_str_eq(d.publisher_cc, "DE");
    cr_assert_eq(d.vendor_list_version, 77);
    cr_assert_eq(d.policy_version, 5);
    cr_assert_eq(d.special_feature_optins, 1);
    cr_assert_eq(d.purpose_consents, t.purposes_consent);
    cr_assert_eq(d.purpose_li, t.purposes_li);
    if (enc != CONSENT_ENC_SHORTEST && n) cr_assert_eq(d.vendor_consents.is_range, enc == CONSENT_ENC_RANGE);
    size_t k = 0;
    for (int id = 1; id <= 65535; id++) {
        bool want = k < n && v[k] == id;
        if (want) k++;
        cr_assert_eq(tcf_vendor_consent(&d, id), want, "vendor %d", id);
        if (disclosed) cr_assert_eq(tcf_disclosed(&d, id), want, "disclosed %d", id);
        if (id > 3000 && k == n) break;
    }
    cr_assert_eq(tcf_vendor_li(&d, n ? v[0] : 1), n > 0);
    cr_assert_eq(d.disclosed.present, disclosed);
}

Test(loadgen_consent, tcf_roundtrip_both_encodings)
{
    static const uint16_t sparse[] = {1, 2, 3, 4, 90, 755, 1000, 1001, 1002, 2999};
    static const uint16_t one[] = {1};
    static const uint16_t top[] = {7, 65535};
    static const enum consent_vendor_enc encs[] = {CONSENT_ENC_BITFIELD, CONSENT_ENC_RANGE,
                                                   CONSENT_ENC_SHORTEST};
    for (size_t e = 0; e < 3; e++) {
        tcf_roundtrip(sparse, 10, encs[e], true);
        tcf_roundtrip(sparse, 10, encs[e], false);
        tcf_roundtrip(one, 1, encs[e], true);
        tcf_roundtrip(top, 2, encs[e], false);
        tcf_roundtrip(NULL, 0, encs[e], false);
    }
}

Test(loadgen_consent, tcf_rejects_bad_input)
{
    static const uint16_t unsorted[] = {5, 3};
    static const uint16_t zero[] = {0, 3};
    struct consent_tcf t = {.policy_version = 5, .vendor_consent = unsorted, .n_vendor_consent = 2};
    cr_assert_eq(consent_tcf_encode(&t, out, sizeof out), -1);
    t.vendor_consent = zero;
    cr_assert_eq(consent_tcf_encode(&t, out, sizeof out), -1);
    t.n_vendor_consent = 0;
    cr_assert_eq(consent_tcf_encode(&t, out, 10), -1); /* too small */
    cr_assert_gt(consent_tcf_encode(&t, out, sizeof out), 0);
}

Test(loadgen_consent, gpp_usnat_roundtrip)
{
    struct consent_usnat u = {.sharing_notice = 1,
                              .sale_opt_out_notice = 1,
                              .sharing_opt_out_notice = 2,
                              .targeted_advertising_opt_out_notice = 1,
                              .sale_opt_out = 1,
                              .sharing_opt_out = 2,
                              .targeted_advertising_opt_out = 2,
                              .personal_data_consents = 0,
                              .mspa_covered_transaction = 1,
                              .mspa_opt_out_option_mode = 1,
                              .mspa_service_provider_mode = 2,
                              .gpc_included = true,
                              .gpc = true};
    for (int i = 0; i < CONSENT_USNAT_SENSITIVE; i++) u.sensitive_data_processing[i] = (uint8_t)(i % 3);
    u.known_child_sensitive_data_consents[2] = 1;
    int len = consent_gpp_usnat_encode(&u, out, sizeof out);
    cr_assert_gt(len, 0);
    /* The header for "one section, US National (7)" as the GPP specification's examples write it. */
    cr_assert_eq(strncmp(out, "DBABLA~", 7), 0, "%s", out);
    struct gpp g;
    int rc = gpp_decode(out, (size_t)len, scratch, sizeof scratch, &g);
    cr_assert_eq(rc, 0, "decode %s: %s", out, gpp_strerror(rc));
    cr_assert(gpp_has_section(&g, 7));
    cr_assert_eq(gpp_field(&g, 7, "Version", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "SaleOptOut", 0), 1);
    cr_assert_eq(gpp_field(&g, 7, "SharingOptOutNotice", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "MspaServiceProviderMode", 0), 2);
    for (int i = 0; i < CONSENT_USNAT_SENSITIVE; i++)
        cr_assert_eq(gpp_sensitive(&g, 7, i + 1), i % 3, "cat %d", i + 1);
    cr_assert(gpp_optout(&g, NULL));
    cr_assert(gpp_gpc(&g, NULL));
    cr_assert(gpp_known_child(&g, NULL));

    u.sale_opt_out = 2;
    u.gpc_included = false;
    u.known_child_sensitive_data_consents[2] = 0;
    len = consent_gpp_usnat_encode(&u, out, sizeof out);
    cr_assert_eq(gpp_decode(out, (size_t)len, scratch, sizeof scratch, &g), 0);
    cr_assert_not(gpp_optout(&g, NULL));
    cr_assert_not(gpp_gpc(&g, NULL));
    cr_assert_not(gpp_known_child(&g, NULL));
    cr_assert_eq(consent_gpp_usnat_encode(&u, out, 8), -1);
}

Test(loadgen_consent, usp)
{
    char s[8];
    cr_assert_eq(consent_usp_encode('Y', 'Y', 'N', s, sizeof s), 4);
    cr_assert_str_eq(s, "1YYN");
    cr_assert_eq(consent_usp_encode('-', '-', '-', s, sizeof s), 4);
    cr_assert_eq(consent_usp_encode('X', 'Y', 'N', s, sizeof s), -1);
    cr_assert_eq(consent_usp_encode('Y', 'Y', 'N', s, 4), -1);
}

/* Copies request i's user.consent out of the generated JSON (TC strings are base64url: no escapes). Returns
 * its length, or 0 when the request has none. */
static size_t gen_tc(const struct gen_opts *o, uint64_t i, char *tc, size_t cap, struct gen_meta *m)
{
    static char body[65536];
    struct buf b;
    buf_init(&b, body, sizeof body);
    gen_request(o, i, &b, m);
    const char *s = buf_cstr(&b);
    cr_assert_not_null(s, "request %llu overflowed", (unsigned long long)i);
    const char *p = strstr(s, "\"consent\":\"");
    if (!p) return 0;
    p += strlen("\"consent\":\"");
    const char *e = strchr(p, '"');
    cr_assert_not_null(e);
    size_t n = (size_t)(e - p);
    cr_assert_lt(n, cap);
    memcpy(tc, p, n);
    tc[n] = '\0';
    return n;
}

/* Decodes with fairbid's decoder and applies the strict (default tcf_mode) policy check. */
static void decode_strict(const char *tc, size_t n, struct tcf *d)
{
    int rc = tcf_decode(tc, n, scratch, sizeof scratch, d);
    cr_assert_eq(rc, 0, "decode %s: %s", tc, tcf_strerror(rc));
    rc = tcf_check_policy(d, 1);
    cr_assert_eq(rc, 0, "strict policy refuses %s: %s", tc, tcf_strerror(rc));
}

Test(loadgen_consent, generated_tc_strings_pass_strict_mode)
{
    struct gen_opts o;
    gen_opts_default(&o);
    o.gdpr_share = 1.0;
    char tc[4096];
    struct tcf d;
    size_t seen = 0, ranged = 0, bitfield = 0, ours = 0;
    for (uint64_t i = 0; i < 400; i++) {
        struct gen_meta m;
        size_t n = gen_tc(&o, i, tc, sizeof tc, &m);
        cr_assert(m.gdpr);
        cr_assert_gt(n, 0, "GDPR request %llu has no TC string", (unsigned long long)i);
        decode_strict(tc, n, &d);
        seen++;
        cr_assert(d.is_service_specific);
        cr_assert_eq(d.version, 2);
        cr_assert_geq(d.policy_version, 4, "TCF 2.2 strings carry policy version 4 or later");
        cr_assert_neq(d.vendor_list_version, 0);
        cr_assert_str_eq(d.publisher_cc, "DE");
        /* The CMP disclosed our vendor on every string, consented or not. */
        cr_assert(d.disclosed.present);
        cr_assert(tcf_disclosed(&d, o.vendor_id));
        /* LI only where TCF 2.2 allows it (2, 7..10): strict mode ignores LI for 1 and 3..6 anyway, but a
         * generator that set them would be writing strings no 2.2 CMP writes. */
        for (int p = 1; p <= 24; p++)
            if (tcf_purpose_li(&d, p)) cr_assert(p == 2 || (p >= 7 && p <= 10), "LI for purpose %d", p);
        if (d.vendor_consents.is_range)
            ranged++;
        else
            bitfield++;
        ours += tcf_vendor_consent(&d, o.vendor_id);
    }
    cr_assert_eq(seen, 400);
    cr_assert_gt(ranged, 100, "mixed encoding: %zu range strings", ranged);
    cr_assert_gt(bitfield, 100, "mixed encoding: %zu bitfield strings", bitfield);
    /* vendor_share 0.8 by default: about 320 of 400. */
    cr_assert(ours > 260 && ours < 380, "vendor %u consented in %zu of 400", o.vendor_id, ours);
}

Test(loadgen_consent, generated_tc_strings_carry_intended_consent)
{
    struct gen_opts o;
    gen_opts_default(&o);
    o.gdpr_share = 1.0;
    o.vendor_id = 755;
    char tc[4096];
    struct tcf d;
    struct gen_meta m;
    /* Everything consented: purposes 1..10, our vendor. */
    for (int p = 0; p < GEN_NPURPOSES; p++) o.purpose_share[p] = 1.0;
    o.vendor_share = 1.0;
    for (uint64_t i = 0; i < 50; i++) {
        size_t n = gen_tc(&o, i, tc, sizeof tc, &m);
        decode_strict(tc, n, &d);
        for (int p = 1; p <= 10; p++) cr_assert(tcf_purpose_consent(&d, p), "%s: purpose %d", tc, p);
        for (int p = 11; p <= 24; p++) cr_assert_not(tcf_purpose_consent(&d, p), "%s: purpose %d", tc, p);
        cr_assert(tcf_vendor_consent(&d, 755), "%s: vendor 755", tc);
    }
    /* Nothing consented for us; purpose 3 alone refused: still valid strings, carrying the refusal. */
    for (int p = 0; p < GEN_NPURPOSES; p++) o.purpose_share[p] = p == 2 ? 0.0 : 1.0;
    o.vendor_share = 0.0;
    for (uint64_t i = 0; i < 50; i++) {
        size_t n = gen_tc(&o, i, tc, sizeof tc, &m);
        decode_strict(tc, n, &d);
        cr_assert_not(tcf_purpose_consent(&d, 3), "%s: purpose 3", tc);
        cr_assert(tcf_purpose_consent(&d, 1) && tcf_purpose_consent(&d, 4), "%s", tc);
        cr_assert_not(tcf_vendor_consent(&d, 755), "%s: vendor 755", tc);
        cr_assert(tcf_disclosed(&d, 755), "%s: vendor 755 disclosed", tc);
    }
}

Test(loadgen_consent, global_scope_strings_only_on_request)
{
    struct gen_opts o;
    gen_opts_default(&o);
    o.gdpr_share = 1.0;
    char tc[4096], tc0[4096];
    struct tcf d;
    struct gen_meta m;
    /* --tcf-global-share 1: every string global-scope, which decodes but strict mode refuses. */
    o.tcf_global_share = 1.0;
    for (uint64_t i = 0; i < 50; i++) {
        size_t n = gen_tc(&o, i, tc, sizeof tc, &m);
        cr_assert_eq(tcf_decode(tc, n, scratch, sizeof scratch, &d), 0);
        cr_assert_not(d.is_service_specific);
        cr_assert_eq(tcf_check_policy(&d, 1), TCF_EPOLICY_SERVICE);
        cr_assert_eq(tcf_check_policy(&d, 0), 0);
    }
    /* A share in between gives a mix. */
    o.tcf_global_share = 0.3;
    size_t global = 0;
    for (uint64_t i = 0; i < 400; i++) {
        size_t n = gen_tc(&o, i, tc, sizeof tc, &m);
        cr_assert_eq(tcf_decode(tc, n, scratch, sizeof scratch, &d), 0);
        global += !d.is_service_specific;
    }
    cr_assert(global > 80 && global < 160, "%zu of 400 global-scope at share 0.3", global);
    /* The global-scope string is the valid one with only IsServiceSpecific cleared (drawn last), so a test
     * comparing the two isolates the policy check. */
    o.tcf_global_share = 0.0;
    size_t n0 = gen_tc(&o, 7, tc0, sizeof tc0, &m);
    decode_strict(tc0, n0, &d);
    uint32_t pc = d.purpose_consents;
    bool ours = tcf_vendor_consent(&d, o.vendor_id);
    o.tcf_global_share = 1.0;
    size_t n1 = gen_tc(&o, 7, tc, sizeof tc, &m);
    cr_assert_eq(tcf_decode(tc, n1, scratch, sizeof scratch, &d), 0);
    cr_assert_not(d.is_service_specific);
    cr_assert_eq(d.purpose_consents, pc);
    cr_assert_eq(tcf_vendor_consent(&d, o.vendor_id), ours);
}
