/* json: a pull parser over one buffer, for reading known shapes (OpenRTB requests, config, policy) straight
 * into structs with no DOM. The caller walks objects and arrays; anything it does not want it skips, and
 * skipped values are still validated, so a request is accepted only if the whole body is well-formed JSON
 * (RFC 8259).
 *
 * Errors are sticky: the first one records a message and a byte offset, and every later call fails fast, so
 * callers check `j->err` once at the end instead of after every call. */
#ifndef FAIRBID_FILTERS_JSON_H
#define FAIRBID_FILTERS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/arena.h"
#include "filters/sv.h"

#define JSON_MAX_DEPTH 64

enum json_type {
    JSON_NONE = 0, /* end of input or error */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
};

enum json_err {
    JSON_OK = 0,
    JSON_ESYNTAX = -1,  /* unexpected character */
    JSON_ETRUNC = -2,   /* input ended inside a value */
    JSON_EDEPTH = -3,   /* nesting deeper than JSON_MAX_DEPTH */
    JSON_EUTF8 = -4,    /* invalid UTF-8 or a lone surrogate escape */
    JSON_ENUMBER = -5,  /* malformed number, or out of range for what the caller asked */
    JSON_ETYPE = -6,    /* a value of another type than the caller needs */
    JSON_ENOMEM = -7,   /* the arena ran out */
    JSON_ETRAILING = -8 /* data after the top-level value */
};

struct json {
    const char *start, *p, *end;
    struct arena *arena; /* for strings with escapes; may be NULL to reject them */
    int depth;
    int err;              /* enum json_err, sticky */
    const char *err_msg;  /* static text naming the problem */
    size_t err_off;       /* byte offset of the problem */
    uint64_t first;       /* bit d-1 set: the container at depth d has not read its first member yet */
    const char *err_path; /* optional: the field being read when it failed (set by callers) */
};

/* Borrows buf (which must outlive every view returned) and arena. */
void json_init(struct json *j, const char *buf, size_t len, struct arena *arena);
/* Records an error at the current position unless one is already recorded; returns err. */
int json_fail(struct json *j, int err, const char *msg);

/* The type of the next value, without consuming it (JSON_NONE on error or end). Inline: the parsers peek
 * before nearly every value, and the next byte (or the one after a single blank) almost always decides. */
static inline enum json_type json_peek(struct json *j); /* defined at the end of this file */

/* Objects: json_obj_begin consumes '{'. json_obj_next returns true with the next key (the ':' consumed; the
 * caller must then read or skip exactly one value), false at '}' or on error. */
bool json_obj_begin(struct json *j);
bool json_obj_next(struct json *j, struct sv *key);
/* Arrays likewise; json_arr_next returns true when another element follows. */
bool json_arr_begin(struct json *j);
bool json_arr_next(struct json *j);

/* Values. Each consumes one value; on a type mismatch it records JSON_ETYPE and returns an error. */
int json_string(struct json *j, struct sv *out); /* unescaped; a view into buf when no escape is present */
int json_int(struct json *j, int64_t *out);      /* integral numbers only (300 and 300.0 and 3e2 are fine) */
int json_double(struct json *j, double *out);
int json_bool(struct json *j, bool *out);
int json_null(struct json *j);
/* Skips any one value, validating it. */
int json_skip(struct json *j);
/* After the top-level value: only whitespace may follow. */
int json_finish(struct json *j);

/* ---- internals of the inline fast paths; not for callers ---- */
/* json_value_start_[c]: the enum json_type that byte c starts, 0 if none. */
extern const unsigned char json_value_start_[256];
/* json_peek's general path: skips any whitespace, records an error at the end or at a bad byte. */
enum json_type json_peek_slow_(struct json *j);

static inline enum json_type json_peek(struct json *j)
{
    const char *p = j->p;
    if (!j->err && p < j->end) {
        unsigned t = json_value_start_[(unsigned char)*p];
        if (t) return (enum json_type)t;
        /* the blank after "key:" in pretty-printed JSON */
        if (*p == ' ' && j->end - p >= 2 && (t = json_value_start_[(unsigned char)p[1]]) != 0) {
            j->p = p + 1;
            return (enum json_type)t;
        }
    }
    return json_peek_slow_(j);
}

#endif
