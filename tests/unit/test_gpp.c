/* Unit tests for filters/gpp: the GPP spec's example strings, header id ranges, US National v1 and v2,
 * state sections with GPC and sensitive-data sub-sections, the consent accessors and every error code. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "filters/gpp.h"
#include "tests/unit/consent_testutil.h"

static uint8_t scratch[4096];
static struct gpp g; /* large; one per test process (Criterion forks per test) */
static char buf[2048], sec[256];

static int decode(const char *s)
{
    return gpp_decode(s, strlen(s), scratch, sizeof scratch, &g);
}

/* Header naming the ids given (singles), each delta-coded. */
static const char *header(const unsigned *ids, int n)
{
    static char out[128];
    return bw_gpp_header(ids, n, out);
}

/* A US section: 6-bit version then 2-bit values. */
static const char *us_section(unsigned version, const uint8_t *vals, int n)
{
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, version, 6);
    for (int i = 0; i < n; i++) bw_put(&w, vals[i], 2);
    return bw_b64(&w, sec);
}

Test(gpp, spec_example_1_tcf_eu)
{
    cr_assert_eq(decode("DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"), 0);
    cr_assert_eq(g.type, 3);
    cr_assert_eq(g.version, 1);
    cr_assert_eq(g.nsections, 1);
    cr_assert_eq(g.section_ids[0], 2);
    cr_assert(g.has_tcfeu);
    cr_assert_eq(g.tcfeu.cmp_id, 31);
    cr_assert(!gpp_optout(&g, NULL));
}

Test(gpp, spec_example_2_tcf_eu_and_usp)
{
    cr_assert_eq(decode("DBACNYA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN"), 0);
    cr_assert_eq(g.nsections, 2);
    cr_assert_eq(g.section_ids[1], 6);
    cr_assert(g.has_usp);
    cr_assert_eq(g.usp.notice, 'Y');
    cr_assert(!gpp_optout(&g, NULL));
}

/* Example 3 carries TCF Canada (5), which we list and skip, and US Privacy; its header is an id range. */
Test(gpp, spec_example_3_range_header_and_skipped_section)
{
    cr_assert_eq(decode("DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN"), 0);
    cr_assert_eq(g.nsections, 2);
    cr_assert_eq(g.section_ids[0], 5);
    cr_assert_eq(g.section_ids[1], 6);
    cr_assert_eq(g.kind[0], GPP_KIND_SKIPPED);
    cr_assert(gpp_has_section(&g, 5));
    cr_assert(!g.has_tcfeu);
    cr_assert(g.has_usp);
}

/* US National v1 with a GPC sub-section, as in the GPP US National examples (checked against
 * @iabgpp/cmpapi). */
Test(gpp, usnat_v1_with_gpc_subsection)
{
    cr_assert_eq(decode("DBABLA~BVQqAAAAAgA.QA"), 0);
    const struct gpp_us *u = gpp_us_section(&g, 7);
    cr_assert_not_null(u);
    cr_assert_eq(u->def->version, 1);
    cr_assert_eq(gpp_field(&g, 7, "SharingNotice", 0), 1);
    cr_assert_eq(gpp_field(&g, 7, "SaleOptOut", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "MspaCoveredTransaction", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "SensitiveDataProcessing", 11), 0);
    cr_assert_eq(gpp_field(&g, 7, "SensitiveDataProcessing", 12), -1); /* v1 has 12 */
    cr_assert_eq(gpp_field(&g, 7, "KnownChildSensitiveDataConsents", 2), -1);
    cr_assert(u->sub_included);
    cr_assert_eq(u->gpc_segment_type, 1);
    cr_assert(!u->gpc);
    cr_assert(!gpp_optout(&g, NULL));
    cr_assert(!gpp_gpc(&g, NULL));
    cr_assert(!gpp_known_child(&g, NULL));
}

