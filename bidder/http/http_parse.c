/* http_parse: see http_parse.h. */
#include "bidder/http/http_parse.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define HP_MAX_HEADERS 100

/* tchar (RFC 9110 5.6.2): the characters of a method or a field name (http_parse.h) */
const unsigned char hp_tchar[256] = {
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
static inline long line_end(const char *p, size_t n, size_t i)
{
#ifdef __SSE2__
    /* header lines are short: a few 16-byte compares here beat a call to memchr */
    const __m128i lf = _mm_set1_epi8('\n');
    for (int k = 0; k < 4 && n - i >= 16; k++, i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), lf));
        if (m) return (long)(i + (size_t)__builtin_ctz(m));
    }
#endif
    const char *nl = memchr(p + i, '\n', n - i);
    return nl ? nl - p : -1;
}

/* Header names are tchars (checked before any compare), and for a tchar t and a lowercase letter or '-' x,
 * (t | 0x20) == x exactly when t is x in either case: so names compare 8 bytes at a time, OR-ed to lower
 * case, with no per-byte branches. lit is lowercase. */
static bool name_is(struct sv name, const char *lit, size_t n)
{
    if (name.n != n) return false;
    const uint64_t lower = 0x2020202020202020ull;
    size_t i = 0;
    if (n >= 8) {
        /* whole words, the last one overlapping the one before: no byte loop */
        uint64_t a, b;
        for (; i + 8 < n; i += 8) {
            memcpy(&a, name.p + i, 8);
            memcpy(&b, lit + i, 8);
            if ((a | lower) != b) return false;
        }
        memcpy(&a, name.p + n - 8, 8);
        memcpy(&b, lit + n - 8, 8);
        return (a | lower) == b;
    }
    if (n >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, name.p, 4);
        memcpy(&b, lit, 4);
        memcpy(&c, name.p + n - 4, 4);
        memcpy(&d, lit + n - 4, 4);
        return (a | 0x20202020u) == b && (c | 0x20202020u) == d;
    }
    for (; i < n; i++)
        if (((unsigned char)name.p[i] | 0x20) != (unsigned char)lit[i]) return false;
    return true;
}
#define NAME_IS(a, lit) name_is((a), (lit), sizeof(lit) - 1)

/* The length of the run at p[0..n) of letters, digits and '-' (what header names are made of; all tchars),
 * 16 bytes at a time while buf_end allows; callers continue byte by byte with the full tchar table. */
static size_t name_run(const char *p, size_t n, const char *buf_end)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i lc = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), z = _mm_set1_epi8(25),
                  d0 = _mm_set1_epi8('0'), d9 = _mm_set1_epi8(9), dash = _mm_set1_epi8('-');
    for (; i < n && buf_end - (p + i) >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i al = _mm_sub_epi8(_mm_or_si128(x, lc), a), dg = _mm_sub_epi8(x, d0);
        __m128i ok = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(al, z), al), _mm_cmpeq_epi8(_mm_min_epu8(dg, d9), dg)),
            _mm_cmpeq_epi8(x, dash));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
        if (m) {
            i += (size_t)__builtin_ctz(m);
            return i < n ? i : n;
        }
    }
#else
    (void)buf_end;
#endif
    return i < n ? i : n;
}

/* The length of the run at p[0..n) of bytes above ' ' but DEL (a request target), 16 at a time as above. */
static size_t target_run(const char *p, size_t n, const char *buf_end)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), del = _mm_set1_epi8(0x7F);
    for (; i < n && buf_end - (p + i) >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, sp), x), _mm_cmpeq_epi8(x, del));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m) {
            i += (size_t)__builtin_ctz(m);
            return i < n ? i : n;
        }
    }
    if (i > n) return n;
#else
    (void)buf_end;
#endif
    while (i < n && (unsigned char)p[i] > ' ' && p[i] != 0x7f) i++;
    return i;
}

/* The index of the first control character but tab (or DEL) in p[i..lim), or lim: the end of a field value,
 * which should be the CR of its CRLF. 16 bytes at a time within lim. */
