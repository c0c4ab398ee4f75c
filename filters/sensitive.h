/* sensitive: sensitive-category and exploitative targeting rules (GDPR Art. 9, DSA Art. 26/28), applied per
 * campaign per request against the compiled policy. See docs/sensitive.md. */
#ifndef FAIRBID_FILTERS_SENSITIVE_H
#define FAIRBID_FILTERS_SENSITIVE_H

#include <stdint.h>
#include "filters/arena.h"
#include "filters/campaign.h"
#include "filters/classes.h"
#include "filters/consent.h"
#include "filters/ortb.h"

/* Returns REASON_BID when the campaign may bid on this request, else the drop reason, with what the detail
 * names (class, taxonomy id, segment provider) in *arg and *num. Called once per campaign per request, after
 * the consent and targeting checks passed. cs->policy may be NULL (no policy loaded: nothing to check).
 *
 * Rules, first match wins (docs/sensitive.md): 2. the campaign targets a vulnerability class ->
 * exploit.vulnerable_targeting; 1. a request segment the campaign targets is in a sensitive class without an
 * allowed explicit consent -> sensitive.<class>; 3. the campaign's ad category is high-risk and the person is
 * a minor or carries a vulnerability segment -> exploit.high_risk_to_vulnerable. Page categories (site.cat,
 * content.cat) are never read: context is not personal data.
 *
 * *arg on a drop: "<class>: segtax <t> id <id> (provider <name>)" (rule 1), "<class>: segtax <t> id <id>
 * (campaign targeting)" (rule 2), "<class>: cattax <t> id <id> (to minor|to <class> segtax <t> id <id>)"
 * (rule 3). The text lives either in the policy (valid with the config snapshot) or in a per-thread buffer
 * slot for this campaign (valid until the next sensitive_check of the same campaign index on this thread,
 * i.e. for the rest of the request's handling). *num is 0.
 * Thread-safe; no allocation; cost O(segments) for campaigns the policy marks, O(1) for the rest. */
int sensitive_check(const struct campaign_set *cs, const struct campaign *c, const struct ortb_request *req,
                    const struct consent_state *cst, struct sv *arg, int64_t *num);

/* Per-request preparation, done once by decide() before the campaigns: the request's segments packed into
 * policy keys, and (lazily) whether the person carries a vulnerability segment, so each campaign's check is a
 * walk over integers. Lives in the request arena; detail texts are then written there too. */
struct sensitive_req {
    struct arena *a;
    uint32_t n;
    uint64_t *keys;    /* (segtax, id) keys; 0 = cannot be in a policy */
    uint16_t *data_ix; /* the user.data index of each key */
    uint64_t bloom;    /* OR of the keys' bloom bits: a campaign whose bloom misses it is skipped in O(1) */
    uint64_t segtaxes; /* bit t set when a key has segtax t (t < 64) */
    int vuln;          /* -1 not computed yet, 0 none, 1 found */
    uint32_t vuln_ix;  /* index into keys of the first vulnerability segment */
    uint32_t vuln_classes;
    uint32_t unread_ix; /* 1 + the index of the first segment id the policy cannot read (policy.h), 0 none:
                           it counts as a vulnerability segment */
    struct sv unread_id;
};

/* NULL when there is no policy or the arena ran out (sensitive_check_prepared then works unprepared). */
struct sensitive_req *sensitive_prepare(const struct campaign_set *cs, const struct ortb_request *req,
                                        struct arena *a);
/* Whether any rule can apply to campaign c: it targets a sensitive or vulnerability segment, or its own
 * categories are high-risk. When not, sensitive_check_prepared returns REASON_BID at once, touching nothing:
 * a caller may skip the call on this test (the one sensitive_check_prepared itself makes). */
static inline bool sensitive_rules_can_apply(const struct campaign *c)
{
    return (c->seg_classes & (class_mask_sensitive | class_mask_vulnerability)) ||
           (c->ad_classes & class_mask_high_risk);
}

/* Whether sensitive_check_prepared reads anything of the request for some campaign of the set (a policy, and
 * a campaign a rule can apply to): when not, it returns REASON_BID before reading sp for every campaign, and
 * the caller need not prepare one. Depends on the set alone. */
bool sensitive_set_consults(const struct campaign_set *cs);
/* sensitive_check with the request's preparation (sp may be NULL). */
int sensitive_check_prepared(const struct campaign_set *cs, const struct campaign *c,
                             const struct ortb_request *req, const struct consent_state *cst,
                             struct sensitive_req *sp, struct sv *arg, int64_t *num);

/* Whether the person's explicit consent allows targeting on class cls for this request: a stored sensitive
 * consent bit or US National (GPP section 7) SensitiveDataProcessing = 2 for the class's mapped category, and
 * neither GDPR nor the DSA applies. */
bool sensitive_consented(const struct policy *p, const struct consent_state *cst, int cls);

/* Parses a drop detail written by sensitive_check: the class name, and the "<tax>:<id>" taxonomy id
 * (into tax_id, cap bytes). Returns false when the text has another shape. */
bool sensitive_detail_parse(struct sv detail, struct sv *cls, char *tax_id, size_t cap);

#endif
