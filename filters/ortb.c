/* ortb: OpenRTB 2.6 request parser. See ortb.h.
 * One pass, driven by the JSON pull parser: each object's keys are matched against the few names we use and
 * everything else is skipped. null counts as absent everywhere (exchanges send it for "not set"). */
#include "filters/ortb.h"

#include <string.h>

#define KEQ(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, (lit), sizeof(lit) - 1) == 0)

struct pctx {
    struct json *j;
    struct arena *a;
    struct ortb_error *err;
    const struct ortb_hooks *h; /* NULL: none */
    int code;                   /* ortb-level error other than JSON syntax */
};

static int fail(struct pctx *c, int code, const char *field, const char *msg)
{
    if (c->code == 0 && c->j->err == 0) {
        c->code = code;
        c->err->code = code;
        c->err->msg = msg;
        c->err->field = field;
        c->err->offset = (size_t)(c->j->p - c->j->start);
    }
    /* stop the JSON walk too, so callers unwind at once */
    json_fail(c->j, JSON_ETYPE, msg);
    c->j->err_path = field;
    return -1;
}

/* Type-checked readers. A JSON error inside names the field; a type mismatch is an ORTB_EINVALID error. */
static bool is_null(struct pctx *c)
{
    if (json_peek(c->j) == JSON_NULL) {
        json_null(c->j);
        return true;
    }
    return false;
}

static int rd_str(struct pctx *c, struct sv *out, const char *field)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_STRING) return fail(c, ORTB_EINVALID, field, "expected a string");
    if (json_string(c->j, out)) {
        c->j->err_path = field;
        return -1;
    }
    if (!out->p) out->p = ""; /* present but empty stays distinguishable from absent */
    return 0;
}

static int rd_i32(struct pctx *c, int32_t *out, const char *field)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_NUMBER) return fail(c, ORTB_EINVALID, field, "expected an integer");
    int64_t v;
    if (json_int(c->j, &v)) {
        c->j->err_path = field;
        return -1;
    }
    if (v < INT32_MIN + 1 || v > INT32_MAX) return fail(c, ORTB_EINVALID, field, "integer out of range");
    *out = (int32_t)v;
    return 0;
}

/* Signals that only ever protect (coppa, lmt, yob) given twice keep the more protective value: the larger
 * flag, the later (younger) birth year. */
static int rd_protective(struct pctx *c, int32_t *out, const char *field, bool yob)
{
    int32_t before = *out, v = ORTB_UNSET;
    if (rd_i32(c, &v, field)) return -1;
    if (v == ORTB_UNSET) return 0;
    *out = (before == ORTB_UNSET || v > before) ? v : before;
    (void)yob; /* for yob the larger value is the younger person, for flags the stronger signal */
    return 0;
}

static int rd_double(struct pctx *c, double *out, bool *present, const char *field)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_NUMBER) return fail(c, ORTB_EINVALID, field, "expected a number");
    if (json_double(c->j, out)) {
        c->j->err_path = field;
        return -1;
    }
    if (present) *present = true;
    return 0;
}

/* Array of strings. Non-string elements are a type error. */
static int rd_list(struct pctx *c, struct ortb_list *out, const char *field)
{
    if (is_null(c)) return 0;
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t != JSON_ARRAY) return fail(c, ORTB_EINVALID, field, "expected an array of strings");
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        struct sv *slot = arena_vec_push(c->a, &v, sizeof(struct sv), _Alignof(struct sv));
        if (!slot) {
            if (v.n >= v.max) return fail(c, ORTB_ELIMIT, field, "too many entries (limit 1024)");
            return fail(c, ORTB_ENOMEM, field, "request too large for request memory");
        }
        if (json_peek(c->j) == JSON_NUMBER) {
            /* category and segment ids are strings, but some exchanges send numbers: keep the token text */
            const char *s = c->j->p;
            if (json_skip(c->j)) return -1;
            slot->p = s;
            slot->n = (size_t)(c->j->p - s);
            continue;
        }
        if (json_peek(c->j) != JSON_STRING) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EINVALID, field, "expected an array of strings");
        }
        if (json_string(c->j, slot)) return -1;
        if (!slot->p) slot->p = "";
    }
    if (c->j->err) return -1;
    out->v = v.items;
    out->n = v.n;
    return 0;
}

