/* libFuzzer target for loadgen/http: fairbid-loadgen's response parser and chunked decoder over arbitrary
 * bytes. The input is libFuzzer's exact-size copy, as a connection's read buffer is not NUL-terminated, so a
 * read past it is an ASan report. Checks what run.c relies on: a complete message lies inside the input, its
 * body inside the message, and a chunked body the parser called complete decodes within its length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* not assert(): the fuzz build may define NDEBUG */
#define CHECK(x)                                                                                             \
    do {                                                                                                     \
        if (!(x)) abort();                                                                                   \
    } while (0)

static char out[1 << 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct hp_response r;
    int rc = hp_parse_response(p, size, &r);
    CHECK(rc == HP_RESP_MORE || rc == HP_RESP_DONE || rc == HP_RESP_ERROR || rc == HP_RESP_TOO_LARGE);
    if (rc == HP_RESP_TOO_LARGE) CHECK(size > HP_RESP_MAX_HEAD);
    if (rc == HP_RESP_DONE) {
        CHECK(r.status >= 0 && r.status <= 999);
        CHECK(r.msg_len > 0 && r.msg_len <= size);
        CHECK(r.body >= p && r.body + r.body_len <= p + r.msg_len);
        if (r.chunked && r.body_len) {
            long n = hp_chunked_copy(r.body, r.body_len, out, sizeof out);
            CHECK(n <= (long)r.body_len);
            /* complete per the parser and small enough for out: it must decode */
            if (r.body_len <= sizeof out) CHECK(n >= 0);
        }
        /* the same message followed by anything parses the same (a pipelined next response) */
        int rc2 = hp_parse_response(p, r.msg_len, &r);
        CHECK(rc2 == HP_RESP_DONE);
    }
    /* the decoder alone, on any bytes, stays inside its input and its output */
    size_t cap = size < 64 ? size : 64;
    long n = hp_chunked_copy(p, size, out, cap);
    CHECK(n >= -1 && n <= (long)cap && n <= (long)size);
    return 0;
}
