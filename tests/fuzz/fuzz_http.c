/* libFuzzer target for bidder/http_parse: request heads and chunked bodies over arbitrary bytes.
 * Checks what the server relies on: a complete head lies inside the input, its views point into it, a chunked
 * body that scans as complete decodes to exactly the announced length, and no limit is passed. And that the
 * resumable forms agree with the one-shot ones: the head scan fed the input in pieces (sizes taken from the
 * input's first byte) finds the same end, and hp_chunked_feed in pieces gives the same result as in one go.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/http/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* not assert(): the fuzz build may define NDEBUG */
#define CHECK(x)                                                                                             \
    do {                                                                                                     \
        if (!(x)) abort();                                                                                   \
    } while (0)

static void inside(struct sv v, const char *p, size_t n)
{
    if (v.n) CHECK(v.p >= p && v.p + v.n <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const size_t max_head = 1024, max_body = 4096;
    struct hp_request r;
    int hl = hp_parse_head(p, size, max_head, &r);
    size_t step = size ? (size_t)(unsigned char)p[0] % 7 + 1 : 1;
    {
        struct hp_head_scan sc;
        hp_head_scan_init(&sc);
        int end = 0;
        for (size_t k = step < size ? step : size; end == 0; k = k + step < size ? k + step : size) {
            end = hp_head_scan(&sc, p, k, max_head);
            CHECK(sc.pos <= k);
            if (k == size) break;
        }
        /* a head the one-shot parser accepts is found by the scan at the same place */
        if (hl > 0) CHECK(end == hl);
        /* and where the scan finds an end, the one-shot parser says the same or names an error */
        if (end > 0) CHECK(hl == end || hl < 0);
    }
    if (hl == 0) {
        CHECK(size < max_head);
        return 0;
    }
    if (hl < 0) {
        int st = hp_status(hl);
        CHECK(st >= 400 && st < 600 && hp_strerror(hl)[0]);
        return 0;
    }
    CHECK((size_t)hl <= size && (size_t)hl <= max_head && r.head_len == (size_t)hl);
    inside(r.method_name, p, size);
    inside(r.path, p, size);
    inside(r.query, p, size);
    inside(r.content_encoding, p, size);
    CHECK(!(r.chunked && r.has_length));
    if (!r.chunked) return 0;
    size_t wire = 0, blen = 0;
    int rc = hp_chunked_scan(p + hl, size - (size_t)hl, max_body, max_head, &wire, &blen);
    if (rc <= 0) {
        CHECK(rc == 0 || rc == HP_ECHUNK || rc == HP_EBODYTOOBIG);
        return 0;
    }
    CHECK(wire <= size - (size_t)hl && blen <= max_body && blen <= wire);
    struct hp_chunked ck;
    hp_chunked_init(&ck);
    int frc = 0;
    for (size_t k = step; frc == 0; k += step) {
        size_t m = k < size - (size_t)hl ? k : size - (size_t)hl;
        frc = hp_chunked_feed(&ck, p + hl, m, max_body, max_head);
        if (m == size - (size_t)hl) break;
    }
    CHECK(frc == 1 && ck.pos == wire && ck.body == blen);
    char *copy = malloc(wire + 1);
    memcpy(copy, p + hl, wire);
    size_t got = hp_chunked_decode(copy, wire);
    CHECK(got == blen);
    free(copy);
    return 0;
}