/* Privacy-signal readers: a wrong type is remembered, not fatal (fail toward privacy in the consent rules).
 */
static int rd_sig_int_once(struct pctx *c, int32_t *out, enum ortb_sig *sig, bool allow_string);

/* A privacy field given twice (duplicate keys) is malformed: which copy an exchange meant is unknowable, and
 * "last wins" would let a second value quietly undo the first. */
static int rd_sig_int(struct pctx *c, int32_t *out, enum ortb_sig *sig, bool allow_string)
{
    enum ortb_sig before = *sig;
    int rc = rd_sig_int_once(c, out, sig, allow_string);
    if (!rc && before != ORTB_SIG_ABSENT) *sig = ORTB_SIG_MALFORMED;
    return rc;
}

static int rd_sig_int_once(struct pctx *c, int32_t *out, enum ortb_sig *sig, bool allow_string)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NUMBER) {
        int64_t v;
        struct json save = *c->j;
        if (json_int(c->j, &v) == 0 && v >= INT32_MIN + 1 && v <= INT32_MAX) {
            *out = (int32_t)v;
            *sig = ORTB_SIG_OK;
            return 0;
        }
        /* a fraction or an overflow: malformed, but the JSON itself is fine */
        *c->j = save;
        *sig = ORTB_SIG_MALFORMED;
        return json_skip(c->j) ? -1 : 0;
    }
    if (t == JSON_STRING && allow_string) {
        struct sv s;
        if (json_string(c->j, &s)) return -1;
        if (s.n == 1 && (s.p[0] == '0' || s.p[0] == '1')) {
            *out = s.p[0] - '0';
            *sig = ORTB_SIG_OK;
        } else {
            *sig = ORTB_SIG_MALFORMED;
        }
        return 0;
    }
    *sig = ORTB_SIG_MALFORMED;
    return json_skip(c->j) ? -1 : 0;
}

static int rd_sig_str_once(struct pctx *c, struct sv *out, enum ortb_sig *sig);

static int rd_sig_str(struct pctx *c, struct sv *out, enum ortb_sig *sig)
{
    enum ortb_sig before = *sig;
    int rc = rd_sig_str_once(c, out, sig);
    if (!rc && before != ORTB_SIG_ABSENT) *sig = ORTB_SIG_MALFORMED;
    return rc;
}

static int rd_sig_str_once(struct pctx *c, struct sv *out, enum ortb_sig *sig)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_STRING) {
        if (json_string(c->j, out)) return -1;
        if (!out->p) out->p = "";
        *sig = ORTB_SIG_OK;
        return 0;
    }
    *sig = ORTB_SIG_MALFORMED;
    return json_skip(c->j) ? -1 : 0;
}

static int skip(struct pctx *c)
{
    return json_skip(c->j) ? -1 : 0;
}

/* Enters an object, or treats null as absent (returns 0 with *present false). */
static int enter(struct pctx *c, bool *present, const char *field)
{
    *present = false;
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t != JSON_OBJECT) return fail(c, ORTB_EINVALID, field, "expected an object");
    json_obj_begin(c->j);
    *present = true;
    return 0;
}

/* ---- imp ---- */

