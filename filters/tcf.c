/* tcf: TC string decoder. Validates every range while decoding so that the lookups afterwards can read
 * the stored views without bound checks. See tcf.h for the contract. */
#include "filters/tcf.h"

#include <string.h>

#include "filters/bits.h"

/* Bits of the core segment's fixed fields, Version through PublisherCC. */
#define CORE_FIXED_BITS 213
/* 2026-03-01T00:00:00Z in deciseconds: from then on strict mode wants the Disclosed Vendors segment. */
#define DISCLOSED_REQUIRED_FROM 17723232000ull

enum { SEG_CORE = 0, SEG_DISCLOSED = 1, SEG_ALLOWED = 2, SEG_PUBLISHER_TC = 3 };

const char *tcf_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
#define TCF_MSG_(name, val, msg)                                                                             \
    case name:                                                                                               \
        return msg;
        TCF_ERRORS(TCF_MSG_)
#undef TCF_MSG_
    }
    return "unknown tcf error";
}

size_t tcf_scratch_need(size_t n)
{
    /* Each segment needs ceil(6k/8) <= k bytes for k characters. */
    return n;
}

/* Reads two 6-bit letters (A = 0). */
static int read_letters(struct bits *b, char out[3])
{
    for (int i = 0; i < 2; i++) {
        unsigned v = (unsigned)bits_read(b, 6);
        if (v > 25) return TCF_ELANG;
        out[i] = (char)('A' + v);
    }
    out[2] = '\0';
    return 0;
}

/* Validates range entries (count given) at b's position and advances past them. Ids above max_id are an
 * error (publisher restrictions pass UINT32_MAX: they have no MaxVendorId). */
static int walk_ranges(struct bits *b, unsigned count, uint32_t max_id, int trunc_err)
{
    for (unsigned i = 0; i < count; i++) {
        /* IsARange and the start id in one read. */
        unsigned head = (unsigned)bits_read(b, 17);
        unsigned start = head & 0xffff;
        unsigned end = (head >> 16) ? (unsigned)bits_read(b, 16) : start;
        if (b->err) return trunc_err;
        if (start == 0) return TCF_ERANGE_ZERO;
        if (end < start) return TCF_ERANGE_ORDER;
        if (end > max_id) return TCF_ERANGE_MAX;
    }
    return 0;
}

/* MaxVendorId, IsRangeEncoding, then a bitfield or range entries. */
static int parse_vset(struct bits *b, struct tcf_vset *vs, int short_err)
{
    vs->p = b->p;
    vs->nbytes = (uint32_t)b->nbytes;
    vs->max_id = (uint16_t)bits_read(b, 16);
    vs->is_range = bits_read(b, 1);
    if (b->err) return short_err;
    vs->present = true;
    if (!vs->is_range) {
        if (bits_left(b) < vs->max_id) return TCF_EBITFIELD;
        vs->off = (uint32_t)b->pos;
        vs->num_entries = 0;
        bits_skip(b, vs->max_id);
        return 0;
    }
    vs->num_entries = (uint16_t)bits_read(b, 12);
    if (b->err) return TCF_ERANGE_TRUNC;
    vs->off = (uint32_t)b->pos;
    return walk_ranges(b, vs->num_entries, vs->max_id, TCF_ERANGE_TRUNC);
}

static int parse_restrictions(struct bits *b, struct tcf *tc)
{
    tc->restr_p = b->p;
    tc->restr_nbytes = (uint32_t)b->nbytes;
    tc->num_restrictions = (uint16_t)bits_read(b, 12);
    if (b->err) return TCF_ERESTR_TRUNC;
    tc->restr_off = (uint32_t)b->pos;
    for (unsigned i = 0; i < tc->num_restrictions; i++) {
        unsigned purpose = (unsigned)bits_read(b, 6);
        (void)bits_read(b, 2); /* RestrictionType: every value is accepted, see below */
        unsigned count = (unsigned)bits_read(b, 12);
        if (b->err) return TCF_ERESTR_TRUNC;
        if (purpose == 0) return TCF_ERESTR_PURPOSE;
        /* RestrictionType 3 is "undefined" in the spec, not invalid: the string is kept and tcf_restriction
         * reads the group as "not allowed" for its purpose and vendors (Prebid Server parses such strings
         * too; rejecting the string would turn every request carrying it into no bid at all) */
        int rc = walk_ranges(b, count, UINT32_MAX, TCF_ERESTR_TRUNC);
        if (rc) return rc;
    }
    return 0;
}

