/* Unit tests for bidder/fairness's cap-counter rules (issue 12): a cap counter that is not a valid count and
 * a lease reply the script cannot give both fail closed. The lease script applies the same rule inside Redis
 * (tests/integration/test_redis_hostile.sh drives it against a real redis-server). */
#include <criterion/criterion.h>
#include <string.h>

#include "bidder/fairness/fairness.h"

Test(cap_count, valid_counts)
{
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {{"0", 0},
              {"1", 1},
              {"42", 42},
              {"1500", 1500},
              {"999999999999999", 999999999999999LL},
              {"1000000000000000", FAIRNESS_CAP_MAX}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = -7;
        cr_assert_eq(fairness_cap_count_parse(ok[i].s, strlen(ok[i].s), &v), 0, "\"%s\"", ok[i].s);
        cr_assert_eq(v, ok[i].v, "\"%s\"", ok[i].s);
    }
}

Test(cap_count, anything_else_is_not_a_count)
{
    static const char *const bad[] = {
        "",
        "-1",
        "-1000",
        "-0",
        "+5",
        " 5",
        "5 ",
        "05",
        "00",
        "1.5",
        "1e3",
        "0x10",
        "abc",
        "5abc",
        "nan",
        "inf",
        "1,000",
        "1_000",
        "1000000000000001",              /* over the cap's range */
        "9223372036854775807",           /* INT64_MAX */
        "99999999999999999999999999999", /* over int64 */
        "-9223372036854775808",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = -7;
        cr_assert_eq(fairness_cap_count_parse(bad[i], strlen(bad[i]), &v), -1, "\"%s\"", bad[i]);
        cr_assert_eq(v, -7, "\"%s\": nothing written", bad[i]);
    }
    /* an embedded NUL is not a digit */
    int64_t v;
    cr_assert_eq(fairness_cap_count_parse("1\0002", 3, &v), -1);
}

Test(cap_lease, replies_the_script_can_give)
{
    /* cap 100, want 10: used 0 → {10, 90}; used 95 → {5, 0}; used 100 → {0, 0}; used 150 (cap lowered) →
     * {0,-50} */
    cr_assert_eq(fairness_lease_check(10, 90, 10, 100), 0);
    cr_assert_eq(fairness_lease_check(5, 0, 10, 100), 0);
    cr_assert_eq(fairness_lease_check(0, 0, 10, 100), 0);
    cr_assert_eq(fairness_lease_check(0, -50, 10, 100), 0);
}

Test(cap_lease, replies_it_cannot_give_fail_closed)
{
    cr_assert_eq(fairness_lease_check(-1, 90, 10, 100), -1, "negative grant");
    cr_assert_eq(fairness_lease_check(11, 89, 10, 100), -1, "more than asked");
    cr_assert_eq(fairness_lease_check(10, 1090, 10, 100), -1, "remaining above the cap: a negative counter");
    cr_assert_eq(fairness_lease_check(10, 91, 10, 100), -1, "remaining + granted above the cap");
    cr_assert_eq(fairness_lease_check(5, 10, 10, 4), -1, "more than the cap");
    cr_assert_eq(fairness_lease_check(0, -FAIRNESS_CAP_MAX - 1, 10, 100), -1, "counter over its range");
}
