/* cli_consent: set/get/del/load records of the consent store and compare it with a running mirror.
 * Blocking hiredis: this is a command-line tool. Bulk commands are pipelined in batches of BATCH. */
#include "bidder/cli/cli_consent.h"
#include "bidder/common/clock.h"
#include "bidder/common/file.h"
#include "bidder/http/http_response.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bidder/consent/mirror.h"
#include "bidder/consent/mirror_table.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"
#include "filters/arena.h"
#include "filters/classes.h"
#include "filters/json.h"

#define PREFIX "fairbid:consent:"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define BATCH 1000
#define MAX_LINE (64 * 1024)
#define CONSENT_FILE_MAX (1u << 30) /* an import file of consent records: large, but not the whole disk */

static void usage(FILE *f)
{
    fprintf(f, "usage: fairbid consent set USER [optout=0|1] [minor=0|1] [sensitive=CLASS,...]\n"
               "       fairbid consent get USER\n"
               "       fairbid consent del USER\n"
               "       fairbid consent load FILE|-      (JSON lines: {\"user\":\"...\",\"optout\":1,"
               "\"minor\":0,\"sensitive\":\"health\"})\n"
               "       fairbid consent digest [--compare http://HOST:PORT] [--wait MS]\n"
               "options: --redis URL | --config FILE (its \"redis\" key); default $FAIRBID_REDIS, else "
               "redis://127.0.0.1:6379/0\n"
               "The store's contract: docs/consent-store.md\n");
}

/* The "redis" key of a config file (only that key: the rest is serve's business). */
static int redis_from_config(const char *path, char *out, size_t outlen)
{
    size_t len;
    char *text, ferr[512];
    if (fb_file_read(path, CONSENT_FILE_MAX, &text, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid consent: %s\n", ferr);
        return -1;
    }
    static char mem[MAX_LINE];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct json j;
    json_init(&j, text, len, &a);
    struct sv k, v;
    int rc = -1;
    if (json_obj_begin(&j)) {
        while (json_obj_next(&j, &k)) {
            if (sv_eq_cstr(k, "redis") && json_string(&j, &v) == 0 && v.n < outlen) {
                memcpy(out, v.p, v.n);
                out[v.n] = 0;
                rc = 0;
                break;
            }
            json_skip(&j);
        }
    }
    free(text);
    if (rc) fprintf(stderr, "fairbid consent: %s has no \"redis\" key\n", path);
    return rc;
}

static redisContext *connect_redis(const char *url)
{
    /* the shared blocking form: checked AUTH/SELECT, connect and command timeouts (bidder/store/link.h) */
    char err[512];
    redisContext *c = redis_block_connect(url, 5000, err, sizeof err);
    if (!c) fprintf(stderr, "fairbid consent: %s\n", err);
    return c;
}

static bool reply_error(redisContext *c, redisReply *r)
{
    if (!r) {
        fprintf(stderr, "fairbid consent: redis: %s\n", c->errstr);
        return true;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "fairbid consent: redis: %s\n", r->str);
        freeReplyObject(r);
        return true;
    }
    return false;
}

static bool valid_user(const char *u)
{
    if (!*u) {
        fprintf(stderr, "fairbid consent: empty user key\n");
        return false;
    }
    return true;
}

static bool valid_sensitive(const char *s, size_t n)
{
    int unknown = 0;
    mirror_sensitive_parse(s, n, &unknown);
    if (unknown) fprintf(stderr, "fairbid consent: unknown class name in sensitive=\"%.*s\"\n", (int)n, s);
    return unknown == 0;
}

/* ---- set / get / del ---------------------------------------------------------------------------- */

static int cmd_set(redisContext *c, const char *user, int nf, char **fields)
{
    if (!valid_user(user)) return 2;
    const char *argv[16];
    size_t lens[16];
    char key[1024], now[32];
    int n = 0;
    snprintf(key, sizeof key, PREFIX "%s", user);
    argv[n] = "HSET", lens[n++] = 4;
    argv[n] = key, lens[n++] = strlen(key);
    for (int i = 0; i < nf; i++) {
        char *eq = strchr(fields[i], '=');
        if (!eq) {
            fprintf(stderr, "fairbid consent: expected FIELD=VALUE, got \"%s\"\n", fields[i]);
            return 2;
        }
        *eq = 0;
        const char *f = fields[i], *v = eq + 1;
        if (!strcmp(f, "optout") || !strcmp(f, "minor")) {
            if (strcmp(v, "0") && strcmp(v, "1")) {
                fprintf(stderr, "fairbid consent: %s must be 0 or 1, got \"%s\"\n", f, v);
                return 2;
            }
        } else if (!strcmp(f, "sensitive")) {
            if (!valid_sensitive(v, strlen(v))) return 2;
        } else {
            fprintf(stderr, "fairbid consent: unknown field \"%s\" (optout, minor, sensitive)\n", f);
            return 2;
        }
        if (n + 4 > 16) return 2;
        argv[n] = f, lens[n++] = strlen(f);
        argv[n] = v, lens[n++] = strlen(v);
    }
    if (nf == 0) {
        fprintf(stderr, "fairbid consent: set needs at least one FIELD=VALUE\n");
        return 2;
    }
    snprintf(now, sizeof now, "%" PRId64, fb_clock_wall_ms());
    argv[n] = "updated_ms", lens[n++] = 10;
    argv[n] = now, lens[n++] = strlen(now);
    redisReply *r = redisCommandArgv(c, n, argv, lens);
    if (reply_error(c, r)) return 1;
    freeReplyObject(r);
    return 0;
}

