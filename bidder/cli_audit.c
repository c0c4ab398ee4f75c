/* cli_audit: see cli_audit.h. A blocking hiredis connection: this is a command-line tool. */
#include "bidder/cli_audit.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config.h"
#include "bidder/store.h"

static int usage(void)
{
    fprintf(stderr, "usage: fairbid audit tail [--redis URL|--config FILE] [--count N] [--follow]\n");
    return 2;
}

/* One stream entry: ID then field=value pairs. Copies the id into last. */
static void print_entry(const redisReply *e, char *last, size_t cap)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) return;
    const redisReply *id = e->element[0], *kv = e->element[1];
    snprintf(last, cap, "%s", id->str ? id->str : "0");
    printf("%s", last);
    for (size_t i = 0; kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2)
        printf(" %s=%s", kv->element[i]->str, kv->element[i + 1]->str);
    printf("\n");
}

int cli_audit_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "tail")) return usage();
    const char *url = NULL, *cfgpath = NULL;
    long count = 20;
    int follow = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--redis") && i + 1 < argc)
            url = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfgpath = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--follow"))
            follow = 1;
        else
            return usage();
    }
    if (count < 1 || count > 1000000) return usage();
    char err[1024], urlbuf[512] = "";
    if (!url && cfgpath) {
        struct config *c = config_load(cfgpath, NULL, err, sizeof err);
        if (!c) {
            fprintf(stderr, "fairbid audit: %s\n", err);
            return 2;
        }
        snprintf(urlbuf, sizeof urlbuf, "%s", c->redis);
        config_free(c);
        url = urlbuf;
    }
    if (!url || !*url) url = "redis://127.0.0.1:6379";
    struct store_url u;
    if (store_resolve(url, &u, err, sizeof err)) {
        fprintf(stderr, "fairbid audit: %s\n", err);
        return 2;
    }
    redisContext *rc = redisConnect(u.host, u.port);
    if (!rc || rc->err) {
        fprintf(stderr, "fairbid audit: cannot connect to %s:%d: %s\n", u.host, u.port,
                rc ? rc->errstr : "oom");
        if (rc) redisFree(rc);
        return 1;
    }
    redisReply *r;
    if (u.password[0] && (r = redisCommand(rc, "AUTH %s", u.password))) freeReplyObject(r);
    if (u.db && (r = redisCommand(rc, "SELECT %d", u.db))) freeReplyObject(r);
    char last[64] = "0";
    r = redisCommand(rc, "XREVRANGE fairbid:audit + - COUNT %ld", count);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "fairbid audit: XREVRANGE: %s\n", r ? r->str : rc->errstr);
        if (r) freeReplyObject(r);
        redisFree(rc);
        return 1;
    }
    for (size_t i = r->elements; i-- > 0;) print_entry(r->element[i], last, sizeof last);
    if (r->elements == 0) snprintf(last, sizeof last, "$");
    freeReplyObject(r);
    fflush(stdout);
    while (follow) {
        r = redisCommand(rc, "XREAD COUNT 1000 BLOCK 2000 STREAMS fairbid:audit %s", last);
        if (!r) {
            fprintf(stderr, "fairbid audit: %s\n", rc->errstr);
            redisFree(rc);
            return 1;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
            const redisReply *entries = r->element[0]->element[1];
            for (size_t i = 0; i < entries->elements; i++)
                print_entry(entries->element[i], last, sizeof last);
            fflush(stdout);
        }
        freeReplyObject(r);
    }
    redisFree(rc);
    return 0;
}
