/* libFuzzer target for filters/scrub.c (filter mode, issue 17). The first input byte picks the upstream's
 * vendor id, the tmax to write and a stored record (an explicit health consent, a minor, none); the rest is
 * the bid request. For every request ortb_parse accepts:
 *   - consent_for_vendor from a deferred evaluation (and from one made for another vendor) equals
 *     consent_eval for that vendor (block_all, block_personal, minor, precise_geo_ok);
 *   - the scrubber never fails on a parsed request but for memory, and a request it forwards is well-formed
 *     JSON that ortb_parse accepts again, with tmax equal to what it was told;
 *   - when personal data is not allowed, the output carries none of the personal keys (in any spelling a
 *     decoder folding case would read), device.ip is absent or ends in ".0", and no precise geo parses;
 *   - never a segment of a vulnerability class, nor of a sensitive class the person did not consent to (and
 *     no vulnerability segment in user.ext.data either); without personal data, user keeps only consent and
 *     ext, user.ext only its consent signals, device.ext no identifier key at any depth; without precise geo,
 *     no location key in device.ext or user.ext.geo;
 *   - segment ids are judged by this file's own reading (strtod, case-insensitive letters, leading digits,
 *     0x), not the policy's: no forwarded id of a classified taxonomy reads as a vulnerability or an
 *     unconsented sensitive id, and none there is unreadable;
 *   - a member the scrubber expects to be an object (user, device, their ext, a geo, a data object) or an
 *     array (data, segment) is of that type (or null) wherever its rule applied;
 *   - the output is never longer than 2 * len + SCRUB_SLACK, and a too-small buffer is refused, not
 *     overrun.
 * One walk over the output checks all but the last (check_output: each value knows where it stands). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filters/classes.h"
#include "filters/consent.h"
#include "filters/json.h"
#include "filters/ortb.h"
#include "filters/policy.h"
#include "filters/reasons.h"
#include "filters/scrub.h"
#include "filters/sensitive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(16) char amem[1 << 21];
static char out[2 * 65536 + SCRUB_SLACK];
static struct policy pol;
static struct policy_entry slots[64];

static const struct {
    int tax;
    const char *id;
    int cls;
} e[] = {{4, "381", CLASS_HEALTH},      {4, "503", CLASS_RELIGION},  {4, "399", CLASS_ADDICTION},
         {4, "356", CLASS_MINOR},       {6, "181", CLASS_ADDICTION}, {6, "136", CLASS_HEALTH},
         {4, "1502", CLASS_CRISIS},     {4, "529", CLASS_POLITICS},  {7, "Rm3SiT", CLASS_SEXUALITY},
         {7, "Ab12Cd", CLASS_ADDICTION}};

static void init_policy(void)
{
    static bool done;
    if (done) return;
    done = true;
    policy_table_init(&pol.seg, slots, 64);
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        policy_table_put(&pol.seg, policy_key(e[i].tax, sv_from(e[i].id)), CLASS_BIT(e[i].cls), 0);
}

/* key folds to lit as a case-folding decoder reads it (ASCII, U+017F, U+212A) */
static bool fold(struct sv k, const char *lit)
{
    size_t i = 0;
    for (; *lit; lit++) {
        if (i >= k.n) return false;
        unsigned char c = (unsigned char)k.p[i];
        if (c == 0xC5 && i + 1 < k.n && (unsigned char)k.p[i + 1] == 0xBF && *lit == 's') {
            i += 2;
            continue;
        }
        if (c == 0xE2 && i + 2 < k.n && (unsigned char)k.p[i + 1] == 0x84 &&
            (unsigned char)k.p[i + 2] == 0xAA && *lit == 'k') {
            i += 3;
            continue;
        }
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)*lit) return false;
        i++;
    }
    return i == k.n;
}

static bool fold_any(struct sv k, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fold(k, names[i])) return true;
    return false;
}

static const char *const user_pers[] = {"id",      "buyeruid",   "yob",  "gender", "keywords",
                                        "kwarray", "customdata", "eids", "data",   "geo"};