static void put_json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static int cmd_get(redisContext *c, const char *user)
{
    if (!valid_user(user)) return 2;
    redisReply *r = redisCommand(c, "HGETALL " PREFIX "%s", user);
    if (!r) return reply_error(c, r), 1;
    /* a key that is not a hash is a record the mirror does not understand (it restricts): show it as such */
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) != 0) return reply_error(c, r), 1;
    struct mirror_record rec;
    bool found = mirror_reply_record(r, &rec);
    printf("{\"user\":");
    put_json_str(user, strlen(user));
    if (!found) {
        printf(",\"found\":false}\n");
        freeReplyObject(r);
        return 1;
    }
    printf(",\"found\":true");
    if (r->type == REDIS_REPLY_ARRAY) {
        /* every field, as stored (the record is read whole, as the mirror reads it) */
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const redisReply *f = r->element[i], *v = r->element[i + 1];
            printf(",");
            put_json_str(f->str ? f->str : "", f->str ? f->len : 0);
            printf(":");
            put_json_str(v->str ? v->str : "", v->str ? v->len : 0);
        }
    }
    /* what fairbid makes of it */
    struct consent_stored eff;
    mirror_flags_unpack(mirror_record_flags(&rec), &eff);
    printf(",\"effective\":{\"optout\":%d,\"minor\":%d,\"sensitive\":[", eff.optout, eff.minor);
    bool first = true;
    for (int i = 0; i < 27; i++)
        if (eff.sensitive_mask & (1u << i)) {
            printf("%s\"%s\"", first ? "" : ",", class_name(i));
            first = false;
        }
    printf("]");
    if (rec.why) {
        printf(",\"restricted\":");
        put_json_str(rec.why, strlen(rec.why));
    }
    printf("}}\n");
    freeReplyObject(r);
    return 0;
}

static int cmd_del(redisContext *c, const char *user)
{
    if (!valid_user(user)) return 2;
    redisReply *r = redisCommand(c, "DEL " PREFIX "%s", user);
    if (reply_error(c, r)) return 1;
    freeReplyObject(r);
    return 0;
}

/* ---- load --------------------------------------------------------------------------------------- */

static int drain(redisContext *c, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        void *rv;
        if (redisGetReply(c, &rv) != REDIS_OK) {
            fprintf(stderr, "fairbid consent: redis: %s\n", c->errstr);
            return -1;
        }
        redisReply *r = rv;
        if (r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "fairbid consent: redis: %s\n", r->str);
            bad++;
        }
        freeReplyObject(r);
    }
    return bad;
}

/* One line into a full record: every field written, so a line replaces what was there. */
static int parse_line(const char *line, size_t len, struct arena *a, char *key, size_t keylen, char *sens,
                      size_t senslen, int *optout, int *minor, int64_t *updated)
{
    struct json j;
    json_init(&j, line, len, a);
    struct sv k, v, user = SV_NULL;
    *optout = *minor = 0;
    *updated = fb_clock_wall_ms();
    sens[0] = 0;
    size_t sn = 0;
    if (!json_obj_begin(&j)) return -1;
    while (json_obj_next(&j, &k)) {
        if (sv_eq_cstr(k, "user")) {
            json_string(&j, &user);
        } else if (sv_eq_cstr(k, "optout") || sv_eq_cstr(k, "minor")) {
            int *dst = sv_eq_cstr(k, "optout") ? optout : minor;
            enum json_type t = json_peek(&j);
            if (t == JSON_TRUE || t == JSON_FALSE) {
                bool b;
                json_bool(&j, &b);
                *dst = b;
            } else {
                int64_t x;
                if (json_int(&j, &x) == 0 && x != 0 && x != 1) return -1;
                *dst = (int)x;
            }
        } else if (sv_eq_cstr(k, "sensitive")) {
            if (json_peek(&j) == JSON_ARRAY) {
                json_arr_begin(&j);
                while (json_arr_next(&j)) {
                    if (json_string(&j, &v) || sn + v.n + 2 > senslen) return -1;
                    if (sn) sens[sn++] = ',';
                    memcpy(sens + sn, v.p, v.n);
                    sn += v.n;
                }
            } else if (json_string(&j, &v) == 0) {
                if (v.n + 1 > senslen) return -1;
                memcpy(sens, v.p, v.n);
                sn = v.n;
            }
            sens[sn] = 0;
        } else if (sv_eq_cstr(k, "updated_ms")) {
            json_int(&j, updated);
        } else {
            json_skip(&j);
        }
    }
    if (json_finish(&j) || !user.n || user.n + PREFIX_LEN + 1 > keylen) return -1;
    if (!valid_sensitive(sens, sn)) return -1;
    memcpy(key, PREFIX, PREFIX_LEN);
    memcpy(key + PREFIX_LEN, user.p, user.n);
    key[PREFIX_LEN + user.n] = 0;
    return 0;
}

