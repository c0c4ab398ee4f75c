/* http_parse: an HTTP/1.1 request-head and chunked-body parser (RFC 9112), pure: no I/O, no allocation.
 *
 * The native server (http_server.c) calls it on the bytes read so far; it answers "complete", "need more" or
 * an error with the status to send. It is strict where a lax reading would let two parties disagree about
 * where a request ends (request smuggling: Content-Length with Transfer-Encoding, differing Content-Lengths,
 * folded or space-before-colon headers) and lenient where nothing is at stake (a bare LF as line end). */
#ifndef FAIRBID_BIDDER_HTTP_PARSE_H
#define FAIRBID_BIDDER_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/sv.h"

enum hp_method { HP_GET, HP_HEAD, HP_POST, HP_OTHER };

struct hp_request {
    enum hp_method method;
    struct sv method_name;
    struct sv target; /* as sent: origin-form "/path?query" (absolute-form is reduced to its path) */
    struct sv path;   /* target up to '?' */
    struct sv query;  /* after '?', empty when none */
    int minor;        /* HTTP/1.<minor> */
    bool keep_alive;
    bool chunked;
    bool expect_continue;
    bool has_length;
    uint64_t content_length;
    struct sv content_encoding; /* empty when absent */
    size_t head_len;            /* request line + header fields + the empty line */
};

/* Errors (negative). hp_status gives the HTTP status to answer, hp_strerror a message a client can act on. */
enum {
    HP_EREQLINE = -1,     /* malformed request line */
    HP_EVERSION = -2,     /* not HTTP/1.x */
    HP_EHEADER = -3,      /* malformed header field */
    HP_ELENGTH = -4,      /* Content-Length not a number, or several that differ */
    HP_ESMUGGLE = -5,     /* both Content-Length and Transfer-Encoding */
    HP_ETE = -6,          /* a transfer coding other than chunked */
    HP_EHEADTOOBIG = -7,  /* head over the limit */
    HP_ECHUNK = -8,       /* malformed chunked body */
    HP_EBODYTOOBIG = -9,  /* body over the limit */
    HP_ETOOMANYHDR = -10, /* more header fields than the limit */
};

/* Parses the request head at p[0..n). Returns the head length (> 0) and fills *r when the head is complete, 0
 * when more bytes are needed (and fewer than max_head have arrived), or a negative HP_E* error. */
int hp_parse_head(const char *p, size_t n, size_t max_head, struct hp_request *r);

/* Scans a chunked body at p[0..n) without changing it. Returns 1 when it is complete, with *wire_len = its
 * bytes on the wire (trailer fields included) and *body_len = the decoded size; 0 when more bytes are needed;
 * HP_ECHUNK when malformed; HP_EBODYTOOBIG as soon as the decoded size would pass max_body or the wire size
 * (sizes, extensions, trailers) would pass max_body + max_overhead. */
int hp_chunked_scan(const char *p, size_t n, size_t max_body, size_t max_overhead, size_t *wire_len,
                    size_t *body_len);

/* Decodes a complete chunked body (one that hp_chunked_scan accepted) in place; returns the body length. */
size_t hp_chunked_decode(char *p, size_t wire_len);

int hp_status(int err);
const char *hp_strerror(int err);

#endif
