/* http: the small HTTP/1.1 pieces fairbid-loadgen needs: URL parsing, the loopback safety check, and an
 * incremental response parser over a connection's read buffer. Pure functions, no allocation, no I/O except
 * the name resolution in http_resolve. */
#ifndef FAIRBID_LOADGEN_HTTP_H
#define FAIRBID_LOADGEN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HTTP_MAX_HOST 256
#define HTTP_MAX_PATH 1024

struct http_url {
    char host[HTTP_MAX_HOST];         /* without brackets for IPv6 literals */
    char hostport[HTTP_MAX_HOST + 8]; /* as it goes into the Host header */
    int port;
    char path[HTTP_MAX_PATH]; /* "/" when absent; includes the query */
};

/* Parses "http://host[:port][/path]". Returns 0, or -1 with a static message in *err (https is refused: the
 * generator measures the bidder, not TLS). */
int http_parse_url(const char *url, struct http_url *u, const char **err);

/* Resolves u's host (numeric or by name) into *addr. Returns 0, or -1 with *err set. */
int http_resolve(const struct http_url *u, struct sockaddr_storage *addr, socklen_t *addrlen,
                 const char **err);
/* True when the address is 127.0.0.0/8, ::1 or an IPv4-mapped loopback. */
bool http_is_loopback(const struct sockaddr *sa);

struct http_resp {
    int status;
    size_t msg_len;   /* bytes of the whole message, head and body */
    const char *body; /* the body as sent (still chunked when chunked is set) */
    size_t body_len;
    bool chunked;
    bool close; /* the server said Connection: close (or spoke HTTP/1.0 without keep-alive) */
    bool gzip;  /* Content-Encoding: gzip */
};

enum {
    HTTP_PARSE_MORE = 0,      /* incomplete: read more */
    HTTP_PARSE_DONE = 1,      /* one whole message at the start of the buffer, described by *r */
    HTTP_PARSE_ERROR = -1,    /* malformed */
    HTTP_PARSE_TOO_LARGE = -2 /* head larger than HTTP_MAX_HEAD */
};
#define HTTP_MAX_HEAD 16384

/* Parses the response at the start of p[0..n). Re-parses from the start on every call: responses to a bidder
 * are small, and this keeps the parser stateless. Views in *r point into p. */
int http_parse_response(const char *p, size_t n, struct http_resp *r);

/* Decodes a chunked body into out (at most cap bytes). Returns the decoded length, or -1 when malformed or
 * larger than cap. */
long http_dechunk(const char *p, size_t n, char *out, size_t cap);

#endif
