/* bidder/http_parse: request heads and chunked bodies, the cases the native server depends on. */
#include <criterion/criterion.h>
#include <string.h>

#include "bidder/http_parse.h"

static int head(const char *s, struct hp_request *r)
{
    return hp_parse_head(s, strlen(s), 16384, r);
}

Test(http_parse, post_with_length)
{
    struct hp_request r;
    const char *s = "POST /openrtb2/bid?x=1 HTTP/1.1\r\nHost: a\r\ncontent-length: 12\r\n"
                    "Content-Encoding:  gzip \r\n\r\n{\"id\":\"1\"}..";
    int n = head(s, &r);
    cr_assert_eq(n, (int)(strstr(s, "\r\n\r\n") - s + 4));
    cr_assert_eq(r.method, HP_POST);
    cr_assert(sv_eq_cstr(r.path, "/openrtb2/bid"));
    cr_assert(sv_eq_cstr(r.query, "x=1"));
    cr_assert(r.has_length);
    cr_assert_eq(r.content_length, 12);
    cr_assert(sv_eq_cstr(r.content_encoding, "gzip"));
    cr_assert(r.keep_alive);
    cr_assert(!r.chunked);
}

Test(http_parse, incomplete_until_the_empty_line)
{
    struct hp_request r;
    const char *s = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t i = 0; i < strlen(s); i++) cr_assert_eq(hp_parse_head(s, i, 16384, &r), 0, "at %zu", i);
    cr_assert_gt(head(s, &r), 0);
}

Test(http_parse, keep_alive_rules)
{
    struct hp_request r;
    cr_assert_gt(head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.0\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r), 0);
    cr_assert(r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
}

Test(http_parse, bare_lf_and_leading_empty_lines)
{
    struct hp_request r;
    cr_assert_gt(head("\r\nGET /metrics HTTP/1.1\nHost: a\n\n", &r), 0);
    cr_assert(sv_eq_cstr(r.path, "/metrics"));
}

Test(http_parse, absolute_form)
{
    struct hp_request r;
    cr_assert_gt(head("GET http://bidder.example:8080/readyz?a HTTP/1.1\r\n\r\n", &r), 0);
    cr_assert(sv_eq_cstr(r.path, "/readyz"));
    cr_assert(sv_eq_cstr(r.query, "a"));
}

Test(http_parse, errors)
{
    struct hp_request r;
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
                 HP_ESMUGGLE);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_gt(head("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", &r), 0);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\n", &r), HP_EHEADER);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", &r), HP_EHEADER);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", &r), HP_EHEADER);
    cr_assert_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &r), HP_ETE);
    cr_assert_eq(head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &r), HP_ETE);
    cr_assert_eq(head("GET / HTTP/2.0\r\n\r\n", &r), HP_EVERSION);
    cr_assert_eq(head("GET /\r\n\r\n", &r), HP_EREQLINE);
    cr_assert_eq(head("GET  / HTTP/1.1\r\n\r\n", &r), HP_EREQLINE);
    cr_assert_eq(hp_status(HP_EVERSION), 505);
    cr_assert_eq(hp_status(HP_ETE), 501);
    cr_assert_eq(hp_status(HP_EHEADTOOBIG), 431);
    cr_assert_eq(hp_status(HP_ESMUGGLE), 400);
}

Test(http_parse, head_limit)
{
    struct hp_request r;
    char big[300];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    cr_assert_eq(hp_parse_head(big, sizeof big, 256, &r), HP_EHEADTOOBIG);
    cr_assert_eq(hp_parse_head(big, 200, 256, &r), 0);
    char many[4096] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 101; i++) strcat(many, "X: y\r\n");
    strcat(many, "\r\n");
    cr_assert_eq(head(many, &r), HP_ETOOMANYHDR);
}

Test(http_parse, chunked)
{
    char body[] = "4;name=v\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    size_t wire, blen;
    size_t n = strlen(body);
    cr_assert_eq(hp_chunked_scan(body, n, 1000, 100, &wire, &blen), 1);
    cr_assert_eq(wire, n - 4);
    cr_assert_eq(blen, 23);
    for (size_t i = 0; i < wire; i++)
        cr_assert_eq(hp_chunked_scan(body, i, 1000, 100, &wire, &blen), 0, "prefix %zu", i);
    cr_assert_eq(hp_chunked_scan(body, n, 1000, 100, &wire, &blen), 1);
    cr_assert_eq(hp_chunked_decode(body, wire), 23);
    cr_assert_eq(memcmp(body, "Wikipedia in\r\n\r\nchunks.", 23), 0);
}

Test(http_parse, chunked_errors_and_limits)
{
    size_t wire, blen;
    const char *bad[] = {"x\r\n", "4\r\nabcdX\r\n0\r\n\r\n", "4\rz\nabcd\r\n0\r\n\r\n",
                         "0\r\nno colon\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(hp_chunked_scan(bad[i], strlen(bad[i]), 1000, 100, &wire, &blen), HP_ECHUNK, "%s",
                     bad[i]);
    const char *big = "10\r\n0123456789abcdef\r\n0\r\n\r\n";
    cr_assert_eq(hp_chunked_scan(big, strlen(big), 15, 100, &wire, &blen), HP_EBODYTOOBIG);
    cr_assert_eq(hp_chunked_scan(big, strlen(big), 16, 100, &wire, &blen), 1);
    cr_assert_eq(hp_chunked_scan("fffffffffffffffff\r\n", 19, 1000, 100, &wire, &blen), HP_ECHUNK);
}
