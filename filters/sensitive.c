/* sensitive: see sensitive.h. The policy was compiled at config load so that each rule is integer tests:
 * a campaign's own classes (seg_classes, ad_classes) decide in O(1) whether any rule can apply; only then are
 * the request's segments packed into keys and tested against the campaign's bloom and sorted keys. */
#include "filters/sensitive.h"

#include <stdio.h>

#include "filters/policy.h"
#include "filters/reasons.h"

/* One detail slot per campaign index and thread: verdicts of one request keep their own texts. */
static _Thread_local char detail_buf[CAMPAIGN_MAX][POLICY_DETAIL_MAX];

_Static_assert(CLASS_HEALTH == 0 &&
                   REASON_SENSITIVE_CRIME_VICTIM - REASON_SENSITIVE_HEALTH == CLASS_CRIME_VICTIM,
               "sensitive.<class> reasons follow the sensitive classes of classes.def");

static int sensitive_reason(int cls)
{
    /* a sensitive class appended to classes.def after the first eleven has no reason of its own yet */
    return cls <= CLASS_CRIME_VICTIM ? REASON_SENSITIVE_HEALTH + cls : REASON_SENSITIVE_HEALTH;
}

static int lowest_class(uint32_t mask)
{
    return mask ? __builtin_ctz(mask) : -1;
}

static struct sv provider_of(const struct ortb_data *d)
{
    if (d->name.n) return d->name;
    if (d->id.n) return d->id;
    return SV_LIT("unnamed");
}

bool sensitive_consented(const struct policy *p, const struct consent_state *cst, int cls)
{
    /* the DSA bans ads based on profiling with special categories even with consent; GDPR Art. 9 consent
     * cannot be checked in the bid stream (TCF has no such purpose): both refuse */
    if (cst->gdpr_applies || cst->dsa) return false;
    if (cls < 0 || cls >= CLASS__COUNT) return false;
    if (cst->stored && (cst->stored->sensitive_mask & CLASS_BIT(cls))) return true;
    int cat = p ? p->gpp_usnat[cls] : 0;
    /* a state section of the same string that refuses sensitive processing outranks US National's consent */
    return cat && cst->gpp && gpp_sensitive(cst->gpp, GPP_SID_USNAT, cat) == 2 &&
           !gpp_sensitive_refused_elsewhere(cst->gpp, GPP_SID_USNAT);
}

/* A detail buffer: in the request arena when prepared, else this thread's slot for the campaign. */
static char *detail_slot(struct sensitive_req *sp, uint32_t ci)
{
    char *b = sp ? arena_alloc(sp->a, POLICY_DETAIL_MAX, 1) : NULL;
    return b ? b : detail_buf[ci < CAMPAIGN_MAX ? ci : CAMPAIGN_MAX - 1];
}

static struct sv put_detail(struct sensitive_req *sp, uint32_t ci, const char *fmt_class, int32_t tax,
                            uint64_t key, const char *kind, struct sv extra)
{
    char id[POLICY_ID_MAX + 1];
    policy_key_id(key, id);
    char *b = detail_slot(sp, ci);
    int n = snprintf(b, POLICY_DETAIL_MAX, "%s: segtax %d id %s (%s%.*s)", fmt_class, (int)tax, id, kind,
                     SV_FMT(extra));
    if (n < 0) n = 0;
    if (n >= POLICY_DETAIL_MAX) n = POLICY_DETAIL_MAX - 1;
    return (struct sv){b, (size_t)n};
}

/* The lowest sensitive class of classes this person has not consented to, or -1. */
static int unconsented(const struct policy *p, const struct consent_state *cst, uint32_t classes)
{
    for (uint32_t sens = classes & class_mask_sensitive; sens; sens &= sens - 1)
        if (!sensitive_consented(p, cst, lowest_class(sens))) return lowest_class(sens);
    return -1;
}

/* Rule 1: the first request segment (data order, segment order) that the campaign targets and whose sensitive
 * classes are not all consented. */
