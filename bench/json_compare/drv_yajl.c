/* yajl driver, tree API (yajl_tree_parse builds the tree through yajl's callbacks): the shared extraction,
 * then yajl_tree_free. yajl_tree_parse needs a NUL-terminated input, which the harness provides. */
#include <string.h>
#include <yajl/yajl_tree.h>

#include "bench/json_compare/fields.h"

static inline struct fx_sv ystr(const char *s)
{
    struct fx_sv v = {s, strlen(s)};
    return v;
}

#define FX_NODE yajl_val
#define FX_PFX(name) yajl_x_##name
#define FX_OBJ_FOR(n, k, v)                                                                                  \
    for (size_t fx_oi_ = 0; fx_oi_ < (n)->u.object.len; fx_oi_++) {                                          \
        struct fx_sv k = ystr((n)->u.object.keys[fx_oi_]);                                                   \
        yajl_val v = (n)->u.object.values[fx_oi_];
#define FX_OBJ_END }
#define FX_ARR_FOR(n, v)                                                                                     \
    for (size_t fx_ai_ = 0; fx_ai_ < (n)->u.array.len; fx_ai_++) {                                           \
        yajl_val v = (n)->u.array.values[fx_ai_];
#define FX_ARR_END }
#define FX_IS_OBJ(v) YAJL_IS_OBJECT(v)
#define FX_IS_ARR(v) YAJL_IS_ARRAY(v)
#define FX_IS_STR(v) YAJL_IS_STRING(v)
#define FX_IS_NUM(v) YAJL_IS_NUMBER(v)
#define FX_STR(v) ystr((v)->u.string)
#define FX_DBL(v) (YAJL_IS_DOUBLE(v) ? (v)->u.number.d : (double)(v)->u.number.i)
#define FX_I32(v) (YAJL_IS_INTEGER(v) ? (int32_t)(v)->u.number.i : (int32_t)(v)->u.number.d)
#include "bench/json_compare/extract.h"

int fx_parse_yajl(const char *buf, size_t len, struct fx_req *r)
{
    (void)len; /* yajl_tree_parse reads up to the NUL */
    yajl_val root = yajl_tree_parse(buf, NULL, 0);
    if (!root) return -1;
    fields_reset(r);
    int rc = yajl_x_request(root, r);
    if (fx_before_free) fx_before_free(r);
    yajl_tree_free(root);
    return rc;
}
