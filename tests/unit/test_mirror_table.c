/* Unit tests for bidder/mirror_table: record parsing, flag packing, table put/get/del/sweep/rebuild, the
 * digest, and a reader thread probing while the writer churns (no torn or phantom reads). */
#include "bidder/common/clock.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bidder/consent/mirror_table.h"
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
    /* other fields are the writers' own; `OPTOUT` (a known name in another case) restricts: see below */
    const char *kv[] = {"other", "1", "optout_source", "1"};
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
    /* a field cut short is another field (ignored); a value with a NUL inside is not "0": a bad value, so the
     * whole record restricts */
    const char *kv2[] = {"optout", "0", "minor", "0\0"};
    const size_t lens2[] = {5, 1, 5, 2};
    cr_assert(mirror_record_parse(kv2, lens2, 4, &f, NULL));
    cr_assert_eq(f, MIRROR_F_RESTRICT);
    const char *kv2b[] = {"optout", "0", "minor", "0"};
    const size_t lens2b[] = {5, 1, 5, 1};
    cr_assert(mirror_record_parse(kv2b, lens2b, 4, &f, NULL));
    cr_assert_eq(f, 0, "\"optou\" is another field");
    /* an empty value is a bad value: restricts */
    const char *kv3[] = {"optout", "0"};
    const size_t lens3[] = {6, 0};
    cr_assert(mirror_record_parse(kv3, lens3, 2, &f, NULL));
    cr_assert_eq(f, MIRROR_F_RESTRICT);
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
    long long deadline = (long long)fb_clock_mono_ns() + DEADLINE_NS;
    long round = 0, full = 0;
    /* Run until both: MIN_ROUNDS of churn, and MIN_PASSES reader passes that overlapped it. */
    while ((round < MIN_ROUNDS || atomic_load(&passes) < MIN_PASSES) &&
           (long long)fb_clock_mono_ns() < deadline) {
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

/* ---- issue 12: records read whole, anything not understood restricts; checked table sizing ---------- */

#include <hiredis/hiredis.h>

#include "bidder/consent/mirror.h"
#include <stdint.h>
#include <stdlib.h>

/* n other fields, then optout=1 (HGETALL of a small hash returns the insertion order) */
static size_t many_fields(const char **kv, char (*names)[32], size_t n, const char *last, const char *val)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "note_%zu", i);
        kv[k++] = names[i];
        kv[k++] = "x";
    }
    kv[k++] = last;
    kv[k++] = val;
    return k;
}

Test(mirror_record_whole, optout_after_many_other_fields_is_read)
{
    /* 31 other fields fitted the old 64-element cut; 32 and more pushed optout out of it */
    static const size_t others[] = {0, 31, 32, 40, 200, MIRROR_RECORD_MAX_FIELDS - 1};
    for (size_t c = 0; c < sizeof others / sizeof others[0]; c++) {
        static const char *kv[2 * MIRROR_RECORD_MAX_FIELDS];
        static char names[MIRROR_RECORD_MAX_FIELDS][32];
        size_t n = many_fields(kv, names, others[c], "optout", "1");
        uint32_t f;
        const char *why = "unset";
        cr_assert(mirror_record_parse_why(kv, NULL, n, &f, NULL, &why));
        cr_assert_eq(f, MIRROR_F_OPTOUT, "%zu other fields: flags %#x", others[c], f);
        cr_assert_null(why, "%zu other fields: a record within the limit is understood", others[c]);
        n = many_fields(kv, names, others[c], "sensitive", "health");
        cr_assert(mirror_record_parse(kv, NULL, n, &f, NULL));
        cr_assert_eq(f, CLASS_BIT(CLASS_HEALTH), "%zu other fields: sensitive read", others[c]);
    }
}

