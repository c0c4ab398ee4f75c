/* Unit tests for filters/tcf: the spec's public strings, bitfield and range encodings, publisher
 * restrictions, the other segments, every error code, scratch exhaustion and the strict policy. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "filters/tcf.h"
#include "tests/unit/consent_testutil.h"

static uint8_t scratch[8192];
static char enc[4096], enc2[4096], full[8192];

static int decode(const char *s, struct tcf *tc)
{
    return tcf_decode(s, strlen(s), scratch, sizeof scratch, tc);
}

/* The TCF example string used throughout the GPP spec (Example 1). */
Test(tcf, spec_vector_core_only)
{
    struct tcf tc;
    cr_assert_eq(decode("CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", &tc), 0);
    cr_assert_eq(tc.version, 2);
    cr_assert_eq(tc.created, 16504920000ull);
    cr_assert_eq(tc.last_updated, 16504920000ull);
    cr_assert_eq(tc.cmp_id, 31);
    cr_assert_eq(tc.cmp_version, 640);
    cr_assert_eq(tc.consent_screen, 1);
    cr_assert_str_eq(tc.consent_language, "EN");
    cr_assert_eq(tc.vendor_list_version, 126);
    cr_assert_eq(tc.policy_version, 2);
    cr_assert(tc.is_service_specific);
    cr_assert_str_eq(tc.publisher_cc, "DE");
    cr_assert_eq(tc.purpose_consents, 0);
    cr_assert(!tcf_vendor_consent(&tc, 1));
    cr_assert(!tc.disclosed.present);
    cr_assert_eq(tcf_restriction(&tc, 1, 1), -1);
}

/* A public string with a Disclosed Vendors bitfield (744 bits) and a Publisher TC segment; expected
 * values taken from @iabtechlabtcf/core. */
Test(tcf, public_string_with_disclosed_and_publisher_tc)
{
    const char *s =
        "COwaAK3OwaAK3GKAAAENAcCAAAAAAAAAAAAAAAAAAAAA."
        "IF0EWSQgAYWwho0QUBzBAIYAfJgSCAMgSAAQIoCkFQICERBAEKiAQHAE"
        "QJAAAGBAAkACAAQAoHCBMCQABgAARiRCEQECIDRNABIBAggAKYQFAAARmikHC3ZCY702yOmQ.YAAAAAAAAAAAAAAAAAA";
    struct tcf tc;
    cr_assert_eq(decode(s, &tc), 0);
    cr_assert_eq(tc.cmp_id, 394);
    cr_assert_eq(tc.vendor_list_version, 28);
    cr_assert(!tc.is_service_specific);
    cr_assert(tc.disclosed.present);
    cr_assert_eq(tc.disclosed.max_id, 744);
    int n = 0;
    for (int v = 1; v <= 800; v++) n += tcf_disclosed(&tc, v);
    cr_assert_eq(n, 176);
    cr_assert(tcf_disclosed(&tc, 2));
    cr_assert(!tcf_disclosed(&tc, 3));
    cr_assert(tc.has_publisher_tc);
    cr_assert_eq(tc.num_custom_purposes, 0);
}

static void build(struct bw *w, const struct core_opts *o)
{
    memset(w, 0, sizeof *w);
    bw_core(w, o);
}

Test(tcf, bitfield_vendors_and_lookups)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    build(&w, &o);
    const int vc[] = {1, 7, 40};
    const int vli[] = {2, 7};
    bw_bitfield(&w, vc, 3, 40);
    bw_bitfield(&w, vli, 2, 7);
    bw_put(&w, 0, 12);
    struct tcf tc;
    cr_assert_eq(decode(bw_b64(&w, enc), &tc), 0);
    cr_assert(!tc.vendor_consents.is_range);
    struct {
        int v;
        bool consent, li;
    } t[] = {{0, 0, 0},  {1, 1, 0},  {2, 0, 1},  {7, 1, 1},    {8, 0, 0},
             {40, 1, 0}, {41, 0, 0}, {-3, 0, 0}, {70000, 0, 0}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_expect_eq(tcf_vendor_consent(&tc, t[i].v), t[i].consent, "vendor %d", t[i].v);
        cr_expect_eq(tcf_vendor_li(&tc, t[i].v), t[i].li, "vendor %d li", t[i].v);
    }
    /* purposes 1-4 consented, purpose 2 LI, special feature 1 */
    for (int p = 0; p <= 25; p++)
        cr_expect_eq(tcf_purpose_consent(&tc, p), p >= 1 && p <= 4, "purpose %d", p);
    cr_assert(tcf_purpose_li(&tc, 2));
    cr_assert(!tcf_purpose_li(&tc, 3));
    cr_assert(tcf_special_feature(&tc, 1));
    cr_assert(!tcf_special_feature(&tc, 2));
    cr_assert(!tcf_special_feature(&tc, 13));
}

