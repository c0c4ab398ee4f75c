/* bidder/http/http_parse: request heads and chunked bodies, the cases the native server depends on. Inputs
 * are placed at the end of a page followed by a PROT_NONE page (as picohttpparser's tests do), so a parser
 * that reads one byte past what it was given faults here instead of passing by luck. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/http/http_parse.h"

/* A copy of s[0..n) whose last byte is the last readable byte before a guard page. */
static char *guarded(const char *s, size_t n)
{
    static char *base;
    static size_t page;
    if (!base) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        base = mmap(NULL, page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq(base, MAP_FAILED);
        cr_assert_eq(mprotect(base + page * 2, page, PROT_NONE), 0);
    }
    cr_assert_leq(n, page * 2);
    char *p = base + page * 2 - n;
    memcpy(p, s, n);
    return p;
}

static int head(const char *s, struct hp_request *r)
{
    size_t n = strlen(s);
    return hp_parse_head(guarded(s, n), n, 16384, r);
}

static int chunked(const char *s, size_t n, size_t max_body, size_t *wire, size_t *blen)
{
    return hp_chunked_scan(guarded(s, n), n, max_body, 100, wire, blen);
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
    for (size_t i = 0; i < strlen(s); i++)
        cr_assert_eq(hp_parse_head(guarded(s, i), i, 16384, &r), 0, "at %zu", i);
    cr_assert_gt(head(s, &r), 0);
}

Test(http_parse, keep_alive_rules)
{
    struct hp_request r;
    cr_assert_gt(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.0\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r), 0);
    cr_assert(r.keep_alive);
    cr_assert_gt(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n", &r), 0);
    cr_assert(!r.keep_alive);
}

Test(http_parse, leading_empty_lines)
{
    struct hp_request r;
    cr_assert_gt(head("\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
    cr_assert(sv_eq_cstr(r.path, "/metrics"));
}

/* issue 13: a bare LF could make us and a proxy disagree on where a line (and the request) ends */
Test(http_parse, bare_lf_is_400)
{
    struct hp_request r;
    const char *bad[] = {"GET /metrics HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1\r\nHost: a\n\r\n",
                         "GET / HTTP/1.1\r\nHost: a\r\n\n", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(head(bad[i], &r), HP_EBARELF, "case %zu", i);
        cr_assert_eq(hp_status(HP_EBARELF), 400);
    }
}

Test(http_parse, host_required_in_http11)
{
    struct hp_request r;
    cr_assert_eq(head("GET / HTTP/1.1\r\n\r\n", &r), HP_EHOST);
    cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", &r), HP_EHOST);
    cr_assert_gt(head("GET / HTTP/1.0\r\n\r\n", &r), 0);
    cr_assert_gt(head("GET / HTTP/1.1\r\nHOST: a\r\n\r\n", &r), 0);
    cr_assert_eq(hp_status(HP_EHOST), 400);
}

Test(http_parse, transfer_encoding_only_a_lone_chunked)
{
    struct hp_request r;
    cr_assert_gt(head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", &r), 0);
    cr_assert(r.chunked);
    const char *bad[] = {"gzip, chunked", "chunked, chunked", "identity", "", "chunked;q=1", "x"};
    char s[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(s, sizeof s, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: %s\r\n\r\n", bad[i]);
        cr_assert_eq(head(s, &r), HP_ETE, "%s", bad[i]);
    }
    cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n",
                      &r),
                 HP_ETE);
}

/* Fed one byte at a time, the scanner looks at each byte once: pos only moves forward, never past n. */
Test(http_parse, head_scan_resumes)
{
    const char *s = "\r\nPOST /openrtb2/bid HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
    size_t n = strlen(s), end = (size_t)(strstr(s, "\r\n\r\n{") - s) + 4;
    struct hp_head_scan sc;
    hp_head_scan_init(&sc);
    size_t last = 0;
    for (size_t i = 1; i <= n; i++) {
        int rc = hp_head_scan(&sc, guarded(s, i), i, 16384);
        if (i < end) {
            cr_assert_eq(rc, 0, "at %zu", i);
            cr_assert(sc.pos >= last && sc.pos <= i, "pos %zu at %zu", sc.pos, i);
            last = sc.pos;
        } else {
            cr_assert_eq(rc, (int)end, "at %zu", i);
            break;
        }
    }
}

Test(http_parse, chunked_feed_one_byte_at_a_time)
{
    const char *s = "4;a=b\r\nWiki\r\n5 \r\npedia\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    size_t n = strlen(s);
    struct hp_chunked c;
    hp_chunked_init(&c);
    int rc = 0;
    size_t i;
    for (i = 1; i <= n && rc == 0; i++) {
        rc = hp_chunked_feed(&c, guarded(s, i), i, 1000, 100);
        cr_assert_eq(c.pos, rc == 1 ? c.pos : i); /* every byte consumed, none twice */
    }
    cr_assert_eq(rc, 1);
    cr_assert_eq(c.pos, n - 4);
    cr_assert_eq(c.body, 9);
}

Test(http_parse, absolute_form)
{
    struct hp_request r;
    cr_assert_gt(head("GET http://bidder.example:8080/readyz?a HTTP/1.1\r\nHost: b\r\n\r\n", &r), 0);
    cr_assert(sv_eq_cstr(r.path, "/readyz"));
    cr_assert(sv_eq_cstr(r.query, "a"));
}

Test(http_parse, errors)
{
    struct hp_request r;
    cr_assert_eq(
        head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
        HP_ESMUGGLE);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_gt(head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", &r), 0);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &r), HP_ELENGTH);
    cr_assert_eq(head("POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\n", &r), HP_EHEADER);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", &r), HP_EHEADER);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", &r), HP_EHEADER);
    /* a field is read in one pass up to its first control character (http_parse.c): each way that character
     * can fail to be the CR of a CRLF answers as the line-by-line reading did */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", &r), HP_EHEADER);    /* a bare CR */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\r\r\n\r\n", &r), HP_EHEADER);     /* CR CR LF */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b \x7f \r\n\r\n", &r), HP_EHEADER); /* DEL before blanks */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA:\x01b\r\n\r\n", &r), HP_EHEADER);    /* no blank before it */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\n\r\n", &r), HP_EBARELF);
    cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\nA\n\r\n", &r), HP_EBARELF); /* in a name */
    cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\n\n", &r), HP_EBARELF);      /* the empty line */
    cr_assert_eq(head("GET / HTTP/1.1\r\n: b\r\n\r\n", &r), HP_EHEADER);        /* no name */
    /* ... and an incomplete line waits, whatever it holds so far (the buffer ends at a guard page) */
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\x01", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b\r", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA: b \t", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA:", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nAbc", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nA b", &r), 0);
    cr_assert_eq(head("GET / HTTP/1.1\r\nHost: a\r\n\r", &r), 0);
    cr_assert_gt(
        head("GET / HTTP/1.1\r\nHost: \t a b \t\r\nX-Long: 0123456789abcdef0123456789abcdef\r\n\r\n", &r), 0);
    cr_assert_eq(head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &r), HP_ETE);
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
    cr_assert_eq(hp_parse_head(guarded(big, sizeof big), sizeof big, 256, &r), HP_EHEADTOOBIG);
    cr_assert_eq(hp_parse_head(guarded(big, 200), 200, 256, &r), 0);
    char many[4096] = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 101; i++) strcat(many, "X: y\r\n");
    strcat(many, "\r\n");
    cr_assert_eq(head(many, &r), HP_ETOOMANYHDR);
}

