/* fairness metrics: the Prometheus text of the fairness, cap and sync state. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <event2/buffer.h>
#include <urcu/urcu-memb.h>

#include "bidder/obs/prom.h"

/* ---- metrics ---- */

void fairness_metrics(struct evbuffer *o)
{
    if (!F.started) return;
    prom_one_u64(o, "fairbid_fairness_state_ok", PROM_GAUGE,
                 "Fleet fairness totals fresh enough to decide on.", (uint64_t)atomic_load(&F.state_ok));
    prom_family(o, "fairbid_fairness_syncs_total", PROM_COUNTER,
                "Fairness/cap sync round trips with Redis, by result.");
    prom_u64(o, "fairbid_fairness_syncs_total", PROM_L({"result", "ok"}), atomic_load(&F.syncs_ok));
    prom_u64(o, "fairbid_fairness_syncs_total", PROM_L({"result", "failed"}), atomic_load(&F.syncs_failed));
    prom_family(o, "fairbid_fairness_win_notices_total", PROM_COUNTER,
                "Win notices received, by whether a recent bid matched.");
    prom_u64(o, "fairbid_fairness_win_notices_total", PROM_L({"matched", "yes"}),
             atomic_load(&F.wins_total) - atomic_load(&F.wins_unmatched));
    prom_u64(o, "fairbid_fairness_win_notices_total", PROM_L({"matched", "no"}),
             atomic_load(&F.wins_unmatched));
    prom_one_u64(o, "fairbid_cap_lease_unacked_tokens_total", PROM_COUNTER,
                 "Leased cap tokens dropped because no replica confirmed them in time (lease_min_replicas).",
                 atomic_load(&F.lease_unacked));
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    if (s) {
        /* one pass per family: the text format wants a family's samples together (campaign ids are escaped
         * by the writer; they come from config and may hold any character) */
        static const char *const CNAME[FAIR_NCOUNT] = {"eligible", "bids", "wins", "throttled",
                                                       "spend_micros"};
        prom_family(o, "fairbid_fair_window", PROM_GAUGE,
                    "Fleet counts over the campaign's fairness window.");
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->fair) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++) {
                if (!r->wsum[g][FAIR_C_ELIG]) continue;
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    prom_u64(o, "fairbid_fair_window",
                             PROM_L({"campaign", r->id}, {"group", fair_group_name(g)}, {"count", CNAME[k]}),
                             r->wsum[g][k]);
            }
        }
        prom_family(o, "fairbid_fair_boost", PROM_GAUGE,
                    "Fairness controller's boost per campaign and group (1 = neutral).");
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->fair) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++)
                if (r->wsum[g][FAIR_C_ELIG])
                    prom_double(o, "fairbid_fair_boost",
                                PROM_L({"campaign", r->id}, {"group", fair_group_name(g)}),
                                (double)r->boost[g]);
        }
        static const char *const FN[3] = {"fairbid_fair_impact_ratio", "fairbid_fair_tvd",
                                          "fairbid_fair_level_down"};
        static const char *const FH[3] = {
            "Lowest group rate over the highest, per campaign, attribute and measure (bids, wins).",
            "Total variation distance between a measure's group shares and the eligible shares.",
            "1 while the controller levels an attribute down (throttles the favoured groups)."};
        for (int f = 0; f < 3; f++) {
            prom_family(o, FN[f], PROM_GAUGE, FH[f]);
            for (uint32_t i = 0; i < s->nslots; i++) {
                const struct slot_report *r = &s->rep[i];
                if (!r->fair) continue;
                for (int a = 0; a < FAIR_NATTR; a++) {
                    if (!(r->attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                        continue;
                    const char *an = a == FAIR_ATTR_IX_GENDER ? "gender" : "age_band";
                    const uint64_t(*w)[FAIR_NCOUNT] = (const uint64_t(*)[FAIR_NCOUNT])r->wsum;
                    if (f == 2) {
                        prom_i64(o, FN[f], PROM_L({"campaign", r->id}, {"attribute", an}), r->level_down[a]);
                        continue;
                    }
                    for (int k = FAIR_C_BID; k <= FAIR_C_WIN; k++) {
                        const char *m = k == FAIR_C_BID ? "bids" : "wins";
                        double v = f == 0 ? fair_impact_ratio(w, fair_attr_first(a), fair_attr_n(a), k, 1)
                                          : fair_tvd(w, fair_attr_first(a), fair_attr_n(a), k);
                        prom_double(o, FN[f], PROM_L({"campaign", r->id}, {"attribute", an}, {"measure", m}),
                                    v);
                    }
                }
            }
        }
        static const char *const CN[5] = {"fairbid_cap_tokens", "fairbid_cap_spent_total",
                                          "fairbid_cap_leased_total", "fairbid_cap_exhausted",
                                          "fairbid_cap_limit"};
        static const enum prom_type CT[5] = {PROM_GAUGE, PROM_COUNTER, PROM_COUNTER, PROM_GAUGE, PROM_GAUGE};
        static const char *const CH[5] = {
            "Cap tokens this instance holds for the campaign.",
            "Cap tokens spent (bids placed under the cap) by this instance.",
            "Cap tokens leased from the fleet budget in Redis by this instance.",
            "1 while the campaign's fleet cap is exhausted.",
            "The campaign's cap (bids per cap window).",
        };
        for (int f = 0; f < 5; f++) {
            prom_family(o, CN[f], CT[f], CH[f]);
            for (uint32_t i = 0; i < s->nslots; i++) {
                const struct slot_report *r = &s->rep[i];
                if (!r->cap) continue;
                int64_t v = f == 0   ? (int64_t)atomic_load(&F.caps[i].tokens)
                            : f == 1 ? (int64_t)atomic_load(&F.caps[i].spent)
                            : f == 2 ? (int64_t)r->leased
                            : f == 3 ? (int64_t)r->exhausted
                                     : (int64_t)r->cap_bids;
                prom_i64(o, CN[f], PROM_L({"campaign", r->id}), v);
            }
        }
    }
    urcu_memb_read_unlock();
    fz_budget_metrics(o);
}