static int parse_format(struct pctx *c, struct ortb_imp *imp)
{
    if (is_null(c)) return 0;
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        return fail(c, ORTB_EINVALID, "imp.banner.format", "expected an array of objects");
    }
    struct arena_vec v = {.max = ORTB_MAX_FORMAT};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        bool present;
        if (enter(c, &present, "imp.banner.format[]")) return -1;
        if (!present) continue;
        struct ortb_format *f = arena_vec_push(c->a, &v, sizeof *f, _Alignof(struct ortb_format));
        if (!f)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "imp.banner.format", "too many formats");
        f->w = f->h = ORTB_UNSET;
        struct sv k;
        while (json_obj_next(c->j, &k)) {
            int rc;
            if (KEQ(k, "w"))
                rc = rd_i32(c, &f->w, "imp.banner.format[].w");
            else if (KEQ(k, "h"))
                rc = rd_i32(c, &f->h, "imp.banner.format[].h");
            else
                rc = skip(c);
            if (rc) return -1;
        }
        if ((f->w != ORTB_UNSET && f->w < 0) || (f->h != ORTB_UNSET && f->h < 0))
            return fail(c, ORTB_EINVALID, "imp.banner.format[].w", "banner format size must not be negative");
    }
    if (c->j->err) return -1;
    imp->format = v.items;
    imp->nformat = v.n;
    return 0;
}

static int parse_banner(struct pctx *c, struct ortb_imp *imp)
{
    bool present;
    if (enter(c, &present, "imp.banner")) return -1;
    if (!present) return 0; /* banner: null leaves the imp without a banner */
    imp->has_banner = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "w"))
            rc = rd_i32(c, &imp->banner_w, "imp.banner.w");
        else if (KEQ(k, "h"))
            rc = rd_i32(c, &imp->banner_h, "imp.banner.h");
        else if (KEQ(k, "format"))
            rc = parse_format(c, imp);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (imp->banner_w != ORTB_UNSET && imp->banner_w < 0)
        return fail(c, ORTB_EINVALID, "imp.banner.w", "banner width must not be negative");
    if (imp->banner_h != ORTB_UNSET && imp->banner_h < 0)
        return fail(c, ORTB_EINVALID, "imp.banner.h", "banner height must not be negative");
    return 0;
}

/* Media objects we do not bid on: note presence, validate the JSON, and reject negative sizes. */
static int parse_media(struct pctx *c, bool *has, const char *field)
{
    bool present;
    if (enter(c, &present, field)) return -1;
    if (!present) return 0;
    *has = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        if (KEQ(k, "w") || KEQ(k, "h")) {
            int32_t v = ORTB_UNSET;
            if (rd_i32(c, &v, field)) return -1;
            if (v != ORTB_UNSET && v < 0) return fail(c, ORTB_EINVALID, field, "size must not be negative");
        } else if (skip(c)) {
            return -1;
        }
    }
    return c->j->err ? -1 : 0;
}

static int parse_imp(struct pctx *c, struct ortb_imp *imp)
{
    bool present;
    if (enter(c, &present, "imp[]")) return -1;
    if (!present) return fail(c, ORTB_EREQUIRED, "imp[]", "imp entries must be objects");
    imp->banner_w = imp->banner_h = ORTB_UNSET;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "id"))
            rc = rd_str(c, &imp->id, "imp.id");
        else if (KEQ(k, "banner"))
            rc = parse_banner(c, imp);
        else if (KEQ(k, "video"))
            rc = parse_media(c, &imp->has_video, "imp.video");
        else if (KEQ(k, "audio"))
            rc = parse_media(c, &imp->has_audio, "imp.audio");
        else if (KEQ(k, "native"))
            rc = parse_media(c, &imp->has_native, "imp.native");
        else if (KEQ(k, "bidfloor"))
            rc = rd_double(c, &imp->bidfloor, NULL, "imp.bidfloor");
        else if (KEQ(k, "bidfloorcur"))
            rc = rd_str(c, &imp->bidfloorcur, "imp.bidfloorcur");
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (imp->id.n == 0) return fail(c, ORTB_EREQUIRED, "imp.id", "every imp needs a non-empty id");
    if (imp->bidfloor < 0) return fail(c, ORTB_EINVALID, "imp.bidfloor", "bidfloor must not be negative");
    return 0;
}

