/* consent: request-level privacy signals. See consent.h and docs/consent.md.
 * The first reason found is the one reported, so the checks run in the order of docs/consent.md: malformed
 * signals, GDPR (TCF), the consent store, minors, then the US opt-outs. */
#include "filters/consent.h"
#include "filters/jurisdiction.h"

#include <string.h>

#include "filters/reasons.h"
#include "filters/usp.h"

static void personal(struct consent_state *s, int reason, const char *detail, int64_t num)
{
    if (s->block_personal < 0) {
        s->block_personal = reason;
        s->detail = sv_from(detail);
        s->num = num;
    }
    /* the same chain without the vendor's TCF rules (step 4b), for consent_for_vendor */
    if (s->nv_personal < 0) {
        s->nv_personal = reason;
        s->nv_detail = sv_from(detail);
        s->nv_num = num;
    }
}

static void all(struct consent_state *s, int reason, const char *detail, int64_t num)
{
    if (s->block_all < 0) {
        s->block_all = reason;
        s->all_detail = sv_from(detail);
        s->all_num = num;
    }
    personal(s, reason, detail, num);
}

/* TCF purposes fairbid relies on: 1 store/access information on a device, 2 basic ads, 3 create an ads
 * profile, 4 use the profile to select ads. */
static const int personal_purposes[] = {1, 3, 4};

/* A publisher restriction makes a purpose unusable for our vendor when it forbids it (type 0) or when it
 * requires legitimate interest (type 2) for a purpose we need by consent. The undefined type 3 arrives here
 * as 0 (tcf_restriction): it restricts that purpose for the vendors it names, and nothing else. */
static bool restricted_for_consent(const struct tcf *tc, int purpose, int vendor)
{
    int r = tcf_restriction(tc, purpose, vendor);
    return r == 0 || r == 2;
}

static void eval_tcf(struct consent_state *s, const struct tcf *tc, const struct consent_config *cfg)
{
    int v = cfg->tcf_vendor_id;
    bool strict = cfg->tcf_strict;
    /* vendors not disclosed to the user (when the string says which were) cannot have been consented to */
    bool disclosed_known = tc->disclosed.present;
    if (v <= 0 || (disclosed_known && !tcf_disclosed(tc, v))) {
        all(s, REASON_CONSENT_TCF_VENDOR, v <= 0 ? "tcf_vendor_id not configured" : "vendor not disclosed",
            v);
        return;
    }
    /* basic ads: purpose 2 by consent or legitimate interest, and the vendor by consent or LI */
    bool p2_consent = tcf_purpose_consent(tc, 2) && tcf_vendor_consent(tc, v) &&
                      tcf_restriction(tc, 2, v) != 0 && tcf_restriction(tc, 2, v) != 2;
    bool p2_li = tcf_purpose_li_ok(tc, 2, strict) && tcf_vendor_li(tc, v) && tcf_restriction(tc, 2, v) != 0 &&
                 tcf_restriction(tc, 2, v) != 1;
    if (!p2_consent && !p2_li) {
        if (!tcf_vendor_consent(tc, v) && !tcf_vendor_li(tc, v))
            all(s, REASON_CONSENT_TCF_VENDOR, "no consent or legitimate interest for the vendor", v);
        else if (tcf_restriction(tc, 2, v) == 0)
            all(s, REASON_CONSENT_TCF_RESTRICTED, "purpose 2 not allowed for the vendor", 2);
        else
            all(s, REASON_CONSENT_TCF_PURPOSE, "purpose 2 (basic ads)", 2);
        return;
    }
    /* personal data: purposes 1, 3 and 4 by consent, the vendor by consent, no restriction against it */
    for (size_t i = 0; i < sizeof personal_purposes / sizeof personal_purposes[0]; i++) {
        int p = personal_purposes[i];
        if (!tcf_purpose_consent(tc, p)) {
            personal(s, REASON_CONSENT_TCF_PURPOSE,
                     p == 1   ? "purpose 1 (store/access on device)"
                     : p == 3 ? "purpose 3 (create a profile)"
                              : "purpose 4 (use a profile)",
                     p);
            return;
        }
    }
    if (!tcf_vendor_consent(tc, v)) {
        personal(s, REASON_CONSENT_TCF_VENDOR, "no vendor consent", v);
        return;
    }
    for (size_t i = 0; i < sizeof personal_purposes / sizeof personal_purposes[0]; i++) {
        int p = personal_purposes[i];
        if (restricted_for_consent(tc, p, v)) {
            personal(s, REASON_CONSENT_TCF_RESTRICTED, "publisher restriction on a personal-data purpose", p);
            return;
        }
    }
}

