/* Unit tests for filters/arena: bump allocation, alignment, exhaustion at every size, the hard cap of
 * arena_vec, and that nothing is ever handed out past the caller's buffer (the buffer ends at a guard page).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filters/arena.h"
#include "tests/unit/testutil.h"

/* ---- alloc ---- */

Test(arena, alignment_table)
{
    static _Alignas(64) char mem[4096];
    static const struct {
        size_t first, size, align;
    } cases[] = {
        {1, 8, 8}, {3, 4, 4}, {1, 16, 16}, {5, 1, 1}, {7, 2, 2}, {1, 1, 64}, {0, 0, 8}, {9, 24, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct arena a;
        arena_init(&a, mem, sizeof mem);
        void *p0 = arena_alloc(&a, cases[i].first, 1);
        cr_assert_not_null(p0, "case %zu: first alloc", i);
        char *p = arena_alloc(&a, cases[i].size, cases[i].align);
        cr_assert_not_null(p, "case %zu: aligned alloc", i);
        cr_expect_eq((uintptr_t)p % cases[i].align, 0, "case %zu: %p not aligned to %zu", i, (void *)p,
                     cases[i].align);
        cr_expect(p >= mem + cases[i].first, "case %zu: overlaps the first allocation", i);
        cr_expect(a.used <= a.cap, "case %zu: used past cap", i);
    }
}

Test(arena, exhaustion_at_every_size)
{
    /* For each capacity, allocate 1..n byte blocks with mixed alignment until NULL; every block handed out
     * must lie inside [base, base+cap), which the guard page enforces. */
    struct tu_guard g;
    tu_guard_init(&g, 512);
    for (size_t cap = 0; cap <= 512; cap++) {
        struct arena a;
        char *base = tu_guard_tail(&g, cap);
        arena_init(&a, base, cap);
        size_t k = 0;
        for (;; k++) {
            size_t sz = k % 13, al = (size_t)1 << (k % 4);
            char *p = arena_alloc(&a, sz, al);
            if (!p) break;
            cr_assert(p >= base && p + sz <= base + cap, "cap %zu alloc %zu: [%p,+%zu) outside [%p,+%zu)",
                      cap, k, (void *)p, sz, (void *)base, cap);
            memset(p, 0xAB, sz); /* writes past the end would hit the guard page */
            cr_assert(a.used <= cap, "cap %zu: used %zu past cap", cap, a.used);
            if (k > 10000) break;
        }
        cr_expect(a.high <= cap, "cap %zu: high %zu", cap, a.high);
    }
    tu_guard_fini(&g);
}

Test(arena, huge_requests_do_not_wrap)
{
    static _Alignas(16) char mem[256];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    cr_expect_null(arena_alloc(&a, SIZE_MAX, 1), "SIZE_MAX");
    cr_expect_null(arena_alloc(&a, SIZE_MAX - 7, 8), "SIZE_MAX-7 aligned");
    cr_expect_null(arena_alloc(&a, sizeof mem + 1, 1), "cap+1");
    cr_expect_null(arena_calloc(&a, SIZE_MAX / 2, 4, 4), "calloc n*size overflow");
    cr_expect_null(arena_calloc(&a, 2, SIZE_MAX / 2 + 1, 1), "calloc n*size overflow (2)");
    cr_expect_eq(a.used, 0, "failed allocations consume nothing (used %zu)", a.used);
    cr_expect_not_null(arena_alloc(&a, sizeof mem, 1), "exactly cap");
    cr_expect_null(arena_alloc(&a, 1, 1), "full");
    cr_expect_not_null(arena_alloc(&a, 0, 1), "zero bytes from a full arena is fine");
}

/* arena.h promises NULL when the arena cannot hold the copy, also for len = SIZE_MAX, where `len + 1` wraps
 * to 0 (regression: a zero-byte block was handed out and SIZE_MAX bytes copied into it; fixed in b668167). */
Test(arena, memdup_len_size_max_is_refused)
{
    static _Alignas(16) char mem[256];
    static const char src[] = "x";
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    cr_expect_null(arena_memdup(&a, src, SIZE_MAX), "memdup of SIZE_MAX bytes must fail, not wrap");
}

Test(arena, padding_larger_than_remaining)
{
    static _Alignas(64) char mem[64];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    cr_assert_not_null(arena_alloc(&a, 1, 1));
    /* 63 bytes remain, but alignment 64 needs 63 bytes of padding plus the byte itself */
    cr_expect_null(arena_alloc(&a, 1, 64));
    cr_expect_eq(a.used, 1);
    cr_expect_not_null(arena_alloc(&a, 63, 1));
}

Test(arena, calloc_zeroes_and_memdup_terminates)
{
    static _Alignas(16) char mem[256];
    memset(mem, 0x5A, sizeof mem);
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    uint32_t *z = arena_calloc(&a, 10, sizeof *z, _Alignof(uint32_t));
    cr_assert_not_null(z);
    for (int i = 0; i < 10; i++) cr_expect_eq(z[i], 0, "calloc slot %d", i);
    char *d = arena_memdup(&a, "hello", 5);
    cr_assert_not_null(d);
    cr_expect_str_eq(d, "hello");
    char *e = arena_memdup(&a, NULL, 0);
    cr_assert_not_null(e);
    cr_expect_eq(e[0], '\0', "empty memdup is an empty C string");
    struct pair {
        int x;
        double y;
    } *s = ARENA_NEW(&a, struct pair);
    cr_assert_not_null(s);
    cr_expect_eq(s->x, 0);
    cr_expect_eq((uintptr_t)s % _Alignof(double), 0);
}

Test(arena, reset_keeps_high_water_mark)
{
    static _Alignas(16) char mem[128];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    cr_assert_not_null(arena_alloc(&a, 100, 1));
    arena_reset(&a);
    cr_expect_eq(a.used, 0);
    cr_expect_eq(a.high, 100);
    cr_assert_not_null(arena_alloc(&a, 10, 1));
    cr_expect_eq(a.high, 100, "a smaller second round keeps the mark");
    char *p = arena_alloc(&a, 118, 1);
    cr_expect_not_null(p, "after reset the whole buffer is available again");
    cr_expect_eq(a.high, 128);
}

/* ---- arena_vec ---- */

Test(arena, vec_push_keeps_contents_while_growing)
{
    static _Alignas(16) char mem[1 << 16];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    struct arena_vec v = {.max = 0};
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t *slot = arena_vec_push(&a, &v, sizeof *slot, _Alignof(uint32_t));
        cr_assert_not_null(slot, "push %u", i);
        cr_expect_eq(*slot, 0, "push %u: slot is zeroed", i);
        *slot = i * 7;
    }
    cr_expect_eq(v.n, 1000);
    for (uint32_t i = 0; i < 1000; i++) cr_expect_eq(((uint32_t *)v.items)[i], i * 7, "item %u", i);
    /* abandoned copies stay within "as much again as the final array" plus the first 4-slot block */
    cr_expect(a.used <= 2 * v.cap * sizeof(uint32_t) + 16, "used %zu for cap %u", a.used, v.cap);
}

