/* libFuzzer target for the /win query parser (fairness_win in bidder/fairness/win.c): the query string of a
 * win notice (the bid's nurl), as route() hands it over: at most 2047 bytes, NUL-terminated. Checks what the
 * server relies on: the status is 200 or 400 and the body written is a NUL-terminated JSON object within the
 * buffer it was given (the parser decodes %XX escapes into fixed buffers: an overflow shows here under ASan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/fairness/fairness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                             \
    do {                                                                                                     \
        if (!(x)) abort();                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char q[2048];
    size_t n = size < sizeof q - 1 ? size : sizeof q - 1;
    memcpy(q, data, n);
    q[n] = '\0';
    char body[512];
    memset(body, 'x', sizeof body);
    int st = fairness_win(0, q, body, sizeof body);
    CHECK(st == 200 || st == 400);
    CHECK(memchr(body, '\0', sizeof body) != NULL);
    CHECK(body[0] == '{' && body[strlen(body) - 1] == '}');
    return 0;
}
