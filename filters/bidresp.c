/* bidresp: see bidresp.h. */
#include "filters/bidresp.h"

#include <math.h>
#include <string.h>

#include "filters/classes.h"
#include "filters/json.h"
#include "filters/policy.h"
#include "filters/reasons.h"

/* ---- parse ---- */

struct pc {
    struct json j;
    struct bidresp *r;
    struct bidresp_error *err;
    int code;
};

static int fail(struct pc *c, int code, const char *msg, const char *field)
{
    if (c->code) return c->code;
    c->code = code;
    c->err->code = code;
    c->err->msg = msg;
    c->err->field = field;
    c->err->offset = (size_t)(c->j.p - c->j.start);
    json_fail(&c->j, JSON_ETYPE, msg); /* stops the walk */
    return code;
}

/* A key once per object: bit i of *seen for the i-th known key. A key written with escapes is refused: the
 * exchange would decode it to a name this reader might not have matched. */
static bool once(struct pc *c, uint32_t *seen, int bit, struct sv key, const char *field)
{
    (void)key;
    if (*seen & (1u << bit)) {
        fail(c, BIDRESP_EDUP, "a key is given twice", field);
        return false;
    }
    *seen |= 1u << bit;
    return true;
}

static bool has_escape(struct sv k)
{
    return memchr(k.p, '\\', k.n) != NULL;
}

static int rd_str(struct pc *c, struct sv *out, const char *field)
{
    if (json_peek(&c->j) != JSON_STRING) return fail(c, BIDRESP_ESHAPE, "expected a string", field);
    if (json_string(&c->j, out)) return fail(c, BIDRESP_EJSON, "malformed string", field);
    return 0;
}

static int rd_int(struct pc *c, int32_t *out, const char *field)
{
    int64_t v;
    if (json_peek(&c->j) != JSON_NUMBER) return fail(c, BIDRESP_ESHAPE, "expected an integer", field);
    if (json_int(&c->j, &v) || v < INT32_MIN + 1 || v > INT32_MAX)
        return fail(c, BIDRESP_ESHAPE, "expected an integer in range", field);
    *out = (int32_t)v;
    return 0;
}

static int rd_strs(struct pc *c, struct sv *v, uint32_t *n, uint32_t max, const char *field)
{
    if (json_peek(&c->j) != JSON_ARRAY) return fail(c, BIDRESP_ESHAPE, "expected an array of strings", field);
    json_arr_begin(&c->j);
    while (json_arr_next(&c->j)) {
        if (*n >= max) return fail(c, BIDRESP_ELIMIT, "more entries than fairbid checks", field);
        if (rd_str(c, &v[*n], field)) return c->code;
        (*n)++;
    }
    return c->j.err ? fail(c, BIDRESP_EJSON, "malformed array", field) : 0;
}

static int rd_ints(struct pc *c, int32_t *v, uint32_t *n, uint32_t max, const char *field)
{
    if (json_peek(&c->j) != JSON_ARRAY)
        return fail(c, BIDRESP_ESHAPE, "expected an array of integers", field);
    json_arr_begin(&c->j);
    while (json_arr_next(&c->j)) {
        if (*n >= max) return fail(c, BIDRESP_ELIMIT, "more entries than fairbid checks", field);
        if (rd_int(c, &v[*n], field)) return c->code;
        (*n)++;
    }
    return c->j.err ? fail(c, BIDRESP_EJSON, "malformed array", field) : 0;
}

enum {
    K_ID,
    K_IMPID,
    K_PRICE,
    K_ADID,
    K_ADM,
    K_NURL,
    K_BURL,
    K_LURL,
    K_CID,
    K_CRID,
    K_DEALID,
    K_BUNDLE,
    K_IURL,
    K_ADOMAIN,
    K_CAT,
    K_CATTAX,
    K_ATTR,
    K_MTYPE,
    K_W,
    K_H,
    K__N
};

/* The K_* of a bid's key, -1 for an unknown one: by length, then the few names of that length compared as
 * fixed-size words (no walk over every name). */