/* US National v2: 9 notice/opt-out fields, 16 sensitive categories, 3 known-child, then 4 more. */
static const char *usnat_v2(uint8_t sale, uint8_t targeted, uint8_t child, bool gpc)
{
    uint8_t v[32] = {1, 1, 1, 1, 1, 1, sale, 2, targeted};
    for (int i = 0; i < 16; i++) v[9 + i] = (uint8_t)(i % 3);
    v[25] = 0, v[26] = child, v[27] = 0;
    v[28] = 2, v[29] = 1, v[30] = 0, v[31] = 0;
    static const unsigned ids[] = {7};
    snprintf(buf, sizeof buf, "%s~%s%s", header(ids, 1), us_section(2, v, 32), gpc ? ".YA" : "");
    return buf;
}

Test(gpp, usnat_v2_fields_and_accessors)
{
    cr_assert_eq(decode(usnat_v2(2, 2, 0, false)), 0, "%s", buf);
    for (int c = 1; c <= 16; c++) cr_expect_eq(gpp_sensitive(&g, 7, c), (c - 1) % 3, "category %d", c);
    cr_assert_eq(gpp_sensitive(&g, 7, 17), -1);
    cr_assert_eq(gpp_sensitive(&g, 7, 0), -1);
    cr_assert_eq(gpp_field(&g, 7, "PersonalDataConsents", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "MspaCoveredTransaction", 0), 1);
    cr_assert_eq(gpp_field(&g, 7, "Gpc", 0), 0);
    cr_assert_eq(gpp_field(&g, 7, "NoSuchField", 0), -1);
    cr_assert(!gpp_optout(&g, NULL));
    cr_assert(!gpp_known_child(&g, NULL));

    int sid = 0;
    cr_assert_eq(decode(usnat_v2(1, 2, 0, false)), 0);
    cr_assert(gpp_optout(&g, &sid));
    cr_assert_eq(sid, 7);
    cr_assert_eq(decode(usnat_v2(2, 1, 0, false)), 0);
    cr_assert(gpp_optout(&g, NULL));
    cr_assert_eq(decode(usnat_v2(0, 0, 2, false)), 0);
    cr_assert(!gpp_optout(&g, NULL));
    cr_assert(gpp_known_child(&g, &sid));
    cr_assert_eq(decode(usnat_v2(0, 0, 0, true)), 0);
    cr_assert(gpp_gpc(&g, &sid));
    cr_assert_eq(gpp_field(&g, 7, "Gpc", 0), 1);
    cr_assert_eq(gpp_field(&g, 7, "GpcSegmentType", 0), 1);
}

/* CA (8) with GPC, VA (9) with no sub-section, IN (25) with its sensitive-data sub-section, and an
 * unknown id (40) skipped. */
Test(gpp, state_sections)
{
    const uint8_t ca[] = {1, 1, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0};
    const uint8_t va[] = {1, 1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0};
    const uint8_t in[] = {1, 0, 1, 1, 1, 2, 2, 0, 0};
    static const unsigned ids[] = {8, 9, 25, 40};
    char a[64], b[64], c[64];
    strcpy(a, us_section(1, ca, (int)sizeof ca));
    strcpy(b, us_section(1, va, (int)sizeof va));
    strcpy(c, us_section(1, in, (int)sizeof in));
    snprintf(buf, sizeof buf, "%s~%s.YA~%s~%s.JAA~AAAA", header(ids, 4), a, b, c);
    cr_assert_eq(decode(buf), 0, "%s", buf);
    cr_assert_eq(g.nsections, 4);
    cr_assert_eq(g.kind[3], GPP_KIND_SKIPPED);
    cr_assert_eq(gpp_field(&g, 8, "SharingOptOut", 0), 1);
    cr_assert_eq(gpp_field(&g, 8, "KnownChildSensitiveDataConsents", 1), 1);
    int sid = 0;
    cr_assert(gpp_optout(&g, &sid));
    cr_assert_eq(sid, 8);
    cr_assert(gpp_gpc(&g, &sid));
    cr_assert_eq(sid, 8);
    cr_assert(gpp_known_child(&g, &sid));
    cr_assert_eq(gpp_field(&g, 9, "KnownChildSensitiveDataConsents", 0), 2);
    cr_assert_eq(gpp_field(&g, 9, "Gpc", 0), -1);
    const struct gpp_us *u = gpp_us_section(&g, 25);
    cr_assert_not_null(u);
    cr_assert(u->sub_included);
    /* "JAA" = 001001 000000 000000: categories 1 = 0, 2 = 2, 3 = 1 */
    cr_assert_eq(gpp_sensitive(&g, 25, 1), 0);
    cr_assert_eq(gpp_sensitive(&g, 25, 2), 2);
    cr_assert_eq(gpp_sensitive(&g, 25, 3), 1);
    cr_assert_eq(gpp_field(&g, 25, "SensitiveDataProcessing", 1), 2);
    cr_assert_null(gpp_us_section(&g, 40));
}