static int parse_imps(struct pctx *c, struct ortb_request *r)
{
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        return fail(c, ORTB_EREQUIRED, "imp", "imp must be a non-empty array");
    }
    struct arena_vec v = {.max = ORTB_MAX_IMP};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        struct ortb_imp *imp = arena_vec_push(c->a, &v, sizeof *imp, _Alignof(struct ortb_imp));
        if (!imp) return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "imp", "too many imps (limit 64)");
        if (parse_imp(c, imp)) return -1;
    }
    if (c->j->err) return -1;
    r->imp = v.items;
    r->nimp = v.n;
    return 0;
}

/* ---- site / app / dooh ---- */

static int parse_publisher(struct pctx *c, struct sv *id)
{
    bool present;
    if (enter(c, &present, "publisher")) return -1;
    if (!present) return 0;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        if (KEQ(k, "id") ? rd_str(c, id, "publisher.id") : skip(c)) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_content(struct pctx *c, struct ortb_context_obj *x)
{
    bool present;
    if (enter(c, &present, "content")) return -1;
    if (!present) return 0;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "cat"))
            rc = rd_list(c, &x->content_cat, "content.cat");
        else if (KEQ(k, "cattax"))
            rc = rd_i32(c, &x->content_cattax, "content.cattax");
        else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_context(struct pctx *c, struct ortb_context_obj *x, enum ortb_context kind,
                         const char *field)
{
    if (x->kind != ORTB_CTX_NONE)
        return fail(c, ORTB_EINVALID, field, "a request carries at most one of site, app and dooh");
    bool present;
    if (enter(c, &present, field)) return -1;
    if (!present) return 0;
    x->kind = kind;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "id"))
            rc = rd_str(c, &x->id, "site.id");
        else if (KEQ(k, "domain"))
            rc = rd_str(c, &x->domain, "site.domain");
        else if (KEQ(k, "bundle"))
            rc = rd_str(c, &x->bundle, "app.bundle");
        else if (KEQ(k, "cat"))
            rc = rd_list(c, &x->cat, "site.cat");
        else if (KEQ(k, "cattax"))
            rc = rd_i32(c, &x->cattax, "site.cattax");
        else if (KEQ(k, "publisher"))
            rc = parse_publisher(c, &x->publisher_id);
        else if (KEQ(k, "content"))
            rc = parse_content(c, x);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* ---- device ---- */

static int parse_geo(struct pctx *c, struct ortb_geo *g)
{
    bool present;
    if (enter(c, &present, "device.geo")) return -1;
    if (!present) return 0;
    g->present = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "country"))
            rc = rd_str(c, &g->country, "device.geo.country");
        else if (KEQ(k, "region"))
            rc = rd_str(c, &g->region, "device.geo.region");
        else if (KEQ(k, "zip"))
            rc = rd_str(c, &g->zip, "device.geo.zip");
        else if (KEQ(k, "lat"))
            rc = rd_double(c, &g->lat, &g->has_lat, "device.geo.lat");
        else if (KEQ(k, "lon"))
            rc = rd_double(c, &g->lon, &g->has_lon, "device.geo.lon");
        else if (KEQ(k, "type"))
            rc = rd_i32(c, &g->type, "device.geo.type");
        else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_device(struct pctx *c, struct ortb_device *d)
{
    bool present;
    if (enter(c, &present, "device")) return -1;
    if (!present) return 0;
    d->present = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "ua"))
            rc = rd_str(c, &d->ua, "device.ua");
        else if (KEQ(k, "ip"))
            rc = rd_str(c, &d->ip, "device.ip");
        else if (KEQ(k, "ipv6"))
            rc = rd_str(c, &d->ipv6, "device.ipv6");
        else if (KEQ(k, "ifa"))
            rc = rd_str(c, &d->ifa, "device.ifa");
        else if (KEQ(k, "geo"))
            rc = parse_geo(c, &d->geo);
        else if (KEQ(k, "dnt"))
            rc = rd_i32(c, &d->dnt, "device.dnt");
        else if (KEQ(k, "lmt"))
            rc = rd_protective(c, &d->lmt, "device.lmt", false);
        else if (KEQ(k, "devicetype"))
            rc = rd_i32(c, &d->devicetype, "device.devicetype");
        else if (KEQ(k, "w") || KEQ(k, "h")) {
            int32_t v = ORTB_UNSET;
            rc = rd_i32(c, &v, "device.w");
            if (!rc && v != ORTB_UNSET && v < 0)
                return fail(c, ORTB_EINVALID, "device.w", "size must not be negative");
        } else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* ---- user ---- */

