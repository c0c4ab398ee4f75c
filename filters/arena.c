/* arena: bump allocator. See arena.h. */
#include "filters/arena.h"

void arena_init(struct arena *a, void *buf, size_t cap)
{
    a->base = buf;
    a->cap = cap;
    a->used = 0;
    a->high = 0;
}

void arena_reset(struct arena *a)
{
    if (a->used > a->high) a->high = a->used;
    a->used = 0;
}

void *arena_alloc(struct arena *a, size_t size, size_t align)
{
    uintptr_t start = (uintptr_t)a->base + a->used;
    size_t pad = (align - (start & (align - 1))) & (align - 1);
    if (size > a->cap - a->used || pad > a->cap - a->used - size) return NULL;
    void *p = a->base + a->used + pad;
    a->used += pad + size;
    if (a->used > a->high) a->high = a->used;
    return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size, size_t align)
{
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = arena_alloc(a, n * size, align);
    if (p) memset(p, 0, n * size);
    return p;
}

char *arena_memdup(struct arena *a, const void *p, size_t len)
{
    if (len >= SIZE_MAX) return NULL; /* len + 1 would wrap */
    char *d = arena_alloc(a, len + 1, 1);
    if (!d) return NULL;
    if (len) memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

void *arena_vec_push(struct arena *a, struct arena_vec *v, size_t elem, size_t align)
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
    memset(slot, 0, elem);
    return slot;
}
