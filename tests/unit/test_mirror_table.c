/* Unit tests for bidder/mirror_table: record parsing, flag packing, table put/get/del/sweep/rebuild, the
 * digest, and a reader thread probing while the writer churns (no torn or phantom reads). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bidder/mirror_table.h"
#include "filters/classes.h"

static struct mirror_key key(int i)
{
    char b[32];
    int n = snprintf(b, sizeof b, "user-%d", i);
    return mirror_key_of(b, (size_t)n);
}

Test(mirror_record, parse_fields)
{
    const char *kv[] = {"optout",     "1",  "minor", "0", "sensitive", "health, religion,nope",
                        "updated_ms", "123"};
    uint32_t f;
    int unknown = 0;
    cr_assert(mirror_record_parse(kv, NULL, 8, &f, &unknown));
    struct consent_stored r;
    mirror_flags_unpack(f, &r);
    cr_assert(r.optout);
    cr_assert(!r.minor);
    cr_assert_eq(r.sensitive_mask, CLASS_BIT(CLASS_HEALTH) | CLASS_BIT(CLASS_RELIGION));
    cr_assert_eq(unknown, 1);
}

Test(mirror_record, empty_hash_is_no_record)
{
    uint32_t f = 7;
    cr_assert(!mirror_record_parse(NULL, NULL, 0, &f, NULL));
    cr_assert_eq(f, 0);
}

Test(mirror_record, bad_bits_fail_toward_privacy)
{
    static const struct {
        const char *v;
        bool set;
    } cases[] = {{"0", false}, {"1", true}, {"", true}, {"yes", true}, {"00", true}, {"2", true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *kv[] = {"optout", cases[i].v, "minor", cases[i].v};
        uint32_t f;
        mirror_record_parse(kv, NULL, 4, &f, NULL);
        cr_assert_eq((f & MIRROR_F_OPTOUT) != 0, cases[i].set, "optout=\"%s\"", cases[i].v);
        cr_assert_eq((f & MIRROR_F_MINOR) != 0, cases[i].set, "minor=\"%s\"", cases[i].v);
    }
}

Test(mirror_record, only_known_fields_count)
{
    const char *kv[] = {"OPTOUT", "1", "other", "1"};
    uint32_t f;
    cr_assert(mirror_record_parse(kv, NULL, 4, &f, NULL));
    cr_assert_eq(f, 0);
}

Test(mirror_record, pack_roundtrip_all_classes)
{
    struct consent_stored in = {.optout = true, .minor = true, .sensitive_mask = (1u << CLASS__COUNT) - 1},
                          out;
    cr_assert_eq(CLASS__COUNT, 27, "the packed word holds 27 class bits");
    mirror_flags_unpack(mirror_flags_pack(&in), &out);
    cr_assert(out.optout && out.minor);
    cr_assert_eq(out.sensitive_mask, in.sensitive_mask);
}

Test(mirror_record, lengths_bound_fields_and_values)
{
    /* hiredis replies are (pointer, length): bytes past each length must not count */
    const char *kv[] = {"optoutX", "1junk", "minorXX", "0trailing", "sensitivehealth", "religion,health"};
    const size_t lens[] = {6, 1, 5, 1, 9, 8};
    uint32_t f;
    cr_assert(mirror_record_parse(kv, lens, 6, &f, NULL));
    cr_assert_eq(f, MIRROR_F_OPTOUT | CLASS_BIT(CLASS_RELIGION));
    /* a field cut short is another field (ignored); a value with a NUL inside is not "0" */
    const char *kv2[] = {"optout", "0", "minor", "0\0"};
    const size_t lens2[] = {5, 1, 5, 2};
    cr_assert(mirror_record_parse(kv2, lens2, 4, &f, NULL));
    cr_assert_eq(f, MIRROR_F_MINOR);
    /* an empty value is a bad value: restricts */
    const char *kv3[] = {"optout", "0"};
    const size_t lens3[] = {6, 0};
    cr_assert(mirror_record_parse(kv3, lens3, 2, &f, NULL));
    cr_assert_eq(f, MIRROR_F_OPTOUT);
}

