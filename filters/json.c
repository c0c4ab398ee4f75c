/* json: pull parser. See json.h.
 * The hot loops (whitespace, plain string bytes) are written to touch each byte once; escapes and non-ASCII
 * bytes leave the fast loop. Numbers are parsed by hand for the common short forms and fall back to strtod.
 * The public readers try the common well-formed case first and write state only when it succeeds; anything
 * else goes to the general (`_slow`) path from the same position, so errors read exactly as they always did.
 */
#include "filters/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

void json_init(struct json *j, const char *buf, size_t len, struct arena *arena)
{
    j->start = buf;
    j->p = buf;
    j->end = buf + len;
    j->far = len >= JSON_FAR_ ? (uintptr_t)(buf + len - JSON_FAR_) : 0;
    j->arena = arena;
    j->depth = 0;
    j->err = JSON_OK;
    j->err_msg = NULL;
    j->err_off = 0;
    j->err_path = NULL;
}

int json_fail(struct json *j, int err, const char *msg)
{
    if (j->err == JSON_OK) {
        j->err = err;
        j->err_msg = msg;
        j->err_off = (size_t)(j->p - j->start);
        j->far = 0; /* so the inline fast paths' one test of far also says "no error" */
    }
    return j->err;
}

static inline bool is_digit(char c)
{
    return (unsigned)(unsigned char)c - '0' <= 9;
}

#ifdef __SSE2__
const char *json_ws_run_end_slow_(const char *p, const char *end)
{
    const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                  tab = _mm_set1_epi8('\t');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, nl)),
                                  _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tab)));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ws) & 0xFFFFu;
        if (m) return p + json_ctz_(m);
        p += 16;
    }
    while (p < end && json_is_ws_(*p)) p++;
    return p;
}
#endif

static inline void skip_ws(struct json *j)
{
    j->p = json_ws_run_end_(j->p, j->end);
}

const unsigned char json_value_start_[256] = {
    ['{'] = JSON_OBJECT, ['['] = JSON_ARRAY,  ['"'] = JSON_STRING, ['t'] = JSON_TRUE,   ['f'] = JSON_FALSE,
    ['n'] = JSON_NULL,   ['-'] = JSON_NUMBER, ['0'] = JSON_NUMBER, ['1'] = JSON_NUMBER, ['2'] = JSON_NUMBER,
    ['3'] = JSON_NUMBER, ['4'] = JSON_NUMBER, ['5'] = JSON_NUMBER, ['6'] = JSON_NUMBER, ['7'] = JSON_NUMBER,
    ['8'] = JSON_NUMBER, ['9'] = JSON_NUMBER,
};

/* "(unsigned char)c > ' ' && c != '{'" (json_obj_next_slow_ looks back at the others) as one load and test,
 * at every member of every object */
const unsigned char json_after_value_[256] = {[0x21 ... 0x7A] = 1, [0x7C ... 0xFF] = 1};

enum json_type json_peek_slow_(struct json *j)
{
    if (j->err) return JSON_NONE;
    skip_ws(j);
    if (j->p >= j->end) {
        json_fail(j, JSON_ETRUNC, "unexpected end of input, expected a value");
        return JSON_NONE;
    }
    switch (*j->p) {
    case '{':
        return JSON_OBJECT;
    case '[':
        return JSON_ARRAY;
    case '"':
        return JSON_STRING;
    case 't':
        return JSON_TRUE;
    case 'f':
        return JSON_FALSE;
    case 'n':
        return JSON_NULL;
    case '-':
    case '0' ... '9':
        return JSON_NUMBER;
    default:
        json_fail(j, JSON_ESYNTAX, "unexpected character, expected a value");
        return JSON_NONE;
    }
}

bool json_open_slow_(struct json *j, char c, const char *what)
{
    if (j->err) return false;
    skip_ws(j);
    if (j->p >= j->end) {
        json_fail(j, JSON_ETRUNC, "unexpected end of input");
        return false;
    }
    if (*j->p != c) {
        json_fail(j, JSON_ETYPE, what);
        return false;
    }
    if (++j->depth > JSON_MAX_DEPTH) {
        json_fail(j, JSON_EDEPTH, "nesting deeper than 64 levels");
        return false;
    }
    j->p++;
    return true;
}

