/* Unit tests for loadgen/http: the response parser on whole, split, chunked, pipelined and malformed input;
 * URL parsing; the loopback check that guards --allow-remote. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgen/http.h"

static int parse(const char *s, struct hp_response *r)
{
    return hp_parse_response(s, strlen(s), r);
}

Test(loadgen_http, no_content)
{
    struct hp_response r;
    const char *s = "HTTP/1.1 204 No Content\r\nServer: nginx\r\n\r\n";
    cr_assert_eq(parse(s, &r), HP_RESP_DONE);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(r.msg_len, strlen(s));
    cr_assert_not(r.close);
}

Test(loadgen_http, content_length_every_split)
{
    const char *s = "HTTP/1.1 200 OK\r\ncontent-length: 11\r\nContent-Encoding: gzip\r\n\r\n{\"seatbid\"}";
    size_t n = strlen(s);
    struct hp_response r;
    /* Every prefix is incomplete; only the whole message parses. */
    for (size_t i = 0; i < n; i++) cr_assert_eq(hp_parse_response(s, i, &r), HP_RESP_MORE, "prefix %zu", i);
    cr_assert_eq(hp_parse_response(s, n, &r), HP_RESP_DONE);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 11);
    cr_assert(r.gzip);
    cr_assert_eq(memcmp(r.body, "{\"seatbid\"}", 11), 0);
}

Test(loadgen_http, pipelined_messages)
{
    const char *s = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 2";
    struct hp_response r;
    cr_assert_eq(parse(s, &r), HP_RESP_DONE);
    size_t off = r.msg_len;
    cr_assert_eq(hp_parse_response(s + off, strlen(s) - off, &r), HP_RESP_DONE);
    cr_assert_eq(r.status, 200);
    off += r.msg_len;
    cr_assert_eq(hp_parse_response(s + off, strlen(s) - off, &r), HP_RESP_MORE);
}

Test(loadgen_http, chunked)
{
    const char *s =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
    struct hp_response r;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) cr_assert_eq(hp_parse_response(s, i, &r), HP_RESP_MORE, "prefix %zu", i);
    cr_assert_eq(hp_parse_response(s, n, &r), HP_RESP_DONE);
    cr_assert(r.chunked);
    cr_assert_eq(r.msg_len, n);
    char out[16];
    cr_assert_eq(hp_chunked_copy(r.body, r.body_len, out, sizeof out), 7);
    cr_assert_eq(memcmp(out, "{\"a\":1}", 7), 0);
    cr_assert_eq(hp_chunked_copy(r.body, r.body_len, out, 3), -1);
}

Test(loadgen_http, connection_close_and_http10)
{
    struct hp_response r;
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", &r),
                 HP_RESP_DONE);
    cr_assert(r.close);
    cr_assert_eq(parse("HTTP/1.0 204 No Content\r\n\r\n", &r), HP_RESP_DONE);
    cr_assert(r.close);
    cr_assert_eq(parse("HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n", &r), HP_RESP_DONE);
    cr_assert_not(r.close);
}

Test(loadgen_http, malformed)
{
    struct hp_response r;
    cr_assert_eq(parse("HTTX/1.1 200 OK\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse("HTTP/1.1 2x0 OK\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r), HP_RESP_ERROR);
    static char big[HP_RESP_MAX_HEAD + 10];
    memset(big, 'a', sizeof big);
    cr_assert_eq(hp_parse_response(big, sizeof big, &r), HP_RESP_TOO_LARGE);
}

Test(loadgen_http, urls)
{
    struct hp_url u;
    const char *err;
    cr_assert_eq(hp_parse_url("http://127.0.0.1:8080/openrtb2/bid?x=1", &u, &err), 0);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 8080);
    cr_assert_str_eq(u.path, "/openrtb2/bid?x=1");
    cr_assert_str_eq(u.hostport, "127.0.0.1:8080");
    cr_assert_eq(hp_parse_url("http://localhost", &u, &err), 0);
    cr_assert_eq(u.port, 80);
    cr_assert_str_eq(u.path, "/");
    cr_assert_eq(hp_parse_url("http://[::1]:9/x", &u, &err), 0);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_str_eq(u.hostport, "[::1]:9");
    cr_assert_eq(hp_parse_url("https://127.0.0.1/", &u, &err), -1);
    cr_assert_eq(hp_parse_url("ftp://127.0.0.1/", &u, &err), -1);
    cr_assert_eq(hp_parse_url("http://127.0.0.1:0/", &u, &err), -1);
    cr_assert_eq(hp_parse_url("http://127.0.0.1:70000/", &u, &err), -1);
    cr_assert_eq(hp_parse_url("http:///x", &u, &err), -1);
    cr_assert_eq(hp_parse_url("http://h/a b", &u, &err), -1);
}

static bool v4_loopback(const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return http_is_loopback((struct sockaddr *)&a);
}

static bool v6_loopback(const char *ip)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return http_is_loopback((struct sockaddr *)&a);
}

