/* decide: per-imp, per-campaign verdicts and the auction. See decide.h.
 * Most checks do not depend on the imp (categories, advertiser, targeting, consent), so they run once per
 * campaign per request; only media, format and floor run per imp. */
#include "filters/decide.h"

#include <math.h>
#include <stdio.h>

#include "filters/jurisdiction.h"
#include "filters/media.h"
#include "filters/native.h"
#include "filters/policy.h"
#include "filters/sensitive.h"

static bool list_has(const struct ortb_list *l, struct sv s)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (sv_eq(l->v[i], s)) return true;
    return false;
}

static bool list_has_ci(const struct ortb_list *l, struct sv s)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (sv_ieq(l->v[i], s)) return true;
    return false;
}

/* badv entry b blocks domain d when d is b or a subdomain of it. */
static bool domain_blocked(struct sv d, struct sv b)
{
    if (b.n == 0 || d.n < b.n) return false;
    struct sv tail = {d.p + d.n - b.n, b.n};
    if (!sv_ieq(tail, b)) return false;
    return d.n == b.n || d.p[d.n - b.n - 1] == '.';
}

struct pre { /* request-level verdict for one campaign */
    uint16_t reason;
    struct sv arg;
    int64_t num;
};

static void personal_checks(const struct campaign *c, const struct ortb_request *req,
                            const struct consent_state *cs, const struct decide_env *env, struct pre *p);

/* What decide() resolved once per request for the jurisdiction rules (filters/jurisdiction.h), and which of
 * the request's category lists are written canonically (policy_ids_canonical: then every campaign's
 * comparison against them is a byte comparison). */
struct juris_ctx {
    const struct juris_state *js;
    int32_t age; /* by user.yob, -1 unknown */
    struct arena *a;
    bool bcat_canon, cat_canon, content_cat_canon;
};

static void pre_campaign(const struct campaign_set *set, const struct campaign *c,
                         const struct ortb_request *req, const struct consent_state *cs,
                         const struct decide_env *env, struct sensitive_req *sp, const struct juris_ctx *jc,
                         struct pre *p)
{
    p->reason = REASON_BID;
    p->arg = SV_NULL;
    p->num = 0;
    if (cs->block_all >= 0) {
        p->reason = (uint16_t)cs->block_all;
        p->arg = cs->all_detail;
        p->num = cs->all_num;
        return;
    }
    for (uint32_t i = 0; i < c->cat.n; i++)
        if (policy_id_in_known(req->bcat.v, req->bcat.n, jc->bcat_canon, c->cat.v[i], c->cat_canon)) {
            p->reason = REASON_BLOCKED_CAT;
            p->arg = c->cat.v[i];
            return;
        }
    for (uint32_t i = 0; i < c->adomain.n; i++)
        for (uint32_t b = 0; b < req->badv.n; b++)
            if (domain_blocked(c->adomain.v[i], req->badv.v[b])) {
                p->reason = REASON_BLOCKED_ADOMAIN;
                p->arg = c->adomain.v[i];
                return;
            }
    const struct campaign_targeting *t = &c->t;
    if (t->site_cat.n) {
        bool hit = false;
        for (uint32_t i = 0; i < t->site_cat.n && !hit; i++)
            hit = policy_id_in_known(req->ctx.cat.v, req->ctx.cat.n, jc->cat_canon, t->site_cat.v[i],
                                     t->site_cat_canon) ||
                  policy_id_in_known(req->ctx.content_cat.v, req->ctx.content_cat.n, jc->content_cat_canon,
                                     t->site_cat.v[i], t->site_cat_canon);
        if (!hit) {
            p->reason = REASON_MATCH_SITE_CAT;
            return;
        }
    }
    if (t->countries.n && !list_has_ci(&t->countries, req->device.geo.country)) {
        p->reason = REASON_MATCH_COUNTRY;
        p->arg = req->device.geo.country;
        return;
    }
    /* a user.geo.country that disagrees leaves the country unknowable: both must be targeted (issue 12);
     * one given twice (dropped by the parser) matches nothing */
    if (t->countries.n && ((req->priv.bad & (1ull << ORTB_PF_UGEO | 1ull << ORTB_PF_UGEO_COUNTRY)) ||
                           (req->user.geo.country.n && !list_has_ci(&t->countries, req->user.geo.country)))) {
        p->reason = REASON_MATCH_COUNTRY;
        p->arg = req->user.geo.country;
        return;
    }
    /* the law of the place: bans that no consent lifts, so before the consent checks */
    if (c->personal || c->politics_cat) {
        int jr = juris_check(set, c, req, cs, jc->js, jc->age, jc->a, &p->arg, &p->num);
        if (jr != REASON_BID) {
            p->reason = (uint16_t)jr;
            return;
        }
    }
    if (c->personal) {
        personal_checks(c, req, cs, env, p);
        if (p->reason != REASON_BID) return;
    }
    /* most campaigns are ones no sensitive rule applies to: the answer, REASON_BID, without the call */
    if (!set->policy || !sensitive_rules_can_apply(c)) return;
    int r = sensitive_check_prepared(set, c, req, cs, sp, &p->arg, &p->num);
    if (r != REASON_BID) p->reason = (uint16_t)r;
}