static int parse_segments(struct pctx *c, struct ortb_list *out)
{
    if (is_null(c)) return 0;
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        return fail(c, ORTB_EINVALID, "user.data.segment", "expected an array of objects");
    }
    struct arena_vec v = {.max = ORTB_MAX_SEGMENT};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        bool present;
        if (enter(c, &present, "user.data.segment[]")) return -1;
        if (!present) continue;
        struct sv id = SV_NULL;
        struct sv k;
        while (json_obj_next(c->j, &k)) {
            if (KEQ(k, "id") ? rd_str(c, &id, "user.data.segment.id") : skip(c)) return -1;
        }
        if (c->j->err) return -1;
        if (!id.p) continue; /* a segment with only a name or value cannot be matched by id */
        struct sv *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(struct sv));
        if (!slot)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "user.data.segment",
                        "too many segments");
        *slot = id;
    }
    if (c->j->err) return -1;
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int parse_data_ext(struct pctx *c, struct ortb_data *d)
{
    bool present;
    if (json_peek(c->j) != JSON_OBJECT) return skip(c); /* ext of another shape: nothing we use */
    if (enter(c, &present, "user.data.ext")) return -1;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        if (KEQ(k, "segtax")) {
            if (json_peek(c->j) == JSON_NUMBER) {
                if (rd_i32(c, &d->segtax, "user.data.ext.segtax")) return -1;
            } else if (skip(c)) {
                return -1;
            }
        } else if (skip(c)) {
            return -1;
        }
    }
    return c->j->err ? -1 : 0;
}

static int parse_data(struct pctx *c, struct ortb_user *u)
{
    if (is_null(c)) return 0;
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        return fail(c, ORTB_EINVALID, "user.data", "expected an array of objects");
    }
    struct arena_vec v = {.max = ORTB_MAX_DATA};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        bool present;
        if (enter(c, &present, "user.data[]")) return -1;
        if (!present) continue;
        struct ortb_data *d = arena_vec_push(c->a, &v, sizeof *d, _Alignof(struct ortb_data));
        if (!d)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "user.data", "too many data objects");
        d->segtax = ORTB_UNSET;
        struct sv k;
        while (json_obj_next(c->j, &k)) {
            int rc;
            if (KEQ(k, "id"))
                rc = rd_str(c, &d->id, "user.data.id");
            else if (KEQ(k, "name"))
                rc = rd_str(c, &d->name, "user.data.name");
            else if (KEQ(k, "segment"))
                rc = parse_segments(c, &d->segment);
            else if (KEQ(k, "ext"))
                rc = parse_data_ext(c, d);
            else
                rc = skip(c);
            if (rc) return -1;
        }
        if (c->j->err) return -1;
    }
    if (c->j->err) return -1;
    u->data = v.items;
    u->ndata = v.n;
    return 0;
}