static int bid_key(struct sv k)
{
    const char *p = k.p;
#define IS(lit) (!memcmp(p, lit, sizeof lit - 1))
    switch (k.n) {
    case 1:
        return p[0] == 'w' ? K_W : p[0] == 'h' ? K_H : -1;
    case 2:
        return IS("id") ? K_ID : -1;
    case 3:
        return IS("adm") ? K_ADM : IS("cid") ? K_CID : IS("cat") ? K_CAT : -1;
    case 4:
        return IS("adid")   ? K_ADID
               : IS("nurl") ? K_NURL
               : IS("burl") ? K_BURL
               : IS("lurl") ? K_LURL
               : IS("crid") ? K_CRID
               : IS("iurl") ? K_IURL
               : IS("attr") ? K_ATTR
                            : -1;
    case 5:
        return IS("impid") ? K_IMPID : IS("price") ? K_PRICE : IS("mtype") ? K_MTYPE : -1;
    case 6:
        return IS("dealid") ? K_DEALID : IS("bundle") ? K_BUNDLE : IS("cattax") ? K_CATTAX : -1;
    case 7:
        return IS("adomain") ? K_ADOMAIN : -1;
    default:
        return -1;
    }
#undef IS
}

static int parse_bid(struct pc *c, struct bidresp_bid *b)
{
    struct json *j = &c->j;
    if (json_peek(j) != JSON_OBJECT) return fail(c, BIDRESP_ESHAPE, "a bid is not an object", "seatbid.bid");
    const char *start = j->p;
    b->cattax = b->mtype = b->w = b->h = ORTB_UNSET;
    uint32_t seen = 0;
    struct sv k;
    json_obj_begin(j);
    while (json_obj_next(j, &k)) {
        if (has_escape(k)) return fail(c, BIDRESP_ESHAPE, "a key written with escapes", "seatbid.bid");
        int ki = bid_key(k);
        if (ki < 0) {
            if (json_skip(j)) break;
            continue;
        }
        if (!once(c, &seen, ki, k, "seatbid.bid")) return c->code;
        if (json_peek(j) == JSON_NULL) {
            /* null is absent; nurl/burl given as null stay absent */
            json_null(j);
            continue;
        }
        const char *vstart = j->p;
        int rc = 0;
        switch (ki) {
        case K_ID:
            rc = rd_str(c, &b->id, "seatbid.bid.id");
            break;
        case K_IMPID:
            rc = rd_str(c, &b->impid, "seatbid.bid.impid");
            break;
        case K_PRICE:
            if (json_peek(j) != JSON_NUMBER || json_double(j, &b->price))
                return fail(c, BIDRESP_ESHAPE, "expected a number", "seatbid.bid.price");
            b->has_price = true;
            b->price_raw = (struct sv){vstart, (size_t)(j->p - vstart)};
            break;
        case K_ADID:
            rc = rd_str(c, &b->adid, "seatbid.bid.adid");
            break;
        case K_ADM:
            rc = rd_str(c, &b->adm, "seatbid.bid.adm");
            break;
        case K_NURL:
            rc = rd_str(c, &b->nurl, "seatbid.bid.nurl");
            b->nurl_raw = (struct sv){vstart, (size_t)(j->p - vstart)};
            break;
        case K_BURL:
            rc = rd_str(c, &b->burl, "seatbid.bid.burl");
            b->burl_raw = (struct sv){vstart, (size_t)(j->p - vstart)};
            break;
        case K_LURL:
            rc = rd_str(c, &b->lurl, "seatbid.bid.lurl");
            break;
        case K_CID:
            rc = rd_str(c, &b->cid, "seatbid.bid.cid");
            break;
        case K_CRID:
            rc = rd_str(c, &b->crid, "seatbid.bid.crid");
            break;
        case K_DEALID:
            rc = rd_str(c, &b->dealid, "seatbid.bid.dealid");
            break;
        case K_BUNDLE:
            rc = rd_str(c, &b->bundle, "seatbid.bid.bundle");
            break;
        case K_IURL:
            rc = rd_str(c, &b->iurl, "seatbid.bid.iurl");
            break;
        case K_ADOMAIN:
            rc = rd_strs(c, b->adomain, &b->nadomain, BIDRESP_MAX_ADOMAIN, "seatbid.bid.adomain");
            break;
        case K_CAT:
            rc = rd_strs(c, b->cat, &b->ncat, BIDRESP_MAX_CAT, "seatbid.bid.cat");
            break;
        case K_CATTAX:
            rc = rd_int(c, &b->cattax, "seatbid.bid.cattax");
            break;
        case K_ATTR:
            rc = rd_ints(c, b->attr, &b->nattr, BIDRESP_MAX_ATTR, "seatbid.bid.attr");
            break;
        case K_MTYPE:
            rc = rd_int(c, &b->mtype, "seatbid.bid.mtype");
            break;
        case K_W:
            rc = rd_int(c, &b->w, "seatbid.bid.w");
            break;
        case K_H:
            rc = rd_int(c, &b->h, "seatbid.bid.h");
            break;
        }
        if (rc) return rc;
    }
    if (j->err) return c->code ? c->code : fail(c, BIDRESP_EJSON, "malformed bid", "seatbid.bid");
    b->raw = (struct sv){start, (size_t)(j->p - start)};
    if (!b->id.n) return fail(c, BIDRESP_EREQUIRED, "a bid without an id", "seatbid.bid.id");
    if (!b->impid.n) return fail(c, BIDRESP_EREQUIRED, "a bid without an impid", "seatbid.bid.impid");
    if (!b->has_price) return fail(c, BIDRESP_EREQUIRED, "a bid without a price", "seatbid.bid.price");
    return 0;
}