static const char *const dev_pers[] = {"ifa",    "dpidsha1", "dpidmd5", "didsha1",
                                       "didmd5", "macsha1",  "macmd5"};
static const char *const geo_precise[] = {"lat", "lon", "zip", "metro", "city", "accuracy"};

static const char *const uext_keep[] = {"consent", "consentedproviderssettings",
                                        "consented_providers_settings"};
static const char *const dext_ids[] = {"ifa",    "dpidsha1", "dpidmd5", "didsha1", "didmd5", "macsha1",
                                       "macmd5", "ip",       "ipv6",    "mac",     "dpid",   "did",
                                       "idfa",   "idfv",     "gaid",    "aaid",    "adid",   "ifv"};
static const char *const dext_geo[] = {"geo", "lat", "lon", "zip", "city", "metro", "accuracy", "lastfix"};

/* ---- the oracle: one walk over the output, each value knowing where it stands ---- */

enum at { AT_ROOT, AT_USER, AT_UEXT, AT_DEVICE, AT_DEXT, AT_GEO, AT_DATA, AT_DATAOBJ, AT_SEGMENTS, AT_OTHER };

struct oracle {
    bool personal, geo;
    const struct consent_state *cs;
};

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool idchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return n > 0;
}

/* Whether taxonomy tax has an entry in the table (alnum: one whose id is not all digits). */
static bool tax_has(int64_t tax, bool alnum)
{
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        if (e[i].tax == tax && (!alnum || !all_digits(e[i].id, strlen(e[i].id)))) return true;
    return false;
}

/* The classes of the table's integer id v in tax (v < 0: none). */
static uint32_t int_classes(int64_t tax, double v)
{
    uint32_t cls = 0;
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        if (e[i].tax == tax && all_digits(e[i].id, strlen(e[i].id)) && strtod(e[i].id, NULL) == v)
            cls |= CLASS_BIT(e[i].cls);
    return cls;
}

/* A segment id as this oracle reads it, independently of filters/policy.c: strtod's number (an integral one,
 * else no id), the letters case-insensitively, the leading digits (parseInt), a 0x number (Number()). What
 * is no id in a taxonomy the table classifies is every class (so it must not have been forwarded). */
static uint32_t oracle_classes(int64_t tax, struct sv id)
{
    if (!tax_has(tax, false)) return 0;
    const uint32_t all = class_mask_sensitive | class_mask_vulnerability;
    if (!id.p) return all;
    const char *p = id.p, *q = id.p + id.n;
    while (p < q && blank(*p)) p++;
    while (q > p && blank(q[-1])) q--;
    size_t n = (size_t)(q - p);
    bool alnum = n > 0, hexish = false;
    for (size_t i = 0; i < n; i++) {
        alnum = alnum && idchar(p[i]);
        hexish = hexish || p[i] == 'x' || p[i] == 'X';
    }
    if (n == 0) return all;
    if (n >= 64) return alnum && tax_has(tax, true) ? 0 : all;
    char buf[64];
    memcpy(buf, p, n);
    buf[n] = '\0';
    uint32_t cls = 0;
    char *end;
    double v = hexish ? 0 : strtod(buf, &end);
    bool num = !hexish && end == buf + n && v - v == 0; /* a finite number, all of it */
    if (num) {
        if (v < 0 || (v < 9e18 && v != (double)(int64_t)v)) return all; /* a fraction or a negative: no id */
        cls |= int_classes(tax, v);
    } else if (!alnum) {
        return all;
    }
    if (alnum) {
        if (!num && !all_digits(buf, n) && !tax_has(tax, true)) return all;
        for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
            if (e[i].tax == tax && strlen(e[i].id) == n && !strncasecmp(e[i].id, buf, n))
                cls |= CLASS_BIT(e[i].cls);
        size_t lead = 0;
        while (lead < n && buf[lead] >= '0' && buf[lead] <= '9') lead++;
        if (lead && lead < n) {
            char d[64];
            memcpy(d, buf, lead);
            d[lead] = '\0';
            cls |= int_classes(tax, strtod(d, NULL));
        }
        if (n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
            char *he;
            unsigned long hv = strtoul(buf + 2, &he, 16);
            if (he == buf + n && buf[2] != '-' && buf[2] != '+') cls |= int_classes(tax, (double)hv);
        }
    }
    return cls;
}

