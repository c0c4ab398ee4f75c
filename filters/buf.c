/* buf: capped output buffer. See buf.h. */
#include "filters/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void buf_init(struct buf *b, char *storage, size_t cap)
{
    b->p = storage;
    b->cap = cap;
    b->len = 0;
    b->overflow = false;
}

/* Two digits per step, from a table of 00..99: half the divisions of a digit at a time. */
static const char dig2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* v >= 10 written backwards ending at end. */
static inline void put_digits(char *end, uint64_t v)
{
    while (v >= 100) {
        end -= 2;
        memcpy(end, dig2 + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10)
        memcpy(end - 2, dig2 + 2 * v, 2);
    else
        end[-1] = (char)('0' + v);
}

/* Digits in v >= 10: compares for the few digits of a size or a price, a loop beyond. */
static inline size_t ndigits(uint64_t v)
{
    size_t n = v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
    for (uint64_t t = v / 100000; t; t /= 10) n++;
    return n;
}

/* Out of line, so the usual path below needs no stack frame. */
__attribute__((noinline)) static void put_u64_copy(struct buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = ndigits(v);
    put_digits(tmp + sizeof tmp, v);
    buf_put(b, tmp + sizeof tmp - n, n);
}

void buf_put_u64(struct buf *b, uint64_t v)
{
    if (v < 10) { /* sizes, types, flags: most numbers in a response */
        buf_putc(b, (char)('0' + v));
        return;
    }
    if (b->overflow || b->cap - b->len < 20) {
        put_u64_copy(b, v);
        return;
    }
    char *d = b->p + b->len;
    if (v < 1000) { /* a width or height, a cattax: two or three digits without the general loop */
        if (v < 100) {
            memcpy(d, dig2 + 2 * v, 2);
            b->len += 2;
        } else {
            uint32_t h = (uint32_t)v / 100;
            d[0] = (char)('0' + h);
            memcpy(d + 1, dig2 + 2 * ((uint32_t)v - 100 * h), 2);
            b->len += 3;
        }
        return;
    }
    /* room for any u64: the digits straight into the buffer instead of a stack copy and a memcpy call */
    size_t n = ndigits(v);
    put_digits(d + n, v);
    b->len += n;
}

void buf_put_i64(struct buf *b, int64_t v)
{
    if (v < 0) {
        buf_putc(b, '-');
        buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        buf_put_u64(b, (uint64_t)v);
    }
}

void buf_put_micros(struct buf *b, int64_t micros)
{
    if (micros < 0) {
        buf_putc(b, '-');
        micros = -micros;
    }
    buf_put_u64(b, (uint64_t)(micros / 1000000));
    uint32_t frac = (uint32_t)(micros % 1000000);
    if (!frac) return;
    if (frac % 10000 == 0) { /* a price in cents (3.1, 1.25): one or two decimals, no trimming loop */
        uint32_t c = frac / 10000;
        char d[3] = {'.', dig2[2 * c], dig2[2 * c + 1]};
        buf_put(b, d, c % 10 ? 3 : 2);
        return;
    }
    char d[7] = {'.'};
    memcpy(d + 1, dig2 + 2 * (frac / 10000), 2);
    memcpy(d + 3, dig2 + 2 * (frac / 100 % 100), 2);
    memcpy(d + 5, dig2 + 2 * (frac % 100), 2);
    size_t n = 7;
    while (d[n - 1] == '0') n--; /* frac is not 0: a digit other than '0' stops it */
    buf_put(b, d, n);
}

/* The first index at or after i that JSON requires to escape ('"', '\\', control characters), or n. */
static inline size_t json_plain_end(const char *p, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
    for (; n - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* unsigned x <= 0x1F: min(x, 0x1F) == x; bytes >= 0x80 pass through unescaped */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                    _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m) return i + (size_t)__builtin_ctz(m);
    }
    if (n >= 16 && i < n) {
        /* the tail: the string's last 16 bytes again (inside it, no over-read), the bytes before i masked off
         * (they were scanned, and a caller resuming after an escape has passed some that stop) */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + n - 16));
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                    _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
        unsigned m = (unsigned)_mm_movemask_epi8(stop) & (~0u << (i - (n - 16)));
        return m ? n - 16 + (size_t)__builtin_ctz(m) : n;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == '"' || c == '\\') break;
    }
    return i;
}

