/* native: Native 1.2 request parser, asset matcher and response writer. See native.h.
 * The request is read with the same pull parser as the bid request, over its own buffer: a malformed native
 * request is this imp's problem only (match.native.request), never a 400 for the whole bid request. */
#include "filters/native.h"

#include <string.h>

#include "filters/json.h"
#include "filters/reasons.h"

#define KEQ(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, (lit), sizeof(lit) - 1) == 0)

struct nctx {
    struct json j;
    const char *why;
};

static int nfail(struct nctx *c, const char *why)
{
    if (!c->why) c->why = why;
    json_fail(&c->j, JSON_ETYPE, why);
    return -1;
}

/* An integer, or null (left unchanged). */
static int rd_int(struct nctx *c, int32_t *out, int64_t min, int64_t max, const char *why)
{
    enum json_type t = json_peek(&c->j);
    if (t == JSON_NULL) return json_null(&c->j);
    if (t != JSON_NUMBER) return t == JSON_NONE ? -1 : nfail(c, why);
    int64_t v;
    if (json_int(&c->j, &v)) return -1;
    if (v < min || v > max) return nfail(c, why);
    *out = (int32_t)v;
    return 0;
}

/* title / img / data / video: the asset's object; kind says which fields we read. */
static int rd_asset_obj(struct nctx *c, struct ortb_native_asset *as, uint8_t kind)
{
    if (as->kind) return nfail(c, "a native asset has more than one of title, img, video, data");
    as->kind = kind;
    if (json_peek(&c->j) != JSON_OBJECT)
        return nfail(c, "a native asset's title/img/video/data is not an object");
    json_obj_begin(&c->j);
    struct sv k;
    while (json_obj_next(&c->j, &k)) {
        int rc;
        if (kind != ORTB_ASSET_VIDEO && KEQ(k, "len"))
            rc = rd_int(c, &as->len, 0, 1000000, "native asset len is not an integer 0..1000000");
        else if ((kind == ORTB_ASSET_IMG || kind == ORTB_ASSET_DATA) && KEQ(k, "type"))
            rc = rd_int(c, &as->type, 1, 1000000, "native asset type is not a positive integer");
        else if (kind == ORTB_ASSET_IMG && KEQ(k, "w"))
            rc = rd_int(c, &as->w, 0, 100000, "native img w is not an integer 0..100000");
        else if (kind == ORTB_ASSET_IMG && KEQ(k, "h"))
            rc = rd_int(c, &as->h, 0, 100000, "native img h is not an integer 0..100000");
        else if (kind == ORTB_ASSET_IMG && KEQ(k, "wmin"))
            rc = rd_int(c, &as->wmin, 0, 100000, "native img wmin is not an integer 0..100000");
        else if (kind == ORTB_ASSET_IMG && KEQ(k, "hmin"))
            rc = rd_int(c, &as->hmin, 0, 100000, "native img hmin is not an integer 0..100000");
        else
            rc = json_skip(&c->j);
        if (rc) return -1;
    }
    return c->j.err ? -1 : 0;
}

