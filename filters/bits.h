/* bits: a bounded MSB-first bit reader and a base64url decoder, shared by the consent decoders (tcf, gpp).
 * Pure: no allocation, no I/O. Every read is checked against the bit length the caller gives, so a
 * truncated string becomes an error flag instead of an over-read. */
#ifndef FAIRBID_FILTERS_BITS_H
#define FAIRBID_FILTERS_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A cursor over `nbits` bits of `p` (MSB first). Borrows `p`. */
struct bits {
    const uint8_t *p;
    size_t nbits;
    size_t pos;
    bool err; /* set by the first read past nbits; later reads return 0 */
};

static inline void bits_init(struct bits *b, const uint8_t *p, size_t nbits)
{
    b->p = p;
    b->nbits = nbits;
    b->pos = 0;
    b->err = false;
}

static inline size_t bits_left(const struct bits *b)
{
    return b->pos <= b->nbits ? b->nbits - b->pos : 0;
}

/* Reads `width` (0..64) bits at absolute bit offset `off` of `p`; the caller has checked the bound. */
uint64_t bits_get(const uint8_t *p, size_t off, unsigned width);

/* Reads `width` (0..64) bits and advances. Past the end: sets b->err, returns 0, leaves pos unchanged. */
uint64_t bits_read(struct bits *b, unsigned width);

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
