/* The privacy-monotonicity property (tests/fuzz/privacy_monotone.h) in ctest: every single mutation kind on
 * every field against every base request (the committed corpus and the load generator's traffic), then
 * random programs of up to four mutations. The same code runs as the libFuzzer target
 * fuzz_privacy_monotone. */
#include <criterion/criterion.h>

#include "tests/fuzz/privacy_monotone.h"

#ifndef PM_RANDOM_RUNS
#define PM_RANDOM_RUNS 60000
#endif

static void setup(void)
{
    const char *e = pm_setup();
    cr_assert_null(e, "setup: %s", e);
    cr_assert_gt(pm.ncorpus, 100, "the corpus gave %u base requests", pm.ncorpus);
    cr_assert_gt(pm.nbase, pm.ncorpus + 100, "the load generator gave %u base requests",
                 pm.nbase - pm.ncorpus);
}

static void report(const char *what)
{
    cr_log_info(
        "%s: %u base requests (%u from the corpus), %llu runs, %llu with a mutation applied, %llu "
        "refused outright, %llu that removed an eligible pair; eligible pairs %llu before, %llu after",
        what, pm.nbase, pm.ncorpus, (unsigned long long)pm.runs, (unsigned long long)pm.applied,
        (unsigned long long)pm.rejected, (unsigned long long)pm.restricted,
        (unsigned long long)pm.eligible_before, (unsigned long long)pm.eligible_after);
    fprintf(stderr,
            "privacy_monotone %s: %u bases (%u corpus), %llu runs, %llu applied, %llu refused, %llu "
            "restricted, eligible %llu -> %llu\n",
            what, pm.nbase, pm.ncorpus, (unsigned long long)pm.runs, (unsigned long long)pm.applied,
            (unsigned long long)pm.rejected, (unsigned long long)pm.restricted,
            (unsigned long long)pm.eligible_before, (unsigned long long)pm.eligible_after);
}

Test(privacy_monotone, every_mutation_on_every_base, .init = setup)
{
    static const uint8_t bs[] = {0, 1, 2, 3, 0x81, 0x86, 7, 13};
    uint64_t fails = 0;
    for (uint32_t base = 0; base < pm.nbase; base++)
        for (unsigned op = 0; op < 16; op++)
            for (unsigned a = 0; a < (op >= 6 && op <= 9 ? (unsigned)PM_NFIELDS
                                      : op == 14         ? 4u
                                      : op == 15         ? 5u
                                                         : 1u);
                 a++)
                for (unsigned b = 0; b < (op == 7 || op == 8 ? (unsigned)PM_NGARBAGE : 8u); b++) {
                    uint8_t prog[] = {
                        (uint8_t)base, (uint8_t)(base >> 8), 0,
                        (uint8_t)op,   (uint8_t)a,           op == 7 || op == 8 ? (uint8_t)b : bs[b]};
                    const char *msg = pm_run(prog, sizeof prog);
                    if (msg && fails++ < 5) cr_expect_null(msg, "%s", msg);
                }
    report("single mutations");
    cr_expect_eq(fails, 0, "%llu violations", (unsigned long long)fails);
    cr_expect_gt(pm.restricted, pm.applied / 4, "the mutations must bite: %llu of %llu removed a pair",
                 (unsigned long long)pm.restricted, (unsigned long long)pm.applied);
}

Test(privacy_monotone, random_programs, .init = setup)
{
    uint64_t x = 0x9E3779B97F4A7C15ull, fails = 0;
    for (int run = 0; run < PM_RANDOM_RUNS; run++) {
        uint8_t prog[16];
        for (size_t i = 0; i < sizeof prog; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            prog[i] = (uint8_t)(x >> 24);
        }
        const char *msg = pm_run(prog, sizeof prog);
        if (msg && fails++ < 5) cr_expect_null(msg, "%s", msg);
    }
    report("random programs");
    cr_expect_eq(fails, 0, "%llu violations", (unsigned long long)fails);
}
