/* gpp: IAB Global Privacy Platform string decoder. Decodes the header (type 3, version 1, Fibonacci-coded
 * section ids), the TCF EU v2 section (2, through tcf), US Privacy (6, through usp), US National (7, v1
 * and v2) and the US state sections 8-27 with their GPC or sensitive-data sub-sections. Sections it does
 * not know (e.g. TCF Canada, 5) are listed and skipped. Pure: no allocation, no I/O, thread-safe. */
#ifndef FAIRBID_FILTERS_GPP_H
#define FAIRBID_FILTERS_GPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/tcf.h"
#include "filters/usp.h"

#define GPP_MAX_SECTIONS 32  /* a header naming more sections is rejected */
#define GPP_US_MAX_VALUES 40 /* flattened field values of the largest US section (US National v2: 33) */
#define GPP_SID_TCFEU 2
#define GPP_SID_USP 6
#define GPP_SID_USNAT 7

#define GPP_ERRORS(X)                                                                                        \
    X(GPP_EEMPTY, -1, "empty GPP string")                                                                    \
    X(GPP_EB64, -2, "bad character (not base64url)")                                                         \
    X(GPP_ESCRATCH, -3, "scratch buffer too small")                                                          \
    X(GPP_EHEADER_SHORT, -4, "header truncated")                                                             \
    X(GPP_EHEADER_TYPE, -5, "header type is not 3")                                                          \
    X(GPP_EHEADER_VERSION, -6, "header version is not 1")                                                    \
    X(GPP_EHEADER_IDS, -7, "section id range malformed")                                                     \
    X(GPP_ETOO_MANY, -8, "more sections than GPP_MAX_SECTIONS")                                              \
    X(GPP_ESECTION_COUNT, -9, "number of sections differs from the header's section ids")                    \
    X(GPP_ESECTION_EMPTY, -10, "empty section")                                                              \
    X(GPP_ESECTION_LONG, -11, "US section longer than its layout and padding")                               \
    X(GPP_ESECTION_SHORT, -12, "US section truncated")                                                       \
    X(GPP_ESECTION_VERSION, -13, "US section version not supported")                                         \
    X(GPP_EFIELD_VALUE, -14, "US section field has the reserved value 3")                                    \
    X(GPP_ESUB_SHORT, -15, "US sub-section (GPC or sensitive data) empty or truncated")                      \
    X(GPP_ETCF, -16, "TCF EU v2 section invalid (see tcf_err)")                                              \
    X(GPP_EUSP, -17, "US Privacy section invalid (see usp_err)")                                             \
    X(GPP_ESUB_UNDEFINED, -18, "sub-section on a US section whose spec defines none, or a second one")       \
    X(GPP_ESUB_TYPE, -19, "US sub-section type undefined (only 1, GPC, is defined)")                         \
    X(GPP_ESUB_LONG, -20, "US sub-section longer than its layout and padding")

enum gpp_err {
#define GPP_ENUM_(name, val, msg) name = val,
    GPP_ERRORS(GPP_ENUM_)
#undef GPP_ENUM_
};

const char *gpp_strerror(int err);

enum gpp_sub { GPP_SUB_NONE = 0, GPP_SUB_GPC = 1, GPP_SUB_SENSITIVE = 2 };

/* One field of a US section layout. Names are @iabgpp/cmpapi's field names. */
struct gpp_field_def {
    const char *name;
    uint8_t bits;  /* per element */
    uint8_t count; /* elements */
    bool list;     /* the reference library shows it as an array */
};

struct gpp_section_def {
    uint16_t id;
    uint8_t version;
    const char *name; /* "usnat", "usca", ... */
    uint8_t sub;      /* enum gpp_sub */
    /* A core marked with this version whose length is exactly this row's layout (padded) is decoded with
     * this row's layout: iabgpp-java and @iabgpp/cmpapi 3.1.x write US National "Version 1" in the
     * Version 2 layout. 0: none. */
    uint8_t compat_version;
    uint8_t nfields;
    const struct gpp_field_def *fields; /* fields[0] is the 6-bit version */
};

/* Layout for section id and version, or NULL. */
const struct gpp_section_def *gpp_section_def(int id, int version);
/* Name of a known section id ("tcfeuv2", "uspv1", "usnat", ...) or NULL. */
const char *gpp_section_name(int id);

