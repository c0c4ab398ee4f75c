/* Independent test vectors for the consent decoders (issue 14): strings and the values other
 * implementations' own tests assert about them (Go, Java, Rust decoders and Prebid Server), one file per
 * source in tests/data/consent-vectors/ (one .tsv per source), with provenance (repository, path, commit,
 * licence) for every vector. Each vector is decoded by tcf_decode / gpp_decode / usp_decode and every
 * asserted value is checked. Where fairbid deliberately differs from the source, the row says `differs:SLUG`
 * and docs/consent.md must explain SLUG; this test fails if it does not.
 *
 * File format (tab-separated; '#' starts a comment line):
 *   #src KEY <tab> owner/repo <tab> commit <tab> licence
 *   kind <tab> input <tab> expect <tab> asserts <tab> src <tab> where <tab> agree
 * kind: tcf | gpp | usp | secN (a bare GPP section of id N; wrapped here in a one-section header).
 * expect: ok | err. asserts: space-separated key=value ('-' for none), see check_*() below.
 * src: a KEY from a #src line of the same file. where: path in the repository and test name.
 * agree: same | differs:SLUG (the source asserts the other outcome or another value). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/gpp.h"
#include "filters/tcf.h"
#include "filters/usp.h"
#include "tests/unit/testutil.h"

#define MAX_LINE 16384
#define MAX_IDS 4096

/* ---- value lists --------------------------------------------------------------------------------- */

/* Parses "1,2,5-9" (or "-" / "" for empty) into ids; returns the count or -1. */
static int parse_ids(const char *v, int *ids, int cap)
{
    int n = 0;
    if (!*v || strcmp(v, "-") == 0) return 0;
    while (*v) {
        char *end;
        long a = strtol(v, &end, 10);
        if (end == v) return -1;
        long b = a;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q) return -1;
        }
        for (long i = a; i <= b; i++) {
            if (n >= cap) return -1;
            ids[n++] = (int)i;
        }
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        v = end;
    }
    return n;
}

