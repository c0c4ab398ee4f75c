/* http_resp: see http_resp.h. */
#include "bidder/http/http_resp.h"
#include "bidder/http/http_parse.h"

#include <string.h>

#define HR_MAX_HEADERS 100

/* A field value's bytes: none may be a control character but HTAB (nor DEL). Eight bytes at a time: a word
 * with no byte below 0x20 and none equal to 0x7f is clean (the usual case), any other word is checked byte
 * by byte (a tab sends its word there, and is allowed). */
static bool value_ok(const char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t del = w ^ (ones * 0x7f);
        if (((w - ones * 0x20) & ~w & highs) == 0 && ((del - ones) & ~del & highs) == 0) continue;
        for (size_t k = i; k < i + 8; k++) {
            unsigned char ch = (unsigned char)p[k];
            if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return false;
        }
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) return false;
    }
    return true;
}

/* a field name or token against a lower-case literal of letters and '-': the lengths first (most names differ
 * there), then eight bytes at a time with the 0x20 bit set. Exact for the bytes it is given: a name's bytes
 * are tchars and a value's have passed value_ok, and among those only 'A'..'Z' (and the letter itself) set
 * the 0x20 bit to a lower-case letter, only '-' itself to '-' ('\r' would, but is in neither). */
static bool ieq_lower(struct sv a, const char *lit)
{
    const uint64_t lo = 0x2020202020202020u;
    size_t i = 0;
    for (; i + 8 <= a.n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a.p + i, 8);
        memcpy(&y, lit + i, 8);
        if ((x | lo) != y) return false;
    }
    for (; i < a.n; i++)
        if (((unsigned char)a.p[i] | 0x20) != (unsigned char)lit[i]) return false;
    return true;
}
#define ieq(a, lit) ((a).n == sizeof(lit) - 1 && ieq_lower((a), (lit)))

static struct sv trim(struct sv v)
{
    while (v.n && (v.p[0] == ' ' || v.p[0] == '\t')) v.p++, v.n--;
    while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t')) v.n--;
    return v;
}

/* Whether the comma-separated list holds the token (case-insensitive). */
static bool list_has(struct sv list, struct sv tok)
{
    size_t i = 0;
    while (i < list.n) {
        size_t s = i;
        while (i < list.n && list.p[i] != ',') i++;
        if (sv_ieq(trim((struct sv){list.p + s, i - s}), tok)) return true;
        i++;
    }
    return false;
}

int hr_parse_head(const char *p, size_t n, size_t max_head, struct hr_response *r)
{
    memset(r, 0, sizeof *r);
    size_t lim = n < max_head ? n : max_head;
    /* find the end of the head first: a head is parsed once, when complete */
    size_t end = 0;
    for (const char *x = p; (x = memchr(x, '\n', (size_t)(p + lim - x))) != NULL; x++) {
        size_t i = (size_t)(x - p);
        if (i == 0 || p[i - 1] != '\r') return HR_EBARELF;
        if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r') {
            end = i + 1;
            break;
        }
    }
    if (!end) return n >= max_head ? HR_ETOOBIG : 0;
    /* status line: HTTP/1.x SP 3DIGIT SP reason */
    const char *l = p, *le = memchr(p, '\r', end);
    size_t ln = (size_t)(le - l);
    if (ln < 12 || memcmp(l, "HTTP/", 5) != 0) return HR_ESTATUS;
    if (l[5] != '1' || l[6] != '.' || l[7] < '0' || l[7] > '9') return HR_EVERSION;
    if (l[8] != ' ' || l[9] < '1' || l[9] > '9' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9')
        return HR_ESTATUS;
    if (ln > 12 && l[12] != ' ') return HR_ESTATUS;
    r->minor = l[7] - '0';
    r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    bool conn_close = false, conn_ka = false, has_te = false, te_chunked = false;
    int nh = 0;
    const char *q = le + 2;
    while (q < p + end - 2) {
        const char *e = memchr(q, '\r', (size_t)(p + end - q));
        if (!e || e[1] != '\n') return HR_EHEADER;
        struct sv line = {q, (size_t)(e - q)};
        q = e + 2;
        if (++nh > HR_MAX_HEADERS) return HR_ETOOMANY;
        if (line.p[0] == ' ' || line.p[0] == '\t') return HR_EHEADER; /* obs-fold */
        size_t c = 0;
        while (c < line.n && hp_tchar[(unsigned char)line.p[c]]) c++;
        if (c == 0 || c >= line.n || line.p[c] != ':') return HR_EHEADER;
        struct sv name = {line.p, c}, val = trim((struct sv){line.p + c + 1, line.n - c - 1});
        if (!value_ok(val.p, val.n)) return HR_EHEADER;
        if (ieq(name, "content-length")) {
            if (!val.n || val.n > 18) return HR_ELENGTH;
            uint64_t v = 0;
            for (size_t i = 0; i < val.n; i++) {
                if (val.p[i] < '0' || val.p[i] > '9') return HR_ELENGTH;
                v = v * 10 + (uint64_t)(val.p[i] - '0');
            }
            if (r->has_length && v != r->content_length) return HR_ELENGTH;
            r->has_length = true;
            r->content_length = v;
        } else if (ieq(name, "transfer-encoding")) {
            if (has_te || !ieq(val, "chunked")) return HR_ETE;
            has_te = te_chunked = true;
        } else if (ieq(name, "connection")) {
            /* the usual value alone first: one token, so no list walk */
            if (ieq(val, "keep-alive")) {
                conn_ka = true;
                continue;
            }
            if (list_has(val, SV_LIT("close"))) conn_close = true;
            if (list_has(val, SV_LIT("keep-alive"))) conn_ka = true;
        } else if (ieq(name, "content-type")) {
            r->ctype = val;
        } else if (ieq(name, "content-encoding")) {
            r->encoding = val;
        }
    }
    if (has_te && r->has_length) return HR_ESMUGGLE;
    r->chunked = te_chunked;
    r->keep_alive = r->minor >= 1 ? !conn_close : (conn_ka && !conn_close);
    if (r->status == 204 || r->status == 304 || r->status < 200) {
        r->chunked = false;
        r->has_length = true;
        r->content_length = 0;
    } else if (!r->chunked && !r->has_length) {
        r->until_close = true;
        r->keep_alive = false;
    }
    r->head_len = end;
    return (int)end;
}

const char *hr_strerror(int err)
{
    switch (err) {
    case HR_ESTATUS:
        return "malformed status line";
    case HR_EVERSION:
        return "not HTTP/1.x";
    case HR_EHEADER:
        return "malformed header field";
    case HR_ELENGTH:
        return "invalid Content-Length";
    case HR_ESMUGGLE:
        return "both Content-Length and Transfer-Encoding";
    case HR_ETE:
        return "a transfer coding other than chunked";
    case HR_ETOOBIG:
        return "response head over the limit";
    case HR_EBARELF:
        return "a line ended by LF without CR";
    case HR_ETOOMANY:
        return "too many header fields";
    default:
        return "unknown error";
    }
}
