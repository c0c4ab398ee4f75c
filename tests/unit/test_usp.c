/* Unit tests for filters/usp: every valid character combination and every error code. */
#include <criterion/criterion.h>
#include <string.h>

#include "filters/usp.h"

Test(usp, all_valid_combinations)
{
    const char vals[] = "YN-";
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++) {
                char s[5] = {'1', vals[a], vals[b], vals[c], 0};
                struct usp u;
                cr_assert_eq(usp_decode(s, 4, &u), 0, "%s", s);
                cr_assert_eq(u.version, 1);
                cr_assert_eq(u.notice, vals[a]);
                cr_assert_eq(u.opt_out_sale, vals[b]);
                cr_assert_eq(u.lspa_covered, vals[c]);
                cr_assert_eq(usp_optout(&u), vals[b] == 'Y');
            }
}

Test(usp, lower_case_accepted_as_upper)
{
    struct usp u;
    cr_assert_eq(usp_decode("1yyn", 4, &u), 0);
    cr_assert_eq(u.notice, 'Y');
    cr_assert(usp_optout(&u));
    cr_assert_eq(u.lspa_covered, 'N');
}

Test(usp, every_error_code)
{
    struct {
        const char *s;
        int want;
    } t[] = {
        {"", USP_EEMPTY},    {"1YN", USP_ELEN},   {"1YNNN", USP_ELEN}, {"2YNN", USP_EVERSION},
        {"1XNN", USP_ECHAR}, {"1Y?N", USP_ECHAR}, {"1YN ", USP_ECHAR}, {"-YNN", USP_EVERSION},
        {"1---", 0},         {"1YNY", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct usp u;
        int rc = usp_decode(t[i].s, strlen(t[i].s), &u);
        cr_expect_eq(rc, t[i].want, "'%s': %d (%s)", t[i].s, rc, usp_strerror(rc));
        if (rc) cr_expect(!usp_optout(&u), "a failed decode must not read as an opt-out");
    }
    cr_assert_str_eq(usp_strerror(0), "ok");
    cr_assert_str_eq(usp_strerror(-99), "unknown usp error");
    for (int c = USP_ECHAR; c <= USP_EEMPTY; c++) cr_assert_str_neq(usp_strerror(c), "unknown usp error");
}
