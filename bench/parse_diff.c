/* parse_diff: a differential driver for the JSON pull parser and ortb_parse. For every JSON file named on the
 * command line it parses the file itself, every truncation of it (each prefix length up to 8 KiB, then every
 * 7th), and a fixed pseudo-random set of byte mutations (replace, insert, delete, with bytes that matter to
 * JSON), and prints one line per input: a hash of what ortb_parse made of it (return code, error code,
 * message, field and offset, the whole struct ortb_request and every arena byte it wrote: body and arena sit
 * at one fixed address, so every pointer in them compares equal between builds) and of a generic walk of the
 * same input through the json API (each key, string, integer, double, literal, skipped value, error and final
 * position; which values are read and which skipped varies with a hash of the position so json_skip is
 * exercised at every depth). Build it against two versions of fairbid_filters and diff the outputs: any line
 * that differs is a change of behaviour. Usage: parse_diff [-m MUTATIONS_PER_FILE] FILE...; prints
 * "inputs N" at the end. Not part of the service. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "filters/arena.h"
#include "filters/json.h"
#include "filters/ortb.h"

#define BODY_ADDR ((void *)0x7e0000000000ull)
#define ARENA_ADDR ((void *)0x7e1000000000ull)
#define BODY_CAP (1u << 22)
#define ARENA_CAP (1u << 22)

static uint64_t h_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t h_u64(uint64_t h, uint64_t v)
{
    return h_bytes(h, &v, sizeof v);
}

/* The program's own image (GNU ld's symbols): a word pointing there is a static string (an error text, a
 * field path, the "" of an empty value), whose address differs between builds; its text is hashed instead. */
extern const char __executable_start[], _end[];

/* Memory holding structs (8-aligned): word by word, static-string pointers by their text. */
static uint64_t h_words(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (w >= (uintptr_t)__executable_start && w < (uintptr_t)_end) {
            const char *s = (const char *)(uintptr_t)w;
            h = h_bytes(h_u64(h, 0x57a71cull), s, strnlen(s, 256));
        } else {
            h = h_u64(h, w);
        }
    }
    return h_bytes(h, b + i, n - i);
}

static uint64_t h_str(uint64_t h, const char *s)
{
    return s ? h_bytes(h, s, strlen(s) + 1) : h_u64(h, 0xdeadull);
}

static uint64_t walk(struct json *j, uint64_t h, unsigned salt);

static uint64_t walk_value(struct json *j, uint64_t h, unsigned salt)
{
    unsigned pos = (unsigned)(j->p - j->start);
    unsigned r = (pos * 2654435761u) ^ salt;
    if ((r >> 7) % 5 == 0) { /* skip this value whole */
        int rc = json_skip(j);
        return h_u64(h_u64(h, 0x5c1b), (uint64_t)rc ^ ((uint64_t)(j->p - j->start) << 8));
    }
    return walk(j, h, salt);
}

static uint64_t walk(struct json *j, uint64_t h, unsigned salt)
{
    enum json_type t = json_peek(j);
    h = h_u64(h, (uint64_t)t);
    struct sv s;
    int64_t i;
    double d;
    bool b;
    int rc = 0;
    switch (t) {
    case JSON_OBJECT:
        if (!json_obj_begin(j)) break;
        while (json_obj_next(j, ((salt >> 3) & 3) ? &s : NULL)) {
            if ((salt >> 3) & 3) h = h_bytes(h_u64(h, s.n), s.p, s.n);
            h = walk_value(j, h, salt * 31 + 7);
        }
        break;
    case JSON_ARRAY:
        if (!json_arr_begin(j)) break;
        while (json_arr_next(j)) h = walk_value(j, h, salt * 17 + 3);
        break;
    case JSON_STRING:
        rc = json_string(j, (salt & 1) ? &s : NULL);
        if (!rc && (salt & 1)) h = h_bytes(h_u64(h, s.n), s.p, s.n);
        break;
    case JSON_NUMBER:
        if (salt & 2) {
            rc = json_int(j, &i);
            if (!rc) h = h_u64(h, (uint64_t)i);
        } else {
            rc = json_double(j, &d);
            if (!rc) h = h_bytes(h, &d, sizeof d);
        }
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        rc = json_bool(j, &b);
        if (!rc) h = h_u64(h, b);
        break;
    case JSON_NULL:
        rc = json_null(j);
        break;
    default:
        break;
    }
    return h_u64(h, (uint64_t)rc ^ ((uint64_t)(j->p - j->start) << 8));
}

