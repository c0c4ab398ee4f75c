/* json_scan: the byte-run scanners of the JSON pull parser (whitespace, plain string text), shared by json.c
 * and the inline fast paths in json.h. Internal to filters/json: not for other callers. */
#ifndef FAIRBID_FILTERS_JSON_SCAN_H
#define FAIRBID_FILTERS_JSON_SCAN_H

#include <stdbool.h>

/* Bytes that end a run of plain string characters: '"', '\\', control characters and non-ASCII (which leave
 * the fast loop to be validated as UTF-8). */
static inline bool json_plain_str_byte_(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

static inline bool json_is_ws_(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The fast paths' "far from the end": at least this many bytes from p0 to the end, so the shapes they take
 * (a ',', up to 17 blanks, a key of up to 16 bytes, its '":' and a blank: 38 bytes) are read without a bounds
 * check per byte. */
#define JSON_FAR_ 48

#ifdef __SSE2__
#include <emmintrin.h>
#include <stddef.h>

/* The index of the lowest set bit of m (not 0), as a size_t. GCC sign-extends __builtin_ctz's int (one more
 * instruction, at every pointer it is added to) whatever it is cast to; the bit scan itself at the width of
 * a pointer needs none (the 32-bit mask is zero-extended for free). */
static inline __attribute__((always_inline)) size_t json_ctz_(unsigned m)
{
    size_t r, w = m;
    __asm__("bsf %1, %0" : "=r"(r) : "r"(w) : "cc");
    return r;
}

/* The bytes of x that are not plain string text (json_plain_str_byte_), with their top bit set (what
 * _mm_movemask_epi8 reads). x ^ 2 moves '"' (0x22) to 0x20 and keeps 0x00..0x1F within 0x00..0x1F, bytes >=
 * 0x80 negative and every other byte at 0x21 or above (0x23 becomes 0x21, 0x20 and 0x21 become 0x22 and
 * 0x23), so one signed "< 0x21" catches '"', control and non-ASCII bytes together; the backslash is the one
 * left. The
 * "< 0x21" is a signed saturating subtraction of 0x21, negative exactly then (0x7F - 0x21 cannot overflow,
 * -128 - 0x21 saturates at -128): unlike a compare it writes its own operand, so it needs no copy of the
 * constant, and GCC cannot turn it into "not > 0x20" (a compare and a compare with zero), as it did the
 * _mm_cmplt_epi8. Every string and key the parser reads or skips passes here, sixteen bytes at a time. */
static inline __attribute__((always_inline)) __m128i json_stop16_(__m128i x)
{
    return _mm_or_si128(_mm_subs_epi8(_mm_xor_si128(x, _mm_set1_epi8(2)), _mm_set1_epi8(0x21)),
                        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
}

/* 16 bytes at a time: the first byte at or after p (p + 16 <= end) that is not plain string text. */
static inline __attribute__((always_inline)) const char *json_str_run_end_(const char *p, const char *end)
{
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(json_stop16_(x));
        if (m) return p + json_ctz_(m);
        p += 16;
    }
    while (p < end && json_plain_str_byte_((unsigned char)*p)) p++;
    return p;
}

/* The stop bytes of a plain string (as in json_str_run_end_) among the 16 bytes at p, as a bit mask. */
static inline __attribute__((always_inline)) unsigned json_str_stop16_(const char *p)
{
    return (unsigned)_mm_movemask_epi8(json_stop16_(_mm_loadu_si128((const __m128i *)(const void *)p)));
}

/* The end of the blanks at p, in the shapes of compact and pretty JSON: p itself when *p is no blank (or a
 * blank other than a space or a line break), else the first byte after p that is no space, at most 16 bytes
 * on from p + 1 (so p + 17 must be within the input). Every byte skipped is a blank, so whatever the caller
 * finds there ('"', ',', '}', ']', the bytes it takes) is what a full whitespace scan would find; any other
 * byte (a tab, a carriage return, a control byte, a second line break, or an 18th blank) is no byte a caller
 * takes, and it goes its general way from where it was. Never NULL. One compare for compact JSON, three for
 * the blank of "key": value, and for a line break and its indent one 16-byte compare of spaces only (the
 * line break is the byte at p, already tested), instead of a compare per shape. */
static inline __attribute__((always_inline)) const char *json_blank_far_(const char *p)
{
    unsigned char c = (unsigned char)*p;
    if (c > ' ') return p;
    if (c == ' ') {
        if ((unsigned char)p[1] > ' ') return p + 1;
    } else if (c != '\n') {
        return p;
    }
    /* a space or line break at p, then the spaces after it (an indent) */
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
    return p + 1 + json_ctz_(~sp); /* ~sp has bits 16 and up set: 16 at most */
}

/* json_ws_run_end_ for any other run of blanks (in json.c): out of line, so the shapes above, inlined at
 * every step of the parser, carry neither its loop nor its four constants. */
const char *json_ws_run_end_slow_(const char *p, const char *end);

static inline __attribute__((always_inline)) const char *json_ws_run_end_(const char *p, const char *end)
{
    if (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c > ' ') return p; /* minified JSON: no blank at all; one compare */
        /* one test of the byte picks the shape, so a line break pays no compare for the blank's */
        if (c == ' ') {
            if (end - p >= 2 && (unsigned char)p[1] > ' ') return p + 1; /* the ": " of pretty JSON */
        } else if (c == '\n' && end - p >= 17) {
            /* pretty JSON's line break and indent: one compare for the spaces; anything else below */
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
            unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' '))) & 0xFFFFu;
            if (m) {
                const char *q = p + 1 + json_ctz_(m);
                if ((unsigned char)*q > ' ') return q;
            }
        }
    }
    return json_ws_run_end_slow_(p, end);
}
#else
static inline __attribute__((always_inline)) const char *json_str_run_end_(const char *p, const char *end)
{
    while (p < end && json_plain_str_byte_((unsigned char)*p)) p++;
    return p;
}

static inline __attribute__((always_inline)) const char *json_ws_run_end_(const char *p, const char *end)
{
    while (p < end && json_is_ws_(*p)) p++;
    return p;
}
#endif

/* The closing quote of a plain string whose text starts at s (just after its opening quote), or NULL when a
 * stop byte other than '"' comes first (an escape, a control or non-ASCII byte: the caller's general path
 * takes those) or the text runs to the end. far: s + 32 <= end (the opening quote is JSON_FAR_ bytes or more
 * from the end). Far from the end, a string of up to 15 bytes (the usual one) is one 16-byte compare, and one
 * of up to 31 (ids, domains, paths) two, without json_str_run_end_'s loop test and the test that the stop
 * byte lies before the end; the two tails are written out apart, so the short string pays no test for the
 * second compare. */
static inline __attribute__((always_inline)) const char *json_str_close_(const char *s, const char *end,
                                                                         bool far)
{
#ifdef __SSE2__
    if (far) {
        unsigned m = json_str_stop16_(s);
        if (m) {
            const char *q = s + json_ctz_(m);
            return *q == '"' ? q : NULL;
        }
        s += 16; /* all plain text */
        m = json_str_stop16_(s);
        if (m) {
            const char *q = s + json_ctz_(m);
            return *q == '"' ? q : NULL;
        }
        s += 16;
    }
#else
    (void)far;
#endif
    const char *q = json_str_run_end_(s, end);
    return q < end && *q == '"' ? q : NULL;
}

#endif