Test(gpp, every_state_layout_decodes_and_is_bounded)
{
    for (int id = 7; id <= 27; id++) {
        for (int ver = 1; ver <= 2; ver++) {
            const struct gpp_section_def *d = gpp_section_def(id, ver);
            if (!d) continue;
            uint8_t v[GPP_US_MAX_VALUES] = {0};
            int nv = 0;
            for (unsigned f = 1; f < d->nfields; f++) nv += d->fields[f].count;
            cr_assert(nv + 1 <= GPP_US_MAX_VALUES);
            for (int i = 0; i < nv; i++) v[i] = (uint8_t)(i % 3);
            const unsigned ids[] = {(unsigned)id};
            snprintf(buf, sizeof buf, "%s~%s", header(ids, 1), us_section((unsigned)ver, v, nv));
            cr_expect_eq(decode(buf), 0, "section %d v%d", id, ver);
            /* One value short: truncated (the last character holds fewer than 2 spare bits only when
             * the bit count is a multiple of 6, so cut a whole character instead). */
            buf[strlen(buf) - 2] = '\0';
            cr_expect_eq(decode(buf), GPP_ESECTION_SHORT, "section %d v%d truncated", id, ver);
        }
    }
    cr_assert_str_eq(gpp_section_name(7), "usnat");
    cr_assert_str_eq(gpp_section_name(2), "tcfeuv2");
    cr_assert_null(gpp_section_name(99));
}

Test(gpp, many_sections_as_one_range)
{
    /* ids 7..12 as one range entry: count 1, range bit, fib(7), fib(5) */
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 6), bw_put(&w, 1, 6), bw_put(&w, 1, 12), bw_put(&w, 1, 1);
    bw_fib(&w, 7), bw_fib(&w, 5);
    char h[64];
    bw_b64(&w, h);
    uint8_t zero[40] = {0};
    buf[0] = '\0';
    strcat(buf, h);
    for (int id = 7; id <= 12; id++) {
        const struct gpp_section_def *d = gpp_section_def(id, id == 7 ? 2 : 1);
        int nv = 0;
        for (unsigned f = 1; f < d->nfields; f++) nv += d->fields[f].count;
        strcat(buf, "~");
        strcat(buf, us_section(d->version, zero, nv));
    }
    cr_assert_eq(decode(buf), 0, "%s", buf);
    cr_assert_eq(g.nsections, 6);
    for (int k = 0; k < 6; k++) cr_assert_eq(g.section_ids[k], 7 + k);
    cr_assert_eq(g.nus, 6);
}