static int rd_assets(struct nctx *c, struct arena *a, struct ortb_native *out)
{
    if (json_peek(&c->j) != JSON_ARRAY) return nfail(c, "native assets is not an array");
    struct arena_vec v = {.max = ORTB_MAX_ASSETS};
    json_arr_begin(&c->j);
    while (json_arr_next(&c->j)) {
        if (json_peek(&c->j) != JSON_OBJECT) return nfail(c, "a native asset is not an object");
        struct ortb_native_asset *as = arena_vec_push(a, &v, sizeof *as, _Alignof(struct ortb_native_asset));
        if (!as)
            return nfail(c, v.n >= v.max ? "more than 64 native assets"
                                         : "native request too large for request memory");
        as->id = as->len = as->type = as->w = as->h = as->wmin = as->hmin = ORTB_UNSET;
        json_obj_begin(&c->j);
        struct sv k;
        while (json_obj_next(&c->j, &k)) {
            int rc;
            if (KEQ(k, "id"))
                rc = rd_int(c, &as->id, 0, INT32_MAX, "native asset id is not an integer 0..2^31-1");
            else if (KEQ(k, "required")) {
                int32_t r = 0;
                rc = rd_int(c, &r, 0, 1, "native asset required is not 0 or 1");
                as->required = r == 1;
            } else if (KEQ(k, "title"))
                rc = rd_asset_obj(c, as, ORTB_ASSET_TITLE);
            else if (KEQ(k, "img"))
                rc = rd_asset_obj(c, as, ORTB_ASSET_IMG);
            else if (KEQ(k, "data"))
                rc = rd_asset_obj(c, as, ORTB_ASSET_DATA);
            else if (KEQ(k, "video"))
                rc = rd_asset_obj(c, as, ORTB_ASSET_VIDEO);
            else
                rc = json_skip(&c->j);
            if (rc) return -1;
        }
        if (c->j.err) return -1;
        if (as->id == ORTB_UNSET) return nfail(c, "a native asset has no id");
        if (!as->kind) return nfail(c, "a native asset has none of title, img, video, data");
        for (uint32_t i = 0; i + 1 < v.n; i++)
            if (((struct ortb_native_asset *)v.items)[i].id == as->id)
                return nfail(c, "two native assets share an id");
    }
    if (c->j.err) return -1;
    out->assets = v.items;
    out->nassets = v.n;
    return 0;
}

/* The request object; 1.0 wraps it in {"native": {...}}, read once (no deeper). */
static int rd_request(struct nctx *c, struct arena *a, struct ortb_native *out, bool outer)
{
    if (json_peek(&c->j) != JSON_OBJECT) return nfail(c, "the native request is not a JSON object");
    json_obj_begin(&c->j);
    bool seen = false;
    struct sv k;
    while (json_obj_next(&c->j, &k)) {
        int rc;
        if (KEQ(k, "assets")) {
            if (seen) return nfail(c, "native assets given twice");
            seen = true;
            rc = rd_assets(c, a, out);
        } else if (outer && KEQ(k, "native")) {
            if (seen) return nfail(c, "native assets given twice");
            seen = true;
            rc = rd_request(c, a, out, false);
        } else
            rc = json_skip(&c->j);
        if (rc) return -1;
    }
    if (c->j.err) return -1;
    if (outer && !seen) return nfail(c, "the native request has no assets");
    return 0;
}

int native_parse_request(const char *p, size_t n, struct arena *a, struct ortb_native *out)
{
    out->ok = false;
    out->assets = NULL;
    out->nassets = 0;
    if (n > NATIVE_MAX_REQUEST) {
        out->why = "the native request is larger than 16 KiB";
        return -1;
    }
    struct nctx c = {.why = NULL};
    json_init(&c.j, p ? p : "", p ? n : 0, a);
    int rc = rd_request(&c, a, out, true);
    if (!rc && json_finish(&c.j)) rc = -1;
    if (rc || c.j.err) {
        out->assets = NULL;
        out->nassets = 0;
        out->why = c.why ? c.why : c.j.err_msg ? c.j.err_msg : "the native request is not well-formed JSON";
        return -1;
    }
    if (out->nassets == 0) {
        out->why = "the native request has no assets";
        return -1;
    }
    out->ok = true;
    out->why = NULL;
    return 0;
}

static bool img_fits(const struct ortb_native_asset *as, const struct creative_img *im)
{
    if (as->type != ORTB_UNSET && im->type != as->type) return false;
    /* wmin/hmin: at least; w/h alone: exact (Native 1.2, 5.4) */
    bool wmin = as->wmin != ORTB_UNSET && as->wmin > 0, hmin = as->hmin != ORTB_UNSET && as->hmin > 0;
    if (wmin || hmin) { /* a minimum of 0 is no minimum: w/h then stay exact */
        if (wmin && im->w < as->wmin) return false;
        if (hmin && im->h < as->hmin) return false;
        return true;
    }
    if (as->w != ORTB_UNSET && as->w > 0 && im->w != as->w) return false;
    if (as->h != ORTB_UNSET && as->h > 0 && im->h != as->h) return false;
    return true;
}