Test(tcf, range_vendors_600)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    build(&w, &o);
    /* 600 vendors in 30 runs of 20, with gaps of 5, plus singles. */
    unsigned r[32][2];
    int n = 0;
    for (unsigned s = 1; n < 30; s += 25, n++) r[n][0] = s, r[n][1] = s + 19;
    r[n][0] = r[n][1] = 900, n++;
    r[n][0] = r[n][1] = 1000, n++;
    bw_ranges(&w, (const unsigned(*)[2])r, n, 1000);
    bw_ranges(&w, (const unsigned(*)[2])r, 0, 0); /* empty LI set as range */
    bw_put(&w, 0, 12);
    struct tcf tc;
    cr_assert_eq(decode(bw_b64(&w, enc), &tc), 0);
    cr_assert(tc.vendor_consents.is_range);
    cr_assert_eq(tc.vendor_consents.num_entries, 32);
    int count = 0;
    for (int v = 0; v <= 1100; v++) count += tcf_vendor_consent(&tc, v);
    cr_assert_eq(count, 602);
    cr_assert(tcf_vendor_consent(&tc, 1));
    cr_assert(tcf_vendor_consent(&tc, 20));
    cr_assert(!tcf_vendor_consent(&tc, 21));
    cr_assert(tcf_vendor_consent(&tc, 26));
    cr_assert(tcf_vendor_consent(&tc, 1000));
    cr_assert(!tcf_vendor_consent(&tc, 999));
    cr_assert(!tcf_vendor_li(&tc, 1));
}

Test(tcf, publisher_restrictions)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    build(&w, &o);
    const int vc[] = {5};
    bw_bitfield(&w, vc, 1, 5);
    bw_bitfield(&w, vc, 0, 0);
    bw_put(&w, 3, 12);
    /* purpose 2, type 0 (not allowed): vendors 10-20 and 30 */
    const unsigned r1[][2] = {{10, 20}, {30, 30}};
    bw_put(&w, 2, 6), bw_put(&w, 0, 2), bw_entries(&w, r1, 2);
    /* purpose 7, type 2 (require LI): vendor 15 */
    const unsigned r2[][2] = {{15, 15}};
    bw_put(&w, 7, 6), bw_put(&w, 2, 2), bw_entries(&w, r2, 1);
    /* purpose 2, type 1 (require consent): vendor 15 as well: the lowest type wins */
    bw_put(&w, 2, 6), bw_put(&w, 1, 2), bw_entries(&w, r2, 1);
    struct tcf tc;
    cr_assert_eq(decode(bw_b64(&w, enc), &tc), 0);
    cr_assert_eq(tc.num_restrictions, 3);
    cr_assert_eq(tcf_restriction(&tc, 2, 10), 0);
    cr_assert_eq(tcf_restriction(&tc, 2, 15), 0);
    cr_assert_eq(tcf_restriction(&tc, 2, 21), -1);
    cr_assert_eq(tcf_restriction(&tc, 2, 30), 0);
    cr_assert_eq(tcf_restriction(&tc, 7, 15), 2);
    cr_assert_eq(tcf_restriction(&tc, 7, 16), -1);
    cr_assert_eq(tcf_restriction(&tc, 3, 15), -1);
    int p, t;
    uint32_t off;
    unsigned cnt;
    cr_assert_eq(tcf_restriction_group(&tc, 1, &p, &t, &off, &cnt), 0);
    cr_assert_eq(p, 7);
    cr_assert_eq(t, 2);
    cr_assert_eq(cnt, 1);
    cr_assert_eq(tcf_restriction_group(&tc, 3, &p, &t, &off, &cnt), -1);
}