Test(gpp, every_error_code)
{
    const uint8_t v2[31] = {0};
    static const unsigned id7[] = {7}, id2[] = {2}, id6[] = {6}, id25[] = {25};
    const uint8_t in[9] = {1};
    char s25[64];
    strcpy(s25, us_section(1, in, 9));
    char h7[32], h2[32], h6[32], s7[64];
    strcpy(h7, header(id7, 1));
    strcpy(h2, header(id2, 1));
    strcpy(h6, header(id6, 1));
    strcpy(s7, us_section(2, v2, 31));
    uint8_t bad[31] = {0};
    bad[5] = 3;
    char sbad[64], sv3[64];
    strcpy(sbad, us_section(2, bad, 31));
    strcpy(sv3, us_section(3, v2, 31));

    /* header with ids 1..40 as one range: more than GPP_MAX_SECTIONS */
    static struct bw w;
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 6), bw_put(&w, 1, 6), bw_put(&w, 1, 12), bw_put(&w, 1, 1);
    bw_fib(&w, 1), bw_fib(&w, 39);
    char hmany[64];
    bw_b64(&w, hmany);
    /* header whose Fibonacci code never terminates */
    memset(&w, 0, sizeof w);
    bw_put(&w, 3, 6), bw_put(&w, 1, 6), bw_put(&w, 1, 12), bw_put(&w, 0, 1), bw_put(&w, 0x2aa, 10);
    char hbad[64];
    bw_b64(&w, hbad);

    char t[16][300];
    snprintf(t[0], 300, "%s~%s", h7, s7);
    snprintf(t[1], 300, "%s", h7);
    snprintf(t[2], 300, "%s~%s~%s", h7, s7, s7);
    snprintf(t[3], 300, "%s~", h7);
    snprintf(t[4], 300, "%s~%s", h7, sbad);
    snprintf(t[5], 300, "%s~%s", h7, sv3);
    snprintf(t[6], 300, "%s~%s.", h7, s7);
    snprintf(t[7], 300, "%s~%s.A", header(id25, 1), s25);
    snprintf(t[8], 300, "%s~CPXxRfAPXxRfAAfKABENB", h2);
    snprintf(t[9], 300, "%s~1YNX", h6);
    snprintf(t[10], 300, "%s~%s", hmany, s7);
    snprintf(t[11], 300, "%s~%s", hbad, s7);
    snprintf(t[12], 300, "%s~%s%s", h7, s7, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    snprintf(t[13], 300, "%s~BA", h7);
    snprintf(t[14], 300, "%s~%s.A*", h7, s7);

    struct {
        const char *s;
        int want;
    } tab[] = {
        {"", GPP_EEMPTY},
        {"DB*BMA~1YNN", GPP_EB64},
        {"DB", GPP_EHEADER_SHORT},
        {"DBA", GPP_EHEADER_SHORT},
        {"DBAB", GPP_EHEADER_IDS},
        {"CBABMA~1YNN", GPP_EHEADER_TYPE},
        {"DCABMA~1YNN", GPP_EHEADER_VERSION},
        {t[11], GPP_EHEADER_IDS},
        {t[10], GPP_ETOO_MANY},
        {t[1], GPP_ESECTION_COUNT},
        {t[2], GPP_ESECTION_COUNT},
        {t[3], GPP_ESECTION_EMPTY},
        {t[12], GPP_ESECTION_LONG},
        {t[13], GPP_ESECTION_SHORT},
        {t[5], GPP_ESECTION_VERSION},
        {t[4], GPP_EFIELD_VALUE},
        {t[6], GPP_ESUB_SHORT},
        {t[7], GPP_ESUB_SHORT},
        {t[14], GPP_EB64},
        {t[8], GPP_ETCF},
        {t[9], GPP_EUSP},
        {t[0], 0},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = decode(tab[i].s);
        cr_expect_eq(rc, tab[i].want, "'%s': got %d (%s), want %d", tab[i].s, rc, gpp_strerror(rc),
                     tab[i].want);
    }
    cr_assert_eq(decode(t[8]), GPP_ETCF);
    cr_assert_eq(g.sub_err, TCF_ESHORT);
    cr_assert_eq(decode(t[9]), GPP_EUSP);
    cr_assert_eq(g.sub_err, USP_ECHAR);
    const char *ok = "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA";
    cr_assert_eq(gpp_decode(ok, strlen(ok), scratch, 4, &g), GPP_ESCRATCH);
    cr_assert_str_eq(gpp_strerror(0), "ok");
    cr_assert_str_eq(gpp_strerror(-99), "unknown gpp error");
    for (int c = GPP_ESUB_LONG; c <= GPP_EEMPTY; c++) cr_assert_str_neq(gpp_strerror(c), "unknown gpp error");
}

