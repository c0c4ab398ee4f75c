/* Unit tests for loadgen/http: the response parser on whole, split, chunked, pipelined and malformed input;
 * URL parsing; the loopback check that guards --allow-remote. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>

#include "loadgen/http.h"

static int parse(const char *s, struct http_resp *r)
{
    return http_parse_response(s, strlen(s), r);
}

Test(loadgen_http, no_content)
{
    struct http_resp r;
    const char *s = "HTTP/1.1 204 No Content\r\nServer: nginx\r\n\r\n";
    cr_assert_eq(parse(s, &r), HTTP_PARSE_DONE);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(r.msg_len, strlen(s));
    cr_assert_not(r.close);
}

Test(loadgen_http, content_length_every_split)
{
    const char *s = "HTTP/1.1 200 OK\r\ncontent-length: 11\r\nContent-Encoding: gzip\r\n\r\n{\"seatbid\"}";
    size_t n = strlen(s);
    struct http_resp r;
    /* Every prefix is incomplete; only the whole message parses. */
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(http_parse_response(s, i, &r), HTTP_PARSE_MORE, "prefix %zu", i);
    cr_assert_eq(http_parse_response(s, n, &r), HTTP_PARSE_DONE);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, 11);
    cr_assert(r.gzip);
    cr_assert_eq(memcmp(r.body, "{\"seatbid\"}", 11), 0);
}

Test(loadgen_http, pipelined_messages)
{
    const char *s = "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 2";
    struct http_resp r;
    cr_assert_eq(parse(s, &r), HTTP_PARSE_DONE);
    size_t off = r.msg_len;
    cr_assert_eq(http_parse_response(s + off, strlen(s) - off, &r), HTTP_PARSE_DONE);
    cr_assert_eq(r.status, 200);
    off += r.msg_len;
    cr_assert_eq(http_parse_response(s + off, strlen(s) - off, &r), HTTP_PARSE_MORE);
}

Test(loadgen_http, chunked)
{
    const char *s =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
    struct http_resp r;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(http_parse_response(s, i, &r), HTTP_PARSE_MORE, "prefix %zu", i);
    cr_assert_eq(http_parse_response(s, n, &r), HTTP_PARSE_DONE);
    cr_assert(r.chunked);
    cr_assert_eq(r.msg_len, n);
    char out[16];
    cr_assert_eq(http_dechunk(r.body, r.body_len, out, sizeof out), 7);
    cr_assert_eq(memcmp(out, "{\"a\":1}", 7), 0);
    cr_assert_eq(http_dechunk(r.body, r.body_len, out, 3), -1);
}

Test(loadgen_http, connection_close_and_http10)
{
    struct http_resp r;
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", &r),
                 HTTP_PARSE_DONE);
    cr_assert(r.close);
    cr_assert_eq(parse("HTTP/1.0 204 No Content\r\n\r\n", &r), HTTP_PARSE_DONE);
    cr_assert(r.close);
    cr_assert_eq(parse("HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n", &r), HTTP_PARSE_DONE);
    cr_assert_not(r.close);
}

Test(loadgen_http, malformed)
{
    struct http_resp r;
    cr_assert_eq(parse("HTTX/1.1 200 OK\r\n\r\n", &r), HTTP_PARSE_ERROR);
    cr_assert_eq(parse("HTTP/1.1 2x0 OK\r\n\r\n", &r), HTTP_PARSE_ERROR);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r), HTTP_PARSE_ERROR);
    cr_assert_eq(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r), HTTP_PARSE_ERROR);
    static char big[HTTP_MAX_HEAD + 10];
    memset(big, 'a', sizeof big);
    cr_assert_eq(http_parse_response(big, sizeof big, &r), HTTP_PARSE_TOO_LARGE);
}

Test(loadgen_http, urls)
{
    struct http_url u;
    const char *err;
    cr_assert_eq(http_parse_url("http://127.0.0.1:8080/openrtb2/bid?x=1", &u, &err), 0);
    cr_assert_str_eq(u.host, "127.0.0.1");
    cr_assert_eq(u.port, 8080);
    cr_assert_str_eq(u.path, "/openrtb2/bid?x=1");
    cr_assert_str_eq(u.hostport, "127.0.0.1:8080");
    cr_assert_eq(http_parse_url("http://localhost", &u, &err), 0);
    cr_assert_eq(u.port, 80);
    cr_assert_str_eq(u.path, "/");
    cr_assert_eq(http_parse_url("http://[::1]:9/x", &u, &err), 0);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_str_eq(u.hostport, "[::1]:9");
    cr_assert_eq(http_parse_url("https://127.0.0.1/", &u, &err), -1);
    cr_assert_eq(http_parse_url("ftp://127.0.0.1/", &u, &err), -1);
    cr_assert_eq(http_parse_url("http://127.0.0.1:0/", &u, &err), -1);
    cr_assert_eq(http_parse_url("http://127.0.0.1:70000/", &u, &err), -1);
    cr_assert_eq(http_parse_url("http:///x", &u, &err), -1);
    cr_assert_eq(http_parse_url("http://h/a b", &u, &err), -1);
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
