/* config_targeting: the reader of a campaign's "targeting" object (site_cat, segments, countries, age, near,
 * gender), called by config_campaign.c's campaign reader. Age, gender, segments and near are personal data:
 * where they sit is recorded in the campaign context so that the checks made once the whole campaign is read
 * (special_category, the policy) can name the line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "bidder/config/config_internal.h"
#include "bidder/obs/log.h"
#include "filters/json.h"

static int rd_segments(struct cctx *cc, struct campaign_targeting *t)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) != JSON_ARRAY)
        return ccfg_err(cc, at, "targeting.segments", "must be an array of {\"segtax\", \"ids\"}");
    struct arena_vec v = {.max = 256};
    json_arr_begin(cc->j);
    while (json_arr_next(cc->j)) {
        size_t sat = cfg_off(cc->j);
        if (json_peek(cc->j) != JSON_OBJECT)
            return ccfg_err(cc, sat, "targeting.segments", "entries must be {\"segtax\", \"ids\"}");
        struct campaign_segment_rule *r =
            arena_vec_push(cc->a, &v, sizeof *r, _Alignof(struct campaign_segment_rule));
        if (!r) return ccfg_err(cc, sat, "targeting.segments", "too many segment rules (limit 256)");
        r->segtax = -1;
        json_obj_begin(cc->j);
        struct sv k;
        while (json_obj_next(cc->j, &k)) {
            if (sv_eq_cstr(k, "segtax")) {
                if (ccfg_int(cc, &r->segtax, "targeting.segments.segtax", 1, 1000)) return -1;
            } else if (sv_eq_cstr(k, "ids")) {
                if (ccfg_strlist(cc, &r->ids, "targeting.segments.ids")) return -1;
            } else if (json_skip(cc->j)) {
                return cfg_json_err(cc->e, cc->j, "targeting.segments");
            }
        }
        if (cc->j->err) return cfg_json_err(cc->e, cc->j, "targeting.segments");
        if (r->segtax < 0) return ccfg_err(cc, sat, "targeting.segments.segtax", "is required");
        if (r->ids.n == 0) return ccfg_err(cc, sat, "targeting.segments.ids", "must list at least one id");
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "targeting.segments");
    t->segments = v.items;
    t->nsegments = v.n;
    return 0;
}

int ccfg_targeting(struct cctx *cc, struct campaign *c)
{
    size_t at = cfg_off(cc->j);
    if (json_peek(cc->j) == JSON_NULL) return json_null(cc->j) ? cfg_json_err(cc->e, cc->j, "targeting") : 0;
    if (json_peek(cc->j) != JSON_OBJECT) return ccfg_err(cc, at, "targeting", "must be an object");
    struct campaign_targeting *t = &c->t;
    json_obj_begin(cc->j);
    struct sv k;
    while (json_obj_next(cc->j, &k)) {
        size_t kat = cfg_off(cc->j);
        if (sv_eq_cstr(k, "site_cat")) {
            if (ccfg_strlist(cc, &t->site_cat, "targeting.site_cat")) return -1;
        } else if (sv_eq_cstr(k, "segments")) {
            cc->at_segments = kat;
            if (rd_segments(cc, t)) return -1;
        } else if (sv_eq_cstr(k, "countries")) {
            if (ccfg_strlist(cc, &t->countries, "targeting.countries")) return -1;
            for (uint32_t i = 0; i < t->countries.n; i++)
                if (t->countries.v[i].n != 3)
                    return ccfg_err(cc, kat, "targeting.countries",
                                    "entries must be ISO-3166-1 alpha-3 codes (\"USA\")");
        } else if (sv_eq_cstr(k, "age")) {
            cc->at_age = kat;
            if (json_peek(cc->j) != JSON_OBJECT)
                return ccfg_err(cc, kat, "targeting.age", "must be {\"min\", \"max\"}");
            t->has_age = true;
            t->age_min = 0;
            t->age_max = 150;
            json_obj_begin(cc->j);
            struct sv ak;
            while (json_obj_next(cc->j, &ak)) {
                if (sv_eq_cstr(ak, "min")) {
                    if (ccfg_int(cc, &t->age_min, "targeting.age.min", 0, 150)) return -1;
                } else if (sv_eq_cstr(ak, "max")) {
                    if (ccfg_int(cc, &t->age_max, "targeting.age.max", 0, 150)) return -1;
                } else if (json_skip(cc->j)) {
                    return cfg_json_err(cc->e, cc->j, "targeting.age");
                }
            }
            if (cc->j->err) return cfg_json_err(cc->e, cc->j, "targeting.age");
            if (t->age_min > t->age_max) return ccfg_err(cc, kat, "targeting.age", "min is greater than max");
        } else if (sv_eq_cstr(k, "near")) {
            if (json_peek(cc->j) != JSON_OBJECT)
                return ccfg_err(cc, kat, "targeting.near", "must be {\"lat\", \"lon\", \"radius_km\"}");
            t->has_near = true;
            t->near_lat = t->near_lon = t->near_radius_km = NAN;
            json_obj_begin(cc->j);
            struct sv nk;
            while (json_obj_next(cc->j, &nk)) {
                int rc = 0;
                if (sv_eq_cstr(nk, "lat"))
                    rc = ccfg_num(cc, &t->near_lat, "targeting.near.lat", -90, 90);
                else if (sv_eq_cstr(nk, "lon"))
                    rc = ccfg_num(cc, &t->near_lon, "targeting.near.lon", -180, 180);
                else if (sv_eq_cstr(nk, "radius_km"))
                    rc = ccfg_num(cc, &t->near_radius_km, "targeting.near.radius_km", 0.001, 20000);
                else
                    rc = json_skip(cc->j) ? cfg_json_err(cc->e, cc->j, "targeting.near") : 0;
                if (rc) return -1;
            }
            if (cc->j->err) return cfg_json_err(cc->e, cc->j, "targeting.near");
            if (isnan(t->near_lat) || isnan(t->near_lon) || isnan(t->near_radius_km))
                return ccfg_err(cc, kat, "targeting.near", "needs lat, lon and radius_km");
        } else if (sv_eq_cstr(k, "gender")) {
            cc->at_gender = kat;
            struct ortb_list g = {0};
            if (ccfg_strlist(cc, &g, "targeting.gender")) return -1;
            for (uint32_t i = 0; i < g.n; i++) {
                if (sv_eq_cstr(g.v[i], "M"))
                    t->gender_mask |= CAMPAIGN_GENDER_M;
                else if (sv_eq_cstr(g.v[i], "F"))
                    t->gender_mask |= CAMPAIGN_GENDER_F;
                else if (sv_eq_cstr(g.v[i], "O"))
                    t->gender_mask |= CAMPAIGN_GENDER_O;
                else
                    return ccfg_err(cc, kat, "targeting.gender", "entries must be \"M\", \"F\" or \"O\"");
            }
        } else {
            log_warn("config: unknown key ignored", "file=%s line=%d campaign=%s key=targeting.%.*s",
                     cc->e->file, cfg_line_of(cc->e->text, kat), cc->cid, SV_FMT(k));
            if (json_skip(cc->j)) return cfg_json_err(cc->e, cc->j, "targeting");
        }
    }
    if (cc->j->err) return cfg_json_err(cc->e, cc->j, "targeting");
    return 0;
}