/* eids[].source; eids of the wrong shape in ext are ignored (they only ever add restrictions). */
static int parse_eids(struct pctx *c, struct ortb_list *out, bool strict, const char *field)
{
    if (is_null(c)) return 0;
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        if (!strict) return skip(c);
        return fail(c, ORTB_EINVALID, field, "expected an array of objects");
    }
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        if (json_peek(c->j) != JSON_OBJECT) {
            if (skip(c)) return -1;
            continue;
        }
        json_obj_begin(c->j);
        struct sv src = SV_NULL, k;
        while (json_obj_next(c->j, &k)) {
            if (KEQ(k, "source") && json_peek(c->j) == JSON_STRING) {
                if (json_string(c->j, &src)) return -1;
            } else if (skip(c)) {
                return -1;
            }
        }
        if (c->j->err) return -1;
        struct sv *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(struct sv));
        if (!slot) return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, field, "too many eids");
        *slot = src.p ? src : SV_LIT("");
    }
    if (c->j->err) return -1;
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int parse_user_ext(struct pctx *c, struct ortb_user *u)
{
    if (json_peek(c->j) != JSON_OBJECT) return skip(c);
    json_obj_begin(c->j);
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "consent"))
            rc = rd_sig_str(c, &u->ext_consent, &u->ext_consent_sig);
        else if (KEQ(k, "eids"))
            rc = parse_eids(c, &u->ext_eid_sources, false, "user.ext.eids");
        else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_user(struct pctx *c, struct ortb_user *u)
{
    bool present;
    if (enter(c, &present, "user")) return -1;
    if (!present) return 0;
    u->present = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "id"))
            rc = rd_str(c, &u->id, "user.id");
        else if (KEQ(k, "buyeruid"))
            rc = rd_str(c, &u->buyeruid, "user.buyeruid");
        else if (KEQ(k, "yob"))
            rc = rd_protective(c, &u->yob, "user.yob", true);
        else if (KEQ(k, "gender"))
            rc = rd_str(c, &u->gender, "user.gender");
        else if (KEQ(k, "consent"))
            rc = rd_sig_str(c, &u->consent, &u->consent_sig);
        else if (KEQ(k, "data"))
            rc = parse_data(c, u);
        else if (KEQ(k, "eids"))
            rc = parse_eids(c, &u->eid_sources, true, "user.eids");
        else if (KEQ(k, "ext"))
            rc = parse_user_ext(c, u);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (c->h && c->h->user_key) {
        struct sv key = u->buyeruid.n ? u->buyeruid : u->id;
        if (key.n) c->h->user_key(c->h->arg, key);
    }
    return 0;
}

/* ---- regs ---- */

static int parse_gpp_sid_once(struct pctx *c, struct ortb_regs *r);

/* gpp_sid given twice is malformed, like the other privacy fields (see rd_sig_int) */
static int parse_gpp_sid(struct pctx *c, struct ortb_regs *r)
{
    enum ortb_sig before = r->gpp_sid_sig;
    int rc = parse_gpp_sid_once(c, r);
    if (!rc && before != ORTB_SIG_ABSENT) r->gpp_sid_sig = ORTB_SIG_MALFORMED;
    return rc;
}

static int parse_gpp_sid_once(struct pctx *c, struct ortb_regs *r)
{
    if (json_peek(c->j) == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (json_peek(c->j) != JSON_ARRAY) {
        if (c->j->err) return -1;
        r->gpp_sid_sig = ORTB_SIG_MALFORMED;
        return skip(c);
    }
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    r->gpp_sid_sig = ORTB_SIG_OK;
    json_arr_begin(c->j);
    while (json_arr_next(c->j)) {
        int32_t sid = ORTB_UNSET;
        enum ortb_sig sig = ORTB_SIG_ABSENT;
        if (rd_sig_int(c, &sid, &sig, false)) return -1;
        if (sig != ORTB_SIG_OK || sid < 0 || sid > 0xFFFF) {
            r->gpp_sid_sig = ORTB_SIG_MALFORMED;
            continue;
        }
        uint16_t *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(uint16_t));
        if (!slot)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "regs.gpp_sid", "too many section ids");
        *slot = (uint16_t)sid;
    }
    if (c->j->err) return -1;
    r->gpp_sid = v.items;
    r->ngpp_sid = v.n;
    return 0;
}