Test(http_parse, chunked)
{
    char body[] = "4;name=v\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\nNEXT";
    size_t wire, blen;
    size_t n = strlen(body);
    cr_assert_eq(chunked(body, n, 1000, &wire, &blen), 1);
    cr_assert_eq(wire, n - 4);
    cr_assert_eq(blen, 23);
    for (size_t i = 0; i < wire; i++) cr_assert_eq(chunked(body, i, 1000, &wire, &blen), 0, "prefix %zu", i);
    cr_assert_eq(hp_chunked_scan(body, n, 1000, 100, &wire, &blen), 1);
    cr_assert_eq(hp_chunked_decode(body, wire), 23);
    cr_assert_eq(memcmp(body, "Wikipedia in\r\n\r\nchunks.", 23), 0);
}

Test(http_parse, chunked_errors_and_limits)
{
    size_t wire, blen;
    /* malformed, LF-only framing (issue 13), junk after the size (issue 13) */
    const char *bad[] = {"x\r\n",
                         "4\r\nabcdX\r\n0\r\n\r\n",
                         "4\rz\nabcd\r\n0\r\n\r\n",
                         "0\r\nno colon\r\n\r\n",
                         "4\nabcd\r\n0\r\n\r\n",
                         "4\r\nabcd\n0\r\n\r\n",
                         "4\r\nabcd\r\n0\n\r\n",
                         "4\r\nabcd\r\n0\r\n\n",
                         "4 junk\r\nabcd\r\n0\r\n\r\n",
                         "4x\r\nabcd\r\n0\r\n\r\n",
                         "0x4\r\nabcd\r\n0\r\n\r\n",
                         "4;a\nb\r\nabcd\r\n0\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(chunked(bad[i], strlen(bad[i]), 1000, &wire, &blen), HP_ECHUNK, "case %zu", i);
    const char *big = "10\r\n0123456789abcdef\r\n0\r\n\r\n";
    cr_assert_eq(chunked(big, strlen(big), 15, &wire, &blen), HP_EBODYTOOBIG);
    cr_assert_eq(chunked(big, strlen(big), 16, &wire, &blen), 1);
    cr_assert_eq(chunked("fffffffffffffffff\r\n", 19, 1000, &wire, &blen), HP_ECHUNK);
}
