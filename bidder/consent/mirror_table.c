/* mirror_table: linear-probing table with one writer and wait-free readers. See mirror_table.h.
 *
 * Why this shape: at 10 M records a copy-on-write snapshot per update is out of the question and a chained
 * RCU hash (rculfhash) costs a node of ~48 bytes plus the bucket array per record, over the 48 B budget.
 * A slot here is 20 bytes (16-byte hash + 32-bit word), so at load 0.6..0.8 a record costs 25..33 bytes.
 * Concurrency without a seqlock: a slot's key is written once, before its word is published with a release
 * store, and never changes for the table's lifetime (a deleted record keeps its key as a tombstone and is
 * revived in place if the key comes back). A reader loads the word with acquire, stops at an empty slot, and
 * reads the key only after seeing the slot in use, so it never sees a torn key; the flags are one atomic
 * word, so it never sees torn flags. Tombstones are only dropped by a rebuild (a new table, published by
 * RCU). */
#include "bidder/consent/mirror_table.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "filters/classes.h"

#define ST_SHIFT 30
#define ST_EMPTY 0u
#define ST_LIVE 1u
#define ST_DEAD 2u
#define EPOCH_BIT (1u << 29)
#define FLAGS_BITS (MIRROR_F_MASK | MIRROR_F_OPTOUT | MIRROR_F_MINOR)

/* load factors: grow past MAX, size new tables for TARGET */
#define LOAD_MAX_NUM 4
#define LOAD_MAX_DEN 5
/* LOAD_TARGET 0.6: mirror_table_cap_for sizes a new table for records * 5 / 3 slots */
#define MIN_CAP 1024u

struct slot {
    uint32_t k[4];
    _Atomic uint32_t w;
};
_Static_assert(sizeof(struct slot) == 20, "a slot is 20 bytes");

struct mirror_table {
    struct slot *s;
    size_t cap;
    size_t map_bytes;
    size_t used; /* live + dead (writer only) */
    _Atomic size_t live;
    _Atomic uint64_t digest;
};

struct mirror_key mirror_key_of(const char *user, size_t len)
{
    XXH128_hash_t h = XXH3_128bits(user, len);
    return (struct mirror_key){h.low64, h.high64};
}

uint32_t mirror_flags_pack(const struct consent_stored *rec)
{
    return (rec->sensitive_mask & MIRROR_F_MASK) | (rec->optout ? MIRROR_F_OPTOUT : 0) |
           (rec->minor ? MIRROR_F_MINOR : 0);
}

void mirror_flags_unpack(uint32_t flags, struct consent_stored *rec)
{
    rec->optout = (flags & MIRROR_F_OPTOUT) != 0;
    rec->minor = (flags & MIRROR_F_MINOR) != 0;
    rec->sensitive_mask = flags & MIRROR_F_MASK;
}

uint32_t mirror_sensitive_parse(const char *s, size_t n, int *unknown)
{
    uint32_t mask = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ',') j++;
        size_t a = i, b = j;
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        if (b > a) {
            int c = class_by_name(s + a, (unsigned long)(b - a));
            if (c >= 0 && c < 27)
                mask |= CLASS_BIT(c);
            else if (unknown)
                (*unknown)++;
        }
        i = j + 1;
    }
    return mask;
}

static bool field_is(const char *f, size_t n, const char *name)
{
    size_t m = strlen(name);
    return n == m && memcmp(f, name, m) == 0;
}

/* `OptOut`, ` optout`, `MINOR\t`: a writer meant a known field and spelled it otherwise. Ignoring it could
 * lose an opt-out, so the record restricts instead. */
static bool field_near(const char *f, size_t n, const char *name)
{
    while (n && (*f == ' ' || *f == '\t')) f++, n--;
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t')) n--;
    size_t m = strlen(name);
    if (n != m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = f[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != name[i]) return false;
    }
    return true;
}

void mirror_record_init(struct mirror_record *r)
{
    *r = (struct mirror_record){0};
}

void mirror_record_bad(struct mirror_record *r, const char *why)
{
    if (!r->why) r->why = why;
}

