/* consent: encoders for the privacy strings the built-in traffic generator sends: IAB TCF v2.2 TC strings
 * (core segment with bitfield or range vendor sections, optional disclosed-vendors segment), GPP strings (v1
 * header plus the US National section, version 2, with its optional GPC subsection) and US Privacy strings.
 * Encoding only: the decoders that fairbid trusts live in filters/, and tests/interop checks our output
 * against IAB's reference libraries. Pure, no allocation: callers give the output buffer. */
#ifndef FAIRBID_LOADGEN_CONSENT_H
#define FAIRBID_LOADGEN_CONSENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSENT_TCF_MAX_VENDOR 65535
#define CONSENT_USNAT_SENSITIVE 16 /* US National v2 sensitive-data categories */
#define CONSENT_USNAT_CHILD 3

enum consent_vendor_enc {
    CONSENT_ENC_BITFIELD = 0,
    CONSENT_ENC_RANGE = 1,
    CONSENT_ENC_SHORTEST = 2, /* what real CMPs do: whichever is fewer bits */
};

struct consent_tcf {
    uint64_t created_ds, updated_ds; /* deciseconds since the epoch */
    uint16_t cmp_id, cmp_version;
    uint8_t consent_screen;
    char lang[2]; /* "EN" */
    uint16_t vendor_list_version;
    uint8_t policy_version; /* 5 for TCF v2.2 */
    bool service_specific, non_standard_texts, purpose_one_treatment;
    uint16_t special_features; /* bit i = special feature i + 1 (12 bits) */
    uint32_t purposes_consent; /* bit i = purpose i + 1 (24 bits) */
    uint32_t purposes_li;
    char publisher_cc[2]; /* "DE" */
    /* Sorted, unique vendor ids in 1..65535; borrowed for the call. */
    const uint16_t *vendor_consent;
    size_t n_vendor_consent;
    const uint16_t *vendor_li;
    size_t n_vendor_li;
    const uint16_t *disclosed; /* NULL: no disclosed-vendors segment */
    size_t n_disclosed;
    enum consent_vendor_enc enc;
};

/* Writes the TC string (NUL-terminated) into out. Returns its length, or -1 when cap is too small or an input
 * is out of range. Cost: O(max vendor id) bits. */
int consent_tcf_encode(const struct consent_tcf *t, char *out, size_t cap);

/* US National (GPP section 7, version 2). Values are the GPP ones: 0 not applicable, 1 yes/opted out or
 * notice given, 2 no/did not opt out ... see the GPP US National specification for each field. */
struct consent_usnat {
    uint8_t sharing_notice, sale_opt_out_notice, sharing_opt_out_notice, targeted_advertising_opt_out_notice;
    uint8_t sensitive_data_processing_opt_out_notice, sensitive_data_limit_use_notice;
    uint8_t sale_opt_out, sharing_opt_out, targeted_advertising_opt_out;
    uint8_t sensitive_data_processing[CONSENT_USNAT_SENSITIVE];
    uint8_t known_child_sensitive_data_consents[CONSENT_USNAT_CHILD];
    uint8_t personal_data_consents;
    uint8_t mspa_covered_transaction; /* 1 or 2 */
    uint8_t mspa_opt_out_option_mode, mspa_service_provider_mode;
    bool gpc_included; /* append the GPC subsection */
    bool gpc;
};

/* Writes a full GPP string "header~usnat" (NUL-terminated) into out. Returns its length or -1. */
int consent_gpp_usnat_encode(const struct consent_usnat *u, char *out, size_t cap);

/* Writes a US Privacy string "1NYN" style: version 1, notice, opt-out of sale, LSPA. Values 'Y', 'N' or '-'.
 */
int consent_usp_encode(char notice, char opt_out, char lspa, char *out, size_t cap);

#endif
