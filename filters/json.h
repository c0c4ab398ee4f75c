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
#include "filters/json_scan.h"
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
    uintptr_t far; /* end - JSON_FAR_, 0 for a shorter input and once err is set: p <= far is "far from the
                    * end, and no error" in one compare */
    struct arena *arena; /* for strings with escapes; may be NULL to reject them */
    int depth;
    int err;              /* enum json_err, sticky */
    const char *err_msg;  /* static text naming the problem */
    size_t err_off;       /* byte offset of the problem */
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
static inline bool json_obj_begin(struct json *j); /* inline fast paths: at the end of this file */
static inline bool json_obj_next(struct json *j, struct sv *key); /* defined at the end of this file */
/* Arrays likewise; json_arr_next returns true when another element follows. */
static inline bool json_arr_begin(struct json *j);
static inline bool json_arr_next(struct json *j);

/* Values. Each consumes one value; on a type mismatch it records JSON_ETYPE and returns an error. */
static inline int json_string(struct json *j,
                              struct sv *out); /* unescaped; a view into buf when no escape is present */
static inline int json_int(struct json *j,
                           int64_t *out); /* integral numbers only (300 and 300.0 and 3e2 are fine) */
int json_double(struct json *j, double *out);
int json_bool(struct json *j, bool *out);
int json_null(struct json *j);
/* Skips any one value, validating it. */
static inline int json_skip(struct json *j); /* defined at the end of this file */
/* After the top-level value: only whitespace may follow. */
int json_finish(struct json *j);

/* ---- internals of the inline fast paths; not for callers ---- */
/* json_value_start_[c]: the enum json_type that byte c starts, 0 if none. */
extern const unsigned char json_value_start_[256];
/* json_after_value_[c]: 1 when c may be the byte before a ',' that json_obj_next takes (no blank, no '{'). */
extern const unsigned char json_after_value_[256];
/* json_peek's general path: skips any whitespace, records an error at the end or at a bad byte. */
enum json_type json_peek_slow_(struct json *j);
/* json_obj_next's general path: any whitespace, escaped keys, and every error. */
bool json_obj_next_slow_(struct json *j, struct sv *key);
/* The general paths of the other inline readers below: from the same position, with every error. */
bool json_open_slow_(struct json *j, char c, const char *what);
bool json_arr_next_slow_(struct json *j);
int json_string_slow_(struct json *j, struct sv *out);
int json_int_slow_(struct json *j, int64_t *out);
int json_skip_slow_(struct json *j);
/* json_skip_slow_ for an object or array right at j->p, with no error recorded: without its checks for the
 * other kinds of value. */
int json_skip_container_(struct json *j);
/* json_skip's fast path for a flat array of non-negative integers at p ('['): its end, or NULL (json.c). */
const char *json_int_array_end_(const char *p, const char *end);