/* Personal-data targeting: consent first, so nothing personal is even matched without it. */
static void personal_checks(const struct campaign *c, const struct ortb_request *req,
                            const struct consent_state *cs, const struct decide_env *env, struct pre *p)
{
    const struct campaign_targeting *t = &c->t;
    if (cs->block_personal >= 0) {
        p->reason = (uint16_t)cs->block_personal;
        p->arg = cs->detail;
        p->num = cs->num;
        return;
    }
    if (t->nsegments) {
        bool hit = false;
        for (uint32_t d = 0; d < req->user.ndata && !hit; d++) {
            const struct ortb_data *data = &req->user.data[d];
            if (data->ambiguous) continue; /* an id given twice: no targeting on it (ortb.h) */
            for (uint32_t r = 0; r < t->nsegments && !hit; r++) {
                const struct campaign_segment_rule *rule = &t->segments[r];
                if (data->segtax != rule->segtax) continue;
                for (uint32_t s = 0; s < data->segment.n && !hit; s++)
                    hit = policy_id_in(rule->ids.v, rule->ids.n, data->segment.v[s]);
            }
        }
        if (!hit) {
            p->reason = REASON_MATCH_SEGMENT;
            return;
        }
    }
    if (t->has_age) {
        int32_t yob = req->user.yob;
        int32_t age = (yob != ORTB_UNSET && yob > 1900 && yob <= env->year) ? env->year - yob : -1;
        if (age < 0 || age < t->age_min || age > t->age_max) {
            p->reason = REASON_MATCH_AGE;
            p->num = age;
            return;
        }
    }
    if (t->has_near) {
        /* precise geo reaches here only where the law and the consent allow it (juris_check, consent) */
        const struct ortb_geo *g = &req->device.geo;
        bool in = false;
        if (cs->precise_geo_ok && g->has_lat && g->has_lon && g->lat >= -90 && g->lat <= 90 &&
            g->lon >= -180 && g->lon <= 180) {
            /* equirectangular distance: exact enough for radii of a city, and cheap */
            const double rad = 3.14159265358979323846 / 180;
            double dlon = fabs(g->lon - t->near_lon);
            if (dlon > 180) dlon = 360 - dlon;
            double x = dlon * rad * cos((g->lat + t->near_lat) * 0.5 * rad), y = (g->lat - t->near_lat) * rad;
            in = 6371.0 * sqrt(x * x + y * y) <= t->near_radius_km;
        }
        if (!in) {
            p->reason = REASON_MATCH_GEO;
            return;
        }
    }
    if (t->gender_mask) {
        struct sv g = req->user.gender;
        unsigned bit = 0;
        if (g.n == 1)
            bit = g.p[0] == 'M'   ? CAMPAIGN_GENDER_M
                  : g.p[0] == 'F' ? CAMPAIGN_GENDER_F
                  : g.p[0] == 'O' ? CAMPAIGN_GENDER_O
                                  : 0;
        if (!(bit & t->gender_mask)) {
            p->reason = REASON_MATCH_GENDER;
            p->arg = g;
            return;
        }
    }
}

static bool format_fits(const struct campaign *c, const struct ortb_imp *imp, int32_t *ow, int32_t *oh)
{
    for (uint32_t f = 0; f < c->nformats; f++) {
        int32_t w = c->formats[f].w, h = c->formats[f].h;
        bool fit = imp->banner_w == w && imp->banner_h == h;
        for (uint32_t i = 0; i < imp->nformat && !fit; i++)
            fit = imp->format[i].w == w && imp->format[i].h == h;
        if (fit) {
            *ow = w;
            *oh = h;
            return true;
        }
    }
    return false;
}