static int parse_seatbid(struct pc *c)
{
    struct json *j = &c->j;
    struct bidresp *r = c->r;
    if (json_peek(j) != JSON_OBJECT) return fail(c, BIDRESP_ESHAPE, "a seatbid is not an object", "seatbid");
    if (r->nseat >= BIDRESP_MAX_SEATBID) return fail(c, BIDRESP_ELIMIT, "too many seatbids", "seatbid");
    uint32_t si = r->nseat++;
    struct bidresp_seat *s = &r->seat[si];
    s->first = r->nbid;
    uint32_t seen = 0;
    struct sv k;
    json_obj_begin(j);
    while (json_obj_next(j, &k)) {
        if (has_escape(k)) return fail(c, BIDRESP_ESHAPE, "a key written with escapes", "seatbid");
        if (sv_eq_cstr(k, "seat")) {
            if (!once(c, &seen, 0, k, "seatbid.seat")) return c->code;
            if (rd_str(c, &s->seat, "seatbid.seat")) return c->code;
        } else if (sv_eq_cstr(k, "bid")) {
            if (!once(c, &seen, 1, k, "seatbid.bid")) return c->code;
            if (json_peek(j) != JSON_ARRAY)
                return fail(c, BIDRESP_ESHAPE, "seatbid.bid is not an array", "seatbid.bid");
            json_arr_begin(j);
            while (json_arr_next(j)) {
                if (r->nbid >= BIDRESP_MAX_BID)
                    return fail(c, BIDRESP_ELIMIT, "too many bids", "seatbid.bid");
                struct bidresp_bid *b = &r->bid[r->nbid];
                memset(b, 0, sizeof *b);
                if (parse_bid(c, b)) return c->code;
                b->seat = si;
                r->nbid++;
                s->n++;
            }
        } else if (json_skip(j)) {
            break;
        }
    }
    return j->err ? (c->code ? c->code : fail(c, BIDRESP_EJSON, "malformed seatbid", "seatbid")) : 0;
}

