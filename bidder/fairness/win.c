/* fairness win side: on the workers after each decision (eligible, bids, throttles per group; the group of
 * each bid remembered for its win notice) and GET /win. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>
#include <xxhash.h>

#include "bidder/http/url.h"
#include "filters/reasons.h"

/* ---- worker side ---- */

static inline void bump(struct fairness_counters *c, int slot, int g, int k)
{
    _Atomic uint64_t *p = &c->c[slot][g][k];
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1, memory_order_relaxed);
}

static uint64_t bid_key(struct sv req, struct sv imp, struct sv cid)
{
    XXH64_hash_t h = XXH64(req.p, req.n, 0x6661697262696421ull);
    h = XXH64(imp.p, imp.n, h);
    return XXH64(cid.p, cid.n, h);
}

static inline void add(struct fairness_counters *c, int slot, int g, int k, uint64_t n)
{
    _Atomic uint64_t *p = &c->c[slot][g][k];
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n, memory_order_relaxed);
}

#define COST_MAX ((1ull << 31) - 1)

/* A budget bid's reserved spend and period parity, beside its recent[] entry, tagged with the key's top half.
 */
static void remember_cost(uint64_t key, int64_t period, int64_t cost)
{
    uint64_t c = cost < 0 ? 0 : (uint64_t)cost > COST_MAX ? COST_MAX : (uint64_t)cost;
    uint64_t v = (key & ~0xFFFFFFFFull) | ((uint64_t)(period & 1) << 31) | c;
    atomic_store_explicit(&F.recent_cost[(key >> 16) & (RECENT_N - 1)], v, memory_order_relaxed);
}

static void remember(uint64_t key, int slot, int g, int a)
{
    uint64_t v = (key & ~0xFFFFull) | 0x8000u | ((uint64_t)slot << 6) | ((uint64_t)g << 4) |
                 (uint64_t)(a - FAIR_NGENDER);
    atomic_store_explicit(&F.recent[(key >> 16) & (RECENT_N - 1)], v, memory_order_relaxed);
}

void fairness_after(int worker, const struct config *cfg, const struct engine_result *res)
{
    if (!F.started || worker < 0 || worker >= F.nworkers || !res->decided || !res->dec.v) return;
    const struct snap_full *s =
        (const struct snap_full *)(uintptr_t)atomic_load_explicit(&F.snap, memory_order_acquire);
    const struct campaign_set *cs = &cfg->campaigns;
    if (!s || s->pub.cs != cs || !s->ncidx) return;
    struct fairness_counters *lc = &F.local[worker];
    const struct ortb_request *req = &res->req;
    int g = -1, a = -1;
    for (uint32_t i = 0; i < req->nimp; i++) {
        const struct decide_verdict *row = res->dec.v + (size_t)i * cs->n;
        for (uint32_t x = 0; x < s->ncidx; x++) {
            uint32_t c = s->cidx[x];
            const struct campaign *cp = &cs->v[c];
            int slot = s->camp[c].slot;
            int r = row[c].reason;
            bool bid = r == REASON_BID;
            /* (a campaign that lost the internal auction got its cap token back in decide: fair_release) */
            if (cp->cap.enabled && bid)
                atomic_fetch_add_explicit(&F.caps[slot].spent, 1, memory_order_relaxed);
            if (!cp->fair.enabled && !cp->budget.enabled) continue;
            /* per-group counts: the fairness attributes, or both for a budget alone (cost per win per group)
             */
            unsigned attrs = cp->fair.enabled ? cp->fair.attrs : FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND;
            /* eligible: bid, lost the auction, or held back by fairness or a cap (reasons.def's classes) */
            enum reason_class rc = reason_class(r);
            if (rc != REASON_CLASS_BID && rc != REASON_CLASS_FAIRNESS)
                continue; /* not eligible: another filter dropped it */
            if (g < 0) {
                g = fair_group_gender(req);
                a = fair_group_age(req, s->pub.year);
            }
            int grp[2] = {g, a};
            for (int at = 0; at < FAIR_NATTR; at++) {
                if (!(attrs & (at == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND))) continue;
                bump(lc, slot, grp[at], FAIR_C_ELIG);
                if (bid) bump(lc, slot, grp[at], FAIR_C_BID);
                if (r == REASON_FAIRNESS_THROTTLE) bump(lc, slot, grp[at], FAIR_C_THR);
            }
            if (!bid) continue;
            uint64_t key = bid_key(req->id, req->imp[i].id, cp->id);
            if (cp->budget.enabled)
                remember_cost(key, F.wctx[worker].took_period[slot], fair_spend_micros(res->dec.price[i]));
            remember(key, slot, g, a);
        }
    }
}

/* Takes the recorded reserved spend of a budget bid (once). False: not a budget bid, or its record is gone.
 */
static bool take_cost(uint64_t key, int slot, int64_t *cost)
{
    _Atomic uint64_t *e = &F.recent_cost[(key >> 16) & (RECENT_N - 1)];
    uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
    if (!v || (v & ~0xFFFFFFFFull) != (key & ~0xFFFFFFFFull) || !atomic_compare_exchange_strong(e, &v, 0))
        return false;
    /* a bid of another period: its spend stays charged there, this period's reserve gets nothing */
    int64_t period = atomic_load(&F.caps[slot].period);
    if ((uint64_t)(period & 1) != ((v >> 31) & 1)) return false;
    *cost = (int64_t)(v & COST_MAX);
    return true;
}

