/* response: BidResponse serializer. See response.h. */
#include "filters/response.h"

#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/native.h"

/* v as 16 lower-case hex digits. */
static void put_hex64(struct buf *b, uint64_t v)
{
    char t[16];
#ifdef __SSE2__
    /* the 16 nibbles at once: high and low nibble of each byte (most significant byte first) interleaved,
     * then '0' + n, plus 'a' - '0' - 10 where n > 9 */
    __m128i x = _mm_cvtsi64_si128((long long)__builtin_bswap64(v));
    __m128i lo = _mm_and_si128(x, _mm_set1_epi8(0x0F));
    __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0F));
    __m128i n = _mm_unpacklo_epi8(hi, lo);
    __m128i gt9 = _mm_cmpgt_epi8(n, _mm_set1_epi8(9));
    n = _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8('0')), _mm_and_si128(gt9, _mm_set1_epi8('a' - '0' - 10)));
    _mm_storeu_si128((__m128i *)(void *)t, n);
#else
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        t[i] = hex[v & 15];
        v >>= 4;
    }
#endif
    buf_put(b, t, 16);
}

/* 1 <= v <= 999 in decimal at d; returns its length. */
static inline size_t put_dec3(char *d, uint32_t v)
{
    if (v < 10) {
        d[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        d[0] = (char)('0' + v / 10);
        d[1] = (char)('0' + v % 10);
        return 2;
    }
    d[0] = (char)('0' + v / 100);
    d[1] = (char)('0' + v / 10 % 10);
    d[2] = (char)('0' + v % 10);
    return 3;
}

/* ,"w":W,"h":H,"mtype":M of the usual bid (sizes of at most three digits, or none; mtype 0..9) with one room
 * check, as the general writes below it would put them; false, with nothing written, for anything else. */
static bool put_size_mtype(struct buf *b, const struct decide_pick *pk)
{
    static const char kw[] = ",\"w\":", kh[] = ",\"h\":", km[] = ",\"mtype\":";
    bool sized = pk->w > 0 && pk->h > 0;
    /* at most 5 + 3 + 5 + 3 + 9 + 1 = 26 bytes: 32 of room is enough */
    if (b->overflow || b->cap - b->len < 32 || pk->mtype > 9 || (sized && (pk->w > 999 || pk->h > 999)))
        return false;
    char *d = b->p + b->len, *d0 = d;
    if (sized) {
        memcpy(d, kw, sizeof kw - 1);
        d += sizeof kw - 1;
        d += put_dec3(d, (uint32_t)pk->w);
        memcpy(d, kh, sizeof kh - 1);
        d += sizeof kh - 1;
        d += put_dec3(d, (uint32_t)pk->h);
    }
    memcpy(d, km, sizeof km - 1);
    d += sizeof km - 1;
    *d++ = (char)('0' + (pk->mtype ? pk->mtype : 1));
    b->len += (size_t)(d - d0);
    return true;
}

/* URL query escaping for ids we put into the win notice URL. */
static void put_url_component(struct buf *b, struct sv s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_put(b, e, 3);
        }
    }
}

/* key (`,"nurl":"`), the win URL with the bid's cid, imp and req, then tail (the macro and the closing
 * quote). Out of line: inlined twice, it cost bench_decide's bid path 6 instructions a request. */
__attribute__((noinline)) static void put_notice_url(struct buf *b, const char *key, struct sv win_url,
                                                     struct sv cid, struct sv imp, struct sv req,
                                                     const char *tail)
{
    buf_puts(b, key);
    buf_put_json_chars(b, win_url);
    buf_puts(b, "?cid=");
    put_url_component(b, cid);
    buf_puts(b, "&imp=");
    put_url_component(b, imp);
    buf_puts(b, "&req=");
    put_url_component(b, req);
    buf_puts(b, tail);
}

static void put_str_list(struct buf *b, const struct ortb_list *l)
{
    buf_putc(b, '[');
    for (uint32_t i = 0; i < l->n; i++) {
        if (i) buf_putc(b, ',');
        buf_put_json_str(b, l->v[i]);
    }
    buf_putc(b, ']');
}

/* ,"cid", "crid" (the creative's when cr has one, else the campaign's), "adomain", "cat" and "cattax" of a
 * bid of campaign c. campaign_prepare_json writes it once at load for cr NULL (j_meta); the response writer
 * copies that, or calls this when cr has a crid or j_meta is empty: one definition of these bytes. */
