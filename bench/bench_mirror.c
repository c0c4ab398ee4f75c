/* bench_mirror: the consent mirror's budgets.
 *   memory   RSS delta / records for a table of N records (default 10 M), presized (as the mirror does from
 *            DBSIZE) and grown from empty by rebuilds (the mirror's path without a size hint); bar ≤ 48 B
 *   lookup   ns per lookup as mirror_view does it (XXH3-128 of the user key + probe), hits and misses, random
 *            order over the whole table; bar < 100 ns
 *   load     with --redis URL: writes M records (default 1 M) by pipelined HSET, then times mirror_start's
 *            full SCAN + HGETALL load until mirror_ready(); bar < 10 s. Uses (and FLUSHes) database /15
 * unless the URL names another: point it at a scratch redis-server. usage: bench_mirror [--records N]
 * [--lookups L] [--redis URL] [--load-records M] [--skip-memory] */
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bidder/config.h"
#include "bidder/mirror.h"
#include "bidder/mirror_table.h"
#include "bidder/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

static int user_key(char *b, size_t cap, uint64_t i)
{
    return snprintf(b, cap, "u-%016llx", (unsigned long long)(i * 0x9E3779B97F4A7C15ull));
}

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static struct mirror_table *fill(size_t n, bool presize)
{
    struct mirror_table *t = mirror_table_new(presize ? n : 0);
    char b[64];
    for (size_t i = 0; i < n; i++) {
        int l = user_key(b, sizeof b, i);
        struct mirror_key k = mirror_key_of(b, (size_t)l);
        uint32_t f = (uint32_t)(i % 7 == 0 ? MIRROR_F_OPTOUT : 0);
        if (mirror_table_put(t, k, f, 0) == MIRROR_EFULL) {
            struct mirror_table *g = mirror_table_rebuild(t, 0);
            mirror_table_free(t);
            t = g;
            mirror_table_put(t, k, f, 0);
        }
    }
    return t;
}

static void bench_memory(size_t n, size_t lookups)
{
    for (int presize = 1; presize >= 0; presize--) {
        long r0 = rss_bytes();
        double t0 = now_s();
        struct mirror_table *t = fill(n, presize);
        double t1 = now_s();
        long r1 = rss_bytes();
        printf("memory  %-8s records=%zu capacity=%zu load=%.2f table_bytes=%zu rss_delta=%ld "
               "bytes_per_record=%.1f insert_s=%.2f\n",
               presize ? "presized" : "grown", n, mirror_table_capacity(t),
               (double)n / (double)mirror_table_capacity(t), mirror_table_bytes(t), r1 - r0,
               (double)(r1 - r0) / (double)n, t1 - t0);
        if (presize) {
            /* lookups: keys chosen at random, as request traffic would; misses are users without a record */
            char(*keys)[24] = malloc(4096 * sizeof *keys);
            int *lens = malloc(4096 * sizeof *lens);
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i < 4096; i++) {
                    uint64_t id = xorshift() % n + (pass ? n : 0); /* pass 1: ids never inserted */
                    lens[i] = user_key(keys[i], sizeof keys[i], id);
                }
                uint64_t found = 0;
                double a = now_s();
                for (size_t i = 0; i < lookups; i++) {
                    uint32_t f;
                    size_t j = i & 4095;
                    found += mirror_table_get(t, mirror_key_of(keys[j], (size_t)lens[j]), &f);
                }
                double b = now_s();
                printf("lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu\n",
                       pass ? "miss" : "hit", n, lookups, (b - a) * 1e9 / (double)lookups,
                       (unsigned long long)found);
            }
            /* cold: 4096 keys stay cached after the first round, so also a stream of 1 M distinct random keys
             * (prepared before timing, read sequentially): every probe is a cache (and TLB) miss */
            size_t nc = 1u << 20;
            char(*ck)[24] = malloc(nc * sizeof *ck);
            int *cl = malloc(nc * sizeof *cl);
            for (size_t i = 0; i < nc; i++) cl[i] = user_key(ck[i], sizeof ck[i], xorshift() % (2 * n));
            uint64_t found = 0;
            size_t rounds = lookups < nc ? nc : lookups;
            double a = now_s();
            for (size_t i = 0; i < rounds; i++) {
                uint32_t f;
                size_t j = i & (nc - 1);
                found += mirror_table_get(t, mirror_key_of(ck[j], (size_t)cl[j]), &f);
            }
            double b = now_s();
            printf("lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu (half hits)\n", "cold",
                   n, rounds, (b - a) * 1e9 / (double)rounds, (unsigned long long)found);
            free(ck);
            free(cl);
            free(keys);
            free(lens);
        }
        mirror_table_free(t);
    }
}