Test(mirror_record_whole, more_fields_than_the_limit_restricts)
{
    static const char *kv[2 * (MIRROR_RECORD_MAX_FIELDS + 1)];
    static char names[MIRROR_RECORD_MAX_FIELDS + 1][32];
    /* optout=0 and a sensitive consent, but too big to be a record anyone meant: restricts, grants nothing */
    size_t n = many_fields(kv, names, MIRROR_RECORD_MAX_FIELDS, "optout", "0");
    uint32_t f;
    const char *why = NULL;
    cr_assert(mirror_record_parse_why(kv, NULL, n, &f, NULL, &why));
    cr_assert_eq(f, MIRROR_F_RESTRICT);
    cr_assert_not_null(why);
    n = many_fields(kv, names, MIRROR_RECORD_MAX_FIELDS, "sensitive", "health");
    cr_assert(mirror_record_parse(kv, NULL, n, &f, NULL));
    cr_assert_eq(f, MIRROR_F_RESTRICT, "no sensitive consent from a record not understood");
}

Test(mirror_record_whole, anything_not_understood_restricts_the_whole_record)
{
    static const struct {
        const char *kv[6];
        size_t n;
    } cases[] = {
        {{"sensitive", "health", "optout", "yes"}, 4},
        {{"sensitive", "health", "minor", "2"}, 4},
        {{"sensitive", "health", "optout", ""}, 4},
        {{"sensitive", "health", "optout", " 0"}, 4},
        {{"sensitive", "health", "OPTOUT", "1"}, 4},
        {{"sensitive", "health", " optout", "0"}, 4},
        {{"sensitive", "health", "Minor", "0"}, 4},
        {{"Sensitive", "health", "optout", "0"}, 4},
        {{"sensitive", "health", "optout", "0", "minor"}, 5}, /* odd: not field/value pairs */
        {{"sensitive", "health", "optout", NULL}, 4},         /* a value that is not a string */
        {{NULL, "1", "sensitive", "health"}, 4},              /* a field that is not a string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t f;
        const char *why = NULL;
        cr_assert(mirror_record_parse_why(cases[i].kv, NULL, cases[i].n, &f, NULL, &why));
        cr_assert_eq(f, MIRROR_F_RESTRICT, "case %zu: flags %#x", i, f);
        cr_assert_not_null(why, "case %zu names why", i);
    }
    /* and what stays understood */
    const char *ok[] = {"optout", "0", "minor", "0", "sensitive", "health,nope", "updated_ms", "1"};
    uint32_t f;
    int unknown = 0;
    cr_assert(mirror_record_parse(ok, NULL, 8, &f, &unknown));
    cr_assert_eq(f, CLASS_BIT(CLASS_HEALTH), "an unknown class grants nothing and restricts nothing else");
    cr_assert_eq(unknown, 1);
}

static redisReply *rstr(const char *s)
{
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_STRING;
    r->str = (char *)s;
    r->len = strlen(s);
    return r;
}

static void rfree(redisReply *r)
{
    for (size_t i = 0; r->element && i < r->elements; i++) free(r->element[i]);
    free(r->element);
    free(r);
}

Test(mirror_record_whole, hgetall_reply_is_read_whole)
{
    /* the reader the mirror and `fairbid consent get/digest` share, on a reply of 2 x (1 + 300) elements */
    static char names[300][32];
    redisReply *r = calloc(1, sizeof *r);
    r->type = REDIS_REPLY_ARRAY;
    r->elements = 2 * 301;
    r->element = calloc(r->elements, sizeof *r->element);
    for (size_t i = 0; i < 300; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        r->element[2 * i] = rstr(names[i]);
        r->element[2 * i + 1] = rstr("v");
    }
    r->element[600] = rstr("optout");
    r->element[601] = rstr("1");
    struct mirror_record rec;
    cr_assert(mirror_reply_record(r, &rec));
    cr_assert_eq(mirror_record_flags(&rec), MIRROR_F_OPTOUT);
    cr_assert_null(rec.why);
    cr_assert_eq(rec.fields, 301);
    /* a value of another type (an integer) is not understood */
    r->element[601]->type = REDIS_REPLY_INTEGER;
    cr_assert(mirror_reply_record(r, &rec));
    cr_assert_eq(mirror_record_flags(&rec), MIRROR_F_RESTRICT);
    rfree(r);

    redisReply empty = {.type = REDIS_REPLY_ARRAY, .elements = 0};
    cr_assert(!mirror_reply_record(&empty, &rec), "an empty hash is no record");
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "WRONGTYPE", .len = 9};
    cr_assert(mirror_reply_record(&err, &rec));
    cr_assert_eq(mirror_record_flags(&rec), MIRROR_F_RESTRICT, "not a hash restricts");
    redisReply nil = {.type = REDIS_REPLY_NIL};
    cr_assert(mirror_reply_record(&nil, &rec));
    cr_assert_eq(mirror_record_flags(&rec), MIRROR_F_RESTRICT);
    /* too many elements: restricts without reading them (elements left NULL here on purpose) */
    redisReply big = {.type = REDIS_REPLY_ARRAY, .elements = 2 * (MIRROR_RECORD_MAX_FIELDS + 1)};
    cr_assert(mirror_reply_record(&big, &rec));
    cr_assert_eq(mirror_record_flags(&rec), MIRROR_F_RESTRICT);
}