/* Claims the remembered bid of key (once): its recent[] entry, or 0 when the bid is unknown, already claimed
 * (a duplicate notice must not count twice) or evicted. */
static uint64_t claim_bid(uint64_t key)
{
    _Atomic uint64_t *e = &F.recent[(key >> 16) & (RECENT_N - 1)];
    uint64_t v = atomic_load_explicit(e, memory_order_relaxed);
    if (!(v & 0x8000u) || (v & ~0xFFFFull) != (key & ~0xFFFFull) || !atomic_compare_exchange_strong(e, &v, 0))
        return 0;
    return v;
}

/* A loss notice (the bid's lurl: /win?...&loss=N) of the bid key: the bid cost nothing, its reserved spend
 * goes back. */
static int loss_notice(uint64_t key, char *body, size_t cap)
{
    uint64_t v = claim_bid(key);
    if (!v) {
        snprintf(body, cap, "{\"status\":\"unmatched\"}");
        return 200;
    }
    int slot = (int)((v >> 6) & 0xFF);
    int64_t cost;
    if (take_cost(key, slot, &cost)) {
        atomic_fetch_add(&F.caps[slot].losses, 1);
        atomic_fetch_add(&F.caps[slot].refunded, cost);
        fz_give_spend(slot, atomic_load(&F.caps[slot].period), cost);
    } else {
        atomic_fetch_add(&F.caps[slot].late, 1);
    }
    snprintf(body, cap, "{\"status\":\"loss_counted\"}");
    return 200;
}

int fairness_win(int worker, const char *query, char *body, size_t cap)
{
    char cid[256], imp[256], req[256], lossv[16], pv[40];
    int nc = url_query_value(query, "cid", cid, sizeof cid),
        ni = url_query_value(query, "imp", imp, sizeof imp),
        nr = url_query_value(query, "req", req, sizeof req);
    int nl = url_query_value(query, "loss", lossv, sizeof lossv),
        np = url_query_value(query, "price", pv, sizeof pv);
    /* all read before anything is claimed or counted: an unreadable value refuses the whole notice */
    if (nc == URL_QUERY_BAD || ni == URL_QUERY_BAD || nr == URL_QUERY_BAD || nl == URL_QUERY_BAD ||
        np == URL_QUERY_BAD) {
        snprintf(
            body, cap,
            "{\"error\":\"cid, imp, req, loss or price is unreadable: a bad %%-escape, %%00, too long, or "
            "given twice\"}");
        return 400;
    }
    if (nc <= 0 || ni <= 0 || nr <= 0) {
        snprintf(body, cap, "{\"error\":\"cid, imp and req are required\"}");
        return 400;
    }
    if (!F.started || worker < 0 || worker >= F.nworkers) {
        snprintf(body, cap, "{\"status\":\"ignored\"}");
        return 200;
    }
    uint64_t key =
        bid_key((struct sv){req, (size_t)nr}, (struct sv){imp, (size_t)ni}, (struct sv){cid, (size_t)nc});
    if (nl >= 0) return loss_notice(key, body, cap);
    atomic_fetch_add_explicit(&F.wins_total, 1, memory_order_relaxed);
    uint64_t v = claim_bid(key);
    if (!v) {
        atomic_fetch_add_explicit(&F.wins_unmatched, 1, memory_order_relaxed);
        snprintf(body, cap, "{\"status\":\"unmatched\"}");
        return 200;
    }
    int slot = (int)((v >> 6) & 0xFF), g = (int)((v >> 4) & 0x3), a = (int)(v & 0xF) + FAIR_NGENDER;
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    unsigned attrs = s && (uint32_t)slot < s->nslots ? s->rep[slot].attrs : 0;
    bool budgeted = s && (uint32_t)slot < s->nslots && s->rep[slot].budget;
    urcu_memb_read_unlock();
    if (attrs & FAIR_ATTR_GENDER) bump(&F.local[worker], slot, g, FAIR_C_WIN);
    if (attrs & FAIR_ATTR_AGE_BAND) bump(&F.local[worker], slot, a, FAIR_C_WIN);
    int64_t cost;
    if (take_cost(key, slot, &cost)) {
        /* a budget bid: charge the clearing price (${AUCTION_PRICE}); without a price it cost its bid */
        int64_t spend = cost;
        if (np > 0) {
            char *end;
            double p = strtod(pv, &end);
            if (*end == '\0' && p >= 0 && p <= 1e7) spend = fair_spend_micros(llround(p * 1e6));
        }
        atomic_fetch_add(&F.caps[slot].wins, 1);
        atomic_fetch_add(&F.caps[slot].charged, spend);
        if (attrs & FAIR_ATTR_GENDER) add(&F.local[worker], slot, g, FAIR_C_SPEND, (uint64_t)spend);
        if (attrs & FAIR_ATTR_AGE_BAND) add(&F.local[worker], slot, a, FAIR_C_SPEND, (uint64_t)spend);
        if (spend < cost) {
            atomic_fetch_add(&F.caps[slot].refunded, cost - spend);
            fz_give_spend(slot, atomic_load(&F.caps[slot].period), cost - spend);
        } else if (spend > cost) {
            /* the exchange charged more than the bid: the excess comes out of the reserve (may go below 0,
             * which stops the campaign until leases cover it) */
            atomic_fetch_sub(&F.caps[slot].reserve, spend - cost);
        }
    } else if (budgeted) {
        atomic_fetch_add(&F.caps[slot].late,
                         1); /* its record was overwritten: the bid stays charged in full */
    }
    snprintf(body, cap, "{\"status\":\"counted\"}");
    return 200;
}