static bool size_offered(const struct ortb_imp *imp, int32_t w, int32_t h)
{
    if (imp->banner_w == w && imp->banner_h == h) return true;
    for (uint32_t i = 0; i < imp->nformat; i++)
        if (imp->format[i].w == w && imp->format[i].h == h) return true;
    return false;
}

/* The first creative of the campaign that fits the imp (its formats banner first, then "creatives" in config
 * order), or the reason none does: match.media when no creative is of a media type the imp offers, else the
 * first mismatch of a creative of an offered type. */
static int pick_creative(const struct campaign *cp, const struct ortb_imp *imp, struct decide_pick *pk,
                         int64_t *num)
{
    int why = REASON_MATCH_MEDIA;
    pk->creative = -1;
    pk->deal = -1;
    pk->w = pk->h = 0;
    if (imp->has_banner && cp->nformats) {
        if (format_fits(cp, imp, &pk->w, &pk->h)) {
            pk->mtype = CREATIVE_BANNER;
            return REASON_BID;
        }
        why = REASON_MATCH_FORMAT;
    }
    for (uint32_t k = 0; k < cp->ncreatives; k++) {
        const struct creative *cr = &cp->creatives[k];
        int r;
        uint32_t bad = 0;
        switch (cr->type) {
        case CREATIVE_BANNER:
            if (!imp->has_banner) continue;
            r = size_offered(imp, cr->w, cr->h) ? REASON_BID : REASON_MATCH_FORMAT;
            break;
        case CREATIVE_VIDEO:
            if (!imp->has_video) continue;
            r = media_match_video(&imp->video, cr);
            break;
        case CREATIVE_AUDIO:
            if (!imp->has_audio) continue;
            r = media_match_audio(&imp->audio, cr);
            break;
        case CREATIVE_NATIVE:
            if (!imp->has_native) continue;
            r = native_match(&imp->native, cr, NULL, &bad);
            if (r == REASON_MATCH_NATIVE_ASSET && imp->native.assets) *num = imp->native.assets[bad].id;
            break;
        default:
            continue;
        }
        if (r == REASON_BID) {
            pk->creative = (int32_t)k;
            pk->mtype = cr->type;
            if (cr->type == CREATIVE_BANNER || cr->type == CREATIVE_VIDEO) {
                pk->w = cr->w;
                pk->h = cr->h;
            }
            return REASON_BID;
        }
        if (why == REASON_MATCH_MEDIA || (why == REASON_MATCH_FORMAT && r != REASON_MATCH_FORMAT)) why = r;
    }
    return why;
}

static bool is_currency(struct sv cur, struct sv ours)
{
    if (cur.n == 0) cur = SV_LIT("USD"); /* OpenRTB default */
    /* the usual floor is in our currency, written as we write it: three equal bytes decide without folding */
    if (cur.n == 3 && ours.n == 3 && cur.p[0] == ours.p[0] && cur.p[1] == ours.p[1] && cur.p[2] == ours.p[2])
        return true;
    return sv_ieq(cur, ours);
}

/* amount in currency cur as micros of the bidding currency; false when fx has no rate for cur. */
static bool to_micros(const struct campaign_set *cs, struct sv cur, double amount, int64_t *out)
{
    if (amount <= 0) {
        *out = 0;
        return true;
    }
    if (!is_currency(cur, cs->currency)) {
        if (cur.n == 0) cur = SV_LIT("USD");
        uint32_t i = 0;
        while (i < cs->nfx && !(cur.n == 3 && sv_ieq(cur, (struct sv){cs->fx[i].cur, 3}))) i++;
        if (i == cs->nfx || !(cs->fx[i].rate > 0)) return false;
        amount /= cs->fx[i].rate; /* rates are units of cur per one unit of ours */
    }
    /* a floor past int64 micros (1e13 and up) is above any price: clamp before converting */
    double fm = amount * 1e6;
    if (fm > 0 && fm < 4503599627370496.0) {
        /* below 2^52 the truncation and fm - it are exact: llround's half away from zero without the call */
        int64_t r = (int64_t)fm;
        *out = fm - (double)r >= 0.5 ? r + 1 : r;
        return true;
    }
    *out = fm >= 9.2e18 ? INT64_MAX : (int64_t)llround(fm);
    return true;
}

