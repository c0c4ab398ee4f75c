/* libFuzzer target for filters/usp. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/usp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct usp u;
    int rc = usp_decode((const char *)data, size, &u);
    if (rc == 0 && (u.version != 1 || !strchr("YN-", u.opt_out_sale) || !u.opt_out_sale)) abort();
    if (rc != 0 && usp_optout(&u)) abort();
    if (rc != 0 && strcmp(usp_strerror(rc), "unknown usp error") == 0) abort();
    return 0;
}