static inline size_t ctl_run(const char *p, size_t i, size_t lim)
{
#ifdef __SSE2__
    const __m128i c1f = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7F);
    for (; lim - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i bad =
            _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(x, tab), _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x)),
                         _mm_cmpeq_epi8(x, del));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (m) return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < lim; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return i;
    }
    return lim;
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

/* The first '?' of a target, or NULL: a target as short as the usual path is one 16-byte compare (masked to
 * its length) instead of a call to memchr. */
static const char *target_qmark(struct sv t, const char *buf_end)
{
#ifdef __SSE2__
    if (t.n <= 16 && buf_end - t.p >= 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)t.p), _mm_set1_epi8('?')));
        m &= (1u << t.n) - 1u;
        return m ? t.p + __builtin_ctz(m) : NULL;
    }
#else
    (void)buf_end;
#endif
    return memchr(t.p, '?', t.n);
}

static int parse_request_line(struct sv l, const char *buf_end, struct hp_request *r)
{
    size_t i = 0;
    /* the usual method: the tchar walk would stop at the space after POST */
    bool post = l.n >= 5 && memcmp(l.p, "POST ", 5) == 0;
    if (post)
        i = 4;
    else
        while (i < l.n && hp_tchar[(unsigned char)l.p[i]]) i++;
    if (i == 0 || i >= l.n || l.p[i] != ' ') return HP_EREQLINE;
    r->method_name = (struct sv){l.p, i};
    if (post || sv_eq(r->method_name, SV_LIT("POST")))
        r->method = HP_POST;
    else if (sv_eq(r->method_name, SV_LIT("GET")))
        r->method = HP_GET;
    else if (sv_eq(r->method_name, SV_LIT("HEAD")))
        r->method = HP_HEAD;
    else
        r->method = HP_OTHER;
    size_t ts = ++i;
    i = ts + target_run(l.p + ts, l.n - ts, buf_end);
    if (i == ts || i >= l.n || l.p[i] != ' ') return HP_EREQLINE;
    r->target = (struct sv){l.p + ts, i - ts};
    struct sv v = {l.p + i + 1, l.n - i - 1};
    /* the usual version, whole: every test below would pass */
    if (v.n == 8 && memcmp(v.p, "HTTP/1.1", 8) == 0)
        r->minor = 1;
    else if (v.n != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' || v.p[5] < '0' || v.p[5] > '9' ||
             v.p[7] < '0' || v.p[7] > '9')
        return v.n >= 5 && memcmp(v.p, "HTTP/", 5) == 0 ? HP_EVERSION : HP_EREQLINE;
    else if (v.p[5] != '1')
        return HP_EVERSION;
    else
        r->minor = v.p[7] - '0';

    /* absolute-form (a proxy-style target): keep the path */
    struct sv t = r->target;
    if (t.n > 7 && (t.p[0] | 0x20) == 'h' && /* origin-form ("/...") needs none of this */
        (IEQ(((struct sv){t.p, 7}), "http://") || (t.n > 8 && IEQ(((struct sv){t.p, 8}), "https://")))) {
        const char *host = (const char *)memchr(t.p, ':', t.n) + 3;
        const char *slash = memchr(host, '/', (size_t)(t.p + t.n - host));
        t = slash ? (struct sv){slash, (size_t)(t.p + t.n - slash)} : (struct sv){t.p + t.n, 0}; /* no path */
    }
    const char *q = target_qmark(t, buf_end);
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
        unsigned d = (unsigned char)v.p[i] - (unsigned)'0'; /* one compare: a byte below '0' wraps past 9 */
        if (d > 9) return HP_ELENGTH;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

int hp_head_scan(struct hp_head_scan *s, const char *p, size_t n, size_t max_head)
{
    size_t lim = n < max_head ? n : max_head;
    size_t i = s->pos;
    if (!s->started) {
        /* RFC 9112 2.2: empty lines (CRLF) before the request line are ignored */
        while (i < lim && p[i] == '\r') {
            if (i + 1 >= lim) goto more;
            if (p[i + 1] != '\n') break; /* a stray CR: the request line parser rejects it */
            i += 2;
        }
        if (i < lim && p[i] == '\n') return HP_EBARELF;
        if (i >= lim) goto more;
        s->started = 1;
        s->start = i;
    }
    while (i < lim) {
        const char *nl = memchr(p + i, '\n', lim - i);
        if (!nl) {
            i = lim;
            break;
        }
        size_t e = (size_t)(nl - p);
        if (e == s->start || p[e - 1] != '\r') return HP_EBARELF;
        i = e + 1;
        if (e >= s->start + 3 && p[e - 2] == '\n' && p[e - 3] == '\r') return (int)i; /* CRLF CRLF */
    }
more:
    s->pos = i;
    return n >= max_head ? HP_EHEADTOOBIG : 0;
}

/* The line starting at p[i] in p[0..lim): sets *l (without its CRLF) and returns the index after its LF; 0
 * when the line has not arrived; HP_EBARELF when it ends with a bare LF. Inlined: every request's line comes
 * through here. */
static inline __attribute__((always_inline)) long next_line(const char *p, size_t lim, size_t i, struct sv *l)
{
    long e = line_end(p, lim, i);
    if (e < 0) return 0;
    if ((size_t)e == i || p[e - 1] != '\r') return HP_EBARELF;
    *l = (struct sv){p + i, (size_t)e - 1 - i};
    return e + 1;
}

/* One pass over the lines as they are: an error in an early line is answered without waiting for the rest. */
int hp_parse_head(const char *p, size_t n, size_t max_head, struct hp_request *r)
{
    memset(r, 0, sizeof *r);
    size_t lim = n < max_head ? n : max_head;
#define MORE (n >= max_head ? HP_EHEADTOOBIG : 0)
    size_t i = 0;
    /* RFC 9112 2.2: empty lines (CRLF) before the request line are ignored */
    while (i < lim && p[i] == '\r') {
        if (i + 1 >= lim) return MORE;
        if (p[i + 1] != '\n') break;
        i += 2;
    }
    if (i < lim && p[i] == '\n') return HP_EBARELF;
    struct sv l;
    long nx = next_line(p, lim, i, &l);
    if (nx <= 0) return nx < 0 ? (int)nx : MORE;
    int rc = parse_request_line(l, p + n, r);
    if (rc) return rc;
    i = (size_t)nx;

    bool conn_close = false, conn_keep = false, have_te = false;
    int nhdr = 0, nhost = 0;
    for (;;) {
        /* the usual field is read in one pass: its name, ':', blanks, then the value up to the first control
         * character, which must be the CR of a CRLF. Anything else is a bad line: bad_line reads it as a
         * line, to answer as a line-by-line reading would (a bare LF, a malformed field, or more bytes
         * needed when the line has not all arrived). */
        if (i < lim && p[i] == '\r') {
            if (i + 1 >= lim) return MORE;
            if (p[i + 1] == '\n') {
                i += 2;
                break; /* the empty line: the end of the head */
            }
        }
        if (++nhdr > HP_MAX_HEADERS) {
            /* only once the line is there, as for any line */
            nx = next_line(p, lim, i, &l);
            if (nx <= 0) return nx < 0 ? (int)nx : MORE;
            return HP_ETOOMANYHDR;
        }
        /* obs-fold and whitespace before the colon are rejected (RFC 9112 5.1, 5.2) */
        size_t c = i + name_run(p + i, lim - i, p + lim);
        /* name_run stops at the usual name's ':', which is no tchar: the table walk would not move */
        if (c >= lim || p[c] != ':')
            while (c < lim && hp_tchar[(unsigned char)p[c]]) c++;
        if (c == i || c >= lim || p[c] != ':') goto bad_line;
        struct sv name = {p + i, c - i};
        size_t vs = c + 1;
        while (vs < lim && (p[vs] == ' ' || p[vs] == '\t')) vs++;
        size_t e = ctl_run(p, vs, lim);
        if (e + 1 >= lim) {
            if (e >= lim || p[e] == '\r') return MORE; /* the line has not all arrived */
            goto bad_line;
        }
        if (p[e] != '\r' || p[e + 1] != '\n') goto bad_line;
        size_t ve = e;
        /* a value rarely ends with blanks: one compare of its last byte skips the walk back */
        if (ve > vs && (unsigned char)p[ve - 1] <= ' ')
            while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t')) ve--;
        struct sv val = {p + vs, ve - vs};
        i = e + 2;
        switch (name.n) {
        case 4:
            if (NAME_IS(name, "host")) nhost++;
            break;
        case 6:
            if (NAME_IS(name, "expect") && IEQ(val, "100-continue")) r->expect_continue = true;
            break;
        case 10:
            if (NAME_IS(name, "connection")) {
                struct sv list = val;
                while (list.n) {
                    struct sv t = next_token(&list);
                    if (IEQ(t, "close")) conn_close = true;
                    if (IEQ(t, "keep-alive")) conn_keep = true;
                }
            }
            break;
        case 14:
            if (NAME_IS(name, "content-length")) {
                uint64_t len;
                if (parse_length(val, &len)) return HP_ELENGTH;
                if (r->has_length && len != r->content_length) return HP_ELENGTH;
                r->has_length = true;
                r->content_length = len;
            }
            break;
        case 16:
            if (NAME_IS(name, "content-encoding")) r->content_encoding = val;
            break;
        case 17:
            if (NAME_IS(name, "transfer-encoding")) {
                /* exactly one field holding exactly "chunked": we implement no other coding (RFC 9112 6.1),
                 * and a list a proxy may read differently ("chunked, chunked", "gzip, chunked") is refused
                 * rather than guessed at */
                if (have_te || !IEQ(val, "chunked")) return HP_ETE;
                have_te = true;
            }
            break;
        default:
            break;
        }
        continue;
    bad_line:
        nx = next_line(p, lim, i, &l);
        if (nx <= 0) return nx < 0 ? (int)nx : MORE;
        return HP_EHEADER;
    }
    if (have_te && r->has_length) return HP_ESMUGGLE;
    if (have_te && r->minor == 0) return HP_ETE;
    /* RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host or with several */
    if (nhost > 1 || (r->minor >= 1 && nhost == 0)) return HP_EHOST;
    r->chunked = have_te;
    r->keep_alive = r->minor >= 1 ? !conn_close : (conn_keep && !conn_close);
    r->head_len = i;
    return (int)i;
#undef MORE
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The chunked grammar (RFC 9112 7.1), one state per position; every line ends with CRLF. */
enum {
    CK_SIZE,       /* hex digits of a chunk size */
    CK_BWS,        /* blanks after the size: only ';' (an extension) or CR may follow */
    CK_EXT,        /* a chunk extension, skipped up to CR */
    CK_SIZE_LF,    /* the LF after the size line's CR */
    CK_DATA,       /* chunk data (left bytes to go) */
    CK_DATA_CR,    /* the CR after chunk data */
    CK_DATA_LF,    /* the LF after chunk data */
    CK_TRAILER,    /* start of a trailer line, or of the final empty line */
    CK_TRAILER_IN, /* inside a trailer field, up to CR */
    CK_TRAILER_LF, /* the LF after a trailer field */
    CK_END_LF,     /* the LF of the final empty line */
    CK_DONE,
};

void hp_chunked_init(struct hp_chunked *c)
{
    memset(c, 0, sizeof *c);
    c->state = CK_SIZE;
}

int hp_chunked_feed(struct hp_chunked *c, const char *p, size_t n, size_t max_body, size_t max_overhead)
{
    if (c->state == CK_DONE) return 1;
    size_t wire_max = max_body + max_overhead;
    size_t i = c->pos;
    int rc = 0;
    while (i < n) {
        if (i >= wire_max) {
            rc = HP_EBODYTOOBIG;
            break;
        }
        if (c->state == CK_DATA) {
            size_t k = n - i;
            if (k > c->left) k = (size_t)c->left;
            i += k;
            c->left -= k;
            if (c->left == 0) c->state = CK_DATA_CR;
            continue;
        }
        unsigned char ch = (unsigned char)p[i++];
        switch (c->state) {
        case CK_SIZE: {
            int h = hexval((char)ch);
            if (h >= 0) {
                if (++c->digits > 15) return HP_ECHUNK;
                c->left = c->left * 16 + (uint64_t)h;
                break;
            }
            if (!c->digits) return HP_ECHUNK;
            if (c->left > max_body - c->body) return HP_EBODYTOOBIG;
            if (ch == ' ' || ch == '\t')
                c->state = CK_BWS;
            else if (ch == ';')
                c->state = CK_EXT;
            else if (ch == '\r')
                c->state = CK_SIZE_LF;
            else
                return HP_ECHUNK; /* junk after the size, or a bare LF */
            break;
        }
        case CK_BWS:
            if (ch == ';')
                c->state = CK_EXT;
            else if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if (ch != ' ' && ch != '\t')
                return HP_ECHUNK;
            break;
        case CK_EXT:
            /* extensions are ignored; their length is bounded by the wire limit */
            if (ch == '\r')
                c->state = CK_SIZE_LF;
            else if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
                return HP_ECHUNK;
            break;
        case CK_SIZE_LF:
            if (ch != '\n') return HP_ECHUNK;
            c->digits = 0;
            if (c->left == 0) {
                c->state = CK_TRAILER;
            } else {
                c->body += (size_t)c->left;
                c->state = CK_DATA;
            }
            break;
        case CK_DATA_CR:
            if (ch != '\r') return HP_ECHUNK;
            c->state = CK_DATA_LF;
            break;
        case CK_DATA_LF:
            if (ch != '\n') return HP_ECHUNK;
            c->state = CK_SIZE;
            c->left = 0;
            break;
        case CK_TRAILER:
            if (ch == '\r') {
                c->state = CK_END_LF;
                break;
            }
            if (!hp_tchar[ch]) return HP_ECHUNK;
            c->colon = 0;
            c->state = CK_TRAILER_IN;
            break;
        case CK_TRAILER_IN:
            /* trailer fields are read over and ignored; they must be well-formed name: value lines */
            if (ch == '\r') {
                if (!c->colon) return HP_ECHUNK;
                c->state = CK_TRAILER_LF;
            } else if (ch == ':') {
                c->colon = 1;
            } else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
                return HP_ECHUNK;
            }
            break;
        case CK_TRAILER_LF:
            if (ch != '\n') return HP_ECHUNK;
            c->state = CK_TRAILER;
            break;
        case CK_END_LF:
            if (ch != '\n') return HP_ECHUNK;
            c->state = CK_DONE;
            c->pos = i;
            return 1;
        default:
            return HP_ECHUNK;
        }
    }
    c->pos = i;
    if (rc) return rc;
    return n > wire_max ? HP_EBODYTOOBIG : 0;
}

int hp_chunked_scan(const char *p, size_t n, size_t max_body, size_t max_overhead, size_t *wire_len,
                    size_t *body_len)
{
    struct hp_chunked c;
    hp_chunked_init(&c);
    int rc = hp_chunked_feed(&c, p, n, max_body, max_overhead);
    if (rc == 1) {
        *wire_len = c.pos;
        *body_len = c.body;
    }
    return rc;
}

/* A body hp_chunked_feed accepted: size lines end with CRLF, data is followed by CRLF. */
size_t hp_chunked_decode(char *p, size_t wire_len)
{
    size_t i = 0, out = 0;
    while (i < wire_len) {
        uint64_t size = 0;
        int h;
        while (i < wire_len && (h = hexval(p[i])) >= 0) {
            size = size * 16 + (uint64_t)h;
            i++;
        }
        const char *nl = memchr(p + i, '\n', wire_len - i);
        if (!nl || size == 0) return out;
        i = (size_t)(nl - p) + 1;
        if (size > wire_len - i) return out;
        memmove(p + out, p + i, (size_t)size);
        out += (size_t)size;
        i += (size_t)size + 2;
    }
    return out;
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
        return "unsupported Transfer-Encoding (only a lone chunked, and only with HTTP/1.1)";
    case HP_EHEADTOOBIG:
        return "HTTP request head larger than the limit";
    case HP_ECHUNK:
        return "malformed chunked request body (hex size, optional ;extension, CRLF after the size and after "
               "the data)";
    case HP_EBODYTOOBIG:
        return "request body larger than max_body";
    case HP_ETOOMANYHDR:
        return "too many HTTP header fields";
    case HP_EBARELF:
        return "HTTP line ended by a bare LF: end every line of the head and of chunk framing with CRLF";
    case HP_EHOST:
        return "HTTP/1.1 request without a Host header field, or with several: send exactly one";
    default:
        return "malformed HTTP request";
    }
}