static bool domains_meet(const struct ortb_list *ours, const struct ortb_list *allowed)
{
    for (uint32_t i = 0; i < ours->n; i++)
        for (uint32_t k = 0; k < allowed->n; k++)
            if (domain_blocked(ours->v[i], allowed->v[k])) return true; /* same or a subdomain */
    return false;
}

/* The first deal of the imp the campaign holds and may take (wseat, wadomain, floor): its index and floor.
 * -1 with *why the reason the last candidate failed (0 when the imp lists none of the campaign's deals). */
static int32_t pick_deal(const struct campaign_set *cs, const struct campaign *cp, const struct ortb_imp *imp,
                         int64_t *floor, int *why, struct sv *arg, int64_t *num)
{
    *why = 0;
    if (!cp->deals.n) return -1;
    for (uint32_t d = 0; d < imp->pmp.ndeals; d++) {
        const struct ortb_deal *dl = &imp->pmp.deals[d];
        if (!dl->id.n || !list_has(&cp->deals, dl->id)) continue;
        if ((dl->wseat.n && !list_has_ci(&dl->wseat, cs->seat)) ||
            (dl->wadomain.n && !domains_meet(&cp->adomain, &dl->wadomain))) {
            *why = REASON_MATCH_DEAL;
            *arg = dl->id;
            continue;
        }
        int64_t f;
        if (!to_micros(cs, dl->bidfloorcur, dl->bidfloor, &f)) {
            *why = REASON_FLOOR_CURRENCY;
            *arg = dl->bidfloorcur;
            continue;
        }
        if (cp->bid_micros < f) {
            *why = REASON_FLOOR;
            *num = f;
            continue;
        }
        *floor = f;
        return (int32_t)d;
    }
    return -1;
}

/* Every campaign's request-level verdict. */
static inline void pre_all(const struct campaign_set *cs, const struct ortb_request *req, bool cur_ok,
                           const struct consent_state *cst, const struct decide_env *env,
                           struct sensitive_req *sp, const struct juris_ctx *jc, struct pre *pre)
{
    for (uint32_t c = 0; c < cs->n; c++) {
        if (!cur_ok) {
            pre[c] = (struct pre){REASON_CURRENCY, cs->currency, 0};
            continue;
        }
        pre_campaign(cs, &cs->v[c], req, cst, env, sp, jc, &pre[c]);
    }
}

/* A request refused whole (its currency, or the consent for every campaign, which pre_campaign answers
 * before any other check): when indeed no campaign passed, each imp's verdicts are theirs, as decide_run's
 * imp loop would write them, without its floor conversion and auction; true then, else false with only pre
 * written. Out of line and off the usual request's path, which is laid out as without it. */
__attribute__((noinline, cold)) static bool
refused_whole(const struct campaign_set *cs, const struct ortb_request *req, bool cur_ok,
              const struct consent_state *cst, const struct decide_env *env, const struct juris_ctx *jc,
              struct pre *pre, struct decide_result *out)
{
    pre_all(cs, req, cur_ok, cst, env, NULL, jc, pre);
    for (uint32_t c = 0; c < cs->n; c++)
        if (pre[c].reason == REASON_BID) return false;
    for (uint32_t i = 0; i < req->nimp; i++) {
        struct decide_verdict *row = out->v + (size_t)i * cs->n;
        for (uint32_t c = 0; c < cs->n; c++) {
            row[c].imp = (uint16_t)i;
            row[c].campaign = (uint16_t)c;
            row[c].reason = pre[c].reason;
            row[c].arg = pre[c].arg;
            row[c].num = pre[c].num;
        }
        out->winner[i] = -1;
        out->price[i] = 0;
    }
    out->nv = req->nimp * cs->n;
    return true;
}

int decide_run(const struct campaign_set *cs, const struct ortb_request *req, const struct decide_env *env,
               struct arena *a, struct decide_result *out)
{
    out->nv = 0;
    out->nbids = 0;
    out->request_reason = -1;
    out->winner = ARENA_ARRAY(a, int32_t, req->nimp ? req->nimp : 1);
    out->price = ARENA_ARRAY(a, int64_t, req->nimp ? req->nimp : 1);
    int64_t *price = ARENA_ARRAY(a, int64_t, cs->n + 1);
    out->v = ARENA_ARRAY(a, struct decide_verdict, (size_t)req->nimp * cs->n + 1);
    struct pre *pre = ARENA_ARRAY(a, struct pre, cs->n + 1);
    out->pick = ARENA_ARRAY(a, struct decide_pick, req->nimp ? req->nimp : 1);
    struct decide_pick *picks = ARENA_ARRAY(a, struct decide_pick, cs->n + 1);
    if (!out->winner || !out->price || !price || !out->v || !pre || !out->pick || !picks) {
        out->request_reason = REASON_INTERNAL_MEMORY;
        out->winner = NULL;
        out->v = NULL;
        out->pick = NULL;
        return DECIDE_ENOMEM;
    }

