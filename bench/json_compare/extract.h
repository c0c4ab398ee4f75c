/* extract: the field extraction of the parser comparison, written once and instantiated per library, so every
 * tree-building parser walks its tree the same way ortb_parse walks the text: one pass over each object's
 * keys, matching the few names fairbid reads and ignoring the rest.
 *
 * The includer defines, before including:
 *   FX_NODE                 the library's value handle
 *   FX_PFX(name)            name mangling for this instance (e.g. cjson_##name)
 *   FX_OBJ_FOR(n, k, v) ... FX_OBJ_END   iterate an object: k a struct fx_sv key, v an FX_NODE value
 *   FX_ARR_FOR(n, v) ... FX_ARR_END      iterate an array
 *   FX_IS_OBJ/ARR/STR/NUM(v), FX_STR(v) -> struct fx_sv, FX_DBL(v) -> double, FX_I32(v) -> int32_t
 * Each function nests at most one object loop inside one array loop, so the macros' hidden loop variables
 * never shadow each other. The code is plain C that C++ also compiles (the simdjson shim includes it too). */

#include <string.h>
#include "bench/json_compare/fields.h"

#ifndef FX_KEQ
#define FX_KEQ(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, (lit), sizeof(lit) - 1) == 0)
#endif

static inline void FX_PFX(str)(FX_NODE v, struct fx_sv *out)
{
    if (FX_IS_STR(v)) *out = FX_STR(v);
}

static inline void FX_PFX(i32)(FX_NODE v, int32_t *out)
{
    if (FX_IS_NUM(v)) *out = FX_I32(v);
}

/* Privacy flags may arrive as 1 or "1". */
static inline void FX_PFX(flag)(FX_NODE v, int32_t *out)
{
    if (FX_IS_NUM(v)) {
        *out = FX_I32(v);
    } else if (FX_IS_STR(v)) {
        struct fx_sv s = FX_STR(v);
        if (s.n == 1 && (s.p[0] == '0' || s.p[0] == '1')) *out = s.p[0] - '0';
    }
}

static inline int FX_PFX(list)(FX_NODE n, struct fx_list *l)
{
    if (!FX_IS_ARR(n)) return 0;
    FX_ARR_FOR(n, v)
    {
        if (l->n >= FX_MAX_LIST || !FX_IS_STR(v)) return -1;
        l->v[l->n++] = FX_STR(v);
    }
    FX_ARR_END
    return 0;
}

static inline int FX_PFX(format)(FX_NODE n, struct fx_imp *imp)
{
    if (!FX_IS_ARR(n)) return 0;
    FX_ARR_FOR(n, f)
    {
        if (imp->nfmt >= FX_MAX_FMT) return -1;
        int32_t w = FX_UNSET, h = FX_UNSET;
        if (FX_IS_OBJ(f)) {
            FX_OBJ_FOR(f, k, v)
            {
                if (FX_KEQ(k, "w"))
                    FX_PFX(i32)(v, &w);
                else if (FX_KEQ(k, "h"))
                    FX_PFX(i32)(v, &h);
            }
            FX_OBJ_END
        }
        imp->fw[imp->nfmt] = w;
        imp->fh[imp->nfmt] = h;
        imp->nfmt++;
    }
    FX_ARR_END
    return 0;
}

static inline int FX_PFX(banner)(FX_NODE n, struct fx_imp *imp)
{
    if (!FX_IS_OBJ(n)) return 0;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "w"))
            FX_PFX(i32)(v, &imp->w);
        else if (FX_KEQ(k, "h"))
            FX_PFX(i32)(v, &imp->h);
        else if (FX_KEQ(k, "format") && FX_PFX(format)(v, imp))
            return -1;
    }
    FX_OBJ_END
    return 0;
}

