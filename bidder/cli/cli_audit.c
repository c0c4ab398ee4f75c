/* cli_audit: see cli_audit.h. A blocking hiredis connection: this is a command-line tool. */
#include "bidder/cli/cli_audit.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"

static int usage(void)
{
    fprintf(stderr, "usage: fairbid audit tail [--redis URL|--config FILE] [--count N] [--follow]\n");
    return 2;
}

/* The length of the valid UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), or
 * 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else
        return 0;
    if (len > n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    return len;
}

void cli_audit_print_escaped(FILE *f, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '\\') {
            fputs("\\\\", f);
            i++;
        } else if (c == '\n') {
            fputs("\\n", f);
            i++;
        } else if (c == '\r') {
            fputs("\\r", f);
            i++;
        } else if (c == '\t') {
            fputs("\\t", f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\x%02x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            size_t k = utf8_len(p + i, n - i);
            if (k == 0 || (c == 0xc2 && p[i + 1] <= 0x9f)) { /* not UTF-8, or a C1 control */
                fprintf(f, "\\x%02x", c);
                i++;
            } else {
                fwrite(p + i, 1, k, f);
                i += k;
            }
        }
    }
}

static void print_str(const redisReply *r)
{
    if (r && r->str) cli_audit_print_escaped(stdout, r->str, r->len);
}

/* One stream entry: ID then field=value pairs, every stored string escaped. Copies the id into last. */
static void print_entry(const redisReply *e, char *last, size_t cap)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) return;
    const redisReply *id = e->element[0], *kv = e->element[1];
    snprintf(last, cap, "%s", id->str ? id->str : "0");
    print_str(id);
    for (size_t i = 0; kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2) {
        putchar(' ');
        print_str(kv->element[i]);
        putchar('=');
        print_str(kv->element[i + 1]);
    }
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
    char cerr[512];
    redisContext *rc = redis_block_connect(url, 5000, cerr, sizeof cerr);
    if (!rc) {
        fprintf(stderr, "fairbid audit: %s\n", cerr);
        return 1;
    }
    /* --follow blocks in XREAD for as long as nothing happens: no command timeout past the handshake */
    redisSetTimeout(rc, (struct timeval){0, 0});
    redisReply *r;
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