    struct consent_config ccfg = {.tcf_vendor_id = cs->tcf_vendor_id, .tcf_strict = cs->tcf_strict};
    struct consent_state *cstp = &out->consent;
    consent_eval(req, &ccfg, env->store, env->year, a, cstp);
    struct juris_opts jo = {.unknown_strictest = cs->juris_unknown_strictest,
                            .pol_custom_purpose = cs->pol_custom_purpose,
                            .first_party = &cs->first_party};
    juris_resolve(cs->juris, &jo, req, cstp, env->now_ms, &out->juris);
    /* where selling precise geolocation is banned no one's is used (targeting.near is its only reader) */
    if (out->juris.precise_geo == JURIS_GEO_BANNED) cstp->precise_geo_ok = false;
    const struct consent_state cst = *cstp;
    int32_t yob = req->user.yob;
    struct juris_ctx jc = {.js = &out->juris,
                           .age =
                               (yob != ORTB_UNSET && yob > 1900 && yob <= env->year) ? env->year - yob : -1,
                           .a = a};
    bool cur_ok = req->cur.n == 0 || list_has_ci(&req->cur, cs->currency);
    struct sensitive_req *sp = NULL;
    /* a request refused whole (its currency, or the consent for every campaign) never reaches the category
     * and sensitive checks in pre_campaign: its lists are not read nor its segments packed then (the usual
     * request is not refused whole) */
    if (__builtin_expect(cur_ok && cst.block_all < 0, 1)) {
        jc.bcat_canon = policy_ids_canonical(req->bcat.v, req->bcat.n);
        jc.cat_canon = policy_ids_canonical(req->ctx.cat.v, req->ctx.cat.n);
        jc.content_cat_canon = policy_ids_canonical(req->ctx.content_cat.v, req->ctx.content_cat.n);
        /* the request's segments packed once for the sensitive/exploit rules of every campaign; not at all
         * when no campaign of the set is one a rule applies to (sensitive_check_prepared then never reads
         * sp: it returns before, as for a NULL one) */
        if (sensitive_set_consults(cs)) sp = sensitive_prepare(cs, req, a);
    } else {
        out->request_reason = !cur_ok ? REASON_CURRENCY : cst.block_all;
        if (refused_whole(cs, req, cur_ok, &cst, env, &jc, pre, out)) return 0;
    }
    pre_all(cs, req, cur_ok, &cst, env, sp, &jc, pre);

