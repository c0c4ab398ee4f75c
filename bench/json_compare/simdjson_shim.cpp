// simdjson shim: the DOM API (one reused dom::parser, on-demand is not used) behind the C signature of the
// other drivers, walking the tape with the shared extraction. The input must carry SIMDJSON_PADDING readable
// bytes after len, which the harness guarantees, so parse() copies nothing.
#include <simdjson.h>

#include "bench/json_compare/fields.h"

using simdjson::dom::element;
using simdjson::dom::element_type;

static inline fx_sv sjstr(element v)
{
    std::string_view s = v.get_string().value_unsafe();
    fx_sv out = {s.data(), s.size()};
    return out;
}

static inline int32_t sji32(element v)
{
    int64_t i;
    if (v.get_int64().get(i) == simdjson::SUCCESS) return (int32_t)i;
    return (int32_t)v.get_double().value_unsafe();
}

static inline bool sjnum(element v)
{
    element_type t = v.type();
    return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

#define FX_NODE element
#define FX_PFX(name) sj_x_##name
// The object/array is copied out of its simdjson_result first: ranging over value_unsafe() of a temporary
// result would iterate a destroyed object.
#define FX_OBJ_FOR(n, k, v)                                                                                  \
    {                                                                                                        \
        simdjson::dom::object fx_o_ = (n).get_object().value_unsafe();                                       \
        for (simdjson::dom::key_value_pair fx_kv_ : fx_o_) {                                                 \
            fx_sv k = {fx_kv_.key.data(), fx_kv_.key.size()};                                                \
            element v = fx_kv_.value;
#define FX_OBJ_END                                                                                           \
    }                                                                                                        \
    }
#define FX_ARR_FOR(n, v)                                                                                     \
    {                                                                                                        \
        simdjson::dom::array fx_a_ = (n).get_array().value_unsafe();                                         \
        for (element v : fx_a_) {
#define FX_ARR_END                                                                                           \
    }                                                                                                        \
    }
#define FX_IS_OBJ(v) ((v).type() == element_type::OBJECT)
#define FX_IS_ARR(v) ((v).type() == element_type::ARRAY)
#define FX_IS_STR(v) ((v).type() == element_type::STRING)
#define FX_IS_NUM(v) sjnum(v)
#define FX_STR(v) sjstr(v)
#define FX_DBL(v) ((v).get_double().value_unsafe())
#define FX_I32(v) sji32(v)
#include "bench/json_compare/extract.h"

extern "C" int fx_parse_simdjson(const char *buf, size_t len, fx_req *r)
{
    static simdjson::dom::parser parser;
    element root;
    if (parser.parse(buf, len, false).get(root) != simdjson::SUCCESS) return -1;
    fields_reset(r);
    return sj_x_request(root, r);
}

extern "C" const char *fx_simdjson_version(void)
{
#define SJ_STR2(x) #x
#define SJ_XSTR(x) SJ_STR2(x)
    return SJ_XSTR(SIMDJSON_VERSION);
}