static int rule_sensitive(const struct policy *p, const struct policy_camp *pc, uint32_t ci,
                          const struct ortb_request *req, const struct consent_state *cst,
                          struct sensitive_req *sp, struct sv *arg, int64_t *num)
{
    if (sp) {
        /* no request segment can be one of this campaign's keys: done without looking at any of them */
        if (!(pc->bloom & sp->bloom) || !(pc->segtaxes & sp->segtaxes)) return REASON_BID;
        for (uint32_t i = 0; i < sp->n; i++) {
            uint64_t key = sp->keys[i];
            int32_t st = (int32_t)(key >> 56);
            if (!key || st > 63 || !(pc->segtaxes & (1ull << st)) || !(pc->bloom & policy_bloom_bit(key)))
                continue;
            const struct policy_camp_key *k = policy_camp_find(pc, key);
            if (!k) continue;
            int cls = unconsented(p, cst, k->classes);
            if (cls < 0) continue;
            *arg = put_detail(sp, ci, class_name(cls), st, key, "provider ",
                              provider_of(&req->user.data[sp->data_ix[i]]));
            *num = 0;
            return sensitive_reason(cls);
        }
        return REASON_BID;
    }
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        int32_t st = data->segtax;
        if (st < 1 || st > 63 || !(pc->segtaxes & (1ull << st))) continue;
        for (uint32_t s = 0; s < data->segment.n; s++) {
            uint64_t key = policy_key(st, data->segment.v[s]);
            if (!key || !(pc->bloom & policy_bloom_bit(key))) continue;
            const struct policy_camp_key *k = policy_camp_find(pc, key);
            if (!k) continue;
            int cls = unconsented(p, cst, k->classes);
            if (cls < 0) continue;
            *arg = put_detail(NULL, ci, class_name(cls), st, key, "provider ", provider_of(data));
            *num = 0; /* the text says it all: decide_detail would append a bare number */
            return sensitive_reason(cls);
        }
    }
    return REASON_BID;
}

/* Rule 3's "vulnerable person": a vulnerability segment anywhere in user.data, or an id the policy cannot
 * read in a taxonomy it classifies (*key_out is then 0 and *unread the id). */
static bool carries_vulnerability(const struct policy *p, const struct ortb_request *req, int32_t *tax,
                                  uint64_t *key_out, uint32_t *classes, const struct ortb_data **which,
                                  struct sv *unread)
{
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        int32_t st = data->segtax;
        if (st < 1 || st > 255) continue;
        for (uint32_t s = 0; s < data->segment.n; s++) {
            uint32_t cls = policy_segment_classes(p, st, data->segment.v[s]);
            if (cls & class_mask_vulnerability) {
                *tax = st;
                *key_out = policy_key(st, data->segment.v[s]);
                *classes = cls & class_mask_vulnerability;
                *which = data;
                if (cls & POLICY_UNREADABLE) *unread = data->segment.v[s];
                return true;
            }
        }
    }
    return false;
}

struct sensitive_req *sensitive_prepare(const struct campaign_set *cs, const struct ortb_request *req,
                                        struct arena *a)
{
    if (!cs->policy) return NULL;
    uint32_t n = 0;
    for (uint32_t d = 0; d < req->user.ndata; d++) n += req->user.data[d].segment.n;
    /* set by one initializer, not arena_calloc's memset call */
    struct sensitive_req *sp = ARENA_ARRAY(a, struct sensitive_req, 1);
    if (!sp) return NULL;
    *sp = (struct sensitive_req){.a = a, .vuln = -1};
    sp->keys = ARENA_ARRAY(a, uint64_t, n + 1);
    sp->data_ix = ARENA_ARRAY(a, uint16_t, n + 1);
    if (!sp->keys || !sp->data_ix) return NULL;
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        for (uint32_t s = 0; s < data->segment.n; s++) {
            bool unread;
            uint64_t key = policy_segment_key(cs->policy, data->segtax, data->segment.v[s], &unread);
            sp->keys[sp->n] = key;
            sp->data_ix[sp->n++] = (uint16_t)d;
            if (key) {
                sp->bloom |= policy_bloom_bit(key);
                if (data->segtax < 64) sp->segtaxes |= 1ull << data->segtax;
            }
            /* an id with no key, or a key that is no integer where all ids are ("399abc" in Audience 1.1) */
            if (!sp->unread_ix && unread) {
                sp->unread_ix = sp->n;
                sp->unread_id = data->segment.v[s];
            }
        }
    }
    return sp;
}

/* Rule 3's vulnerable person, computed once per request. */
static bool prepared_vulnerability(const struct policy *p, struct sensitive_req *sp)
{
    if (sp->vuln < 0) {
        sp->vuln = 0;
        for (uint32_t i = 0; i < sp->n; i++) {
            uint64_t key = sp->keys[i];
            if (!key || !(p->vuln_bloom & policy_bloom_bit(key))) continue;
            const struct policy_entry *e = policy_table_get(&p->seg, key);
            if (e && (e->classes & class_mask_vulnerability)) {
                sp->vuln = 1;
                sp->vuln_ix = i;
                sp->vuln_classes = e->classes & class_mask_vulnerability;
                break;
            }
        }
        if (!sp->vuln && sp->unread_ix) { /* an id the policy cannot read could be one */
            sp->vuln = 1;
            sp->vuln_ix = sp->unread_ix - 1;
            sp->vuln_classes = class_mask_vulnerability;
        }
    }
    return sp->vuln == 1;
}

int sensitive_check(const struct campaign_set *cs, const struct campaign *c, const struct ortb_request *req,
                    const struct consent_state *cst, struct sv *arg, int64_t *num)
{
    return sensitive_check_prepared(cs, c, req, cst, NULL, arg, num);
}

