/* fairness metrics: the Prometheus text of the fairness, cap and sync state. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <event2/buffer.h>
#include <urcu/urcu-memb.h>

/* ---- metrics ---- */

void fairness_metrics(struct evbuffer *o)
{
    if (!F.started) return;
    evbuffer_add_printf(
        o,
        "# HELP fairbid_fairness_state_ok Fleet fairness totals fresh enough to decide on.\n"
        "# TYPE fairbid_fairness_state_ok gauge\nfairbid_fairness_state_ok %d\n"
        "# HELP fairbid_fairness_syncs_total Fairness/cap sync round trips with Redis, by result.\n"
        "# TYPE fairbid_fairness_syncs_total counter\n"
        "fairbid_fairness_syncs_total{result=\"ok\"} %llu\n"
        "fairbid_fairness_syncs_total{result=\"failed\"} %llu\n"
        "# HELP fairbid_fairness_win_notices_total Win notices received, by whether a recent bid matched.\n"
        "# TYPE fairbid_fairness_win_notices_total counter\n"
        "fairbid_fairness_win_notices_total{matched=\"yes\"} %llu\n"
        "fairbid_fairness_win_notices_total{matched=\"no\"} %llu\n"
        "# HELP fairbid_cap_lease_unacked_tokens_total Leased cap tokens dropped because no replica "
        "confirmed "
        "them in time (lease_min_replicas).\n"
        "# TYPE fairbid_cap_lease_unacked_tokens_total counter\n"
        "fairbid_cap_lease_unacked_tokens_total %llu\n",
        atomic_load(&F.state_ok), (unsigned long long)atomic_load(&F.syncs_ok),
        (unsigned long long)atomic_load(&F.syncs_failed),
        (unsigned long long)(atomic_load(&F.wins_total) - atomic_load(&F.wins_unmatched)),
        (unsigned long long)atomic_load(&F.wins_unmatched),
        (unsigned long long)atomic_load(&F.lease_unacked));
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    if (s) {
        static const char *const CNAME[FAIR_NCOUNT] = {"eligible", "bids", "wins", "throttled"};
        evbuffer_add_printf(o,
                            "# HELP fairbid_fair_window Fleet counts over the campaign's fairness window.\n"
                            "# TYPE fairbid_fair_window gauge\n");
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->fair) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++) {
                if (!r->wsum[g][FAIR_C_ELIG]) continue;
                for (int k = 0; k < FAIR_NCOUNT; k++)
                    evbuffer_add_printf(
                        o, "fairbid_fair_window{campaign=\"%s\",group=\"%s\",count=\"%s\"} %llu\n", r->id,
                        fair_group_name(g), CNAME[k], (unsigned long long)r->wsum[g][k]);
                evbuffer_add_printf(o, "fairbid_fair_boost{campaign=\"%s\",group=\"%s\"} %.4f\n", r->id,
                                    fair_group_name(g), (double)r->boost[g]);
            }
            for (int a = 0; a < FAIR_NATTR; a++) {
                if (!(r->attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
                    continue;
                const char *an = a == FAIR_ATTR_IX_GENDER ? "gender" : "age_band";
                const uint64_t(*w)[FAIR_NCOUNT] = (const uint64_t(*)[FAIR_NCOUNT])r->wsum;
                for (int k = FAIR_C_BID; k <= FAIR_C_WIN; k++) {
                    const char *m = k == FAIR_C_BID ? "bids" : "wins";
                    evbuffer_add_printf(
                        o,
                        "fairbid_fair_impact_ratio{campaign=\"%s\",attribute=\"%s\",measure=\"%s\"} %.4f\n"
                        "fairbid_fair_tvd{campaign=\"%s\",attribute=\"%s\",measure=\"%s\"} %.4f\n",
                        r->id, an, m, fair_impact_ratio(w, fair_attr_first(a), fair_attr_n(a), k, 1), r->id,
                        an, m, fair_tvd(w, fair_attr_first(a), fair_attr_n(a), k));
                }
                evbuffer_add_printf(o, "fairbid_fair_level_down{campaign=\"%s\",attribute=\"%s\"} %d\n",
                                    r->id, an, r->level_down[a]);
            }
        }
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->cap) continue;
            evbuffer_add_printf(o,
                                "fairbid_cap_tokens{campaign=\"%s\"} %lld\n"
                                "fairbid_cap_spent_total{campaign=\"%s\"} %lld\n"
                                "fairbid_cap_leased_total{campaign=\"%s\"} %lld\n"
                                "fairbid_cap_exhausted{campaign=\"%s\"} %d\n"
                                "fairbid_cap_limit{campaign=\"%s\"} %lld\n",
                                r->id, (long long)atomic_load(&F.caps[i].tokens), r->id,
                                (long long)atomic_load(&F.caps[i].spent), r->id, (long long)r->leased, r->id,
                                r->exhausted, r->id, (long long)r->cap_bids);
        }
    }
    urcu_memb_read_unlock();
    fz_budget_metrics(o);
}
