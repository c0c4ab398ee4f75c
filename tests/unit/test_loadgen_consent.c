/* Unit tests for loadgen/consent: encoded TC and GPP strings decode to what was meant with fairbid's own
 * decoders (filters/tcf, filters/gpp), for both vendor encodings, at the edges (no vendors, vendor 1, the
 * 16-bit maximum); known headers from the specifications; output buffers that are too small. The check
 * against IAB's reference libraries is tests/integration/test_loadgen_traffic.sh. */
#include <criterion/criterion.h>
#include <string.h>

#include "filters/gpp.h"
#include "filters/tcf.h"
#include "loadgen/consent.h"

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