/* "0" → 0, "1" → 1, anything else is not understood */
static void bit_field(struct mirror_record *r, const char *v, size_t n, uint32_t bit, const char *why)
{
    if (n == 1 && v[0] == '1')
        r->flags |= bit;
    else if (!(n == 1 && v[0] == '0'))
        mirror_record_bad(r, why);
}

void mirror_record_field(struct mirror_record *r, const char *f, size_t fl, const char *v, size_t vl)
{
    if (++r->fields > MIRROR_RECORD_MAX_FIELDS) mirror_record_bad(r, "more fields than a record may have");
    if (!f || !v) {
        mirror_record_bad(r, "a field or value that is not a string");
        return;
    }
    if (field_is(f, fl, "optout"))
        bit_field(r, v, vl, MIRROR_F_OPTOUT, "optout is neither \"0\" nor \"1\"");
    else if (field_is(f, fl, "minor"))
        bit_field(r, v, vl, MIRROR_F_MINOR, "minor is neither \"0\" nor \"1\"");
    else if (field_is(f, fl, "sensitive"))
        r->flags |= mirror_sensitive_parse(v, vl, &r->unknown);
    else if (field_near(f, fl, "optout") || field_near(f, fl, "minor") || field_near(f, fl, "sensitive"))
        mirror_record_bad(r, "a field named like optout, minor or sensitive but not exactly");
}

uint32_t mirror_record_flags(const struct mirror_record *r)
{
    return r->why ? MIRROR_F_RESTRICT : r->flags;
}

bool mirror_record_parse_why(const char *const *kv, const size_t *lens, size_t n, uint32_t *flags,
                             int *unknown, const char **why)
{
    *flags = 0;
    if (why) *why = NULL;
    if (n == 0) return false;
    struct mirror_record r;
    mirror_record_init(&r);
    if (n & 1) mirror_record_bad(&r, "an odd number of elements (not field/value pairs)");
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *f = kv[i], *v = kv[i + 1];
        size_t fl = !f ? 0 : lens ? lens[i] : strlen(f), vl = !v ? 0 : lens ? lens[i + 1] : strlen(v);
        mirror_record_field(&r, f, fl, v, vl);
    }
    *flags = mirror_record_flags(&r);
    if (unknown) *unknown += r.unknown;
    if (why) *why = r.why;
    return true;
}

bool mirror_record_parse(const char *const *kv, const size_t *lens, size_t n, uint32_t *flags, int *unknown)
{
    return mirror_record_parse_why(kv, lens, n, flags, unknown, NULL);
}

