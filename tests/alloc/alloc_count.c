/* alloc_count: an LD_PRELOAD malloc interposer that counts allocations per thread while a switch is on, for
 * the allocation-budget test (tests/integration/test_alloc_budget.sh).
 *
 * fairbid's plain build links jemalloc, whose unversioned malloc/calloc/realloc/free/... are what the binary,
 * libevent, zlib and hiredis call. A preloaded object comes before every DT_NEEDED library in symbol lookup,
 * so these definitions take all of those calls, count them and forward to the next definition
 * (dlsym(RTLD_NEXT): jemalloc in the plain build, glibc otherwise). The allocator itself is unchanged.
 *
 * FAIRBID_ALLOC_COUNT_FILE names a file this object creates and maps shared; the test maps it too, turns
 * counting on and off with the `enabled` word and reads each thread's counters. Layout (little endian):
 *   offset 0   u32 magic 0x41434e54 ("ACNT", written last, once the rest is set up)
 *   offset 4   u32 enabled (0/1, written by the test)
 *   offset 8   u32 slots in use          offset 12  u32 slot capacity (ALLOC_SLOTS)
 *   offset 64  slots of 128 bytes: i32 tid at 0, char name[16] at 8 (the thread's name when it got the
 *              slot), u64 counters at 32: malloc, calloc, realloc, aligned (posix_memalign, aligned_alloc,
 *              memalign, valloc, pvalloc), free
 * A thread gets a slot at its first call while counting is on; only that thread writes its slot. Nothing here
 * allocates: the slots live in the mapping, the thread index is initial-exec TLS. */
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOC_MAGIC 0x41434e54u
#define ALLOC_SLOTS 256

enum { K_MALLOC, K_CALLOC, K_REALLOC, K_ALIGNED, K_FREE, K__COUNT };

struct ac_slot {
    _Atomic int32_t tid;
    uint32_t pad_;
    char name[16];
    uint64_t pad2_;
    _Atomic uint64_t n[K__COUNT];
    char pad3_[128 - 32 - K__COUNT * 8];
};

struct ac_shm {
    _Atomic uint32_t magic;
    _Atomic uint32_t enabled;
    _Atomic uint32_t used;
    uint32_t cap;
    char pad_[48];
    struct ac_slot slot[ALLOC_SLOTS];
};

_Static_assert(sizeof(struct ac_slot) == 128, "slot layout is part of the file format");
_Static_assert(offsetof(struct ac_shm, slot) == 64, "header layout is part of the file format");

static struct ac_shm *shm;
static __thread int my_slot __attribute__((tls_model("initial-exec"))) = -1;

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

/* dlsym may allocate (glibc's dlerror state) before the real functions are known: serve that from here */
static _Alignas(64) char boot[16384];
static size_t boot_used;
static int resolving;

static bool in_boot(const void *p)
{
    return (const char *)p >= boot && (const char *)p < boot + sizeof boot;
}

static void *boot_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (boot_used + n > sizeof boot) return NULL;
    void *p = boot + boot_used;
    boot_used += n;
    return p;
}

static void resolve(void)
{
    if (real_malloc || resolving) return;
    resolving = 1;
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
}

static void count(int kind)
{
    struct ac_shm *s = shm;
    if (!s || !atomic_load_explicit(&s->enabled, memory_order_relaxed)) return;
    int i = my_slot;
    if (i < 0) {
        uint32_t k = atomic_fetch_add(&s->used, 1);
        if (k >= ALLOC_SLOTS) {
            /* out of slots: count into the last one (the test reports it; it never expects this) */
            k = ALLOC_SLOTS - 1;
        } else {
            prctl(PR_GET_NAME, s->slot[k].name, 0, 0, 0);
            atomic_store(&s->slot[k].tid, (int32_t)syscall(SYS_gettid));
        }
        my_slot = i = (int)k;
    }
    atomic_fetch_add_explicit(&s->slot[i].n[kind], 1, memory_order_relaxed);
}

__attribute__((constructor)) static void ac_init(void)
{
    resolve();
    const char *path = getenv("FAIRBID_ALLOC_COUNT_FILE");
    if (!path || !*path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (ftruncate(fd, (off_t)sizeof(struct ac_shm)) != 0) {
        close(fd);
        return;
    }
    void *p = mmap(NULL, sizeof(struct ac_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return;
    struct ac_shm *s = p;
    s->cap = ALLOC_SLOTS;
    atomic_store(&s->magic, ALLOC_MAGIC);
    shm = s;
}

void *malloc(size_t n)
{
    if (!real_malloc) {
        resolve();
        if (!real_malloc) return boot_alloc(n);
    }
    count(K_MALLOC);
    return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (!real_calloc) {
        resolve();
        if (!real_calloc) return boot_alloc(n * size); /* boot is zero (static storage) */
    }
    count(K_CALLOC);
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (!real_realloc) resolve();
    if (in_boot(p)) {
        size_t have = (size_t)(boot + sizeof boot - (char *)p), m = n < have ? n : have;
        void *q = malloc(n);
        if (q) memcpy(q, p, m);
        return q;
    }
    count(K_REALLOC);
    return real_realloc(p, n);
}

void free(void *p)
{
    if (!p || in_boot(p)) return;
    if (!real_free) resolve();
    count(K_FREE);
    real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (!real_posix_memalign) resolve();
    count(K_ALIGNED);
    return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    if (!real_aligned_alloc) resolve();
    count(K_ALIGNED);
    return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
    if (!real_memalign) resolve();
    count(K_ALIGNED);
    return real_memalign(align, n);
}

void *valloc(size_t n)
{
    if (!real_valloc) resolve();
    count(K_ALIGNED);
    return real_valloc(n);
}

void *pvalloc(size_t n)
{
    if (!real_pvalloc) resolve();
    count(K_ALIGNED);
    return real_pvalloc(n);
}
