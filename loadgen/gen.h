/* gen: the built-in OpenRTB 2.6 traffic generator. Request k of a run is a pure function of (options, seed,
 * k): the same seed gives byte-identical traffic. Every privacy signal fairbid reads is drawn from a share
 * knob: GDPR with real TC strings, GPP US National with opt-outs and sensitive-data consents, US Privacy,
 * GPC, COPPA, DSA, minors; plus audience segments from each policy class, demographic groups, imps per
 * request and user ids from a fixed population (so consent records stored under those ids are hit). */
#ifndef FAIRBID_LOADGEN_GEN_H
#define FAIRBID_LOADGEN_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "filters/buf.h"
#include "loadgen/consent.h"

/* Demographic groups, as user.gender carries them and as the exchange simulation and fairness quotas count.
 */
#define GEN_GROUPS(X)                                                                                        \
    X(MALE, "male", "M")                                                                                     \
    X(FEMALE, "female", "F")                                                                                 \
    X(OTHER, "other", "O")                                                                                   \
    X(UNKNOWN, "unknown", NULL)

enum gen_group {
#define X(e, name, code) GEN_GROUP_##e,
    GEN_GROUPS(X)
#undef X
        GEN_NGROUPS
};
extern const char *const gen_group_names[GEN_NGROUPS];

/* Segment classes with a few Audience Taxonomy 1.1 (segtax 4) ids each. The class names follow the policy's
 * (issue 5): a request carrying a segment of class C exercises the rule for C. */
#define GEN_SEGCLASSES(X)                                                                                    \
    X(ORDINARY, "ordinary", 0.6)                                                                             \
    X(DEMOGRAPHIC, "demographic", 0.3)                                                                       \
    X(HEALTH, "health", 0.05)                                                                                \
    X(POLITICS, "politics", 0.03)                                                                            \
    X(RELIGION, "religion", 0.03)                                                                            \
    X(ETHNICITY, "ethnicity", 0.02)                                                                          \
    X(FINANCIAL_HARDSHIP, "financial_hardship", 0.03)                                                        \
    X(ADDICTION, "addiction", 0.03)                                                                          \
    X(MINOR, "minor", 0.02)

enum gen_segclass {
#define X(e, name, def) GEN_SEG_##e,
    GEN_SEGCLASSES(X)
#undef X
        GEN_NSEGCLASSES
};
extern const char *const gen_segclass_names[GEN_NSEGCLASSES];

#define GEN_NPURPOSES 10
#define GEN_MAX_IMPS 16

struct gen_opts {
    uint64_t seed;
    uint32_t users;    /* population of user ids "lg-user-<n>", n < users; 0 sends no user id */
    double gdpr_share; /* regs.gdpr = 1 with a TC string in user.consent */
    double purpose_share[GEN_NPURPOSES]; /* per purpose 1..10: share of TC strings consenting */
    double vendor_share;                 /* share of TC strings consenting to vendor_id */
    uint16_t vendor_id;                  /* fairbid's TCF vendor id */
    int tcf_enc;                         /* enum consent_vendor_enc, or GEN_TCF_MIXED */
    double tcf_global_share; /* TC strings with IsServiceSpecific = 0 (invalid under TCF 2.2); default 0 */
    double gpp_share;        /* non-GDPR requests with a GPP US National string */
    double optout_share;     /* sale, sharing and targeted-advertising opt-outs, each */
    double sensitive_consent_share; /* each US National sensitive-data category consented */
    double usp_share;               /* regs.us_privacy present; opted out with optout_share */
    double gpc_share, coppa_share, minor_share, dsa_share;
    double seg_share[GEN_NSEGCLASSES]; /* chance a request carries a segment of the class */
    double group_share[GEN_NGROUPS];   /* the rest of 1 after male+female+other is unknown */
    unsigned imps_min, imps_max;
};
#define GEN_TCF_MIXED 3 /* bitfield or range, drawn per string, so both encodings are on the wire */

/* What the generator knows about a request that the response will not say. */
struct gen_meta {
    uint8_t group; /* enum gen_group */
    uint8_t nimps;
    bool gdpr, gpp, minor;
};

/* Fills the defaults (documented in docs/loadgen.md). */
void gen_opts_default(struct gen_opts *o);

/* Writes request `index` as JSON into out (check out->overflow). Deterministic in (o, index). */
void gen_request(const struct gen_opts *o, uint64_t index, struct buf *out, struct gen_meta *meta);

/* The privacy strings alone, for the interop check (tests/interop/check_loadgen_strings.js): for requests
 * 0..n-1, one line per string, "tcf <string> <json>" or "gpp <string> <json>", where the JSON gives the
 * fields the generator meant to encode, named as IAB's reference libraries name them. */
void gen_dump_strings(const struct gen_opts *o, uint64_t n, FILE *f);

#endif