static int parse_regs_ext(struct pctx *c, struct ortb_regs *r)
{
    if (json_peek(c->j) == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (json_peek(c->j) != JSON_OBJECT) {
        if (c->j->err) return -1;
        r->ext_sig = ORTB_SIG_MALFORMED;
        return skip(c);
    }
    r->ext_sig = ORTB_SIG_OK;
    json_obj_begin(c->j);
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "gdpr"))
            rc = rd_sig_int(c, &r->ext_gdpr, &r->ext_gdpr_sig, false);
        else if (KEQ(k, "us_privacy"))
            rc = rd_sig_str(c, &r->ext_us_privacy, &r->ext_us_privacy_sig);
        else if (KEQ(k, "gpc"))
            rc = rd_sig_int(c, &r->gpc, &r->gpc_sig, true);
        else if (KEQ(k, "dsa")) {
            if (json_peek(c->j) != JSON_NULL) r->has_dsa = true;
            rc = skip(c);
        } else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (r->ext_gdpr_sig == ORTB_SIG_OK && r->ext_gdpr != 0 && r->ext_gdpr != 1)
        r->ext_gdpr_sig = ORTB_SIG_MALFORMED;
    if (r->gpc_sig == ORTB_SIG_OK && r->gpc != 0 && r->gpc != 1) r->gpc_sig = ORTB_SIG_MALFORMED;
    return 0;
}

static int parse_regs(struct pctx *c, struct ortb_regs *r)
{
    bool present;
    if (enter(c, &present, "regs")) return -1;
    if (!present) return 0;
    r->present = true;
    struct sv k;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "coppa"))
            rc = rd_protective(c, &r->coppa, "regs.coppa", false);
        else if (KEQ(k, "gdpr"))
            rc = rd_sig_int(c, &r->gdpr, &r->gdpr_sig, false);
        else if (KEQ(k, "us_privacy"))
            rc = rd_sig_str(c, &r->us_privacy, &r->us_privacy_sig);
        else if (KEQ(k, "gpp"))
            rc = rd_sig_str(c, &r->gpp, &r->gpp_sig);
        else if (KEQ(k, "gpp_sid"))
            rc = parse_gpp_sid(c, r);
        else if (KEQ(k, "ext"))
            rc = parse_regs_ext(c, r);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (r->gdpr_sig == ORTB_SIG_OK && r->gdpr != 0 && r->gdpr != 1) r->gdpr_sig = ORTB_SIG_MALFORMED;
    return 0;
}

/* ---- request ---- */

