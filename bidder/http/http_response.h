/* http_response: the client side of the pure HTTP library (bidder/http/): URL parsing and an HTTP/1.x
 * response parser over a connection's read buffer, with chunked bodies read by the request parser's scanner
 * (http_parse.h), so that the server, the load generator (loadgen/) and the CLIs (`fairbid consent digest
 * --compare`) frame HTTP one way (issue 16: there were three client paths and two chunked decoders).
 * Pure: no I/O, no allocation (scripts/check-purity.sh). Name resolution and sockets stay with the callers
 * (loadgen/http.c). */
#ifndef FAIRBID_BIDDER_HTTP_RESPONSE_H
#define FAIRBID_BIDDER_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#define HP_URL_MAX_HOST 256
#define HP_URL_MAX_PATH 1024

struct hp_url {
    char host[HP_URL_MAX_HOST];         /* without brackets for IPv6 literals */
    char hostport[HP_URL_MAX_HOST + 8]; /* as it goes into the Host header */
    int port;
    char path[HP_URL_MAX_PATH]; /* "/" when absent; includes the query */
};

/* Parses "http://host[:port][/path]". Returns 0, or -1 with a static message in *err (https is refused: the
 * clients measure or query fairbid over plain HTTP, not TLS). */
int hp_parse_url(const char *url, struct hp_url *u, const char **err);

struct hp_response {
    int status;
    size_t msg_len;   /* bytes of the whole message, head and body */
    const char *body; /* the body as sent (still chunked when chunked is set) */
    size_t body_len;
    bool chunked;
    bool close; /* the server said Connection: close (or spoke HTTP/1.0 without keep-alive) */
    bool gzip;  /* Content-Encoding: gzip */
};

enum {
    HP_RESP_MORE = 0,      /* incomplete: read more */
    HP_RESP_DONE = 1,      /* one whole message at the start of the buffer, described by *r */
    HP_RESP_ERROR = -1,    /* malformed */
    HP_RESP_TOO_LARGE = -2 /* head larger than HP_RESP_MAX_HEAD */
};
#define HP_RESP_MAX_HEAD 16384
#define HP_RESP_MAX_BODY (1u << 30)           /* a decoded chunked body larger than this is an error */
#define HP_RESP_MAX_CHUNK_OVERHEAD (1u << 20) /* chunk sizes, extensions and trailers beyond the body */

/* Parses the response at the start of p[0..n). Re-parses from the start on every call: responses to a bidder
 * are small, and this keeps the parser stateless. Views in *r point into p. A body delimited by the close of
 * the connection (no length, not chunked) is reported as empty with close set: the caller that reads to the
 * end (an HTTP/1.0 request) takes the bytes after the head itself. */
int hp_parse_response(const char *p, size_t n, struct hp_response *r);

/* Decodes a whole chunked body p[0..n) into out (at most cap bytes), checked by hp_chunked_scan. Returns the
 * decoded length, or -1 when malformed, incomplete or larger than cap. */
long hp_chunked_copy(const char *p, size_t n, char *out, size_t cap);

#endif
