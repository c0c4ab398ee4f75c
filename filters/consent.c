/* consent: request-level privacy signals. See consent.h and docs/consent.md. */
#include "filters/consent.h"

#include "filters/reasons.h"

static void personal(struct consent_state *s, int reason, const char *detail, int64_t num)
{
    if (s->block_personal < 0) {
        s->block_personal = reason;
        s->detail = sv_from(detail);
        s->num = num;
    }
}

static void all(struct consent_state *s, int reason, const char *detail, int64_t num)
{
    if (s->block_all < 0) {
        s->block_all = reason;
        s->all_detail = sv_from(detail);
        s->all_num = (int)num;
    }
    personal(s, reason, detail, num);
}

void consent_eval(const struct ortb_request *req, const struct consent_config *cfg, int32_t year,
                  struct consent_state *s)
{
    (void)cfg;
    const struct ortb_regs *r = &req->regs;
    const struct ortb_user *u = &req->user;
    s->gdpr_applies = false;
    s->minor = false;
    s->block_all = -1;
    s->block_personal = -1;
    s->detail = SV_NULL;
    s->all_detail = SV_NULL;
    s->num = 0;
    s->all_num = 0;

    /* Malformed privacy signals: GDPR is assumed to apply and no consent can be read. */
    if (r->gdpr_sig == ORTB_SIG_MALFORMED) all(s, REASON_CONSENT_MALFORMED, "regs.gdpr", 0);
    if (r->ext_sig == ORTB_SIG_MALFORMED) all(s, REASON_CONSENT_MALFORMED, "regs.ext", 0);
    if (r->ext_gdpr_sig == ORTB_SIG_MALFORMED) all(s, REASON_CONSENT_MALFORMED, "regs.ext.gdpr", 0);
    if (u->consent_sig == ORTB_SIG_MALFORMED) all(s, REASON_CONSENT_MALFORMED, "user.consent", 0);
    if (u->ext_consent_sig == ORTB_SIG_MALFORMED) all(s, REASON_CONSENT_MALFORMED, "user.ext.consent", 0);
    if (r->gpp_sig == ORTB_SIG_MALFORMED || r->gpp_sid_sig == ORTB_SIG_MALFORMED)
        all(s, REASON_CONSENT_MALFORMED, "regs.gpp", 0);
    if (r->us_privacy_sig == ORTB_SIG_MALFORMED || r->ext_us_privacy_sig == ORTB_SIG_MALFORMED)
        all(s, REASON_CONSENT_MALFORMED, "regs.us_privacy", 0);
    if (r->gpc_sig == ORTB_SIG_MALFORMED) personal(s, REASON_CONSENT_MALFORMED, "regs.ext.gpc", 0);

    /* Which regime: gpp_sid containing 2 wins, else regs.gdpr, else regs.ext.gdpr. */
    bool gdpr = s->block_all == REASON_CONSENT_MALFORMED;
    if (r->gpp_sid_sig == ORTB_SIG_OK) {
        for (uint32_t i = 0; i < r->ngpp_sid; i++)
            if (r->gpp_sid[i] == 2) gdpr = true;
    }
    if (r->gdpr_sig == ORTB_SIG_OK)
        gdpr = gdpr || r->gdpr == 1;
    else if (r->ext_gdpr_sig == ORTB_SIG_OK)
        gdpr = gdpr || r->ext_gdpr == 1;
    s->gdpr_applies = gdpr;
    if (gdpr) {
        /* Without a TC string decoder wired in, nothing proves consent: fail toward privacy. */
        all(s, REASON_CONSENT_TCF_INVALID, "TC string not evaluated", 0);
    }

    /* Minors. */
    if (r->coppa == 1) {
        s->minor = true;
        personal(s, REASON_MINOR_COPPA, "regs.coppa", 1);
    }
    if (u->yob != ORTB_UNSET && u->yob > 1900 && year - u->yob < 18) {
        s->minor = true;
        personal(s, REASON_MINOR_AGE, "user.yob", u->yob);
    }

    /* US Privacy: 1YYN style, third character Y = opted out of sale. */
    struct sv usp = r->us_privacy_sig == ORTB_SIG_OK ? r->us_privacy : r->ext_us_privacy;
    if (usp.n == 4 && (usp.p[2] == 'Y' || usp.p[2] == 'y')) personal(s, REASON_CONSENT_USP_OPTOUT, "us_privacy", 0);
    if (r->gpc_sig == ORTB_SIG_OK && r->gpc == 1) personal(s, REASON_CONSENT_GPC, "regs.ext.gpc", 1);
    if (req->device.lmt == 1) personal(s, REASON_CONSENT_LMT, "device.lmt", 1);
}