Test(mirror_record, duplicate_fields_only_restrict)
{
    uint32_t f;
    const char *a[] = {"optout", "1", "optout", "0"};
    cr_assert(mirror_record_parse(a, NULL, 4, &f, NULL));
    cr_assert_eq(f, MIRROR_F_OPTOUT, "a later optout=0 must not lift an opt-out");
    const char *b[] = {"minor", "0", "minor", "1"};
    cr_assert(mirror_record_parse(b, NULL, 4, &f, NULL));
    cr_assert_eq(f, MIRROR_F_MINOR);
    const char *c[] = {"sensitive", "health", "sensitive", "", "sensitive", "politics"};
    cr_assert(mirror_record_parse(c, NULL, 6, &f, NULL));
    cr_assert_eq(f, CLASS_BIT(CLASS_HEALTH) | CLASS_BIT(CLASS_POLITICS), "sensitive lists add up");
}

Test(mirror_record, sensitive_list_syntax)
{
    int unknown = 0;
    const char *s = " health ,\treligion\t,,  ,HEALTH,heal th,weapons,";
    uint32_t m = mirror_sensitive_parse(s, strlen(s), &unknown);
    cr_assert_eq(m, CLASS_BIT(CLASS_HEALTH) | CLASS_BIT(CLASS_RELIGION) | CLASS_BIT(CLASS_WEAPONS));
    cr_assert_eq(unknown, 2, "HEALTH (names are case-sensitive) and \"heal th\" are unknown, got %d",
                 unknown);
    cr_assert_eq(mirror_sensitive_parse("", 0, NULL), 0);
    cr_assert_eq(mirror_sensitive_parse(",,,", 3, NULL), 0);
    /* every class by its name, alone and all together */
    char all[1024] = "";
    for (int c = 0; c < CLASS__COUNT; c++) {
        const char *name = class_name(c);
        cr_assert_eq(mirror_sensitive_parse(name, strlen(name), NULL), CLASS_BIT(c), "class %s", name);
        if (c) strcat(all, ",");
        strcat(all, name);
    }
    unknown = 0;
    cr_assert_eq(mirror_sensitive_parse(all, strlen(all), &unknown), (1u << CLASS__COUNT) - 1);
    cr_assert_eq(unknown, 0);
    /* the length bounds the list: "health,religion" cut at 6 is only health */
    cr_assert_eq(mirror_sensitive_parse("health,religion", 6, NULL), CLASS_BIT(CLASS_HEALTH));
    cr_assert_eq(mirror_sensitive_parse("healthy", 6, NULL), CLASS_BIT(CLASS_HEALTH));
}

Test(mirror_record, flags_never_spill_outside_their_bits)
{
    const char *kv[] = {"optout", "1", "minor", "1", "sensitive", "health,weapons,dating,minor"};
    uint32_t f;
    cr_assert(mirror_record_parse(kv, NULL, 6, &f, NULL));
    cr_assert_eq(f & ~(MIRROR_F_MASK | MIRROR_F_OPTOUT | MIRROR_F_MINOR), 0);
    struct consent_stored r;
    mirror_flags_unpack(f, &r);
    cr_assert(r.optout && r.minor);
    cr_assert_eq(r.sensitive_mask, CLASS_BIT(CLASS_HEALTH) | CLASS_BIT(CLASS_WEAPONS) |
                                       CLASS_BIT(CLASS_DATING) | CLASS_BIT(CLASS_MINOR));
}

