/* jsmn driver: tokenize into a static token array (strict mode), then walk the tokens with the shared
 * extraction. jsmn does not unescape strings or check numbers and UTF-8: views are the raw token text. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#include <stdlib.h>

#include "bench/json_compare/fields.h"

#define JSMN_MAX_TOK 4096

static jsmntok_t g_tok[JSMN_MAX_TOK];
static int g_ntok;
static const char *g_js;

/* Index of the token after the subtree at i: children start before their parent ends. */
static inline int jskip(int i)
{
    int end = g_tok[i].end;
    i++;
    while (i < g_ntok && g_tok[i].start < end) i++;
    return i;
}

static inline struct fx_sv jtext(int i)
{
    struct fx_sv s = {g_js + g_tok[i].start, (size_t)(g_tok[i].end - g_tok[i].start)};
    return s;
}

static inline bool jnum(int i)
{
    char c = g_js[g_tok[i].start];
    return g_tok[i].type == JSMN_PRIMITIVE && (c == '-' || (c >= '0' && c <= '9'));
}

#define FX_NODE int
#define FX_PFX(name) jsmn_x_##name
#define FX_OBJ_FOR(n, k, v)                                                                                  \
    for (int fx_oc_ = 0, fx_ok_ = (n) + 1; fx_oc_ < g_tok[n].size; fx_oc_++, fx_ok_ = jskip(fx_ok_ + 1)) {   \
        struct fx_sv k = jtext(fx_ok_);                                                                      \
        int v = fx_ok_ + 1;
#define FX_OBJ_END }
#define FX_ARR_FOR(n, v) for (int fx_ac_ = 0, v = (n) + 1; fx_ac_ < g_tok[n].size; fx_ac_++, v = jskip(v)) {
#define FX_ARR_END }
#define FX_IS_OBJ(v) (g_tok[v].type == JSMN_OBJECT)
#define FX_IS_ARR(v) (g_tok[v].type == JSMN_ARRAY)
#define FX_IS_STR(v) (g_tok[v].type == JSMN_STRING)
#define FX_IS_NUM(v) jnum(v)
#define FX_STR(v) jtext(v)
/* strtod/strtol stop at the delimiter after the token (the buffer is NUL-terminated) */
#define FX_DBL(v) strtod(g_js + g_tok[v].start, NULL)
#define FX_I32(v) ((int32_t)strtol(g_js + g_tok[v].start, NULL, 10))
#include "bench/json_compare/extract.h"

int fx_parse_jsmn(const char *buf, size_t len, struct fx_req *r)
{
    jsmn_parser p;
    jsmn_init(&p);
    g_js = buf;
    g_ntok = jsmn_parse(&p, buf, len, g_tok, JSMN_MAX_TOK);
    if (g_ntok < 1) return -1;
    fields_reset(r);
    return jsmn_x_request(0, r);
}
