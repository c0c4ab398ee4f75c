/* cli_decode: JSON dump of decoded consent strings, for people and for the differential tests in
 * tests/interop/. Field names follow the reference libraries so the comparison is name for name. */
#include "bidder/cli/cli_decode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/gpp.h"
#include "filters/tcf.h"
#include "filters/usp.h"

/* ---- JSON helpers ------------------------------------------------------------------------------ */

static void put_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_key(FILE *f, bool *first, const char *k)
{
    fprintf(f, "%s\"%s\":", *first ? "" : ",", k);
    *first = false;
}

static void put_bool(FILE *f, bool v)
{
    fputs(v ? "true" : "false", f);
}

/* Ids 1..n whose bit (bit i-1 of mask) is set. */
static void put_mask_ids(FILE *f, uint64_t mask, unsigned n)
{
    bool first = true;
    fputc('[', f);
    for (unsigned i = 1; i <= n; i++) {
        if ((mask >> (i - 1)) & 1u) {
            fprintf(f, "%s%u", first ? "" : ",", i);
            first = false;
        }
    }
    fputc(']', f);
}

static void put_vset(FILE *f, const struct tcf_vset *vs)
{
    bool first = true;
    fputc('[', f);
    if (vs->present) {
        for (int v = 1; v <= vs->max_id; v++) {
            if (tcf_vset_has(vs, v)) {
                fprintf(f, "%s%d", first ? "" : ",", v);
                first = false;
            }
        }
    }
    fputc(']', f);
}

/* ---- TCF ---------------------------------------------------------------------------------------- */

static void put_restrictions(FILE *f, const struct tcf *tc)
{
    fputc('[', f);
    for (unsigned i = 0; i < tc->num_restrictions; i++) {
        int purpose, type;
        uint32_t off;
        unsigned count;
        tcf_restriction_group(tc, i, &purpose, &type, &off, &count);
        fprintf(f, "%s{\"purposeId\":%d,\"restrictionType\":%d,\"vendorIds\":[", i ? "," : "", purpose, type);
        for (unsigned e = 0; e < count; e++) {
            unsigned s, t;
            tcf_range_next(tc->restr_p, &off, &s, &t);
            for (unsigned v = s; v <= t; v++) fprintf(f, "%s%u", e || v > s ? "," : "", v);
        }
        fputs("]}", f);
    }
    fputc(']', f);
}

static void put_tcf(FILE *f, const struct tcf *tc)
{
    bool first = true;
    fputc('{', f);
    put_key(f, &first, "version");
    fprintf(f, "%u", tc->version);
    /* The reference library exposes Date objects; milliseconds since the epoch compare exactly. */
    put_key(f, &first, "created");
    fprintf(f, "%llu", (unsigned long long)tc->created * 100);
    put_key(f, &first, "lastUpdated");
    fprintf(f, "%llu", (unsigned long long)tc->last_updated * 100);
    put_key(f, &first, "cmpId");
    fprintf(f, "%u", tc->cmp_id);
    put_key(f, &first, "cmpVersion");
    fprintf(f, "%u", tc->cmp_version);
    put_key(f, &first, "consentScreen");
    fprintf(f, "%u", tc->consent_screen);
    put_key(f, &first, "consentLanguage");
    put_str(f, tc->consent_language, 2);
    put_key(f, &first, "vendorListVersion");
    fprintf(f, "%u", tc->vendor_list_version);
    put_key(f, &first, "policyVersion");
    fprintf(f, "%u", tc->policy_version);
    put_key(f, &first, "isServiceSpecific");
    put_bool(f, tc->is_service_specific);
    put_key(f, &first, "useNonStandardTexts");
    put_bool(f, tc->use_non_standard_texts);
    put_key(f, &first, "specialFeatureOptins");
    put_mask_ids(f, tc->special_feature_optins, TCF_NUM_SPECIAL_FEATURES);
    put_key(f, &first, "purposeConsents");
    put_mask_ids(f, tc->purpose_consents, TCF_NUM_PURPOSES);
    put_key(f, &first, "purposeLegitimateInterests");
    put_mask_ids(f, tc->purpose_li, TCF_NUM_PURPOSES);
    put_key(f, &first, "purposeOneTreatment");
    put_bool(f, tc->purpose_one_treatment);
    put_key(f, &first, "publisherCountryCode");
    put_str(f, tc->publisher_cc, 2);
    put_key(f, &first, "vendorConsents");
    put_vset(f, &tc->vendor_consents);
    put_key(f, &first, "vendorLegitimateInterests");
    put_vset(f, &tc->vendor_li);
    put_key(f, &first, "publisherRestrictions");
    put_restrictions(f, tc);
    put_key(f, &first, "vendorsDisclosed");
    put_vset(f, &tc->disclosed);
    put_key(f, &first, "vendorsAllowed");
    put_vset(f, &tc->allowed);
    put_key(f, &first, "publisherConsents");
    put_mask_ids(f, tc->pub_purpose_consents, TCF_NUM_PURPOSES);
    put_key(f, &first, "publisherLegitimateInterests");
    put_mask_ids(f, tc->pub_purpose_li, TCF_NUM_PURPOSES);
    put_key(f, &first, "numCustomPurposes");
    fprintf(f, "%u", tc->num_custom_purposes);
    put_key(f, &first, "publisherCustomConsents");
    put_mask_ids(f, tc->pub_custom_consents, tc->num_custom_purposes);
    put_key(f, &first, "publisherCustomLegitimateInterests");
    put_mask_ids(f, tc->pub_custom_li, tc->num_custom_purposes);
    put_key(f, &first, "segments");
    fprintf(f, "{\"vendorsDisclosed\":%s,\"vendorsAllowed\":%s,\"publisherTC\":%s}",
            tc->disclosed.present ? "true" : "false", tc->allowed.present ? "true" : "false",
            tc->has_publisher_tc ? "true" : "false");
    fputc('}', f);
}

