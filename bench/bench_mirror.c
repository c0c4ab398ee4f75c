/* bench_mirror: the consent mirror's budgets.
 *   memory   RSS delta / records for a table of N records (default 10 M), presized (as the mirror does from
 *            DBSIZE) and grown from empty by rebuilds (the mirror's path without a size hint); bar <= 48 B.
 *            anon_huge_kb: the process's AnonHugePages (/proc/self/smaps_rollup), i.e. whether THP backs it
 *   lookup   ns per lookup as mirror_view does it (XXH3-128 of the user key + probe), thread CPU time; bar
 *            < 100 ns. hit/miss: 4096 random keys, cached after the first round. The cold lines (1 M random
 *            keys over the whole table, half hits) are explained above bench_cold and bench_request:
 *            cold-serial is the latency of one isolated lookup (what one request pays), cold-stream lets the
 *            CPU overlap neighbouring lookups, cold-batch16 prefetches, dram is the machine's memory latency
 *            floor, cold-request is the miss measured inside engine_bid on deploy/sample-request.json with
 * the server's store hooks (prefetch at the end of the user object), cold-request-noprefetch without it load
 * with --redis URL: writes M records (default 1 M) by pipelined HSET, then times mirror_start's full SCAN +
 * HGETALL load until mirror_ready(); bar < 10 s. Uses (and FLUSHes) database /15 unless the URL names
 * another: point it at a scratch redis-server. usage: bench_mirror [--records N]
 * [--lookups L] [--redis URL] [--load-records M] [--skip-memory] [--config FILE] [--request FILE] (run from
 * the repository root for the default config and request) */
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_stats.h"
#include "bidder/config/config.h"
#include "bidder/common/clock.h"
#include "bidder/engine.h"
#include "bidder/consent/mirror.h"
#include "bidder/consent/mirror_table.h"
#include "bidder/store/store.h"

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

/* AnonHugePages of the whole process (kB): the tables are its only huge-page candidates (madvise mode) */
static long anon_huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "AnonHugePages:", 14)) kb = atol(line + 14);
    fclose(f);
    return kb;
}

static const char *thp_mode(void)
{
    static char mode[16] = "unknown";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char line[128];
    if (f && fgets(line, sizeof line, f)) {
        char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
        if (a && b && b - a - 1 < (long)sizeof mode) {
            memcpy(mode, a + 1, (size_t)(b - a - 1));
            mode[b - a - 1] = 0;
        }
    }
    if (f) fclose(f);
    return mode;
}

static volatile uint64_t sink;

