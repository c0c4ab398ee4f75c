/* http: URL parsing, loopback check and the response parser; see http.h. */
#include "loadgen/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int http_parse_url(const char *url, struct http_url *u, const char **err)
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
    if (hl == 0 || hl >= HTTP_MAX_HOST) {
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
        if (pl + 2 >= HTTP_MAX_PATH) {
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

int http_resolve(const struct http_url *u, struct sockaddr_storage *addr, socklen_t *addrlen,
                 const char **err)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", u->port);
    int rc = getaddrinfo(u->host, port, &hints, &res);
    if (rc != 0 || !res) {
        *err = rc ? gai_strerror(rc) : "no address";
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *addrlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

bool http_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
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

/* A chunk-size line [s, eol): hex digits, then nothing or BWS ";" extension (RFC 9112 7.1). strtoul would
 * skip leading whitespace, CR and LF included (taking the next line's digits, or reading past the buffer,
 * which is not NUL-terminated) and accept a sign or 0x. Returns 0 with *sz, or -1. */
static int chunk_size(const char *s, const char *eol, unsigned long *sz)
{
    unsigned long v = 0;
    const char *c = s;
    for (; c < eol && isxdigit((unsigned char)*c); c++) {
        v = v * 16 +
            (unsigned long)(isdigit((unsigned char)*c) ? *c - '0' : (tolower((unsigned char)*c) - 'a' + 10));
        if (v > (1ul << 30)) return -1;
    }
    if (c == s) return -1;
    while (c < eol && (*c == ' ' || *c == '\t')) c++;
    if (c < eol && *c != ';') return -1;
    if (c == eol && c > s && (c[-1] == ' ' || c[-1] == '\t')) return -1;
    *sz = v;
    return 0;
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

/* Length of a complete chunked body at p, or 0 when incomplete, -1 when malformed. Trailers are skipped. */
static long chunked_len(const char *p, size_t n)
{
    size_t off = 0;
    for (;;) {
        const char *eol = memmem(p + off, n - off, "\r\n", 2);
        if (!eol) return n - off > 64 ? -1 : 0;
        unsigned long sz;
        if (chunk_size(p + off, eol, &sz)) return -1;
        off = (size_t)(eol - p) + 2;
        if (sz == 0) {
            /* Trailers, then an empty line. */
            for (;;) {
                const char *t = memmem(p + off, n - off, "\r\n", 2);
                if (!t) return 0;
                size_t tl = (size_t)(t - (p + off));
                off += tl + 2;
                if (tl == 0) return (long)off;
            }
        }
        if (n - off < sz + 2) return 0;
        if (p[off + sz] != '\r' || p[off + sz + 1] != '\n') return -1;
        off += sz + 2;
    }
}

int http_parse_response(const char *p, size_t n, struct http_resp *r)
{
    memset(r, 0, sizeof *r);
    const char *hend = memmem(p, n, "\r\n\r\n", 4);
    if (!hend) return n > HTTP_MAX_HEAD ? HTTP_PARSE_TOO_LARGE : HTTP_PARSE_MORE;
    size_t head_len = (size_t)(hend - p) + 4;
    if (head_len < 12 || memcmp(p, "HTTP/1.", 7) != 0) return HTTP_PARSE_ERROR;
    bool http10 = p[7] == '0';
    if ((p[7] != '0' && p[7] != '1') || p[8] != ' ' || !isdigit((unsigned char)p[9]) ||
        !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) || (p[12] != ' ' && p[12] != '\r'))
        return HTTP_PARSE_ERROR;
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    bool said_close = false;
    long long clen = -1;
    bool keep_alive = false;
    const char *line = (const char *)memchr(p, '\n', head_len) + 1;
    while (line < hend + 2) {
        const char *eol = memchr(line, '\n', (size_t)(hend + 4 - line));
        if (!eol) return HTTP_PARSE_ERROR;
        const char *vend = eol > line && eol[-1] == '\r' ? eol - 1 : eol;
        const char *colon = memchr(line, ':', (size_t)(vend - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1;
            while (v < vend && (*v == ' ' || *v == '\t')) v++;
            if (name_is(line, nl, "content-length")) {
                /* two different lengths: which one frames the next response would be a guess */
                long long l = content_length(v, vend);
                if (l < 0 || (clen >= 0 && l != clen)) return HTTP_PARSE_ERROR;
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
        return HTTP_PARSE_DONE;
    }
    if (r->chunked) {
        long cl = chunked_len(p + head_len, n - head_len);
        if (cl < 0) return HTTP_PARSE_ERROR;
        if (cl == 0) return HTTP_PARSE_MORE;
        r->body_len = (size_t)cl;
    } else if (clen >= 0) {
        if ((unsigned long long)clen > (1ull << 30)) return HTTP_PARSE_ERROR;
        if (n - head_len < (size_t)clen) return HTTP_PARSE_MORE;
        r->body_len = (size_t)clen;
    } else {
        /* A body delimited by close: we do not support it for keep-alive load; treat as no body and close. */
        r->close = true;
        r->body_len = 0;
    }
    r->msg_len = head_len + r->body_len;
    return HTTP_PARSE_DONE;
}

long http_dechunk(const char *p, size_t n, char *out, size_t cap)
{
    size_t off = 0, o = 0;
    for (;;) {
        const char *eol = memmem(p + off, n - off, "\r\n", 2);
        if (!eol) return -1;
        unsigned long sz;
        if (chunk_size(p + off, eol, &sz)) return -1;
        off = (size_t)(eol - p) + 2;
        if (sz == 0) return (long)o;
        if (n - off < sz + 2 || cap - o < sz) return -1;
        if (p[off + sz] != '\r' || p[off + sz + 1] != '\n') return -1;
        memcpy(out + o, p + off, sz);
        o += sz;
        off += sz + 2;
    }
}
