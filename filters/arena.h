/* arena: bump allocation over memory the caller owns.
 * One arena per request (or per config snapshot); everything parsed from a request lives in it and dies with
 * it, so the hot path makes no malloc and frees nothing field by field. */
#ifndef FAIRBID_FILTERS_ARENA_H
#define FAIRBID_FILTERS_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct arena {
    char *base;  /* borrowed: the caller's buffer, which outlives the arena */
    size_t cap;  /* bytes in base */
    size_t used; /* bytes handed out, including alignment padding */
    size_t high; /* high-water mark since init, for sizing and metrics */
};

/* Takes no ownership of buf; the arena is usable until buf is freed. */
void arena_init(struct arena *a, void *buf, size_t cap);
/* Forgets every allocation; keeps the high-water mark. O(1). */
void arena_reset(struct arena *a);
/* Returns size bytes aligned to align (a power of two), or NULL when the arena is exhausted. Never zeroed.
 * Inline (below): the parsers allocate a few dozen times per request, mostly with constant sizes. */
static inline void *arena_alloc(struct arena *a, size_t size, size_t align);
/* Like arena_alloc, zeroed. */
void *arena_calloc(struct arena *a, size_t n, size_t size, size_t align);
/* Copies len bytes and appends a NUL (not counted). NULL when exhausted. */
char *arena_memdup(struct arena *a, const void *p, size_t len);

#define ARENA_NEW(a, type) ((type *)arena_calloc((a), 1, sizeof(type), _Alignof(type)))
#define ARENA_ARRAY(a, type, n) ((type *)arena_alloc((a), sizeof(type) * (n), _Alignof(type)))

/* A growable array inside an arena: doubles by copying; the old copy is abandoned in the arena (at most as
 * much again as the final array). `max` is the hard cap every growable thing has. */
struct arena_vec {
    void *items;
    uint32_t n, cap, max;
};
/* Returns a pointer to a new zeroed slot, or NULL when the arena is exhausted or n would pass max. Inline, so
 * the slot's size is a constant where the caller's is. */
static inline void *arena_vec_push(struct arena *a, struct arena_vec *v, size_t elem, size_t align);

/* memset(p, 0, n), for the slots and structs the request parsers zero (n a constant where it is inlined). gcc
 * inlines a constant-size memset of more than about a hundred bytes as `rep stos`, which executes once per
 * eight bytes (36 times for an imp slot, 109 for a whole request); sixteen-byte stores are half as many. The
 * bytes end up zero either way. */
static inline __attribute__((always_inline)) void arena_zero(void *p, size_t n)
{
#ifdef __SSE2__
    char *q = (char *)p;
    const __m128i z = _mm_setzero_si128();
    size_t i = 0;
#pragma GCC unroll 64
    for (; i + 16 <= n; i += 16) _mm_storeu_si128((__m128i *)(void *)(q + i), z);
    if (i < n) memset(q + i, 0, n - i);
#else
    memset(p, 0, n);
#endif
}

/* ---- inline definitions ---- */

static inline void *arena_alloc(struct arena *a, size_t size, size_t align)
{
    uintptr_t start = (uintptr_t)a->base + a->used;
    size_t pad = (align - (start & (align - 1))) & (align - 1);
    if (size > a->cap - a->used || pad > a->cap - a->used - size) return NULL;
    void *p = a->base + a->used + pad;
    a->used += pad + size;
    if (a->used > a->high) a->high = a->used;
    return p;
}

static inline void *arena_vec_push(struct arena *a, struct arena_vec *v, size_t elem, size_t align)
{
    if (v->max && v->n >= v->max) return NULL;
    if (v->n == v->cap) {
        uint32_t ncap = v->cap ? v->cap * 2 : 4;
        if (v->max && ncap > v->max) ncap = v->max;
        void *items = arena_alloc(a, elem * ncap, align);
        if (!items) return NULL;
        if (v->n) memcpy(items, v->items, elem * v->n);
        v->items = items;
        v->cap = ncap;
    }
    char *slot = (char *)v->items + elem * v->n++;
    arena_zero(slot, elem);
    return slot;
}

#endif