int bidresp_parse(const char *body, size_t len, struct arena *a, struct bidresp *r, struct bidresp_error *err)
{
    struct pc c = {.r = r, .err = err};
    memset(r, 0, offsetof(struct bidresp, bid)); /* the bids are zeroed one by one as they come */
    r->nbid = 0;
    r->nbr = ORTB_UNSET;
    memset(err, 0, sizeof *err);
    json_init(&c.j, body, len, a);
    struct json *j = &c.j;
    if (json_peek(j) != JSON_OBJECT) {
        if (!j->err) return fail(&c, BIDRESP_ESHAPE, "the body is not a JSON object", NULL);
        goto json_err;
    }
    uint32_t seen = 0;
    struct sv k;
    json_obj_begin(j);
    while (json_obj_next(j, &k)) {
        if (has_escape(k)) return fail(&c, BIDRESP_ESHAPE, "a key written with escapes", NULL);
        if (sv_eq_cstr(k, "id")) {
            if (!once(&c, &seen, 0, k, "id") || rd_str(&c, &r->id, "id")) return c.code;
        } else if (sv_eq_cstr(k, "bidid")) {
            if (!once(&c, &seen, 1, k, "bidid") || rd_str(&c, &r->bidid, "bidid")) return c.code;
        } else if (sv_eq_cstr(k, "cur")) {
            if (!once(&c, &seen, 2, k, "cur") || rd_str(&c, &r->cur, "cur")) return c.code;
        } else if (sv_eq_cstr(k, "customdata")) {
            if (!once(&c, &seen, 3, k, "customdata") || rd_str(&c, &r->customdata, "customdata"))
                return c.code;
        } else if (sv_eq_cstr(k, "nbr")) {
            if (!once(&c, &seen, 4, k, "nbr") || rd_int(&c, &r->nbr, "nbr")) return c.code;
        } else if (sv_eq_cstr(k, "seatbid")) {
            if (!once(&c, &seen, 5, k, "seatbid")) return c.code;
            if (json_peek(j) != JSON_ARRAY)
                return fail(&c, BIDRESP_ESHAPE, "seatbid is not an array", "seatbid");
            json_arr_begin(j);
            while (json_arr_next(j))
                if (parse_seatbid(&c)) return c.code;
        } else if (json_skip(j)) {
            break;
        }
    }
    if (c.code) return c.code;
    json_finish(j);
    if (j->err) goto json_err;
    if (!r->id.n) return fail(&c, BIDRESP_EREQUIRED, "the response has no id", "id");
    return 0;
json_err:
    if (c.code) return c.code;
    c.code = j->err == JSON_ENOMEM ? BIDRESP_ENOMEM : BIDRESP_EJSON;
    err->code = c.code;
    err->msg = j->err_msg ? j->err_msg : "malformed JSON";
    err->field = NULL;
    err->offset = j->err_off;
    return c.code;
}

const char *bidresp_strerror(int code)
{
    switch (code) {
    case BIDRESP_OK:
        return "ok";
    case BIDRESP_EJSON:
        return "not well-formed JSON";
    case BIDRESP_ESHAPE:
        return "not a BidResponse (a field of the wrong type)";
    case BIDRESP_EREQUIRED:
        return "a required field is missing";
    case BIDRESP_EDUP:
        return "a key is given twice";
    case BIDRESP_ELIMIT:
        return "more entries than fairbid checks";
    case BIDRESP_ENOMEM:
        return "out of response memory";
    default:
        return "unknown error";
    }
}

/* ---- checks ---- */

static const struct sv sp_housing[] = {SV_LIT("1482"), SV_LIT("1483"), SV_LIT("1484"),
                                       SV_LIT("1485"), SV_LIT("1486"), SV_LIT("1348")};
static const struct sv sp_employment[] = {SV_LIT("1301")};
static const struct sv sp_credit[] = {SV_LIT("1338"), SV_LIT("1339"), SV_LIT("1349")};

const struct bidresp_special bidresp_special_builtin[] = {
    {8, {(struct sv *)sp_housing, 6}, BIDRESP_SPECIAL_HOUSING},
    {8, {(struct sv *)sp_employment, 1}, BIDRESP_SPECIAL_EMPLOYMENT},
    {8, {(struct sv *)sp_credit, 3}, BIDRESP_SPECIAL_CREDIT},
};
const uint32_t bidresp_special_builtin_n = 3;

static bool list_has(const struct ortb_list *l, struct sv s)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (sv_eq(l->v[i], s)) return true;
    return false;
}

/* badv entry b blocks domain d when d is b or a subdomain of it (as for campaigns, filters/decide.c). */
static bool domain_blocked(struct sv d, struct sv b)
{
    if (b.n == 0 || d.n < b.n) return false;
    struct sv tail = {d.p + d.n - b.n, b.n};
    if (!sv_ieq(tail, b)) return false;
    return d.n == b.n || d.p[d.n - b.n - 1] == '.';
}

static struct sv resp_cur(const struct bidresp *r)
{
    return r->cur.n ? r->cur : SV_LIT("USD"); /* OpenRTB 2.6 §4.2.1: default USD */
}

int bidresp_check_response(const struct bidresp_ctx *ctx, const struct bidresp *r)
{
    return sv_eq(r->id, ctx->req->id) ? REASON_BID : REASON_RESPONSE_ID;
}