Test(arena, vec_hard_cap_table)
{
    static _Alignas(16) char mem[1 << 16];
    static const uint32_t maxes[] = {1, 2, 3, 4, 5, 7, 8, 9, 64, 65, 1024};
    for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        struct arena a;
        arena_init(&a, mem, sizeof mem);
        struct arena_vec v = {.max = maxes[m]};
        for (uint32_t i = 0; i < maxes[m]; i++)
            cr_assert_not_null(arena_vec_push(&a, &v, 8, 8), "max %u: push %u", maxes[m], i);
        cr_expect_null(arena_vec_push(&a, &v, 8, 8), "max %u: push past the cap", maxes[m]);
        cr_expect_eq(v.n, maxes[m], "max %u: n", maxes[m]);
        cr_expect(v.cap <= maxes[m], "max %u: capacity %u overshoots the cap", maxes[m], v.cap);
    }
}

Test(arena, vec_exhaustion_at_every_size)
{
    struct tu_guard g;
    tu_guard_init(&g, 1024);
    for (size_t cap = 0; cap <= 1024; cap += 1) {
        struct arena a;
        char *base = tu_guard_tail(&g, cap);
        arena_init(&a, base, cap);
        struct arena_vec v = {.max = 100};
        uint32_t pushed = 0;
        for (;;) {
            uint64_t *slot = arena_vec_push(&a, &v, sizeof *slot, 1); /* unaligned on purpose */
            if (!slot) break;
            cr_assert((char *)slot >= base && (char *)(slot + 1) <= base + cap, "cap %zu: slot outside", cap);
            memcpy(slot, &(uint64_t){pushed}, sizeof *slot);
            pushed++;
        }
        cr_expect_eq(v.n, pushed, "cap %zu: n counts only successful pushes", cap);
        for (uint32_t i = 0; i < pushed; i++) {
            uint64_t x;
            memcpy(&x, (char *)v.items + i * sizeof x, sizeof x);
            cr_expect_eq(x, i, "cap %zu: item %u survived the copies", cap, i);
        }
    }
    tu_guard_fini(&g);
}
