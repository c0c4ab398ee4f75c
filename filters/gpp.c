/* gpp: GPP string decoder. The US section layouts are data (one table row per field, widths and names as
 * in the GPP spec and @iabgpp/cmpapi), so adding a state is a table edit. See gpp.h for the contract. */
#include "filters/gpp.h"

#include <string.h>

#include "filters/bits.h"

/* US sections are a dozen characters; anything longer than this is not a layout we know. */
#define US_SECTION_MAX_CHARS 64
/* Headers name a handful of sections; a long one is still bounded by GPP_MAX_SECTIONS. */
#define HEADER_MAX_CHARS 256

const char *gpp_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
#define GPP_MSG_(name, val, msg)                                                                             \
    case name:                                                                                               \
        return msg;
        GPP_ERRORS(GPP_MSG_)
#undef GPP_MSG_
    }
    return "unknown gpp error";
}

/* ---- section layouts ---------------------------------------------------------------------------- */

static const char F_ADDITIONAL_DATA_PROCESSING_CONSENT[] = "AdditionalDataProcessingConsent";
static const char F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS[] = "KnownChildSensitiveDataConsents";
static const char F_MSPA_COVERED_TRANSACTION[] = "MspaCoveredTransaction";
static const char F_MSPA_MODE[] = "MspaMode";
static const char F_MSPA_OPT_OUT_OPTION_MODE[] = "MspaOptOutOptionMode";
static const char F_MSPA_SERVICE_PROVIDER_MODE[] = "MspaServiceProviderMode";
static const char F_MSPA_VERSION[] = "MspaVersion";
static const char F_PERSONAL_DATA_CONSENTS[] = "PersonalDataConsents";
static const char F_PROCESSING_NOTICE[] = "ProcessingNotice";
static const char F_SALE_OPT_OUT[] = "SaleOptOut";
static const char F_SALE_OPT_OUT_NOTICE[] = "SaleOptOutNotice";
static const char F_SENSITIVE_DATA_LIMIT_USE_NOTICE[] = "SensitiveDataLimitUseNotice";
static const char F_SENSITIVE_DATA_OPT_OUT_NOTICE[] = "SensitiveDataOptOutNotice";
static const char F_SENSITIVE_DATA_PROCESSING[] = "SensitiveDataProcessing";
static const char F_SENSITIVE_DATA_PROCESSING_OPT_OUT_NOTICE[] = "SensitiveDataProcessingOptOutNotice";
static const char F_SHARING_NOTICE[] = "SharingNotice";
static const char F_SHARING_OPT_OUT[] = "SharingOptOut";
static const char F_SHARING_OPT_OUT_NOTICE[] = "SharingOptOutNotice";
static const char F_TARGETED_ADVERTISING_OPT_OUT[] = "TargetedAdvertisingOptOut";
static const char F_TARGETED_ADVERTISING_OPT_OUT_NOTICE[] = "TargetedAdvertisingOptOutNotice";
static const char F_VERSION[] = "Version";
static const struct gpp_field_def fields_usnat_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_SHARING_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_LIMIT_USE_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_SHARING_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 12, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 2, true},
    {F_PERSONAL_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usnat_v2[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_SHARING_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_LIMIT_USE_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_SHARING_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 16, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_PERSONAL_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usca_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_SHARING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_LIMIT_USE_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_SHARING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 9, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 2, true},
    {F_PERSONAL_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usva_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usco_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 7, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usut_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usct_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usfl_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usmt_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_SHARING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usor_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 11, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_ustx_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usde_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 9, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 5, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usia_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SENSITIVE_DATA_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usne_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usnh_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 3, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usnj_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 10, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 5, true},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_ustn_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usmn_v1[] = {
    {F_VERSION, 6, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_SENSITIVE_DATA_PROCESSING, 2, 8, true},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_OPT_OUT_OPTION_MODE, 2, 1, false},
    {F_MSPA_SERVICE_PROVIDER_MODE, 2, 1, false},
};
static const struct gpp_field_def fields_usmd_v1[] = {
    {F_MSPA_VERSION, 6, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_MODE, 2, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
};
static const struct gpp_field_def fields_usin_v1[] = {
    {F_MSPA_VERSION, 6, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_MODE, 2, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
};
static const struct gpp_field_def fields_usky_v1[] = {
    {F_MSPA_VERSION, 6, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_MODE, 2, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
};
static const struct gpp_field_def fields_usri_v1[] = {
    {F_MSPA_VERSION, 6, 1, false},
    {F_MSPA_COVERED_TRANSACTION, 2, 1, false},
    {F_MSPA_MODE, 2, 1, false},
    {F_PROCESSING_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT_NOTICE, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT_NOTICE, 2, 1, false},
    {F_SALE_OPT_OUT, 2, 1, false},
    {F_TARGETED_ADVERTISING_OPT_OUT, 2, 1, false},
    {F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS, 2, 1, false},
    {F_ADDITIONAL_DATA_PROCESSING_CONSENT, 2, 1, false},
};
static const struct gpp_section_def section_defs[] = {
    {7, 1, "usnat", GPP_SUB_GPC, 0, sizeof fields_usnat_v1 / sizeof fields_usnat_v1[0], fields_usnat_v1},
    {7, 2, "usnat", GPP_SUB_GPC, 1, sizeof fields_usnat_v2 / sizeof fields_usnat_v2[0], fields_usnat_v2},
    {8, 1, "usca", GPP_SUB_GPC, 0, sizeof fields_usca_v1 / sizeof fields_usca_v1[0], fields_usca_v1},
    {9, 1, "usva", GPP_SUB_NONE, 0, sizeof fields_usva_v1 / sizeof fields_usva_v1[0], fields_usva_v1},
    {10, 1, "usco", GPP_SUB_GPC, 0, sizeof fields_usco_v1 / sizeof fields_usco_v1[0], fields_usco_v1},
    {11, 1, "usut", GPP_SUB_NONE, 0, sizeof fields_usut_v1 / sizeof fields_usut_v1[0], fields_usut_v1},
    {12, 1, "usct", GPP_SUB_GPC, 0, sizeof fields_usct_v1 / sizeof fields_usct_v1[0], fields_usct_v1},
    {13, 1, "usfl", GPP_SUB_NONE, 0, sizeof fields_usfl_v1 / sizeof fields_usfl_v1[0], fields_usfl_v1},
    {14, 1, "usmt", GPP_SUB_GPC, 0, sizeof fields_usmt_v1 / sizeof fields_usmt_v1[0], fields_usmt_v1},
    {15, 1, "usor", GPP_SUB_GPC, 0, sizeof fields_usor_v1 / sizeof fields_usor_v1[0], fields_usor_v1},
    {16, 1, "ustx", GPP_SUB_GPC, 0, sizeof fields_ustx_v1 / sizeof fields_ustx_v1[0], fields_ustx_v1},
    {17, 1, "usde", GPP_SUB_GPC, 0, sizeof fields_usde_v1 / sizeof fields_usde_v1[0], fields_usde_v1},
    {18, 1, "usia", GPP_SUB_GPC, 0, sizeof fields_usia_v1 / sizeof fields_usia_v1[0], fields_usia_v1},
    {19, 1, "usne", GPP_SUB_GPC, 0, sizeof fields_usne_v1 / sizeof fields_usne_v1[0], fields_usne_v1},
    {20, 1, "usnh", GPP_SUB_GPC, 0, sizeof fields_usnh_v1 / sizeof fields_usnh_v1[0], fields_usnh_v1},
    {21, 1, "usnj", GPP_SUB_GPC, 0, sizeof fields_usnj_v1 / sizeof fields_usnj_v1[0], fields_usnj_v1},
    {22, 1, "ustn", GPP_SUB_GPC, 0, sizeof fields_ustn_v1 / sizeof fields_ustn_v1[0], fields_ustn_v1},
    {23, 1, "usmn", GPP_SUB_GPC, 0, sizeof fields_usmn_v1 / sizeof fields_usmn_v1[0], fields_usmn_v1},
    {24, 1, "usmd", GPP_SUB_GPC, 0, sizeof fields_usmd_v1 / sizeof fields_usmd_v1[0], fields_usmd_v1},
    {25, 1, "usin", GPP_SUB_SENSITIVE, 0, sizeof fields_usin_v1 / sizeof fields_usin_v1[0], fields_usin_v1},
    {26, 1, "usky", GPP_SUB_SENSITIVE, 0, sizeof fields_usky_v1 / sizeof fields_usky_v1[0], fields_usky_v1},
    {27, 1, "usri", GPP_SUB_SENSITIVE, 0, sizeof fields_usri_v1 / sizeof fields_usri_v1[0], fields_usri_v1},
};

#define NDEFS (sizeof section_defs / sizeof section_defs[0])

const struct gpp_section_def *gpp_section_def(int id, int version)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (section_defs[i].id == id && section_defs[i].version == version) return &section_defs[i];
    return NULL;
}

const char *gpp_section_name(int id)
{
    if (id == GPP_SID_TCFEU) return "tcfeuv2";
    if (id == 5) return "tcfcav1";
    if (id == GPP_SID_USP) return "uspv1";
    for (size_t i = 0; i < NDEFS; i++)
        if (section_defs[i].id == id) return section_defs[i].name;
    return NULL;
}

/* ---- decoding ----------------------------------------------------------------------------------- */

static int decode_header(const char *s, size_t n, struct gpp *g)
{
    uint8_t buf[HEADER_MAX_CHARS * 6 / 8 + 1];
    size_t nbits;
    if (n > HEADER_MAX_CHARS) return GPP_EHEADER_IDS;
    if (bits_b64url_decode(s, n, buf, sizeof buf, &nbits)) return GPP_EB64;
    struct bits b;
    bits_init(&b, buf, nbits);
    g->type = (uint8_t)bits_read(&b, 6);
    g->version = (uint8_t)bits_read(&b, 6);
    if (b.err) return GPP_EHEADER_SHORT;
    if (g->type != 3) return GPP_EHEADER_TYPE;
    if (g->version != 1) return GPP_EHEADER_VERSION;
    unsigned count = (unsigned)bits_read(&b, 12);
    if (b.err) return GPP_EHEADER_SHORT;
    /* Ids are delta-coded from the previous end, each delta >= 1, so the list is strictly ascending. */
    uint32_t offset = 0;
    for (unsigned i = 0; i < count; i++) {
        bool is_range = bits_read(&b, 1);
        uint32_t start = offset + bits_read_fib(&b);
        uint32_t end = is_range ? start + bits_read_fib(&b) : start;
        if (b.err || start < offset || end < start || end > 0xffff) return GPP_EHEADER_IDS;
        if (end - start + 1 > (uint32_t)(GPP_MAX_SECTIONS - g->nsections)) return GPP_ETOO_MANY;
        for (uint32_t id = start; id <= end; id++) g->section_ids[g->nsections++] = (uint16_t)id;
        offset = end;
    }
    return 0;
}

static bool known_us_id(int id)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (section_defs[i].id == id) return true;
    return false;
}

static int decode_b64_small(const char *s, size_t n, uint8_t *buf, size_t cap, size_t *nbits)
{
    if (n > US_SECTION_MAX_CHARS) return GPP_ESECTION_LONG;
    if (bits_b64url_decode(s, n, buf, cap, nbits)) return GPP_EB64;
    return 0;
}

/* Bits of a layout (all fields, the version included). */
static size_t layout_bits(const struct gpp_section_def *d)
{
    size_t n = 0;
    for (unsigned f = 0; f < d->nfields; f++) n += (size_t)d->fields[f].bits * d->fields[f].count;
    return n;
}

static size_t round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* Whether `have` bits (a multiple of 6: base64url characters) are `need` bits of fields plus padding. The GPP
 * spec pads to a multiple of 6 bits; @iabgpp/cmpapi and iabgpp-java pad to a whole byte first, then to 6
 * bits. Nothing else explains a longer string: more spare bits mean a layout we do not know. */
static bool padded_len_ok(size_t have, size_t need)
{
    return have == round_up(need, 6) || have == round_up(round_up(need, 8), 6);
}

/* Reads the fields of layout def from b (positioned after the version) into u. Returns 0, GPP_ESECTION_SHORT,
 * or GPP_EFIELD_VALUE; a reserved value is only reported once the whole layout was read, so that the caller
 * can check the length first (a misread layout can show a 3 anywhere). */
static int read_fields(const struct gpp_section_def *def, unsigned version, struct bits *b, struct gpp_us *u)
{
    memset(u, 0, sizeof *u);
    u->def = def;
    u->gpc_segment_type = 1;
    u->i_sale = u->i_sharing = u->i_targeted = u->i_known_child = u->i_sensitive = -1;
    unsigned nv = 0;
    bool reserved = false;
    u->val[nv++] = (uint8_t)version; /* as written, also when the layout is another version's */
    for (unsigned f = 1; f < def->nfields; f++) {
        const struct gpp_field_def *fd = &def->fields[f];
        /* Pointer comparison is enough: the table uses the name constants above. */
        if (fd->name == F_SALE_OPT_OUT) u->i_sale = (int8_t)nv;
        if (fd->name == F_SHARING_OPT_OUT) u->i_sharing = (int8_t)nv;
        if (fd->name == F_TARGETED_ADVERTISING_OPT_OUT) u->i_targeted = (int8_t)nv;
        if (fd->name == F_KNOWN_CHILD_SENSITIVE_DATA_CONSENTS) {
            u->i_known_child = (int8_t)nv;
            u->n_known_child = fd->count;
        }
        if (fd->name == F_SENSITIVE_DATA_PROCESSING) {
            u->i_sensitive = (int8_t)nv;
            u->n_sensitive = fd->count;
        }
        if (fd->bits == 2 && fd->count <= 28) {
            /* All elements of a 2-bit field in one read (the first element is the most significant pair);
             * a pair 11 (the reserved 3) shows as a bit set in w & (w >> 1) at an even position. */
            unsigned width = 2u * fd->count;
            uint64_t w = bits_read(b, width);
            reserved |= (w & (w >> 1) & 0x5555555555555555ull) != 0;
            for (unsigned e = fd->count; e-- > 0;) u->val[nv++] = (uint8_t)((w >> (2 * e)) & 3u);
            continue;
        }
        for (unsigned e = 0; e < fd->count; e++) {
            unsigned v = (unsigned)bits_read(b, fd->bits);
            reserved |= fd->bits == 2 && v == 3;
            u->val[nv++] = (uint8_t)v;
        }
    }
    if (b->err) return GPP_ESECTION_SHORT;
    return reserved ? GPP_EFIELD_VALUE : 0;
}

static int decode_us(const char *s, size_t n, int id, struct gpp_us *u)
{
    uint8_t buf[US_SECTION_MAX_CHARS * 6 / 8 + 1];
    size_t nbits;
    size_t k = 0;
    while (k < n && s[k] != '.') k++;
    int rc = decode_b64_small(s, k, buf, sizeof buf, &nbits);
    if (rc) return rc;
    struct bits b;
    bits_init(&b, buf, nbits);
    unsigned version = (unsigned)bits_read(&b, 6);
    if (b.err) return GPP_ESECTION_SHORT;
    const struct gpp_section_def *def = gpp_section_def(id, (int)version);
    if (!def) return GPP_ESECTION_VERSION;
    rc = read_fields(def, version, &b, u);
    /* The length must be the layout plus padding; the bits read are the layout's (when none ran out). */
    if (rc == GPP_ESECTION_SHORT || !padded_len_ok(nbits, b.pos)) {
        /* Another row that declares itself compatible with this version and whose layout the length fits
         * (US National "Version 1" in the Version 2 layout). Rare: the table is walked only here. */
        const struct gpp_section_def *c = NULL;
        for (size_t i = 0; i < NDEFS && !c; i++)
            if (section_defs[i].id == id && section_defs[i].compat_version == version &&
                padded_len_ok(nbits, layout_bits(&section_defs[i])))
                c = &section_defs[i];
        if (!c) return rc == GPP_ESECTION_SHORT ? rc : GPP_ESECTION_LONG;
        bits_init(&b, buf, nbits);
        bits_skip(&b, 6);
        rc = read_fields(c, version, &b, u);
    }
    if (rc) return rc;
    if (k == n) return 0;
    /* A sub-section where the section's spec defines none is not ours to skip: it may carry a signal. */
    if (u->def->sub == GPP_SUB_NONE) return GPP_ESUB_UNDEFINED;
    /* One sub-section: only one type (GPC, or the sensitive-data consents of IN/KY/RI) is defined, so a
     * second is a duplicate or of an undefined type. */
    const char *t = s + k + 1;
    size_t m = n - k - 1;
    if (m == 0) return GPP_ESUB_SHORT;
    if (memchr(t, '.', m)) return GPP_ESUB_UNDEFINED;
    rc = decode_b64_small(t, m, buf, sizeof buf, &nbits);
    if (rc) return rc;
    size_t need = u->def->sub == GPP_SUB_GPC ? 3 : 16;
    if (nbits < need) return GPP_ESUB_SHORT;
    if (!padded_len_ok(nbits, need)) return GPP_ESUB_LONG;
    bits_init(&b, buf, nbits);
    u->sub_included = true;
    if (u->def->sub == GPP_SUB_GPC) {
        u->gpc_segment_type = (uint8_t)bits_read(&b, 2);
        if (u->gpc_segment_type != GPP_SUB_GPC) return GPP_ESUB_TYPE;
        u->gpc = bits_read(&b, 1);
    } else {
        for (unsigned e = 0; e < 8; e++) {
            unsigned v = (unsigned)bits_read(&b, 2);
            if (v == 3) return GPP_EFIELD_VALUE;
            u->sub_sensitive[e] = (uint8_t)v;
        }
    }
    return b.err ? GPP_ESUB_SHORT : 0;
}

int gpp_decode(const char *s, size_t n, uint8_t *scratch, size_t scratch_cap, struct gpp *out)
{
    /* Only the fixed part is cleared: us[] entries are written as sections are decoded. */
    memset(out, 0, offsetof(struct gpp, us));
    if (n == 0) return GPP_EEMPTY;
    size_t i = 0;
    const char *tl = memchr(s, '~', n);
    i = tl ? (size_t)(tl - s) : n;
    int rc = decode_header(s, i, out);
    if (rc) return rc;
    for (unsigned k = 0; k < out->nsections; k++) {
        if (i >= n) return GPP_ESECTION_COUNT;
        size_t j = ++i;
        const char *tj = memchr(s + j, '~', n - j);
        j = tj ? (size_t)(tj - s) : n;
        const char *p = s + i;
        size_t len = j - i;
        i = j;
        if (len == 0) return GPP_ESECTION_EMPTY;
        int id = out->section_ids[k];
        if (id == GPP_SID_TCFEU) {
            rc = tcf_decode(p, len, scratch, scratch_cap, &out->tcfeu);
            if (rc) {
                out->sub_err = rc;
                return rc == TCF_ESCRATCH ? GPP_ESCRATCH : GPP_ETCF;
            }
            out->has_tcfeu = true;
            out->kind[k] = GPP_KIND_TCFEU;
        } else if (id == GPP_SID_USP) {
            rc = usp_decode(p, len, &out->usp);
            if (rc) {
                out->sub_err = rc;
                return GPP_EUSP;
            }
            out->has_usp = true;
            out->kind[k] = GPP_KIND_USP;
        } else if (known_us_id(id)) {
            rc = decode_us(p, len, id, &out->us[out->nus]);
            if (rc) return rc;
            out->us_index[k] = out->nus++;
            out->kind[k] = GPP_KIND_US;
        } else {
            out->kind[k] = GPP_KIND_SKIPPED;
        }
    }
    if (i != n) return GPP_ESECTION_COUNT;
    return 0;
}

/* ---- lookups ------------------------------------------------------------------------------------ */

/* The first section k for which hit(g, k) holds: its id into *section_out (when not NULL). */
static inline bool first_section(const struct gpp *g, bool (*hit)(const struct gpp *, unsigned),
                                 int *section_out)
{
    for (unsigned k = 0; k < g->nsections; k++) {
        if (hit(g, k)) {
            if (section_out) *section_out = g->section_ids[k];
            return true;
        }
    }
    return false;
}

/* section k's US fields, or NULL when k is not a US section */
static inline const struct gpp_us *us_at(const struct gpp *g, unsigned k)
{
    return g->kind[k] == GPP_KIND_US ? &g->us[g->us_index[k]] : NULL;
}

static bool hit_optout(const struct gpp *g, unsigned k)
{
    if (g->kind[k] == GPP_KIND_USP) return usp_optout(&g->usp);
    const struct gpp_us *u = us_at(g, k);
    return u &&
           ((u->i_sale >= 0 && u->val[u->i_sale] == 1) || (u->i_sharing >= 0 && u->val[u->i_sharing] == 1) ||
            (u->i_targeted >= 0 && u->val[u->i_targeted] == 1));
}

static bool hit_gpc(const struct gpp *g, unsigned k)
{
    const struct gpp_us *u = us_at(g, k);
    return u && u->def->sub == GPP_SUB_GPC && u->sub_included && u->gpc;
}

static bool hit_known_child(const struct gpp *g, unsigned k)
{
    const struct gpp_us *u = us_at(g, k);
    if (!u || u->i_known_child < 0) return false;
    for (unsigned e = 0; e < u->n_known_child; e++)
        if (u->val[u->i_known_child + (int)e] != 0) return true;
    return false;
}

bool gpp_optout(const struct gpp *g, int *section_out)
{
    return first_section(g, hit_optout, section_out);
}

bool gpp_gpc(const struct gpp *g, int *section_out)
{
    return first_section(g, hit_gpc, section_out);
}

bool gpp_known_child(const struct gpp *g, int *section_out)
{
    return first_section(g, hit_known_child, section_out);
}

const struct gpp_us *gpp_us_section(const struct gpp *g, int section_id)
{
    for (unsigned k = 0; k < g->nsections; k++)
        if (g->section_ids[k] == section_id && g->kind[k] == GPP_KIND_US) return &g->us[g->us_index[k]];
    return NULL;
}

bool gpp_section_str(const char *s, size_t n, const struct gpp *g, int section_id, const char **p,
                     size_t *len)
{
    unsigned k = 0;
    while (k < g->nsections && g->section_ids[k] != section_id) k++;
    if (k == g->nsections) return false;
    /* part k + 1 of the '~'-separated string (part 0 is the header) */
    size_t i = 0;
    for (unsigned part = 0; part < k + 1; part++) {
        const char *t = memchr(s + i, '~', n - i);
        if (!t) return false;
        i = (size_t)(t - s) + 1;
    }
    const char *t = memchr(s + i, '~', n - i);
    *p = s + i;
    *len = (t ? (size_t)(t - s) : n) - i;
    return true;
}

bool gpp_has_section(const struct gpp *g, int section_id)
{
    for (unsigned k = 0; k < g->nsections; k++)
        if (g->section_ids[k] == section_id) return true;
    return false;
}

int gpp_sensitive(const struct gpp *g, int section_id, int category)
{
    const struct gpp_us *u = gpp_us_section(g, section_id);
    if (!u || category < 1) return -1;
    if (u->def->sub == GPP_SUB_SENSITIVE) {
        if (!u->sub_included || category > 8) return -1;
        return u->sub_sensitive[category - 1];
    }
    if (u->i_sensitive < 0 || category > u->n_sensitive) return -1;
    return u->val[u->i_sensitive + category - 1];
}

bool gpp_sensitive_refused_elsewhere(const struct gpp *g, int except_section)
{
    for (unsigned k = 0; k < g->nsections; k++) {
        if (g->kind[k] != GPP_KIND_US || g->section_ids[k] == except_section) continue;
        const struct gpp_us *u = &g->us[g->us_index[k]];
        if (u->i_sensitive >= 0)
            for (unsigned e = 0; e < u->n_sensitive; e++)
                if (u->val[u->i_sensitive + (int)e] == 1) return true;
        if (u->def->sub == GPP_SUB_SENSITIVE && u->sub_included)
            for (unsigned e = 0; e < 8; e++)
                if (u->sub_sensitive[e] == 1) return true;
    }
    return false;
}

int gpp_field(const struct gpp *g, int section_id, const char *name, int idx)
{
    const struct gpp_us *u = gpp_us_section(g, section_id);
    if (!u || idx < 0) return -1;
    unsigned nv = 0;
    for (unsigned f = 0; f < u->def->nfields; f++) {
        const struct gpp_field_def *fd = &u->def->fields[f];
        if (strcmp(fd->name, name) == 0) return idx < fd->count ? u->val[nv + (unsigned)idx] : -1;
        nv += fd->count;
    }
    if (u->def->sub == GPP_SUB_GPC && strcmp(name, "Gpc") == 0 && idx == 0) return u->gpc;
    if (u->def->sub == GPP_SUB_GPC && strcmp(name, "GpcSegmentType") == 0 && idx == 0)
        return u->gpc_segment_type;
    if (u->def->sub == GPP_SUB_SENSITIVE && strcmp(name, "SensitiveDataProcessing") == 0 && idx < 8)
        return u->sub_included ? u->sub_sensitive[idx] : -1;
    return -1;
}
