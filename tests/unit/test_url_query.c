/* bidder/http/url: url_query_value, the one reader of /win query strings (fairness and upstream notices).
 * Strict on purpose: the values are ids compared as C strings, so anything that could make two readers see
 * different ids (a bad escape, %00, a repeated key) is refused rather than guessed. */
#include <criterion/criterion.h>
#include <string.h>

#include "bidder/http/url.h"

static char out[64];

static int qv(const char *q, const char *name)
{
    memset(out, 'x', sizeof out);
    return url_query_value(q, name, out, sizeof out);
}

Test(url_query, plain_values)
{
    cr_assert_eq(qv("cid=c1&imp=1&req=r-9", "cid"), 2);
    cr_assert_str_eq(out, "c1");
    cr_assert_eq(qv("cid=c1&imp=1&req=r-9", "req"), 3);
    cr_assert_str_eq(out, "r-9");
    cr_assert_eq(qv("cid=c1&imp=1&req=r-9", "price"), URL_QUERY_ABSENT);
    cr_assert_str_eq(out, "");
    cr_assert_eq(qv("", "cid"), URL_QUERY_ABSENT);
    cr_assert_eq(url_query_value(NULL, "cid", out, sizeof out), URL_QUERY_ABSENT);
}

Test(url_query, empty_and_bare_keys_are_present_and_empty)
{
    cr_assert_eq(qv("cid=&imp=1", "cid"), 0);
    cr_assert_str_eq(out, "");
    /* a bare key counts as given (a "loss" without "=" is still a loss notice, not silently a win) */
    cr_assert_eq(qv("cid=a&loss&req=r", "loss"), 0);
    cr_assert_eq(qv("cid=a&loss", "loss"), 0);
}

Test(url_query, plus_is_space)
{
    cr_assert_eq(qv("cid=a+b", "cid"), 3);
    cr_assert_str_eq(out, "a b");
    cr_assert_eq(qv("cid=a%2Bb", "cid"), 3);
    cr_assert_str_eq(out, "a+b");
}

Test(url_query, valid_escapes)
{
    cr_assert_eq(qv("cid=%41", "cid"), 1);
    cr_assert_str_eq(out, "A");
    cr_assert_eq(qv("u=http%3a%2F%2Fh%3A1%2Fw%3Fa%3D1%26b%3D2", "u"), 20);
    cr_assert_str_eq(out, "http://h:1/w?a=1&b=2");
    cr_assert_eq(qv("cid=%ff", "cid"), 1);
    cr_assert_eq((unsigned char)out[0], 0xFF);
}

Test(url_query, invalid_escapes_are_unreadable)
{
    cr_assert_eq(qv("cid=%zz", "cid"), URL_QUERY_BAD);
    cr_assert_str_eq(out, "");
    cr_assert_eq(qv("cid=a%zzb&imp=1", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=%4", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=%4&imp=1", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=%", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=%g1", "cid"), URL_QUERY_BAD);
    /* the other keys stay readable */
    cr_assert_eq(qv("cid=%zz&imp=7", "imp"), 1);
    cr_assert_str_eq(out, "7");
}

Test(url_query, nul_escape_is_unreadable)
{
    /* "a%00b" would compare as "a": refused, not truncated */
    cr_assert_eq(qv("cid=a%00b", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=%00", "cid"), URL_QUERY_BAD);
    cr_assert_str_eq(out, "");
}

Test(url_query, repeated_key_is_unreadable)
{
    cr_assert_eq(qv("cid=a&imp=1&cid=b", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=a&cid=a", "cid"), URL_QUERY_BAD);
    cr_assert_eq(qv("loss=1&loss", "loss"), URL_QUERY_BAD);
    cr_assert_eq(qv("cid=a&imp=1&cid=b", "imp"), 1);
}

Test(url_query, keys_match_whole)
{
    cr_assert_eq(qv("cidx=a&cid=b", "cid"), 1);
    cr_assert_str_eq(out, "b");
    cr_assert_eq(qv("cidx=a", "cid"), URL_QUERY_ABSENT);
    cr_assert_eq(qv("cid=a&cidx=b", "cidx"), 1);
    cr_assert_str_eq(out, "b");
    cr_assert_eq(qv("xcid=a", "cid"), URL_QUERY_ABSENT);
    /* "cid" inside a value is not a key */
    cr_assert_eq(qv("u=x%26cid%3Dz&cid=b", "cid"), 1);
    cr_assert_str_eq(out, "b");
    cr_assert_eq(qv("CID=a", "cid"), URL_QUERY_ABSENT);
}

Test(url_query, too_long_is_unreadable)
{
    char q[200] = "cid=";
    memset(q + 4, 'a', 64);
    q[68] = '\0';
    cr_assert_eq(qv(q, "cid"), URL_QUERY_BAD); /* 64 bytes and the NUL do not fit 64 */
    q[67] = '\0';
    cr_assert_eq(qv(q, "cid"), 63);
}