static inline enum json_type json_peek(struct json *j)
{
    const char *p = j->p;
    if ((uintptr_t)p <= j->far || (!j->err && p < j->end)) { /* far: no error, and p < end */
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

/* json_obj_next for the common shapes: `,` or the first member, a key of plain text and its `:`. Whether this
 * is the first member is the byte before j->p: readers leave j->p right after what they read, so it is the
 * '{' json_obj_begin consumed, or the end of the last value (never a '{'); a blank there (a caller peeked)
 * goes to the slow path, which looks back over blanks. j->p is only written on success, so anything else
 * restarts from the same place in json_obj_next_slow_, which reports errors exactly as it always has. */
static inline __attribute__((always_inline)) bool json_obj_next(struct json *j, struct sv *key)
{
    const char *p0 = j->p;
    char prev;
#ifdef __SSE2__
    /* Far from the end (the usual case): the shapes of compact and pretty JSON without a bounds check per
     * byte. Every byte read below lies within p0 + 40 < end. Anything else (a longer indent or key, another
     * blank, an error) takes the path below from the same place, which gives the same answer for these.
     * Far also means no error (json_fail zeroes far). */
    if ((uintptr_t)p0 <= j->far) {
        const char *p;
        prev = p0[-1];
        if (*p0 == ',' && json_after_value_[(unsigned char)prev]) {
            p = json_blank_far_(p0 + 1);
        } else {
            p = json_blank_far_(p0);
            if (*p == '}') {
                j->p = p + 1;
                j->depth--;
                return false;
            }
            if (prev != '{') goto general;
        }
        if (*p == '"') {
            /* the key's end: its first stop byte, or 16 bytes on when there is none (a plain key of 16 bytes,
             * if its '":' follows there; p0 + 36 < end); a stop byte other than '"' never reads as '":'. Both
             * bytes in one compare (x86 is little-endian: q[0] is the low byte). */
            const char *s = p + 1, *q = s + json_ctz_(json_str_stop16_(s) | 0x10000u);
            uint16_t qc;
            memcpy(&qc, q, 2);
            if (qc == ('"' | ':' << 8)) {
                const char *r = q + 2;
                r += *r == ' ';
                j->p = r;
                if (key) {
                    key->p = s;
                    key->n = (size_t)(q - s);
                }
                return true;
            }
        }
    }
general:;
#endif
    if (j->err) return false; /* then j->p may be anywhere, even at the start: no byte before it is read */
    prev = p0[-1];
    const char *end = j->end, *p = json_ws_run_end_(p0, end);
    if (p < end) {
        char c = *p;
        if (c == ',' && (unsigned char)prev > ' ' && prev != '{') {
            p = json_ws_run_end_(p + 1, end);
        } else if (c == '}') {
            j->p = p + 1;
            j->depth--;
            return false;
        } else if (c != '"' || prev != '{') {
            goto slow;
        }
        if (p < end && *p == '"') {
            const char *s = p + 1, *q = json_str_run_end_(s, end);
            if (q < end && *q == '"') {
                const char *r = q + 1;
                /* the ':' right after the key, the usual case, is tested once */
                if ((r < end && *r == ':') || ((r = json_ws_run_end_(r, end)) < end && *r == ':')) {
                    /* the blank of pretty JSON's "key": value, so the value's reader finds it right here;
                     * every reader skips blanks before it looks, so errors read as before */
                    r++;
                    if (r < end - 1 && *r == ' ') r++;
                    j->p = r;
                    if (key) {
                        key->p = s;
                        key->n = (size_t)(q - s);
                    }
                    return true;
                }
            }
        }
    }
slow:
    return json_obj_next_slow_(j, key);
}

/* The bracket right here (callers have peeked) and room to nest: no whitespace or error handling needed. */
static inline __attribute__((always_inline)) bool json_open_(struct json *j, char c, const char *what)
{
    const char *p = j->p;
    if (((uintptr_t)p <= j->far || (!j->err && p < j->end)) && *p == c && j->depth < JSON_MAX_DEPTH) {
        j->depth++;
        j->p = p + 1;
        return true;
    }
    return json_open_slow_(j, c, what);
}

static inline __attribute__((always_inline)) bool json_obj_begin(struct json *j)
{
    return json_open_(j, '{', "expected an object");
}

static inline __attribute__((always_inline)) bool json_arr_begin(struct json *j)
{
    return json_open_(j, '[', "expected an array");
}

/* Like json_obj_next (the first element: the byte before j->p is the '['): the common cases here, anything
 * else (and every error) from the same place in json_arr_next_slow_. */
static inline __attribute__((always_inline)) bool json_arr_next(struct json *j)
{
#ifdef __SSE2__
    /* Far from the end (and so no error): the blanks by json_blank_far_, whose stop byte, when it is no
     * blank, is the one the full scan below finds (every byte read lies within p0 + 35); anything else takes
     * the path below from the same place. */
    if ((uintptr_t)j->p <= j->far) {
        const char *p0 = j->p, *p = json_blank_far_(p0);
        char prev = p0[-1];
        unsigned char c = (unsigned char)*p;
        if (c == ']') {
            j->p = p + 1;
            j->depth--;
            return false;
        }
        if (prev == '[') {
            if (c > ' ') {
                j->p = p;
                return true;
            }
        } else if (c == ',' && (unsigned char)prev > ' ') {
            p = json_blank_far_(p + 1);
            if ((unsigned char)*p > ' ' && *p != ']') {
                j->p = p;
                return true;
            }
        }
    }
#endif
    if (j->err) return false;
    const char *end = j->end, *p0 = j->p, *p = json_ws_run_end_(p0, end);
    char prev = p0[-1];
    if (p < end) {
        char c = *p;
        if (c == ']') {
            j->p = p + 1;
            j->depth--;
            return false;
        }
        if (prev == '[') {
            j->p = p;
            return true;
        }
        if (c == ',' && (unsigned char)prev > ' ') {
            p = json_ws_run_end_(p + 1, end);
            if (p < end && *p != ']') {
                j->p = p;
                return true;
            }
        }
    }
    return json_arr_next_slow_(j);
}

/* json_string for a plain string right here (callers have usually peeked): one run, no escape, no UTF-8 to
 * check. Anything else from the same place in json_string_slow_. */
static inline __attribute__((always_inline)) int json_string(struct json *j, struct sv *out)
{
    const char *p = j->p, *end = j->end;
    bool far = (uintptr_t)p <= j->far;
    if ((far || (!j->err && p < end)) && *p == '"') {
        const char *s = p + 1, *q = json_str_close_(s, end, far);
        if (q) {
            if (out) {
                out->p = s;
                out->n = (size_t)(q - s);
            }
            j->p = q + 1;
            return 0;
        }
    }
    return json_string_slow_(j, out);
}

/* json_int for a plain non-negative integer of up to 18 digits, right here (callers have peeked), converted
 * while it is scanned. Anything else (a sign, a fraction, an exponent, more digits, an error) from the same
 * place in json_int_slow_. */
static inline __attribute__((always_inline)) int json_int(struct json *j, int64_t *out)
{
    const char *p = j->p, *end = j->end;
    bool far = (uintptr_t)p <= j->far; /* no error either */
    if (far || (!j->err && p < end)) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d <= 9) {
            uint64_t v = d;
            const char *q = p + 1;
            if (d) { /* "0" is a whole number: a digit after it is the caller's syntax error */
                if (far) {
                    /* far from the end: 18 digits lie before it, one bound to test per digit */
                    for (; q < p + 18 && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++) v = v * 10 + d;
                } else {
                    for (; q < end && q - p < 18 && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
                        v = v * 10 + d;
                }
            }
            if (q >= end || ((unsigned)(unsigned char)*q - '0' > 9 && *q != '.' && *q != 'e' && *q != 'E')) {
                j->p = q;
                *out = (int64_t)v;
                return 0;
            }
        }
    }
    return json_int_slow_(j, out);
}

/* json_skip for the values skipped most often, right here (after the blank of "key": value): a plain string
 * (one run, no escape, nothing to validate), a positive integer (no fraction, no exponent), or a flat array
 * of non-negative integers; any other object or array straight to json_skip_container_. Anything else from
 * the same place in json_skip_slow_. */
static inline __attribute__((always_inline)) int json_skip(struct json *j)
{
    const char *p = j->p, *end = j->end;
    bool far = (uintptr_t)p <= j->far; /* no error either */
    if (far || (!j->err && p < end)) {
        if (*p == '"') {
            const char *q = json_str_close_(p + 1, end, far);
            if (q) {
                j->p = q + 1;
                return 0;
            }
        } else if ((unsigned)(unsigned char)*p - '1' <= 8) {
            const char *q = p + 1;
            while (q < end && (unsigned)(unsigned char)*q - '0' <= 9) q++;
            /* no fraction or exponent follows: then it ends where json_skip_slow_'s number scan ends it,
             * whatever the byte is (the line break after an object's last member in pretty JSON, too); the
             * caller reads that byte next and reports it as before */
            if (q < end && *q != '.' && (*q | 0x20) != 'e') {
                j->p = q;
                return 0;
            }
        } else if (*p == '[' && j->depth < JSON_MAX_DEPTH) {
            /* a flat list of small ids ("btype": [4], "api": [3, 5]), the array skipped most often: one scan,
             * without the general skip's setup */
            const char *q = json_int_array_end_(p, end);
            if (q) {
                j->p = q;
                return 0;
            }
            return json_skip_container_(j);
        } else if (*p == '{') {
            return json_skip_container_(j);
        }
    }
    return json_skip_slow_(j);
}

#endif