int bidresp_special_of(const struct bidresp_ctx *ctx, const struct bidresp_bid *b)
{
    int32_t tax = b->cattax == ORTB_UNSET ? 1 : b->cattax;
    for (int pass = 0; pass < 2; pass++) {
        const struct bidresp_special *m = pass ? bidresp_special_builtin : ctx->special;
        uint32_t n = pass ? bidresp_special_builtin_n : ctx->nspecial;
        for (uint32_t i = 0; m && i < n; i++) {
            if (m[i].cattax > 0 && m[i].cattax != tax) continue; /* 0: any taxonomy */
            for (uint32_t c = 0; c < b->ncat; c++)
                if (policy_id_in(m[i].cats.v, m[i].cats.n, b->cat[c])) return m[i].kind;
        }
    }
    return BIDRESP_SPECIAL_NONE;
}

/* The person carries a vulnerability segment (rule 3's "vulnerable person", filters/sensitive.c). */
static bool vulnerable(const struct policy *p, const struct ortb_request *req)
{
    if (!p) return false;
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        for (uint32_t s = 0; s < data->segment.n; s++)
            if (policy_segment_classes(p, data->segtax, data->segment.v[s]) & class_mask_vulnerability)
                return true;
    }
    return false;
}

/* What the special-category rule forbids using (docs/sensitive.md rule 4), among what the upstream saw: age,
 * gender, postal code, a sensitive segment or an Audience Demographic age/gender node. A segment the policy
 * cannot place counts only through its class; user.data without a policy counts as a possible demographic. */
static const char *special_forbidden(const struct policy *p, const struct ortb_request *seen)
{
    if (seen->user.yob != ORTB_UNSET) return "user.yob";
    if (seen->user.gender.n) return "user.gender";
    if (seen->device.geo.zip.n) return "device.geo.zip";
    for (uint32_t d = 0; d < seen->user.ndata; d++) {
        const struct ortb_data *data = &seen->user.data[d];
        for (uint32_t s = 0; s < data->segment.n; s++) {
            if (!p) return "user.data.segment";
            uint64_t key = policy_key(data->segtax, data->segment.v[s]);
            const struct policy_entry *e = key ? policy_table_get(&p->seg, key) : NULL;
            /* an id the policy cannot read is any class it could be (policy.h) */
            if ((e && (e->flags & POLICY_F_DEMOGRAPHIC)) ||
                (policy_segment_classes(p, data->segtax, data->segment.v[s]) & class_mask_sensitive))
                return "user.data.segment";
        }
    }
    return NULL;
}

int bidresp_check_bid(const struct bidresp_ctx *ctx, const struct bidresp *r, const struct bidresp_bid *b,
                      struct sv *detail, int *special)
{
    const struct ortb_request *req = ctx->req;
    *detail = SV_LIT(""); /* never a NULL view: callers print it */
    *special = BIDRESP_SPECIAL_NONE;
    const struct ortb_imp *imp = NULL;
    for (uint32_t i = 0; i < req->nimp && !imp; i++)
        if (sv_eq(req->imp[i].id, b->impid)) imp = &req->imp[i];
    if (!imp) {
        *detail = b->impid;
        return REASON_BID_IMPID;
    }
    struct sv cur = resp_cur(r);
    /* the request's cur lists what the exchange takes; without one, only the spec's default (USD) is safe */
    if ((req->cur.n ? !list_has(&req->cur, cur) : !sv_eq(cur, SV_LIT("USD"))) ||
        (ctx->cur.n && !sv_eq(cur, ctx->cur))) {
        *detail = cur;
        return REASON_BID_CURRENCY;
    }
    if (!(b->price > 0) || !isfinite(b->price)) return REASON_BID_PRICE;
    if (imp->bidfloor > 0) {
        struct sv fcur = imp->bidfloorcur.n ? imp->bidfloorcur : SV_LIT("USD");
        /* a floor in another currency cannot be compared without a rate: refused, not guessed */
        if (!sv_eq(fcur, cur)) {
            *detail = fcur;
            return REASON_BID_FLOOR;
        }
        if (b->price < imp->bidfloor) return REASON_BID_FLOOR;
    }
    int32_t req_tax = req->cattax == ORTB_UNSET ? 1 : req->cattax;
    int32_t tax = b->cattax == ORTB_UNSET ? 1 : b->cattax;
    if (tax == req_tax)
        for (uint32_t i = 0; i < b->ncat; i++)
            if (policy_id_in(req->bcat.v, req->bcat.n, b->cat[i])) {
                *detail = b->cat[i];
                return REASON_BLOCKED_CAT;
            }
    for (uint32_t i = 0; i < b->nadomain; i++)
        for (uint32_t k = 0; k < req->badv.n; k++)
            if (domain_blocked(b->adomain[i], req->badv.v[k])) {
                *detail = b->adomain[i];
                return REASON_BLOCKED_ADOMAIN;
            }
    bool minor = ctx->cst && ctx->cst->minor;
    if (minor || vulnerable(ctx->policy, req)) {
        if (!b->ncat) {
            *detail = minor ? SV_LIT("to minor") : SV_LIT("to a person with a vulnerability segment");
            return REASON_EXPLOIT_UNCATEGORISED;
        }
        for (uint32_t i = 0; i < b->ncat; i++)
            if (policy_cat_classes(ctx->policy, tax, b->cat[i]) & class_mask_high_risk) {
                *detail = b->cat[i];
                return REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE;
            }
    }
    *special = bidresp_special_of(ctx, b);
    if (*special != BIDRESP_SPECIAL_NONE) {
        const char *f = special_forbidden(ctx->policy, ctx->seen ? ctx->seen : req);
        if (f) {
            *detail = sv_from(f);
            return REASON_SENSITIVE_SPECIAL_CATEGORY;
        }
    }
    return REASON_BID;
}

