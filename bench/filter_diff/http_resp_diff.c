/* bench/filter_diff: see run.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bidder/http/http_resp.h"
static unsigned long long H;
static void mix(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        H ^= c[i];
        H *= 1099511628211ull;
    }
}
static void one(const char *d, size_t n)
{
    struct hr_response r;
    int rc = hr_parse_head(d, n, 8192, &r);
    mix(&rc, sizeof rc);
    if (rc > 0) {
        mix(&r.status, 4);
        mix(&r.minor, 4);
        mix(&r.keep_alive, 1);
        mix(&r.chunked, 1);
        mix(&r.has_length, 1);
        mix(&r.content_length, 8);
        mix(&r.until_close, 1);
        mix(&r.head_len, 8);
        long o = r.ctype.p ? r.ctype.p - d : -1;
        mix(&o, 8);
        mix(&r.ctype.n, 8);
        o = r.encoding.p ? r.encoding.p - d : -1;
        mix(&o, 8);
        mix(&r.encoding.n, 8);
    }
}
int main(int argc, char **argv)
{
    long inputs = 0;
    static const char subs[] = {'-', '\r', '\n', ' ', '\t',   ':',           'A', 'a', 'K', 'k',   'C',
                                'c', '0',  'x',  ',', '\x7f', '\x0d' ^ 0x20, 'E', 'e', 'N', '\x8d'};
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) continue;
        static char buf[1 << 16], m[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        H = 1469598103934665603ull;
        one(buf, n);
        inputs++;
        printf("%s %016llx\n", argv[i], H);
        for (size_t p = 0; p < n && p < 600; p++) {
            for (size_t s = 0; s < sizeof subs; s++) {
                memcpy(m, buf, n);
                m[p] = subs[s];
                H = 1469598103934665603ull;
                one(m, n);
                inputs++;
                printf("%s@%zu:%zu %016llx\n", argv[i], p, s, H);
            }
            H = 1469598103934665603ull;
            one(buf, p);
            inputs++;
            printf("%s#%zu %016llx\n", argv[i], p, H);
        }
    }
    fprintf(stderr, "inputs %ld\n", inputs);
}
