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