static inline int FX_PFX(imp)(FX_NODE n, struct fx_imp *imp)
{
    if (!FX_IS_OBJ(n)) return -1;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "id"))
            FX_PFX(str)(v, &imp->id);
        else if (FX_KEQ(k, "banner")) {
            if (FX_PFX(banner)(v, imp)) return -1;
        } else if (FX_KEQ(k, "bidfloor")) {
            if (FX_IS_NUM(v)) imp->bidfloor = FX_DBL(v);
        } else if (FX_KEQ(k, "bidfloorcur"))
            FX_PFX(str)(v, &imp->bidfloorcur);
    }
    FX_OBJ_END
    return 0;
}

static inline int FX_PFX(imps)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_ARR(n)) return -1;
    FX_ARR_FOR(n, v)
    {
        if (r->nimp >= FX_MAX_IMP || FX_PFX(imp)(v, &r->imp[r->nimp])) return -1;
        r->nimp++;
    }
    FX_ARR_END
    return 0;
}

static inline void FX_PFX(publisher)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "id")) FX_PFX(str)(v, &r->publisher_id);
    }
    FX_OBJ_END
}

static inline int FX_PFX(site)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return 0;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "id"))
            FX_PFX(str)(v, &r->site_id);
        else if (FX_KEQ(k, "domain"))
            FX_PFX(str)(v, &r->domain);
        else if (FX_KEQ(k, "bundle"))
            FX_PFX(str)(v, &r->bundle);
        else if (FX_KEQ(k, "cat")) {
            if (FX_PFX(list)(v, &r->cat)) return -1;
        } else if (FX_KEQ(k, "publisher"))
            FX_PFX(publisher)(v, r);
    }
    FX_OBJ_END
    return 0;
}

static inline void FX_PFX(geo)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "country"))
            FX_PFX(str)(v, &r->country);
        else if (FX_KEQ(k, "lat") && FX_IS_NUM(v)) {
            r->lat = FX_DBL(v);
            r->has_lat = true;
        } else if (FX_KEQ(k, "lon") && FX_IS_NUM(v)) {
            r->lon = FX_DBL(v);
            r->has_lon = true;
        }
    }
    FX_OBJ_END
}

static inline void FX_PFX(device)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "ua"))
            FX_PFX(str)(v, &r->ua);
        else if (FX_KEQ(k, "ip"))
            FX_PFX(str)(v, &r->ip);
        else if (FX_KEQ(k, "geo"))
            FX_PFX(geo)(v, r);
    }
    FX_OBJ_END
}

static inline int FX_PFX(segments)(FX_NODE n, struct fx_list *l)
{
    if (!FX_IS_ARR(n)) return 0;
    FX_ARR_FOR(n, s)
    {
        if (!FX_IS_OBJ(s)) continue;
        FX_OBJ_FOR(s, k, v)
        {
            if (FX_KEQ(k, "id")) {
                if (l->n >= FX_MAX_LIST) return -1;
                FX_PFX(str)(v, &l->v[l->n++]);
            }
        }
        FX_OBJ_END
    }
    FX_ARR_END
    return 0;
}

static inline void FX_PFX(data_ext)(FX_NODE n, struct fx_data *d)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "segtax")) FX_PFX(i32)(v, &d->segtax);
    }
    FX_OBJ_END
}

static inline int FX_PFX(data)(FX_NODE n, struct fx_data *d)
{
    if (!FX_IS_OBJ(n)) return 0;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "ext"))
            FX_PFX(data_ext)(v, d);
        else if (FX_KEQ(k, "segment") && FX_PFX(segments)(v, &d->seg))
            return -1;
    }
    FX_OBJ_END
    return 0;
}

static inline int FX_PFX(datas)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_ARR(n)) return 0;
    FX_ARR_FOR(n, v)
    {
        if (r->ndata >= FX_MAX_DATA || FX_PFX(data)(v, &r->data[r->ndata])) return -1;
        r->ndata++;
    }
    FX_ARR_END
    return 0;
}