Test(mirror_table, put_get_del)
{
    struct mirror_table *t = mirror_table_new(0);
    cr_assert_not_null(t);
    uint32_t f;
    cr_assert(!mirror_table_get(t, key(1), &f));
    cr_assert_eq(mirror_table_put(t, key(1), MIRROR_F_OPTOUT, 0), 0);
    cr_assert(mirror_table_get(t, key(1), &f));
    cr_assert_eq(f, MIRROR_F_OPTOUT);
    cr_assert_eq(mirror_table_put(t, key(1), MIRROR_F_MINOR | 3, 0), 0);
    cr_assert(mirror_table_get(t, key(1), &f));
    cr_assert_eq(f, MIRROR_F_MINOR | 3);
    cr_assert_eq(mirror_table_live(t), 1);
    mirror_table_del(t, key(1));
    cr_assert(!mirror_table_get(t, key(1), &f));
    cr_assert_eq(mirror_table_live(t), 0);
    mirror_table_del(t, key(2)); /* missing: no-op */
    cr_assert_eq(mirror_table_put(t, key(1), 0, 0), 0);
    cr_assert(mirror_table_get(t, key(1), &f));
    cr_assert_eq(mirror_table_live(t), 1);
    mirror_table_free(t);
}

Test(mirror_table, full_then_rebuild_keeps_everything)
{
    struct mirror_table *t = mirror_table_new(0);
    size_t cap = mirror_table_capacity(t);
    int n = 0;
    while (mirror_table_put(t, key(n), (uint32_t)n & MIRROR_F_MASK, 0) == 0) n++;
    cr_assert_geq((size_t)n, cap * 3 / 4, "fills to the max load before refusing");
    cr_assert_lt((size_t)n, cap);
    struct mirror_table *g = mirror_table_rebuild(t, 0);
    cr_assert_not_null(g);
    cr_assert_gt(mirror_table_capacity(g), cap);
    cr_assert_eq(mirror_table_digest(g), mirror_table_digest(t));
    cr_assert_eq(mirror_table_put(g, key(n), (uint32_t)n & MIRROR_F_MASK, 0), 0);
    for (int i = 0; i <= n; i++) {
        uint32_t f;
        cr_assert(mirror_table_get(g, key(i), &f), "key %d", i);
        cr_assert_eq(f, (uint32_t)i & MIRROR_F_MASK);
    }
    mirror_table_free(t);
    mirror_table_free(g);
}

Test(mirror_table, tombstones_count_toward_load_and_rebuild_drops_them)
{
    struct mirror_table *t = mirror_table_new(0);
    int n = 0;
    while (mirror_table_put(t, key(n), 0, 0) == 0) mirror_table_del(t, key(n++));
    cr_assert_eq(mirror_table_live(t), 0);
    struct mirror_table *g = mirror_table_rebuild(t, 0);
    cr_assert_eq(mirror_table_capacity(g), mirror_table_capacity(t), "no live records: minimal size");
    cr_assert_eq(mirror_table_put(g, key(n), 0, 0), 0);
    mirror_table_free(t);
    mirror_table_free(g);
}

Test(mirror_table, sweep_drops_records_of_the_other_epoch)
{
    struct mirror_table *t = mirror_table_new(0);
    for (int i = 0; i < 100; i++) mirror_table_put(t, key(i), 0, 0);
    /* a resync (epoch 1) sees only the even keys */
    for (int i = 0; i < 100; i += 2) mirror_table_put(t, key(i), MIRROR_F_OPTOUT, 1);
    cr_assert_eq(mirror_table_sweep(t, 1), 50);
    cr_assert_eq(mirror_table_live(t), 50);
    uint32_t f;
    for (int i = 0; i < 100; i++) cr_assert_eq(mirror_table_get(t, key(i), &f), i % 2 == 0, "key %d", i);
    mirror_table_free(t);
}