static int ids_equal(const int *a, int na, const int *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static void ids_str(const int *ids, int n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o + 16 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%d", i ? "," : "", ids[i]);
    if (n == 0) snprintf(out, cap, "-");
}

/* ---- TCF ------------------------------------------------------------------------------------------ */

static int mask_ids(uint64_t mask, int nbits, int *ids)
{
    int n = 0;
    for (int i = 0; i < nbits; i++)
        if ((mask >> i) & 1u) ids[n++] = i + 1;
    return n;
}

static int vset_ids(const struct tcf_vset *vs, int *ids)
{
    int n = 0;
    if (!vs->present) return 0;
    for (int v = 1; v <= vs->max_id && n < MAX_IDS; v++)
        if (tcf_vset_has(vs, v)) ids[n++] = v;
    return n;
}

/* Vendor ids of the restriction groups with purpose p and type t (raw type, as written), ascending. */
static int restr_ids(const struct tcf *tc, int p, int t, int *ids)
{
    static char seen[TCF_MAX_VENDOR + 1];
    memset(seen, 0, sizeof seen);
    for (unsigned i = 0; i < tc->num_restrictions; i++) {
        int gp, gt;
        uint32_t off;
        unsigned cnt;
        tcf_restriction_group(tc, i, &gp, &gt, &off, &cnt);
        if (gp != p || gt != t) continue;
        for (unsigned e = 0; e < cnt; e++) {
            unsigned s, en;
            tcf_range_next(tc->restr_p, &off, &s, &en);
            for (unsigned v = s; v <= en && v <= TCF_MAX_VENDOR; v++) seen[v] = 1;
        }
    }
    int n = 0;
    for (int v = 1; v <= TCF_MAX_VENDOR && n < MAX_IDS; v++)
        if (seen[v]) ids[n++] = v;
    return n;
}

/* One TCF assertion; returns NULL when it holds, else a message in err. */
static const char *check_tcf(const struct tcf *tc, const char *key, const char *val, char *err, size_t cap)
{
    static int want[MAX_IDS], got[MAX_IDS];
    long num = strtol(val, NULL, 10);
    long have = -1;
    const char *str = NULL;
    int ngot = -1;
    if (strcmp(key, "version") == 0)
        have = tc->version;
    else if (strcmp(key, "created") == 0)
        have = (long)(tc->created / 10); /* epoch seconds */
    else if (strcmp(key, "lastUpdated") == 0)
        have = (long)(tc->last_updated / 10);
    else if (strcmp(key, "cmpId") == 0)
        have = tc->cmp_id;
    else if (strcmp(key, "cmpVersion") == 0)
        have = tc->cmp_version;
    else if (strcmp(key, "consentScreen") == 0)
        have = tc->consent_screen;
    else if (strcmp(key, "vendorListVersion") == 0)
        have = tc->vendor_list_version;
    else if (strcmp(key, "policyVersion") == 0)
        have = tc->policy_version;
    else if (strcmp(key, "isServiceSpecific") == 0)
        have = tc->is_service_specific;
    else if (strcmp(key, "useNonStandardTexts") == 0)
        have = tc->use_non_standard_texts;
    else if (strcmp(key, "purposeOneTreatment") == 0)
        have = tc->purpose_one_treatment;
    else if (strcmp(key, "numCustomPurposes") == 0)
        have = tc->num_custom_purposes;
    else if (strcmp(key, "numRestrictions") == 0)
        have = tc->num_restrictions;
    else if (strcmp(key, "consentLanguage") == 0)
        str = tc->consent_language;
    else if (strcmp(key, "publisherCountryCode") == 0)
        str = tc->publisher_cc;
    else if (strcmp(key, "specialFeatureOptins") == 0)
        ngot = mask_ids(tc->special_feature_optins, 12, got);
    else if (strcmp(key, "purposeConsents") == 0)
        ngot = mask_ids(tc->purpose_consents, 24, got);
    else if (strcmp(key, "purposeLegitimateInterests") == 0)
        ngot = mask_ids(tc->purpose_li, 24, got);
    else if (strcmp(key, "publisherConsents") == 0)
        ngot = mask_ids(tc->pub_purpose_consents, 24, got);
    else if (strcmp(key, "publisherLegitimateInterests") == 0)
        ngot = mask_ids(tc->pub_purpose_li, 24, got);
    else if (strcmp(key, "publisherCustomConsents") == 0)
        ngot = mask_ids(tc->pub_custom_consents, tc->num_custom_purposes, got);
    else if (strcmp(key, "publisherCustomLegitimateInterests") == 0)
        ngot = mask_ids(tc->pub_custom_li, tc->num_custom_purposes, got);
    else if (strcmp(key, "vendorConsents") == 0)
        ngot = vset_ids(&tc->vendor_consents, got);
    else if (strcmp(key, "vendorLegitimateInterests") == 0)
        ngot = vset_ids(&tc->vendor_li, got);
    else if (strcmp(key, "vendorsDisclosed") == 0)
        ngot = vset_ids(&tc->disclosed, got);
    else if (strcmp(key, "vendorsAllowed") == 0)
        ngot = vset_ids(&tc->allowed, got);
    else if (strcmp(key, "hasPublisherTC") == 0)
        have = tc->has_publisher_tc;
    else if (strcmp(key, "hasDisclosed") == 0)
        have = tc->disclosed.present;
    else if (strcmp(key, "hasAllowed") == 0)
        have = tc->allowed.present;
    else if (strncmp(key, "vendorConsent.", 14) == 0)
        have = tcf_vendor_consent(tc, atoi(key + 14));
    else if (strncmp(key, "vendorLegitimateInterest.", 25) == 0)
        have = tcf_vendor_li(tc, atoi(key + 25));
    else if (strncmp(key, "purposeConsent.", 15) == 0)
        have = tcf_purpose_consent(tc, atoi(key + 15));
    else if (strncmp(key, "purposeLegitimateInterest.", 26) == 0)
        have = tcf_purpose_li(tc, atoi(key + 26));
    else if (strncmp(key, "vendorDisclosed.", 16) == 0)
        have = tcf_disclosed(tc, atoi(key + 16));
    else if (strcmp(key, "maxVendorId") == 0)
        have = tc->vendor_consents.max_id;
    else if (strcmp(key, "maxVendorIdLegitimateInterests") == 0)
        have = tc->vendor_li.max_id;
    else if (strncmp(key, "specialFeatureOptin.", 20) == 0)
        have = tcf_special_feature(tc, atoi(key + 20));
    else if (strncmp(key, "restricts.", 10) == 0) {
        /* restricts.P.T.V = 1 when vendor V is in a group with purpose P and raw type T */
        int p = 0, t = 0, v = 0;
        sscanf(key + 10, "%d.%d.%d", &p, &t, &v);
        int n = restr_ids(tc, p, t, got);
        have = 0;
        for (int i = 0; i < n; i++)
            if (got[i] == v) have = 1;
    } else if (strncmp(key, "restrictionType.", 16) == 0) {
        /* restrictionType.P.V = what tcf_restriction answers (-1 none; type 3 reads as 0) */
        int p = 0, v = 0;
        sscanf(key + 16, "%d.%d", &p, &v);
        have = tcf_restriction(tc, p, v);
    } else if (strncmp(key, "restriction.", 12) == 0) {
        /* restriction.P.T = vendor ids of the groups with purpose P and raw type T */
        int p = 0, t = 0;
        sscanf(key + 12, "%d.%d", &p, &t);
        ngot = restr_ids(tc, p, t, got);
    } else {
        snprintf(err, cap, "unknown tcf key %s", key);
        return err;
    }
    if (str) {
        if (strcmp(str, val) == 0) return NULL;
        snprintf(err, cap, "%s: got %s, want %s", key, str, val);
        return err;
    }
    if (ngot >= 0) {
        int nwant = parse_ids(val, want, MAX_IDS);
        if (nwant >= 0 && ids_equal(got, ngot, want, nwant)) return NULL;
        char g[256];
        ids_str(got, ngot, g, sizeof g);
        snprintf(err, cap, "%s: got %s, want %s", key, g, val);
        return err;
    }
    if (have == num) return NULL;
    snprintf(err, cap, "%s: got %ld, want %s", key, have, val);
    return err;
}

/* ---- GPP and US Privacy ----------------------------------------------------------------------------- */

static const char *check_usp(const struct usp *u, const char *key, const char *val, char *err, size_t cap)
{
    char have = 0;
    if (strcmp(key, "Version") == 0)
        have = (char)('0' + u->version);
    else if (strcmp(key, "Notice") == 0)
        have = u->notice;
    else if (strcmp(key, "OptOutSale") == 0)
        have = u->opt_out_sale;
    else if (strcmp(key, "LspaCovered") == 0)
        have = u->lspa_covered;
    else if (strcmp(key, "optout") == 0)
        have = usp_optout(u) ? '1' : '0';
    else {
        snprintf(err, cap, "unknown usp key %s", key);
        return err;
    }
    if (val[0] == have && val[1] == '\0') return NULL;
    snprintf(err, cap, "%s: got %c, want %s", key, have, val);
    return err;
}

static int section_id(const char *name)
{
    for (int id = 1; id < 64; id++) {
        const char *n = gpp_section_name(id);
        if (n && strcmp(n, name) == 0) return id;
    }
    return -1;
}

static const char *check_gpp(const struct gpp *g, const char *key, const char *val, char *err, size_t cap)
{
    static int want[MAX_IDS], got[MAX_IDS];
    if (strcmp(key, "sectionIds") == 0) {
        int n = 0;
        for (unsigned k = 0; k < g->nsections; k++) got[n++] = g->section_ids[k];
        int nw = parse_ids(val, want, MAX_IDS);
        if (nw >= 0 && ids_equal(got, n, want, nw)) return NULL;
        char s[256];
        ids_str(got, n, s, sizeof s);
        snprintf(err, cap, "sectionIds: got %s, want %s", s, val);
        return err;
    }
    long have;
    if (strcmp(key, "optout") == 0)
        have = gpp_optout(g, NULL);
    else if (strcmp(key, "gpc") == 0)
        have = gpp_gpc(g, NULL);
    else if (strcmp(key, "knownChild") == 0)
        have = gpp_known_child(g, NULL);
    else {
        char sec[32];
        const char *dot = strchr(key, '.');
        if (!dot || (size_t)(dot - key) >= sizeof sec) {
            snprintf(err, cap, "unknown gpp key %s", key);
            return err;
        }
        memcpy(sec, key, (size_t)(dot - key));
        sec[dot - key] = '\0';
        const char *field = dot + 1;
        if (strcmp(sec, "tcfeuv2") == 0) {
            if (!g->has_tcfeu) {
                snprintf(err, cap, "%s: no tcfeuv2 section", key);
                return err;
            }
            return check_tcf(&g->tcfeu, field, val, err, cap);
        }
        if (strcmp(sec, "uspv1") == 0) {
            if (!g->has_usp) {
                snprintf(err, cap, "%s: no uspv1 section", key);
                return err;
            }
            return check_usp(&g->usp, field, val, err, cap);
        }
        int id = section_id(sec);
        const struct gpp_us *u = id > 0 ? gpp_us_section(g, id) : NULL;
        if (!u) {
            snprintf(err, cap, "%s: section %s not decoded", key, sec);
            return err;
        }
        if (strcmp(field, "GpcSegmentIncluded") == 0 || strcmp(field, "SubSectionIncluded") == 0) {
            have = u->sub_included;
        } else if (strcmp(field, "layoutVersion") == 0) {
            have = u->def->version;
        } else if (strchr(val, ',') || strcmp(field, "SensitiveDataProcessing") == 0 ||
                   strcmp(field, "KnownChildSensitiveDataConsents") == 0) {
            /* a list: every element, and no more */
            int nw = parse_ids(val, want, MAX_IDS);
            int n = 0;
            while (n < MAX_IDS && gpp_field(g, id, field, n) >= 0) {
                got[n] = gpp_field(g, id, field, n);
                n++;
            }
            if (nw >= 0 && ids_equal(got, n, want, nw)) return NULL;
            char s[256];
            ids_str(got, n, s, sizeof s);
            snprintf(err, cap, "%s: got %s, want %s", key, s, val);
            return err;
        } else {
            have = gpp_field(g, id, field, 0);
        }
    }
    if (have == strtol(val, NULL, 10)) return NULL;
    snprintf(err, cap, "%s: got %ld, want %s", key, have, val);
    return err;
}

/* ---- one-section GPP header for secN rows ------------------------------------------------------------ */

static const char *single_header(unsigned id, char *out)
{
    static const char dict[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t bit[64];
    size_t n = 0;
#define PUT(v, w)                                                                                            \
    for (int i_ = (w)-1; i_ >= 0; i_--) bit[n++] = (uint8_t)(((v) >> i_) & 1u)
    PUT(3u, 6);
    PUT(1u, 6);
    PUT(1u, 12);
    PUT(0u, 1);
#undef PUT
    unsigned f[24] = {1, 2};
    int nf = 2;
    while (f[nf - 1] + f[nf - 2] <= id) f[nf] = f[nf - 1] + f[nf - 2], nf++;
    uint8_t z[24] = {0};
    int top = 0;
    unsigned v = id;
    for (int i = nf - 1; i >= 0; i--)
        if (f[i] <= v) {
            z[i] = 1, v -= f[i];
            if (!top) top = i;
        }
    for (int i = 0; i <= top; i++) bit[n++] = z[i];
    bit[n++] = 1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 6) {
        unsigned c = 0;
        for (size_t k = 0; k < 6; k++) c = c * 2 + (i + k < n ? bit[i + k] : 0);
        out[o++] = dict[c];
    }
    out[o] = '\0';
    return out;
}

/* ---- the table ---------------------------------------------------------------------------------------- */

struct tally {
    int rows, ok, err, differs, failures;
    int files;
    char srcs[32][128]; /* distinct repositories */
    int nsrcs;
};

static char docs[1 << 20];

static void load_docs(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/consent.md", tu_src_dir());
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t n = fread(docs, 1, sizeof docs - 1, f);
    docs[n] = '\0';
    fclose(f);
}

/* IAB's own JavaScript libraries: their rows are kept (they show where fairbid differs from them too) but do
 * not count as independent implementations. */
static bool iab_js(const char *repo)
{
    return strcmp(repo, "IABTechLab/iabgpp-es") == 0 ||
           strcmp(repo, "InteractiveAdvertisingBureau/iabtcf-es") == 0;
}

static void add_repo(struct tally *t, const char *repo)
{
    if (iab_js(repo)) return;
    for (int i = 0; i < t->nsrcs; i++)
        if (strcmp(t->srcs[i], repo) == 0) return;
    if (t->nsrcs < 32) snprintf(t->srcs[t->nsrcs++], sizeof t->srcs[0], "%s", repo);
}

static int split_tabs(char *line, char **col, int max)
{
    int n = 0;
    col[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            col[n++] = p + 1;
        }
    return n;
}

static void run_file(const char *path, struct tally *t)
{
    static char line[MAX_LINE], input[MAX_LINE], keys[16][32], repos[16][128];
    static uint8_t scratch[MAX_LINE];
    static struct gpp g;
    int nkeys = 0;
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "#src ", 5) == 0) {
            char *col[4];
            int nc = split_tabs(line + 5, col, 4);
            cr_assert(nc == 4 && nkeys < 16, "%s:%d: #src needs KEY, repo, commit, licence", path, lineno);
            cr_assert(strlen(col[2]) == 40, "%s:%d: commit must be 40 hex digits", path, lineno);
            cr_assert(*col[3], "%s:%d: licence missing", path, lineno);
            snprintf(keys[nkeys], sizeof keys[0], "%s", col[0]);
            snprintf(repos[nkeys], sizeof repos[0], "%s", col[1]);
            nkeys++;
            continue;
        }
        if (line[0] == '#' || line[0] == '\0') continue;
        char *col[7];
        int nc = split_tabs(line, col, 7);
        cr_assert_eq(nc, 7, "%s:%d: want 7 tab-separated columns, got %d", path, lineno, nc);
        const char *kind = col[0], *expect = col[2], *src = col[4], *agree = col[6];
        int k = -1;
        for (int i = 0; i < nkeys; i++)
            if (strcmp(keys[i], src) == 0) k = i;
        cr_assert(k >= 0, "%s:%d: src %s has no #src line", path, lineno, src);
        cr_assert(*col[5], "%s:%d: where (path and test) missing", path, lineno);
        add_repo(t, repos[k]);
        if (strncmp(agree, "differs:", 8) == 0) {
            char anchor[96];
            snprintf(anchor, sizeof anchor, "`differs:%s`", agree + 8);
            cr_expect(strstr(docs, anchor) != NULL, "%s:%d: docs/consent.md does not explain %s", path,
                      lineno, anchor);
            t->differs++;
        } else {
            cr_assert_str_eq(agree, "same", "%s:%d: agree must be same or differs:SLUG", path, lineno);
        }
        bool want_ok = strcmp(expect, "ok") == 0;
        cr_assert(want_ok || strcmp(expect, "err") == 0, "%s:%d: expect must be ok or err", path, lineno);

        int rc;
        struct tcf tc;
        struct usp u;
        if (strcmp(kind, "tcf") == 0) {
            rc = tcf_decode(col[1], strlen(col[1]), scratch, sizeof scratch, &tc);
        } else if (strcmp(kind, "usp") == 0) {
            rc = usp_decode(col[1], strlen(col[1]), &u);
        } else if (strcmp(kind, "gpp") == 0 || strncmp(kind, "sec", 3) == 0) {
            if (kind[0] == 's') {
                char h[32];
                snprintf(input, sizeof input, "%s~%s", single_header((unsigned)atoi(kind + 3), h), col[1]);
            } else {
                snprintf(input, sizeof input, "%s", col[1]);
            }
            rc = gpp_decode(input, strlen(input), scratch, sizeof scratch, &g);
        } else {
            cr_assert_fail("%s:%d: unknown kind %s", path, lineno, kind);
            return;
        }
        t->rows++;
        if (want_ok)
            t->ok++;
        else
            t->err++;
        if ((rc == 0) != want_ok) {
            t->failures++;
            cr_expect_fail("%s:%d: %s '%s' (%s %s): got %s (%d), want %s", path, lineno, kind, col[1], src,
                           col[5], rc ? "error" : "ok", rc, expect);
            continue;
        }
        if (!want_ok || strcmp(col[3], "-") == 0) continue;
        /* the assertions */
        char *save = NULL;
        for (char *a = strtok_r(col[3], " ", &save); a; a = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(a, '=');
            cr_assert_not_null(eq, "%s:%d: assertion %s is not key=value", path, lineno, a);
            *eq = '\0';
            char err[512];
            const char *bad = kind[0] == 't'   ? check_tcf(&tc, a, eq + 1, err, sizeof err)
                              : kind[0] == 'u' ? check_usp(&u, a, eq + 1, err, sizeof err)
                                               : check_gpp(&g, a, eq + 1, err, sizeof err);
            if (bad) {
                t->failures++;
                cr_expect_fail("%s:%d: %s '%s' (%s %s): %s", path, lineno, kind, col[1], src, col[5], bad);
            }
        }
    }
    fclose(f);
    t->files++;
}