static void put_campaign_meta(struct buf *b, const struct campaign *c, const struct creative *cr)
{
    buf_puts(b, ",\"cid\":");
    if (c->j_id.n)
        buf_put(b, c->j_id.p, c->j_id.n);
    else
        buf_put_json_str(b, c->id);
    buf_puts(b, ",\"crid\":");
    if (cr && cr->crid.n) {
        if (cr->j_crid.n)
            buf_put(b, cr->j_crid.p, cr->j_crid.n);
        else
            buf_put_json_str(b, cr->crid);
    } else if (c->j_crid.n)
        buf_put(b, c->j_crid.p, c->j_crid.n);
    else
        buf_put_json_str(b, c->crid);
    if (c->adomain.n) {
        buf_puts(b, ",\"adomain\":");
        if (c->j_adomain.n)
            buf_put(b, c->j_adomain.p, c->j_adomain.n);
        else
            put_str_list(b, &c->adomain);
    }
    if (c->cat.n) {
        buf_puts(b, ",\"cat\":");
        if (c->j_cat.n)
            buf_put(b, c->j_cat.p, c->j_cat.n);
        else
            put_str_list(b, &c->cat);
        buf_puts(b, ",\"cattax\":");
        buf_put_i64(b, c->cattax);
    }
}

/* The Native 1.2 response, a JSON document carried as a JSON string: written unescaped at the end of the
 * buffer, escaped once after itself (the fast escaper), then moved back over the unescaped copy. No stack
 * buffer and no size limit but the response buffer's (the buffer's storage never moves). */
static void put_native_adm(struct buf *b, const struct ortb_native *rq, const struct creative *cr)
{
    size_t at = b->len;
    native_write_response(b, rq, cr);
    if (b->overflow) return;
    size_t mid = b->len;
    buf_put_json_chars(b, (struct sv){b->p + at, mid - at});
    if (b->overflow) return;
    memmove(b->p + at, b->p + mid, b->len - mid);
    b->len = at + (b->len - mid);
}

int resp_write_bids(struct buf *b, const struct campaign_set *cs, const struct ortb_request *req,
                    const struct decide_result *res, const struct resp_opts *opts)
{
    uint64_t h = XXH3_64bits(req->id.p, req->id.n);
    buf_puts(b, "{\"id\":");
    buf_put_json_str(b, req->id);
    buf_puts(b, ",\"bidid\":\"");
    put_hex64(b, h);
    buf_puts(b, "\",\"cur\":");
    buf_put_json_str(b, cs->currency);
    buf_puts(b, ",\"seatbid\":[{");
    if (opts && opts->seat.n) {
        buf_puts(b, "\"seat\":");
        buf_put_json_str(b, opts->seat);
        buf_putc(b, ',');
    }
    buf_puts(b, "\"bid\":[");
    bool first = true;
    for (uint32_t i = 0; i < req->nimp; i++) {
        int32_t w = res->winner[i];
        if (w < 0) continue;
        const struct campaign *c = &cs->v[w];
        const struct ortb_imp *imp = &req->imp[i];
        if (!first) buf_putc(b, ',');
        first = false;
        buf_puts(b, "{\"id\":\"");
        put_hex64(b, XXH3_64bits_withSeed(imp->id.p, imp->id.n, h ^ (uint64_t)w));
        buf_puts(b, "\",\"impid\":");
        buf_put_json_str(b, imp->id);
        buf_puts(b, ",\"price\":");
        buf_put_micros(b, res->price ? res->price[i] : c->bid_micros);
        /* what the winner serves: a typed creative (filters/decide.c pick_creative) or the formats banner */
        const struct decide_pick *pk = res->pick ? &res->pick[i] : NULL;
        const struct creative *cr = pk && pk->creative >= 0 ? &c->creatives[pk->creative] : NULL;
        if (cr && cr->crid.n)
            put_campaign_meta(b, c, cr);
        else if (c->j_meta.n) /* the same bytes, written once at load */
            buf_put(b, c->j_meta.p, c->j_meta.n);
        else
            put_campaign_meta(b, c, NULL);
        if (pk) {
            if (!put_size_mtype(b, pk)) {
                if (pk->w > 0 && pk->h > 0) {
                    buf_puts(b, ",\"w\":");
                    buf_put_i64(b, pk->w);
                    buf_puts(b, ",\"h\":");
                    buf_put_i64(b, pk->h);
                }
                buf_puts(b, ",\"mtype\":");
                buf_put_i64(b, pk->mtype ? pk->mtype : 1);
            }
            if (cr && (cr->type == CREATIVE_VIDEO || cr->type == CREATIVE_AUDIO) && cr->duration_s > 0) {
                buf_puts(b, ",\"dur\":");
                buf_put_i64(b, cr->duration_s);
            }
            if (pk->deal >= 0 && (uint32_t)pk->deal < imp->pmp.ndeals) {
                buf_puts(b, ",\"dealid\":");
                buf_put_json_str(b, imp->pmp.deals[pk->deal].id);
            }
        } else {
            /* the served size: the campaign format that matched */
            for (uint32_t f = 0; f < c->nformats; f++) {
                bool fit = imp->banner_w == c->formats[f].w && imp->banner_h == c->formats[f].h;
                for (uint32_t k = 0; k < imp->nformat && !fit; k++)
                    fit = imp->format[k].w == c->formats[f].w && imp->format[k].h == c->formats[f].h;
                if (fit) {
                    buf_puts(b, ",\"w\":");
                    buf_put_i64(b, c->formats[f].w);
                    buf_puts(b, ",\"h\":");
                    buf_put_i64(b, c->formats[f].h);
                    break;
                }
            }
            buf_puts(b, ",\"mtype\":1");
        }
        struct sv nurl = cr && cr->nurl.n ? cr->nurl : c->nurl,
                  j_nurl = cr && cr->nurl.n ? cr->j_nurl : c->j_nurl;
        if (opts && opts->win_url.n) {
            put_notice_url(b, ",\"nurl\":\"", opts->win_url, c->id, imp->id, req->id,
                           "&price=${AUCTION_PRICE}\"");
            /* a loss notice gives the bid's reserved spend back at once (docs/fairness.md, Budgets) */
            if (c->budget.enabled)
                put_notice_url(b, ",\"lurl\":\"", opts->win_url, c->id, imp->id, req->id,
                               "&loss=${AUCTION_LOSS}\"");
        } else if (nurl.n) {
            buf_puts(b, ",\"nurl\":");
            if (j_nurl.n)
                buf_put(b, j_nurl.p, j_nurl.n);
            else
                buf_put_json_str(b, nurl);
        }
        if (cr && cr->type == CREATIVE_NATIVE) {
            buf_puts(b, ",\"adm\":\"");
            put_native_adm(b, &imp->native, cr);
            buf_putc(b, '"');
        } else if (cr) {
            if (cr->adm.n) {
                buf_puts(b, ",\"adm\":");
                if (cr->j_adm.n)
                    buf_put(b, cr->j_adm.p, cr->j_adm.n);
                else
                    buf_put_json_str(b, cr->adm);
            }
        } else if (c->adm.n) {
            buf_puts(b, ",\"adm\":");
            if (c->j_adm.n)
                buf_put(b, c->j_adm.p, c->j_adm.n);
            else
                buf_put_json_str(b, c->adm);
        }
        if (c->political) {
            /* Regulation (EU) 2024/900 transparency: who paid, where the notice is (docs/jurisdictions.md) */
            buf_puts(b, ",\"ext\":{\"political\":{\"sponsor\":");
            buf_put_json_str(b, c->pol_sponsor);
            buf_puts(b, ",\"notice_url\":");
            buf_put_json_str(b, c->pol_notice_url);
            buf_puts(b, "}}");
        }
        buf_putc(b, '}');
    }
    buf_puts(b, "]}]}");
    return b->overflow ? -1 : 0;
}