/* True at a container's first element: the last byte before j->p that is not a blank is the container's
 * opening bracket (a value never ends in one). j->p is past the blanks here. */
static bool at_first(const struct json *j, char open)
{
    const char *q = j->p;
    while (q > j->start && json_is_ws_(q[-1])) q--;
    return q > j->start && q[-1] == open;
}

static int scan_string(struct json *j, struct sv *out);

/* The general path of json_obj_next: any whitespace, escaped keys, and every error. */
bool json_obj_next_slow_(struct json *j, struct sv *key)
{
    if (j->err) return false;
    skip_ws(j);
    if (j->p >= j->end) {
        json_fail(j, JSON_ETRUNC, "unexpected end of input inside an object");
        return false;
    }
    bool first = at_first(j, '{');
    char c = *j->p;
    if (c == '}') {
        j->p++;
        j->depth--;
        return false;
    }
    if (!first) {
        if (c != ',') {
            json_fail(j, JSON_ESYNTAX, "expected ',' or '}' after an object member");
            return false;
        }
        j->p++;
        skip_ws(j);
        if (j->p >= j->end) {
            json_fail(j, JSON_ETRUNC, "unexpected end of input inside an object");
            return false;
        }
    }
    if (*j->p != '"') {
        json_fail(j, JSON_ESYNTAX,
                  first ? "expected a string key or '}'" : "expected a string key after ','");
        return false;
    }
    struct sv k;
    /* a key nobody asked for is validated, not decoded, so skipping spends no arena */
    if (scan_string(j, key ? &k : NULL)) return false;
    skip_ws(j);
    if (j->p >= j->end) {
        json_fail(j, JSON_ETRUNC, "unexpected end of input after an object key");
        return false;
    }
    if (*j->p != ':') {
        json_fail(j, JSON_ESYNTAX, "expected ':' after an object key");
        return false;
    }
    j->p++;
    if (key) *key = k;
    return true;
}

bool json_arr_next_slow_(struct json *j)
{
    if (j->err) return false;
    skip_ws(j);
    if (j->p >= j->end) {
        json_fail(j, JSON_ETRUNC, "unexpected end of input inside an array");
        return false;
    }
    bool first = at_first(j, '[');
    char c = *j->p;
    if (c == ']') {
        j->p++;
        j->depth--;
        return false;
    }
    if (!first) {
        if (c != ',') {
            json_fail(j, JSON_ESYNTAX, "expected ',' or ']' after an array element");
            return false;
        }
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == ']') {
            json_fail(j, JSON_ESYNTAX, "trailing comma in an array");
            return false;
        }
    }
    return true;
}

/* ---- strings ---- */

/* Length of a valid UTF-8 sequence starting at p (a byte >= 0x80), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if ((size_t)(end - p) < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xC0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xE0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *d++ = (char)(0xF0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *d++ = (char)(0x80 | (cp & 0x3F));
    }
    return d;
}

/* Decodes a string with escapes into the arena. `s` points just after the opening quote. The unescaped text
 * is never longer than the escaped one, so one allocation of the remaining span bound suffices; we first find
 * the closing quote to size it. */
