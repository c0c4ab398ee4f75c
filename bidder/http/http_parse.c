/* http_parse: see http_parse.h. */
#include "bidder/http_parse.h"

#include <string.h>

#define HP_MAX_HEADERS 100

/* tchar (RFC 9110 5.6.2): the characters of a method or a field name */
static const unsigned char hp_tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1,
    ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,  ['0'] = 1, ['1'] = 1, ['2'] = 1,
    ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,  ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,  ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,  ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,  ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,  ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,  ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static bool ieq(struct sv a, const char *lit, size_t n)
{
    return a.n == n && sv_ieq(a, (struct sv){lit, n});
}
#define IEQ(a, lit) ieq((a), (lit), sizeof(lit) - 1)

/* Finds the end of the line starting at p[i]: returns the index of its '\n' or -1 when it has not arrived. */
static long line_end(const char *p, size_t n, size_t i)
{
    const char *nl = memchr(p + i, '\n', n - i);
    return nl ? nl - p : -1;
}

/* The line p[i..e) without its trailing '\r'. */
static struct sv line_sv(const char *p, size_t i, size_t e)
{
    size_t len = e - i;
    if (len && p[e - 1] == '\r') len--;
    return (struct sv){p + i, len};
}

static bool has_ctl(struct sv v)
{
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    }
    return false;
}

/* Walks a comma-separated list of tokens (Connection, Transfer-Encoding), calling back on each, trimmed. */
static struct sv next_token(struct sv *list)
{
    size_t i = 0;
    while (i < list->n && (list->p[i] == ' ' || list->p[i] == '\t' || list->p[i] == ',')) i++;
    size_t s = i;
    while (i < list->n && list->p[i] != ',') i++;
    size_t e = i;
    while (e > s && (list->p[e - 1] == ' ' || list->p[e - 1] == '\t')) e--;
    struct sv t = {list->p + s, e - s};
    list->p += i;
    list->n -= i;
    return t;
}

static int parse_request_line(struct sv l, struct hp_request *r)
{
    size_t i = 0;
    while (i < l.n && hp_tchar[(unsigned char)l.p[i]]) i++;
    if (i == 0 || i >= l.n || l.p[i] != ' ') return HP_EREQLINE;
    r->method_name = (struct sv){l.p, i};
    if (sv_eq(r->method_name, SV_LIT("POST")))
        r->method = HP_POST;
    else if (sv_eq(r->method_name, SV_LIT("GET")))
        r->method = HP_GET;
    else if (sv_eq(r->method_name, SV_LIT("HEAD")))
        r->method = HP_HEAD;
    else
        r->method = HP_OTHER;
    size_t ts = ++i;
    while (i < l.n && (unsigned char)l.p[i] > ' ' && l.p[i] != 0x7f) i++;
    if (i == ts || i >= l.n || l.p[i] != ' ') return HP_EREQLINE;
    r->target = (struct sv){l.p + ts, i - ts};
    struct sv v = {l.p + i + 1, l.n - i - 1};
    if (v.n != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' || v.p[5] < '0' || v.p[5] > '9' ||
        v.p[7] < '0' || v.p[7] > '9')
        return v.n >= 5 && memcmp(v.p, "HTTP/", 5) == 0 ? HP_EVERSION : HP_EREQLINE;
    if (v.p[5] != '1') return HP_EVERSION;
    r->minor = v.p[7] - '0';

    /* absolute-form (a proxy-style target): keep the path */
    struct sv t = r->target;
    if (t.n > 7 &&
        (IEQ(((struct sv){t.p, 7}), "http://") || (t.n > 8 && IEQ(((struct sv){t.p, 8}), "https://")))) {
        const char *host = (const char *)memchr(t.p, ':', t.n) + 3;
        const char *slash = memchr(host, '/', (size_t)(t.p + t.n - host));
        t = slash ? (struct sv){slash, (size_t)(t.p + t.n - slash)} : (struct sv){t.p + t.n, 0}; /* no path */
    }
    const char *q = memchr(t.p, '?', t.n);
    if (q) {
        r->path = (struct sv){t.p, (size_t)(q - t.p)};
        r->query = (struct sv){q + 1, (size_t)(t.p + t.n - q - 1)};
    } else {
        r->path = t;
        r->query = (struct sv){t.p + t.n, 0};
    }
    return 0;
}