/* Bit-reversed bytes, for turning "item 1 first" fields into "bit i-1 for item i" masks. */
static const uint8_t rev8[256] = {
#define R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define R4(n) R2(n), R2(n + 2 * 16), R2(n + 1 * 16), R2(n + 3 * 16)
#define R6(n) R4(n), R4(n + 2 * 4), R4(n + 1 * 4), R4(n + 3 * 4)
    R6(0), R6(2), R6(1), R6(3)
#undef R2
#undef R4
#undef R6
};

/* Reverses the low `n` (0..64) bits of v. */
static uint64_t rev_bits(uint64_t v, unsigned n)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++) r = (r << 8) | rev8[(v >> (8 * i)) & 0xff];
    return n ? r >> (64 - n) : 0;
}

static int parse_core(const uint8_t *p, size_t nbits, struct tcf *tc)
{
    struct bits b;
    bits_init(&b, p, nbits);
    if (nbits < 6) return TCF_ESHORT;
    tc->version = (uint8_t)bits_read(&b, 6);
    if (tc->version != 2) return TCF_EVERSION;
    if (nbits < CORE_FIXED_BITS) return TCF_ESHORT;
    tc->created = bits_read(&b, 36);
    tc->last_updated = bits_read(&b, 36);
    tc->cmp_id = (uint16_t)bits_read(&b, 12);
    tc->cmp_version = (uint16_t)bits_read(&b, 12);
    tc->consent_screen = (uint8_t)bits_read(&b, 6);
    int rc = read_letters(&b, tc->consent_language);
    if (rc) return rc;
    tc->vendor_list_version = (uint16_t)bits_read(&b, 12);
    if (tc->vendor_list_version == 0) return TCF_EVLV;
    tc->policy_version = (uint8_t)bits_read(&b, 6);
    tc->is_service_specific = bits_read(&b, 1);
    tc->use_non_standard_texts = bits_read(&b, 1);
    tc->special_feature_optins = (uint16_t)bits_read(&b, 12);
    tc->purpose_consents = (uint32_t)bits_read(&b, 24);
    tc->purpose_li = (uint32_t)bits_read(&b, 24);
    tc->purpose_one_treatment = bits_read(&b, 1);
    rc = read_letters(&b, tc->publisher_cc);
    if (rc) return rc;
    /* The string stores purpose 1 in the first (most significant) bit; we keep bit p-1 for purpose p. */
    tc->purpose_consents = (uint32_t)rev_bits(tc->purpose_consents, 24);
    tc->purpose_li = (uint32_t)rev_bits(tc->purpose_li, 24);
    tc->special_feature_optins = (uint16_t)rev_bits(tc->special_feature_optins, 12);

    if ((rc = parse_vset(&b, &tc->vendor_consents, TCF_ESHORT))) return rc;
    if ((rc = parse_vset(&b, &tc->vendor_li, TCF_ESHORT))) return rc;
    return parse_restrictions(&b, tc);
}

static int parse_segment(const uint8_t *p, size_t nbits, struct tcf *tc)
{
    struct bits b;
    bits_init(&b, p, nbits);
    unsigned type = (unsigned)bits_read(&b, 3);
    if (b.err) return TCF_ESEG_SHORT;
    switch (type) {
    case SEG_CORE:
        return TCF_ESEG_DUP;
    case SEG_DISCLOSED:
        if (tc->disclosed.present) return TCF_ESEG_DUP;
        return parse_vset(&b, &tc->disclosed, TCF_ESEG_SHORT);
    case SEG_ALLOWED:
        if (tc->allowed.present) return TCF_ESEG_DUP;
        return parse_vset(&b, &tc->allowed, TCF_ESEG_SHORT);
    case SEG_PUBLISHER_TC: {
        if (tc->has_publisher_tc) return TCF_ESEG_DUP;
        tc->pub_purpose_consents = (uint32_t)rev_bits(bits_read(&b, 24), 24);
        tc->pub_purpose_li = (uint32_t)rev_bits(bits_read(&b, 24), 24);
        unsigned nc = (unsigned)bits_read(&b, 6);
        tc->num_custom_purposes = (uint8_t)nc;
        tc->pub_custom_consents = rev_bits(bits_read(&b, nc), nc);
        tc->pub_custom_li = rev_bits(bits_read(&b, nc), nc);
        if (b.err) return TCF_ESEG_SHORT;
        tc->has_publisher_tc = true;
        return 0;
    }
    default:
        return TCF_ESEG_TYPE;
    }
}