/* gpp_sid lists sid, in regs or in regs.ext (either counts: it only ever adds a regime) */
static bool sid_has(const struct ortb_regs *r, int sid)
{
    if (r->gpp_sid_sig == ORTB_SIG_OK)
        for (uint32_t i = 0; i < r->ngpp_sid; i++)
            if (r->gpp_sid[i] == sid) return true;
    if (r->ext_gpp_sid_sig == ORTB_SIG_OK)
        for (uint32_t i = 0; i < r->ext_ngpp_sid; i++)
            if (r->ext_gpp_sid[i] == sid) return true;
    return false;
}

void consent_eval(const struct ortb_request *req, const struct consent_config *cfg,
                  const struct consent_store_view *store, int32_t year, struct arena *a,
                  struct consent_state *s)
{
    const struct ortb_regs *r = &req->regs;
    const struct ortb_user *u = &req->user;
    *s = (struct consent_state){.block_all = -1,
                                .block_personal = -1,
                                .precise_geo_ok = true,
                                .nv_personal = -1,
                                .pre_tcf_personal = -1};
    s->dsa = r->has_dsa;

    /* 1. Bad privacy fields (duplicate, wrong type, out of range: the parser's one table, enum ortb_pf), in
     * table order. A field that may carry GDPR or its consent: GDPR is assumed to apply and no consent can
     * be read. coppa and yob: the user may be a minor. The detail names the field and the problem. */
    bool malformed = false;
    for (uint64_t bad = req->priv.bad; bad; bad &= bad - 1) {
        unsigned f = (unsigned)__builtin_ctzll(bad);
        const struct ortb_pf_def *d = &ortb_pf[f];
        const char *what = d->detail[req->priv.why[f] < ORTB_PFW_N ? req->priv.why[f] : ORTB_PFW_OK];
        switch (d->cls) {
        case ORTB_PFC_ALL:
            malformed = true;
            all(s, REASON_CONSENT_MALFORMED, what, 0);
            break;
        case ORTB_PFC_COPPA:
            s->minor = true;
            personal(s, REASON_MINOR_COPPA, what, 0);
            break;
        case ORTB_PFC_AGE:
            s->minor = true;
            personal(s, REASON_MINOR_AGE, what, 0);
            break;
        case ORTB_PFC_HIDDEN:
            /* it may have said "known child" or carried a vulnerability segment (found by
             * tests/fuzz/privacy_monotone.h: breaking a GPP string let a gambling ad reach a known child) */
            s->minor = true;
            personal(s, REASON_CONSENT_MALFORMED, what, 0);
            break;
        default:
            personal(s, REASON_CONSENT_MALFORMED, what, 0);
        }
    }
    /* The same signal in its 2.6 and its 2.5 (ext) location with different values is a duplicate too: which
     * one the exchange meant is unknowable, and "2.6 wins" would let either copy undo the other. */
    if (r->gdpr_sig == ORTB_SIG_OK && r->ext_gdpr_sig == ORTB_SIG_OK && r->gdpr != r->ext_gdpr) {
        malformed = true;
        all(s, REASON_CONSENT_MALFORMED, "regs.ext.gdpr: differs from regs.gdpr", 0);
    }
    if (u->consent_sig == ORTB_SIG_OK && u->ext_consent_sig == ORTB_SIG_OK &&
        !sv_eq(u->consent, u->ext_consent)) {
        malformed = true;
        all(s, REASON_CONSENT_MALFORMED, "user.ext.consent: differs from user.consent", 0);
    }
    if (r->us_privacy_sig == ORTB_SIG_OK && r->ext_us_privacy_sig == ORTB_SIG_OK &&
        !sv_ieq(r->us_privacy, r->ext_us_privacy))
        personal(s, REASON_CONSENT_MALFORMED, "regs.ext.us_privacy: differs from regs.us_privacy", 0);
    if (r->gpp_sig == ORTB_SIG_OK && r->ext_gpp_sig == ORTB_SIG_OK && !sv_eq(r->gpp, r->ext_gpp)) {
        s->minor = true; /* as for a GPP string that does not decode (step 3) */
        personal(s, REASON_CONSENT_MALFORMED, "regs.ext.gpp: differs from regs.gpp", 0);
    }