static int cmd_load(redisContext *c, const char *path)
{
    size_t len;
    char *text, ferr[512];
    if (fb_file_read(path, CONSENT_FILE_MAX, &text, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid consent: %s\n", ferr);
        return 1;
    }
    static char mem[MAX_LINE];
    struct arena a;
    char key[1024], sens[1024], ob[2], mb[2], ub[32];
    long lineno = 0, loaded = 0, bad = 0;
    int queued = 0, errors = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        size_t ll = (size_t)(le - p);
        const char *line = p;
        p = nl ? nl + 1 : end;
        while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' ')) ll--;
        if (!ll) continue;
        arena_init(&a, mem, sizeof mem);
        int optout, minor;
        int64_t updated;
        if (parse_line(line, ll, &a, key, sizeof key, sens, sizeof sens, &optout, &minor, &updated)) {
            fprintf(stderr, "fairbid consent: %s:%ld: not a valid record, skipped\n", path, lineno);
            bad++;
            continue;
        }
        snprintf(ob, sizeof ob, "%d", optout);
        snprintf(mb, sizeof mb, "%d", minor);
        snprintf(ub, sizeof ub, "%" PRId64, updated);
        const char *argv[] = {"HSET", key, "optout", ob, "minor", mb, "sensitive", sens, "updated_ms", ub};
        redisAppendCommandArgv(c, 10, argv, NULL);
        loaded++;
        if (++queued == BATCH) {
            int e = drain(c, queued);
            if (e < 0) break;
            errors += e;
            queued = 0;
        }
    }
    if (queued) {
        int e = drain(c, queued);
        errors += e < 0 ? queued : e;
    }
    free(text);
    fprintf(stderr, "fairbid consent: loaded %ld records, %ld bad lines, %d redis errors\n", loaded - errors,
            bad, errors);
    return bad || errors ? 1 : 0;
}

/* ---- digest --------------------------------------------------------------------------------------- */