int tcf_decode(const char *s, size_t n, uint8_t *scratch, size_t scratch_cap, struct tcf *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return TCF_EEMPTY;
    size_t used = 0;
    size_t i = 0;
    for (int seg = 0;; seg++) {
        size_t j = i;
        /* memchr, not a byte loop: this scan over the whole string cost as much as the field reads */
        const char *dot = memchr(s + i, '.', n - i);
        j = dot ? (size_t)(dot - s) : n;
        if (j == i) return TCF_ESEG_EMPTY;
        size_t nbits;
        int rc = bits_b64url_decode(s + i, j - i, scratch + used, scratch_cap - used, &nbits);
        if (rc == BITS_EB64) return TCF_EB64;
        if (rc) return TCF_ESCRATCH;
        const uint8_t *p = scratch + used;
        used += bits_b64url_need(nbits / 6);
        rc = seg == 0 ? parse_core(p, nbits, out) : parse_segment(p, nbits, out);
        if (rc) return rc;
        if (j == n) break;
        i = j + 1;
        if (i == n) return TCF_ESEG_EMPTY; /* trailing '.' */
    }
    return 0;
}

int tcf_check_policy(const struct tcf *tc, int strict)
{
    /* a future policy may change what a bit means (2.2 did for LI): unknown rules restrict */
    if (tc->policy_version > TCF_MAX_POLICY_VERSION) return TCF_EPOLICY_VERSION;
    if (!strict) return 0;
    if (!tc->is_service_specific) return TCF_EPOLICY_SERVICE;
    /* Created and LastUpdated are both the CMP's word; a string saved (LastUpdated) under the new rule is
     * under it whatever its Created says (found by the red-team audit: Created 0 skipped the rule) */
    uint64_t when = tc->created > tc->last_updated ? tc->created : tc->last_updated;
    if (when >= DISCLOSED_REQUIRED_FROM && !tc->disclosed.present) return TCF_EPOLICY_DISCLOSED;
    return 0;
}

/* ---- lookups ---------------------------------------------------------------------------------- */

bool tcf_purpose_consent(const struct tcf *tc, int purpose)
{
    return purpose >= 1 && purpose <= TCF_NUM_PURPOSES && ((tc->purpose_consents >> (purpose - 1)) & 1u);
}

bool tcf_purpose_li(const struct tcf *tc, int purpose)
{
    return purpose >= 1 && purpose <= TCF_NUM_PURPOSES && ((tc->purpose_li >> (purpose - 1)) & 1u);
}

bool tcf_purpose_li_ok(const struct tcf *tc, int purpose, int strict)
{
    if (strict && (purpose == 1 || (purpose >= 3 && purpose <= 6))) return false;
    return tcf_purpose_li(tc, purpose);
}

bool tcf_special_feature(const struct tcf *tc, int feature)
{
    return feature >= 1 && feature <= TCF_NUM_SPECIAL_FEATURES &&
           ((tc->special_feature_optins >> (feature - 1)) & 1u);
}

bool tcf_pub_purpose_consent(const struct tcf *tc, int purpose)
{
    return purpose >= 1 && purpose <= TCF_NUM_PURPOSES && ((tc->pub_purpose_consents >> (purpose - 1)) & 1u);
}

bool tcf_pub_purpose_li(const struct tcf *tc, int purpose)
{
    return purpose >= 1 && purpose <= TCF_NUM_PURPOSES && ((tc->pub_purpose_li >> (purpose - 1)) & 1u);
}

