/* buf: capped output buffer. See buf.h. */
#include "filters/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, char *storage, size_t cap)
{
    b->p = storage;
    b->cap = cap;
    b->len = 0;
    b->overflow = false;
}

void buf_put(struct buf *b, const void *p, size_t n)
{
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void buf_putc(struct buf *b, char c)
{
    if (b->len < b->cap && !b->overflow)
        b->p[b->len++] = c;
    else
        b->overflow = true;
}

void buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_put_u64(struct buf *b, uint64_t v)
{
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_put(b, tmp + i, sizeof tmp - (size_t)i);
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
    int64_t frac = micros % 1000000;
    if (!frac) return;
    char d[7];
    for (int i = 5; i >= 0; i--) {
        d[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    int n = 6;
    while (n > 0 && d[n - 1] == '0') n--;
    buf_putc(b, '.');
    buf_put(b, d, (size_t)n);
}

void buf_put_json_chars(struct buf *b, struct sv s)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
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

void buf_put_json_str(struct buf *b, struct sv s)
{
    buf_putc(b, '"');
    buf_put_json_chars(b, s);
    buf_putc(b, '"');
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