static int store_digest(redisContext *c, uint64_t *digest, uint64_t *records)
{
    *digest = 0;
    *records = 0;
    char cursor[32] = "0";
    do {
        redisReply *r = redisCommand(c, "SCAN %s MATCH " PREFIX "* COUNT 1000", cursor);
        if (reply_error(c, r)) return -1;
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++)
            redisAppendCommand(c, "HGETALL %b", keys->element[i]->str, keys->element[i]->len);
        for (size_t i = 0; i < keys->elements; i++) {
            void *rv;
            if (redisGetReply(c, &rv) != REDIS_OK) {
                freeReplyObject(r);
                return -1;
            }
            redisReply *h = rv;
            redisReply *k = keys->element[i];
            struct mirror_key mk = mirror_key_of(k->str + PREFIX_LEN, k->len - PREFIX_LEN);
            /* the mirror's own reader, on the whole record: a mirror that cut or misread records disagrees */
            struct mirror_record rec;
            if (mirror_reply_record(h, &rec)) {
                *digest += mirror_digest_term(mk, mirror_record_flags(&rec));
                ++*records;
            }
            freeReplyObject(h);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

/* GET URL/metrics and pick the mirror's digest line. The URL and the response are read by bidder/http/ (the
 * parsers the load generator uses): a status other than 200, or a response that does not parse, is "no
 * digest". */
static int mirror_digest(const char *url, char *digest, size_t dlen, unsigned long long *records)
{
    char full[600];
    /* a bare host:port means http:// (as it always has) */
    snprintf(full, sizeof full, "%s%s", strstr(url, "://") ? "" : "http://", url);
    struct hp_url u;
    const char *uerr;
    if (hp_parse_url(full, &u, &uerr) < 0) return -1;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", u.port);
    if (getaddrinfo(u.host, ps, &hints, &ai)) return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc) {
        close(fd);
        return -1;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.0\r\nHost: %s\r\n\r\n", u.hostport);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap);
    ssize_t r;
    while (b && len + 1 < cap && (r = read(fd, b + len, cap - 1 - len)) > 0) len += (size_t)r;
    close(fd);
    if (!b) return -1;
    b[len] = 0;
    rc = -1;
    struct hp_response resp;
    char *dec = NULL;
    const char *body = NULL;
    if (hp_parse_response(b, len, &resp) == HP_RESP_DONE && resp.status == 200) {
        if (resp.chunked) {
            dec = malloc(resp.body_len + 1);
            long dl = dec ? hp_chunked_copy(resp.body, resp.body_len, dec, resp.body_len) : -1;
            if (dl >= 0) {
                dec[dl] = 0;
                body = dec;
            }
        } else {
            /* HTTP/1.0: the body may be delimited by the close, so it runs to the end of what was read */
            body = resp.body;
        }
    }
    const char *m = body ? strstr(body, "fairbid_consent_mirror_digest_info{digest=\"") : NULL;
    if (m && sscanf(m, "fairbid_consent_mirror_digest_info{digest=\"%16[0-9a-f]\",records=\"%llu\"", digest,
                    records) == 2)
        rc = 0;
    (void)dlen;
    free(dec);
    free(b);
    return rc;
}

static int cmd_digest(redisContext *c, const char *compare, long wait_ms)
{
    int64_t deadline = fb_clock_wall_ms() + wait_ms;
    for (;;) {
        uint64_t d, n;
        if (store_digest(c, &d, &n)) return 1;
        char sd[17];
        snprintf(sd, sizeof sd, "%016" PRIx64, d);
        if (!compare) {
            printf("{\"records\":%" PRIu64 ",\"digest\":\"%s\"}\n", n, sd);
            return 0;
        }
        char md[17] = "";
        unsigned long long mn = 0;
        int mrc = mirror_digest(compare, md, sizeof md, &mn);
        bool eq = mrc == 0 && !strcmp(sd, md) && mn == n;
        if (eq || fb_clock_wall_ms() >= deadline) {
            printf("{\"store\":{\"records\":%" PRIu64 ",\"digest\":\"%s\"},\"mirror\":", n, sd);
            if (mrc)
                printf("null");
            else
                printf("{\"records\":%llu,\"digest\":\"%s\"}", mn, md);
            printf(",\"equal\":%s}\n", eq ? "true" : "false");
            return eq ? 0 : 1;
        }
        usleep(20000);
    }
}

/* ---- main --------------------------------------------------------------------------------------- */

int cli_consent_main(int argc, char **argv)
{
    char url[512] = "";
    const char *compare = NULL;
    long wait_ms = 0;
    char *pos[64];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--redis") && has) {
            snprintf(url, sizeof url, "%s", argv[++i]);
        } else if (!strcmp(a, "--config") && has) {
            if (redis_from_config(argv[++i], url, sizeof url)) return 2;
        } else if (!strcmp(a, "--compare") && has) {
            compare = argv[++i];
        } else if (!strcmp(a, "--wait") && has) {
            wait_ms = strtol(argv[++i], NULL, 10);
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "fairbid consent: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (npos < 64) {
            pos[npos++] = argv[i];
        }
    }
    if (npos == 0) {
        usage(stderr);
        return 2;
    }
    if (!url[0]) {
        const char *env = getenv("FAIRBID_REDIS");
        snprintf(url, sizeof url, "%s", env && *env ? env : "redis://127.0.0.1:6379/0");
    }
    const char *cmd = pos[0];
    bool known = !strcmp(cmd, "set") || !strcmp(cmd, "get") || !strcmp(cmd, "del") || !strcmp(cmd, "load") ||
                 !strcmp(cmd, "digest");
    if (!known || (strcmp(cmd, "digest") && npos < 2) || (strcmp(cmd, "set") && npos > 2)) {
        if (!known) fprintf(stderr, "fairbid consent: unknown command \"%s\"\n", cmd);
        usage(stderr);
        return 2;
    }
    redisContext *c = connect_redis(url);
    if (!c) return 1;
    int rc;
    if (!strcmp(cmd, "set"))
        rc = cmd_set(c, pos[1], npos - 2, pos + 2);
    else if (!strcmp(cmd, "get"))
        rc = cmd_get(c, pos[1]);
    else if (!strcmp(cmd, "del"))
        rc = cmd_del(c, pos[1]);
    else if (!strcmp(cmd, "load"))
        rc = cmd_load(c, pos[1]);
    else
        rc = cmd_digest(c, compare, wait_ms);
    redisFree(c);
    return rc;
}