/* One range entry at *off (already validated by walk_ranges): fills [*start, *end], advances *off. */
static inline void range_at(const uint8_t *p, uint32_t nbytes, uint32_t *off, unsigned *start, unsigned *end)
{
    unsigned head = (unsigned)bits_peek(p, nbytes, *off, 17);
    *start = head & 0xffff;
    if (head >> 16) {
        *end = (unsigned)bits_peek(p, nbytes, *off + 17, 16);
        *off += 33;
    } else {
        *end = *start;
        *off += 17;
    }
}

bool tcf_range_next(const uint8_t *p, uint32_t *off, unsigned *start, unsigned *end)
{
    range_at(p, 0, off, start, end); /* nbytes 0: the byte-at-a-time path, no length needed */
    return true;
}

/* Linear scan: entries have two sizes (17 or 33 bits), so there is no index to bisect without storing
 * one; a 600-vendor string has a few dozen entries at most. */
static bool ranges_have(const uint8_t *p, uint32_t nbytes, uint32_t off, unsigned count, unsigned v)
{
    for (unsigned i = 0; i < count; i++) {
        unsigned s, e;
        range_at(p, nbytes, &off, &s, &e);
        if (v >= s && v <= e) return true;
    }
    return false;
}

bool tcf_vset_has(const struct tcf_vset *vs, int vendor)
{
    if (!vs->present || vendor < 1 || vendor > vs->max_id) return false;
    if (!vs->is_range) return bits_bit(vs->p, vs->off + (uint32_t)vendor - 1);
    return ranges_have(vs->p, vs->nbytes, vs->off, vs->num_entries, (unsigned)vendor);
}

bool tcf_vendor_consent(const struct tcf *tc, int vendor)
{
    return tcf_vset_has(&tc->vendor_consents, vendor);
}

bool tcf_vendor_li(const struct tcf *tc, int vendor)
{
    return tcf_vset_has(&tc->vendor_li, vendor);
}

bool tcf_disclosed(const struct tcf *tc, int vendor)
{
    return tcf_vset_has(&tc->disclosed, vendor);
}

bool tcf_allowed(const struct tcf *tc, int vendor)
{
    return tcf_vset_has(&tc->allowed, vendor);
}

/* Size in bits of `count` range entries starting at off. */
static uint32_t ranges_skip(const uint8_t *p, uint32_t off, unsigned count)
{
    for (unsigned i = 0; i < count; i++) off += bits_bit(p, off) ? 33 : 17;
    return off;
}

int tcf_restriction_group(const struct tcf *tc, unsigned i, int *purpose, int *type, uint32_t *entries_off,
                          unsigned *num_entries)
{
    if (i >= tc->num_restrictions) return -1;
    uint32_t off = tc->restr_off;
    for (unsigned k = 0;; k++) {
        unsigned count = (unsigned)bits_get(tc->restr_p, off + 8, 12);
        if (k == i) {
            *purpose = (int)bits_get(tc->restr_p, off, 6);
            *type = (int)bits_get(tc->restr_p, off + 6, 2);
            *entries_off = off + 20;
            *num_entries = count;
            return 0;
        }
        off = ranges_skip(tc->restr_p, off + 20, count);
    }
}

int tcf_restriction(const struct tcf *tc, int purpose, int vendor)
{
    int best = -1;
    uint32_t off = tc->restr_off;
    for (unsigned k = 0; k < tc->num_restrictions; k++) {
        unsigned head = (unsigned)bits_peek(tc->restr_p, tc->restr_nbytes, off, 20);
        int p = (int)(head >> 14);
        int t = (int)((head >> 12) & 3);
        if (t == 3) t = 0; /* undefined type: fail toward privacy for this purpose and vendor only */
        unsigned count = head & 0xfff;
        off += 20;
        if (p == purpose && vendor >= 1 && (best < 0 || t < best) &&
            ranges_have(tc->restr_p, tc->restr_nbytes, off, count, (unsigned)vendor))
            best = t;
        off = ranges_skip(tc->restr_p, off, count);
    }
    return best;
}