Test(loadgen_http, loopback_only)
{
    cr_assert(v4_loopback("127.0.0.1"));
    cr_assert(v4_loopback("127.255.0.9"));
    cr_assert_not(v4_loopback("128.0.0.1"));
    cr_assert_not(v4_loopback("10.0.0.1"));
    cr_assert_not(v4_loopback("0.0.0.0"));
    cr_assert(v6_loopback("::1"));
    cr_assert(v6_loopback("::ffff:127.0.0.1"));
    cr_assert_not(v6_loopback("::ffff:192.0.2.1"));
    cr_assert_not(v6_loopback("2001:db8::1"));
    cr_assert_not(v6_loopback("::"));
}

/* ---- strictness: what a server must not send is an error, not a guess ----
 * Each input sits in an exact-size heap copy, so a read past its end is caught in the ASan build; the parser
 * runs on a connection's read buffer, which is not NUL-terminated. */

static int parse_exact(const char *s, struct hp_response *r)
{
    size_t n = strlen(s);
    char *p = malloc(n);
    memcpy(p, s, n);
    int rc = hp_parse_response(p, n, r);
    free(p);
    return rc;
}

static long dechunk_exact(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    long rc = hp_chunked_copy(p, n, out, cap);
    free(p);
    return rc;
}

Test(loadgen_http, content_length_is_digits_on_its_own_line)
{
    struct hp_response r;
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length:  2 \r\n\r\nok", &r), HP_RESP_DONE);
    cr_assert_eq(r.body_len, 2);
    /* an empty value must not be read from the next line or from the body (strtoll skips \r\n) */
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n123", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length:\r\n7: x\r\n\r\n1234567", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 2abc\r\n\r\nok", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 0x2\r\n\r\nok", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nok", &r),
                 HP_RESP_ERROR);
    /* two different lengths: which one frames the next response is a guess (RFC 9112 6.3) */
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!", &r),
                 HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", &r),
                 HP_RESP_DONE);
}

Test(loadgen_http, chunk_sizes_are_hex_digits_on_their_own_line)
{
    struct hp_response r;
    const char *h = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    char s[256];
    /* an empty size line must not take the next line's digits (strtoul skips \r\n) */
    snprintf(s, sizeof s, "%s\r\nfff", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    snprintf(s, sizeof s, "%s\r\n2\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    snprintf(s, sizeof s, "%s-2\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    snprintf(s, sizeof s, "%s0x2\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    snprintf(s, sizeof s, "%s 2\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    snprintf(s, sizeof s, "%s2x\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_ERROR);
    /* a chunk extension is allowed and ignored */
    snprintf(s, sizeof s, "%s2;name=v\r\nok\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_DONE);
    snprintf(s, sizeof s, "%sA\r\n0123456789\r\n0\r\n\r\n", h);
    cr_assert_eq(parse_exact(s, &r), HP_RESP_DONE);
    cr_assert_eq(r.msg_len, strlen(s));
}

Test(loadgen_http, dechunk_checks_its_own_framing)
{
    char out[64];
    cr_assert_eq(dechunk_exact("2\r\nok\r\n0\r\n\r\n", out, sizeof out), 2);
    cr_assert_eq(memcmp(out, "ok", 2), 0);
    cr_assert_eq(dechunk_exact("2;x=y\r\nok\r\n1\r\n!\r\n0\r\n\r\n", out, sizeof out), 3);
    cr_assert_eq(memcmp(out, "ok!", 3), 0);
    /* data without its CRLF, data cut short, no last chunk, an empty or signed size: malformed, and nothing
     * past the input is read */
    cr_assert_eq(dechunk_exact("3\r\nabc", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("3\r\nabcXY0\r\n\r\n", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("3\r\nab", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("3\r\nabc\r\n", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("\r\n3\r\nabc\r\n0\r\n\r\n", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("-1\r\nabc\r\n0\r\n\r\n", out, sizeof out), -1);
    cr_assert_eq(dechunk_exact("", out, sizeof out), -1);
}

Test(loadgen_http, status_line_shape)
{
    struct hp_response r;
    cr_assert_eq(parse_exact("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", &r), HP_RESP_DONE);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(parse_exact("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", &r), HP_RESP_ERROR);
    cr_assert_eq(parse_exact("HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n", &r), HP_RESP_ERROR);
}

Test(loadgen_http, header_names_and_values)
{
    struct hp_response r;
    /* names are case-insensitive, values are matched as tokens of a list */
    cr_assert_eq(
        parse_exact("HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 0\r\nconnection: Keep-Alive, CLOSE\r\n\r\n", &r),
        HP_RESP_DONE);
    cr_assert(r.close, "close anywhere in the list closes");
    cr_assert_eq(parse_exact("HTTP/1.1 200 OK\r\nX-Content-Length: 5\r\nContent-Length: 0\r\n\r\n", &r),
                 HP_RESP_DONE);
    cr_assert_eq(r.body_len, 0, "X-Content-Length is another header");
    cr_assert_eq(
        parse_exact("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Encoding: identity\r\n\r\nok", &r),
        HP_RESP_DONE);
    cr_assert_not(r.gzip);
    /* a 204 and a 304 have no body whatever their headers say; the next message starts right after */
    cr_assert_eq(parse_exact("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", &r), HP_RESP_DONE);
    cr_assert_eq(r.body_len, 0);
}