void buf_put_json_chars(struct buf *b, struct sv s)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; (i = json_plain_end(s.p, i, s.n)) < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        buf_put(b, s.p + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_put(b, "\\\"", 2);
            break;
        case '\\':
            buf_put(b, "\\\\", 2);
            break;
        case '\n':
            buf_put(b, "\\n", 2);
            break;
        case '\r':
            buf_put(b, "\\r", 2);
            break;
        case '\t':
            buf_put(b, "\\t", 2);
            break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            buf_put(b, e, 6);
        }
        }
    }
    buf_put(b, s.p + run, s.n - run);
}

/* 1 for the bytes JSON requires to escape in a string: '"', '\\' and the control characters. */
static const unsigned char json_esc[256] = {1, 1, 1, 1, 1, 1, 1, 1, 1,         1,         1, 1,
                                            1, 1, 1, 1, 1, 1, 1, 1, 1,         1,         1, 1,
                                            1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1};

/* Whether any byte of the 8 in x is one JSON requires to escape ('"', '\\', below 0x20): the borrow tricks
 * of "has a zero byte" and "has a byte less than n" (exact for the question "any?"). */
static inline bool json_word_stops(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), s = x ^ (ones * '\\');
    return (((x - ones * 0x20) | (q - ones) | (s - ones)) & ~(x & q & s) & high) != 0;
}

/* The usual id, currency or seat (nothing to escape), checked and copied a word or a vector at a time into d;
 * false, with some bytes of d written, when s has a byte to escape or is longer than 64 bytes. d has room for
 * s.n bytes. */
static inline bool json_copy_plain(char *d, struct sv s)
{
    const char *p = s.p;
    size_t n = s.n;
    if (n < 8) { /* a currency, a seat, an imp id: a table look-up per byte */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (json_esc[c]) return false;
            d[i] = (char)c;
        }
        return true;
    }
    if (n <= 16) { /* first and last eight bytes, overlapping */
        uint64_t a, z;
        memcpy(&a, p, 8);
        memcpy(&z, p + n - 8, 8);
        if (json_word_stops(a) || json_word_stops(z)) return false;
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &z, 8);
        return true;
    }
#ifdef __SSE2__
    if (n <= 64) { /* a request id: 16 bytes at a time, the last 16 again for the tail */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
        for (size_t i = 0;; i += 16) {
            if (i + 16 > n) i = n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                        _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x));
            if (_mm_movemask_epi8(stop)) return false;
            _mm_storeu_si128((__m128i *)(void *)(d + i), x);
            if (i + 16 == n) return true;
        }
    }
#endif
    return false; /* longer: put_json_str_rest */
}

/* buf_put_json_str past its inline checks: a long string (an adm) or one with something to escape. Out of
 * line, so the usual path needs no stack frame. */
__attribute__((noinline)) static void put_json_str_rest(struct buf *b, struct sv s)
{
    size_t room = b->cap - b->len;
    if (!b->overflow && room >= 2 && s.n <= room - 2 && json_plain_end(s.p, 0, s.n) == s.n) {
        char *d = b->p + b->len;
        d[0] = '"';
        memcpy(d + 1, s.p, s.n);
        d[s.n + 1] = '"';
        b->len += s.n + 2;
        return;
    }
    buf_putc(b, '"');
    buf_put_json_chars(b, s);
    buf_putc(b, '"');
}

void buf_put_json_str(struct buf *b, struct sv s)
{
    /* the usual id or currency: nothing to escape and room for all of it and the quotes, one copy */
    size_t room = b->cap - b->len;
    if (!b->overflow && room >= 2 && s.n <= room - 2) {
        char *d = b->p + b->len;
        if (json_copy_plain(d + 1, s)) {
            d[0] = '"';
            d[s.n + 1] = '"';
            b->len += s.n + 2;
            return;
        }
        /* something to escape, or long: the bytes copied past b->len are written over there */
    }
    put_json_str_rest(b, s);
}

void buf_put_double(struct buf *b, double v)
{
    if (!isfinite(v)) {
        buf_puts(b, "null");
        return;
    }
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v) n = snprintf(tmp, sizeof tmp, "%.17g", v);
    buf_put(b, tmp, (size_t)n);
}

const char *buf_cstr(struct buf *b)
{
    if (b->overflow || b->len >= b->cap) {
        b->overflow = true;
        return NULL;
    }
    b->p[b->len] = '\0';
    return b->p;
}
