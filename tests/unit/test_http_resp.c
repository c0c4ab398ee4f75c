/* Unit tests for bidder/http/http_resp (filter mode's reader of upstream answers): status line, framing
 * (Content-Length, chunked, until close, bodiless statuses), keep-alive, and the errors that must close the
 * connection (smuggling, bad lengths, obs-fold, bare LF, an oversized head). */
#include <criterion/criterion.h>
#include <string.h>

#include "bidder/http/http_resp.h"

static int parse(const char *s, struct hr_response *r)
{
    return hr_parse_head(s, strlen(s), 16384, r);
}

Test(http_resp, framing_and_keep_alive)
{
    struct hr_response r;
    const char *a =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"id\":\"x\"}";
    cr_assert_eq(parse(a, &r), (int)(strstr(a, "\r\n\r\n") - a) + 4);
    cr_expect_eq(r.status, 200);
    cr_expect(r.has_length && r.content_length == 12);
    cr_expect(r.keep_alive);
    cr_expect(sv_eq_cstr(r.ctype, "application/json"));
    cr_assert_gt(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", &r), 0);
    cr_expect(r.chunked && !r.keep_alive);
    cr_assert_gt(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", &r), 0);
    cr_expect(!r.keep_alive, "HTTP/1.0 closes unless it asks to keep alive");
    cr_assert_gt(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", &r), 0);
    cr_expect(r.keep_alive);
    cr_assert_gt(parse("HTTP/1.1 200 OK\r\n\r\n", &r), 0);
    cr_expect(r.until_close && !r.keep_alive, "no framing: the body ends with the connection");
    cr_assert_gt(parse("HTTP/1.1 204 No Content\r\n\r\n", &r), 0);
    cr_expect(r.has_length && r.content_length == 0 && !r.until_close && r.keep_alive);
    cr_assert_gt(parse("HTTP/1.1 100 Continue\r\n\r\n", &r), 0);
    cr_expect_eq(r.status, 100);
    cr_assert_gt(parse("HTTP/1.1 503\r\nContent-Length: 2\r\n\r\n", &r), 0, "the reason phrase is optional");
    cr_expect_eq(r.status, 503);
    cr_expect_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", &r), 0, "more bytes needed");
}

Test(http_resp, errors_close_the_connection)
{
    struct hr_response r;
    static const struct {
        const char *s;
        int err;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", HR_ESMUGGLE},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HR_ELENGTH},
        {"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n", HR_ELENGTH},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", HR_ETE},
        {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", HR_EHEADER},
        {"HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", HR_EHEADER},
        {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", HR_EBARELF},
        {"HTTP/2 200 OK\r\n\r\n", HR_EVERSION},
        {"HTTP/2.0 200 OK\r\n\r\n", HR_EVERSION},
        {"HTTP/1.1 20 OK\r\n\r\n", HR_ESTATUS},
        {"garbage\r\n\r\n", HR_ESTATUS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(parse(cases[i].s, &r), cases[i].err, "case %zu", i);
    char big[20000];
    memset(big, 'a', sizeof big);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    cr_expect_eq(hr_parse_head(big, sizeof big, 16384, &r), HR_ETOOBIG);
}
