/* url: see url.h. */
#include "bidder/http/url.h"

#include <string.h>

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool prefix_ci(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n < k) return false;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)s[i]) != lit[i]) return false;
    return true;
}

/* Dotted-decimal IPv4 with exactly four parts 0..255 (no leading-zero octal games: "0177.0.0.1" is refused
 * as an IPv4 literal, so it is a name and counts as remote). Returns the first octet or -1. */
static int ipv4_first(const char *h, size_t n)
{
    int parts = 0, first = -1;
    size_t i = 0;
    while (i < n) {
        size_t st = i;
        int v = 0;
        while (i < n && h[i] >= '0' && h[i] <= '9') {
            v = v * 10 + (h[i] - '0');
            if (v > 255) return -1;
            i++;
        }
        if (i == st || (i - st > 1 && h[st] == '0')) return -1;
        if (parts == 0) first = v;
        parts++;
        if (i == n) break;
        if (h[i] != '.' || parts == 4) return -1;
        i++;
        if (i == n) return -1;
    }
    return parts == 4 ? first : -1;
}

bool url_host_is_loopback(const char *host)
{
    size_t n = strlen(host);
    if (n == 9 && prefix_ci(host, n, "localhost")) return true;
    if (ipv4_first(host, n) == 127) return true;
    /* IPv6: ::1 in its usual spellings, and the IPv4-mapped loopback */
    if (strcmp(host, "::1") == 0 || strcmp(host, "0:0:0:0:0:0:0:1") == 0) return true;
    if (prefix_ci(host, n, "::ffff:") && ipv4_first(host + 7, n - 7) == 127) return true;
    return false;
}

int url_parse(const char *s, size_t n, struct url *u, const char **err)
{
    memset(u, 0, sizeof *u);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
            *err = "control character or space in the URL";
            return -1;
        }
    if (prefix_ci(s, n, "https://")) {
        *err =
            "https is not supported: fairbid speaks plain HTTP to its upstreams (put TLS in a local proxy)";
        return -1;
    }
    if (!prefix_ci(s, n, "http://")) {
        *err = "must start with http://";
        return -1;
    }
    const char *p = s + 7, *end = s + n;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#') auth_end++;
    if (memchr(p, '@', (size_t)(auth_end - p))) {
        *err = "user information (user@host) is not supported";
        return -1;
    }
    if (memchr(s, '#', n)) {
        *err = "a fragment (#...) has no meaning for a bidder URL";
        return -1;
    }
    const char *h, *hend, *after;
    if (p < end && *p == '[') {
        h = p + 1;
        hend = memchr(h, ']', (size_t)(auth_end - h));
        if (!hend) {
            *err = "unterminated IPv6 literal";
            return -1;
        }
        for (const char *q = h; q < hend; q++)
            if (!((*q >= '0' && *q <= '9') || (lower(*q) >= 'a' && lower(*q) <= 'f') || *q == ':' ||
                  *q == '.')) {
                *err = "malformed IPv6 literal";
                return -1;
            }
        u->ipv6 = true;
        after = hend + 1;
    } else {
        h = p;
        hend = h;
        while (hend < auth_end && *hend != ':') hend++;
        after = hend;
    }
    size_t hl = (size_t)(hend - h);
    if (hl == 0 || hl >= URL_MAX_HOST) {
        *err = "empty or overlong host";
        return -1;
    }
    for (size_t i = 0; i < hl; i++) u->host[i] = (char)lower((unsigned char)h[i]);
    u->host[hl] = '\0';
    if (!u->ipv6)
        for (size_t i = 0; i < hl; i++) {
            char c = u->host[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
                *err = "the host may hold only letters, digits, '-' and '.'";
                return -1;
            }
        }
    u->port = 80;
    if (after < auth_end && *after == ':') {
        const char *q = after + 1;
        long port = 0;
        while (q < auth_end && *q >= '0' && *q <= '9' && port <= 65535) port = port * 10 + (*q++ - '0');
        if (q == after + 1 || q != auth_end || port < 1 || port > 65535) {
            *err = "bad port (1..65535)";
            return -1;
        }
        u->port = (int)port;
        after = q;
    }
    if (after != auth_end) {
        *err = "unexpected character after the host";
        return -1;
    }
    size_t pl = (size_t)(end - auth_end);
    if (pl + 2 > URL_MAX_PATH) {
        *err = "path too long";
        return -1;
    }
    size_t o = 0;
    if (pl == 0 || *auth_end == '?') u->path[o++] = '/';
    memcpy(u->path + o, auth_end, pl);
    u->path[o + pl] = '\0';
    /* the Host header: at most 255 + 2 + 1 + 5 bytes, within hostport's size */
    size_t k = 0;
    if (u->ipv6) u->hostport[k++] = '[';
    memcpy(u->hostport + k, u->host, hl);
    k += hl;
    if (u->ipv6) u->hostport[k++] = ']';
    u->hostport[k++] = ':';
    char digits[6];
    int nd = 0;
    for (int v = u->port; v; v /= 10) digits[nd++] = (char)('0' + v % 10);
    while (nd) u->hostport[k++] = digits[--nd];
    u->hostport[k] = '\0';
    u->loopback = url_host_is_loopback(u->host);
    return 0;
}

static int hexv(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes the value at v (up to '&' or the end) into out; its length or URL_QUERY_BAD. */
static int query_decode(const char *v, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = v; *p && *p != '&'; p++) {
        int ch = (unsigned char)*p;
        if (ch == '%') {
            int hi = hexv((unsigned char)p[1]), lo = hi < 0 ? -1 : hexv((unsigned char)p[2]);
            if (lo < 0) return URL_QUERY_BAD;
            ch = hi * 16 + lo;
            if (ch == 0) return URL_QUERY_BAD;
            p += 2;
        } else if (ch == '+') {
            ch = ' ';
        }
        if (n + 1 >= cap) return URL_QUERY_BAD;
        out[n++] = (char)ch;
    }
    out[n] = '\0';
    return n > (size_t)0x7FFFFFFF ? URL_QUERY_BAD : (int)n;
}

int url_query_value(const char *q, const char *name, char *out, size_t cap)
{
    if (cap) out[0] = '\0';
    if (!q || !name || !cap) return URL_QUERY_ABSENT;
    size_t nl = strlen(name);
    if (!nl) return URL_QUERY_ABSENT;
    const char *found = NULL;
    for (const char *p = q; p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, nl) || (p[nl] != '=' && p[nl] != '&' && p[nl] != '\0')) continue;
        if (found) {
            out[0] = '\0';
            return URL_QUERY_BAD; /* given twice */
        }
        found = p + nl + (p[nl] == '=');
    }
    if (!found) return URL_QUERY_ABSENT;
    int n = query_decode(found, out, cap);
    if (n < 0) out[0] = '\0';
    return n;
}