/* ---- USP and GPP -------------------------------------------------------------------------------- */

static void put_usp_fields(FILE *f, const struct usp *u, bool gpp_names)
{
    /* @iabgpp/cmpapi's uspv1 names. */
    (void)gpp_names;
    fprintf(f, "{\"Version\":%d,\"Notice\":\"%c\",\"OptOutSale\":\"%c\",\"LspaCovered\":\"%c\"}", u->version,
            u->notice, u->opt_out_sale, u->lspa_covered);
}

static void put_us(FILE *f, const struct gpp_us *u)
{
    const struct gpp_section_def *d = u->def;
    bool first = true;
    unsigned nv = 0;
    fputc('{', f);
    for (unsigned i = 0; i < d->nfields; i++) {
        const struct gpp_field_def *fd = &d->fields[i];
        put_key(f, &first, fd->name);
        if (fd->list) fputc('[', f);
        for (unsigned e = 0; e < fd->count; e++) fprintf(f, "%s%u", e ? "," : "", u->val[nv++]);
        if (fd->list) fputc(']', f);
    }
    if (d->sub == GPP_SUB_GPC) {
        fprintf(f, ",\"GpcSegmentType\":%u,\"GpcSegmentIncluded\":%s,\"Gpc\":%s", u->gpc_segment_type,
                u->sub_included ? "true" : "false", u->gpc ? "true" : "false");
    } else if (d->sub == GPP_SUB_SENSITIVE) {
        fprintf(f, ",\"SensitiveDataConsentSegmentIncluded\":%s,\"SensitiveDataProcessing\":[",
                u->sub_included ? "true" : "false");
        for (unsigned e = 0; e < 8; e++) fprintf(f, "%s%u", e ? "," : "", u->sub_sensitive[e]);
        fputc(']', f);
    }
    fputc('}', f);
}