static int decode_escaped(struct json *j, const char *s, struct sv *out)
{
    const char *p = s, *end = j->end;
    /* find the end of the string, honouring escapes */
    const char *q = p;
    while (q < end && *q != '"') q += (*q == '\\') ? 2 : 1;
    if (q >= end) {
        j->p = end;
        return json_fail(j, JSON_ETRUNC, "unterminated string");
    }
    /* out == NULL: validate only (skipped values), writing into a scratch that is rewound each step */
    char scratch[8];
    char *d0 = scratch;
    if (out) {
        if (!j->arena) return json_fail(j, JSON_ENOMEM, "string escapes are not allowed here");
        d0 = arena_alloc(j->arena, (size_t)(q - p) + 1, 1);
        if (!d0) return json_fail(j, JSON_ENOMEM, "request too complex: out of request memory");
    }
    char *d = d0;
    while (p < q) {
        if (!out) d = scratch;
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            char e = p[1];
            p += 2;
            switch (e) {
            case '"':
                *d++ = '"';
                break;
            case '\\':
                *d++ = '\\';
                break;
            case '/':
                *d++ = '/';
                break;
            case 'b':
                *d++ = '\b';
                break;
            case 'f':
                *d++ = '\f';
                break;
            case 'n':
                *d++ = '\n';
                break;
            case 'r':
                *d++ = '\r';
                break;
            case 't':
                *d++ = '\t';
                break;
            case 'u': {
                unsigned cp;
                if (q - p < 4 || hex4(p, &cp)) {
                    j->p = p - 2;
                    return json_fail(j, JSON_ESYNTAX, "bad \\u escape in string");
                }
                p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (q - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF) {
                        j->p = p - 6;
                        return json_fail(j, JSON_EUTF8, "lone UTF-16 surrogate in string escape");
                    }
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    j->p = p - 6;
                    return json_fail(j, JSON_EUTF8, "lone UTF-16 surrogate in string escape");
                }
                d = put_utf8(d, cp);
                break;
            }
            default:
                j->p = p - 2;
                return json_fail(j, JSON_ESYNTAX, "bad escape in string");
            }
        } else if (c < 0x20) {
            j->p = p;
            return json_fail(j, JSON_ESYNTAX, "control character in string");
        } else if (c < 0x80) {
            *d++ = (char)c;
            p++;
        } else {
            size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)q);
            if (!n) {
                j->p = p;
                return json_fail(j, JSON_EUTF8, "invalid UTF-8 in string");
            }
            memcpy(d, p, n);
            d += n;
            p += n;
        }
    }
    if (out) {
        *d = '\0';
        out->p = d0;
        out->n = (size_t)(d - d0);
    }
    j->p = q + 1;
    return 0;
}

/* j->p at the opening quote. */
__attribute__((noinline)) static int scan_string_slow(struct json *j, struct sv *out)
{
    const char *s = j->p + 1, *p = s, *end = j->end;
    for (;;) {
        p = json_str_run_end_(p, end);
        if (p >= end) {
            j->p = p;
            return json_fail(j, JSON_ETRUNC, "unterminated string");
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c == '\\') return decode_escaped(j, s, out);
        if (c < 0x20) {
            j->p = p;
            return json_fail(j, JSON_ESYNTAX, "control character in string");
        }
        size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
        if (!n) {
            j->p = p;
            return json_fail(j, JSON_EUTF8, "invalid UTF-8 in string");
        }
        p += n;
    }
    if (out) {
        out->p = s;
        out->n = (size_t)(p - s);
    }
    j->p = p + 1;
    return 0;
}

/* j->p at the opening quote. Most strings are plain text: one run, no escape, no UTF-8 to check. */
static inline int scan_string(struct json *j, struct sv *out)
{
    const char *s = j->p + 1, *q = json_str_run_end_(s, j->end);
    if (q < j->end && *q == '"') {
        if (out) {
            out->p = s;
            out->n = (size_t)(q - s);
        }
        j->p = q + 1;
        return 0;
    }
    return scan_string_slow(j, out);
}

int json_string_slow_(struct json *j, struct sv *out)
{
    /* fast path: callers have usually peeked already, so the value starts right here */
    if (!j->err && j->p < j->end && *j->p == '"') return scan_string(j, out);
    enum json_type t = json_peek(j);
    if (t != JSON_STRING) return t == JSON_NONE ? j->err : json_fail(j, JSON_ETYPE, "expected a string");
    return scan_string(j, out);
}

/* ---- numbers ---- */

struct numtok {
    const char *s;
    size_t n;
    bool is_int; /* no fraction, no exponent */
    bool neg;
};