Test(mirror_table_size, capacity_arithmetic_is_checked)
{
    cr_assert_eq(mirror_table_cap_for(0), 1024);
    size_t prev = 0;
    for (size_t r = 1; r <= MIRROR_TABLE_MAX_RECORDS; r = r * 3 + 7) {
        size_t c = mirror_table_cap_for(r);
        cr_assert_geq(c, prev, "monotone");
        cr_assert_geq(c * 3, r * 5, "%zu records: load at most 0.6 (cap %zu)", r, c);
        cr_assert_lt(c, r * 2 + 1025, "%zu records: no absurd capacity", r);
        prev = c;
    }
    cr_assert_gt(mirror_table_cap_for(MIRROR_TABLE_MAX_RECORDS), 0);
    /* the DBSIZE a corrupt Redis answered, and everything up to SIZE_MAX: refused, never wrapped */
    static const size_t hostile[] = {MIRROR_TABLE_MAX_RECORDS + 1,
                                     (size_t)553402322211286600ull,
                                     SIZE_MAX / sizeof(uint32_t[5]) + 1,
                                     SIZE_MAX / 2,
                                     SIZE_MAX - 1,
                                     SIZE_MAX};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        cr_assert_eq(mirror_table_cap_for(hostile[i]), 0, "%zu records", hostile[i]);
        cr_assert_null(mirror_table_new(hostile[i]), "%zu records", hostile[i]);
    }
}

Test(mirror_table_size, rebuild_refuses_a_hostile_size_and_keeps_the_old_table)
{
    struct mirror_table *t = mirror_table_new(0);
    for (int i = 0; i < 100; i++) cr_assert_eq(mirror_table_put(t, key(i), MIRROR_F_OPTOUT, 0), 0);
    cr_assert_null(mirror_table_rebuild(t, (size_t)553402322211286600ull));
    cr_assert_null(mirror_table_rebuild(t, SIZE_MAX));
    cr_assert_eq(mirror_table_live(t), 100, "the old table is untouched");
    /* growth from what is loaded: a rebuild holds the live records with room for a third more */
    struct mirror_table *n = mirror_table_rebuild(t, 0);
    cr_assert_not_null(n);
    cr_assert_eq(mirror_table_live(n), 100);
    cr_assert_eq(mirror_table_digest(n), mirror_table_digest(t));
    cr_assert_lt(mirror_table_bytes(n), (size_t)4 << 20, "100 records need no more than the minimum mapping");
    mirror_table_free(n);
    mirror_table_free(t);
}
