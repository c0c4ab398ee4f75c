/* tcf: IAB TCF v2.2/v2.3 TC string decoder. Decodes the core segment, the Disclosed Vendors, Allowed
 * Vendors and Publisher TC segments into a small struct that keeps views (bit offsets) into the decoded
 * bytes instead of materialising vendor lists, so a per-request lookup allocates nothing.
 * Pure: no allocation, no I/O; thread-safe (no shared state). */
#ifndef FAIRBID_FILTERS_TCF_H
#define FAIRBID_FILTERS_TCF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCF_MAX_VENDOR 65535
#define TCF_NUM_PURPOSES 24
#define TCF_NUM_SPECIAL_FEATURES 12

/* X-macro: name, value, message. Values are stable (tests and logs use them). */
#define TCF_ERRORS(X)                                                                                        \
    X(TCF_EEMPTY, -1, "empty TC string")                                                                     \
    X(TCF_EB64, -2, "bad character (not base64url)")                                                         \
    X(TCF_ESCRATCH, -3, "scratch buffer too small")                                                          \
    X(TCF_ESHORT, -4, "core segment too short")                                                              \
    X(TCF_EVERSION, -5, "version is not 2")                                                                  \
    X(TCF_EVLV, -6, "vendor list version is 0")                                                              \
    X(TCF_ELANG, -7, "consent language or publisher country code is not two letters A-Z")                    \
    X(TCF_EBITFIELD, -8, "vendor bitfield truncated")                                                        \
    X(TCF_ERANGE_TRUNC, -9, "vendor range section truncated")                                                \
    X(TCF_ERANGE_ORDER, -10, "range start greater than end")                                                 \
    X(TCF_ERANGE_MAX, -11, "range past max vendor id")                                                       \
    X(TCF_ERANGE_ZERO, -12, "vendor id 0 in a range")                                                        \
    X(TCF_ERESTR_TRUNC, -13, "publisher restrictions truncated")                                             \
    X(TCF_ERESTR_PURPOSE, -14, "publisher restriction purpose id is 0")                                      \
    X(TCF_ERESTR_TYPE, -15, "publisher restriction type 3 (no longer returned: type 3 is accepted)")         \
    X(TCF_ESEG_EMPTY, -16, "empty segment")                                                                  \
    X(TCF_ESEG_TYPE, -17, "unknown segment type")                                                            \
    X(TCF_ESEG_DUP, -18, "segment appears twice")                                                            \
    X(TCF_ESEG_SHORT, -19, "disclosed, allowed or publisher segment truncated")                              \
    X(TCF_EPOLICY_SERVICE, -20, "policy: IsServiceSpecific must be 1")                                       \
    X(TCF_EPOLICY_DISCLOSED, -21, "policy: Disclosed Vendors segment required for strings from 2026-03-01")  \
    X(TCF_EPOLICY_VERSION, -22, "policy version newer than TCF 2.3 (5): rules unknown")

enum tcf_err {
#define TCF_ENUM_(name, val, msg) name = val,
    TCF_ERRORS(TCF_ENUM_)
#undef TCF_ENUM_
};

/* Message for a tcf_* return code (0 is "ok"; unknown codes get a generic text). Never NULL. */
const char *tcf_strerror(int err);

/* A vendor set as stored in the string: bitfield (bit v-1 means vendor v) or range entries. */
struct tcf_vset {
    const uint8_t *p;     /* decoded bytes of the segment (in the caller's scratch) */
    uint32_t nbytes;      /* readable bytes at p */
    uint32_t off;         /* bit offset of the first bitfield bit, or of the first range entry */
    uint16_t max_id;      /* MaxVendorId */
    uint16_t num_entries; /* range entries (is_range only) */
    bool is_range;
    bool present; /* false: segment absent, the set is empty */
};

struct tcf {
    /* Core segment, field names after the TCF spec. */
    uint8_t version;
    uint64_t created;      /* deciseconds since the Unix epoch */
    uint64_t last_updated; /* deciseconds since the Unix epoch */
    uint16_t cmp_id;
    uint16_t cmp_version;
    uint8_t consent_screen;
    char consent_language[3]; /* "EN" */
    uint16_t vendor_list_version;
    uint8_t policy_version;
    bool is_service_specific;
    bool use_non_standard_texts;
    uint16_t special_feature_optins; /* bit f-1 for special feature f (1..12) */
    uint32_t purpose_consents;       /* bit p-1 for purpose p (1..24) */
    uint32_t purpose_li;             /* bit p-1: legitimate interest transparency established */
    bool purpose_one_treatment;
    char publisher_cc[3]; /* "AA" */
    struct tcf_vset vendor_consents;
    struct tcf_vset vendor_li;
    /* Publisher restrictions: a view, scanned on lookup. */
    const uint8_t *restr_p;
    uint32_t restr_nbytes;
    uint32_t restr_off; /* bit offset of the first restriction group */
    uint16_t num_restrictions;