static void seg_verdict(uint32_t cls, const struct oracle *o)
{
    if (cls & class_mask_vulnerability) abort();
    for (int c = 0; c < CLASS__COUNT; c++)
        if ((cls & class_mask_sensitive & CLASS_BIT(c)) && !sensitive_consented(&pol, o->cs, c)) abort();
}

/* One segment id value (a string, a number's text, anything else no id). */
static void seg_id(struct json *j, int64_t tax, const struct oracle *o)
{
    enum json_type t = json_peek(j);
    struct sv id = SV_NULL;
    const char *v = j->p;
    if (t == JSON_NULL) {
        if (json_skip(j)) abort();
        return;
    }
    if (t == JSON_STRING) {
        if (json_string(j, &id)) abort();
        if (!id.p) id = SV_LIT("");
    } else {
        if (json_skip(j)) abort();
        if (t == JSON_NUMBER) id = (struct sv){v, (size_t)(j->p - v)};
    }
    seg_verdict(oracle_classes(tax, id), o);
}

/* The value of the object's next member whose key folds to name and is not null; false at the end. */
static bool named(struct json *j, const char *name)
{
    struct sv k;
    while (json_obj_next(j, &k)) {
        if (fold(k, name) && json_peek(j) != JSON_NULL) return true;
        if (json_skip(j)) abort();
    }
    return false;
}

/* The data object's taxonomy as the scrubber must have read it (one ext, one integer segtax 1..65535, or
 * none); any other is a data object that should have gone. */
static int64_t data_tax(const struct json *at)
{
    struct json look = *at;
    int64_t tax = -1;
    int next = 0, ntax = 0;
    json_obj_begin(&look);
    while (named(&look, "ext")) {
        next++;
        if (json_peek(&look) != JSON_OBJECT) {
            if (json_skip(&look)) abort();
            continue;
        }
        json_obj_begin(&look);
        for (; named(&look, "segtax"); ntax++)
            if (json_peek(&look) != JSON_NUMBER || json_int(&look, &tax) || tax < 1 || tax > 0xFFFF) abort();
    }
    if (look.err || next > 1 || ntax > 1) abort();
    return tax;
}

static bool misshapen(struct json *j, enum json_type want)
{
    enum json_type t = json_peek(j);
    return t != want && t != JSON_NULL;
}

/* Where member k of an object at `at` stands, checking the key itself. */
static enum at member_at(enum at at, struct sv k, struct json *j, const struct oracle *o)
{
    bool P = !o->personal, G = !o->geo;
    switch (at) {
    case AT_ROOT:
        if (fold(k, "user") || fold(k, "device")) {
            if (P && misshapen(j, JSON_OBJECT)) abort();
            return fold(k, "user") ? AT_USER : AT_DEVICE;
        }
        return AT_OTHER;
    case AT_USER:
        if (P && (fold_any(k, user_pers, 10) || (!fold(k, "consent") && !fold(k, "ext")))) abort();
        if (fold(k, "ext")) {
            if (P && misshapen(j, JSON_OBJECT)) abort();
            return AT_UEXT;
        }
        if (fold(k, "geo")) return AT_GEO;
        return fold(k, "data") ? AT_DATA : AT_OTHER;
    case AT_UEXT:
        if (P && !fold_any(k, uext_keep, 3)) abort();
        if (fold(k, "geo")) return AT_GEO;
        return fold(k, "data") ? AT_DATA : AT_OTHER;
    case AT_DEVICE:
        if (P &&
            (fold_any(k, dev_pers, 7) || (fold_any(k, dext_ids, 18) && !fold(k, "ip") && !fold(k, "ipv6"))))
            abort();
        if (P && fold(k, "ip") && json_peek(j) != JSON_NULL) {
            struct json v = *j;
            struct sv ip;
            if (json_peek(&v) != JSON_STRING || json_string(&v, &ip) || ip.n < 2 ||
                memcmp(ip.p + ip.n - 2, ".0", 2))
                abort();
        }
        if (fold(k, "ext")) {
            if (G && misshapen(j, JSON_OBJECT)) abort();
            return AT_DEXT;
        }
        return fold(k, "geo") ? AT_GEO : AT_OTHER;
    case AT_DEXT:
        if ((P && fold_any(k, dext_ids, 18)) || (G && fold_any(k, dext_geo, 8))) abort();
        return AT_DEXT;
    case AT_GEO:
        if (G && fold_any(k, geo_precise, 6)) abort();
        return AT_OTHER;
    case AT_DATAOBJ:
        return fold(k, "segment") ? AT_SEGMENTS : AT_OTHER;
    default:
        return AT_OTHER;
    }
}