/* Issue 14, 1: US National marked Version 1 in the Version 2 layout (iabgpp-java, @iabgpp/cmpapi 3.1.x).
 * This string is @iabgpp/cmpapi 3.1.7's encoding of SaleOptOut = 1, KnownChildSensitiveDataConsents =
 * [0,0,1]: read with the v1 layout the child is missed (fail-open). */
Test(gpp, usnat_v1_in_v2_layout)
{
    cr_assert_eq(decode("DBABLA~BAAQAAAAAARA.QA"), 0);
    const struct gpp_us *u = gpp_us_section(&g, 7);
    cr_assert_not_null(u);
    cr_assert_eq(gpp_field(&g, 7, "Version", 0), 1); /* as written */
    cr_assert_eq(u->def->version, 2);                /* the layout used */
    cr_assert_eq(u->n_known_child, 3);
    cr_assert_eq(u->n_sensitive, 16);
    cr_assert_eq(gpp_field(&g, 7, "KnownChildSensitiveDataConsents", 2), 1);
    cr_assert_eq(gpp_field(&g, 7, "SaleOptOut", 0), 1);
    cr_assert_eq(gpp_field(&g, 7, "MspaCoveredTransaction", 0), 1);
    cr_assert(gpp_known_child(&g, NULL));
    cr_assert(gpp_optout(&g, NULL));
    /* iabgpp-java's own test string (BVVVkkkkkpFY: every value set) */
    cr_assert_eq(decode("DBABLA~BVVVkkkkkpFY.YA"), 0);
    cr_assert_eq(gpp_field(&g, 7, "SensitiveDataProcessing", 15), 2);
    cr_assert_eq(gpp_field(&g, 7, "KnownChildSensitiveDataConsents", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "KnownChildSensitiveDataConsents", 1), 1);
    cr_assert_eq(gpp_field(&g, 7, "MspaServiceProviderMode", 0), 2);
    cr_assert_eq(gpp_field(&g, 7, "Gpc", 0), 1);
    /* Version 1 in its own layout: 60 bits (6-bit padding) and 66 bits (byte, then 6-bit padding, as
     * @iabgpp/cmpapi 3.2.0 writes it) */
    cr_assert_eq(decode("DBABLA~BVQqAAAACg"), 0);
    cr_assert_eq(gpp_us_section(&g, 7)->def->version, 1);
    cr_assert_eq(gpp_field(&g, 7, "PersonalDataConsents", 0), 2);
    cr_assert_eq(decode("DBABLA~BAAQAAAAAQA.QA"), 0);
    cr_assert_eq(gpp_us_section(&g, 7)->def->version, 1);
    cr_assert_eq(gpp_field(&g, 7, "SaleOptOut", 0), 1);
    /* Not the other way round: "Version 2" of the Version 1 length (iabgpp-es UsNat.test.ts "should decode
     * CVQqAAAACg", which both IAB libraries read with the v1 layout) is rejected: a v2 string cut by one
     * character has exactly that length, and the v1 layout would read KnownChild from SensitiveData bits. */
    cr_assert_eq(decode("DBABLA~CVQqAAAACg"), GPP_ESECTION_SHORT);
}

/* Issue 14, 1 and 2: a length the layout and the padding do not explain is rejected. */
Test(gpp, section_length_must_be_layout_plus_padding)
{
    struct {
        const char *s;
        int want;
    } tab[] = {
        {"DBABLA~BVQqAAAAC", GPP_ESECTION_SHORT},           /* v1, 54 bits */
        {"DBABLA~BVQqAAAACgAAA", GPP_ESECTION_LONG},        /* v1, 78 bits */
        {"DBABLA~BAAQAAAAAARAA", GPP_ESECTION_LONG},        /* v1 in v2 layout + 6 bits */
        {"DBABLA~CAAQAAAAAQA", GPP_ESECTION_SHORT},         /* v2, 66 bits: a v2 string cut short, not v1 */
        {"DBABLA~CAAQAAAAA", GPP_ESECTION_SHORT},           /* v2, 54 bits */
        {"DBABLA~CAAQAAAAAARA", 0},                         /* v2, 72 bits */
        {"DBABLA~CAAQAAAAAARAAAAA", GPP_ESECTION_LONG},     /* v2 + 24 spare bits */
        {"DBABLA~CAAQAAAAAARAAAAAAAAA", GPP_ESECTION_LONG}, /* v2 + 48 */
        {"DBABBg~BVWSSSVY", 0},                             /* usca, 48 bits for 46 */
        {"DBABBg~BVWSSSVYAAAA", GPP_ESECTION_LONG},         /* usca + 24 */
        {"DBABBg~BVWSSSV", GPP_ESECTION_SHORT},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = decode(tab[i].s);
        cr_expect_eq(rc, tab[i].want, "'%s': got %d (%s), want %d", tab[i].s, rc, gpp_strerror(rc),
                     tab[i].want);
    }
}

