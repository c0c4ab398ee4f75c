/* json-c driver: one reused tokener, the object tree, the shared extraction, then the release of the tree.
 * Objects are hash tables (lh_table), walked in insertion order; JSON null is a NULL pointer. */
#include <json-c/json.h>
#include <string.h>

#include "bench/json_compare/fields.h"

static struct json_tokener *g_tok;

static inline struct fx_sv jcstr(struct json_object *o)
{
    struct fx_sv v = {json_object_get_string(o), (size_t)json_object_get_string_len(o)};
    return v;
}

static inline struct fx_sv jckey(const struct lh_entry *e)
{
    const char *s = (const char *)lh_entry_k(e);
    struct fx_sv v = {s, strlen(s)};
    return v;
}

#define FX_NODE struct json_object *
#define FX_PFX(name) jsonc_x_##name
#define FX_OBJ_FOR(n, k, v)                                                                                  \
    for (struct lh_entry *fx_oe_ = json_object_get_object(n)->head; fx_oe_; fx_oe_ = fx_oe_->next) {         \
        struct fx_sv k = jckey(fx_oe_);                                                                      \
        struct json_object *v = (struct json_object *)lh_entry_v(fx_oe_);
#define FX_OBJ_END }
#define FX_ARR_FOR(n, v)                                                                                     \
    for (size_t fx_ai_ = 0, fx_an_ = json_object_array_length(n); fx_ai_ < fx_an_; fx_ai_++) {               \
        struct json_object *v = json_object_array_get_idx(n, fx_ai_);
#define FX_ARR_END }
#define FX_IS_OBJ(v) json_object_is_type(v, json_type_object)
#define FX_IS_ARR(v) json_object_is_type(v, json_type_array)
#define FX_IS_STR(v) json_object_is_type(v, json_type_string)
#define FX_IS_NUM(v) (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
#define FX_STR(v) jcstr(v)
#define FX_DBL(v) json_object_get_double(v)
#define FX_I32(v) ((int32_t)json_object_get_int(v))
#include "bench/json_compare/extract.h"

int fx_parse_jsonc(const char *buf, size_t len, struct fx_req *r)
{
    if (!g_tok) g_tok = json_tokener_new();
    json_tokener_reset(g_tok);
    struct json_object *root = json_tokener_parse_ex(g_tok, buf, (int)len);
    if (!root || json_tokener_get_error(g_tok) != json_tokener_success) {
        json_object_put(root);
        return -1;
    }
    fields_reset(r);
    int rc = jsonc_x_request(root, r);
    if (fx_before_free) fx_before_free(r);
    json_object_put(root);
    return rc;
}
