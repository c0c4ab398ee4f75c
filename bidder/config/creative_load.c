/* creative_load: "creatives" and "fx" of the config. See creative_load.h. */
#include "bidder/config/creative_load.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct ld {
    struct json *j;
    struct arena *a;
    struct cl_err *e;
    char where[64]; /* "creatives[2] (video)" */
};

static size_t off(const struct ld *l)
{
    return (size_t)(l->j->p - l->j->start);
}

static int err(struct ld *l, size_t at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int err(struct ld *l, size_t at, const char *key, const char *fmt, ...)
{
    l->e->off = at;
    int n = snprintf(l->e->msg, sizeof l->e->msg, "%s: key \"%s\": ", l->where, key);
    if (n < 0 || (size_t)n >= sizeof l->e->msg) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->e->msg + n, sizeof l->e->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int jerr(struct ld *l, const char *key)
{
    return err(l, l->j->err_off, key, "%s", l->j->err_msg ? l->j->err_msg : "malformed JSON");
}

static int rd_str(struct ld *l, struct sv *out, const char *key)
{
    size_t at = off(l);
    if (json_peek(l->j) != JSON_STRING) return err(l, at, key, "must be a string");
    if (json_string(l->j, out)) return jerr(l, key);
    if (!out->p) out->p = "";
    return 0;
}

static int rd_int(struct ld *l, int32_t *out, const char *key, int64_t min, int64_t max)
{
    size_t at = off(l);
    int64_t v;
    if (json_peek(l->j) != JSON_NUMBER || json_int(l->j, &v)) return err(l, at, key, "must be an integer");
    if (v < min || v > max)
        return err(l, at, key, "must be between %lld and %lld", (long long)min, (long long)max);
    *out = (int32_t)v;
    return 0;
}

static int rd_strs(struct ld *l, struct ortb_list *out, const char *key)
{
    size_t at = off(l);
    if (json_peek(l->j) != JSON_ARRAY) return err(l, at, key, "must be an array of strings");
    struct arena_vec v = {.max = 1024};
    json_arr_begin(l->j);
    while (json_arr_next(l->j)) {
        size_t eat = off(l);
        struct sv *s = arena_vec_push(l->a, &v, sizeof *s, _Alignof(struct sv));
        if (!s) return err(l, eat, key, "too many entries (limit 1024)");
        if (json_peek(l->j) != JSON_STRING) return err(l, eat, key, "must be an array of strings");
        if (json_string(l->j, s)) return jerr(l, key);
        if (s->n == 0) return err(l, eat, key, "entries must not be empty");
    }
    if (l->j->err) return jerr(l, key);
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int rd_ints(struct ld *l, int32_t **out, uint32_t *n, const char *key, int64_t min, int64_t max)
{
    size_t at = off(l);
    if (json_peek(l->j) != JSON_ARRAY) return err(l, at, key, "must be an array of integers");
    struct arena_vec v = {.max = 64};
    json_arr_begin(l->j);
    while (json_arr_next(l->j)) {
        int32_t *x = arena_vec_push(l->a, &v, sizeof *x, _Alignof(int32_t));
        if (!x) return err(l, off(l), key, "too many entries (limit 64)");
        if (rd_int(l, x, key, min, max)) return -1;
    }
    if (l->j->err) return jerr(l, key);
    if (v.n == 0) return err(l, at, key, "must not be empty (leave the key out to accept any)");
    *out = v.items;
    *n = v.n;
    return 0;
}

static int rd_images(struct ld *l, struct creative *cr)
{
    size_t at = off(l);
    if (json_peek(l->j) != JSON_ARRAY)
        return err(l, at, "images", "must be an array of {\"type\", \"w\", \"h\", \"url\"}");
    struct arena_vec v = {.max = CREATIVE_MAX_ASSETS};
    json_arr_begin(l->j);
    while (json_arr_next(l->j)) {
        size_t iat = off(l);
        struct creative_img *im = arena_vec_push(l->a, &v, sizeof *im, _Alignof(struct creative_img));
        if (!im) return err(l, iat, "images", "too many images (limit 32)");
        if (json_peek(l->j) != JSON_OBJECT) return err(l, iat, "images", "entries must be objects");
        json_obj_begin(l->j);
        struct sv k;
        while (json_obj_next(l->j, &k)) {
            int rc;
            if (sv_eq_cstr(k, "type"))
                rc = rd_int(l, &im->type, "images.type", 1, 500);
            else if (sv_eq_cstr(k, "w"))
                rc = rd_int(l, &im->w, "images.w", 1, 100000);
            else if (sv_eq_cstr(k, "h"))
                rc = rd_int(l, &im->h, "images.h", 1, 100000);
            else if (sv_eq_cstr(k, "url"))
                rc = rd_str(l, &im->url, "images.url");
            else
                rc = json_skip(l->j) ? jerr(l, "images") : 0;
            if (rc) return -1;
        }
        if (l->j->err) return jerr(l, "images");
        if (!im->type || !im->w || !im->h || !im->url.n)
            return err(l, iat, "images", "each image needs type (1 icon, 3 main), w, h and url");
    }
    if (l->j->err) return jerr(l, "images");
    cr->imgs = v.items;
    cr->nimgs = v.n;
    return 0;
}

static int rd_data(struct ld *l, struct creative *cr)
{
    size_t at = off(l);
    if (json_peek(l->j) != JSON_ARRAY) return err(l, at, "data", "must be an array of {\"type\", \"value\"}");
    struct arena_vec v = {.max = CREATIVE_MAX_ASSETS};
    json_arr_begin(l->j);
    while (json_arr_next(l->j)) {
        size_t dat = off(l);
        struct creative_data *d = arena_vec_push(l->a, &v, sizeof *d, _Alignof(struct creative_data));
        if (!d) return err(l, dat, "data", "too many data assets (limit 32)");
        if (json_peek(l->j) != JSON_OBJECT) return err(l, dat, "data", "entries must be objects");
        json_obj_begin(l->j);
        struct sv k;
        while (json_obj_next(l->j, &k)) {
            int rc;
            if (sv_eq_cstr(k, "type"))
                rc = rd_int(l, &d->type, "data.type", 1, 500);
            else if (sv_eq_cstr(k, "value"))
                rc = rd_str(l, &d->value, "data.value");
            else
                rc = json_skip(l->j) ? jerr(l, "data") : 0;
            if (rc) return -1;
        }
        if (l->j->err) return jerr(l, "data");
        if (!d->type || !d->value.n)
            return err(l, dat, "data", "each data asset needs type and a non-empty value");
    }
    if (l->j->err) return jerr(l, "data");
    cr->data = v.items;
    cr->ndata = v.n;
    return 0;
}

static const char *const type_names[] = {"", "banner", "video", "audio", "native"};

static int rd_creative(struct ld *l, struct creative *cr, uint32_t index)
{
    size_t at = off(l);
    snprintf(l->where, sizeof l->where, "creatives[%u]", index);
    if (json_peek(l->j) != JSON_OBJECT) return err(l, at, "type", "each creative must be an object");
    /* the type first, so every other key is checked against it */
    {
        struct json probe = *l->j;
        struct sv k, t = SV_NULL;
        json_obj_begin(&probe);
        while (json_obj_next(&probe, &k)) {
            if (sv_eq_cstr(k, "type") && json_peek(&probe) == JSON_STRING) {
                if (json_string(&probe, &t) == 0) break;
            }
            if (json_skip(&probe)) break;
        }
        for (uint8_t i = 1; i <= 4; i++)
            if (t.p && sv_eq_cstr(t, type_names[i])) cr->type = i;
        if (!cr->type)
            return err(l, at, "type", "is required: \"banner\", \"video\", \"audio\" or \"native\"");
    }
    snprintf(l->where, sizeof l->where, "creatives[%u] (%s)", index, type_names[cr->type]);
    bool banner = cr->type == CREATIVE_BANNER, video = cr->type == CREATIVE_VIDEO,
         audio = cr->type == CREATIVE_AUDIO, native = cr->type == CREATIVE_NATIVE;
    bool has_protocols = false;
    cr->linearity = 1;
    json_obj_begin(l->j);
    struct sv k;
    while (json_obj_next(l->j, &k)) {
        size_t kat = off(l);
        int rc;
        if (sv_eq_cstr(k, "type"))
            rc = json_skip(l->j) ? jerr(l, "type") : 0;
        else if (sv_eq_cstr(k, "crid"))
            rc = rd_str(l, &cr->crid, "crid");
        else if (!native && sv_eq_cstr(k, "adm"))
            rc = rd_str(l, &cr->adm, "adm");
        else if (sv_eq_cstr(k, "nurl"))
            rc = rd_str(l, &cr->nurl, "nurl");
        else if ((banner || video) && sv_eq_cstr(k, "w"))
            rc = rd_int(l, &cr->w, "w", 1, 100000);
        else if ((banner || video) && sv_eq_cstr(k, "h"))
            rc = rd_int(l, &cr->h, "h", 1, 100000);
        else if ((video || audio) && sv_eq_cstr(k, "duration_s"))
            rc = rd_int(l, &cr->duration_s, "duration_s", 1, 3600);
        else if ((video || audio) && sv_eq_cstr(k, "mimes"))
            rc = rd_strs(l, &cr->mimes, "mimes");
        else if ((video || audio) && sv_eq_cstr(k, "protocols")) {
            int32_t *p = NULL;
            uint32_t n = 0;
            rc = rd_ints(l, &p, &n, "protocols", 1, 31);
            for (uint32_t i = 0; !rc && i < n; i++) cr->protocols |= 1u << p[i];
            has_protocols = true;
        } else if ((video || audio) && sv_eq_cstr(k, "startdelay"))
            rc = rd_ints(l, &cr->startdelay, &cr->nstartdelay, "startdelay", -2, 0);
        else if (video && sv_eq_cstr(k, "linearity"))
            rc = rd_int(l, &cr->linearity, "linearity", 1, 2);
        else if (video && sv_eq_cstr(k, "skippable")) {
            if (json_bool(l->j, &cr->skippable)) return err(l, kat, "skippable", "must be true or false");
            rc = 0;
        } else if (video && sv_eq_cstr(k, "plcmt"))
            rc = rd_ints(l, &cr->plcmt, &cr->nplcmt, "plcmt", 1, 10);
        else if (video && sv_eq_cstr(k, "placement"))
            rc = rd_ints(l, &cr->placement, &cr->nplacement, "placement", 1, 10);
        else if (native && sv_eq_cstr(k, "title"))
            rc = rd_str(l, &cr->title, "title");
        else if (native && sv_eq_cstr(k, "images"))
            rc = rd_images(l, cr);
        else if (native && sv_eq_cstr(k, "data"))
            rc = rd_data(l, cr);
        else if (native && sv_eq_cstr(k, "link"))
            rc = rd_str(l, &cr->link, "link");
        else if (native && sv_eq_cstr(k, "imptrackers"))
            rc = rd_strs(l, &cr->imptrackers, "imptrackers");
        else {
            char key[48];
            snprintf(key, sizeof key, "%.*s", (int)(k.n > 40 ? 40 : k.n), k.p);
            return err(l, kat, key, "is not a key of a %s creative (docs/formats.md)", type_names[cr->type]);
        }
        if (rc) return -1;
    }
    if (l->j->err) return jerr(l, "creatives");
    if (banner && (!cr->w || !cr->h)) return err(l, at, cr->w ? "h" : "w", "a banner creative needs w and h");
    if (!native && !cr->adm.n && !cr->nurl.n)
        return err(l, at, "adm", "a %s creative needs adm%s or nurl", type_names[cr->type],
                   video   ? " (VAST XML)"
                   : audio ? " (VAST/DAAST XML)"
                           : "");
    if ((video || audio) && !cr->duration_s)
        return err(l, at, "duration_s", "is required (seconds, 1..3600)");
    if ((video || audio) && !cr->mimes.n) return err(l, at, "mimes", "is required (e.g. [\"video/mp4\"])");
    if ((video || audio) && !has_protocols)
        return err(l, at, "protocols", "is required (OpenRTB protocol ids, e.g. [2, 3, 7] for VAST 2, 3, 4)");
    if (video && (cr->w > 0) != (cr->h > 0))
        return err(l, at, cr->w ? "h" : "w", "give both w and h, or neither");
    if (native) {
        if (!cr->link.n) return err(l, at, "link", "is required (the click-through URL)");
        if (!cr->title.n && !cr->nimgs && !cr->ndata)
            return err(l, at, "title", "a native creative needs at least one of title, images, data");
    }
    return 0;
}

int creative_load_list(struct json *j, struct arena *a, struct campaign *c, struct cl_err *e)
{
    struct ld l = {.j = j, .a = a, .e = e};
    snprintf(l.where, sizeof l.where, "creatives");
    size_t at = off(&l);
    if (json_peek(j) != JSON_ARRAY) {
        l.e->off = at;
        snprintf(e->msg, sizeof e->msg, "key \"creatives\": must be an array of {\"type\": ...} objects");
        return -1;
    }
    struct arena_vec v = {.max = CREATIVE_MAX};
    json_arr_begin(j);
    while (json_arr_next(j)) {
        struct creative *cr = arena_vec_push(a, &v, sizeof *cr, _Alignof(struct creative));
        if (!cr) {
            l.e->off = off(&l);
            snprintf(e->msg, sizeof e->msg, "key \"creatives\": too many creatives (limit %d)", CREATIVE_MAX);
            return -1;
        }
        if (rd_creative(&l, cr, v.n - 1)) return -1;
    }
    if (j->err) return jerr(&l, "creatives");
    if (v.n == 0) {
        l.e->off = at;
        snprintf(e->msg, sizeof e->msg, "key \"creatives\": must list at least one creative");
        return -1;
    }
    c->creatives = v.items;
    c->ncreatives = v.n;
    return 0;
}

int creative_load_fx(struct json *j, struct arena *a, const char *currency, struct fx_rate **rates,
                     uint32_t *nrates, struct sv *date, struct cl_err *e)
{
    struct ld l = {.j = j, .a = a, .e = e};
    snprintf(l.where, sizeof l.where, "fx");
    size_t at = off(&l);
    if (json_peek(j) != JSON_OBJECT)
        return err(&l, at, "fx", "must be {\"date\": \"YYYY-MM-DD\", \"rates\": {...}}");
    struct arena_vec v = {.max = 256};
    bool seen_rates = false;
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        size_t kat = off(&l);
        if (sv_eq_cstr(k, "date")) {
            if (rd_str(&l, date, "fx.date")) return -1;
            const char *d = date->p;
            bool ok = date->n == 10 && d[4] == '-' && d[7] == '-';
            for (int i = 0; ok && i < 10; i++) ok = (i == 4 || i == 7) || (d[i] >= '0' && d[i] <= '9');
            if (!ok) return err(&l, kat, "fx.date", "must be a date YYYY-MM-DD (the day the rates are from)");
        } else if (sv_eq_cstr(k, "rates")) {
            seen_rates = true;
            if (json_peek(j) != JSON_OBJECT)
                return err(&l, kat, "fx.rates", "must be an object {\"EUR\": 0.92, ...}");
            json_obj_begin(j);
            struct sv cur;
            while (json_obj_next(j, &cur)) {
                size_t cat = off(&l);
                bool iso = cur.n == 3;
                for (size_t i = 0; iso && i < 3; i++) iso = cur.p[i] >= 'A' && cur.p[i] <= 'Z';
                if (!iso)
                    return err(&l, cat, "fx.rates", "currency codes must be 3 upper-case letters (ISO 4217)");
                double r;
                if (json_peek(j) != JSON_NUMBER || json_double(j, &r) || !(r > 0) || r > 1e9)
                    return err(&l, cat, "fx.rates",
                               "%.3s: the rate must be a number above 0 (units of %.3s per one unit of the "
                               "bidding currency)",
                               cur.p, cur.p);
                if (currency && strncmp(cur.p, currency, 3) == 0 && (r < 0.999999 || r > 1.000001))
                    return err(&l, cat, "fx.rates", "%s is the bidding currency: its rate can only be 1",
                               currency);
                for (uint32_t i = 0; i < v.n; i++)
                    if (memcmp(((struct fx_rate *)v.items)[i].cur, cur.p, 3) == 0)
                        return err(&l, cat, "fx.rates", "%.3s is given twice", cur.p);
                struct fx_rate *fr = arena_vec_push(a, &v, sizeof *fr, _Alignof(struct fx_rate));
                if (!fr) return err(&l, cat, "fx.rates", "too many currencies (limit 256)");
                memcpy(fr->cur, cur.p, 3);
                fr->rate = r;
            }
            if (j->err) return jerr(&l, "fx.rates");
        } else {
            return err(&l, kat, "fx", "unknown key (\"date\" and \"rates\")");
        }
    }
    if (j->err) return jerr(&l, "fx");
    if (!seen_rates) return err(&l, at, "fx.rates", "is required");
    if (!date->n) return err(&l, at, "fx.date", "is required: rates go stale, say which day they are from");
    *rates = v.items;
    *nrates = v.n;
    return 0;
}

int creative_check_campaign(const struct campaign *c, struct cl_err *e)
{
    if (c->deal_only && c->deals.n == 0) {
        snprintf(e->msg, sizeof e->msg, "key \"deal_only\": a deal-only campaign must list its \"deals\"");
        return -1;
    }
    return 0;
}

size_t creative_json_need(const struct campaign *c)
{
    size_t need = 0;
    for (uint32_t k = 0; k < c->ncreatives; k++)
        need += 6 * (c->creatives[k].crid.n + c->creatives[k].adm.n + c->creatives[k].nurl.n) + 24;
    return need;
}