static inline void FX_PFX(user_ext)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "consent")) FX_PFX(str)(v, &r->ext_consent);
    }
    FX_OBJ_END
}

static inline int FX_PFX(user)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return 0;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "id"))
            FX_PFX(str)(v, &r->user_id);
        else if (FX_KEQ(k, "buyeruid"))
            FX_PFX(str)(v, &r->buyeruid);
        else if (FX_KEQ(k, "yob"))
            FX_PFX(i32)(v, &r->yob);
        else if (FX_KEQ(k, "gender"))
            FX_PFX(str)(v, &r->gender);
        else if (FX_KEQ(k, "consent"))
            FX_PFX(str)(v, &r->consent);
        else if (FX_KEQ(k, "data")) {
            if (FX_PFX(datas)(v, r)) return -1;
        } else if (FX_KEQ(k, "ext"))
            FX_PFX(user_ext)(v, r);
    }
    FX_OBJ_END
    return 0;
}

static inline void FX_PFX(regs_ext)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "gpc"))
            FX_PFX(flag)(v, &r->gpc);
        else if (FX_KEQ(k, "dsa"))
            r->dsa = true;
    }
    FX_OBJ_END
}

static inline int FX_PFX(gpp_sid)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_ARR(n)) return 0;
    FX_ARR_FOR(n, v)
    {
        if (r->ngpp_sid >= FX_MAX_LIST || !FX_IS_NUM(v)) return -1;
        r->gpp_sid[r->ngpp_sid++] = FX_I32(v);
    }
    FX_ARR_END
    return 0;
}

static inline int FX_PFX(regs)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return 0;
    FX_OBJ_FOR(n, k, v)
    {
        if (FX_KEQ(k, "coppa"))
            FX_PFX(i32)(v, &r->coppa);
        else if (FX_KEQ(k, "gdpr"))
            FX_PFX(i32)(v, &r->gdpr);
        else if (FX_KEQ(k, "us_privacy"))
            FX_PFX(str)(v, &r->us_privacy);
        else if (FX_KEQ(k, "gpp"))
            FX_PFX(str)(v, &r->gpp);
        else if (FX_KEQ(k, "gpp_sid")) {
            if (FX_PFX(gpp_sid)(v, r)) return -1;
        } else if (FX_KEQ(k, "ext"))
            FX_PFX(regs_ext)(v, r);
    }
    FX_OBJ_END
    return 0;
}

static inline int FX_PFX(request)(FX_NODE n, struct fx_req *r)
{
    if (!FX_IS_OBJ(n)) return -1;
    FX_OBJ_FOR(n, k, v)
    {
        int rc = 0;
        if (FX_KEQ(k, "id"))
            FX_PFX(str)(v, &r->id);
        else if (FX_KEQ(k, "tmax"))
            FX_PFX(i32)(v, &r->tmax);
        else if (FX_KEQ(k, "at"))
            FX_PFX(i32)(v, &r->at);
        else if (FX_KEQ(k, "cur"))
            rc = FX_PFX(list)(v, &r->cur);
        else if (FX_KEQ(k, "bcat"))
            rc = FX_PFX(list)(v, &r->bcat);
        else if (FX_KEQ(k, "badv"))
            rc = FX_PFX(list)(v, &r->badv);
        else if (FX_KEQ(k, "imp"))
            rc = FX_PFX(imps)(v, r);
        else if (FX_KEQ(k, "site") || FX_KEQ(k, "app"))
            rc = FX_PFX(site)(v, r);
        else if (FX_KEQ(k, "device"))
            FX_PFX(device)(v, r);
        else if (FX_KEQ(k, "user"))
            rc = FX_PFX(user)(v, r);
        else if (FX_KEQ(k, "regs"))
            rc = FX_PFX(regs)(v, r);
        if (rc) return -1;
    }
    FX_OBJ_END
    return r->id.p && r->nimp > 0 ? 0 : -1;
}
