/* The shared Redis link (bidder/store/link.h) against a server that accepts TCP and never answers: a socket
 * that listens but never accept()s (the kernel completes the handshake from its backlog, then nothing). The
 * link must time out (connect + AUTH within the connect timeout, a command within the command timeout) and
 * reconnect rather than hang, and Sentinel resolution against such a Sentinel must not stall the loop. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bidder/store/link.h"
#include "bidder/store/store.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* a listening socket nobody accepts on; returns its port */
static int blackhole(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(*fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(bind(*fd, (struct sockaddr *)&a, sizeof a) == 0);
    cr_assert(listen(*fd, 64) == 0);
    socklen_t l = sizeof a;
    cr_assert(getsockname(*fd, (struct sockaddr *)&a, &l) == 0);
    return ntohs(a.sin_port);
}

/* a 10 ms timer on the loop: the largest gap between two firings is how long the loop was stalled. A loaded
 * 2-core CI machine deschedules the process for up to ~100 ms now and then (104 ms seen), so the bound is
 * STALL_MS, well under what each blocking case stalls: 500 ms for a blocking connect or command (the link
 * tests use 500 ms timeouts), 400 ms a round for blocking Sentinel queries. */
#define STALL_MS 250
static struct {
    int64_t last, max_gap;
    int downs, replies_null;
} P;

static void on_probe(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    int64_t n = now_ms();
    if (P.last && n - P.last > P.max_gap) P.max_gap = n - P.last;
    P.last = n;
}

static void run_for(struct event_base *base, int ms)
{
    struct event *probe = event_new(base, -1, EV_PERSIST, on_probe, NULL);
    struct timeval tv = {0, 10000}, stop = {ms / 1000, (ms % 1000) * 1000};
    event_add(probe, &tv);
    P.last = 0;
    event_base_loopexit(base, &stop);
    event_base_dispatch(base);
    event_free(probe);
}

static void on_down(struct redis_link *l, void *arg, const char *why)
{
    (void)l;
    (void)arg;
    (void)why;
    P.downs++;
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac;
    (void)priv;
    if (!r) P.replies_null++;
}

Test(redis_link, connect_timeout_when_auth_is_never_answered)
{
    memset(&P, 0, sizeof P);
    int fd, port = blackhole(&fd);
    struct event_base *base = event_base_new();
    char url[128], err[256];
    snprintf(url, sizeof url, "redis://:secret@127.0.0.1:%d/0", port);
    struct redis_link l;
    struct redis_link_opts o = {.name = "t", .connect_timeout_ms = 500, .on_down = on_down};
    cr_assert(redis_link_init(&l, base, url, &o, err, sizeof err) == 0, "%s", err);
    redis_link_connect(&l);
    int64_t t0 = now_ms();
    run_for(base, 1200);
    cr_assert(now_ms() - t0 < 3000, "the loop ran on (no hang)");
    cr_assert(P.downs >= 1, "the link failed within its connect timeout (downs=%d)", P.downs);
    cr_assert(atomic_load(&l.h.state) != RLINK_UP, "never up: AUTH was never answered");
    cr_assert(strstr(l.h.last_error, "connect timeout"), "last error: %s", l.h.last_error);
    cr_assert(!strstr(l.h.last_error, "secret"), "no password in the error");
    cr_assert(P.max_gap < STALL_MS, "loop stalled %lld ms", (long long)P.max_gap);
    redis_link_stop(&l);
    event_base_free(base);
    close(fd);
}

Test(redis_link, command_timeout_fails_the_link_and_it_reconnects)
{
    memset(&P, 0, sizeof P);
    int fd, port = blackhole(&fd);
    struct event_base *base = event_base_new();
    char url[128], err[256];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    struct redis_link l;
    struct redis_link_opts o = {.name = "t", .command_timeout_ms = 500, .on_down = on_down};
    cr_assert(redis_link_init(&l, base, url, &o, err, sizeof err) == 0, "%s", err);
    redis_link_connect(&l);
    run_for(base, 100); /* no handshake (no password, db 0): up once TCP connects */
    cr_assert(redis_link_ctx(&l), "up after the TCP connect");
    cr_assert(redis_link_command(&l, on_reply, NULL, "PING") == REDIS_OK);
    run_for(base, 1600);
    cr_assert(P.replies_null == 1, "the PING was given up (NULL reply): %d", P.replies_null);
    cr_assert(P.downs >= 1);
    cr_assert(strstr(l.h.last_error, "command timeout"), "last error: %s", l.h.last_error);
    cr_assert(atomic_load(&l.h.reconnects) >= 2, "reconnected after the timeout (%llu connects)",
              (unsigned long long)atomic_load(&l.h.reconnects));
    cr_assert(P.max_gap < STALL_MS, "loop stalled %lld ms", (long long)P.max_gap);
    redis_link_stop(&l);
    event_base_free(base);
    close(fd);
}

Test(redis_link, sentinel_resolution_does_not_stall_the_loop)
{
    memset(&P, 0, sizeof P);
    int fd1, fd2, p1 = blackhole(&fd1), p2 = blackhole(&fd2);
    struct event_base *base = event_base_new();
    char url[128], err[256];
    snprintf(url, sizeof url, "sentinel://127.0.0.1:%d,127.0.0.1:%d/mymaster", p1, p2);
    cr_assert(store_start(base, url, err, sizeof err) == 0, "%s", err);
    /* blocking queries (200 ms per Sentinel) stalled this loop 400 ms per round; STALL_MS leaves room for a
     * loaded CI machine and still fails for any blocking query */
    run_for(base, 1500);
    cr_assert(P.max_gap < STALL_MS, "loop stalled %lld ms by Sentinel resolution", (long long)P.max_gap);
    cr_assert(store_state() == STORE_CONNECTING);
    cr_assert(strstr(store_last_error(), "sentinel"), "last error: %s", store_last_error());
    struct store_url u;
    cr_assert(store_primary(&u) != 0, "no primary from a silent Sentinel");
    store_stop();
    event_base_free(base);
    close(fd1);
    close(fd2);
}

Test(redis_link, backoff_doubles_to_a_cap_with_jitter_that_only_lengthens)
{
    int cur = REDIS_BACKOFF_MIN_MS, prev = 0;
    for (int i = 0; i < 20; i++) {
        int want = cur;
        int d = redis_backoff_next(&cur);
        cr_assert(d >= want && d <= want + want / 4, "delay %d for backoff %d", d, want);
        cr_assert(cur <= REDIS_BACKOFF_MAX_MS);
        cr_assert(cur >= prev);
        prev = cur;
    }
    cr_assert_eq(cur, REDIS_BACKOFF_MAX_MS);
}

Test(redis_link, redacted_url_has_no_password)
{
    struct store_url u;
    char err[256], out[300];
    cr_assert(store_parse_url("redis://:hunter2@10.0.0.1:6380/3", &u, err, sizeof err) == 0);
    redis_url_redacted(&u, out, sizeof out);
    cr_assert_str_eq(out, "redis://***@10.0.0.1:6380/3");
    cr_assert(store_parse_url("sentinel://a:1,b:2/mm/4", &u, err, sizeof err) == 0);
    redis_url_redacted(&u, out, sizeof out);
    cr_assert_str_eq(out, "sentinel://a:1,b:2/mm/4");
}

/* The database number after the last '/': 0..1000, digits only, for redis:// and sentinel:// alike. */
Test(redis_link, database_number_is_strict)
{
    static const struct {
        const char *url;
        int db; /* -1: refused */
    } cases[] = {
        {"redis://127.0.0.1:6379/0", 0},   {"redis://127.0.0.1:6379/1000", 1000},
        {"redis://127.0.0.1:6379/", 0},    {"redis://127.0.0.1:6379/1001", -1},
        {"redis://127.0.0.1:6379/-5", -1}, {"redis://127.0.0.1:6379/3x", -1},
        {"sentinel://a:1/mm/7", 7},        {"sentinel://a:1/mm", 0},
        {"sentinel://a:1/mm/99999", -1},   {"sentinel://a:1/mm/x", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct store_url u;
        char err[256] = "";
        int rc = store_parse_url(cases[i].url, &u, err, sizeof err);
        if (cases[i].db < 0) {
            cr_expect_neq(rc, 0, "%s accepted", cases[i].url);
            char want[300];
            snprintf(want, sizeof want, "%s URL \"%s\" has a bad database number",
                     strncmp(cases[i].url, "redis", 5) ? "sentinel" : "redis", cases[i].url);
            cr_expect_str_eq(err, want, "%s", cases[i].url);
        } else {
            cr_expect_eq(rc, 0, "%s: %s", cases[i].url, err);
            cr_expect_eq(u.db, cases[i].db, "%s", cases[i].url);
        }
    }
}