/* Core + Disclosed (range) + Allowed (bitfield) + Publisher TC with 3 custom purposes. */
static const char *full_string(uint64_t created, bool with_disclosed, unsigned iss)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    o.created = created;
    o.iss = iss;
    build(&w, &o);
    bw_bitfield(&w, NULL, 0, 0);
    bw_bitfield(&w, NULL, 0, 0);
    bw_put(&w, 0, 12);
    strcpy(full, bw_b64(&w, enc));
    if (with_disclosed) {
        memset(&w, 0, sizeof w);
        bw_put(&w, 1, 3);
        const unsigned r[][2] = {{3, 9}, {755, 755}};
        bw_ranges(&w, r, 2, 755);
        strcat(full, ".");
        strcat(full, bw_b64(&w, enc));
    }
    memset(&w, 0, sizeof w);
    bw_put(&w, 2, 3);
    const int al[] = {4};
    bw_bitfield(&w, al, 1, 4);
    strcat(full, ".");
    strcat(full, bw_b64(&w, enc));
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 3);
    bw_put(&w, 0x800001, 24); /* publisher consent: purposes 1 and 24 */
    bw_put(&w, 0x400000, 24); /* publisher LI: purpose 2 */
    bw_put(&w, 3, 6);
    bw_put(&w, 5, 3); /* custom consents: 1 and 3 */
    bw_put(&w, 2, 3); /* custom LI: 2 */
    strcat(full, ".");
    strcat(full, bw_b64(&w, enc));
    return full;
}

Test(tcf, all_segments)
{
    struct tcf tc;
    cr_assert_eq(decode(full_string(16500000000ull, true, 1), &tc), 0);
    cr_assert(tc.disclosed.present && tc.disclosed.is_range);
    cr_assert(tcf_disclosed(&tc, 3) && tcf_disclosed(&tc, 9) && tcf_disclosed(&tc, 755));
    cr_assert(!tcf_disclosed(&tc, 10) && !tcf_disclosed(&tc, 2));
    cr_assert(tcf_allowed(&tc, 4) && !tcf_allowed(&tc, 3));
    cr_assert(tc.has_publisher_tc);
    cr_assert(tcf_pub_purpose_consent(&tc, 1) && tcf_pub_purpose_consent(&tc, 24));
    cr_assert(!tcf_pub_purpose_consent(&tc, 2));
    cr_assert(tcf_pub_purpose_li(&tc, 2));
    cr_assert_eq(tc.num_custom_purposes, 3);
    cr_assert_eq(tc.pub_custom_consents, 0x5);
    cr_assert_eq(tc.pub_custom_li, 0x2);
}

Test(tcf, trailing_padding_tolerated)
{
    struct tcf tc;
    cr_assert_eq(decode("CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA==", &tc), 0);
    cr_assert_eq(tc.cmp_id, 31);
}

Test(tcf, scratch_exhaustion)
{
    const char *s = full_string(16500000000ull, true, 1);
    size_t n = strlen(s);
    struct tcf tc;
    size_t ok_from = 0;
    for (size_t cap = 0; cap <= n; cap++) {
        int rc = tcf_decode(s, n, scratch, cap, &tc);
        if (rc == 0) {
            ok_from = cap;
            break;
        }
        cr_assert_eq(rc, TCF_ESCRATCH, "cap %zu: %s", cap, tcf_strerror(rc));
    }
    cr_assert(ok_from > 0 && ok_from <= tcf_scratch_need(n));
}

Test(tcf, policy_strict_and_lenient)
{
    struct tcf tc;
    /* 2026-03-01 in deciseconds is 17723232000. */
    cr_assert_eq(decode(full_string(17723232000ull, false, 1), &tc), 0);
    cr_assert_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_DISCLOSED);
    cr_assert_eq(tcf_check_policy(&tc, 0), 0);
    cr_assert_eq(decode(full_string(17723231999ull, false, 1), &tc), 0);
    cr_assert_eq(tcf_check_policy(&tc, 1), 0);
    cr_assert_eq(decode(full_string(17723232000ull, true, 1), &tc), 0);
    cr_assert_eq(tcf_check_policy(&tc, 1), 0);
    cr_assert_eq(decode(full_string(16500000000ull, true, 0), &tc), 0);
    cr_assert_eq(tcf_check_policy(&tc, 1), TCF_EPOLICY_SERVICE);
    cr_assert_eq(tcf_check_policy(&tc, 0), 0);
}

Test(tcf, li_ignored_for_purposes_3_to_6_in_strict_mode)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    o.purposes_li = 0x3f; /* LI bits for purposes 1-6 */
    build(&w, &o);
    bw_bitfield(&w, NULL, 0, 0);
    bw_bitfield(&w, NULL, 0, 0);
    bw_put(&w, 0, 12);
    struct tcf tc;
    cr_assert_eq(decode(bw_b64(&w, enc), &tc), 0);
    for (int p = 1; p <= 6; p++) {
        cr_expect(tcf_purpose_li_ok(&tc, p, 0), "lenient %d", p);
        cr_expect_eq(tcf_purpose_li_ok(&tc, p, 1), p == 2, "strict %d", p);
    }
}