    for (uint32_t i = 0; i < req->nimp; i++) {
        const struct ortb_imp *imp = &req->imp[i];
        struct decide_verdict *row = out->v + (size_t)i * cs->n;
        int32_t best = -1;
        /* the imp's floor in micros of our currency (fx converts; a currency without a rate is a no-bid) */
        int64_t floor_micros = 0;
        bool floor_cur_ok = to_micros(cs, imp->bidfloorcur, imp->bidfloor, &floor_micros);
        bool pmp = imp->pmp.ndeals || imp->pmp.private_auction == 1;
        for (uint32_t c = 0; c < cs->n; c++) {
            const struct campaign *cp = &cs->v[c];
            struct decide_verdict *v = &row[c];
            v->imp = (uint16_t)i;
            v->campaign = (uint16_t)c;
            v->reason = pre[c].reason;
            v->arg = pre[c].arg;
            v->num = pre[c].num;
            if (v->reason != REASON_BID) continue;
            struct decide_pick *pk = &picks[c];
            int64_t fl = floor_micros;
            int mr = pick_creative(cp, imp, pk, &v->num);
            if (mr != REASON_BID) {
                v->reason = (uint16_t)mr;
                if (mr == REASON_MATCH_NATIVE_REQUEST) v->arg = sv_from(imp->native.why);
                continue;
            }
            if (pmp || cp->deal_only) {
                int dwhy;
                struct sv darg = SV_NULL;
                int64_t dnum = 0;
                pk->deal = pick_deal(cs, cp, imp, &fl, &dwhy, &darg, &dnum);
                if (pk->deal < 0 && (imp->pmp.private_auction == 1 || cp->deal_only)) {
                    /* no deal it may take: never into a private auction, nor a deal-only campaign in the open
                     */
                    v->reason = (uint16_t)(dwhy                            ? dwhy
                                           : imp->pmp.private_auction == 1 ? REASON_MATCH_PRIVATE_AUCTION
                                                                           : REASON_MATCH_DEAL);
                    v->arg = darg;
                    v->num = dnum;
                    continue;
                }
                if (pk->deal < 0) fl = floor_micros;
            }
            if (pk->deal < 0 && !floor_cur_ok) {
                v->reason = REASON_FLOOR_CURRENCY;
                v->arg = imp->bidfloorcur;
            } else if (cp->bid_micros < fl) {
                v->reason = REASON_FLOOR;
                v->num = fl;
            } else {
                /* eligible: fairness and caps may throttle, or boost an under-served group's price */
                price[c] = cp->bid_micros;
                uint64_t x =
                    env->seed + (uint64_t)i * 0x9E3779B97F4A7C15ull + (uint64_t)c * 0xBF58476D1CE4E5B9ull;
                x ^= x >> 31;
                x *= 0x94D049BB133111EBull;
                x ^= x >> 29;
                int r = fair_check(env->fair, cs, c, req, (uint32_t)x, &price[c], &v->arg, &v->num);
                if (r != REASON_BID) {
                    v->reason = (uint16_t)r;
                } else if (price[c] < fl) {
                    fair_release(env->fair, cs, c, price[c]);
                    v->reason = REASON_FLOOR;
                    v->num = fl;
                } else if (best < 0 || price[c] > price[best]) {
                    /* ties keep the earlier campaign in config order: deterministic */
                    best = (int32_t)c;
                }
            }
        }
        if (env->fair) /* the cap tokens and budget spend the internal auction's losers took go back */
            for (uint32_t c = 0; c < cs->n; c++)
                if (row[c].reason == REASON_BID && (int32_t)c != best)
                    fair_release(env->fair, cs, c, price[c]);
        for (uint32_t c = 0; c < cs->n; c++)
            if (row[c].reason == REASON_BID && (int32_t)c != best) {
                row[c].reason = REASON_AUCTION_LOST;
                row[c].num = best >= 0 ? price[best] : 0;
                row[c].arg = best >= 0 ? cs->v[best].id : SV_NULL;
            }
        out->winner[i] = best;
        out->price[i] = best >= 0 ? price[best] : 0;
        if (best >= 0) out->pick[i] = picks[best];
        if (best >= 0) out->nbids++;
    }
    out->nv = req->nimp * cs->n;
    return 0;
}

static size_t put_list(char *buf, size_t cap, const struct ortb_format *f, uint32_t n)
{
    size_t len = 0;
    for (uint32_t i = 0; i < n && len < cap; i++) {
        int k = snprintf(buf + len, cap - len, "%s%dx%d", i ? ", " : "", f[i].w, f[i].h);
        if (k < 0) break;
        len += (size_t)k;
    }
    return len < cap ? len : cap - 1;
}

