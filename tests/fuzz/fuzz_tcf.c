/* libFuzzer target for filters/tcf: decode arbitrary bytes as a TC string, then exercise every lookup
 * over the decoded views, which must stay inside the decoded bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/tcf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size scratch on the heap so ASan catches any read past what the decoder may use. */
    size_t cap = tcf_scratch_need(size);
    uint8_t *scratch = malloc(cap ? cap : 1);
    struct tcf tc;
    int rc = tcf_decode((const char *)data, size, scratch, cap, &tc);
    if (rc == 0) {
        (void)tcf_check_policy(&tc, 1);
        for (int v = 0; v <= 1200; v += 7) {
            (void)tcf_vendor_consent(&tc, v);
            (void)tcf_vendor_li(&tc, v);
            (void)tcf_disclosed(&tc, v);
            (void)tcf_allowed(&tc, v);
            (void)tcf_restriction(&tc, 1 + v % 24, v);
        }
        (void)tcf_vendor_consent(&tc, tc.vendor_consents.max_id);
        for (int p = 0; p <= 25; p++) {
            (void)tcf_purpose_consent(&tc, p);
            (void)tcf_purpose_li_ok(&tc, p, 1);
        }
        for (unsigned i = 0; i < tc.num_restrictions && i < 64; i++) {
            int purpose, type;
            uint32_t off;
            unsigned n;
            if (tcf_restriction_group(&tc, i, &purpose, &type, &off, &n) == 0) {
                for (unsigned e = 0; e < n; e++) {
                    unsigned s, t;
                    tcf_range_next(tc.restr_p, &off, &s, &t);
                }
            }
        }
    } else if (strcmp(tcf_strerror(rc), "unknown tcf error") == 0) {
        abort(); /* every code the decoder returns has a message */
    }
    free(scratch);
    return 0;
}
