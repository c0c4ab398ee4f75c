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

/* EEA members (EU 27 + Iceland, Liechtenstein, Norway), alpha-3 then alpha-2, same order. */
static const char eea3[30][4] = {"AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA",
                                 "DEU", "GRC", "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD",
                                 "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "ISL", "LIE", "NOR"};
static const char eea2[30][3] = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR",
                                 "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL",
                                 "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"};

static char up(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

bool juris_eea_country(struct sv c)
{
    if (c.n != 3 && c.n != 2) return false;
    char a = up(c.p[0]), b = up(c.p[1]), d = c.n == 3 ? up(c.p[2]) : 0;
    for (int i = 0; i < 30; i++) {
        if (c.n == 3 && eea3[i][0] == a && eea3[i][1] == b && eea3[i][2] == d) return true;
        if (c.n == 2 && eea2[i][0] == a && eea2[i][1] == b) return true;
    }
    return false;
}

static bool is_us(struct sv c)
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

void juris_resolve(const struct juris_table *t, const struct juris_opts *o, const struct ortb_request *req,
                   const struct consent_state *cst, int64_t now_ms, struct juris_state *out)
{
    *out = (struct juris_state){0};
    const struct ortb_geo *g = &req->device.geo;
    struct sv country = g->country, region = g->region;
    bool us = false, eu = false;
    uint64_t mask = 0;

    /* a region "US-MD" without a country still says where the person is */
    bool us_region = region.n == 5 && up(region.p[0]) == 'U' && up(region.p[1]) == 'S' && region.p[2] == '-';
    /* 1. device.geo: a country, with a region for the USA ("MD", "US-MD", any case) */
    if ((country.n && is_us(country)) || (!country.n && us_region)) {
        us = true;
        if (region.n == 5 && up(region.p[0]) == 'U' && up(region.p[1]) == 'S' && region.p[2] == '-') {
            region.p += 3;
            region.n = 2;
        }
        int slot = region.n == 2 ? state_slot(region.p[0], region.p[1]) : -1;
        if (slot >= 0) {
            char st[3] = {up(region.p[0]), up(region.p[1]), 0};
            set_code(out, "US-", st);
            out->how = JURIS_BY_GEO;
            if (t && t->us_state[slot]) mask |= 1ull << (t->us_state[slot] - 1);
        }
    } else if (country.n && juris_eea_country(country)) {
        eu = true;
        out->how = JURIS_BY_GEO;
    } else if (country.n) {
        /* a country the table has no rules for: its own code, no rules (consent rules still apply) */
        set_code(out, NULL, NULL);
        for (size_t i = 0; i < country.n && i < 3; i++) out->code[i] = up(country.p[i]);
        out->code[country.n < 3 ? country.n : 3] = '\0';
        out->how = JURIS_BY_GEO;
    }

    /* 2. no state from geo: the GPP string's applicable US state sections (gpp_sid when sent, else the
     * string's own header). Several states apply together: the strictest of each rule wins. */
    if (!out->how || (us && !out->code[0])) {
        const struct gpp *gp = cst ? cst->gpp : NULL;
        const struct ortb_regs *r = &req->regs;
        bool use_sid = r->gpp_sid_sig == ORTB_SIG_OK && r->ngpp_sid > 0;
        int nstates = 0, first = 0;
        bool national = false;
        uint32_t nlist = use_sid ? r->ngpp_sid : (gp ? gp->nsections : 0);
        for (uint32_t li = 0; li < nlist; li++) {
            int sid = use_sid ? r->gpp_sid[li] : gp->section_ids[li];
            if (sid < GPP_SID_USNAT || sid > 27) continue;
            if (sid == GPP_SID_USNAT) {
                national = true;
                continue;
            }
            if (!nstates++ || sid < first) first = sid;
            int slot = state_slot(gpp_state[sid][0], gpp_state[sid][1]);
            if (t && t->us_state[slot]) mask |= 1ull << (t->us_state[slot] - 1);
        }
        if (nstates) {
            us = true;
            set_code(out, "US-", gpp_state[first]);
            out->how = JURIS_BY_GPP;
        } else if (national) {
            us = true; /* US National: somewhere in the USA, state unknown */
        }
    }

    /* 3. regs.gdpr / GPP TCF EU section */
    if (!out->how && !us && cst && cst->gdpr_applies) {
        eu = true;
        out->how = JURIS_BY_GDPR;
    }

    if (us && !out->code[0]) {
        set_code(out, "US", NULL);
        out->how = JURIS_BY_UNKNOWN;
        /* failing toward privacy: a person somewhere in the USA gets every state's rule in force */
        if (t && o && o->unknown_strictest) mask |= t->us_states;
    }
    if (eu) {
        set_code(out, "EU", NULL);
        if (t && t->eu >= 0) mask |= 1ull << t->eu;
    }
    if (us && t && t->us >= 0) mask |= 1ull << t->us;
    out->mask = mask;

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
static struct sv say(struct arena *a, const struct juris_state *js, const struct juris_entry *e,
                     const char *what)
{
    char *b = a ? arena_alloc(a, 192, 1) : NULL;
    if (!b) return sv_from("jurisdiction rule (detail out of memory)");
    int k = snprintf(b, 192, "%s: %.*s from %.*s: %s", js->code[0] ? js->code : "?", SV_FMT(e->law),
                     SV_FMT(e->from), what);
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
        *arg = say(a, js, js->src_age, w);
        return REASON_JURISDICTION_MINOR;
    }
    if (c->t.has_near) {
        /* precise location: never where its sale is banned; elsewhere with consent (TCF special feature 1
         * under GDPR) */
        if (js->precise_geo == JURIS_GEO_BANNED) {
            *arg = say(a, js, js->src_geo, "campaign targets precise geolocation (device.geo.lat/lon)");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
        if (js->precise_geo == JURIS_GEO_CONSENT && !cst->precise_geo_ok) {
            *arg = say(a, js, js->src_geo, "precise geolocation without consent");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
        if (cst->gdpr_applies && !(cst->tc && tcf_special_feature(cst->tc, 1))) {
            *arg = js->src_geo
                       ? say(a, js, js->src_geo, "no TCF special feature 1 (precise geolocation) opt-in")
                       : sv_from("GDPR: no TCF special feature 1 (precise geolocation) opt-in");
            return REASON_JURISDICTION_PRECISE_GEO;
        }
    }
    uint32_t sens = c->seg_classes & class_mask_sensitive;
    if (js->sensitive_banned && sens) {
        snprintf(w, sizeof w, "campaign targets %s (banned even with consent)",
                 class_name(__builtin_ctz(sens)));
        *arg = say(a, js, js->src_sensitive, w);
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
            *arg = say(a, js, e, w);
            return REASON_POLITICAL_MINOR;
        }
        if (sens) {
            snprintf(w, sizeof w, "political campaign targets %s (special category)",
                     class_name(__builtin_ctz(sens)));
            *arg = say(a, js, e, w);
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (!js->pol_consent) {
            if (cs->pol_custom_purpose > 0)
                snprintf(w, sizeof w, "no political consent (TCF publisher custom purpose %d)",
                         (int)cs->pol_custom_purpose);
            else
                snprintf(w, sizeof w,
                         "no political consent signal configured (political_consent_custom_purpose)");
            *arg = say(a, js, e, w);
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (c->t.has_age || c->t.gender_mask) {
            *arg = say(a, js, e, "age/gender targeting is not first-party data");
            return REASON_POLITICAL_PERSONAL_DATA;
        }
        if (c->t.nsegments && !first_party_match(cs, c, req)) {
            *arg = say(a, js, e, "no first-party segment matched (first_party_providers)");
            return REASON_POLITICAL_PERSONAL_DATA;
        }
    }
    return REASON_BID;
}
