/* buf: an output buffer with a hard cap, for writing JSON straight into memory without a DOM.
 * Writes past the cap set `overflow` and are dropped; the caller checks once at the end. */
#ifndef FAIRBID_FILTERS_BUF_H
#define FAIRBID_FILTERS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filters/sv.h"

struct buf {
    char *p;    /* borrowed storage */
    size_t cap; /* hard cap */
    size_t len;
    bool overflow;
};

void buf_init(struct buf *b, char *storage, size_t cap);
/* Inline (below): a response is a few dozen short writes, mostly literals whose length is then a constant. */
static inline void buf_put(struct buf *b, const void *p, size_t n);
static inline void buf_putc(struct buf *b, char c);
static inline void buf_puts(struct buf *b, const char *s);
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_u64(struct buf *b, uint64_t v);
/* A decimal with up to 6 fractional digits, trailing zeros trimmed (prices in micros → "2.5"). */
void buf_put_micros(struct buf *b, int64_t micros);
/* The characters of a JSON string, escaped, without the quotes. */
void buf_put_json_chars(struct buf *b, struct sv s);
/* A JSON string literal with quotes, escaping what JSON requires. */
void buf_put_json_str(struct buf *b, struct sv s);
/* A double as JSON (finite; non-finite becomes null), shortest round-trip form via %.17g fallback. */
void buf_put_double(struct buf *b, double v);
/* NUL-terminates without counting the NUL; returns b->p, or NULL on overflow. */
const char *buf_cstr(struct buf *b);

/* ---- inline definitions ---- */

static inline void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void buf_putc(struct buf *b, char c)
{
    if (b->len < b->cap && !b->overflow)
        b->p[b->len++] = c;
    else
        b->overflow = true;
}

static inline void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

#endif
