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
 *   - the output is never longer than 2 * len + SCRUB_SLACK, and a too-small buffer is refused, not
 *     overrun. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void init_policy(void)
{
    static bool done;
    if (done) return;
    done = true;
    policy_table_init(&pol.seg, slots, 64);
    static const struct {
        int tax;
        const char *id;
        int cls;
    } e[] = {{4, "381", CLASS_HEALTH},  {4, "503", CLASS_RELIGION},  {4, "399", CLASS_ADDICTION},
             {4, "356", CLASS_MINOR},   {6, "181", CLASS_ADDICTION}, {6, "136", CLASS_HEALTH},
             {4, "1502", CLASS_CRISIS}, {4, "529", CLASS_POLITICS}};
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

/* device.ext's value, at any depth: no identifier key (ids) and no location key (geo) */
static void check_ext_value(struct json *j, bool ids, bool geo)
{
    enum json_type t = json_peek(j);
    if (t == JSON_ARRAY) {
        json_arr_begin(j);
        while (json_arr_next(j)) check_ext_value(j, ids, geo);
        return;
    }
    if (t != JSON_OBJECT) {
        if (json_skip(j)) abort();
        return;
    }
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        if (ids && fold_any(k, dext_ids, 18)) abort();
        if (geo && fold_any(k, dext_geo, 8)) abort();
        check_ext_value(j, ids, geo);
    }
}

/* Without precise geo: no location in device.ext, nor in user.ext.geo. */
static void check_no_ext_geo(const char *p, size_t n, struct arena *a)
{
    struct json j;
    json_init(&j, p, n, a);
    if (!json_obj_begin(&j)) abort();
    struct sv k;
    while (json_obj_next(&j, &k)) {
        bool user = fold(k, "user"), dev = fold(k, "device");
        if ((!user && !dev) || json_peek(&j) != JSON_OBJECT) {
            if (json_skip(&j)) abort();
            continue;
        }
        json_obj_begin(&j);
        struct sv k2;
        while (json_obj_next(&j, &k2)) {
            if (dev && fold(k2, "ext")) {
                check_ext_value(&j, false, true);
            } else if (user && fold(k2, "ext") && json_peek(&j) == JSON_OBJECT) {
                json_obj_begin(&j);
                struct sv k3;
                while (json_obj_next(&j, &k3)) {
                    if (fold(k3, "geo") && json_peek(&j) == JSON_OBJECT) {
                        json_obj_begin(&j);
                        struct sv k4;
                        while (json_obj_next(&j, &k4)) {
                            if (fold_any(k4, geo_precise, 6)) abort();
                            if (json_skip(&j)) abort();
                        }
                    } else if (json_skip(&j)) {
                        abort();
                    }
                }
            } else if (json_skip(&j)) {
                abort();
            }
        }
    }
    if (j.err) abort();
}

