/* libFuzzer target for filters/json: json_skip + json_finish over arbitrary bytes, then the same input walked
 * with the typed readers (json_string, json_int, json_double, json_bool, json_null). The two passes must
 * agree on whether the document is well-formed, errors must name an offset inside the input, and every
 * decoded string must be valid UTF-8 by an independent check. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 3629 validation, written independently of json.c. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static void check_sv(struct sv s)
{
    if (s.n && !s.p) abort();
    if (s.n && !utf8_ok((const unsigned char *)s.p, s.n)) abort();
}

/* Walks one value with the typed readers. Returns the error, 0 when fine. */
static int walk(struct json *j)
{
    struct sv s;
    switch (json_peek(j)) {
    case JSON_OBJECT:
        if (!json_obj_begin(j)) return j->err;
        while (json_obj_next(j, &s)) {
            check_sv(s);
            if (walk(j)) return j->err;
        }
        return j->err;
    case JSON_ARRAY:
        if (!json_arr_begin(j)) return j->err;
        while (json_arr_next(j))
            if (walk(j)) return j->err;
        return j->err;
    case JSON_STRING:
        if (json_string(j, &s)) return j->err;
        check_sv(s);
        return 0;
    case JSON_NUMBER: {
        struct json copy = *j;
        int64_t iv;
        double dv;
        int ri = json_int(&copy, &iv);
        int rd = json_double(j, &dv);
        /* an integer both readers accept has the same value (where a double is exact) and the same extent */
        if (ri == 0 && rd == 0 && iv >= -(1LL << 53) && iv <= (1LL << 53) && (double)iv != dv) abort();
        if (ri == 0 && rd == 0 && copy.p != j->p) abort();
        return rd;
    }
    case JSON_TRUE:
    case JSON_FALSE: {
        bool b;
        return json_bool(j, &b);
    }
    case JSON_NULL:
        return json_null(j);
    default:
        return j->err;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static _Alignas(16) char mem1[1 << 16], mem2[1 << 20];
    const char *buf = (const char *)data;

    struct arena a1;
    arena_init(&a1, mem1, sizeof mem1);
    struct json j1;
    json_init(&j1, buf, size, &a1);
    json_skip(&j1);
    int skip_rc = json_finish(&j1);
    if (skip_rc) {
        if (j1.err_off > size || !j1.err_msg || j1.err != skip_rc) abort();
        if (skip_rc < JSON_ETRAILING || skip_rc > JSON_ESYNTAX) abort();
    } else if (j1.p != j1.end || j1.depth != 0) {
        abort();
    }

    struct arena a2;
    arena_init(&a2, mem2, sizeof mem2);
    struct json j2;
    json_init(&j2, buf, size, &a2);
    walk(&j2);
    int walk_rc = json_finish(&j2);
    if (walk_rc && (j2.err_off > size || !j2.err_msg)) abort();
    /* the typed readers may refuse numbers out of range (or too long), never a well-formed document otherwise
     */
    if (skip_rc == 0 && walk_rc != 0 && walk_rc != JSON_ENUMBER && walk_rc != JSON_ENOMEM) abort();
    /* and they never accept what validation rejected */
    if (skip_rc != 0 && skip_rc != JSON_ENOMEM && walk_rc == 0) abort();
    if (skip_rc == 0 && walk_rc == 0 && a2.used > size * 2 + 64)
        abort(); /* decoded text never outgrows input */
    return 0;
}