static int scan_number(struct json *j, struct numtok *t)
{
    const char *p = j->p, *end = j->end;
    t->s = p;
    t->neg = false;
    t->is_int = true;
    if (p < end && *p == '-') {
        t->neg = true;
        p++;
    }
    if (p >= end) goto trunc;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        j->p = p;
        return json_fail(j, JSON_ENUMBER, "malformed number");
    }
    if (p < end && *p == '.') {
        t->is_int = false;
        p++;
        if (p >= end) goto trunc;
        if (*p < '0' || *p > '9') {
            j->p = p;
            return json_fail(j, JSON_ENUMBER, "malformed number: digit expected after '.'");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        t->is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end) goto trunc;
        if (*p < '0' || *p > '9') {
            j->p = p;
            return json_fail(j, JSON_ENUMBER, "malformed number: digit expected in exponent");
        }
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    t->n = (size_t)(p - t->s);
    j->p = p;
    return 0;
trunc:
    j->p = p;
    return json_fail(j, JSON_ETRUNC, "unexpected end of input inside a number");
}

static const double pow10tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Exact fast path for plain decimals with at most 15 significant digits (prices, coordinates); else strtod.
 */
static int numtok_double(struct json *j, const struct numtok *t, double *out)
{
    const char *p = t->s + (t->neg ? 1 : 0), *end = t->s + t->n;
    uint64_t m = 0;
    int digits = 0, frac = 0;
    bool simple = true;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        m = m * 10 + (uint64_t)(*p - '0');
        if (m) digits++;
    }
    if (p < end && *p == '.') {
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (m) digits++;
            frac++;
        }
    }
    if (p < end || digits > 15 || frac > 22) simple = false;
    if (simple) {
        double v = (double)m / pow10tab[frac];
        *out = t->neg ? -v : v;
        return 0;
    }
    char tmp[64];
    if (t->n >= sizeof tmp) {
        /* long digit strings are legal JSON; strtod needs a terminated copy */
        return json_fail(j, JSON_ENUMBER, "number too long (over 63 characters)");
    }
    memcpy(tmp, t->s, t->n);
    tmp[t->n] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL);
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
        return json_fail(j, JSON_ENUMBER, "number out of range");
    *out = v;
    return 0;
}

/* json_double's one pass: the end of the usual price or coordinate at p (p < end) with its value in *out, or
 * NULL for anything else. It takes a plain decimal of at most 15 digits in all (leading zeros too, the '.'
 * not counted), and makes of it what numtok_double makes of it: the same m (the digits as one integer, below
 * 10^15) over the same power of ten (the count of fraction digits), so the same double. Anything longer
 * (numtok_double may still take it, by its count of significant digits) goes to json_double_slow from the
 * same place, which gives the same double for it as ever. One bound per digit, no digit counters. far (p +
 * JSON_FAR_ <= end, a constant where it is inlined): no end test, as the pass reads at most 18 bytes (a sign,
 * 15 digits, '.' and the byte after). */