/* ---- every error code ---------------------------------------------------------------------------- */

enum damage {
    D_NONE,
    D_VERSION,
    D_VLV0,
    D_LANG,
    D_TRUNC_FIXED,
    D_BITFIELD_TRUNC,
    D_RANGE_TRUNC,
    D_RANGE_ORDER,
    D_RANGE_MAX,
    D_RANGE_ZERO,
    D_VSET_HEADER,
    D_RESTR_TRUNC,
    D_RESTR_PURPOSE,
    D_RESTR_TYPE,
    D_RESTR_ORDER,
    D_NO_RESTR,
};

static const char *damaged(enum damage d)
{
    static struct bw w;
    struct core_opts o = core_defaults();
    if (d == D_VERSION) o.version = 1;
    if (d == D_VLV0) o.vlv = 0;
    if (d == D_LANG) o.lang1 = 30;
    build(&w, &o);
    if (d == D_TRUNC_FIXED) {
        w.n = 150;
        return bw_b64(&w, enc);
    }
    if (d == D_VSET_HEADER) {
        bw_put(&w, 5, 10);
        return bw_b64(&w, enc);
    }
    if (d == D_BITFIELD_TRUNC) {
        bw_put(&w, 500, 16);
        bw_put(&w, 0, 1);
        bw_put(&w, 0, 100);
        return bw_b64(&w, enc);
    }
    const unsigned ok[][2] = {{2, 5}};
    const unsigned order[][2] = {{9, 5}};
    const unsigned zero[][2] = {{0, 0}};
    const unsigned past[][2] = {{2, 11}};
    if (d == D_RANGE_TRUNC) {
        bw_ranges(&w, ok, 1, 10);
        w.n -= 10;
        return bw_b64(&w, enc);
    }
    bw_ranges(&w,
              d == D_RANGE_ORDER  ? order
              : d == D_RANGE_ZERO ? zero
              : d == D_RANGE_MAX  ? past
                                  : ok,
              1, 10);
    bw_bitfield(&w, NULL, 0, 0);
    if (d == D_NO_RESTR) return bw_b64(&w, enc);
    bw_put(&w, 1, 12);
    bw_put(&w, d == D_RESTR_PURPOSE ? 0 : 2, 6);
    bw_put(&w, d == D_RESTR_TYPE ? 3 : 1, 2);
    bw_entries(&w, d == D_RESTR_ORDER ? order : ok, 1);
    if (d == D_RESTR_TRUNC) w.n -= 20;
    return bw_b64(&w, enc);
}

static const char *segment_after_core(const char *seg_b64)
{
    strcpy(full, "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA");
    strcat(full, seg_b64);
    return full;
}

static const char *seg(unsigned type, unsigned bits_after)
{
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, type, 3);
    bw_put(&w, 0, bits_after);
    enc2[0] = '.';
    bw_b64(&w, enc2 + 1);
    return enc2;
}

