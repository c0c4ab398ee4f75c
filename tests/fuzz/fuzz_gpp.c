/* libFuzzer target for filters/gpp: decode arbitrary bytes as a GPP string and query every accessor. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/gpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct gpp g;
    uint8_t *scratch = malloc(size ? size : 1);
    int rc = gpp_decode((const char *)data, size, scratch, size, &g);
    if (rc == 0) {
        int sid;
        (void)gpp_optout(&g, &sid);
        (void)gpp_gpc(&g, &sid);
        (void)gpp_known_child(&g, &sid);
        for (unsigned k = 0; k < g.nsections; k++) {
            int id = g.section_ids[k];
            for (int c = 0; c <= 17; c++) (void)gpp_sensitive(&g, id, c);
            (void)gpp_field(&g, id, "SaleOptOut", 0);
            (void)gpp_field(&g, id, "KnownChildSensitiveDataConsents", 4);
            (void)gpp_field(&g, id, "Gpc", 0);
            (void)gpp_section_name(id);
        }
        if (g.has_tcfeu) {
            for (int v = 0; v < 800; v += 13) {
                (void)tcf_vendor_consent(&g.tcfeu, v);
                (void)tcf_restriction(&g.tcfeu, 2, v);
                (void)tcf_disclosed(&g.tcfeu, v);
            }
        }
    } else if (strcmp(gpp_strerror(rc), "unknown gpp error") == 0) {
        abort();
    }
    free(scratch);
    return 0;
}
