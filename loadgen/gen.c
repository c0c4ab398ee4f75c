/* gen: built-in traffic; see gen.h. Each request draws from its own rng stream (rng_for(seed, index)), so
 * changing one knob changes only what that knob governs in the draws that follow it, and never the schedule.
 */
#include "loadgen/gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loadgen/rng.h"

const char *const gen_group_names[GEN_NGROUPS] = {
#define X(e, name, code) name,
    GEN_GROUPS(X)
#undef X
};
static const char *const group_codes[GEN_NGROUPS] = {
#define X(e, name, code) code,
    GEN_GROUPS(X)
#undef X
};
const char *const gen_segclass_names[GEN_NSEGCLASSES] = {
#define X(e, name, def) name,
    GEN_SEGCLASSES(X)
#undef X
};
static const double segclass_default[GEN_NSEGCLASSES] = {
#define X(e, name, def) def,
    GEN_SEGCLASSES(X)
#undef X
};

/* Audience Taxonomy 1.1 ids per class (see ../shared/data/taxonomy). Demographic ids are chosen to agree with
 * the request's own gender and age, below. */
static const uint16_t seg_ordinary[] = {243, 244, 245, 246, 248, 249, 252, 253, 254, 255, 266};
static const uint16_t seg_health[] = {382, 383, 385, 386, 389};
static const uint16_t seg_politics[] = {529, 530, 531};
static const uint16_t seg_religion[] = {503, 1344};
static const uint16_t seg_ethnicity[] = {1095};
static const uint16_t seg_fin_hardship[] = {281, 1395};
static const uint16_t seg_addiction[] = {399, 420, 654};
static const uint16_t seg_minor[] = {356};
struct seg_list {
    const uint16_t *ids;
    size_t n;
};
#define SEGS(a)                                                                                              \
    {                                                                                                        \
        a, sizeof a / sizeof a[0]                                                                            \
    }
static const struct seg_list seg_lists[GEN_NSEGCLASSES] = {
    [GEN_SEG_ORDINARY] = SEGS(seg_ordinary),   [GEN_SEG_HEALTH] = SEGS(seg_health),
    [GEN_SEG_POLITICS] = SEGS(seg_politics),   [GEN_SEG_RELIGION] = SEGS(seg_religion),
    [GEN_SEG_ETHNICITY] = SEGS(seg_ethnicity), [GEN_SEG_FINANCIAL_HARDSHIP] = SEGS(seg_fin_hardship),
    [GEN_SEG_ADDICTION] = SEGS(seg_addiction), [GEN_SEG_MINOR] = SEGS(seg_minor),
};

static const char *const eu_countries[] = {"DEU", "FRA", "ITA", "ESP", "NLD", "POL", "SWE", "IRL"};
static const char *const other_countries[] = {"USA", "USA", "USA", "CAN", "BRA", "GBR", "IND"};
static const struct {
    int w, h;
} sizes[] = {{300, 250}, {728, 90}, {320, 50}, {160, 600}, {300, 600}};

/* The run's reference time for TC strings (2024-01-01), fixed so output does not depend on the clock. */
#define GEN_EPOCH_DS 17040672000ull