/* Issue 14, 3: sub-sections only where the section's spec defines one, only of type 1 (GPC), only one. */
Test(gpp, sub_sections_only_where_defined)
{
    static const unsigned id9[] = {9}, id11[] = {11}, id13[] = {13};
    char h9[32], h11[32], h13[32], t[16][128];
    strcpy(h9, header(id9, 1));
    strcpy(h11, header(id11, 1));
    strcpy(h13, header(id13, 1));
    const uint8_t va[18] = {0}, ut[19] = {0}, fl[21] = {0};
    char sva[32], sut[32], sfl[32];
    strcpy(sva, us_section(1, va, 18));
    strcpy(sut, us_section(1, ut, 19));
    strcpy(sfl, us_section(1, fl, 21));
    snprintf(t[0], 128, "%s~%s", h9, sva);
    snprintf(t[1], 128, "%s~%s.", h9, sva);
    snprintf(t[2], 128, "%s~%s.zzzz", h9, sva);
    snprintf(t[3], 128, "%s~%s.QA", h11, sut);
    snprintf(t[4], 128, "%s~%s.", h13, sfl);
    snprintf(t[5], 128, "%s~%s.QA", h13, sfl);
    snprintf(t[6], 128, "%s~%s", h13, sfl);
    struct {
        const char *s;
        int want;
    } tab[] = {
        {t[0], 0},
        {t[1], GPP_ESUB_UNDEFINED},
        {t[2], GPP_ESUB_UNDEFINED},
        {t[3], GPP_ESUB_UNDEFINED},
        {t[4], GPP_ESUB_UNDEFINED},
        {t[5], GPP_ESUB_UNDEFINED},
        {t[6], 0},
        {"DBABLA~CAAQAAAAAARA.QA", 0},             /* type 1, Gpc 0 */
        {"DBABLA~CAAQAAAAAARA.YA", 0},             /* type 1, Gpc 1 */
        {"DBABLA~CAAQAAAAAARA.Q", 0},              /* 6 bits: the spec's padding */
        {"DBABLA~CAAQAAAAAARA.AA", GPP_ESUB_TYPE}, /* type 0 */
        {"DBABLA~CAAQAAAAAARA.gA", GPP_ESUB_TYPE}, /* type 2 */
        {"DBABLA~CAAQAAAAAARA.wA", GPP_ESUB_TYPE}, /* type 3 */
        {"DBABLA~CAAQAAAAAARA.QA.QA", GPP_ESUB_UNDEFINED},
        {"DBABLA~CAAQAAAAAARA.QAAA", GPP_ESUB_LONG},
        {"DBABLA~CAAQAAAAAARA.", GPP_ESUB_SHORT},
        {"DBABBg~BVWSSSVY.AA", GPP_ESUB_TYPE},
        {"DBABBg~BVWSSSVY.YA", 0},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        int rc = decode(tab[i].s);
        cr_expect_eq(rc, tab[i].want, "'%s': got %d (%s), want %d", tab[i].s, rc, gpp_strerror(rc),
                     tab[i].want);
    }
    cr_assert_eq(decode("DBABLA~CAAQAAAAAARA.YA"), 0);
    cr_assert(gpp_gpc(&g, NULL));
}
