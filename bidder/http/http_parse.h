/* http_parse: an HTTP/1.1 request-head and chunked-body parser (RFC 9112), pure: no I/O, no allocation.
 * Part of bidder/http/, the pure HTTP library (no libevent; scripts/check-purity.sh checks it like filters/).
 *
 * The native server (http_server.c) calls it on the bytes read so far; it answers "complete", "need more" or
 * an error with the status to send. Both parsers are resumable: the caller keeps a small state (struct
 * hp_head_scan, struct hp_chunked) and calls again with the same, longer buffer; each call continues where
 * the previous one stopped, so a request sent one byte per packet costs CPU linear in its size, not
 * quadratic. The head is parsed once, when its end has been found.
 *
 * Strict wherever a lax reading would let two parties disagree about where a request ends (request
 * smuggling): Content-Length with Transfer-Encoding, differing Content-Lengths, folded or space-before-colon
 * headers, bare LF line ends (in the head and in chunk framing), junk after a chunk size, any
 * Transfer-Encoding but a lone "chunked", and HTTP/1.1 without exactly one Host. */
#ifndef FAIRBID_BIDDER_HTTP_PARSE_H
#define FAIRBID_BIDDER_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/sv.h"

/* tchar (RFC 9110 5.6.2) as a table, 1 for the characters of a method or a field name: one load per byte.
 * Shared by the request parser and http_resp (the upstream's answers). */
extern const unsigned char hp_tchar[256];

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
    HP_EBARELF = -11,     /* a line ended by LF without CR */
    HP_EHOST = -12,       /* HTTP/1.1 without a Host header field, or several */
};

/* Resumable search for the end of a request head. Zero it (or hp_head_scan_init) for each new request. */
struct hp_head_scan {
    size_t pos;   /* bytes of the buffer already looked at */
    size_t start; /* where the request line starts (after empty lines, RFC 9112 2.2) */
    int started;  /* the request line has begun */
};

static inline void hp_head_scan_init(struct hp_head_scan *s)
{
    s->pos = s->start = 0;
    s->started = 0;
}

/* Looks for the end of the head in p[0..n), continuing at s->pos: p must hold the same bytes as in the
 * previous call plus more. Returns the head length (> 0) once the empty line has arrived, 0 when more bytes
 * are needed, HP_EBARELF on a bare LF, HP_EHEADTOOBIG when max_head bytes hold no complete head. */
int hp_head_scan(struct hp_head_scan *s, const char *p, size_t n, size_t max_head);

/* Parses the request head at p[0..n). Returns the head length (> 0) and fills *r when the head is complete, 0
 * when more bytes are needed (and fewer than max_head have arrived), or a negative HP_E* error. Scans from
 * byte 0, in one pass, and reports an error in a line as soon as that line is there: a caller that gets bytes
 * piecemeal calls this on the first bytes and, while it returns 0, hp_head_scan on each later read, calling
 * this again once hp_head_scan returns > 0. */
int hp_parse_head(const char *p, size_t n, size_t max_head, struct hp_request *r);

/* Resumable chunked-body scanner. hp_chunked_init before the first call of each body. */
struct hp_chunked {
    int state;
    int digits;
    int colon;     /* the trailer field being read has its ':' */
    uint64_t left; /* chunk-data bytes still to come, or the size being read */
    size_t pos;    /* bytes of the body's wire form already consumed */
    size_t body;   /* decoded bytes so far */
};

void hp_chunked_init(struct hp_chunked *c);

/* Continues scanning the chunked body at p[0..n) (the same bytes as before plus more). Returns 1 when it is
 * complete (c->pos = its bytes on the wire, trailer fields included; c->body = the decoded size), 0 when more
 * bytes are needed, HP_ECHUNK when malformed, HP_EBODYTOOBIG as soon as the decoded size would pass max_body
 * or the wire size (sizes, extensions, trailers) would pass max_body + max_overhead. */
int hp_chunked_feed(struct hp_chunked *c, const char *p, size_t n, size_t max_body, size_t max_overhead);

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