static inline __attribute__((always_inline)) const char *dbl_fast(const char *p, const char *end, bool far,
                                                                  double *out)
{
#define IN_(q) (far || (q) < end)
    bool neg = *p == '-';
    const char *q = p + neg;
    unsigned d; /* a digit's value: unsigned, so tested and added with no sign extension */
    if (!IN_(q) || (d = (unsigned)(unsigned char)*q - '0') > 9) return NULL;
    /* the end of 15 digits, as an integer: near the end of a short input q + 15 would point past it (UB) */
    uintptr_t lim = (uintptr_t)q + 15;
    uint64_t m = d;
    if (*q++ != '0')
        for (; (uintptr_t)q < lim && IN_(q) && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
            m = m * 10 + d;
    int frac = 0;
    if (IN_(q) && *q == '.' && IN_(q + 1) && is_digit(q[1])) {
        const char *f = ++q;
        lim++; /* the '.' is no digit */
        for (; (uintptr_t)q < lim && IN_(q) && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
            m = m * 10 + d;
        frac = (int)(q - f);
    }
    /* a 16th digit, or a fraction or exponent not taken: the general path */
    if (IN_(q) && (is_digit(*q) || *q == '.' || *q == 'e' || *q == 'E')) return NULL;
    double v = (double)m / pow10tab[frac];
    *out = neg ? -v : v;
    return q;
#undef IN_
}

/* json_double's general path, from the same place: any number, every error. Out of line, so the fast path
 * in json_double, a leaf, saves and restores none of the registers this one needs. */
__attribute__((noinline)) static int json_double_slow(struct json *j, double *out)
{
    bool here = !j->err && j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'));
    enum json_type t = here ? JSON_NUMBER : json_peek(j);
    if (t != JSON_NUMBER) return t == JSON_NONE ? j->err : json_fail(j, JSON_ETYPE, "expected a number");
    const char *at = j->p;
    struct numtok tok;
    if (scan_number(j, &tok)) return j->err;
    if (numtok_double(j, &tok, out)) {
        j->err_off = (size_t)(at - j->start);
        return j->err;
    }
    return 0;
}

int json_double(struct json *j, double *out)
{
    /* the usual price or coordinate, right here: scanned and converted in one pass, by the grammar of
     * scan_number and the arithmetic of numtok_double (so the same double); anything else (an exponent, more
     * digits, an error) from the same place in json_double_slow. Far from the end (and so no error) without
     * end tests. */
    const char *p = j->p, *end = j->end, *q = NULL;
    if ((uintptr_t)p <= j->far)
        q = dbl_fast(p, end, true, out);
    else if (!j->err && p < end)
        q = dbl_fast(p, end, false, out);
    if (q) {
        j->p = q;
        return 0;
    }
    return json_double_slow(j, out);
}

int json_int_slow_(struct json *j, int64_t *out)
{
    /* callers have usually peeked already: skip the second peek when a number starts right here */
    bool here = !j->err && j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'));
    enum json_type t = here ? JSON_NUMBER : json_peek(j);
    if (t != JSON_NUMBER) return t == JSON_NONE ? j->err : json_fail(j, JSON_ETYPE, "expected an integer");
    const char *at = j->p;
    struct numtok tok;
    if (scan_number(j, &tok)) return j->err;
    if (tok.is_int) {
        const char *p = tok.s + (tok.neg ? 1 : 0), *end = tok.s + tok.n;
        uint64_t v = 0;
        for (; p < end; p++) {
            unsigned d = (unsigned)(*p - '0');
            if (v > (UINT64_MAX - d) / 10) goto range;
            v = v * 10 + d;
        }
        if (tok.neg) {
            if (v > (uint64_t)INT64_MAX + 1) goto range;
            *out = (int64_t)(0 - v);
        } else {
            if (v > INT64_MAX) goto range;
            *out = (int64_t)v;
        }
        return 0;
    }
    double d;
    if (numtok_double(j, &tok, &d)) {
        j->err_off = (size_t)(at - j->start);
        return j->err;
    }
    if (d != floor(d)) {
        j->p = at;
        return json_fail(j, JSON_ETYPE, "expected an integer, got a fraction");
    }
    if (d < -9.2e18 || d > 9.2e18) goto range;
    *out = (int64_t)d;
    return 0;
range:
    j->p = at;
    return json_fail(j, JSON_ENUMBER, "integer out of range");
}

static int literal(struct json *j, const char *lit, size_t n)
{
    if ((size_t)(j->end - j->p) < n) {
        if (memcmp(j->p, lit, (size_t)(j->end - j->p)) == 0) {
            return json_fail(j, JSON_ETRUNC, "unexpected end of input inside a literal");
        }
        return json_fail(j, JSON_ESYNTAX, "invalid literal");
    }
    if (memcmp(j->p, lit, n) != 0) return json_fail(j, JSON_ESYNTAX, "invalid literal");
    j->p += n;
    return 0;
}

int json_bool(struct json *j, bool *out)
{
    enum json_type t = json_peek(j);
    if (t == JSON_TRUE) {
        *out = true;
        return literal(j, "true", 4);
    }
    if (t == JSON_FALSE) {
        *out = false;
        return literal(j, "false", 5);
    }
    return t == JSON_NONE ? j->err : json_fail(j, JSON_ETYPE, "expected true or false");
}

int json_null(struct json *j)
{
    enum json_type t = json_peek(j);
    if (t == JSON_NULL) return literal(j, "null", 4);
    return t == JSON_NONE ? j->err : json_fail(j, JSON_ETYPE, "expected null");
}

/* ---- skipping ---- */

/* The end of a string that starts at p (after the opening quote), or NULL when it has a \u escape or is
 * malformed or unterminated. */
static inline __attribute__((always_inline)) const char *str_end_fast(const char *p, const char *end)
{
    for (;;) {
        p = json_str_run_end_(p, end);
        if (p >= end) return NULL;
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c == '\\') {
            if (end - p < 2) return NULL;
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                continue;
            default:
                return NULL;
            }
        }
        if (c < 0x20) return NULL;
        size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
        if (!n) return NULL;
        p += n;
    }
}

