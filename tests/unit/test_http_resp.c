/* Unit tests for bidder/http/http_resp (filter mode's reader of upstream answers): status line, framing
 * (Content-Length, chunked, until close, bodiless statuses), keep-alive, and the errors that must close the
 * connection (smuggling, bad lengths, obs-fold, bare LF, an oversized head). */
#include <criterion/criterion.h>
#include <stdio.h>
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

/* The value check runs eight bytes at a time: a control byte, DEL or a tab at every place of the words
 * (and of the tail after the last whole word), in values of every length up to three words. */
Test(http_resp, value_bytes_at_every_place)
{
    struct hr_response r;
    for (size_t len = 1; len <= 24; len++) {
        for (size_t at = 0; at < len; at++) {
            static const struct {
                char ch;
                int want; /* 0: parses */
            } cases[] = {{'\x01', HR_EHEADER},
                         {'\x1f', HR_EHEADER},
                         {'\x7f', HR_EHEADER},
                         {'\t', 0},
                         {'\x80', 0},
                         {'\xff', 0},
                         {' ', 0}};
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                char v[32], head[128];
                memset(v, 'a', len);
                v[len] = '\0';
                v[at] = cases[c].ch;
                int n =
                    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nX-V: %s\r\nContent-Length: 0\r\n\r\n", v);
                int rc = hr_parse_head(head, (size_t)n, 16384, &r);
                if (cases[c].want)
                    cr_assert_eq(rc, cases[c].want, "len %zu byte %zu is 0x%02x", len, at,
                                 (unsigned char)cases[c].ch);
                else
                    cr_assert_eq(rc, n, "len %zu byte %zu is 0x%02x: %d", len, at, (unsigned char)cases[c].ch,
                                 rc);
            }
        }
    }
}

/* Connection: the lone "keep-alive" is read without the list walk; every other form as before. */
Test(http_resp, connection_forms)
{
    struct hr_response r;
    static const struct {
        const char *v;
        bool ka10, ka11; /* keep_alive for HTTP/1.0 and HTTP/1.1 */
    } cases[] = {
        {"keep-alive", true, true},
        {"Keep-Alive", true, true},
        {" keep-alive ", true, true},
        {"keep-alive, close", false, false},
        {"close, keep-alive", false, false},
        {"close", false, false},
        {"CLOSE", false, false},
        {"keep-alivex", false, true},
        {"upgrade", false, true},
        {"keep-alive,", true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int minor = 0; minor <= 1; minor++) {
            char head[160];
            snprintf(head, sizeof head, "HTTP/1.%d 200 OK\r\nConnection:%s\r\nContent-Length: 3\r\n\r\n",
                     minor, cases[i].v);
            cr_assert_gt(parse(head, &r), 0, "%s", head);
            cr_expect_eq(r.keep_alive, minor ? cases[i].ka11 : cases[i].ka10, "HTTP/1.%d Connection:%s",
                         minor, cases[i].v);
        }
    }
    /* a second Connection field still counts */
    cr_assert_gt(
        parse("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
              &r),
        0);
    cr_expect(!r.keep_alive);
}

/* A head that arrives a byte at a time: more bytes needed until the empty line, then the whole head. */
Test(http_resp, head_split_at_every_byte)
{
    struct hr_response r;
    const char *h = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 02 Dec 2026 06:00:00 GMT\r\n"
                    "Content-Type: application/json\r\nContent-Length: 190\r\nConnection: keep-alive\r\n\r\n";
    size_t n = strlen(h);
    for (size_t i = 0; i < n; i++) cr_assert_eq(hr_parse_head(h, i, 16384, &r), 0, "at %zu", i);
    cr_assert_eq(hr_parse_head(h, n, 16384, &r), (int)n);
    cr_expect(r.keep_alive && r.has_length && r.content_length == 190 &&
              sv_eq_cstr(r.ctype, "application/json"));
}