/* Consumes one value standing at `at` (tax: the taxonomy of the data object around it). */
static void walk(struct json *j, enum at at, int64_t tax, const struct oracle *o)
{
    enum json_type t = json_peek(j);
    if (at == AT_GEO && !o->geo && misshapen(j, JSON_OBJECT)) abort();
    if ((at == AT_DATA || at == AT_SEGMENTS) && misshapen(j, JSON_ARRAY)) abort();
    if (at == AT_DATAOBJ && misshapen(j, JSON_OBJECT)) abort();
    if (t == JSON_OBJECT && at == AT_DATAOBJ) tax = data_tax(j);
    if (t == JSON_OBJECT && (at != AT_OTHER || at == AT_DEXT)) {
        json_obj_begin(j);
        struct sv k;
        while (json_obj_next(j, &k)) walk(j, member_at(at, k, j, o), tax, o);
    } else if (t == JSON_ARRAY && at == AT_SEGMENTS) {
        json_arr_begin(j);
        while (json_arr_next(j)) {
            if (json_peek(j) != JSON_OBJECT) {
                seg_id(j, tax, o); /* a bare id, or something that is none */
                continue;
            }
            json_obj_begin(j);
            struct sv k;
            while (json_obj_next(j, &k))
                if (fold(k, "id"))
                    seg_id(j, tax, o);
                else if (json_skip(j))
                    abort();
        }
    } else if (t == JSON_ARRAY && (at == AT_DATA || at == AT_DEXT)) {
        json_arr_begin(j);
        while (json_arr_next(j)) walk(j, at == AT_DATA ? AT_DATAOBJ : AT_DEXT, tax, o);
    } else if (json_skip(j)) {
        abort();
    }
}

static void check_output(const char *p, size_t n, struct arena *a, const struct oracle *o)
{
    struct json j;
    json_init(&j, p, n, a);
    walk(&j, AT_ROOT, -1, o);
    if (j.err) abort();
}

