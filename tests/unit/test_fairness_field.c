/* Unit tests for fairness_parse_field (bidder/fairness/): the Redis hash fields "<group>:<e|b|w|t>" that the
 * fleet's fairness counters are summed from (fairness sync and `fairbid fairness report`). A field misread
 * moves a count to the wrong group or the wrong counter, so every group and counter must round-trip, and
 * anything else, however close, must be refused without touching the outputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/fairness/fairness.h"
#include "filters/fair.h"

static const char COUNTS[FAIR_NCOUNT] = {'e', 'b', 'w', 't', 's'};

static int parse(const char *s, int *g, int *k)
{
    return fairness_parse_field(s, strlen(s), g, k);
}

Test(fairness_field, every_group_and_counter_round_trips)
{
    cr_assert_eq(FAIR_NCOUNT, 5);
    cr_assert_eq(FAIR_C_ELIG, 0);
    cr_assert_eq(FAIR_C_THR, 3);
    cr_assert_eq(FAIR_C_SPEND, 4);
    for (int g = 0; g < FAIR_NGROUPS; g++)
        for (int k = 0; k < FAIR_NCOUNT; k++) {
            char f[64];
            int n = snprintf(f, sizeof f, "%s:%c", fair_group_name(g), COUNTS[k]);
            int pg = -7, pk = -7;
            cr_assert_eq(fairness_parse_field(f, (size_t)n, &pg, &pk), 0, "field %s", f);
            cr_assert_eq(pg, g, "field %s: group %d, want %d", f, pg, g);
            cr_assert_eq(pk, k, "field %s: counter %d, want %d", f, pk, k);
        }
}

Test(fairness_field, named_fields)
{
    int g, k;
    cr_assert_eq(parse("female:e", &g, &k), 0);
    cr_assert_eq(g, FAIR_G_FEMALE);
    cr_assert_eq(k, FAIR_C_ELIG);
    cr_assert_eq(parse("male:w", &g, &k), 0);
    cr_assert_eq(g, FAIR_G_MALE);
    cr_assert_eq(k, FAIR_C_WIN);
    /* "unknown" is a suffix of "age_unknown": the whole name must match, not its tail */
    cr_assert_eq(parse("age_unknown:b", &g, &k), 0);
    cr_assert_eq(g, FAIR_A_UNKNOWN);
    cr_assert_eq(k, FAIR_C_BID);
    cr_assert_eq(parse("unknown:t", &g, &k), 0);
    cr_assert_eq(g, FAIR_G_UNKNOWN);
    cr_assert_eq(k, FAIR_C_THR);
    cr_assert_eq(parse("age_75_plus:e", &g, &k), 0);
    cr_assert_eq(g, FAIR_NGROUPS - 1);
}

Test(fairness_field, refuses_anything_else_and_leaves_outputs_alone)
{
    static const char *const bad[] = {
        "",          "e",         ":e",        "female",     "female:",       "female:x",    "female:E",
        "female:ee", "female::e", "Female:e",  "FEMALE:e",   "femal:e",       "females:e",   "female :e",
        " female:e", "female: e", "female:e ", "female-e",   "female;e",      "nknown:e",    "age_:e",
        "age_18:e",  "age_75:e",  "invalid:e", "female:e:e", "male:female:e", "age_unknown", "unknown:",
        "x:e",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int g = -7, k = -7;
        cr_assert_eq(parse(bad[i], &g, &k), -1, "\"%s\" parsed as group %d counter %d", bad[i], g, k);
        cr_assert(g == -7 && k == -7, "\"%s\": outputs written on failure", bad[i]);
    }
}

Test(fairness_field, reads_exactly_n_bytes)
{
    int g, k;
    /* hiredis gives (pointer, length): the bytes after n must not matter, and a NUL inside must not end it */
    cr_assert_eq(fairness_parse_field("female:eXYZ", 8, &g, &k), 0);
    cr_assert_eq(g, FAIR_G_FEMALE);
    cr_assert_eq(k, FAIR_C_ELIG);
    cr_assert_eq(fairness_parse_field("male:bmale:w", 6, &g, &k), 0);
    cr_assert_eq(k, FAIR_C_BID);
    cr_assert_eq(fairness_parse_field("female:e", 7, &g, &k), -1, "\"female:\" (n = 7)");
    cr_assert_eq(fairness_parse_field("fe\0ale:e", 8, &g, &k), -1, "embedded NUL");
    cr_assert_eq(fairness_parse_field("male\0:e", 7, &g, &k), -1, "embedded NUL before the colon");
    /* an exact-size heap copy: nothing before f or after f + n is read (ASan build) */
    for (int n = 0; n <= 8; n++) {
        char *p = malloc(n > 0 ? (size_t)n : 1);
        memcpy(p, "female:e", (size_t)n);
        int rc = fairness_parse_field(p, (size_t)n, &g, &k);
        cr_assert_eq(rc, n == 8 ? 0 : -1, "prefix of length %d", n);
        free(p);
    }
}