    /* 2. Which regime. gpp_sid containing 2 (TCF EU) or regs.gdpr = 1 (the 2.6 field wins over
     * regs.ext.gdpr; they agree or the request is malformed above). */
    bool gdpr = malformed || sid_has(r, GPP_SID_TCFEU);
    if (r->gdpr_sig == ORTB_SIG_OK)
        gdpr = gdpr || r->gdpr == 1;
    else if (r->ext_gdpr_sig == ORTB_SIG_OK)
        gdpr = gdpr || r->ext_gdpr == 1;
    s->gdpr_applies = gdpr;
    /* regs.gdpr 0 (or regs.ext.gdpr 0 without regs.gdpr) while device.geo or user.geo is in the EEA: the
     * signals disagree about whether GDPR applies, and neither reading can be trusted to lift the other, so
     * no personal data (issue 12). (The EU jurisdiction rules apply anyway: juris_resolve takes every place
     * named.) A geo dropped as bad restricts the same way (ortb_pf: device.geo, its country, user.geo). */
    if (!gdpr && ((r->gdpr_sig == ORTB_SIG_OK && r->gdpr == 0) ||
                  (r->gdpr_sig != ORTB_SIG_OK && r->ext_gdpr_sig == ORTB_SIG_OK && r->ext_gdpr == 0))) {
        const char *f = r->gdpr_sig == ORTB_SIG_OK ? "regs.gdpr" : "regs.ext.gdpr";
        if (juris_eea_country(req->device.geo.country))
            personal(s, REASON_CONSENT_MALFORMED,
                     f[5] == 'g' ? "regs.gdpr: 0 but device.geo.country is in the EEA"
                                 : "regs.ext.gdpr: 0 but device.geo.country is in the EEA",
                     0);
        else if (juris_eea_country(req->user.geo.country))
            personal(s, REASON_CONSENT_MALFORMED,
                     f[5] == 'g' ? "regs.gdpr: 0 but user.geo.country is in the EEA"
                                 : "regs.ext.gdpr: 0 but user.geo.country is in the EEA",
                     0);
    }

    /* 3. GPP string: decoded whenever present; its sections count even when gpp_sid does not list them,
     * because an opt-out never widens what we may do. A GPP string that does not decode forbids personal
     * data. */
    /* regs.ext.gpp (the 2.5-era location) when regs.gpp is absent: read for what restricts only (opt-outs,
     * known child, GPC); its consents (a TCF EU section, sensitive-data consents) are not taken, because
     * that location is no standard and fairbid never read it as a grant. */
    struct gpp *g = NULL;
    bool gpp_ext = r->gpp_sig == ORTB_SIG_ABSENT && r->ext_gpp_sig == ORTB_SIG_OK;
    struct sv gpp_str = gpp_ext ? r->ext_gpp : r->gpp_sig == ORTB_SIG_OK ? r->gpp : SV_NULL;
    if (gpp_str.n) {
        /* not zeroed here: gpp_decode clears it (a second memset of this large struct costs more than the
         * decode) */
        g = ARENA_ARRAY(a, struct gpp, 1);
        uint8_t *scratch = g ? arena_alloc(a, gpp_str.n + 8, 8) : NULL;
        if (!scratch || gpp_decode(gpp_str.p, gpp_str.n, scratch, gpp_str.n + 8, g) != 0) {
            g = NULL;
            s->minor = true; /* it may have said "known child": see step 1 */
            personal(s, REASON_CONSENT_MALFORMED,
                     gpp_ext ? "regs.ext.gpp: does not decode" : "regs.gpp: does not decode", 0);
            if (sid_has(r, GPP_SID_TCFEU))
                all(s, REASON_CONSENT_TCF_INVALID, "GPP string does not decode", 0);
        }
    }
    s->gpp = gpp_ext ? NULL : g;