bool sensitive_set_consults(const struct campaign_set *cs)
{
    if (!cs->policy) return false;
    for (uint32_t i = 0; i < cs->n; i++)
        if (sensitive_rules_can_apply(&cs->v[i])) return true;
    return false;
}

int sensitive_check_prepared(const struct campaign_set *cs, const struct campaign *c,
                             const struct ortb_request *req, const struct consent_state *cst,
                             struct sensitive_req *sp, struct sv *arg, int64_t *num)
{
    const struct policy *p = cs->policy;
    if (!p) return REASON_BID;
    if (!sensitive_rules_can_apply(c)) return REASON_BID;
    uint32_t risky = c->ad_classes & class_mask_high_risk;
    uint32_t ci = (uint32_t)(c - cs->v);
    const struct policy_camp *pc = ci < p->ncamp ? &p->camp[ci] : NULL;

    /* Rule 2: aiming at people because they are in crisis, addicted, bereaved or young is never allowed,
     * whatever matched on this request */
    if (c->seg_classes & class_mask_vulnerability) {
        *arg = pc ? pc->vuln_detail : SV_NULL;
        *num = 0;
        return REASON_EXPLOIT_VULNERABLE_TARGETING;
    }
    /* Rule 1 */
    if ((c->seg_classes & class_mask_sensitive) && pc && pc->nkeys) {
        int r = rule_sensitive(p, pc, ci, req, cst, sp, arg, num);
        if (r != REASON_BID) return r;
    }
    /* Rule 3 */
    if (risky) {
        struct sv pre = pc ? pc->cat_detail : SV_LIT("high-risk category");
        char *b = detail_slot(sp, ci);
        int32_t tax;
        uint64_t key;
        uint32_t vc;
        const struct ortb_data *which;
        struct sv unread = SV_NULL;
        int n = -1;
        if (cst->minor) {
            n = snprintf(b, POLICY_DETAIL_MAX, "%.*s (to minor)", SV_FMT(pre));
        } else if (sp ? prepared_vulnerability(p, sp)
                      : carries_vulnerability(p, req, &tax, &key, &vc, &which, &unread)) {
            if (sp) {
                key = sp->keys[sp->vuln_ix];
                vc = sp->vuln_classes;
                which = &req->user.data[sp->data_ix[sp->vuln_ix]];
                tax = which->segtax;
                if (sp->unread_ix && sp->vuln_ix == sp->unread_ix - 1) unread = sp->unread_id;
            }
            struct sv prov = provider_of(which);
            if (unread.p) {
                n = snprintf(b, POLICY_DETAIL_MAX,
                             "%.*s (to an unreadable segment id, segtax %d id %.*s, provider %.*s)",
                             SV_FMT(pre), (int)tax, (int)(unread.n < 16 ? unread.n : 16), unread.p,
                             SV_FMT(prov));
            } else {
                char id[POLICY_ID_MAX + 1];
                policy_key_id(key, id);
                n = snprintf(b, POLICY_DETAIL_MAX, "%.*s (to %s segtax %d id %s, provider %.*s)", SV_FMT(pre),
                             class_name(lowest_class(vc)), (int)tax, id, SV_FMT(prov));
            }
        }
        if (n >= 0) {
            if (n >= POLICY_DETAIL_MAX) n = POLICY_DETAIL_MAX - 1;
            *arg = (struct sv){b, (size_t)n};
            *num = 0;
            return REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE;
        }
    }
    return REASON_BID;
}

bool sensitive_detail_parse(struct sv detail, struct sv *cls, char *tax_id, size_t cap)
{
    size_t i = 0;
    while (i < detail.n && detail.p[i] != ':') i++;
    if (i == 0 || i + 2 >= detail.n) return false;
    *cls = (struct sv){detail.p, i};
    /* ": segtax 4 id 588 ..." or ": cattax 8 id 1361 ..." */
    const char *s = detail.p + i + 2, *end = detail.p + detail.n;
    while (s < end && *s != ' ') s++; /* skip the word segtax / cattax */
    if (s >= end) return false;
    s++;
    const char *t0 = s;
    while (s < end && *s != ' ') s++;
    const char *t1 = s;
    if (end - s < 4 || s[1] != 'i' || s[2] != 'd' || s[3] != ' ') return false;
    s += 4;
    const char *i0 = s;
    while (s < end && *s != ' ') s++;
    size_t need = (size_t)(t1 - t0) + 1 + (size_t)(s - i0) + 1;
    if (need > cap) return false;
    size_t k = 0;
    for (const char *q = t0; q < t1; q++) tax_id[k++] = *q;
    tax_id[k++] = ':';
    for (const char *q = i0; q < s; q++) tax_id[k++] = *q;
    tax_id[k] = '\0';
    return true;
}