static bool same_outcome(const struct consent_state *x, const struct consent_state *y)
{
    return x->block_all == y->block_all && x->block_personal == y->block_personal && x->minor == y->minor &&
           x->precise_geo_ok == y->precise_geo_ok && sv_eq(x->detail, y->detail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    init_policy();
    uint8_t ctl = data[0];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    static const int32_t vendors[] = {1000, 5, 0, 77};
    int32_t vendor = vendors[ctl & 3];
    int32_t tmax = (ctl & 4) ? 80 : 1 + (ctl >> 3);
    struct consent_stored rec = {.sensitive_mask = CLASS_BIT(CLASS_HEALTH), .minor = (ctl & 0x40) != 0};
    struct consent_store_view view = {.trusted = (ctl & 0x80) == 0, .rec = &rec};
    const struct consent_store_view *store = (ctl & 0x20) ? &view : NULL;

    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct ortb_request req;
    struct ortb_error err;
    if (ortb_parse(body, len, &a, &req, &err) != ORTB_OK) return 0;

    struct consent_state def, own, direct, v1, v2;
    struct consent_config cd = {.tcf_vendor_id = CONSENT_VENDOR_DEFERRED, .tcf_strict = true};
    struct consent_config co = {.tcf_vendor_id = 1000, .tcf_strict = true};
    struct consent_config cv = {.tcf_vendor_id = vendor, .tcf_strict = true};
    consent_eval(&req, &cd, store, 2026, &a, &def);
    consent_eval(&req, &co, store, 2026, &a, &own);
    consent_eval(&req, &cv, store, 2026, &a, &direct);
    consent_for_vendor(&def, vendor, true, &v1);
    consent_for_vendor(&own, vendor, true, &v2);
    if (!same_outcome(&v1, &direct) || !same_outcome(&v2, &direct)) abort();

    struct scrub_input in = {.body = body,
                             .len = len,
                             .req = &req,
                             .cs = (ctl & 8) ? &own : &def,
                             .tcf_vendor_id = vendor,
                             .tcf_strict = true,
                             .policy = &pol,
                             .year = 2026,
                             .tmax_ms = tmax};
    size_t cap = 2 * len + SCRUB_SLACK;
    struct scrub_result r;
    size_t mark = a.used;
    int rc = scrub_request(&in, &a, out, cap, &r);
    if (rc == SCRUB_ENOMEM) return 0;
    if (rc != SCRUB_OK) abort();
    if (direct.block_all >= 0 && r.forward) abort();
    if (!r.forward) {
        /* not forwarded: the vendor's consent, or a privacy key in another spelling */
        if (direct.block_all < 0 && r.reason != REASON_CONSENT_MALFORMED) abort();
        return 0;
    }
    if (direct.block_personal >= 0 && r.personal) abort();
    if (r.out_len > cap) abort();
    /* a buffer one byte short is refused */
    if (r.out_len > 0) {
        struct scrub_result r2;
        a.used = mark;
        if (scrub_request(&in, &a, out, r.out_len - 1, &r2) != SCRUB_ESPACE) abort();
        a.used = mark;
        if (scrub_request(&in, &a, out, cap, &r2) != SCRUB_OK || r2.out_len != r.out_len) abort();
    }

    /* well-formed JSON, and a bid request fairbid reads again, with the budget as tmax */
    struct json j;
    json_init(&j, out, r.out_len, &a);
    if (json_skip(&j) || json_finish(&j)) abort();
    struct ortb_request again;
    if (ortb_parse(out, r.out_len, &a, &again, &err) != ORTB_OK) abort();
    if (again.tmax != tmax) abort();
    struct oracle o = {.personal = r.personal, .geo = r.precise_geo, .cs = &direct};
    check_output(out, r.out_len, &a, &o);
    if (!r.personal) {
        if (again.user.buyeruid.p || again.user.id.p || again.user.ndata || again.user.yob != ORTB_UNSET ||
            again.device.ifa.p || again.device.geo.has_lat || again.device.geo.has_lon)
            abort();
    }
    if (!r.precise_geo && (again.device.geo.has_lat || again.device.geo.has_lon || again.device.geo.zip.p))
        abort();
    /* segments: never a vulnerability class, a sensitive class only with this person's consent */
    for (uint32_t d = 0; d < again.user.ndata; d++)
        for (uint32_t s = 0; s < again.user.data[d].segment.n; s++) {
            uint32_t cls =
                policy_segment_classes(&pol, again.user.data[d].segtax, again.user.data[d].segment.v[s]);
            if (cls & class_mask_vulnerability) abort();
            uint32_t sens = cls & class_mask_sensitive;
            for (int c = 0; c < CLASS__COUNT; c++)
                if ((sens & CLASS_BIT(c)) && !sensitive_consented(&pol, &direct, c)) abort();
        }
    return 0;
}