    /* 3b. gpp_sid names the sections that apply. When a GPP string came, every applicable section (but TCF
     * EU, which may come as user.consent) must be one the string holds and fairbid decoded: a section missing
     * from the string, or one fairbid only lists (TCF Canada, an id it does not know), leaves the applicable
     * choices unread, and unread restricts (red-team audit: gpp_sid [7] with a string holding only a Virginia
     * section without opt-outs allowed personal data). An empty GPP string ("gpp": "") is a string that holds
     * no section (gpp_sid [7] with "gpp": "" allowed personal data: the US National opt-outs and known-child
     * flags that apply came in no section). Without a GPP string gpp_sid only names regimes. */
    if (g || (gpp_str.p && !gpp_str.n)) {
        for (int pass = 0; pass < 2; pass++) {
            bool ok = pass == 0 ? r->gpp_sid_sig == ORTB_SIG_OK : r->ext_gpp_sid_sig == ORTB_SIG_OK;
            uint32_t nsid = pass == 0 ? r->ngpp_sid : r->ext_ngpp_sid;
            const uint16_t *sids = pass == 0 ? r->gpp_sid : r->ext_gpp_sid;
            for (uint32_t i = 0; ok && i < nsid; i++) {
                int sid = (int)sids[i];
                if (sid == GPP_SID_TCFEU) continue;
                bool held = false;
                for (unsigned k = 0; g && k < g->nsections && !held; k++)
                    held = g->section_ids[k] == sid && g->kind[k] != GPP_KIND_SKIPPED;
                if (!held) {
                    personal(s, REASON_CONSENT_MALFORMED,
                             pass == 0 ? "regs.gpp_sid: names a section the GPP string does not hold"
                                       : "regs.ext.gpp_sid: names a section the GPP string does not hold",
                             sid);
                    break;
                }
            }
        }
    }

    /* 4. GDPR: the TC string from GPP section 2, else user.consent, else user.ext.consent. */
    if (gdpr && s->block_all < 0) {
        const struct tcf *tc = NULL;
        struct sv ustr = u->consent_sig == ORTB_SIG_OK ? u->consent : u->ext_consent;
        if (g && g->has_tcfeu && !gpp_ext) {
            tc = &g->tcfeu;
            /* the same TC string in two places (GPP section 2 and user.consent) with different values: which
             * the CMP meant is unknowable, and "GPP wins" would let a granting copy undo a refusing one (as
             * for user.consent / user.ext.consent, step 1; red-team audit) */
            const char *tp = NULL;
            size_t tn = 0;
            if (ustr.n && gpp_section_str(gpp_str.p, gpp_str.n, g, GPP_SID_TCFEU, &tp, &tn) &&
                !(tn == ustr.n && memcmp(tp, ustr.p, tn) == 0)) {
                tc = NULL;
                all(s, REASON_CONSENT_MALFORMED, "user.consent: differs from the GPP TCF EU section", 0);
            }
        } else {
            struct sv str = u->consent_sig == ORTB_SIG_OK ? u->consent : u->ext_consent;
            if (str.n) {
                struct tcf *t = ARENA_ARRAY(a, struct tcf, 1); /* tcf_decode clears it */
                size_t need = tcf_scratch_need(str.n);
                uint8_t *scratch = t ? arena_alloc(a, need, 8) : NULL;
                if (scratch && tcf_decode(str.p, str.n, scratch, need, t) == 0) tc = t;
            }
        }
        if (!tc && s->block_all >= 0) {
            /* already refused above */
        } else if (!tc) {
            all(s, REASON_CONSENT_TCF_INVALID, "TC string missing or does not decode", 0);
        } else if (tcf_check_policy(tc, cfg->tcf_strict) != 0) {
            all(s, REASON_CONSENT_TCF_INVALID,
                cfg->tcf_strict ? "TC string breaks TCF 2.2 policy (strict mode)"
                                : "TC string breaks TCF policy",
                0);
        } else {
            s->tc = tc;
            s->pre_tcf_personal = s->block_personal;
            s->pre_tcf_detail = s->detail;
            s->pre_tcf_num = s->num;
            if (cfg->tcf_vendor_id == CONSENT_VENDOR_DEFERRED) {
                s->vendor_deferred = true;
            } else {
                /* the vendor's rules move the main chain only (nv_* stays vendor-free) */
                struct consent_state t = {.block_all = -1,
                                          .block_personal = s->block_personal,
                                          .detail = s->detail,
                                          .num = s->num,
                                          .nv_personal = 0};
                eval_tcf(&t, tc, cfg);
                s->block_all = t.block_all;
                s->all_detail = t.all_detail;
                s->all_num = t.all_num;
                s->block_personal = t.block_personal;
                s->detail = t.detail;
                s->num = t.num;
            }
        }
    }