/* A decoded US section (national or state). */
struct gpp_us {
    const struct gpp_section_def *def; /* the layout decoded (def->version may differ from val[0]) */
    uint8_t val[GPP_US_MAX_VALUES];    /* values in def->fields order, lists expanded */
    bool sub_included;                 /* the '.'-separated sub-section was present */
    uint8_t gpc_segment_type;          /* GPP_SUB_GPC: 1 unless the string says otherwise */
    bool gpc;                          /* GPP_SUB_GPC */
    uint8_t sub_sensitive[8];          /* GPP_SUB_SENSITIVE: SensitiveDataProcessing of the sub-section */
    /* Where the consent rules look, as value indexes into val (-1 when the layout has no such field). */
    int8_t i_sale, i_sharing, i_targeted, i_known_child, i_sensitive;
    uint8_t n_known_child, n_sensitive;
};

enum gpp_kind { GPP_KIND_SKIPPED = 0, GPP_KIND_TCFEU, GPP_KIND_USP, GPP_KIND_US };

struct gpp {
    uint8_t type;    /* 3 */
    uint8_t version; /* 1 */
    uint8_t nsections;
    uint16_t section_ids[GPP_MAX_SECTIONS]; /* ascending, as in the header */
    uint8_t kind[GPP_MAX_SECTIONS];         /* enum gpp_kind */
    uint8_t us_index[GPP_MAX_SECTIONS];     /* GPP_KIND_US: index into us[] */
    bool has_tcfeu;
    struct tcf tcfeu; /* borrows the scratch given to gpp_decode */
    bool has_usp;
    struct usp usp;
    uint8_t nus;
    struct gpp_us us[GPP_MAX_SECTIONS];
    int sub_err; /* the tcf_/usp_ code behind GPP_ETCF / GPP_EUSP */
};

/* Decodes the GPP string s[0..n). scratch (scratch_cap bytes, n is always enough) holds the decoded TCF
 * section, which out->tcfeu borrows: keep scratch alive and unchanged while using out.
 * Returns 0 or a GPP_E* code (for GPP_ETCF / GPP_EUSP, out->sub_err has the section decoder's code).
 * Any section that fails to decode fails the whole string: a half-read string could hide an opt-out. */
int gpp_decode(const char *s, size_t n, uint8_t *scratch, size_t scratch_cap, struct gpp *out);

/* True when any US section opts out (value 1) of sale, sharing or targeted advertising, or the US
 * Privacy section says OptOutSale = 'Y'. *section_out (if not NULL) gets the first such section id. */
bool gpp_optout(const struct gpp *g, int *section_out);
/* True when any GPC sub-section has Gpc = 1. */
bool gpp_gpc(const struct gpp *g, int *section_out);
/* True when any US section's KnownChildSensitiveDataConsents is non-zero: 1 (no consent) and 2 (consent)
 * both mean the business knows it is processing a child's data. */
bool gpp_known_child(const struct gpp *g, int *section_out);
/* SensitiveDataProcessing[category - 1] of section id (0 n/a, 1 opted out / no consent, 2 consent); for
 * IN/KY/RI the sensitive-data sub-section. -1 when absent. */
int gpp_sensitive(const struct gpp *g, int section_id, int category);
/* True when a US section other than except_section refuses sensitive-data processing for any category
 * (a SensitiveDataProcessing value 1, in the section or its sensitive-data sub-section). A consent read from
 * one section (US National) yields to a state section of the same string that refuses: state categories do
 * not map one-to-one onto US National's, so any refusal counts (the stricter reading wins). */
bool gpp_sensitive_refused_elsewhere(const struct gpp *g, int except_section);
/* Any field by name: element idx of the field in section id, or -1 when absent. Linear in the fields. */
int gpp_field(const struct gpp *g, int section_id, const char *name, int idx);
/* The decoded US section with this id, or NULL. */
const struct gpp_us *gpp_us_section(const struct gpp *g, int section_id);
/* The encoded text of section id in s[0..n), the string g was decoded from: *p, *len (no '~'). False when
 * the header does not list it. O(n). */
bool gpp_section_str(const char *s, size_t n, const struct gpp *g, int section_id, const char **p,
                     size_t *len);
/* Whether the header lists section id (decoded or skipped). */
bool gpp_has_section(const struct gpp *g, int section_id);

#endif
