/* url: "http://host[:port][/path][?query]" parsed into plain fields, and whether the host is a loopback
 * address. Pure: no I/O, no allocation, no name resolution (part of bidder/http/, purity-checked).
 *
 * Used where fairbid is told to talk to someone: an upstream bidder's `url` (bidder/upstream_config.c) and,
 * later, the win-notice forwarding. The loopback test is textual on purpose: a host name other than
 * "localhost" may resolve anywhere, so it counts as remote (the caller then needs the operator's explicit
 * `allow_remote`), which fails toward not sending people's data off the machine. */
#ifndef FAIRBID_BIDDER_HTTP_URL_H
#define FAIRBID_BIDDER_HTTP_URL_H

#include <stdbool.h>
#include <stddef.h>

#define URL_MAX_HOST 256
#define URL_MAX_PATH 1024

struct url {
    char host[URL_MAX_HOST];         /* without brackets for IPv6 literals; lower case */
    char hostport[URL_MAX_HOST + 8]; /* as it goes into the Host header: "h:p" or "[v6]:p" */
    int port;                        /* 80 when absent */
    char path[URL_MAX_PATH];         /* "/" when absent; includes the query */
    bool ipv6;                       /* the host is an IPv6 literal */
    bool loopback;                   /* 127.0.0.0/8, ::1, ::ffff:127.x.y.z or "localhost" */
};

/* Parses s[0..n) (no NUL needed). Returns 0, or -1 with a static message a person can act on in *err:
 * https (fairbid speaks plain HTTP to its upstreams; put TLS in a local proxy), userinfo ("user@host" would
 * hide the real host from a quick read), a bad port, an empty or overlong host, control characters or
 * spaces, a fragment. */
int url_parse(const char *s, size_t n, struct url *u, const char **err);

/* Whether a host literal (as in struct url: no brackets) is a loopback address: IPv4 127.0.0.0/8 in dotted
 * decimal, ::1, ::ffff:127.x.y.z, or the name "localhost" (RFC 6761: it must resolve to loopback). */
bool url_host_is_loopback(const char *host);

/* url_query_value: the value of key name in a query string q ("a=1&b=2", without the '?'), percent-decoded
 * into out (NUL-terminated, at most cap - 1 bytes). '+' decodes to a space (form encoding; both /win readers
 * did so). Keys match whole ("cid" is not "cidx"), case-sensitively; a key without '=' ("&loss&") is present
 * with the empty value.
 *
 * Strict, because the values are ids compared as C strings: an escape that is not '%' and two hex digits
 * ("%zz", a trailing "%4"), an escape of NUL ("%00", which would make "a%00b" compare as "a"), a value longer
 * than cap - 1, or the key given more than once (a nurl carries each key once; which of two copies an
 * exchange, a proxy and fairbid would each read is not knowable, so neither is taken) make the value
 * unreadable. Returns the value's length (0 for "name=" or a bare "name"), URL_QUERY_ABSENT when the key is
 * not there, or URL_QUERY_BAD when it is there but unreadable (out is then the empty string). */
#define URL_QUERY_ABSENT (-1)
#define URL_QUERY_BAD (-2)
int url_query_value(const char *q, const char *name, char *out, size_t cap);

#endif
