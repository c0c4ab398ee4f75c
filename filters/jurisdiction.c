/* jurisdiction: see jurisdiction.h and docs/jurisdictions.md. */
#include "filters/jurisdiction.h"

#include <stdio.h>

#include "filters/classes.h"
#include "filters/gpp.h"
#include "filters/policy.h"
#include "filters/reasons.h"
#include "filters/tcf.h"

/* GPP US state section ids 8-27 (IAB GPP Section Information), as two-letter state codes. */
static const char gpp_state[28][3] = {
    [8] = "CA",  [9] = "VA",  [10] = "CO", [11] = "UT", [12] = "CT", [13] = "FL", [14] = "MT",
    [15] = "OR", [16] = "TX", [17] = "DE", [18] = "IA", [19] = "NE", [20] = "NH", [21] = "NJ",
    [22] = "TN", [23] = "MN", [24] = "MD", [25] = "IN", [26] = "KY", [27] = "RI",
};

static char up(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

/* EEA members (EU 27 + Iceland, Liechtenstein, Norway), alpha-3 then alpha-2, same order. A switch over the
 * packed letters: the compiler makes a search of a few compares, where a scan of the 30 codes cost every
 * request from outside the EEA (most) 180 instructions. */
#define K2(a, b) ((uint32_t)(unsigned char)(a) << 8 | (unsigned char)(b))
#define K3(a, b, c) (K2(a, b) << 8 | (unsigned char)(c))

/* Bit i: some EEA code starts with letter 'A' + i (the same letters for alpha-3 and alpha-2). */
#define EEA_FIRST                                                                                            \
    (1u << ('A' - 'A') | 1u << ('B' - 'A') | 1u << ('C' - 'A') | 1u << ('D' - 'A') | 1u << ('E' - 'A') |     \
     1u << ('F' - 'A') | 1u << ('G' - 'A') | 1u << ('H' - 'A') | 1u << ('I' - 'A') | 1u << ('L' - 'A') |     \
     1u << ('M' - 'A') | 1u << ('N' - 'A') | 1u << ('P' - 'A') | 1u << ('R' - 'A') | 1u << ('S' - 'A'))

bool juris_eea_country(struct sv c)
{
    /* the first letter rejects the usual "USA" (and every code from J, K, O, Q, T-Z) before the search */
    if (c.n != 2 && c.n != 3) return false;
    unsigned f = (unsigned)(unsigned char)up(c.p[0]) - 'A';
    if (f >= 26 || !(EEA_FIRST >> f & 1)) return false;
    if (c.n == 3) {
        switch (K3(up(c.p[0]), up(c.p[1]), up(c.p[2]))) {
        case K3('A', 'U', 'T'):
        case K3('B', 'E', 'L'):
        case K3('B', 'G', 'R'):
        case K3('H', 'R', 'V'):
        case K3('C', 'Y', 'P'):
        case K3('C', 'Z', 'E'):
        case K3('D', 'N', 'K'):
        case K3('E', 'S', 'T'):
        case K3('F', 'I', 'N'):
        case K3('F', 'R', 'A'):
        case K3('D', 'E', 'U'):
        case K3('G', 'R', 'C'):
        case K3('H', 'U', 'N'):
        case K3('I', 'R', 'L'):
        case K3('I', 'T', 'A'):
        case K3('L', 'V', 'A'):
        case K3('L', 'T', 'U'):
        case K3('L', 'U', 'X'):
        case K3('M', 'L', 'T'):
        case K3('N', 'L', 'D'):
        case K3('P', 'O', 'L'):
        case K3('P', 'R', 'T'):
        case K3('R', 'O', 'U'):
        case K3('S', 'V', 'K'):
        case K3('S', 'V', 'N'):
        case K3('E', 'S', 'P'):
        case K3('S', 'W', 'E'):
        case K3('I', 'S', 'L'):
        case K3('L', 'I', 'E'):
        case K3('N', 'O', 'R'):
            return true;
        default:
            return false;
        }
    }
    if (c.n == 2) {
        switch (K2(up(c.p[0]), up(c.p[1]))) {
        case K2('A', 'T'):
        case K2('B', 'E'):
        case K2('B', 'G'):
        case K2('H', 'R'):
        case K2('C', 'Y'):
        case K2('C', 'Z'):
        case K2('D', 'K'):
        case K2('E', 'E'):
        case K2('F', 'I'):
        case K2('F', 'R'):
        case K2('D', 'E'):
        case K2('G', 'R'):
        case K2('H', 'U'):
        case K2('I', 'E'):
        case K2('I', 'T'):
        case K2('L', 'V'):
        case K2('L', 'T'):
        case K2('L', 'U'):
        case K2('M', 'T'):
        case K2('N', 'L'):
        case K2('P', 'L'):
        case K2('P', 'T'):
        case K2('R', 'O'):
        case K2('S', 'K'):
        case K2('S', 'I'):
        case K2('E', 'S'):
        case K2('S', 'E'):
        case K2('I', 'S'):
        case K2('L', 'I'):
        case K2('N', 'O'):
            return true;
        default:
            return false;
        }
    }
    return false;
}

static inline __attribute__((always_inline)) bool is_us(struct sv c)
{
    return (c.n == 3 && up(c.p[0]) == 'U' && up(c.p[1]) == 'S' && up(c.p[2]) == 'A') ||
           (c.n == 2 && up(c.p[0]) == 'U' && up(c.p[1]) == 'S');
}

int32_t juris_parse_date(struct sv s)
{
    if (s.n != 10 || s.p[4] != '-' || s.p[7] != '-') return INT32_MIN;
    int v[8], k = 0;
    for (size_t i = 0; i < 10; i++) {
        if (i == 4 || i == 7) continue;
        if (s.p[i] < '0' || s.p[i] > '9') return INT32_MIN;
        v[k++] = s.p[i] - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return INT32_MIN;
    /* days from civil (Howard Hinnant's algorithm) */
    y -= m <= 2;
    int era = y / 400, yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int juris_find(const struct juris_table *t, struct sv code)
{
    if (!t) return -1;
    for (uint32_t i = 0; i < t->ncode; i++)
        if (sv_eq_cstr(code, t->code[i])) return (int)i;
    return -1;
}

static int state_slot(char a, char b)
{
    a = up(a);
    b = up(b);
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
    return (a - 'A') * 26 + (b - 'A');
}

static void set_code(struct juris_state *o, const char *a, const char *b)
{
    size_t n = 0;
    for (; a && *a && n < JURIS_CODE_MAX - 1; a++) o->code[n++] = up(*a);
    for (; b && *b && n < JURIS_CODE_MAX - 1; b++) o->code[n++] = up(*b);
    o->code[n] = '\0';
}

/* The row of jurisdiction j in force at now_ms, or NULL (rows sorted by jidx, then date). */
static const struct juris_entry *in_force(const struct juris_table *t, int j, int64_t now_ms)
{
    /* a jurisdiction has a handful of rows, latest last: walk back to the first in force */
    const struct juris_entry *e = t->e + t->first[j];
    for (uint32_t i = t->count[j]; i-- > 0;)
        if (e[i].from_ms <= now_ms) return &e[i];
    return NULL;
}

static void merge(struct juris_state *o, const struct juris_entry *e)
{
    if (e->min_age > o->min_age) {
        o->min_age = e->min_age;
        o->src_age = e;
    }
    if (e->sensitive_banned && !o->sensitive_banned) {
        o->sensitive_banned = true;
        o->src_sensitive = e;
    }
    if (e->precise_geo > o->precise_geo) {
        o->precise_geo = e->precise_geo;
        o->src_geo = e;
    }
    if (e->political > o->political ||
        (e->political && e->political == o->political && e->political_min_age > o->political_min_age)) {
        o->political = e->political;
        o->political_min_age = e->political_min_age;
        o->src_political = e;
    }
}

/* Where one geo object places the person: "USA" (with a state slot when its region names one), an EEA
 * country, another country, or nowhere (named false). */
struct place {
    bool named, us, eu;
    int slot;   /* US state slot (state_slot), -1 none */
    char cc[4]; /* another country: its code, upper case */
};

static inline __attribute__((always_inline)) void geo_place(const struct ortb_geo *g, struct place *p)
{
    *p = (struct place){.slot = -1};
    struct sv country = g->country, region = g->region;
    if (!country.n && !region.n) return; /* the usual user.geo */
    /* a region "US-MD" without a country still says where the person is */
    bool us_region = region.n == 5 && up(region.p[0]) == 'U' && up(region.p[1]) == 'S' && region.p[2] == '-';
    bool cus = country.n && is_us(country);
    if (cus || us_region) {
        /* a "US-MD" region counts whatever the country says: "CAN" with "US-MD" names both places */
        p->named = p->us = true;
        if (us_region) {
            region.p += 3;
            region.n = 2;
        }
        p->slot = region.n == 2 ? state_slot(region.p[0], region.p[1]) : -1;
    }
    if (country.n && !cus) {
        bool first = !p->named;
        p->named = true;
        if (juris_eea_country(country))
            p->eu = true;
        else if (first)
            for (size_t i = 0; i < country.n && i < 3; i++) p->cc[i] = up(country.p[i]);
    }
}

void juris_resolve(const struct juris_table *t, const struct juris_opts *o, const struct ortb_request *req,
                   const struct consent_state *cst, int64_t now_ms, struct juris_state *out)
{
    *out = (struct juris_state){0};
    bool us = false, eu = false;
    uint64_t mask = 0;

    /* Every signal that names a place counts, and the rules of every place named apply together, the
     * strictest of each: device.geo, user.geo, the GPP string's US state sections, regs.gdpr / GPP section 2.
     * Signals that disagree (device.geo in one state, user.geo or gpp_sid in another; a US geo with
     * regs.gdpr 1) cannot tell which is right, and taking one would let a request pick the laxer law. The
     * code and resolved_by shown are the first signal's, in that order (docs/jurisdictions.md). */
    struct place pl[2];
    geo_place(&req->device.geo, &pl[0]);
    geo_place(&req->user.geo, &pl[1]);
    int geo_slot = -1; /* the first US state a geo names */
    for (int i = 0; i < 2; i++) {
        const struct place *p = &pl[i];
        us |= p->us;
        eu |= p->eu;
        if (p->slot < 0) continue;
        if (geo_slot < 0) geo_slot = p->slot;
        if (t && t->us_state[p->slot]) mask |= 1ull << (t->us_state[p->slot] - 1);
    }

    /* the GPP US state sections, those gpp_sid lists and those in the string's own header: every one
     * applies (a gpp_sid that lists fewer sections than the string holds cannot take a state's law away) */
    const struct gpp *gp = cst ? cst->gpp : NULL;
    const struct ortb_regs *r = &req->regs;
    uint32_t nsid = r->gpp_sid_sig == ORTB_SIG_OK ? r->ngpp_sid : 0;
    uint32_t nxsid = r->ext_gpp_sid_sig == ORTB_SIG_OK ? r->ext_ngpp_sid : 0; /* the 2.5 location too */
    int nstates = 0, gpp_first = 0;
    bool national = false;
    uint32_t nlist = nsid + nxsid + (gp ? gp->nsections : 0);
    for (uint32_t li = 0; li < nlist; li++) {
        int sid = li < nsid           ? r->gpp_sid[li]
                  : li < nsid + nxsid ? r->ext_gpp_sid[li - nsid]
                                      : gp->section_ids[li - nsid - nxsid];
        if (sid < GPP_SID_USNAT || sid > 27) continue;
        if (sid == GPP_SID_USNAT) {
            national = true;
            continue;
        }
        if (!nstates++ || sid < gpp_first) gpp_first = sid;
        int slot = state_slot(gpp_state[sid][0], gpp_state[sid][1]);
        if (t && t->us_state[slot]) mask |= 1ull << (t->us_state[slot] - 1);
    }
    us |= nstates > 0 || national;
    /* regs.gdpr / GPP TCF EU section (consent_eval also counts an EEA device.geo or user.geo) */
    bool gdpr = cst && cst->gdpr_applies;
    eu |= gdpr;

    /* failing toward privacy: a person somewhere in the USA whose state no signal names gets every state's
     * rule in force */
    bool us_unknown = us && geo_slot < 0 && !nstates;
    if (us_unknown && t && o && o->unknown_strictest) mask |= t->us_states;
    if (eu && t && t->eu >= 0) mask |= 1ull << t->eu;
    if (us && t && t->us >= 0) mask |= 1ull << t->us;
    out->mask = mask;

    /* What is shown (code, resolved_by): the first geo that names a place (device.geo, else user.geo), a
     * US one with the state any geo names, else the GPP state sections; else GPP US National; else GDPR. */
    const struct place *p = pl[0].named ? &pl[0] : pl[1].named ? &pl[1] : NULL;
    if (p && p->us && geo_slot >= 0) {
        char st[3] = {(char)('A' + geo_slot / 26), (char)('A' + geo_slot % 26), 0};
        set_code(out, "US-", st);
        out->how = JURIS_BY_GEO;
    } else if ((!p || p->us) && nstates) {
        set_code(out, "US-", gpp_state[gpp_first]);
        out->how = JURIS_BY_GPP;
    } else if ((p && p->us) || (!p && national)) {
        set_code(out, "US", NULL);
        out->how = JURIS_BY_UNKNOWN;
    } else if (p) {
        set_code(out, p->eu ? "EU" : p->cc, NULL);
        out->how = JURIS_BY_GEO;
    } else if (gdpr) {
        set_code(out, "EU", NULL);
        out->how = JURIS_BY_GDPR;
    }
    if (t && mask) {
        /* Rows start at UTC midnight, so the merged rules of a set of jurisdictions change only at a day
         * boundary: one cached merge per thread serves the run of requests from the same place. Keyed by the
         * table's unique id, not its address (a reloaded table may reuse the memory). 8 slots, by mask: mixed
         * traffic from a few places keeps hitting. */
        static _Thread_local struct {
            uint64_t id, mask;
            int64_t day;
            struct juris_state rules;
        } caches[8];
        int64_t day = now_ms >= 0 ? now_ms / 86400000 : (now_ms - 86399999) / 86400000;
        __typeof__(&caches[0]) cp = &caches[(mask * 0x9E3779B97F4A7C15ull) >> 61];
        if (cp->id == t->id && cp->mask == mask && cp->day == day && t->id) {
            const struct juris_state *c = &cp->rules;
            out->min_age = c->min_age;
            out->sensitive_banned = c->sensitive_banned;
            out->precise_geo = c->precise_geo;
            out->political = c->political;
            out->political_min_age = c->political_min_age;
            out->src_age = c->src_age;
            out->src_sensitive = c->src_sensitive;
            out->src_geo = c->src_geo;
            out->src_political = c->src_political;
        } else {
            for (uint64_t m = mask; m; m &= m - 1) {
                const struct juris_entry *e = in_force(t, __builtin_ctzll(m), now_ms);
                if (e) merge(out, e);
            }
            cp->id = t->id;
            cp->mask = mask;
            cp->day = day;
            cp->rules = *out;
        }
    }
    if (out->political && o && o->pol_custom_purpose > 0 && o->pol_custom_purpose <= 64 && cst && cst->tc) {
        const struct tcf *tc = cst->tc;
        out->pol_consent = tc->has_publisher_tc && o->pol_custom_purpose <= tc->num_custom_purposes &&
                           (tc->pub_custom_consents >> (o->pol_custom_purpose - 1) & 1);
    }
}

/* ---- per campaign ---- */

/* "US-MD: Maryland Online Data Privacy Act (MODPA) from 2026-04-01: <what>" in the request arena. */
static struct sv say(const struct juris_table *t, struct arena *a, const struct juris_state *js,
                     const struct juris_entry *e, const char *what)
{
    char *b = a ? arena_alloc(a, 192, 1) : NULL;
    if (!b) return sv_from("jurisdiction rule (detail out of memory)");
    /* a row of a jurisdiction only another signal named (a user.geo, a GPP section or regs.gdpr that
     * disagrees with the shown code) names its own code; worked out here, on a drop, not per request */
    const char *code = js->code[0] ? js->code : "?";
    if (t && e->jidx < t->ncode && e->jidx != t->us) {
        int shown = -1;
        if (js->code[0] == 'U' && js->code[1] == 'S' && js->code[2] == '-') {
            int slot = state_slot(js->code[3], js->code[4]);
            shown = slot >= 0 ? t->us_state[slot] - 1 : -1;
        } else if (js->code[0] == 'E' && js->code[1] == 'U' && !js->code[2]) {
            shown = t->eu;
        }
        /* "US" (a state unknown) and a GPP-resolved code stand for the states they merged */
        bool states = js->how == JURIS_BY_UNKNOWN || js->how == JURIS_BY_GPP;
        if (e->jidx != shown && !(states && (t->us_states >> e->jidx & 1))) code = t->code[e->jidx];
    }
    int k = snprintf(b, 192, "%s: %.*s from %.*s: %s", code, SV_FMT(e->law), SV_FMT(e->from), what);
    if (k < 0) k = 0;
    if (k >= 192) k = 191;
    return (struct sv){b, (size_t)k};
}

static bool first_party(const struct campaign_set *cs, const struct ortb_data *d)
{
    for (uint32_t i = 0; i < cs->first_party.n; i++)
        if ((d->id.n && sv_eq(d->id, cs->first_party.v[i])) ||
            (d->name.n && sv_eq(d->name, cs->first_party.v[i])))
            return true;
    return false;
}

/* A campaign segment carried by a first-party data object of the request. */
static bool first_party_match(const struct campaign_set *cs, const struct campaign *c,
                              const struct ortb_request *req)
{
    for (uint32_t d = 0; d < req->user.ndata; d++) {
        const struct ortb_data *data = &req->user.data[d];
        if (!first_party(cs, data) || data->ambiguous) continue;
        for (uint32_t r = 0; r < c->t.nsegments; r++) {
            const struct campaign_segment_rule *rule = &c->t.segments[r];
            if (data->segtax != rule->segtax) continue;
            for (uint32_t s = 0; s < data->segment.n; s++)
                for (uint32_t i = 0; i < rule->ids.n; i++)
                    if (policy_id_eq(rule->ids.v[i], data->segment.v[s])) return true;
        }
    }
    return false;
}

int juris_check(const struct campaign_set *cs, const struct campaign *c, const struct ortb_request *req,
                const struct consent_state *cst, const struct juris_state *js, int32_t age, struct arena *a,
                struct sv *arg, int64_t *num)
{
    *num = 0;
    if (c->politics_cat && !c->political) {
        /* the config refuses this; a campaign set built elsewhere must not slip through */
        *arg = sv_from("Ad Product category 1474-1481 (Politics) without a \"political\" declaration");
        return REASON_POLITICAL_NO_NOTICE;
    }
    if (!c->personal) return REASON_BID; /* contextual: nothing personal to refuse */
    char w[96];
    if (js->min_age > 0 && age >= 0 && age < js->min_age) {
        snprintf(w, sizeof w, "age %d, targeted ads need %d+", (int)age, (int)js->min_age);
        *arg = say(cs->juris, a, js, js->src_age, w);
        return REASON_JURISDICTION_MINOR;
    }
    if (c->t.has_near) {
        /* precise location: never where its sale is banned; elsewhere with consent (TCF special feature 1
         * under GDPR) */
        if (js->precise_geo == JURIS_GEO_BANNED) {
            *arg = say(cs->juris, a, js, js->src_geo,
                       "campaign targets precise geolocation (device.geo.lat/lon)");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
        if (js->precise_geo == JURIS_GEO_CONSENT && !cst->precise_geo_ok) {
            *arg = say(cs->juris, a, js, js->src_geo, "precise geolocation without consent");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
        if (cst->gdpr_applies && !(cst->tc && tcf_special_feature(cst->tc, 1))) {
            *arg = js->src_geo ? say(cs->juris, a, js, js->src_geo,
                                     "no TCF special feature 1 (precise geolocation) opt-in")
                               : sv_from("GDPR: no TCF special feature 1 (precise geolocation) opt-in");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
    }
    uint32_t sens = c->seg_classes & class_mask_sensitive;
    if (js->sensitive_banned && sens) {
        snprintf(w, sizeof w, "campaign targets %s (banned even with consent)",
                 class_name(__builtin_ctz(sens)));
        *arg = say(cs->juris, a, js, js->src_sensitive, w);
        return REASON_JURISDICTION_SENSITIVE_BANNED;
    }
    if (c->political && js->political == JURIS_POL_EU_TTPA) {
        const struct juris_entry *e = js->src_political;
        if (cst->minor || age < 0 || age < js->political_min_age) {
            if (age < 0)
                snprintf(w, sizeof w, "age unknown: no personal data for political ads");
            else if (age < js->political_min_age)
                snprintf(w, sizeof w, "age %d: no personal data for political ads under %d", (int)age,
                         (int)js->political_min_age);
            else
                snprintf(w, sizeof w, "known minor: no personal data for political ads");
            *arg = say(cs->juris, a, js, e, w);
            return REASON_POLITICAL_MINOR;
        }
        if (sens) {
            snprintf(w, sizeof w, "political campaign targets %s (special category)",
                     class_name(__builtin_ctz(sens)));
            *arg = say(cs->juris, a, js, e, w);
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (!js->pol_consent) {
            if (cs->pol_custom_purpose > 0)
                snprintf(w, sizeof w, "no political consent (TCF publisher custom purpose %d)",
                         (int)cs->pol_custom_purpose);
            else
                snprintf(w, sizeof w,
                         "no political consent signal configured (political_consent_custom_purpose)");
            *arg = say(cs->juris, a, js, e, w);
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (c->t.has_age || c->t.gender_mask) {
            *arg = say(cs->juris, a, js, e, "age/gender targeting is not first-party data");
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (c->t.nsegments && !first_party_match(cs, c, req)) {
            *arg = say(cs->juris, a, js, e, "no first-party segment matched (first_party_providers)");
            return REASON_POLITICAL_PERSONAL_DATA;
        }
    }
    return REASON_BID;
}