int resp_write_nobid(struct buf *b, struct sv request_id, int nbr)
{
    buf_puts(b, "{\"id\":");
    buf_put_json_str(b, request_id);
    buf_puts(b, ",\"nbr\":");
    buf_put_i64(b, nbr);
    buf_putc(b, '}');
    return b->overflow ? -1 : 0;
}

/* Writes one escaped fragment into b and returns its view (empty on overflow). */
static struct sv frag_str(struct buf *b, struct sv s)
{
    size_t at = b->len;
    buf_put_json_str(b, s);
    return b->overflow ? SV_NULL : (struct sv){b->p + at, b->len - at};
}

static struct sv frag_list(struct buf *b, const struct ortb_list *l)
{
    size_t at = b->len;
    put_str_list(b, l);
    return b->overflow ? SV_NULL : (struct sv){b->p + at, b->len - at};
}

size_t campaign_prepare_json(struct campaign *c, char *mem, size_t cap)
{
    struct buf b;
    buf_init(&b, mem, cap);
    c->j_meta = SV_NULL;
    struct sv id = frag_str(&b, c->id), crid = frag_str(&b, c->crid);
    struct sv adm = c->adm.n ? frag_str(&b, c->adm) : SV_NULL;
    struct sv nurl = c->nurl.n ? frag_str(&b, c->nurl) : SV_NULL;
    struct sv adomain = c->adomain.n ? frag_list(&b, &c->adomain) : SV_NULL;
    struct sv cat = c->cat.n ? frag_list(&b, &c->cat) : SV_NULL;
    if (b.overflow) return 0;
    c->j_id = id;
    c->j_crid = crid;
    c->j_adm = adm;
    c->j_nurl = nurl;
    c->j_adomain = adomain;
    c->j_cat = cat;
    for (uint32_t k = 0; k < c->ncreatives; k++) {
        struct creative *cr = &c->creatives[k];
        struct sv ccrid = cr->crid.n ? frag_str(&b, cr->crid) : SV_NULL;
        struct sv cadm = cr->adm.n ? frag_str(&b, cr->adm) : SV_NULL;
        struct sv cnurl = cr->nurl.n ? frag_str(&b, cr->nurl) : SV_NULL;
        if (b.overflow) break; /* the rest escape at run time */
        cr->j_crid = ccrid;
        cr->j_adm = cadm;
        cr->j_nurl = cnurl;
    }
    /* last, so that it failing for room leaves every fragment above as it was */
    size_t at = b.len;
    put_campaign_meta(&b, c, NULL);
    if (b.overflow) return at; /* written at run time then */
    c->j_meta = (struct sv){b.p + at, b.len - at};
    return b.len;
}