static int bench_load(const char *url, size_t m)
{
    struct store_url u;
    char err[256];
    if (store_parse_url(url, &u, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    redisContext *c = redisConnect(u.host, u.port);
    if (!c || c->err) {
        fprintf(stderr, "cannot connect to redis\n");
        return 1;
    }
    int db = u.db ? u.db : 15;
    redisReply *r = redisCommand(c, "SELECT %d", db);
    freeReplyObject(r);
    r = redisCommand(c, "FLUSHDB");
    freeReplyObject(r);
    double t0 = now_s();
    char key[64];
    for (size_t i = 0; i < m; i++) {
        snprintf(key, sizeof key, "fairbid:consent:u-%zu", i);
        redisAppendCommand(c, "HSET %s optout %d minor %d sensitive %s updated_ms 1", key, (int)(i % 7 == 0),
                           (int)(i % 31 == 0), i % 5 == 0 ? "health" : "");
        if ((i + 1) % 1000 == 0 || i + 1 == m) {
            size_t k = (i % 1000) + 1;
            for (size_t j = 0; j < k; j++) {
                void *rv;
                if (redisGetReply(c, &rv) != REDIS_OK) return 1;
                freeReplyObject(rv);
            }
        }
    }
    printf("load    wrote %zu records in %.2f s (pipelined HSET)\n", m, now_s() - t0);
    redisFree(c);

    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    /* the URL as given, with the database the records were written to */
    size_t ul = strcspn(url + 8, "/") + 8;
    if (ul + 8 > sizeof cfg.redis) return 1;
    memcpy(cfg.redis, url, ul);
    snprintf(cfg.redis + ul, sizeof cfg.redis - ul, "/%d", db);
    cfg.consent_stale_ms = 500;
    struct event_base *base = event_base_new();
    long r0 = rss_bytes();
    double a = now_s();
    if (mirror_start(base, &cfg, err, sizeof err)) {
        fprintf(stderr, "mirror_start: %s\n", err);
        return 1;
    }
    while (!mirror_ready() && now_s() - a < 120) event_base_loop(base, EVLOOP_ONCE);
    double b = now_s();
    long r1 = rss_bytes();
    printf("load    mirror loaded %zu records in %.2f s (SCAN COUNT 1000 + pipelined HGETALL), rss_delta=%ld "
           "(%.1f B/record incl. hiredis buffers)\n",
           mirror_size(), b - a, r1 - r0, (double)(r1 - r0) / (double)m);
    struct consent_stored rec;
    bool ok = mirror_lookup("u-7", 3, &rec) && rec.optout && !mirror_lookup("u-x", 3, &rec);
    printf("load    spot check %s\n", ok ? "ok" : "FAILED");
    mirror_stop();
    event_base_free(base);
    return ok && mirror_size() == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    size_t n = 10000000, lookups = 5000000, m = 1000000;
    const char *url = NULL;
    bool mem = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--records") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--lookups") && i + 1 < argc)
            lookups = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--redis") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "--load-records") && i + 1 < argc)
            m = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--skip-memory"))
            mem = false;
        else {
            fprintf(stderr,
                    "usage: bench_mirror [--records N] [--lookups L] [--redis URL] [--load-records M] "
                    "[--skip-memory]\n");
            return 2;
        }
    }
    if (mem) bench_memory(n, lookups);
    return url ? bench_load(url, m) : 0;
}