/* The creative asset that fills request asset as, or -1. */
static int fill(const struct ortb_native_asset *as, const struct creative *cr)
{
    switch (as->kind) {
    case ORTB_ASSET_TITLE:
        if (cr->title.n && (as->len == ORTB_UNSET || as->len == 0 || cr->title.n <= (size_t)as->len))
            return 0;
        return -1;
    case ORTB_ASSET_IMG:
        for (uint32_t i = 0; i < cr->nimgs; i++)
            if (img_fits(as, &cr->imgs[i])) return (int)(1 + i);
        return -1;
    case ORTB_ASSET_DATA:
        if (as->type == ORTB_UNSET) return -1; /* type is required for data: we cannot know what to say */
        for (uint32_t i = 0; i < cr->ndata; i++)
            if (cr->data[i].type == as->type &&
                (as->len == ORTB_UNSET || as->len == 0 || cr->data[i].value.n <= (size_t)as->len))
                return (int)(1 + cr->nimgs + i);
        return -1;
    default: /* video assets: native video is not served */
        return -1;
    }
}

int native_match(const struct ortb_native *rq, const struct creative *cr, int16_t *map, uint32_t *bad)
{
    if (!rq->ok) return REASON_MATCH_NATIVE_REQUEST;
    int r = REASON_BID;
    for (uint32_t i = 0; i < rq->nassets; i++) {
        int f = fill(&rq->assets[i], cr);
        if (map) map[i] = (int16_t)f;
        if (f < 0 && rq->assets[i].required && r == REASON_BID) {
            r = REASON_MATCH_NATIVE_ASSET;
            if (bad) *bad = i;
            if (!map) return r;
        }
    }
    return r;
}

void native_write_response(struct buf *b, const struct ortb_native *rq, const struct creative *cr)
{
    buf_puts(b, "{\"ver\":\"1.2\",\"assets\":[");
    bool first = true;
    for (uint32_t i = 0; i < rq->nassets; i++) {
        const struct ortb_native_asset *as = &rq->assets[i];
        int f = fill(as, cr);
        if (f < 0) continue;
        if (!first) buf_putc(b, ',');
        first = false;
        buf_puts(b, "{\"id\":");
        buf_put_i64(b, as->id);
        if (as->required) buf_puts(b, ",\"required\":1");
        if (as->kind == ORTB_ASSET_TITLE) {
            buf_puts(b, ",\"title\":{\"text\":");
            buf_put_json_str(b, cr->title);
            buf_puts(b, "}}");
        } else if (as->kind == ORTB_ASSET_IMG) {
            const struct creative_img *im = &cr->imgs[f - 1];
            buf_puts(b, ",\"img\":{\"url\":");
            buf_put_json_str(b, im->url);
            if (im->type) {
                buf_puts(b, ",\"type\":");
                buf_put_i64(b, im->type);
            }
            buf_puts(b, ",\"w\":");
            buf_put_i64(b, im->w);
            buf_puts(b, ",\"h\":");
            buf_put_i64(b, im->h);
            buf_puts(b, "}}");
        } else {
            const struct creative_data *d = &cr->data[f - 1 - (int)cr->nimgs];
            buf_puts(b, ",\"data\":{\"type\":");
            buf_put_i64(b, d->type);
            buf_puts(b, ",\"value\":");
            buf_put_json_str(b, d->value);
            buf_puts(b, "}}");
        }
    }
    buf_puts(b, "],\"link\":{\"url\":");
    buf_put_json_str(b, cr->link);
    buf_putc(b, '}');
    if (cr->imptrackers.n) {
        buf_puts(b, ",\"imptrackers\":[");
        for (uint32_t i = 0; i < cr->imptrackers.n; i++) {
            if (i) buf_putc(b, ',');
            buf_put_json_str(b, cr->imptrackers.v[i]);
        }
        buf_putc(b, ']');
    }
    buf_putc(b, '}');
}