uint64_t mirror_digest_term(struct mirror_key k, uint32_t flags)
{
    /* splitmix64 finaliser over the key and flags: a sum of such terms changes with any record */
    uint64_t x = k.lo ^ (k.hi << 23 | k.hi >> 41) ^ ((uint64_t)flags * 0x9E3779B97F4A7C15ull);
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* ---- table ---------------------------------------------------------------------------------------- */

static size_t home(const struct mirror_table *t, struct mirror_key k)
{
    /* multiply-shift range reduction: any capacity, not only powers of two, so the load stays in band */
    return (size_t)(((unsigned __int128)k.lo * t->cap) >> 64);
}

static bool key_eq(const struct slot *s, struct mirror_key k)
{
    uint64_t lo, hi;
    memcpy(&lo, &s->k[0], 8);
    memcpy(&hi, &s->k[2], 8);
    return lo == k.lo && hi == k.hi;
}

#define HUGE_PAGE ((size_t)2 << 20)

static void *map_huge(size_t bytes)
{
    /* Over-map by one huge page and trim, so the table starts on a 2 MiB boundary and THP can back all of it
     * (kernels since 6.7 align large anonymous mappings themselves; older ones leave the head and tail in
     * 4 KiB pages). Advised before the first touch, so faults allocate huge pages directly. Best effort: with
     * THP off the table works the same in 4 KiB pages, with a TLB miss on most cold probes. */
    char *m = mmap(NULL, bytes + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    char *p = (char *)(((uintptr_t)m + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (p > m) munmap(m, (size_t)(p - m));
    if (m + HUGE_PAGE > p) munmap(p + bytes, (size_t)(m + HUGE_PAGE - p));
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

size_t mirror_table_cap_for(size_t records)
{
    if (records > MIRROR_TABLE_MAX_RECORDS) return 0;
    /* records / LOAD_TARGET in integers: records <= 1e9, so nothing here can overflow */
    size_t cap = records + records * 2 / 3 + 1;
    return cap < MIN_CAP ? MIN_CAP : cap;
}

struct mirror_table *mirror_table_new(size_t records)
{
    size_t cap = mirror_table_cap_for(records), bytes;
    if (!cap || __builtin_mul_overflow(cap, sizeof(struct slot), &bytes) ||
        __builtin_add_overflow(bytes, HUGE_PAGE - 1, &bytes))
        return NULL;
    bytes = bytes / HUGE_PAGE * HUGE_PAGE;
    void *m = map_huge(bytes);
    if (!m) return NULL;
    static const struct mirror_table zero;
    struct mirror_table *t =
        mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED) {
        munmap(m, bytes);
        return NULL;
    }
    *t = zero;
    t->s = m;
    t->cap = cap;
    t->map_bytes = bytes;
    return t;
}

void mirror_table_free(struct mirror_table *t)
{
    if (!t) return;
    munmap(t->s, t->map_bytes);
    munmap(t, sizeof *t);
}

void mirror_table_prefetch(const struct mirror_table *t, struct mirror_key k)
{
    /* the home slot's line and the next one: a probe run (20-byte slots; ~1.5 slots for a hit, ~3.6 for a
     * miss at load 0.6) often ends in the next line. An actual load that misses brings the next line along
     * speculatively, a prefetch does not: without the second prefetch, a get whose run crosses the line
     * would wait a whole DRAM latency for it. Prefetches never fault; the bound keeps it inside the table. */
    const char *p = (const char *)&t->s[home(t, k)];
    __builtin_prefetch(p, 0, 3);
    if (p + 64 < (const char *)(t->s + t->cap)) __builtin_prefetch(p + 64, 0, 3);
}

bool mirror_table_get(const struct mirror_table *t, struct mirror_key k, uint32_t *flags)
{
    size_t i = home(t, k);
    for (size_t n = 0; n < t->cap; n++) {
        const struct slot *s = &t->s[i];
        uint32_t w = atomic_load_explicit(&((struct slot *)s)->w, memory_order_acquire);
        if (w >> ST_SHIFT == ST_EMPTY) return false;
        if (key_eq(s, k)) {
            if (w >> ST_SHIFT != ST_LIVE) return false;
            *flags = w & FLAGS_BITS;
            return true;
        }
        if (++i == t->cap) i = 0;
    }
    return false;
}

/* the writer's probe: the slot holding k, or the empty slot that ends its run */
static struct slot *find(struct mirror_table *t, struct mirror_key k)
{
    size_t i = home(t, k);
    for (size_t n = 0; n < t->cap; n++) {
        struct slot *s = &t->s[i];
        uint32_t w = atomic_load_explicit(&s->w, memory_order_relaxed);
        if (w >> ST_SHIFT == ST_EMPTY || key_eq(s, k)) return s;
        if (++i == t->cap) i = 0;
    }
    return NULL; /* cannot happen below LOAD_MAX */
}

int mirror_table_put(struct mirror_table *t, struct mirror_key k, uint32_t flags, unsigned epoch)
{
    flags &= FLAGS_BITS;
    struct slot *s = find(t, k);
    uint32_t w = s ? atomic_load_explicit(&s->w, memory_order_relaxed) : 0;
    uint32_t st = w >> ST_SHIFT;
    if (!s || (st == ST_EMPTY && (t->used + 1) * LOAD_MAX_DEN > t->cap * LOAD_MAX_NUM)) return MIRROR_EFULL;
    uint32_t nw = (ST_LIVE << ST_SHIFT) | (epoch ? EPOCH_BIT : 0) | flags;
    uint64_t d = atomic_load_explicit(&t->digest, memory_order_relaxed);
    if (st == ST_EMPTY) {
        memcpy(&s->k[0], &k.lo, 8);
        memcpy(&s->k[2], &k.hi, 8);
        t->used++;
    }
    if (st == ST_LIVE)
        d -= mirror_digest_term(k, w & FLAGS_BITS);
    else
        atomic_fetch_add_explicit(&t->live, 1, memory_order_relaxed);
    atomic_store_explicit(&s->w, nw, memory_order_release);
    atomic_store_explicit(&t->digest, d + mirror_digest_term(k, flags), memory_order_relaxed);
    return 0;
}

static void kill_slot(struct mirror_table *t, struct slot *s, uint32_t w)
{
    struct mirror_key k;
    memcpy(&k.lo, &s->k[0], 8);
    memcpy(&k.hi, &s->k[2], 8);
    atomic_store_explicit(&s->w, ST_DEAD << ST_SHIFT, memory_order_release);
    atomic_fetch_sub_explicit(&t->live, 1, memory_order_relaxed);
    uint64_t d = atomic_load_explicit(&t->digest, memory_order_relaxed);
    atomic_store_explicit(&t->digest, d - mirror_digest_term(k, w & FLAGS_BITS), memory_order_relaxed);
}

void mirror_table_del(struct mirror_table *t, struct mirror_key k)
{
    struct slot *s = find(t, k);
    if (!s) return;
    uint32_t w = atomic_load_explicit(&s->w, memory_order_relaxed);
    if (w >> ST_SHIFT == ST_LIVE) kill_slot(t, s, w);
}

size_t mirror_table_sweep(struct mirror_table *t, unsigned epoch)
{
    size_t n = 0;
    uint32_t want = epoch ? EPOCH_BIT : 0;
    for (size_t i = 0; i < t->cap; i++) {
        struct slot *s = &t->s[i];
        uint32_t w = atomic_load_explicit(&s->w, memory_order_relaxed);
        if (w >> ST_SHIFT == ST_LIVE && (w & EPOCH_BIT) != want) {
            kill_slot(t, s, w);
            n++;
        }
    }
    return n;
}

struct mirror_table *mirror_table_rebuild(const struct mirror_table *t, size_t records)
{
    size_t live = mirror_table_live(t);
    /* room to grow by a third before the next rebuild, within what a table can hold */
    size_t want = live + live / 3 + 1;
    if (want > MIRROR_TABLE_MAX_RECORDS)
        want = live > MIRROR_TABLE_MAX_RECORDS ? live : MIRROR_TABLE_MAX_RECORDS;
    struct mirror_table *n = mirror_table_new(want > records ? want : records);
    if (!n) return NULL;
    for (size_t i = 0; i < t->cap; i++) {
        const struct slot *s = &t->s[i];
        uint32_t w = atomic_load_explicit(&((struct slot *)s)->w, memory_order_relaxed);
        if (w >> ST_SHIFT != ST_LIVE) continue;
        struct mirror_key k;
        memcpy(&k.lo, &s->k[0], 8);
        memcpy(&k.hi, &s->k[2], 8);
        struct slot *d = find(n, k);
        memcpy(d->k, s->k, sizeof d->k);
        atomic_store_explicit(&d->w, w, memory_order_relaxed);
        n->used++;
    }
    atomic_store(&n->live, live);
    atomic_store(&n->digest, atomic_load(&((struct mirror_table *)t)->digest));
    return n;
}

size_t mirror_table_live(const struct mirror_table *t)
{
    return atomic_load_explicit(&((struct mirror_table *)t)->live, memory_order_relaxed);
}

size_t mirror_table_capacity(const struct mirror_table *t)
{
    return t->cap;
}

size_t mirror_table_bytes(const struct mirror_table *t)
{
    return t->map_bytes;
}

uint64_t mirror_table_digest(const struct mirror_table *t)
{
    return atomic_load_explicit(&((struct mirror_table *)t)->digest, memory_order_relaxed);
}