/* The end of the number at p, by the grammar scan_number follows, or NULL when malformed or truncated. */
static inline __attribute__((always_inline)) const char *num_end_fast(const char *p, const char *end)
{
    if (*p == '-' && ++p >= end) return NULL;
    if (*p == '0')
        p++;
    else if (is_digit(*p))
        while (++p < end && is_digit(*p)) {
        }
    else
        return NULL;
    if (p < end && *p == '.') {
        if (++p >= end || !is_digit(*p)) return NULL;
        while (++p < end && is_digit(*p)) {
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        if (++p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !is_digit(*p)) return NULL;
        while (++p < end && is_digit(*p)) {
        }
    }
    return p;
}

/* json_skip in one loop, the nesting kept in a bit stack (bit 0: the innermost open container is an object,
 * bit 1 the one around it, ...; close caches bit 0 as the bracket that closes the innermost container, '}' or
 * ']', so the step after a value reads no stack and tests a close in one compare). Returns the end of the
 * value at p, or NULL at anything it does not take on (a \u escape, an error of any kind); json_skip then
 * walks the value again from its start with the careful readers, which report the error at the same place
 * and in the same words as always. No state is written here.
 *
 * Far from the end (p <= far: JSON_FAR_ bytes or more), the shapes that make up most skipped values take no
 * bounds check per byte, as in json_obj_next: a member's blanks, plain key and '":' and the blank after it,
 * each by one 16-byte compare, and a plain string value of up to 31 bytes by one or two. What they do not
 * take goes the general way from the same place, so they end where it would and take nothing it does not.
 *
 * at_open (a constant where it is inlined): p < end is at a '{' or '[' (json_skip_container_'s callers have
 * looked), so the walk starts at the container's own step, without the blank scan and the tests for the
 * other kinds of value before it. */
static inline __attribute__((always_inline)) const char *skip_fast(const char *p, const char *end,
                                                                   uintptr_t far, int depth, bool at_open)
{
    const int room = JSON_MAX_DEPTH - depth;
    uint64_t obj = 0;
    unsigned char close = ']';
    int d = 0;
    char c0;
    if (at_open) {
        c0 = *p;
        goto open;
    }
value:
    p = json_ws_run_end_(p, end);
    if (p >= end) return NULL;
#ifdef __SSE2__
value_at: /* p < end, and *p no blank */
#endif
    /* by how often each comes: strings, numbers, containers, then the literals */
    c0 = *p;
    if (c0 == '"') {
#ifdef __SSE2__
        if ((uintptr_t)p <= far) {
            /* the string's first stop byte within 16 bytes, or else within the next 16 (p + 33 < end), or 32
             * bytes on when there is none: at a '"' it ends there, else the general scan goes on from there
             * (every byte before it is plain text). The two tails apart, as in json_str_close_. */
            unsigned m = json_str_stop16_(p + 1);
            const char *q;
            if (m) {
                q = p + 1 + json_ctz_(m);
                if (*q == '"') {
                    p = q + 1;
                    goto after;
                }
            } else {
                q = p + 17 + json_ctz_(json_str_stop16_(p + 17) | 0x10000u);
                if (*q == '"') {
                    p = q + 1;
                    goto after;
                }
            }
            p = q - 1;
        }
#endif
        p = str_end_fast(p + 1, end);
    } else if (is_digit(c0) || c0 == '-') {
        p = num_end_fast(p, end);
    } else if (c0 == '{' || c0 == '[') {
    open:
        if (d >= room) return NULL;
        bool is_obj = c0 == '{';
        p = json_ws_run_end_(p + 1, end);
        if (p >= end) return NULL;
        if (*p == (is_obj ? '}' : ']')) { /* empty */
            p++;
        } else {
            obj = obj << 1 | is_obj;
            d++;
            if (!is_obj) {
                close = ']';
                goto value;
            }
            close = '}';
            goto member;
        }
    } else if (c0 == 't') {
        p = (end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
    } else if (c0 == 'f') {
        p = (end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
    } else if (c0 == 'n') {
        p = (end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
    } else {
        return NULL;
    }
    if (!p) return NULL;
#ifdef __SSE2__
after:
#endif
    /* after a value: close containers until a ',' or the end of the value we were asked to skip */
    for (;;) {
        if (d == 0) return p;
        /* minified JSON: the next byte is the ',' or the close, no blank to look for */
        if (p >= end) return NULL;
        unsigned char c = (unsigned char)*p;
        if (c <= ' ') {
            p = json_ws_run_end_(p, end);
            if (p >= end) return NULL;
            c = (unsigned char)*p;
        }
        if (c == ',') {
            p++;
            if (close == ']') goto value;
            goto member;
        }
        if (c != close) return NULL;
        p++;
        d--;
        obj >>= 1;
        close = (unsigned char)(']' | (obj & 1) << 5); /* '}' is ']' | 0x20 */
    }
member: /* p after the '{' or ',' or at the first key: blanks, a key, ':', then the value */
#ifdef __SSE2__
    if ((uintptr_t)p <= far) {
        /* as in json_obj_next: the blanks, a plain key of up to 16 bytes and its '":' in one compare each,
         * and the blank after it */
        const char *k = json_blank_far_(p);
        if (*k == '"') {
            const char *q = k + 1 + json_ctz_(json_str_stop16_(k + 1) | 0x10000u);
            uint16_t qc;
            memcpy(&qc, q, 2);
            if (qc == ('"' | ':' << 8)) { /* little-endian: q[0] is the low byte */
                p = q + 2;
                p += *p == ' ';
                /* p < end: the value's first byte, unless another blank comes first */
                if ((unsigned char)*p > ' ') goto value_at;
                goto value;
            }
        }
    }
#endif
    p = json_ws_run_end_(p, end);
    if (p >= end || *p != '"') return NULL;
    p = str_end_fast(p + 1, end);
    if (!p) return NULL;
    p = json_ws_run_end_(p, end);
    if (p >= end || *p != ':') return NULL;
    p++;
    goto value;
}

/* The end of the array at p ('[') when it is a flat, non-empty list of non-negative integers without fraction
 * or exponent, blanks allowed around them: the shape of the small id lists of an imp (btype, battr, api,
 * protocols), compact or pretty. NULL for anything else, and json_skip then walks it from the start as
 * before. It takes nothing skip_fast does not (one array, the same number grammar, the same blanks), and ends
 * where skip_fast would; the caller checks there is room for one more level of nesting, as skip_fast does. */
const char *json_int_array_end_(const char *p, const char *end)
{
    const char *q = p + 1;
    for (;;) {
        q = json_ws_run_end_(q, end);
        if (q >= end) return NULL;
        unsigned d = (unsigned)(unsigned char)*q - '0';
        if (d > 9) return NULL;
        q++;
        if (d) /* "0" is a whole number: a digit after it is no JSON, and falls out below */
            while (q < end && is_digit(*q)) q++;
        if (q < end && (unsigned char)*q <= ' ') q = json_ws_run_end_(q, end);
        if (q >= end) return NULL;
        if (*q == ']') return q + 1;
        if (*q != ',') return NULL;
        q++;
    }
}

/* The general path of json_skip, one level at a time. It recurses into itself rather than json_skip, so a
 * value skip_fast gave up on is walked at most once more, however deep the nesting. */
static int skip_slow(struct json *j)
{
    struct numtok tok;
    switch (json_peek(j)) {
    case JSON_OBJECT:
        if (!json_obj_begin(j)) return j->err;
        while (json_obj_next(j, NULL))
            if (skip_slow(j)) return j->err;
        return j->err;
    case JSON_ARRAY:
        if (!json_arr_begin(j)) return j->err;
        while (json_arr_next(j))
            if (skip_slow(j)) return j->err;
        return j->err;
    case JSON_STRING: {
        /* validate without decoding: decoding would spend arena on text nobody reads */
        const char *s0 = j->p + 1, *p = s0, *end = j->end;
        for (;;) {
            p = json_str_run_end_(p, end);
            if (p >= end) {
                j->p = p;
                return json_fail(j, JSON_ETRUNC, "unterminated string");
            }
            if (*p == '"') {
                j->p = p + 1;
                return 0;
            }
            if (*p == '\\') break;
            if ((unsigned char)*p < 0x20) {
                j->p = p;
                return json_fail(j, JSON_ESYNTAX, "control character in string");
            }
            size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!n) {
                j->p = p;
                return json_fail(j, JSON_EUTF8, "invalid UTF-8 in string");
            }
            p += n;
        }
        return decode_escaped(j, s0, NULL);
    }
    case JSON_NUMBER:
        return scan_number(j, &tok);
    case JSON_TRUE:
        return literal(j, "true", 4);
    case JSON_FALSE:
        return literal(j, "false", 5);
    case JSON_NULL:
        return literal(j, "null", 4);
    default:
        return j->err;
    }
}

/* skip_fast out of line for json_skip_slow_, whose other work would otherwise share registers with it; the
 * containers json_skip hands to json_skip_container_ run it inlined there, without a second call. */
__attribute__((noinline)) static const char *skip_fast_out(const char *p, const char *end, uintptr_t far,
                                                           int depth)
{
    return skip_fast(p, end, far, depth, false);
}

int json_skip_slow_(struct json *j)
{
    if (!j->err) {
        /* most skipped values are one string or number right here (callers have peeked): no container
         * bookkeeping for those; same grammar, same NULL-means-walk-again contract as skip_fast */
        const char *p = j->p, *end = j->end, *e;
        if (end - p >= 2 && *p == ' ') p++; /* the blank after "key:" in pretty-printed JSON */
        if (p < end && (*p == '"' || *p == '-' || is_digit(*p))) {
            e = *p == '"' ? str_end_fast(p + 1, end) : num_end_fast(p, end);
            if (e) {
                j->p = e;
                return 0;
            }
            return skip_slow(j);
        }
        e = skip_fast_out(p, end, j->far, j->depth);
        if (e) {
            j->p = e;
            return 0;
        }
    }
    return skip_slow(j);
}

int json_skip_container_(struct json *j)
{
    const char *e = skip_fast(j->p, j->end, j->far, j->depth, true);
    if (e) {
        j->p = e;
        return 0;
    }
    return skip_slow(j);
}

int json_finish(struct json *j)
{
    if (j->err) return j->err;
    /* a minified body ends right after its value: then no blank scan (whose general path, a call, is where it
     * goes at the end) */
    if (j->p < j->end) skip_ws(j);
    if (j->p != j->end) return json_fail(j, JSON_ETRAILING, "unexpected data after the JSON value");
    return 0;
}