    /* Other segments. */
    struct tcf_vset disclosed; /* segment type 1 */
    struct tcf_vset allowed;   /* segment type 2 (deprecated in 2.2, still decoded) */
    bool has_publisher_tc;     /* segment type 3 */
    uint32_t pub_purpose_consents;
    uint32_t pub_purpose_li;
    uint8_t num_custom_purposes;  /* 0..63 */
    uint64_t pub_custom_consents; /* bit i-1 for custom purpose i */
    uint64_t pub_custom_li;
};

/* Decodes the TC string s[0..n) (segments separated by '.', base64url without padding; a trailing '='
 * is tolerated). The decoded bytes go to scratch[0..scratch_cap), which needs about 3n/4 bytes
 * (tcf_scratch_need(n)); `out` borrows scratch and stays valid while scratch does and is unchanged.
 * Returns 0 or a TCF_E* code; on error *out is unspecified. Every read is bounded by the decoded length.
 * Cost: one pass over the string plus one walk over each range section (to validate it). */
int tcf_decode(const char *s, size_t n, uint8_t *scratch, size_t scratch_cap, struct tcf *out);

/* Scratch bytes tcf_decode needs for an n-character string. */
size_t tcf_scratch_need(size_t n);

/* Newest TCF policy version whose rules fairbid implements (TCF 2.3). */
#define TCF_MAX_POLICY_VERSION 5

/* TCF 2.2+ policy checks that are not about the encoding. Both modes refuse a policy version above
 * TCF_MAX_POLICY_VERSION (its rules are unknown, so no grant in it can be read). strict = 0 (lenient, legacy
 * strings) accepts anything else that decoded; strict = 1 requires IsServiceSpecific = 1 and, for strings
 * created or last updated on or after 2026-03-01, a Disclosed Vendors segment (the later of the two dates
 * counts: a Created of 0 must not date a string back past the rule). Returns 0 or TCF_EPOLICY_*. */
int tcf_check_policy(const struct tcf *tc, int strict);

/* Lookups; out-of-range ids answer false (or -1). All are O(1) for bitfields and O(entries) for ranges. */
bool tcf_purpose_consent(const struct tcf *tc, int purpose);
/* Raw LI transparency bit for purpose p. */
bool tcf_purpose_li(const struct tcf *tc, int purpose);
/* LI as a legal basis under the chosen mode: strict mode ignores LI for purposes 3-6 (TCF 2.2 policy:
 * personalised advertising and content need consent), and for purpose 1, which never allowed LI. */
bool tcf_purpose_li_ok(const struct tcf *tc, int purpose, int strict);
bool tcf_special_feature(const struct tcf *tc, int feature);
bool tcf_vendor_consent(const struct tcf *tc, int vendor);
bool tcf_vendor_li(const struct tcf *tc, int vendor);
bool tcf_disclosed(const struct tcf *tc, int vendor);
bool tcf_allowed(const struct tcf *tc, int vendor);
bool tcf_pub_purpose_consent(const struct tcf *tc, int purpose);
bool tcf_pub_purpose_li(const struct tcf *tc, int purpose);
/* Whether vendor v is in vendor set vs (for walking a set without knowing which one it is). */
bool tcf_vset_has(const struct tcf_vset *vs, int vendor);
/* Restriction type (0 not allowed, 1 require consent, 2 require LI) the publisher set for vendor v and
 * purpose p, or -1 if none. If several groups name the pair, the most restrictive (lowest) wins. Type 3
 * (undefined in the TCF spec) is answered as 0, not allowed: a restriction we cannot read restricts that
 * purpose for that vendor only; the string itself stays valid (tcf_restriction_group shows the raw 3). */
int tcf_restriction(const struct tcf *tc, int purpose, int vendor);

/* Walks publisher restriction group i (0 <= i < num_restrictions): fills purpose and type and returns
 * the bit offset of its entries and their count through *entries_off / *num_entries. O(i) per call. */
int tcf_restriction_group(const struct tcf *tc, unsigned i, int *purpose, int *type, uint32_t *entries_off,
                          unsigned *num_entries);

/* Iterates range entries starting at bit *off of p: returns false when count runs out, else fills
 * [*start, *end] and advances *off. For callers that print or copy sets (the CLI, tests). */
bool tcf_range_next(const uint8_t *p, uint32_t *off, unsigned *start, unsigned *end);

#endif
