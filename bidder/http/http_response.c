/* http_response: the client side of bidder/http/: URL and response parsing; see http_response.h. */
#include "bidder/http/http_response.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bidder/http/http_parse.h"

int hp_parse_url(const char *url, struct hp_url *u, const char **err)
{
    memset(u, 0, sizeof *u);
    if (strncasecmp(url, "https://", 8) == 0) {
        *err = "https is not supported (measure the bidder over plain HTTP on loopback)";
        return -1;
    }
    if (strncasecmp(url, "http://", 7) != 0) {
        *err = "a target must start with http://";
        return -1;
    }
    const char *h = url + 7, *hend, *after;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (!hend) {
            *err = "unterminated IPv6 literal";
            return -1;
        }
        h++;
        after = hend + 1;
    } else {
        hend = h + strcspn(h, ":/?");
        after = hend;
    }
    size_t hl = (size_t)(hend - h);
    if (hl == 0 || hl >= HP_URL_MAX_HOST) {
        *err = "empty or overlong host";
        return -1;
    }
    memcpy(u->host, h, hl);
    u->port = 80;
    if (*after == ':') {
        char *e;
        long port = strtol(after + 1, &e, 10);
        if (e == after + 1 || port < 1 || port > 65535) {
            *err = "bad port";
            return -1;
        }
        u->port = (int)port;
        after = e;
    }
    if (*after == '\0') {
        strcpy(u->path, "/");
    } else if (*after == '/' || *after == '?') {
        size_t pl = strlen(after);
        if (pl + 2 >= HP_URL_MAX_PATH) {
            *err = "path too long";
            return -1;
        }
        if (*after == '?') u->path[0] = '/';
        strcat(u->path, after);
    } else {
        *err = "unexpected character after the host";
        return -1;
    }
    for (const char *c = u->path; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            *err = "control character or space in the path";
            return -1;
        }
    bool v6 = strchr(u->host, ':') != NULL;
    snprintf(u->hostport, sizeof u->hostport, v6 ? "[%s]:%d" : "%s:%d", u->host, u->port);
    return 0;
}

/* Case-insensitive search for token in the header value [v, vend). */
static bool value_has(const char *v, const char *vend, const char *token)
{
    size_t tl = strlen(token);
    for (const char *c = v; c + tl <= vend; c++)
        if (strncasecmp(c, token, tl) == 0) return true;
    return false;
}

static bool name_is(const char *n, size_t nl, const char *want)
{
    return nl == strlen(want) && strncasecmp(n, want, nl) == 0;
}

/* A Content-Length value [v, vend) (leading whitespace already skipped): digits and trailing OWS only, at
 * most 2^30. Returns the length, or -1. */
static long long content_length(const char *v, const char *vend)
{
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    if (v == vend) return -1;
    long long n = 0;
    for (const char *c = v; c < vend; c++) {
        if (!isdigit((unsigned char)*c)) return -1;
        n = n * 10 + (*c - '0');
        if (n > (1ll << 30)) return -1;
    }
    return n;
}

int hp_parse_response(const char *p, size_t n, struct hp_response *r)
{
    memset(r, 0, sizeof *r);
    const char *hend = memmem(p, n, "\r\n\r\n", 4);
    if (!hend) return n > HP_RESP_MAX_HEAD ? HP_RESP_TOO_LARGE : HP_RESP_MORE;
    size_t head_len = (size_t)(hend - p) + 4;
    if (head_len < 12 || memcmp(p, "HTTP/1.", 7) != 0) return HP_RESP_ERROR;
    bool http10 = p[7] == '0';
    if ((p[7] != '0' && p[7] != '1') || p[8] != ' ' || !isdigit((unsigned char)p[9]) ||
        !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) || (p[12] != ' ' && p[12] != '\r'))
        return HP_RESP_ERROR;
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    bool said_close = false;
    long long clen = -1;
    bool keep_alive = false;
    const char *line = (const char *)memchr(p, '\n', head_len) + 1;
    while (line < hend + 2) {
        const char *eol = memchr(line, '\n', (size_t)(hend + 4 - line));
        if (!eol) return HP_RESP_ERROR;
        const char *vend = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
        const char *colon = memchr(line, ':', (size_t)(vend - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1;
            while (v < vend && (*v == ' ' || *v == '\t')) v++;
            if (name_is(line, nl, "content-length")) {
                /* two different lengths: which one frames the next response would be a guess */
                long long l = content_length(v, vend);
                if (l < 0 || (clen >= 0 && l != clen)) return HP_RESP_ERROR;
                clen = l;
            } else if (name_is(line, nl, "transfer-encoding")) {
                if (value_has(v, vend, "chunked")) r->chunked = true;
            } else if (name_is(line, nl, "connection")) {
                if (value_has(v, vend, "close")) said_close = true;
                if (value_has(v, vend, "keep-alive")) keep_alive = true;
            } else if (name_is(line, nl, "content-encoding")) {
                if (value_has(v, vend, "gzip")) r->gzip = true;
            }
        }
        line = eol + 1;
    }
    /* keep-alive only lifts HTTP/1.0's default; a "close" anywhere means the server will close */
    r->close = said_close || (http10 && !keep_alive);
    r->body = p + head_len;
    if (r->status == 204 || r->status == 304 || r->status / 100 == 1) {
        r->msg_len = head_len;
        return HP_RESP_DONE;
    }
    if (r->chunked) {
        /* the request parser's chunked scanner (http_parse.c): one grammar for both directions */
        size_t wire, body;
        int rc = hp_chunked_scan(p + head_len, n - head_len, HP_RESP_MAX_BODY, HP_RESP_MAX_CHUNK_OVERHEAD,
                                 &wire, &body);
        if (rc < 0) return HP_RESP_ERROR;
        if (rc == 0) return HP_RESP_MORE;
        r->body_len = wire;
    } else if (clen >= 0) {
        if ((unsigned long long)clen > (1ull << 30)) return HP_RESP_ERROR;
        if (n - head_len < (size_t)clen) return HP_RESP_MORE;
        r->body_len = (size_t)clen;
    } else {
        /* A body delimited by close: we do not support it for keep-alive load; treat as no body and close. */
        r->close = true;
        r->body_len = 0;
    }
    r->msg_len = head_len + r->body_len;
    return HP_RESP_DONE;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

long hp_chunked_copy(const char *p, size_t n, char *out, size_t cap)
{
    size_t wire, body;
    /* validated by the shared scanner first (framing, sizes, the cap); the copy below then only walks a
     * well-formed body, as hp_chunked_decode does in place */
    if (hp_chunked_scan(p, n, cap, n, &wire, &body) != 1) return -1;
    size_t i = 0, o = 0;
    while (i < wire) {
        uint64_t size = 0;
        int h;
        while (i < wire && (h = hexval(p[i])) >= 0) {
            size = size * 16 + (uint64_t)h;
            i++;
        }
        const char *nl = memchr(p + i, '\n', wire - i);
        if (!nl || size == 0) break;
        i = (size_t)(nl - p) + 1;
        memcpy(out + o, p + i, (size_t)size);
        o += (size_t)size;
        i += (size_t)size + 2;
    }
    return (long)o;
}
