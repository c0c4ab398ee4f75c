/* bidder/cli/cli_audit: `fairbid audit tail` prints stored strings escaped, so a request id with CR/LF or a
 * terminal escape cannot forge audit lines or drive the terminal (issue 13). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/cli/cli_audit.h"

static char *esc(const char *s, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_assert_not_null(f);
    cli_audit_print_escaped(f, s, n);
    fclose(f);
    return out;
}

static void check(const char *in, size_t n, const char *want)
{
    char *got = esc(in, n);
    cr_assert_str_eq(got, want, "escaping %zu bytes", n);
    free(got);
}
#define CHECK(lit, want) check((lit), sizeof(lit) - 1, (want))

Test(audit_escape, plain_text_unchanged)
{
    CHECK("req-1 acme-shoes", "req-1 acme-shoes");
    CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

Test(audit_escape, line_breaks_cannot_forge_a_record)
{
    CHECK("id1\r\n1700000000000-0 reason=bid", "id1\\r\\n1700000000000-0 reason=bid");
    CHECK("a\tb", "a\\tb");
}

Test(audit_escape, terminal_escapes_and_controls)
{
    CHECK("\x1b[2J\x1b]0;pwned\x07", "\\x1b[2J\\x1b]0;pwned\\x07");
    CHECK("x\x7fy", "x\\x7fy");
    CHECK("nul\0byte", "nul\\x00byte");
    CHECK("\xc2\x9b"
          "31m",
          "\\xc2\\x9b31m"); /* C1 CSI encoded as UTF-8 */
}

Test(audit_escape, invalid_utf8_and_backslash)
{
    CHECK("\xff\xfe", "\\xff\\xfe");
    CHECK("\xc0\xaf", "\\xc0\\xaf");          /* overlong '/' */
    CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* a surrogate */
    CHECK("\xe2\x82", "\\xe2\\x82");          /* truncated */
    CHECK("a\\nb", "a\\\\nb");                /* a literal backslash-n stays distinguishable from a newline */
}
