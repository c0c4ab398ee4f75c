/* policy: the compiled sensitive-category policy (docs/policy.md): taxonomy ids interned as 64-bit keys
 * (taxonomy number in the top byte, the id's bytes below), mapped to policy class bit masks. Lookups compare
 * integers only. Built once per config load by bidder/config/policy_load.c into memory the config snapshot
 * owns; immutable and shared by every worker afterwards. Pure: no allocation, no I/O. */
#ifndef FAIRBID_FILTERS_POLICY_H
#define FAIRBID_FILTERS_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "filters/classes.h"
#include "filters/sv.h"

#define POLICY_ID_MAX 7          /* taxonomy ids longer than this cannot be in a policy (IAB ids are <= 6) */
#define POLICY_MAX_ENTRIES 65536 /* per table */
#define POLICY_DETAIL_MAX 96     /* bytes of a drop's detail text, NUL included */

enum { POLICY_F_DEMOGRAPHIC = 1 }; /* Audience Taxonomy Demographic age/gender node (rule 4) */

struct policy_entry {
    uint64_t key;     /* policy_key(); 0 = empty slot */
    uint32_t classes; /* CLASS_BIT()s */
    uint32_t flags;   /* POLICY_F_* */
};

/* Open-addressed hash table of entries (linear probing, load <= 1/2). */
struct policy_table {
    struct policy_entry *slots; /* cap slots, cap a power of two */
    uint32_t cap, n;
    uint64_t classified[4]; /* bit t: taxonomy t has an entry with a class (ids read strictly there) */
    uint64_t alnum[4];      /* bit t: taxonomy t has an id that is not a decimal integer */
};

/* What one campaign's targeting uses that the rules look at (index = campaign's position in the set). */
struct policy_camp_key {
    uint64_t key;
    uint32_t classes; /* sensitive and vulnerability classes of this targeted id */
    uint32_t pad;
};
struct policy_camp {
    const struct policy_camp_key
        *keys; /* sorted by key: the targeted ids in a sensitive or vulnerability class */
    uint32_t nkeys;
    uint64_t bloom;    /* bit (hash >> 58) set for every key: most request segments are rejected by one AND */
    uint64_t segtaxes; /* bit t set when a key has segtax t (t < 64) */
    struct sv vuln_detail; /* rule 2: "addiction: segtax 4 id 399 (campaign targeting)" */
    struct sv cat_detail;  /* rule 3 prefix: "gambling: cattax 8 id 1361" */
};

struct policy {
    struct policy_table seg;         /* (segtax, segment id) -> classes, flags */
    struct policy_table cat;         /* (cattax, category id) -> high-risk classes */
    uint64_t vuln_bloom;             /* bloom of the seg keys carrying a vulnerability class */
    uint8_t gpp_usnat[CLASS__COUNT]; /* US National SensitiveDataProcessing category (1-based) per class, 0
                                        none */
    const struct policy_camp *camp;  /* one per campaign of the set */
    uint32_t ncamp;
    struct sv source; /* file name, for messages */
};

/* Taxonomy ids as the classification reads them (one rule for segment ids, cat, bcat, content.cat and the
 * policy's own ids): ASCII blanks around it are ignored; a decimal number ("0399", "+399", "399.0", "3.99e2",
 * the JSON number 399) is the integer it denotes, written without leading zeros; any other id is letters,
 * digits, '-' and '_', compared ASCII case-insensitively (written upper-case). Anything else (a fraction, a
 * negative number, an inner blank, another character, nothing at all) is not an id. */
enum policy_id_rc {
    POLICY_ID_OK = 0,   /* out[0..*n) is the canonical text */
    POLICY_ID_LONG = 1, /* an id, longer than cap (out holds its first cap bytes, *n its full length) */
    POLICY_ID_BAD = -1, /* not an id */
};
int policy_id_canon(struct sv id, char *out, size_t cap, size_t *n);
/* The same id under that reading (or the same bytes). */
bool policy_id_eq(struct sv a, struct sv b);
/* Whether list v[0..n) holds id under that reading. */
bool policy_id_in(const struct sv *v, uint32_t n, struct sv id);
/* Whether every id of v[0..n) is already written as that reading writes it (an integer without leading zeros,
 * or upper-case letters, digits, '-', '_'): then two ids are the same id only byte for byte. */