Test(mirror_table, digest_is_order_independent_and_tracks_changes)
{
    struct mirror_table *a = mirror_table_new(0), *b = mirror_table_new(0);
    for (int i = 0; i < 50; i++) mirror_table_put(a, key(i), (uint32_t)i, 0);
    for (int i = 49; i >= 0; i--) mirror_table_put(b, key(i), (uint32_t)i, 0);
    cr_assert_eq(mirror_table_digest(a), mirror_table_digest(b));
    uint64_t sum = 0;
    for (int i = 0; i < 50; i++) sum += mirror_digest_term(key(i), (uint32_t)i);
    cr_assert_eq(mirror_table_digest(a), sum);
    mirror_table_put(b, key(3), MIRROR_F_OPTOUT, 0);
    cr_assert_neq(mirror_table_digest(a), mirror_table_digest(b));
    mirror_table_put(b, key(3), 3, 0);
    cr_assert_eq(mirror_table_digest(a), mirror_table_digest(b));
    mirror_table_del(b, key(7));
    cr_assert_eq(mirror_table_digest(b), sum - mirror_digest_term(key(7), 7));
    mirror_table_free(a);
    mirror_table_free(b);
}

/* ---- one writer, one reader ---- */

static struct mirror_table *shared;
static atomic_bool stop;
static atomic_bool writing;
static atomic_long bad;
static atomic_long passes; /* reader passes that began and ended while the writer was churning */

/* The test proves nothing unless the reader probed while the writer wrote: MIN_PASSES overlapping passes, and
 * MIN_ROUNDS of churn whatever the reader did. Churn keys cycle through CHURN_SLOTS * 50 keys so the table
 * never fills with tombstones. A starved reader fails the test after DEADLINE_NS instead of hanging it. */
#define MIN_PASSES 50
#define MIN_ROUNDS 200
#define CHURN_SLOTS 200
#define DEADLINE_NS 60000000000LL

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Stable keys 0..999 always hold flags == i (rewritten identically); churn keys come and go. The reader must
 * always find every stable key with exactly its flags. */
static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        bool during = atomic_load(&writing);
        for (int i = 0; i < 1000; i++) {
            uint32_t f;
            if (!mirror_table_get(shared, key(i), &f) || f != (uint32_t)i) atomic_fetch_add(&bad, 1);
        }
        if (during && atomic_load(&writing)) atomic_fetch_add(&passes, 1);
    }
    return NULL;
}

Test(mirror_table, concurrent_reader_sees_no_torn_state)
{
    shared = mirror_table_new(20000);
    for (int i = 0; i < 1000; i++) mirror_table_put(shared, key(i), (uint32_t)i, 0);
    atomic_store(&writing, true);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, reader, NULL), 0);
    long long deadline = now_ns() + DEADLINE_NS;
    long round = 0, full = 0;
    /* Run until both: MIN_ROUNDS of churn, and MIN_PASSES reader passes that overlapped it. */
    while ((round < MIN_ROUNDS || atomic_load(&passes) < MIN_PASSES) && now_ns() < deadline) {
        int base = 1000 + (int)(round % CHURN_SLOTS) * 50;
        for (int i = base; i < base + 50; i++)
            if (mirror_table_put(shared, key(i), MIRROR_F_OPTOUT, 0) != 0) full++;
        for (int i = 0; i < 1000; i++)
            if (mirror_table_put(shared, key(i), (uint32_t)i, (unsigned)(round & 1)) != 0) full++;
        for (int i = base; i < base + 50; i++) mirror_table_del(shared, key(i));
        round++;
    }
    atomic_store(&writing, false);
    atomic_store(&stop, true);
    pthread_join(th, NULL);
    cr_assert_eq(full, 0, "the writer's puts all fit (%ld failed): the churn did what it claims", full);
    cr_assert_geq(round, MIN_ROUNDS);
    cr_assert_geq(atomic_load(&passes), MIN_PASSES,
                  "the reader made %ld passes while the writer ran %ld rounds (need %d): nothing was tested",
                  atomic_load(&passes), round, MIN_PASSES);
    cr_assert_eq(atomic_load(&bad), 0, "%ld stable-key reads were missing or torn", atomic_load(&bad));
    cr_log_info("writer rounds %ld, overlapping reader passes %ld", round, atomic_load(&passes));
    mirror_table_free(shared);
}