Test(vectors, independent_implementations)
{
    load_docs();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/data/consent-vectors", tu_src_dir());
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    static struct tally t;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".tsv") != 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        run_file(path, &t);
    }
    closedir(d);
    printf("consent vectors: %d rows (%d valid, %d invalid, %d deliberate differences) from %d independent "
           "repositories (besides IAB's JavaScript libraries) in %d files, %d failures\n",
           t.rows, t.ok, t.err, t.differs, t.nsrcs, t.files, t.failures);
    /* the bar: at least 200 strings from at least 4 implementations, valid and invalid */
    cr_expect_geq(t.rows, 200);
    cr_expect_geq(t.nsrcs, 4);
    cr_expect_gt(t.ok, 0);
    cr_expect_gt(t.err, 0);
}

/* `differs:tcf-li-strict`: independent strings whose CMPs set legitimate interest for purposes 3-6 (go-gdpr's
 * vendorconsent/tcf2/metadata_test.go TestLargeCmpID and bitfield_test.go TestBitField strings). The decoder
 * reports the raw bits, as every implementation does; strict mode does not take them as a legal basis. */
Test(vectors, li_for_purposes_3_to_6_ignored_in_strict_mode)
{
    static const char *s[] = {
        "COyiBqdOyiBqdObAAAENAfCIAP8AAH-"
        "AAAAAB4AXQQgEAAAgoAAAAABAIYQUAAAAAAAAAAAAAAAIQIQCxIvkgQMAAAABgAIAAAAAAAAAAABAZAkAAA",
        "COwGVJOOwGVJOADACHENAOCAAO6as_-AAAhoAFNLAAoAAAA",
    };
    static uint8_t scratch[512];
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        struct tcf tc;
        cr_assert_eq(tcf_decode(s[i], strlen(s[i]), scratch, sizeof scratch, &tc), 0, "%s", s[i]);
        for (int p = 3; p <= 6; p++) {
            cr_expect(tcf_purpose_li(&tc, p), "%s: raw LI bit for purpose %d", s[i], p);
            cr_expect(tcf_purpose_li_ok(&tc, p, 0), "%s: lenient mode takes LI for purpose %d", s[i], p);
            cr_expect(!tcf_purpose_li_ok(&tc, p, 1), "%s: strict mode ignores LI for purpose %d", s[i], p);
        }
        cr_expect(tcf_purpose_li_ok(&tc, 2, 1), "%s: LI for purpose 2 stays a legal basis", s[i]);
    }
}
