/* cJSON driver: build the tree, walk it with the shared extraction, delete it. Keys and strings are
 * NUL-terminated copies, so every one costs a strlen on top of the allocation. */
#include <cjson/cJSON.h>
#include <string.h>

#include "bench/json_compare/fields.h"

static inline struct fx_sv cstr(const char *s)
{
    struct fx_sv v = {s, strlen(s)};
    return v;
}

#define FX_NODE const cJSON *
#define FX_PFX(name) cjson_x_##name
#define FX_OBJ_FOR(n, k, v)                                                                                  \
    for (const cJSON *v = (n)->child; v; v = v->next) {                                                      \
        struct fx_sv k = cstr(v->string);
#define FX_OBJ_END }
#define FX_ARR_FOR(n, v) for (const cJSON *v = (n)->child; v; v = v->next) {
#define FX_ARR_END }
#define FX_IS_OBJ(v) cJSON_IsObject(v)
#define FX_IS_ARR(v) cJSON_IsArray(v)
#define FX_IS_STR(v) cJSON_IsString(v)
#define FX_IS_NUM(v) cJSON_IsNumber(v)
#define FX_STR(v) cstr((v)->valuestring)
#define FX_DBL(v) ((v)->valuedouble)
#define FX_I32(v) ((int32_t)(v)->valuedouble)
#include "bench/json_compare/extract.h"

int fx_parse_cjson(const char *buf, size_t len, struct fx_req *r)
{
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root) return -1;
    fields_reset(r);
    int rc = cjson_x_request(root, r);
    if (fx_before_free) fx_before_free(r);
    cJSON_Delete(root);
    return rc;
}