static int parse_length(struct sv v, uint64_t *out)
{
    if (v.n == 0 || v.n > 18) return HP_ELENGTH;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9') return HP_ELENGTH;
        x = x * 10 + (uint64_t)(v.p[i] - '0');
    }
    *out = x;
    return 0;
}

int hp_parse_head(const char *p, size_t n, size_t max_head, struct hp_request *r)
{
    memset(r, 0, sizeof *r);
    size_t lim = n < max_head ? n : max_head;
    size_t i = 0;
    /* RFC 9112 2.2: ignore empty lines before the request line (robustness for clients that add CRLF) */
    while (i < lim && (p[i] == '\r' || p[i] == '\n')) i++;
    long e = line_end(p, lim, i);
    if (e < 0) return n >= max_head ? HP_EHEADTOOBIG : 0;
    int rc = parse_request_line(line_sv(p, i, (size_t)e), r);
    if (rc) return rc;
    i = (size_t)e + 1;

    bool conn_close = false, conn_keep = false, have_te = false;
    int nhdr = 0;
    for (;;) {
        e = line_end(p, lim, i);
        if (e < 0) return n >= max_head ? HP_EHEADTOOBIG : 0;
        struct sv l = line_sv(p, i, (size_t)e);
        i = (size_t)e + 1;
        if (l.n == 0) break;
        if (++nhdr > HP_MAX_HEADERS) return HP_ETOOMANYHDR;
        /* obs-fold and whitespace before the colon are rejected (RFC 9112 5.1, 5.2) */
        size_t c = 0;
        while (c < l.n && hp_tchar[(unsigned char)l.p[c]]) c++;
        if (c == 0 || c >= l.n || l.p[c] != ':') return HP_EHEADER;
        struct sv name = {l.p, c};
        size_t vs = c + 1, ve = l.n;
        while (vs < ve && (l.p[vs] == ' ' || l.p[vs] == '\t')) vs++;
        while (ve > vs && (l.p[ve - 1] == ' ' || l.p[ve - 1] == '\t')) ve--;
        struct sv val = {l.p + vs, ve - vs};
        if (has_ctl(val)) return HP_EHEADER;
        switch (name.n) {
        case 6:
            if (IEQ(name, "expect") && IEQ(val, "100-continue")) r->expect_continue = true;
            break;
        case 10:
            if (IEQ(name, "connection")) {
                struct sv list = val;
                while (list.n) {
                    struct sv t = next_token(&list);
                    if (IEQ(t, "close")) conn_close = true;
                    if (IEQ(t, "keep-alive")) conn_keep = true;
                }
            }
            break;
        case 14:
            if (IEQ(name, "content-length")) {
                uint64_t len;
                if (parse_length(val, &len)) return HP_ELENGTH;
                if (r->has_length && len != r->content_length) return HP_ELENGTH;
                r->has_length = true;
                r->content_length = len;
            }
            break;
        case 16:
            if (IEQ(name, "content-encoding")) r->content_encoding = val;
            break;
        case 17:
            if (IEQ(name, "transfer-encoding")) {
                /* the final coding must be chunked; we implement no other (RFC 9112 6.1) */
                struct sv list = val, t = SV_NULL, last = SV_NULL;
                while (list.n)
                    if ((t = next_token(&list)).n) last = t;
                if (!IEQ(last, "chunked")) return HP_ETE;
                have_te = true;
            }
            break;
        default:
            break;
        }
    }
    if (have_te && r->has_length) return HP_ESMUGGLE;
    if (have_te && r->minor == 0) return HP_ETE;
    r->chunked = have_te;
    r->keep_alive = r->minor >= 1 ? !conn_close : (conn_keep && !conn_close);
    r->head_len = i;
    return (int)i;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* One chunk-size line at p[i]: sets *size and *data (where the data starts). 0 = need more, 1 = ok, <0 error.
 */
static int chunk_line(const char *p, size_t n, size_t i, uint64_t *size, size_t *data)
{
    size_t j = i;
    uint64_t s = 0;
    int digits = 0;
    for (; j < n; j++) {
        int h = hexval(p[j]);
        if (h < 0) break;
        if (++digits > 15) return HP_ECHUNK;
        s = s * 16 + (uint64_t)h;
    }
    if (j == n) return 0;
    if (!digits) return HP_ECHUNK;
    /* chunk extensions are skipped (bounded by the caller's wire limit) */
    if (p[j] != '\r' && p[j] != '\n' && p[j] != ';' && p[j] != ' ' && p[j] != '\t') return HP_ECHUNK;
    const char *nl = memchr(p + j, '\n', n - j);
    if (!nl) return 0;
    for (const char *q = p + j; q < nl; q++)
        if (*q == '\r' && q + 1 != nl) return HP_ECHUNK;
    *size = s;
    *data = (size_t)(nl - p) + 1;
    return 1;
}

/* A line end (CRLF or LF) at p[i]: 0 = need more, 1 = ok (sets *next), <0 error. */
static int crlf(const char *p, size_t n, size_t i, size_t *next)
{
    if (i >= n) return 0;
    if (p[i] == '\n') {
        *next = i + 1;
        return 1;
    }
    if (p[i] != '\r') return HP_ECHUNK;
    if (i + 1 >= n) return 0;
    if (p[i + 1] != '\n') return HP_ECHUNK;
    *next = i + 2;
    return 1;
}

int hp_chunked_scan(const char *p, size_t n, size_t max_body, size_t max_overhead, size_t *wire_len,
                    size_t *body_len)
{
    size_t i = 0, body = 0;
    size_t wire_max = max_body + max_overhead;
    size_t lim = n < wire_max + 1 ? n : wire_max + 1;
    for (;;) {
        uint64_t size;
        size_t data;
        int rc = chunk_line(p, lim, i, &size, &data);
        if (rc <= 0) return rc < 0 ? rc : (n > wire_max ? HP_EBODYTOOBIG : 0);
        if (size > max_body - body) return HP_EBODYTOOBIG;
        if (size == 0) {
            /* trailer fields until an empty line; their content is ignored */
            i = data;
            for (;;) {
                long e = line_end(p, lim, i);
                if (e < 0) return n > wire_max ? HP_EBODYTOOBIG : 0;
                struct sv l = line_sv(p, i, (size_t)e);
                i = (size_t)e + 1;
                if (l.n == 0) break;
                if (has_ctl(l) || !memchr(l.p, ':', l.n)) return HP_ECHUNK;
            }
            *wire_len = i;
            *body_len = body;
            return 1;
        }
        body += (size_t)size;
        if (data + size > lim) return n > wire_max ? HP_EBODYTOOBIG : 0;
        rc = crlf(p, lim, data + (size_t)size, &i);
        if (rc <= 0) return rc < 0 ? rc : (n > wire_max ? HP_EBODYTOOBIG : 0);
    }
}

size_t hp_chunked_decode(char *p, size_t wire_len)
{
    size_t i = 0, out = 0;
    for (;;) {
        uint64_t size;
        size_t data;
        if (chunk_line(p, wire_len, i, &size, &data) != 1 || size == 0) return out;
        memmove(p + out, p + data, (size_t)size);
        out += (size_t)size;
        size_t next;
        if (crlf(p, wire_len, data + (size_t)size, &next) != 1) return out;
        i = next;
    }
}

int hp_status(int err)
{
    switch (err) {
    case HP_EVERSION:
        return 505;
    case HP_ETE:
        return 501;
    case HP_EHEADTOOBIG:
    case HP_ETOOMANYHDR:
        return 431;
    case HP_EBODYTOOBIG:
        return 413;
    default:
        return 400;
    }
}

const char *hp_strerror(int err)
{
    switch (err) {
    case HP_EREQLINE:
        return "malformed HTTP request line (expected: METHOD /path HTTP/1.1)";
    case HP_EVERSION:
        return "unsupported HTTP version (HTTP/1.0 and HTTP/1.1 are served)";
    case HP_EHEADER:
        return "malformed HTTP header field (name: value, no folding, no space before the colon)";
    case HP_ELENGTH:
        return "invalid Content-Length (not a decimal number, or several that differ)";
    case HP_ESMUGGLE:
        return "both Content-Length and Transfer-Encoding: send one";
    case HP_ETE:
        return "unsupported Transfer-Encoding (only chunked, and only with HTTP/1.1)";
    case HP_EHEADTOOBIG:
        return "HTTP request head larger than the limit";
    case HP_ECHUNK:
        return "malformed chunked request body";
    case HP_EBODYTOOBIG:
        return "request body larger than max_body";
    case HP_ETOOMANYHDR:
        return "too many HTTP header fields";
    default:
        return "malformed HTTP request";
    }
}
