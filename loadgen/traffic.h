/* traffic: the pool of request bodies a run cycles through, from JSON files, JSON lines or the built-in
 * generator, each stored with the tail of its HTTP head (Content-Length, optional Content-Encoding: gzip, the
 * blank line) so sending one is a single writev of the per-target head and this tail. Built once at start-up;
 * read-only and shared by every thread afterwards. */
#ifndef FAIRBID_LOADGEN_TRAFFIC_H
#define FAIRBID_LOADGEN_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "loadgen/gen.h"

#define TRAFFIC_MAX_BODY (1u << 20)    /* one request */
#define TRAFFIC_MAX_BYTES (1ull << 30) /* the whole pool */
#define TRAFFIC_MAX_ITEMS 10000000u

struct traffic_item {
    char *tail; /* owned by the pool */
    uint32_t tail_len;
    uint32_t body_len; /* as sent (compressed when gzip) */
    uint8_t group;     /* enum gen_group: from the generator, or read from user.gender in a file */
};

struct traffic {
    struct traffic_item *items;
    size_t n, cap;
    uint64_t bytes;     /* bodies as sent */
    uint64_t raw_bytes; /* bodies before gzip */
    bool gzip;
};

/* Each loader appends to t (zero-initialise t and set t->gzip first). Returns 0, or -1 with a message naming
 * the file (and line) in err. */
int traffic_load_dir(struct traffic *t, const char *dir, char *err, size_t errcap);
int traffic_load_lines(struct traffic *t, const char *file, char *err, size_t errcap);
int traffic_generate(struct traffic *t, const struct gen_opts *o, size_t n, char *err, size_t errcap);
void traffic_fini(struct traffic *t);

#endif
