/* libFuzzer target for bidder/http/http_resp (filter mode's reader of upstream answers): any bytes as an
 * answer head, fed whole and one byte more at a time as a socket would bring it. Checks: the result is 0, a
 * negative HR_E* with a message, or a head length inside the input ending in CRLFCRLF; the parse of a prefix
 * never claims a head the whole input would not; a bodiless status has length 0; a framed answer is never
 * both chunked and Content-Length; until_close never keeps the connection. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/http/http_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct hr_response r;
    int rc = hr_parse_head(p, size, 4096, &r);
    if (rc < 0) {
        if (rc < HR_ETOOMANY || !hr_strerror(rc)) abort();
        return 0;
    }
    if (rc == 0) return 0;
    size_t hl = (size_t)rc;
    if (hl > size || hl < 4 || memcmp(p + hl - 4, "\r\n\r\n", 4) != 0 || r.head_len != hl) abort();
    if (r.status < 100 || r.status > 999) abort();
    if (r.chunked && r.has_length) abort();
    if (r.until_close && r.keep_alive) abort();
    if ((r.status == 204 || r.status == 304 || r.status < 200) && (!r.has_length || r.content_length != 0))
        abort();
    /* every shorter prefix: need more, or the same error class, never another head */
    for (size_t n = 0; n < hl; n++) {
        struct hr_response q;
        int k = hr_parse_head(p, n, 4096, &q);
        if (k > 0) abort();
    }
    return 0;
}
