/* mirror_table: the consent mirror's in-memory table and record codec. No I/O, no locks.
 * An open-addressing (linear probing) table of 20-byte slots: a 128-bit XXH3 of the user key and one 32-bit
 * atomic word holding the flags, so one writer thread can update it while any number of readers probe it.
 * Readers are wait-free; the writer never moves a key, so a reader never misses a record that exists. */
#ifndef FAIRBID_BIDDER_MIRROR_TABLE_H
#define FAIRBID_BIDDER_MIRROR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "filters/consent.h"

#define MIRROR_EFULL (-1)  /* put: the table must be rebuilt larger first (mirror_table_rebuild) */
#define MIRROR_ENOMEM (-2) /* new/rebuild: out of memory */

/* Packed flags (the low 29 bits of a slot's word): bits 0..26 sensitive mask (one bit per policy class,
 * classes.def has 27), bit 27 optout, bit 28 minor. */
#define MIRROR_F_MASK 0x07ffffffu
#define MIRROR_F_OPTOUT (1u << 27)
#define MIRROR_F_MINOR (1u << 28)

struct mirror_key {
    uint64_t lo, hi;
};

/* XXH3_128bits of the user key (user.buyeruid, else user.id). ~10 ns for a typical 16-40 byte id. */
struct mirror_key mirror_key_of(const char *user, size_t len);

uint32_t mirror_flags_pack(const struct consent_stored *rec);
void mirror_flags_unpack(uint32_t flags, struct consent_stored *rec);

/* What a record that is not understood becomes: opted out and a minor, with no sensitive consent (fail
 * toward privacy: every personal-data restriction applies and no consent is granted). */
#define MIRROR_F_RESTRICT (MIRROR_F_OPTOUT | MIRROR_F_MINOR)

/* The largest record read as written: the contract has four fields (docs/consent-store.md) and writers may
 * add their own, but a hash with more fields than this is not a consent record anyone meant; it restricts. */
#define MIRROR_RECORD_MAX_FIELDS 1024

/* Incremental record parser, one field at a time, so a reply of any size is read whole without a copy.
 * Rules (docs/consent-store.md): optout/minor exactly "0" or "1"; `sensitive` a comma list of policy class
 * names (unknown names grant nothing and are counted in `unknown`); other fields ignored. Anything not
 * understood makes the whole record MIRROR_F_RESTRICT and names why: a bad optout/minor value, a field whose
 * name is a known one in another case or with blanks around it (`OptOut`, ` optout`), a field or value that
 * is not a string, an odd element count, more than MIRROR_RECORD_MAX_FIELDS fields. */
struct mirror_record {
    uint32_t flags;
    int unknown;     /* unknown class names in `sensitive` */
    size_t fields;   /* fields seen */
    const char *why; /* NULL, or why the record restricts (static text) */
};
void mirror_record_init(struct mirror_record *r);
void mirror_record_field(struct mirror_record *r, const char *f, size_t fl, const char *v, size_t vl);
/* The reply itself is not understood (`why`: static text); the first reason given is kept. */
void mirror_record_bad(struct mirror_record *r, const char *why);
/* The packed flags: MIRROR_F_RESTRICT once anything was not understood. */
uint32_t mirror_record_flags(const struct mirror_record *r);

/* Parses one HGETALL reply (field/value pairs; n = its element count; lens may be NULL for NUL-terminated
 * strings; a NULL element is a non-string) with the rules above: every element is read, whatever n. Returns
 * false when n == 0 (no hash: no record; *flags = 0). `why` (may be NULL) gets the reason the record
 * restricts, or NULL. */
bool mirror_record_parse(const char *const *kv, const size_t *lens, size_t n, uint32_t *flags, int *unknown);
bool mirror_record_parse_why(const char *const *kv, const size_t *lens, size_t n, uint32_t *flags,
                             int *unknown, const char **why);

/* Parses a comma-separated class list into a mask; unknown names counted into *unknown (may be NULL). */
uint32_t mirror_sensitive_parse(const char *s, size_t n, int *unknown);

/* Order-independent digest contribution of one record: the mirror and `fairbid consent digest` both sum these
 * (mod 2^64) over all records, so equal digests mean equal contents (with overwhelming probability). */
uint64_t mirror_digest_term(struct mirror_key k, uint32_t flags);

struct mirror_table;

/* The most records a table can be sized for (~33 GB of slots): mirror_table_new refuses more, so no size
 * computation can overflow. The mirror's own ceiling (consent_mirror_max_records) is lower. */
#define MIRROR_TABLE_MAX_RECORDS ((size_t)1000000000)

/* A table for at least `records` records at the target load (0.6). Memory is mmap'd 2 MiB aligned with
 * transparent huge pages advised (best effort) and zero-filled lazily. NULL when out of memory or when
 * records > MIRROR_TABLE_MAX_RECORDS. Free with mirror_table_free, after every reader left. */
struct mirror_table *mirror_table_new(size_t records);
/* The capacity (slots) a table for `records` records gets, or 0 when records > MIRROR_TABLE_MAX_RECORDS.
 * Checked arithmetic; exposed for tests. */
size_t mirror_table_cap_for(size_t records);
void mirror_table_free(struct mirror_table *t);

/* Reader side: any thread, concurrent with the single writer, wait-free. true and *flags when a live record
 * exists. Cost: one hash slot plus the probe run (≈2 slots at load 0.6 for a hit). */
bool mirror_table_get(const struct mirror_table *t, struct mirror_key k, uint32_t *flags);
/* Starts loading k's home slot and the following cache line (where its probe run may end) into the cache and
 * returns at once, so a caller with several keys (or other work to do) can overlap the misses: a
 * mirror_table_get of k issued a memory latency later (~200 ns on a cold table) finds the line cached. Reader
 * side, any thread; no effect on the contents. */
void mirror_table_prefetch(const struct mirror_table *t, struct mirror_key k);

/* Writer side: one thread only. put inserts or replaces, tagging the record with `epoch` (0/1, see sweep);
 * returns 0 or MIRROR_EFULL (nothing changed: rebuild, publish, retry). del marks the record deleted (its
 * slot keeps the key so concurrent probes stay correct); deleting a missing key is a no-op. */
int mirror_table_put(struct mirror_table *t, struct mirror_key k, uint32_t flags, unsigned epoch);
void mirror_table_del(struct mirror_table *t, struct mirror_key k);
/* Deletes every live record not tagged with `epoch` (the ones a full resync did not see). Returns how many.
 */
size_t mirror_table_sweep(struct mirror_table *t, unsigned epoch);
/* A new table holding t's live records, sized for max(live + live / 3 + 1, records) at the target load (the
 * first term clamped to MIRROR_TABLE_MAX_RECORDS). The caller publishes it and frees t once readers are gone.
 * NULL when out of memory or when the size asked for exceeds MIRROR_TABLE_MAX_RECORDS. */
struct mirror_table *mirror_table_rebuild(const struct mirror_table *t, size_t records);

/* Statistics (any thread; relaxed reads of counters the writer maintains). */
size_t mirror_table_live(const struct mirror_table *t);
size_t mirror_table_capacity(const struct mirror_table *t);
size_t mirror_table_bytes(const struct mirror_table *t);
uint64_t mirror_table_digest(const struct mirror_table *t);

#endif
