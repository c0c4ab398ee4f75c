/* bits: a bounded MSB-first bit reader and a base64url decoder, shared by the consent decoders (tcf, gpp).
 * Pure: no allocation, no I/O. Every read is checked against the bit length the caller gives, so a
 * truncated string becomes an error flag instead of an over-read. */
#ifndef FAIRBID_FILTERS_BITS_H
#define FAIRBID_FILTERS_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A cursor over `nbits` bits of `p` (MSB first). Borrows `p`. */
struct bits {
    const uint8_t *p;
    size_t nbits;
    size_t nbytes; /* bytes of p that may be read: (nbits + 7) / 8 */
    size_t pos;
    bool err; /* set by the first read past nbits; later reads return 0 */
};

static inline void bits_init(struct bits *b, const uint8_t *p, size_t nbits)
{
    b->p = p;
    b->nbits = nbits;
    b->nbytes = (nbits + 7) / 8;
    b->pos = 0;
    b->err = false;
}

static inline size_t bits_left(const struct bits *b)
{
    return b->pos <= b->nbits ? b->nbits - b->pos : 0;
}

/* Reads `width` (0..64) bits at absolute bit offset `off` of `p`; the caller has checked the bound. */
uint64_t bits_get(const uint8_t *p, size_t off, unsigned width);

/* Reads `width` (0..56) bits at offset `off` of p, which holds nbytes readable bytes (the bits must lie
 * inside them). One unaligned 8-byte load when 8 bytes are available, else a byte loop. */
static inline uint64_t bits_peek(const uint8_t *p, size_t nbytes, size_t off, unsigned width)
{
    size_t byte = off >> 3;
    if (width == 0) return 0;
    if (byte + 8 <= nbytes) {
        uint64_t w;
        memcpy(&w, p + byte, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        return (w << (off & 7)) >> (64 - width);
    }
    return bits_get(p, off, width);
}

/* Reads `width` (0..64) bits and advances. Past the end: sets b->err, returns 0, leaves pos unchanged. */
static inline uint64_t bits_read(struct bits *b, unsigned width)
{
    if (b->err || width > bits_left(b)) {
        b->err = true;
        return 0;
    }
    uint64_t v = width <= 56 ? bits_peek(b->p, b->nbytes, b->pos, width) : bits_get(b->p, b->pos, width);
    b->pos += width;
    return v;
}

/* Skips `width` bits; past the end sets b->err. */
void bits_skip(struct bits *b, size_t width);

/* One bit at absolute offset `off` (bounds checked by the caller). */
static inline bool bits_bit(const uint8_t *p, size_t off)
{
    return (p[off >> 3] >> (7 - (off & 7))) & 1;
}

/* Reads a Fibonacci-coded positive integer (Zeckendorf bits, least significant first, ended by "11").
 * Values over UINT32_MAX or a missing terminator set b->err and return 0. */
uint32_t bits_read_fib(struct bits *b);

/* base64url errors */
#define BITS_EB64 (-1)     /* a character outside A-Z a-z 0-9 - _ (or '=' before the end) */
#define BITS_ESCRATCH (-2) /* out buffer too small */

/* Decodes base64url text s[0..n) into out (cap bytes); trailing '=' padding is tolerated and ignored.
 * Sets *nbits to 6 * (number of data characters): bits past that in the last byte are zero and do not
 * count. Output needs ceil(6n/8) bytes. Returns 0 or BITS_EB64 / BITS_ESCRATCH. */
int bits_b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *nbits);

/* Bytes bits_b64url_decode needs for n characters. */
static inline size_t bits_b64url_need(size_t n)
{
    return (n * 6 + 7) / 8;
}

#endif