    /* 5. The advertiser's consent store: an untrusted mirror forbids personal data; a stored opt-out or minor
     * always restricts. */
    if (store) {
        if (!store->trusted) personal(s, REASON_CONSENT_STORE_UNAVAILABLE, "consent mirror not trusted", 0);
        if (store->rec) {
            s->stored = store->rec;
            if (store->rec->minor) {
                s->minor = true;
                personal(s, REASON_MINOR_STORED, "stored minor = 1", 1);
            }
            if (store->rec->optout) personal(s, REASON_CONSENT_STORED_OPTOUT, "stored optout = 1", 1);
        }
    }

    /* 6. Minors: no personal data anywhere (DSA Art. 28) and no precise geo. */
    /* either location saying 1 is enough: one 0 and one 1 is a conflict, and a conflict restricts */
    if (r->coppa == 1 || r->ext_coppa == 1) {
        s->minor = true;
        personal(s, REASON_MINOR_COPPA, r->coppa == 1 ? "regs.coppa = 1" : "regs.ext.coppa = 1", 1);
    }
    if (u->yob != ORTB_UNSET && u->yob > year) { /* a birth in the future: the age is unknowable */
        s->minor = true;
        personal(s, REASON_MINOR_AGE, "user.yob: in the future", u->yob);
    } else if (u->yob != ORTB_UNSET && year - u->yob < 18) {
        s->minor = true;
        personal(s, REASON_MINOR_AGE, "user.yob", u->yob);
    }
    int sec = 0;
    if (g && gpp_known_child(g, &sec)) {
        s->minor = true;
        personal(s, REASON_MINOR_KNOWN_CHILD, "GPP KnownChildSensitiveDataConsents", sec);
    }

    /* 7. US opt-outs. US Privacy: the 2.6 field, else regs.ext.us_privacy (both: they agree, see 1). */
    bool usp_core = r->us_privacy_sig == ORTB_SIG_OK;
    struct sv usp_str = usp_core ? r->us_privacy : r->ext_us_privacy;
    if (usp_str.n) {
        struct usp up;
        if (usp_decode(usp_str.p, usp_str.n, &up) != 0)
            personal(s, REASON_CONSENT_MALFORMED,
                     usp_core ? "regs.us_privacy: does not decode" : "regs.ext.us_privacy: does not decode",
                     0);
        else if (usp_optout(&up))
            personal(s, REASON_CONSENT_USP_OPTOUT, "us_privacy opt-out of sale = Y", 0);
    }
    if (g && gpp_optout(g, &sec)) personal(s, REASON_CONSENT_GPP_OPTOUT, gpp_section_name(sec), sec);
    if (r->gpc_sig == ORTB_SIG_OK && r->gpc == 1) personal(s, REASON_CONSENT_GPC, "regs.ext.gpc = 1", 1);
    if (g && gpp_gpc(g, &sec)) personal(s, REASON_CONSENT_GPC, "GPP Gpc = 1", sec);
    if (req->device.lmt == 1) personal(s, REASON_CONSENT_LMT, "device.lmt = 1", 1);
    /* OpenRTB 2.6 3.2.18: dnt 1 = "do not track", the person's own signal: no personal data, as lmt */
    if (req->device.dnt == 1) personal(s, REASON_CONSENT_DNT, "device.dnt = 1", 1);

    if (s->minor || s->block_personal >= 0) s->precise_geo_ok = false;
}

void consent_for_vendor(const struct consent_state *s, int32_t vendor, bool strict, struct consent_state *out)
{
    *out = *s;
    if (!s->tc) return; /* no TC string in play: nothing depends on the vendor */
    out->vendor_deferred = false;
    /* replay step 4b for this vendor from the state it saw (block_all was not set then, or no TC string
     * would have been decoded); a block_personal found there comes before one of the later steps (store,
     * minors, US opt-outs), as in consent_eval; otherwise the later steps' first reason holds */
    struct consent_state t = {.block_all = -1,
                              .block_personal = s->pre_tcf_personal,
                              .detail = s->pre_tcf_detail,
                              .num = s->pre_tcf_num,
                              .nv_personal = 0};
    const struct consent_config cfg = {.tcf_vendor_id = vendor, .tcf_strict = strict};
    eval_tcf(&t, s->tc, &cfg);
    out->block_all = t.block_all;
    out->all_detail = t.all_detail;
    out->all_num = t.all_num;
    if (t.block_personal >= 0) {
        out->block_personal = t.block_personal;
        out->detail = t.detail;
        out->num = t.num;
    } else {
        out->block_personal = s->nv_personal;
        out->detail = s->nv_detail;
        out->num = s->nv_num;
    }
    out->precise_geo_ok = !(out->minor || out->block_personal >= 0);
}
