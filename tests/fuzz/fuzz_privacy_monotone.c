/* libFuzzer target for the privacy-monotonicity property (tests/fuzz/privacy_monotone.h): the input is a
 * program that picks a base request (the committed OpenRTB corpus and the load generator's traffic) and up to
 * four restricting mutations; a restricting mutation that lets an (imp, campaign) pair become eligible, or a
 * personal-data campaign win an imp it could not win before, aborts with the base, the mutations and the
 * mutated request. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/privacy_monotone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        const char *e = pm_setup();
        if (e) {
            fprintf(stderr, "fuzz_privacy_monotone: setup: %s\n", e);
            abort();
        }
        ready = true;
    }
    const char *msg = pm_run(data, size);
    if (msg) {
        fprintf(stderr, "fuzz_privacy_monotone: a restricting mutation widened what fairbid does:\n%s\n",
                msg);
        abort();
    }
    return 0;
}