Test(tcf, every_error_code)
{
    struct {
        const char *s;
        int want;
    } t[] = {
        {"", TCF_EEMPTY},
        {"CPXxRfAPXxRfAAfKABENB+CgAAAAAAAAAAYgAAAAAAAA", TCF_EB64},
        {"CPXxRfAPXxRfAAfKABENB/CgAAAAAAAAAAYgAAAAAAAA", TCF_EB64},
        {"CPXxRfAPXxRf AAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", TCF_EB64},
        {"CPXxRfAPXxRfAA=fKABENB-CgAAAAAAAAAAYgAAAAAAAA", TCF_EB64},
        {"C", TCF_ESHORT},
        {"CPXxRfAPXxRfAAfKABENB-Cg", TCF_ESHORT},
        {"BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", TCF_EVERSION}, /* a TCF v1 string */
        {".", TCF_ESEG_EMPTY},
        {"CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.", TCF_ESEG_EMPTY},
        {"CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA..IAAA", TCF_ESEG_EMPTY},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct tcf tc;
        int rc = decode(t[i].s, &tc);
        cr_expect_eq(rc, t[i].want, "'%s': got %d (%s), want %d", t[i].s, rc, tcf_strerror(rc), t[i].want);
    }
    struct {
        enum damage d;
        int want;
    } dt[] = {
        {D_NONE, 0},
        {D_VERSION, TCF_EVERSION},
        {D_VLV0, TCF_EVLV},
        {D_LANG, TCF_ELANG},
        {D_TRUNC_FIXED, TCF_ESHORT},
        {D_VSET_HEADER, TCF_ESHORT},
        {D_BITFIELD_TRUNC, TCF_EBITFIELD},
        {D_RANGE_TRUNC, TCF_ERANGE_TRUNC},
        {D_RANGE_ORDER, TCF_ERANGE_ORDER},
        {D_RANGE_MAX, TCF_ERANGE_MAX},
        {D_RANGE_ZERO, TCF_ERANGE_ZERO},
        {D_NO_RESTR, TCF_ERESTR_TRUNC},
        {D_RESTR_TRUNC, TCF_ERESTR_TRUNC},
        {D_RESTR_PURPOSE, TCF_ERESTR_PURPOSE},
        {D_RESTR_TYPE, 0}, /* type 3 is accepted (issue 14); tcf_restriction reads it as 0 */
        {D_RESTR_ORDER, TCF_ERANGE_ORDER},
    };
    for (size_t i = 0; i < sizeof dt / sizeof dt[0]; i++) {
        struct tcf tc;
        int rc = decode(damaged(dt[i].d), &tc);
        cr_expect_eq(rc, dt[i].want, "damage %d: got %d (%s), want %d", dt[i].d, rc, tcf_strerror(rc),
                     dt[i].want);
    }
    struct {
        unsigned type, bits;
        int want;
    } st[] = {
        {0, 40, TCF_ESEG_DUP},  {1, 5, TCF_ESEG_SHORT}, {1, 17, 0}, {3, 40, TCF_ESEG_SHORT}, {3, 54, 0},
        {4, 40, TCF_ESEG_TYPE}, {7, 40, TCF_ESEG_TYPE}, {2, 17, 0},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        struct tcf tc;
        int rc = decode(segment_after_core(seg(st[i].type, st[i].bits)), &tc);
        cr_expect_eq(rc, st[i].want, "segment type %u: got %d (%s)", st[i].type, rc, tcf_strerror(rc));
    }
    /* The same segment twice. */
    strcpy(full, "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA");
    strcat(full, seg(1, 17));
    strcat(full, seg(1, 17));
    struct tcf tc;
    cr_expect_eq(decode(full, &tc), TCF_ESEG_DUP);
    cr_expect_eq(tcf_decode("CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA", 44, scratch, 3, &tc),
                 TCF_ESCRATCH);
}

Test(tcf, strerror_distinct)
{
    const int codes[] = {
#define C_(name, val, msg) name,
        TCF_ERRORS(C_)
#undef C_
    };
    size_t n = sizeof codes / sizeof codes[0];
    cr_assert_str_eq(tcf_strerror(0), "ok");
    cr_assert_str_eq(tcf_strerror(-999), "unknown tcf error");
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_neq(tcf_strerror(codes[i]), "unknown tcf error");
        for (size_t j = 0; j < i; j++) cr_assert_neq(codes[i], codes[j]);
    }
}

/* Issue 14: RestrictionType 3 ("undefined" in the TCF spec) keeps the string valid; the lookup answers 0
 * (not allowed) for that purpose and those vendors only, and the raw group still says 3. */
Test(tcf, restriction_type_3_is_not_allowed_locally)
{
    struct tcf tc;
    cr_assert_eq(decode(damaged(D_RESTR_TYPE), &tc), 0); /* purpose 2, type 3, vendors 2-5 */
    cr_assert_eq(tc.num_restrictions, 1);
    for (int v = 2; v <= 5; v++) cr_expect_eq(tcf_restriction(&tc, 2, v), 0, "vendor %d", v);
    cr_expect_eq(tcf_restriction(&tc, 2, 1), -1);
    cr_expect_eq(tcf_restriction(&tc, 2, 6), -1);
    cr_expect_eq(tcf_restriction(&tc, 1, 3), -1);
    cr_expect_eq(tcf_restriction(&tc, 3, 3), -1);
    int p, t;
    uint32_t off;
    unsigned cnt;
    cr_assert_eq(tcf_restriction_group(&tc, 0, &p, &t, &off, &cnt), 0);
    cr_expect_eq(p, 2);
    cr_expect_eq(t, 3);
    cr_expect_eq(cnt, 1);
}