/* ---- write ---- */

void bidresp_put_url(struct buf *out, struct sv s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '$' && i + 1 < s.n && s.p[i + 1] == '{') {
            /* ${AUCTION_PRICE} and friends: kept, so the exchange substitutes them in our URL */
            size_t e = i + 2;
            while (e < s.n &&
                   ((s.p[e] >= 'A' && s.p[e] <= 'Z') || (s.p[e] >= '0' && s.p[e] <= '9') || s.p[e] == '_'))
                e++;
            if (e < s.n && s.p[e] == '}' && e > i + 2) {
                buf_put(out, s.p + i, e + 1 - i);
                i = e;
                continue;
            }
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            buf_putc(out, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_put(out, e, 3);
        }
    }
}

static void put_notice(struct buf *out, const struct bidresp_bid *b, const struct bidresp_win *w, char kind,
                       struct sv url)
{
    buf_putc(out, '"');
    buf_put_json_chars(out, w->win_url);
    buf_puts(out, "?up=");
    bidresp_put_url(out, w->upstream);
    buf_puts(out, "&cid=");
    bidresp_put_url(out, b->cid.n ? b->cid : b->crid);
    buf_puts(out, "&imp=");
    bidresp_put_url(out, b->impid);
    buf_puts(out, "&req=");
    bidresp_put_url(out, w->req_id);
    buf_puts(out, "&price=${AUCTION_PRICE}&kind=");
    buf_putc(out, kind);
    buf_puts(out, "&u=");
    /* the URL's characters are URL-safe after encoding, so JSON needs no escapes for them */
    bidresp_put_url(out, url);
    buf_putc(out, '"');
}

struct span {
    struct sv span;
    int what; /* 'n', 'b', 'p' */
};

int bidresp_write_bid(struct buf *out, const struct bidresp_bid *b, const struct bidresp_win *w)
{
    return bidresp_write_bid_priced(out, b, w, 0);
}

int bidresp_write_bid_priced(struct buf *out, const struct bidresp_bid *b, const struct bidresp_win *w,
                             double price)
{
    /* the spans to replace (nurl, burl, price), copied around in the order they appear */
    struct span sp[3];
    int n = 0;
    bool notices = w && w->win_url.n;
    if (notices && b->nurl_raw.n) sp[n++] = (struct span){b->nurl_raw, 'n'};
    if (notices && b->burl_raw.n) sp[n++] = (struct span){b->burl_raw, 'b'};
    if (price > 0 && isfinite(price) && b->price_raw.n) sp[n++] = (struct span){b->price_raw, 'p'};
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && sp[k].span.p < sp[k - 1].span.p; k--) {
            struct span t = sp[k];
            sp[k] = sp[k - 1];
            sp[k - 1] = t;
        }
    const char *p = b->raw.p, *end = b->raw.p + b->raw.n;
    for (int i = 0; i < n; i++) {
        buf_put(out, p, (size_t)(sp[i].span.p - p));
        if (sp[i].what == 'p')
            buf_put_double(out, price);
        else
            put_notice(out, b, w, (char)sp[i].what, sp[i].what == 'n' ? b->nurl : b->burl);
        p = sp[i].span.p + sp[i].span.n;
    }
    buf_put(out, p, (size_t)(end - p));
    return out->overflow ? -1 : 0;
}