static int parse_request(struct pctx *c, struct ortb_request *r)
{
    struct sv k;
    bool seen_imp = false;
    while (json_obj_next(c->j, &k)) {
        int rc;
        if (KEQ(k, "id")) {
            if (json_peek(c->j) != JSON_STRING && json_peek(c->j) != JSON_NONE)
                return fail(c, ORTB_EREQUIRED, "id", "id must be a non-empty string");
            rc = rd_str(c, &r->id, "id");
        } else if (KEQ(k, "imp")) {
            seen_imp = true;
            rc = parse_imps(c, r);
        } else if (KEQ(k, "tmax"))
            rc = rd_i32(c, &r->tmax, "tmax");
        else if (KEQ(k, "at"))
            rc = rd_i32(c, &r->at, "at");
        else if (KEQ(k, "test"))
            rc = rd_i32(c, &r->test, "test");
        else if (KEQ(k, "cur"))
            rc = rd_list(c, &r->cur, "cur");
        else if (KEQ(k, "bcat"))
            rc = rd_list(c, &r->bcat, "bcat");
        else if (KEQ(k, "badv"))
            rc = rd_list(c, &r->badv, "badv");
        else if (KEQ(k, "bapp"))
            rc = rd_list(c, &r->bapp, "bapp");
        else if (KEQ(k, "cattax"))
            rc = rd_i32(c, &r->cattax, "cattax");
        else if (KEQ(k, "site"))
            rc = parse_context(c, &r->ctx, ORTB_CTX_SITE, "site");
        else if (KEQ(k, "app"))
            rc = parse_context(c, &r->ctx, ORTB_CTX_APP, "app");
        else if (KEQ(k, "dooh"))
            rc = parse_context(c, &r->ctx, ORTB_CTX_DOOH, "dooh");
        else if (KEQ(k, "device"))
            rc = parse_device(c, &r->device);
        else if (KEQ(k, "user"))
            rc = parse_user(c, &r->user);
        else if (KEQ(k, "regs"))
            rc = parse_regs(c, &r->regs);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (json_finish(c->j)) return -1;
    if (r->id.n == 0) return fail(c, ORTB_EREQUIRED, "id", "request id is missing or empty");
    if (!seen_imp || r->nimp == 0) return fail(c, ORTB_EREQUIRED, "imp", "imp is missing or empty");
    for (uint32_t i = 1; i < r->nimp; i++)
        for (uint32_t q = 0; q < i; q++)
            if (sv_eq(r->imp[i].id, r->imp[q].id))
                return fail(c, ORTB_EINVALID, "imp.id", "imp ids must be unique within a request");
    return 0;
}

int ortb_parse(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
               struct ortb_error *err)
{
    return ortb_parse_ex(body, len, arena, req, err, NULL);
}

int ortb_parse_ex(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
                  struct ortb_error *err, const struct ortb_hooks *h)
{
    struct json j;
    json_init(&j, body, len, arena);
    memset(req, 0, sizeof *req);
    memset(err, 0, sizeof *err);
    req->tmax = req->at = req->cattax = req->test = ORTB_UNSET;
    req->ctx.cattax = req->ctx.content_cattax = ORTB_UNSET;
    req->device.dnt = req->device.lmt = req->device.devicetype = ORTB_UNSET;
    req->device.geo.type = ORTB_UNSET;
    req->user.yob = ORTB_UNSET;
    req->regs.coppa = req->regs.gdpr = req->regs.ext_gdpr = req->regs.gpc = ORTB_UNSET;
    struct pctx c = {.j = &j, .a = arena, .err = err, .h = h};

    enum json_type t = json_peek(&j);
    if (t == JSON_NONE) {
        if (len == 0 || j.p >= j.end) j.err_msg = "empty body: expected a JSON object";
    } else if (t != JSON_OBJECT) {
        /* validate first, so "[1," reports the syntax error rather than the shape */
        if (json_skip(&j) == 0 && json_finish(&j) == 0) {
            err->code = ORTB_ESHAPE;
            err->msg = "a bid request must be a JSON object";
            err->offset = 0;
            return ORTB_ESHAPE;
        }
    } else {
        json_obj_begin(&j);
        if (parse_request(&c, req) == 0) return ORTB_OK;
    }
    if (c.code) return c.code;
    err->code = j.err == JSON_ENOMEM ? ORTB_ENOMEM : ORTB_EJSON;
    err->msg = j.err_msg ? j.err_msg : "malformed JSON";
    err->field = j.err_path;
    err->offset = j.err_off;
    return err->code;
}

const char *ortb_strerror(int code)
{
    switch (code) {
    case ORTB_OK:
        return "ok";
    case ORTB_EJSON:
        return "malformed JSON";
    case ORTB_ESHAPE:
        return "not a JSON object";
    case ORTB_EREQUIRED:
        return "required field missing";
    case ORTB_EINVALID:
        return "invalid field";
    case ORTB_ELIMIT:
        return "too many entries";
    case ORTB_ENOMEM:
        return "request too large for request memory";
    default:
        return "unknown error";
    }
}
