/* bench_http_parse: the HTTP request-head parser (bidder/http/http_parse.c) on the sample request's head, as
 * fairbid-loadgen sends it (POST /openrtb2/bid, Host, User-Agent, Content-Type, x-openrtb-version,
 * Content-Length of deploy/sample-request.json). Reports the median over runs, in ns per head:
 *   - whole: the head in one buffer (the usual case: one read brings it all), hp_parse_head;
 *   - bytewise: the head arriving one byte per read, hp_head_scan resumed on each byte, then one
 *     hp_parse_head: the slowloris shape; linear, so about whole + a few ns per byte;
 * and for chunked bodies, hp_chunked_feed over the sample body in 64-byte chunks, ns per body byte.
 * usage: bench_http_parse [--runs N] [--iters N] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bidder/http/http_parse.h"
#include "bidder/common/clock.h"

static volatile size_t sink;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const char HEAD[] =
    "POST /openrtb2/bid HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: fairbid-loadgen\r\n"
    "Content-Type: application/json\r\nx-openrtb-version: 2.6\r\nContent-Length: 2157\r\n\r\n";

int main(int argc, char **argv)
{
    int runs = 7;
    long iters = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        if (!strcmp(argv[i], "--iters")) iters = atol(argv[i + 1]);
    }
    if (runs < 1 || runs > 100 || iters < 1) return 2;
    const size_t n = sizeof HEAD - 1;
    uint64_t whole[100], bytewise[100], chunked[100];
    struct hp_request r;

    /* a chunked body of 2157 bytes in 64-byte chunks */
    static char body[8192];
    size_t bl = 0, plain = 2157;
    for (size_t left = plain; left;) {
        size_t k = left < 64 ? left : 64;
        bl += (size_t)snprintf(body + bl, sizeof body - bl, "%zx\r\n", k);
        memset(body + bl, 'x', k);
        bl += k;
        memcpy(body + bl, "\r\n", 2);
        bl += 2;
        left -= k;
    }
    memcpy(body + bl, "0\r\n\r\n", 5);
    bl += 5;

    for (int run = 0; run < runs; run++) {
        uint64_t t0 = fb_clock_mono_ns();
        for (long i = 0; i < iters; i++) sink += (size_t)hp_parse_head(HEAD, n, 16384, &r);
        whole[run] = (fb_clock_mono_ns() - t0) / (uint64_t)iters;

        long it2 = iters / 10 ? iters / 10 : 1;
        t0 = fb_clock_mono_ns();
        for (long i = 0; i < it2; i++) {
            struct hp_head_scan sc;
            hp_head_scan_init(&sc);
            int end = 0;
            for (size_t k = 1; k <= n && end == 0; k++) end = hp_head_scan(&sc, HEAD, k, 16384);
            sink += (size_t)hp_parse_head(HEAD, (size_t)end, 16384, &r);
        }
        bytewise[run] = (fb_clock_mono_ns() - t0) / (uint64_t)it2;

        t0 = fb_clock_mono_ns();
        for (long i = 0; i < it2; i++) {
            struct hp_chunked c;
            hp_chunked_init(&c);
            sink += (size_t)hp_chunked_feed(&c, body, bl, 1 << 20, 16384) + c.body;
        }
        chunked[run] = (fb_clock_mono_ns() - t0) * 1000 / (uint64_t)it2 / plain; /* ps per body byte */
    }
    qsort(whole, (size_t)runs, sizeof whole[0], cmp_u64);
    qsort(bytewise, (size_t)runs, sizeof bytewise[0], cmp_u64);
    qsort(chunked, (size_t)runs, sizeof chunked[0], cmp_u64);
    printf("bench_http_parse: sample request head (%zu bytes), median of %d runs\n", n, runs);
    printf("  hp_parse_head, whole head:              %6llu ns per head\n",
           (unsigned long long)whole[runs / 2]);
    printf("  hp_head_scan one byte at a time + parse: %6llu ns per head (%zu resumed calls)\n",
           (unsigned long long)bytewise[runs / 2], n);
    printf("  hp_chunked_feed, 64-byte chunks:        %6.2f ns per body byte\n", chunked[runs / 2] / 1000.0);
    return 0;
}