/* waits until every earlier instruction has completed: the next lookup cannot overlap this one */
static inline void serialize(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
#else
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

/* The cold lookup, four ways, every one over the same 1 M random keys (half hits) spread over the whole
 * table: serial  one lookup at a time (a fence after each, so the CPU cannot overlap the next lookup's miss
 * with this one): the latency of one isolated lookup, which is what a request pays: it makes one lookup and
 * needs the answer before deciding. The headline figure. stream  lookups back to back with nothing between
 * them (the figure this bench reported before): the CPU runs ahead into the next keys and overlaps several
 * misses, so this is throughput, not latency. batch16 16 keys hashed and prefetched, then looked up
 * (mirror_table_prefetch): the pipelined best case. dram    reference, not a lookup: one random 8-byte load
 * at a time into a buffer of the table's size, in huge pages like the table, fenced like serial: the memory
 * latency floor of this machine. */
static void bench_cold(struct mirror_table *t, size_t n, char (*ck)[24], const int *cl, size_t nc,
                       size_t rounds)
{
    uint64_t found = 0;
    double a = ((double)fb_clock_thread_cpu_ns() / 1e9);
    for (size_t i = 0; i < rounds; i++) {
        uint32_t f;
        size_t j = i & (nc - 1);
        found += mirror_table_get(t, mirror_key_of(ck[j], (size_t)cl[j]), &f);
        serialize();
    }
    double b = ((double)fb_clock_thread_cpu_ns() / 1e9);
    printf("lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu anon_huge_kb=%ld (half hits; "
           "one lookup at a time = per-request cost)\n",
           "cold-serial", n, rounds, (b - a) * 1e9 / (double)rounds, (unsigned long long)found,
           anon_huge_kb());

    found = 0;
    a = ((double)fb_clock_thread_cpu_ns() / 1e9);
    for (size_t i = 0; i < rounds; i++) {
        uint32_t f;
        size_t j = i & (nc - 1);
        found += mirror_table_get(t, mirror_key_of(ck[j], (size_t)cl[j]), &f);
    }
    b = ((double)fb_clock_thread_cpu_ns() / 1e9);
    printf(
        "lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu (half hits; back to back, misses "
        "overlap = throughput)\n",
        "cold-stream", n, rounds, (b - a) * 1e9 / (double)rounds, (unsigned long long)found);

    enum { BATCH = 16 };
    found = 0;
    a = ((double)fb_clock_thread_cpu_ns() / 1e9);
    for (size_t i = 0; i < rounds; i += BATCH) {
        struct mirror_key k[BATCH];
        for (int x = 0; x < BATCH; x++) {
            size_t j = (i + (size_t)x) & (nc - 1);
            k[x] = mirror_key_of(ck[j], (size_t)cl[j]);
            mirror_table_prefetch(t, k[x]);
        }
        for (int x = 0; x < BATCH; x++) {
            uint32_t f;
            found += mirror_table_get(t, k[x], &f);
        }
    }
    b = ((double)fb_clock_thread_cpu_ns() / 1e9);
    printf("lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu (half hits; prefetched in "
           "batches "
           "of %d)\n",
           "cold-batch16", n, rounds, (b - a) * 1e9 / (double)rounds, (unsigned long long)found, BATCH);

    size_t bytes = mirror_table_bytes(t), hp = (size_t)2 << 20;
    char *m = mmap(NULL, bytes + hp, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return;
    char *p = (char *)(((uintptr_t)m + hp - 1) & ~(uintptr_t)(hp - 1));
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    long before = anon_huge_kb();
    memset(p, 1, bytes);
    long huge = anon_huge_kb() - before;
    uint32_t *idx = malloc(nc * sizeof *idx);
    for (size_t i = 0; i < nc; i++) idx[i] = (uint32_t)(xorshift() % (bytes / 64));
    uint64_t sum = 0;
    a = ((double)fb_clock_thread_cpu_ns() / 1e9);
    for (size_t i = 0; i < rounds; i++) {
        sum += *(volatile uint64_t *)(p + (size_t)idx[i & (nc - 1)] * 64);
        serialize();
    }
    b = ((double)fb_clock_thread_cpu_ns() / 1e9);
    printf("lookup  %-8s bytes=%zu loads=%zu ns_per_load=%.1f anon_huge_kb=%ld (reference: one random DRAM "
           "access at a time, the floor under cold-serial)\n",
           "dram", bytes, rounds, (b - a) * 1e9 / (double)rounds, huge);
    sink = sum;
    free(idx);
    munmap(m, bytes + hp);
}

/* ---- the lookup inside a real request -------------------------------------------------------------------
 */

/* cold-request: engine_bid (parse + decide + serialize of deploy/sample-request.json with
 * deploy/fairbid.json, as a worker runs it) with the server's store hooks: store_prefetch (mirror_prefetch's
 * code: hash the key and prefetch its slot when the parser reaches the end of the user object) and store_view
 * (mirror_view's code: hash and look up the parsed user key), on this table instead of the mirror's. Before
 * each request the body's user.buyeruid is overwritten with the next key, a random cold key (over the whole
 * table, half hits) or one of HOT hot ones (their lines stay in L1/L2 between blocks; 4096, as before, did
 * not: the cold blocks evicted them and the "hot" baseline paid misses too): the difference is what the miss
 * adds to a request, with the rest of the parse overlapping it. cold-request-noprefetch is the same without
 * store_prefetch (the path before it existed). Blocks of requests rotate over the four variants; the figures
 * are medians over blocks.
 */
enum { HOT = 256 };

struct req_fx {
    struct mirror_table *t;
    char (*ck)[24], (*hk)[24];
    const int *cl, *hl;
    size_t nc, next;
    bool cold;
};

static void req_prefetch(void *arg, struct sv key)
{
    struct req_fx *fx = arg;
    mirror_table_prefetch(fx->t, mirror_key_of(key.p, key.n));
}

static void req_view(void *arg, const struct ortb_request *req, struct consent_store_view *view,
                     struct consent_stored *rec)
{
    struct req_fx *fx = arg;
    view->trusted = true;
    view->rec = NULL;
    struct sv u = req->user.buyeruid.n ? req->user.buyeruid : req->user.id;
    if (!u.n) return;
    uint32_t f;
    if (mirror_table_get(fx->t, mirror_key_of(u.p, u.n), &f)) {
        mirror_flags_unpack(f, rec);
        view->rec = rec;
    }
}

/* Replaces the value of the first "buyeruid" in body with `klen` placeholder bytes; returns the value's
 * offset (or -1 when the request has no string buyeruid). */
static long set_buyeruid(char *body, size_t *len, size_t cap, size_t klen)
{
    char *k = strstr(body, "\"buyeruid\"");
    if (!k) return -1;
    char *v = strchr(k + 10, '"');
    char *e = v ? strchr(v + 1, '"') : NULL;
    if (!e) return -1;
    size_t off = (size_t)(v + 1 - body), old = (size_t)(e - v - 1);
    if (*len - old + klen >= cap) return -1;
    memmove(body + off + klen, e, *len - (size_t)(e - body) + 1);
    memset(body + off, 'x', klen);
    *len = *len - old + klen;
    return (long)off;
}

static void bench_request(struct mirror_table *t, char (*ck)[24], const int *cl, size_t nc, char (*hk)[24],
                          const int *hl, const char *config, const char *request)
{
    char err[256];
    struct config *cfg = config_load(config, NULL, err, sizeof err);
    FILE *fb = fopen(request, "rb");
    if (!cfg || !fb) {
        printf("lookup  cold-request skipped (%s)\n", cfg ? request : err);
        if (cfg) config_free(cfg);
        if (fb) fclose(fb);
        return;
    }
    static char body[64 * 1024], arena_mem[256 * 1024], resp_mem[64 * 1024];
    size_t len = fread(body, 1, sizeof body - 1, fb);
    fclose(fb);
    body[len] = '\0';
    size_t klen = (size_t)cl[0]; /* every key has the same length (user_key) */
    long off = set_buyeruid(body, &len, sizeof body, klen);
    if (off < 0) {
        printf("lookup  cold-request skipped (%s has no string user.buyeruid)\n", request);
        config_free(cfg);
        return;
    }
    struct req_fx fx = {.t = t, .ck = ck, .cl = cl, .hk = hk, .hl = hl, .nc = nc};
    struct engine_ctx with = {.store_view = req_view, .store_prefetch = req_prefetch, .store_arg = &fx};
    struct engine_ctx without = {.store_view = req_view, .store_arg = &fx};
    struct arena a;
    struct buf out;
    arena_init(&a, arena_mem, sizeof arena_mem);
    buf_init(&out, resp_mem, sizeof resp_mem);
    static struct engine_result res;
    enum { BLOCKS = 40, PER_BLOCK = 10000 };
    /* [prefetch][cold] */
    static double ns[2][2][BLOCKS], diff[2][BLOCKS];
    for (int blk = -2; blk < BLOCKS; blk++) { /* two warm-up blocks */
        double cur[2][2];
        for (int l = 0; l < 4; l++) {
            int v = (l + blk + 2) % 4; /* rotate which variant goes first */
            int pf = v >> 1;
            fx.cold = v & 1;
            const struct engine_ctx *ctx = pf ? &with : &without;
            double a0 = ((double)fb_clock_thread_cpu_ns() / 1e9);
            for (int i = 0; i < PER_BLOCK; i++) {
                size_t j = fx.next++ & (fx.cold ? fx.nc - 1 : HOT - 1);
                memcpy(body + off, fx.cold ? fx.ck[j] : fx.hk[j], klen);
                arena_reset(&a);
                engine_bid(cfg, ctx, body, len, &a, &out, &res);
            }
            cur[pf][fx.cold] = (((double)fb_clock_thread_cpu_ns() / 1e9) - a0) * 1e9 / PER_BLOCK;
        }
        if (blk < 0) continue;
        for (int pf = 0; pf < 2; pf++) {
            ns[pf][0][blk] = cur[pf][0];
            ns[pf][1][blk] = cur[pf][1];
            diff[pf][blk] = cur[pf][1] - cur[pf][0];
        }
    }
    for (int pf = 1; pf >= 0; pf--) {
        qsort(diff[pf], BLOCKS, sizeof diff[pf][0], bench_cmp_double);
        qsort(ns[pf][0], BLOCKS, sizeof ns[pf][0][0], bench_cmp_double);
        qsort(ns[pf][1], BLOCKS, sizeof ns[pf][1][0], bench_cmp_double);
        printf(
            "lookup  %-8s requests=%d ns_per_request: hot_lookup=%.0f cold_lookup=%.0f miss_adds=%.1f (p25 "
            "%.1f, p75 %.1f; median over %d rotating blocks, status %d)\n",
            pf ? "cold-request" : "cold-request-noprefetch", 2 * BLOCKS * PER_BLOCK, ns[pf][0][BLOCKS / 2],
            ns[pf][1][BLOCKS / 2], diff[pf][BLOCKS / 2], diff[pf][BLOCKS / 4], diff[pf][3 * BLOCKS / 4],
            BLOCKS, res.status);
    }
    config_free(cfg);
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

static void bench_memory(size_t n, size_t lookups, const char *config, const char *request)
{
    for (int presize = 1; presize >= 0; presize--) {
        long r0 = rss_bytes();
        double t0 = ((double)fb_clock_mono_ns() / 1e9);
        struct mirror_table *t = fill(n, presize);
        double t1 = ((double)fb_clock_mono_ns() / 1e9);
        long r1 = rss_bytes();
        printf("memory  %-8s records=%zu capacity=%zu load=%.2f table_bytes=%zu rss_delta=%ld "
               "bytes_per_record=%.1f insert_s=%.2f anon_huge_kb=%ld thp=%s\n",
               presize ? "presized" : "grown", n, mirror_table_capacity(t),
               (double)n / (double)mirror_table_capacity(t), mirror_table_bytes(t), r1 - r0,
               (double)(r1 - r0) / (double)n, t1 - t0, anon_huge_kb(), thp_mode());
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
                double a = ((double)fb_clock_thread_cpu_ns() / 1e9);
                for (size_t i = 0; i < lookups; i++) {
                    uint32_t f;
                    size_t j = i & 4095;
                    found += mirror_table_get(t, mirror_key_of(keys[j], (size_t)lens[j]), &f);
                }
                double b = ((double)fb_clock_thread_cpu_ns() / 1e9);
                printf("lookup  %-8s records=%zu lookups=%zu ns_per_lookup=%.1f found=%llu\n",
                       pass ? "miss" : "hit", n, lookups, (b - a) * 1e9 / (double)lookups,
                       (unsigned long long)found);
            }
            /* cold: 4096 keys stay cached after the first round, so also a stream of 1 M distinct random keys
             * over the whole table (prepared before timing, read sequentially): every probe misses the cache
             */
            size_t nc = 1u << 20;
            char(*ck)[24] = malloc(nc * sizeof *ck);
            int *cl = malloc(nc * sizeof *cl);
            for (size_t i = 0; i < nc; i++) cl[i] = user_key(ck[i], sizeof ck[i], xorshift() % (2 * n));
            size_t rounds = lookups < nc ? nc : lookups;
            bench_cold(t, n, ck, cl, nc, rounds);
            /* the hot set for cold-request (the first HOT of these): the cold keys' mix of hits and misses */
            for (int i = 0; i < 4096; i++) lens[i] = user_key(keys[i], sizeof keys[i], xorshift() % (2 * n));
            bench_request(t, ck, cl, nc, keys, lens, config, request);
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
    double t0 = ((double)fb_clock_mono_ns() / 1e9);
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
    printf("load    wrote %zu records in %.2f s (pipelined HSET)\n", m,
           ((double)fb_clock_mono_ns() / 1e9) - t0);
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
    double a = ((double)fb_clock_mono_ns() / 1e9);
    if (mirror_start(base, &cfg, err, sizeof err)) {
        fprintf(stderr, "mirror_start: %s\n", err);
        return 1;
    }
    while (!mirror_ready() && ((double)fb_clock_mono_ns() / 1e9) - a < 120)
        event_base_loop(base, EVLOOP_ONCE);
    double b = ((double)fb_clock_mono_ns() / 1e9);
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
    const char *url = NULL, *config = "deploy/fairbid.json", *request = "deploy/sample-request.json";
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
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--request") && i + 1 < argc)
            request = argv[++i];
        else if (!strcmp(argv[i], "--skip-memory"))
            mem = false;
        else {
            fprintf(stderr,
                    "usage: bench_mirror [--records N] [--lookups L] [--redis URL] [--load-records M] "
                    "[--skip-memory] [--config FILE] [--request FILE]\n");
            return 2;
        }
    }
    if (mem) bench_memory(n, lookups, config, request);
    return url ? bench_load(url, m) : 0;
}
