/* traffic: request pool construction; see traffic.h. */
#include "loadgen/traffic.h"
#include "bidder/common/file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The group a fairness quota would count, read from user.gender without a full parse: files are context here,
 * and a body fairbid rejects still has to be sent. */
static uint8_t group_of(const char *body, size_t n)
{
    const char *p = memmem(body, n, "\"gender\"", 8);
    if (!p) return GEN_GROUP_UNKNOWN;
    p += 8;
    const char *end = body + n;
    while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p + 2 < end && *p == '"') {
        switch (p[1]) {
        case 'M':
            return GEN_GROUP_MALE;
        case 'F':
            return GEN_GROUP_FEMALE;
        case 'O':
            return GEN_GROUP_OTHER;
        default:
            break;
        }
    }
    return GEN_GROUP_UNKNOWN;
}

static int gzip_body(const char *in, size_t n, char **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    size_t cap = deflateBound(&z, n) + 32;
    char *o = malloc(cap);
    if (!o) {
        deflateEnd(&z);
        return -1;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)o;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *outlen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(o);
        return -1;
    }
    *out = o;
    return 0;
}

static int add_item(struct traffic *t, const char *body, size_t n, uint8_t group, char *err, size_t errcap)
{
    if (n > TRAFFIC_MAX_BODY) {
        snprintf(err, errcap, "request body of %zu bytes exceeds the cap of %u", n, TRAFFIC_MAX_BODY);
        return -1;
    }
    if (t->n >= TRAFFIC_MAX_ITEMS || t->bytes + n > TRAFFIC_MAX_BYTES) {
        snprintf(err, errcap, "request pool exceeds its cap (%u requests, %llu bytes)", TRAFFIC_MAX_ITEMS,
                 (unsigned long long)TRAFFIC_MAX_BYTES);
        return -1;
    }
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 256;
        struct traffic_item *ni = realloc(t->items, nc * sizeof *ni);
        if (!ni) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
        t->items = ni;
        t->cap = nc;
    }
    char *z = NULL;
    size_t zn = n;
    const char *send = body;
    if (t->gzip) {
        if (gzip_body(body, n, &z, &zn) < 0) {
            snprintf(err, errcap, "gzip failed");
            return -1;
        }
        send = z;
    }
    char head[96];
    int hl = snprintf(head, sizeof head, "Content-Length: %zu\r\n%s\r\n", zn,
                      t->gzip ? "Content-Encoding: gzip\r\n" : "");
    char *tail = malloc((size_t)hl + zn);
    if (!tail) {
        free(z);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    memcpy(tail, head, (size_t)hl);
    memcpy(tail + hl, send, zn);
    free(z);
    t->items[t->n++] = (struct traffic_item){tail, (uint32_t)(hl + zn), (uint32_t)zn, group};
    t->bytes += zn;
    t->raw_bytes += n;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int traffic_load_dir(struct traffic *t, const char *dir, char *err, size_t errcap)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errcap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    /* Sorted by name so a run is reproducible whatever order readdir gives. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (rc == 0 && n == 0) {
        snprintf(err, errcap, "%s: no *.json files", dir);
        rc = -1;
    }
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096], *body;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (fb_file_read(path, TRAFFIC_MAX_BODY, &body, &len, err, errcap) < 0) {
            rc = -1;
            break;
        }
        if (add_item(t, body, len, group_of(body, len), err, errcap) < 0) rc = -1;
        free(body);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int traffic_load_lines(struct traffic *t, const char *file, char *err, size_t errcap)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: %s", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    size_t before = t->n;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (len == 0) continue;
        if (add_item(t, line, (size_t)len, group_of(line, (size_t)len), err, errcap) < 0) {
            size_t l = strlen(err);
            snprintf(err + l, errcap - l, " (%s line %lu)", file, lineno);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    if (rc == 0 && t->n == before) {
        snprintf(err, errcap, "%s: no requests", file);
        rc = -1;
    }
    return rc;
}

int traffic_generate(struct traffic *t, const struct gen_opts *o, size_t n, char *err, size_t errcap)
{
    static char body[65536]; /* start-up only, one thread */
    for (size_t i = 0; i < n; i++) {
        struct buf b;
        struct gen_meta m;
        buf_init(&b, body, sizeof body);
        gen_request(o, i, &b, &m);
        if (b.overflow) {
            snprintf(err, errcap, "generated request %zu overflows %zu bytes (too many imps?)", i,
                     sizeof body);
            return -1;
        }
        if (add_item(t, body, b.len, m.group, err, errcap) < 0) return -1;
    }
    return 0;
}

void traffic_fini(struct traffic *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->items[i].tail);
    free(t->items);
    memset(t, 0, sizeof *t);
}