void gen_opts_default(struct gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->users = 100000;
    o->gdpr_share = 0.3;
    for (int i = 0; i < GEN_NPURPOSES; i++) o->purpose_share[i] = 0.8;
    o->vendor_share = 0.8;
    o->vendor_id = 1000;
    o->tcf_enc = GEN_TCF_MIXED;
    o->gpp_share = 0.4;
    o->optout_share = 0.2;
    o->sensitive_consent_share = 0.1;
    o->usp_share = 0.3;
    o->gpc_share = 0.05;
    o->coppa_share = 0.01;
    o->minor_share = 0.05;
    o->dsa_share = 0.0;
    for (int i = 0; i < GEN_NSEGCLASSES; i++) o->seg_share[i] = segclass_default[i];
    o->group_share[GEN_GROUP_MALE] = 0.47;
    o->group_share[GEN_GROUP_FEMALE] = 0.47;
    o->group_share[GEN_GROUP_OTHER] = 0.02;
    o->imps_min = o->imps_max = 1;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Sorts and removes duplicates in place; returns the new count. */
static size_t uniq_u16(uint16_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u16);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

/* What the dump for the interop check needs besides the strings: the fields we meant to encode. */
struct capture {
    struct consent_tcf tcf;
    uint16_t consent[96], li[64], disclosed[160];
    bool has_tcf, has_gpp;
    struct consent_usnat usnat;
};

/* A TC string as a CMP in an EU member state would write it for this person. */
static int make_tcf(const struct gen_opts *o, struct rng *r, char *out, size_t cap, struct capture *capt)
{
    uint16_t consent[96], li[64], disclosed[160];
    size_t nc = 0, nl = 0, nd = 0;
    struct consent_tcf t = {0};
    t.created_ds = GEN_EPOCH_DS - rng_below(r, 864000ull * 30);
    t.updated_ds = t.created_ds + rng_below(r, 864000);
    t.cmp_id = (uint16_t)(2 + rng_below(r, 400));
    t.cmp_version = (uint16_t)(1 + rng_below(r, 20));
    t.consent_screen = (uint8_t)(1 + rng_below(r, 5));
    memcpy(t.lang, "EN", 2);
    t.vendor_list_version = (uint16_t)(60 + rng_below(r, 20));
    t.policy_version = 5;
    t.purpose_one_treatment = false;
    memcpy(t.publisher_cc, "DE", 2);
    if (rng_chance(r, 0.3)) t.special_features |= 1u; /* precise geolocation */
    for (int p = 0; p < GEN_NPURPOSES; p++)
        if (rng_chance(r, o->purpose_share[p])) t.purposes_consent |= 1u << p;
    /* TCF 2.2 allows legitimate interest only for purposes 2 and 7..10. */
    static const int li_purposes[] = {2, 7, 8, 9, 10};
    for (size_t k = 0; k < 5; k++)
        if (rng_chance(r, 0.5)) t.purposes_li |= 1u << (li_purposes[k] - 1);
    /* Other vendors: a sparse random set (favouring range encoding) or a dense low block (favouring
     * bitfield). */
    bool dense = rng_chance(r, 0.5);
    size_t others = 5 + rng_below(r, 40);
    for (size_t i = 0; i < others && nc < 90; i++)
        consent[nc++] = (uint16_t)(dense ? 1 + rng_below(r, 120) : 1 + rng_below(r, 1200));
    if (dense)
        for (uint16_t v = 1; v <= 30 && nc < 90; v++) consent[nc++] = v;
    if (rng_chance(r, o->vendor_share)) consent[nc++] = o->vendor_id;
    nc = uniq_u16(consent, nc);
    for (size_t i = 0; i < 10; i++) li[nl++] = (uint16_t)(1 + rng_below(r, 1200));
    nl = uniq_u16(li, nl);
    for (size_t i = 0; i < nc; i++) disclosed[nd++] = consent[i];
    for (size_t i = 0; i < nl; i++) disclosed[nd++] = li[i];
    disclosed[nd++] = o->vendor_id; /* the CMP disclosed us even when the person refused */
    nd = uniq_u16(disclosed, nd);
    t.vendor_consent = consent;
    t.n_vendor_consent = nc;
    t.vendor_li = li;
    t.n_vendor_li = nl;
    t.disclosed = disclosed;
    t.n_disclosed = nd;
    t.enc = o->tcf_enc == GEN_TCF_MIXED ? (rng_chance(r, 0.5) ? CONSENT_ENC_RANGE : CONSENT_ENC_BITFIELD)
                                        : (enum consent_vendor_enc)o->tcf_enc;
    /* TCF 2.2 has no global scope: every valid string is service-specific, and fairbid's strict mode (the
     * default) refuses the rest. Global-scope strings only on request (--tcf-global-share), to exercise that
     * refusal. Drawn last, so such a string differs from the valid one only in this bit, and not at all at
     * share 0 (the default), so default traffic keeps every later draw. */
    t.service_specific = !(o->tcf_global_share > 0 && rng_chance(r, o->tcf_global_share));
    if (capt) {
        capt->has_tcf = true;
        capt->tcf = t;
        memcpy(capt->consent, consent, nc * sizeof *consent);
        memcpy(capt->li, li, nl * sizeof *li);
        memcpy(capt->disclosed, disclosed, nd * sizeof *disclosed);
    }
    return consent_tcf_encode(&t, out, cap);
}

static int make_gpp(const struct gen_opts *o, struct rng *r, bool gpc, bool minor, char *out, size_t cap,
                    struct capture *capt)
{
    struct consent_usnat u = {0};
    u.sharing_notice = u.sale_opt_out_notice = u.sharing_opt_out_notice = 1;
    u.targeted_advertising_opt_out_notice = 1;
    u.sensitive_data_processing_opt_out_notice = u.sensitive_data_limit_use_notice = 1;
    u.sale_opt_out = rng_chance(r, o->optout_share) ? 1 : 2;
    u.sharing_opt_out = rng_chance(r, o->optout_share) ? 1 : 2;
    u.targeted_advertising_opt_out = rng_chance(r, o->optout_share) ? 1 : 2;
    for (int i = 0; i < CONSENT_USNAT_SENSITIVE; i++)
        u.sensitive_data_processing[i] = rng_chance(r, o->sensitive_consent_share) ? 2 : 1;
    /* Known-child consents apply only to minors: 1 = no consent for a child we know of. */
    for (int i = 0; i < CONSENT_USNAT_CHILD; i++) u.known_child_sensitive_data_consents[i] = minor ? 1 : 0;
    u.personal_data_consents = 0;
    u.mspa_covered_transaction = rng_chance(r, 0.5) ? 1 : 2;
    u.mspa_opt_out_option_mode = u.mspa_covered_transaction == 1 ? 1 : 0;
    u.mspa_service_provider_mode = u.mspa_covered_transaction == 1 ? 2 : 0;
    u.gpc_included = true;
    u.gpc = gpc;
    if (capt) {
        capt->has_gpp = true;
        capt->usnat = u;
    }
    return consent_gpp_usnat_encode(&u, out, cap);
}

static void put_kv_str(struct buf *b, const char *key, const char *val)
{
    buf_putc(b, '"');
    buf_puts(b, key);
    buf_puts(b, "\":");
    buf_put_json_str(b, sv_from(val));
}

static void generate(const struct gen_opts *o, uint64_t index, struct buf *b, struct gen_meta *meta,
                     struct capture *capt)
{
    struct rng r = rng_for(o->seed, index);
    char tmp[64];
    memset(meta, 0, sizeof *meta);

    /* Draw the person first, then the signals, so they agree with each other. */
    double g = rng_unit(&r), acc = 0;
    meta->group = GEN_GROUP_UNKNOWN;
    for (int i = 0; i < GEN_GROUP_UNKNOWN; i++) {
        acc += o->group_share[i];
        if (g < acc) {
            meta->group = (uint8_t)i;
            break;
        }
    }
    meta->minor = rng_chance(&r, o->minor_share);
    int age = meta->minor ? 13 + (int)rng_below(&r, 5) : 18 + (int)rng_below(&r, 60);
    meta->gdpr = rng_chance(&r, o->gdpr_share);
    bool coppa = rng_chance(&r, o->coppa_share);
    bool gpc = rng_chance(&r, o->gpc_share);
    bool dsa = meta->gdpr && rng_chance(&r, o->dsa_share);
    meta->gpp = !meta->gdpr && rng_chance(&r, o->gpp_share);
    bool usp = !meta->gdpr && rng_chance(&r, o->usp_share);
    unsigned span = o->imps_max >= o->imps_min ? o->imps_max - o->imps_min + 1 : 1;
    unsigned nimps = o->imps_min + (unsigned)rng_below(&r, span);
    if (nimps < 1) nimps = 1;
    if (nimps > GEN_MAX_IMPS) nimps = GEN_MAX_IMPS;
    meta->nimps = (uint8_t)nimps;

    buf_puts(b, "{\"id\":\"");
    snprintf(tmp, sizeof tmp, "lg-%llu-%llu", (unsigned long long)o->seed, (unsigned long long)index);
    buf_puts(b, tmp);
    buf_puts(b, "\",\"at\":1,\"tmax\":120,\"cur\":[\"USD\"],\"imp\":[");
    for (unsigned i = 0; i < nimps; i++) {
        int s = (int)rng_below(&r, sizeof sizes / sizeof sizes[0]);
        if (i) buf_putc(b, ',');
        snprintf(tmp, sizeof tmp, "{\"id\":\"%u\",\"banner\":{\"w\":%d,\"h\":%d,", i + 1, sizes[s].w,
                 sizes[s].h);
        buf_puts(b, tmp);
        snprintf(tmp, sizeof tmp, "\"format\":[{\"w\":%d,\"h\":%d}]},", sizes[s].w, sizes[s].h);
        buf_puts(b, tmp);
        buf_puts(b, "\"bidfloor\":");
        buf_put_micros(b, 100000 + (int64_t)rng_below(&r, 900000));
        buf_puts(b, ",\"bidfloorcur\":\"USD\",\"secure\":1}");
    }
    buf_puts(b, "],\"site\":{\"id\":\"lg-site-");
    snprintf(tmp, sizeof tmp, "%u", (unsigned)rng_below(&r, 50));
    buf_puts(b, tmp);
    buf_puts(b, "\",\"domain\":\"news.example\",\"page\":\"https://news.example/article\",");
    buf_puts(b, "\"cat\":[\"IAB12\"],\"publisher\":{\"id\":\"lg-pub-1\"}},");

    const char *country = meta->gdpr ? eu_countries[rng_below(&r, 8)] : other_countries[rng_below(&r, 7)];
    buf_puts(b, "\"device\":{\"ua\":\"Mozilla/5.0 (X11; Linux x86_64) fairbid-loadgen\",\"devicetype\":2,");
    snprintf(tmp, sizeof tmp, "\"ip\":\"192.0.2.%u\",", (unsigned)rng_below(&r, 254) + 1);
    buf_puts(b, tmp);
    buf_puts(b, "\"geo\":{");
    put_kv_str(b, "country", country);
    if (!strcmp(country, "USA")) {
        /* a US state in the forms exchanges send ("MD", "US-MD", lower case) or none, for the jurisdiction
         * rules (docs/jurisdictions.md). Drawn from its own stream so the rest of the request is unchanged.
         */
        static const char *const states[] = {"MD", "OR", "CA", "VA", "CT", "CO", "NY", "AR", "TX", "FL"};
        struct rng rr = rng_for(o->seed ^ 0x5EED5EEDull, index);
        unsigned form = (unsigned)rng_below(&rr, 5); /* 0: no region (strictest), 1-2 bare, 3 US-, 4 lower */
        if (form) {
            const char *st = states[rng_below(&rr, sizeof states / sizeof states[0])];
            char reg[8];
            if (form == 3)
                snprintf(reg, sizeof reg, "US-%s", st);
            else if (form == 4)
                snprintf(reg, sizeof reg, "%c%c", st[0] | 0x20, st[1] | 0x20);
            else
                snprintf(reg, sizeof reg, "%s", st);
            buf_putc(b, ',');
            put_kv_str(b, "region", reg);
        }
    }
    buf_puts(b, "}},");

    buf_puts(b, "\"user\":{");
    bool first = true;
    if (o->users) {
        snprintf(tmp, sizeof tmp, "lg-user-%llu", (unsigned long long)rng_below(&r, o->users));
        put_kv_str(b, "id", tmp);
        buf_putc(b, ',');
        put_kv_str(b, "buyeruid", tmp);
        first = false;
    }
    if (!first) buf_putc(b, ',');
    snprintf(tmp, sizeof tmp, "\"yob\":%d", 2024 - age);
    buf_puts(b, tmp);
    if (group_codes[meta->group]) {
        buf_putc(b, ',');
        put_kv_str(b, "gender", group_codes[meta->group]);
    }
    if (meta->gdpr) {
        char tc[2048];
        if (make_tcf(o, &r, tc, sizeof tc, capt) > 0) {
            buf_putc(b, ',');
            put_kv_str(b, "consent", tc);
        }
    }
    /* Segments: one draw per class, ids from that class's list. */
    bool any = false;
    for (int c = 0; c < GEN_NSEGCLASSES; c++) {
        if (!rng_chance(&r, o->seg_share[c])) continue;
        unsigned id;
        if (c == GEN_SEG_DEMOGRAPHIC) {
            /* Gender node agreeing with user.gender, else an age-range node agreeing with yob. */
            if (meta->group != GEN_GROUP_UNKNOWN && rng_chance(&r, 0.5))
                id = meta->group == GEN_GROUP_MALE ? 50 : meta->group == GEN_GROUP_FEMALE ? 49 : 51;
            else
                id = age < 18    ? 2
                     : age <= 20 ? 3
                     : age <= 24 ? 4
                     : age >= 75 ? 15
                                 : 5 + (unsigned)(age - 25) / 5;
        } else {
            id = seg_lists[c].ids[rng_below(&r, seg_lists[c].n)];
        }
        buf_puts(b, any ? "," : ",\"data\":[{\"id\":\"lg-dmp\",\"name\":\"fairbid-loadgen\",\"segment\":[");
        snprintf(tmp, sizeof tmp, "{\"id\":\"%u\"}", id);
        buf_puts(b, tmp);
        any = true;
    }
    if (any) buf_puts(b, "],\"ext\":{\"segtax\":4}}]");
    buf_puts(b, "},");

    buf_puts(b, "\"regs\":{");
    snprintf(tmp, sizeof tmp, "\"coppa\":%d,\"gdpr\":%d", coppa, meta->gdpr);
    buf_puts(b, tmp);
    if (usp) {
        char s[8];
        consent_usp_encode('Y', rng_chance(&r, o->optout_share) ? 'Y' : 'N', 'N', s, sizeof s);
        buf_putc(b, ',');
        put_kv_str(b, "us_privacy", s);
    }
    if (meta->gpp) {
        char s[256];
        if (make_gpp(o, &r, gpc, meta->minor, s, sizeof s, capt) > 0) {
            buf_putc(b, ',');
            put_kv_str(b, "gpp", s);
            buf_puts(b, ",\"gpp_sid\":[7]");
        }
    }
    if (gpc || dsa) {
        buf_puts(b, ",\"ext\":{");
        if (gpc) buf_puts(b, "\"gpc\":\"1\"");
        if (dsa) buf_puts(b, gpc ? ",\"dsa\":{\"dsarequired\":1}" : "\"dsa\":{\"dsarequired\":1}");
        buf_putc(b, '}');
    }
    buf_puts(b, "}}");
}

void gen_request(const struct gen_opts *o, uint64_t index, struct buf *b, struct gen_meta *meta)
{
    generate(o, index, b, meta, NULL);
}

static void dump_ids(FILE *f, const char *name, const uint16_t *v, size_t n)
{
    fprintf(f, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u", i ? "," : "", v[i]);
    fputc(']', f);
}

static void dump_bits(FILE *f, const char *name, uint32_t bits, int n)
{
    fprintf(f, ",\"%s\":[", name);
    bool first = true;
    for (int i = 0; i < n; i++)
        if (bits >> i & 1) {
            fprintf(f, "%s%d", first ? "" : ",", i + 1);
            first = false;
        }
    fputc(']', f);
}

static void dump_list(FILE *f, const char *name, const uint8_t *v, int n)
{
    fprintf(f, ",\"%s\":[", name);
    for (int i = 0; i < n; i++) fprintf(f, "%s%u", i ? "," : "", v[i]);
    fputc(']', f);
}

/* The value of the JSON string after key in s, copied into out. */
static bool find_str(const char *s, const char *key, char *out, size_t cap)
{
    const char *p = strstr(s, key);
    if (!p) return false;
    p += strlen(key);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return false;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return true;
}

void gen_dump_strings(const struct gen_opts *o, uint64_t n, FILE *f)
{
    static char body[65536];
    char str[8192];
    for (uint64_t i = 0; i < n; i++) {
        struct buf b;
        struct gen_meta m;
        struct capture c;
        memset(&c, 0, sizeof c);
        buf_init(&b, body, sizeof body);
        generate(o, i, &b, &m, &c);
        const char *s = buf_cstr(&b);
        if (!s) continue;
        if (c.has_tcf && find_str(s, "\"consent\":\"", str, sizeof str)) {
            const struct consent_tcf *t = &c.tcf;
            fprintf(f, "tcf %s {\"created_ds\":%llu,\"updated_ds\":%llu,\"cmpId\":%u,\"cmpVersion\":%u", str,
                    (unsigned long long)t->created_ds, (unsigned long long)t->updated_ds, t->cmp_id,
                    t->cmp_version);
            fprintf(f, ",\"consentScreen\":%u,\"vendorListVersion\":%u,\"policyVersion\":%u",
                    t->consent_screen, t->vendor_list_version, t->policy_version);
            fprintf(f, ",\"isServiceSpecific\":%s", t->service_specific ? "true" : "false");
            fprintf(f, ",\"consentLanguage\":\"%.2s\",\"publisherCountryCode\":\"%.2s\"", t->lang,
                    t->publisher_cc);
            fprintf(f, ",\"encoding\":\"%s\"",
                    t->enc == CONSENT_ENC_RANGE      ? "range"
                    : t->enc == CONSENT_ENC_BITFIELD ? "bitfield"
                                                     : "shortest");
            dump_bits(f, "specialFeatureOptins", t->special_features, 12);
            dump_bits(f, "purposeConsents", t->purposes_consent, 24);
            dump_bits(f, "purposeLegitimateInterests", t->purposes_li, 24);
            dump_ids(f, "vendorConsents", c.consent, t->n_vendor_consent);
            dump_ids(f, "vendorLegitimateInterests", c.li, t->n_vendor_li);
            dump_ids(f, "vendorsDisclosed", c.disclosed, t->n_disclosed);
            fprintf(f, "}\n");
        }
        if (c.has_gpp && find_str(s, "\"gpp\":\"", str, sizeof str)) {
            const struct consent_usnat *u = &c.usnat;
            fprintf(f, "gpp %s {\"SharingNotice\":%u,\"SaleOptOutNotice\":%u,\"SharingOptOutNotice\":%u", str,
                    u->sharing_notice, u->sale_opt_out_notice, u->sharing_opt_out_notice);
            fprintf(f, ",\"TargetedAdvertisingOptOutNotice\":%u,\"SensitiveDataProcessingOptOutNotice\":%u",
                    u->targeted_advertising_opt_out_notice, u->sensitive_data_processing_opt_out_notice);
            fprintf(f, ",\"SensitiveDataLimitUseNotice\":%u,\"SaleOptOut\":%u,\"SharingOptOut\":%u",
                    u->sensitive_data_limit_use_notice, u->sale_opt_out, u->sharing_opt_out);
            fprintf(f, ",\"TargetedAdvertisingOptOut\":%u", u->targeted_advertising_opt_out);
            dump_list(f, "SensitiveDataProcessing", u->sensitive_data_processing, CONSENT_USNAT_SENSITIVE);
            dump_list(f, "KnownChildSensitiveDataConsents", u->known_child_sensitive_data_consents,
                      CONSENT_USNAT_CHILD);
            fprintf(f,
                    ",\"PersonalDataConsents\":%u,\"MspaCoveredTransaction\":%u,\"MspaOptOutOptionMode\":%u",
                    u->personal_data_consents, u->mspa_covered_transaction, u->mspa_opt_out_option_mode);
            fprintf(f, ",\"MspaServiceProviderMode\":%u,\"Gpc\":%s}\n", u->mspa_service_provider_mode,
                    u->gpc ? "true" : "false");
        }
    }
}
