/* usp: US Privacy string decoder. See usp.h. */
#include "filters/usp.h"

#include <string.h>

const char *usp_strerror(int err)
{
    switch (err) {
    case 0:
        return "ok";
#define USP_MSG_(name, val, msg)                                                                             \
    case name:                                                                                               \
        return msg;
        USP_ERRORS(USP_MSG_)
#undef USP_MSG_
    }
    return "unknown usp error";
}

static int field(char c, char *out)
{
    if (c == 'y') c = 'Y';
    if (c == 'n') c = 'N';
    if (c != 'Y' && c != 'N' && c != '-') return USP_ECHAR;
    *out = c;
    return 0;
}

int usp_decode(const char *s, size_t n, struct usp *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return USP_EEMPTY;
    if (n != 4) return USP_ELEN;
    if (s[0] != '1') return USP_EVERSION;
    struct usp u = {.version = 1};
    int rc;
    if ((rc = field(s[1], &u.notice)) || (rc = field(s[2], &u.opt_out_sale)) ||
        (rc = field(s[3], &u.lspa_covered)))
        return rc;
    *out = u;
    return 0;
}