bool policy_ids_canonical(const struct sv *v, uint32_t n);
/* policy_id_in for a list whose policy_ids_canonical answer the caller computed once (a request's list read
 * against every campaign): a canonical id against a canonical list is a byte comparison. */
bool policy_id_in_list(const struct sv *v, uint32_t n, bool v_canonical, struct sv id);
/* The same for one id whose policy_ids_canonical answer the caller knows too. Inline (below): decide calls it
 * for every campaign's categories, and the usual answer is a few word compares. */
static inline bool policy_id_in_known(const struct sv *v, uint32_t n, bool v_canonical, struct sv id,
                                      bool id_canonical);

/* Packs (taxonomy, canonical id) into a key, or 0 when it cannot be in a policy (tax outside 1..255, not an
 * id, canonical id longer than POLICY_ID_MAX). */
uint64_t policy_key(int32_t tax, struct sv id);

static inline uint64_t policy_hash(uint64_t key)
{
    key ^= key >> 29;
    key *= 0xBF58476D1CE4E5B9ull;
    key ^= key >> 32;
    return key;
}

static inline uint64_t policy_bloom_bit(uint64_t key)
{
    return 1ull << (policy_hash(key) >> 58);
}

/* Table over caller-owned slots (cap a power of two, zeroed by this call). */
void policy_table_init(struct policy_table *t, struct policy_entry *slots, uint32_t cap);
/* Adds classes and flags to key's entry (creating it). Returns 0, or -1 when the table is half full or key is
 * 0. */
int policy_table_put(struct policy_table *t, uint64_t key, uint32_t classes, uint32_t flags);
/* The entry for key, or NULL. */
const struct policy_entry *policy_table_get(const struct policy_table *t, uint64_t key);

/* In a class mask from the two functions below: the id cannot be read confidently as an id of a taxonomy the
 * policy classifies (not an id; a non-integer where every id of the taxonomy is one). The mask then also
 * holds every class the id could have been (all sensitive and vulnerability classes for a segment, all
 * high-risk ones for a category), so a caller that only tests classes fails toward privacy. */
#define POLICY_UNREADABLE (1u << 31)

/* Classes of a segment / an ad category, 0 when unknown; the id read as policy_id_canon reads it, and also as
 * its leading digits where it has some ("399abc": a lenient integer parser reads 399). p may be NULL. */
uint32_t policy_segment_classes(const struct policy *p, int32_t segtax, struct sv id);
uint32_t policy_cat_classes(const struct policy *p, int32_t cattax, struct sv id);
/* Whether policy_segment_classes would say POLICY_UNREADABLE, without looking the id up (no table probe). */
bool policy_segment_unreadable(const struct policy *p, int32_t segtax, struct sv id);
/* policy_key(segtax, id), and in *unreadable policy_segment_unreadable(p, segtax, id) (p not NULL): both
 * from one reading of the id, for a request's segments packed once (sensitive_prepare). */
uint64_t policy_segment_key(const struct policy *p, int32_t segtax, struct sv id, bool *unreadable);
/* The campaign key for key, or NULL. */
const struct policy_camp_key *policy_camp_find(const struct policy_camp *pc, uint64_t key);

/* Writes the id part of key ("588") into buf (at least POLICY_ID_MAX + 1 bytes); returns its length. */
size_t policy_key_id(uint64_t key, char *buf);

/* ---- inline definitions ---- */

/* a[0..n) == b[0..n) for 1 <= n <= 32 (a canonical id's length), without a memcmp call: words, the last one
 * overlapping, or for 1 to 3 bytes the first, middle and last. */
static inline bool policy_id_bytes_eq_(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return x0 == y0 && x1 == y1;
    }
    return a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1];
}

static inline bool policy_id_in_known(const struct sv *v, uint32_t n, bool v_canonical, struct sv id,
                                      bool id_canonical)
{
    if (!v_canonical || !id_canonical) return policy_id_in(v, n, id);
    /* canonical ids are 1 to 32 bytes: the compare needs no call, so this path needs no stack frame */
    for (uint32_t i = 0; i < n; i++)
        if (v[i].n == id.n && policy_id_bytes_eq_(v[i].p, id.p, id.n)) return true;
    return false;
}

#endif
