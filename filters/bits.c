/* bits: bounded bit reader and base64url decoder for the consent decoders. See bits.h. */
#include "filters/bits.h"

uint64_t bits_get(const uint8_t *p, size_t off, unsigned width)
{
    if (width == 0) return 0;
    if (width > 56) {
        /* Keep the accumulator below 64 bits: two reads. */
        uint64_t hi = bits_get(p, off, width - 32);
        return (hi << 32) | bits_get(p, off + width - 32, 32);
    }
    /* Byte at a time, touching only the bytes that hold bits [off, off + width). */
    size_t byte = off >> 3;
    unsigned have = 8 - (unsigned)(off & 7);
    uint64_t v = p[byte] & (0xffu >> (off & 7));
    while (have < width) {
        v = (v << 8) | p[++byte];
        have += 8;
    }
    return v >> (have - width);
}

void bits_skip(struct bits *b, size_t width)
{
    if (b->err || width > bits_left(b)) {
        b->err = true;
        return;
    }
    b->pos += width;
}

uint32_t bits_read_fib(struct bits *b)
{
    /* Fibonacci terms 1, 2, 3, 5, ...; bit i (from the start) weighs F(i+2). */
    uint64_t f1 = 1, f2 = 2, v = 0;
    bool prev = false;
    for (;;) {
        if (b->err || bits_left(b) == 0) {
            b->err = true;
            return 0;
        }
        bool bit = bits_bit(b->p, b->pos++);
        if (bit && prev) break;
        if (bit) v += f1;
        if (v > UINT32_MAX || f1 > UINT32_MAX) {
            b->err = true;
            return 0;
        }
        uint64_t f3 = f1 + f2;
        f1 = f2;
        f2 = f3;
        prev = bit;
    }
    return (uint32_t)v;
}

/* 0..63 for the base64url alphabet, 64 for anything else. */
static const uint8_t b64url_rev[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64,
};
/* The table stores value + 1 so that the zero default means "not in the alphabet". */

int bits_b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *nbits)
{
    while (n > 0 && s[n - 1] == '=') n--;
    if (bits_b64url_need(n) > cap) return BITS_ESCRATCH;
    size_t o = 0, i = 0;
    /* Four characters make three bytes; the table holds value + 1 so that 0 flags a bad character. */
    for (; i + 4 <= n; i += 4) {
        unsigned a = b64url_rev[(unsigned char)s[i]], b = b64url_rev[(unsigned char)s[i + 1]];
        unsigned c = b64url_rev[(unsigned char)s[i + 2]], d = b64url_rev[(unsigned char)s[i + 3]];
        if (!a || !b || !c || !d) return BITS_EB64;
        uint32_t v = ((a << 18) + (b << 12) + (c << 6) + d) - ((1u << 18) + (1u << 12) + (1u << 6) + 1u);
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
        o += 3;
    }
    uint32_t acc = 0;
    unsigned accbits = 0;
    for (; i < n; i++) {
        unsigned v = b64url_rev[(unsigned char)s[i]];
        if (!v) return BITS_EB64;
        acc = (acc << 6) | (v - 1);
        accbits += 6;
        if (accbits >= 8) {
            accbits -= 8;
            out[o++] = (uint8_t)(acc >> accbits);
        }
    }
    if (accbits) out[o++] = (uint8_t)(acc << (8 - accbits));
    *nbits = n * 6;
    return 0;
}