static void put_gpp(FILE *f, const struct gpp *g)
{
    fprintf(f, "{\"type\":%u,\"version\":%u,\"sectionIds\":[", g->type, g->version);
    for (unsigned k = 0; k < g->nsections; k++) fprintf(f, "%s%u", k ? "," : "", g->section_ids[k]);
    fputs("],\"sections\":{", f);
    bool first = true;
    for (unsigned k = 0; k < g->nsections; k++) {
        const char *name = gpp_section_name(g->section_ids[k]);
        switch (g->kind[k]) {
        case GPP_KIND_TCFEU:
            put_key(f, &first, name);
            put_tcf(f, &g->tcfeu);
            break;
        case GPP_KIND_USP:
            put_key(f, &first, name);
            put_usp_fields(f, &g->usp, true);
            break;
        case GPP_KIND_US:
            put_key(f, &first, name);
            put_us(f, &g->us[g->us_index[k]]);
            break;
        default:
            break;
        }
    }
    fputs("},\"skipped\":[", f);
    first = true;
    for (unsigned k = 0; k < g->nsections; k++) {
        if (g->kind[k] != GPP_KIND_SKIPPED) continue;
        fprintf(f, "%s%u", first ? "" : ",", g->section_ids[k]);
        first = false;
    }
    int sid = 0;
    fputs("],\"summary\":{\"optout\":", f);
    fputs(gpp_optout(g, &sid) ? "true" : "false", f);
    fputs(",\"gpc\":", f);
    fputs(gpp_gpc(g, &sid) ? "true" : "false", f);
    fputs(",\"knownChild\":", f);
    fputs(gpp_known_child(g, &sid) ? "true" : "false", f);
    fputs("}}", f);
}

/* ---- driver ------------------------------------------------------------------------------------- */

enum kind { K_TCF, K_GPP, K_USP };

/* Decodes one string and prints its JSON to out, or returns the error text. */
static const char *decode_one(enum kind k, const char *s, size_t n, FILE *out, uint8_t *scratch, size_t cap)
{
    static struct gpp g; /* large: keep it off the stack; the CLI is single-threaded */
    struct tcf tc;
    struct usp u;
    int rc;
    switch (k) {
    case K_TCF:
        rc = tcf_decode(s, n, scratch, cap, &tc);
        if (rc) return tcf_strerror(rc);
        put_tcf(out, &tc);
        break;
    case K_GPP:
        rc = gpp_decode(s, n, scratch, cap, &g);
        if (rc == GPP_ETCF) return tcf_strerror(g.sub_err);
        if (rc == GPP_EUSP) return usp_strerror(g.sub_err);
        if (rc) return gpp_strerror(rc);
        put_gpp(out, &g);
        break;
    case K_USP:
        rc = usp_decode(s, n, &u);
        if (rc) return usp_strerror(rc);
        put_usp_fields(out, &u, false);
        break;
    }
    fputc('\n', out);
    return NULL;
}

static int usage(void)
{
    fputs("usage: fairbid decode tcf|gpp|usp STRING\n       fairbid decode --batch tcf|gpp|usp < strings\n",
          stderr);
    return 2;
}

static int parse_kind(const char *s, enum kind *k)
{
    if (!strcmp(s, "tcf"))
        *k = K_TCF;
    else if (!strcmp(s, "gpp"))
        *k = K_GPP;
    else if (!strcmp(s, "usp"))
        *k = K_USP;
    else
        return -1;
    return 0;
}

static int batch(enum kind k)
{
    char *line = NULL;
    size_t cap = 0, scap = 0;
    uint8_t *scratch = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        size_t n = (size_t)len;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (n + 1 > scap) {
            free(scratch);
            scap = n + 1;
            scratch = malloc(scap);
            if (!scratch) {
                perror("fairbid decode");
                free(line);
                return 1;
            }
        }
        const char *err = decode_one(k, line, n, stdout, scratch, scap);
        if (err) {
            fputs("{\"error\":", stdout);
            put_str(stdout, err, strlen(err));
            fputs("}\n", stdout);
        }
    }
    free(line);
    free(scratch);
    return fflush(stdout) ? 1 : 0;
}

int cli_decode_main(int argc, char **argv)
{
    enum kind k;
    if (argc == 3 && !strcmp(argv[1], "--batch")) {
        if (parse_kind(argv[2], &k)) return usage();
        return batch(k);
    }
    if (argc != 3 || parse_kind(argv[1], &k)) return usage();
    size_t n = strlen(argv[2]);
    uint8_t *scratch = malloc(n + 1);
    if (!scratch) {
        perror("fairbid decode");
        return 1;
    }
    const char *err = decode_one(k, argv[2], n, stdout, scratch, n + 1);
    free(scratch);
    if (err) {
        fputs("{\"error\":", stderr);
        put_str(stderr, err, strlen(err));
        fputs("}\n", stderr);
        return 1;
    }
    return 0;
}
