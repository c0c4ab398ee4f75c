/* usp: IAB US Privacy (CCPA) string decoder: four characters, version '1', then Notice, OptOutSale and
 * LspaCovered, each 'Y', 'N' or '-' (not applicable). Pure, no allocation, thread-safe. */
#ifndef FAIRBID_FILTERS_USP_H
#define FAIRBID_FILTERS_USP_H

#include <stdbool.h>
#include <stddef.h>

#define USP_ERRORS(X)                                                                                        \
    X(USP_EEMPTY, -1, "empty US Privacy string")                                                             \
    X(USP_ELEN, -2, "US Privacy string is not 4 characters")                                                 \
    X(USP_EVERSION, -3, "US Privacy version is not 1")                                                       \
    X(USP_ECHAR, -4, "US Privacy field is not Y, N or -")

enum usp_err {
#define USP_ENUM_(name, val, msg) name = val,
    USP_ERRORS(USP_ENUM_)
#undef USP_ENUM_
};

struct usp {
    int version;       /* 1 */
    char notice;       /* 'Y', 'N' or '-' */
    char opt_out_sale; /* 'Y' = the user opted out of sale */
    char lspa_covered;
};

/* Decodes s[0..n). Lower-case 'y'/'n' are accepted and stored upper-case: exchanges send them, and
 * rejecting "1yyn" would lose an opt-out. Returns 0 or a USP_E* code (out is zeroed on error). */
int usp_decode(const char *s, size_t n, struct usp *out);

/* True when the user opted out of sale. */
static inline bool usp_optout(const struct usp *u)
{
    return u->opt_out_sale == 'Y';
}

const char *usp_strerror(int err);

#endif