/* Segments a bidder reads in user.ext.data (Prebid's older place): never a vulnerability class. */
static void check_ext_data_segments(const char *p, size_t n, struct arena *a)
{
    struct json j;
    json_init(&j, p, n, a);
    if (!json_obj_begin(&j)) abort();
    struct sv k;
    while (json_obj_next(&j, &k)) {
        if (!fold(k, "user") || json_peek(&j) != JSON_OBJECT) {
            if (json_skip(&j)) abort();
            continue;
        }
        json_obj_begin(&j);
        struct sv k2;
        while (json_obj_next(&j, &k2)) {
            if (!fold(k2, "ext") || json_peek(&j) != JSON_OBJECT) {
                if (json_skip(&j)) abort();
                continue;
            }
            json_obj_begin(&j);
            struct sv k3;
            while (json_obj_next(&j, &k3)) {
                if (!fold(k3, "data") || json_peek(&j) != JSON_ARRAY) {
                    if (json_skip(&j)) abort();
                    continue;
                }
                json_arr_begin(&j);
                while (json_arr_next(&j)) {
                    if (json_peek(&j) != JSON_OBJECT) {
                        if (json_skip(&j)) abort();
                        continue;
                    }
                    /* this data object's segtax (one integer, else skip: the scrubber removed it whole) and
                     * every segment id in it */
                    struct json look = j;
                    int64_t tax = -1;
                    int ntax = 0;
                    json_obj_begin(&look);
                    struct sv dk;
                    while (json_obj_next(&look, &dk)) {
                        if (fold(dk, "ext") && json_peek(&look) == JSON_OBJECT) {
                            json_obj_begin(&look);
                            struct sv ek;
                            while (json_obj_next(&look, &ek)) {
                                if (fold(ek, "segtax") && json_peek(&look) == JSON_NUMBER) {
                                    if (json_int(&look, &tax)) tax = -1;
                                    ntax++;
                                } else if (json_skip(&look)) {
                                    abort();
                                }
                            }
                        } else if (json_skip(&look)) {
                            abort();
                        }
                    }
                    json_obj_begin(&j);
                    while (json_obj_next(&j, &dk)) {
                        if (!fold(dk, "segment") || json_peek(&j) != JSON_ARRAY || ntax != 1 || tax < 1 ||
                            tax > 0xFFFF) {
                            if (json_skip(&j)) abort();
                            continue;
                        }
                        json_arr_begin(&j);
                        while (json_arr_next(&j)) {
                            if (json_peek(&j) != JSON_OBJECT) {
                                if (json_skip(&j)) abort();
                                continue;
                            }
                            json_obj_begin(&j);
                            struct sv sk;
                            while (json_obj_next(&j, &sk)) {
                                struct sv id;
                                if (fold(sk, "id") && json_peek(&j) == JSON_STRING) {
                                    if (json_string(&j, &id)) abort();
                                    if (policy_segment_classes(&pol, (int32_t)tax, id) &
                                        class_mask_vulnerability)
                                        abort();
                                } else if (json_skip(&j)) {
                                    abort();
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    if (j.err) abort();
}

/* No personal key under user, user.ext or device (user keeps only its consent and ext, user.ext only its
 * consent signals, device.ext no identifier at any depth); no precise geo under device.geo. Walks the
 * output. */
static void check_no_personal(const char *p, size_t n, struct arena *a)
{
    struct json j;
    json_init(&j, p, n, a);
    if (!json_obj_begin(&j)) abort();
    struct sv k;
    while (json_obj_next(&j, &k)) {
        bool user = fold(k, "user"), dev = fold(k, "device");
        if ((!user && !dev) || json_peek(&j) != JSON_OBJECT) {
            if (json_skip(&j)) abort();
            continue;
        }
        json_obj_begin(&j);
        struct sv k2;
        while (json_obj_next(&j, &k2)) {
            if (user && fold_any(k2, user_pers, 10)) abort();
            if (user && !fold(k2, "consent") && !fold(k2, "ext")) abort();
            if (dev && fold_any(k2, dev_pers, 7)) abort();
            if (dev && fold_any(k2, dext_ids, 18) && !fold(k2, "ip") && !fold(k2, "ipv6")) abort();
            if (dev && fold(k2, "ext")) {
                check_ext_value(&j, true, true);
                continue;
            }
            if ((user && fold(k2, "ext")) || (dev && fold(k2, "geo"))) {
                if (json_peek(&j) != JSON_OBJECT) {
                    if (json_skip(&j)) abort();
                    continue;
                }
                bool ext = user;
                json_obj_begin(&j);
                struct sv k3;
                while (json_obj_next(&j, &k3)) {
                    if (ext && (fold(k3, "eids") || fold(k3, "data") || fold(k3, "buyeruids"))) abort();
                    if (ext && !fold_any(k3, uext_keep, 3)) abort();
                    if (!ext && fold_any(k3, geo_precise, 6)) abort();
                    if (json_skip(&j)) abort();
                }
                continue;
            }
            if (dev && fold(k2, "ip") && json_peek(&j) == JSON_STRING) {
                struct sv ip;
                if (json_string(&j, &ip)) abort();
                if (ip.n < 2 || memcmp(ip.p + ip.n - 2, ".0", 2)) abort();
                continue;
            }
            if (json_skip(&j)) abort();
        }
    }
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
    if (!r.personal) {
        check_no_personal(out, r.out_len, &a);
        if (again.user.buyeruid.p || again.user.id.p || again.user.ndata || again.user.yob != ORTB_UNSET ||
            again.device.ifa.p || again.device.geo.has_lat || again.device.geo.has_lon)
            abort();
    }
    if (!r.precise_geo) check_no_ext_geo(out, r.out_len, &a);
    check_ext_data_segments(out, r.out_len, &a);
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
