/* http_resp: an HTTP/1.1 response-head parser (RFC 9112), pure: no I/O, no allocation. Part of bidder/http/
 * (purity-checked like filters/). Filter mode's upstream client (bidder/upstream/) reads its bidders'
 * answers with it; bodies are framed by Content-Length or chunked (http_parse.h's hp_chunked_feed), or, for
 * an answer with neither, by the close of the connection (then the connection is not reused).
 *
 * As strict as the request parser where a lax reading would let fairbid and the upstream disagree about
 * where an answer ends (the next answer on a keep-alive connection would then be misread as this one's
 * rest): Content-Length with Transfer-Encoding, differing Content-Lengths, a transfer coding other than a
 * lone "chunked", obs-fold and bare LF are errors, and the connection is closed on any error. */
#ifndef FAIRBID_BIDDER_HTTP_RESP_H
#define FAIRBID_BIDDER_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/sv.h"

struct hr_response {
    int status; /* 100..999 */
    int minor;  /* HTTP/1.<minor> */
    bool keep_alive;
    bool chunked;
    bool has_length;
    uint64_t content_length;
    bool until_close;   /* no framing: the body ends when the connection does */
    size_t head_len;    /* status line + fields + the empty line */
    struct sv ctype;    /* Content-Type, empty when absent */
    struct sv encoding; /* Content-Encoding, empty when absent */
};

enum {
    HR_ESTATUS = -1,  /* malformed status line */
    HR_EVERSION = -2, /* not HTTP/1.x */
    HR_EHEADER = -3,  /* malformed header field (obs-fold, no colon, space before colon, control chars) */
    HR_ELENGTH = -4,  /* Content-Length not a number, or several that differ */
    HR_ESMUGGLE = -5, /* both Content-Length and Transfer-Encoding */
    HR_ETE = -6,      /* a transfer coding other than chunked */
    HR_ETOOBIG = -7,  /* head over the limit */
    HR_EBARELF = -8,  /* a line ended by LF without CR */
    HR_ETOOMANY = -9, /* more header fields than the limit */
};

/* Parses the response head at p[0..n). Returns the head length (> 0) and fills *r once the empty line has
 * arrived, 0 when more bytes are needed (and fewer than max_head arrived), or a negative HR_E* error. A
 * response to a request whose method was HEAD, and 1xx/204/304, have no body: the caller knows the method;
 * for 204 and 304 content_length is set to 0 here. Interim 1xx answers are returned like any other. */
int hr_parse_head(const char *p, size_t n, size_t max_head, struct hr_response *r);

const char *hr_strerror(int err);

#endif