size_t decide_detail(const struct campaign_set *cs, const struct ortb_request *req,
                     const struct decide_verdict *v, char *buf, size_t cap)
{
    if (!cap) return 0;
    const struct campaign *c = &cs->v[v->campaign];
    const struct ortb_imp *imp = &req->imp[v->imp];
    int n = 0;
    switch (v->reason) {
    case REASON_BID:
        n = snprintf(buf, cap, "price %.6g %.*s", (double)c->bid_micros / 1e6, SV_FMT(cs->currency));
        break;
    case REASON_AUCTION_LOST:
        n = snprintf(buf, cap, "campaign %.*s bid %.6g, more than %.6g", SV_FMT(v->arg), (double)v->num / 1e6,
                     (double)c->bid_micros / 1e6);
        break;
    case REASON_MATCH_MEDIA:
        n = snprintf(
            buf, cap, "imp %.*s has%s%s%s%s%s", SV_FMT(imp->id), imp->has_banner ? " banner" : "",
            imp->has_video ? " video" : "", imp->has_audio ? " audio" : "", imp->has_native ? " native" : "",
            (imp->has_banner || imp->has_video || imp->has_audio || imp->has_native) ? ""
                                                                                     : " no media object");
        break;
    case REASON_MATCH_FORMAT: {
        char want[256], have[256];
        size_t wl = put_list(want, sizeof want, c->formats, c->nformats);
        for (uint32_t k = 0; k < c->ncreatives && wl + 24 < sizeof want; k++) /* banner creatives too */
            if (c->creatives[k].type == CREATIVE_BANNER)
                wl += (size_t)snprintf(want + wl, sizeof want - wl, "%s%dx%d", wl ? ", " : "",
                                       c->creatives[k].w, c->creatives[k].h);
        size_t hl = 0;
        if (imp->banner_w != ORTB_UNSET)
            hl = (size_t)snprintf(have, sizeof have, "%dx%d%s", imp->banner_w, imp->banner_h,
                                  imp->nformat ? ", " : "");
        if (hl >= sizeof have) hl = sizeof have - 1;
        put_list(have + hl, sizeof have - hl, imp->format, imp->nformat);
        if (hl == 0 && imp->nformat == 0) snprintf(have, sizeof have, "no size");
        n = snprintf(buf, cap, "imp offers [%s], campaign serves [%s]", have, want);
        break;
    }
    case REASON_MATCH_VIDEO_DURATION:
    case REASON_MATCH_AUDIO_DURATION: {
        const struct ortb_av *av = v->reason == REASON_MATCH_VIDEO_DURATION ? &imp->video : &imp->audio;
        n = snprintf(buf, cap, "imp wants %d-%d s%s", av->minduration == ORTB_UNSET ? 0 : av->minduration,
                     av->maxduration == ORTB_UNSET ? 0 : av->maxduration,
                     av->nrqddurs ? " (or exactly one of its rqddurs)" : "");
        break;
    }
    case REASON_MATCH_NATIVE_ASSET:
        n = snprintf(buf, cap, "required native asset id %lld cannot be filled", (long long)v->num);
        break;
    case REASON_MATCH_SITE_CAT:
        n = snprintf(buf, cap, "page categories do not include any campaign site_cat");
        break;
    case REASON_MATCH_COUNTRY:
        n = snprintf(buf, cap, "country \"%.*s\"", SV_FMT(v->arg));
        break;
    case REASON_MATCH_AGE:
        if (v->num < 0)
            n = snprintf(buf, cap, "age unknown, campaign wants %d-%d", c->t.age_min, c->t.age_max);
        else
            n = snprintf(buf, cap, "age %lld, campaign wants %d-%d", (long long)v->num, c->t.age_min,
                         c->t.age_max);
        break;
    case REASON_MATCH_GEO:
        if (req->device.geo.has_lat && req->device.geo.has_lon)
            n = snprintf(buf, cap, "device not within %.6g km of the campaign's point", c->t.near_radius_km);
        else
            n = snprintf(buf, cap, "no device.geo.lat/lon");
        break;
    case REASON_MATCH_GENDER:
        n = snprintf(buf, cap, "gender \"%.*s\"", SV_FMT(v->arg));
        break;
    case REASON_FLOOR:
        n = snprintf(buf, cap, "price %.6g < bidfloor %.6g", (double)c->bid_micros / 1e6,
                     (double)v->num / 1e6);
        break;
    case REASON_FLOOR_CURRENCY:
        n = snprintf(buf, cap, "bidfloorcur %.*s, fairbid bids in %.*s", SV_FMT(v->arg),
                     SV_FMT(cs->currency));
        break;
    case REASON_CURRENCY:
        n = snprintf(buf, cap, "request cur excludes %.*s", SV_FMT(cs->currency));
        break;
    case REASON_BLOCKED_CAT:
        n = snprintf(buf, cap, "category %.*s is in bcat", SV_FMT(v->arg));
        break;
    case REASON_BLOCKED_ADOMAIN:
        n = snprintf(buf, cap, "adomain %.*s is blocked by badv", SV_FMT(v->arg));
        break;
    default:
        if (v->arg.p)
            n = snprintf(buf, cap, "%.*s%s", SV_FMT(v->arg), v->num ? "" : "");
        else
            n = snprintf(buf, cap, "%s", reason_text(v->reason));
        if (v->num && v->arg.p && n >= 0 && (size_t)n < cap)
            n += snprintf(buf + n, cap - (size_t)n, " (%lld)", (long long)v->num);
    }
    if (n < 0) n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