static char *g_body, *g_arena;
static unsigned long g_inputs;

static void run_one(size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    struct arena a;
    arena_init(&a, g_arena, ARENA_CAP);
    static struct ortb_request req;
    memset(&req, 0, sizeof req);
    struct ortb_error err;
    memset(&err, 0, sizeof err);
    int rc = ortb_parse(g_body, len, &a, &req, &err);
    h = h_u64(h, (uint64_t)rc);
    h = h_u64(h, (uint64_t)err.code);
    h = h_str(h, err.msg);
    h = h_str(h, err.field);
    h = h_u64(h, err.offset);
    h = h_words(h, &req, sizeof req);
    h = h_u64(h, a.used);
    h = h_words(h, g_arena, a.used);
    memset(g_arena, 0, a.used);

    for (unsigned salt = 0; salt < 3; salt++) {
        struct json j;
        arena_init(&a, g_arena, ARENA_CAP);
        json_init(&j, g_body, len, salt == 2 ? NULL : &a);
        uint64_t w = walk(&j, 0x84222325ull + salt, salt * 0x9e3779b9u + 5);
        if (!j.err) json_finish(&j);
        w = h_u64(w, (uint64_t)j.err);
        w = h_str(w, j.err_msg);
        w = h_u64(w, j.err_off);
        w = h_u64(w, (uint64_t)j.depth);
        h = h_u64(h, w);
        memset(g_arena, 0, a.used);
    }
    printf("%016llx\n", (unsigned long long)h);
    g_inputs++;
}

static uint64_t g_rng = 0x123456789abcdefull;
static uint64_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static const char interesting[] =
    "\"\\{}[],: \n\t\r0123456789-+.eEtfnul/bu\x01\x1f\x7f\x80\xc3\xa9\xed\xf4\xff";

int main(int argc, char **argv)
{
    int muts = 300, ai = 1;
    if (argc > 2 && strcmp(argv[1], "-m") == 0) {
        muts = atoi(argv[2]);
        ai = 3;
    }
    g_body = mmap(BODY_ADDR, BODY_CAP, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    g_arena = mmap(ARENA_ADDR, ARENA_CAP, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (g_body != BODY_ADDR || g_arena != ARENA_ADDR) {
        fprintf(stderr, "parse_diff: cannot map the fixed buffers\n");
        return 2;
    }
    static char orig[BODY_CAP / 2];
    for (; ai < argc; ai++) {
        FILE *f = fopen(argv[ai], "rb");
        if (!f) {
            perror(argv[ai]);
            return 2;
        }
        size_t n = fread(orig, 1, sizeof orig, f);
        fclose(f);
        printf("# %s\n", argv[ai]);
        /* the input always ends at the end of the mapping's used part: bytes after it are never read */
        for (size_t len = 0; len <= n; len += len < 8192 ? 1 : 7) {
            memcpy(g_body, orig, len);
            run_one(len);
        }
        for (int m = 0; m < muts && n > 0; m++) {
            size_t len = n;
            memcpy(g_body, orig, n);
            int k = 1 + (int)(rnd() % 3);
            for (int e = 0; e < k; e++) {
                size_t at = (size_t)(rnd() % len);
                unsigned op = (unsigned)(rnd() % 4);
                char c = (rnd() & 1) ? interesting[rnd() % (sizeof interesting - 1)] : (char)rnd();
                if (op <= 1) {
                    g_body[at] = c;
                } else if (op == 2 && len + 1 < sizeof orig) {
                    memmove(g_body + at + 1, g_body + at, len - at);
                    g_body[at] = c;
                    len++;
                } else if (len > 1) {
                    memmove(g_body + at, g_body + at + 1, len - at - 1);
                    len--;
                }
            }
            run_one(len);
            if (rnd() % 4 == 0) run_one((size_t)(rnd() % (len + 1))); /* and a truncation of it */
        }
    }
    printf("inputs %lu\n", g_inputs);
    return 0;
}
