/* fairness view: slots (campaign id -> the index of its counters and reserves, stable across reloads), the
 * snapshot published to the workers each sync (RCU), and the fair_view interface filters/fair.c reads it
 * through.
 */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "bidder/obs/log.h"

bool fz_constrained(const struct campaign *c)
{
    return c->fair.enabled || c->cap.enabled || c->budget.enabled;
}

int fz_slot_find(struct sv id)
{
    for (int s = 0; s < F.nslots; s++)
        if (F.slots[s].used && strlen(F.slots[s].id) == id.n && !memcmp(F.slots[s].id, id.p, id.n)) return s;
    return -1;
}

/* Maps the config's constrained campaigns to slots (by id: a campaign keeps its counts across reloads). */
void fz_assign_slots(const struct config *cfg)
{
    const struct campaign_set *cs = &cfg->campaigns;
    for (uint32_t i = 0; i < cs->n; i++) {
        const struct campaign *c = &cs->v[i];
        if (!fz_constrained(c)) continue;
        int s = fz_slot_find(c->id);
        if (s < 0) {
            if (F.nslots == FAIR_MAX_SLOTS || c->id.n >= sizeof F.slots[0].id) {
                log_error("fairness: no slot for campaign, it will not bid", "campaign=%.*s max=%d",
                          (int)c->id.n, c->id.p, FAIR_MAX_SLOTS);
                continue;
            }
            s = F.nslots++;
            struct slot *sl = &F.slots[s];
            memset(sl, 0, sizeof *sl);
            sl->used = true;
            memcpy(sl->id, c->id.p, c->id.n);
            sl->id[c->id.n] = '\0';
            for (int g = 0; g < FAIR_NGROUPS; g++) sl->boost[g] = 1;
            sl->period = -1;
            sl->remaining = -1;
        }
        struct slot *sl = &F.slots[s];
        if (fairness_bucket_ms(&c->fair) != sl->win.bucket_ms)
            fair_window_init(&sl->win, fairness_bucket_ms(&c->fair));
        sl->fair = c->fair;
        sl->cap = c->cap;
        fz_budget_assign(sl, c);
    }
}

/* ---- the published view ---- */

bool fz_state_ok(void)
{
    if (!F.redis) return true;
    int64_t grace = 20LL * (F.cfg ? F.cfg->fairness_sync_ms : 100);
    if (grace < GRACE_MIN_MS) grace = GRACE_MIN_MS;
    return fb_clock_mono_ms() - F.last_ok_ms <= grace;
}

void fz_snap_free(struct snap_full *s)
{
    if (!s) return;
    free(s->camp);
    free(s->cidx);
    free(s->rep);
    free(s);
}

void fz_publish(void)
{
    const struct config *cfg = F.cfg;
    const struct campaign_set *cs = &cfg->campaigns;
    struct snap_full *s = calloc(1, sizeof *s);
    if (s) {
        s->camp = calloc(cs->n + 1, sizeof *s->camp);
        s->cidx = calloc(cs->n + 1, sizeof *s->cidx);
        s->rep = calloc((size_t)F.nslots + 1, sizeof *s->rep);
    }
    if (!s || !s->camp || !s->cidx || !s->rep) {
        log_error("fairness: out of memory building the view, keeping the old one", "%s", "");
        fz_snap_free(s);
        return;
    }
    bool ok = fz_state_ok();
    atomic_store(&F.state_ok, ok);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    s->pub.cs = cs;
    s->pub.year = tm.tm_year + 1900;
    s->pub.n = cs->n;
    s->pub.camp = s->camp;
    for (uint32_t i = 0; i < cs->n; i++) {
        struct fair_camp *fc = &s->camp[i];
        fc->slot = -1;
        fc->pace_keep = 1;
        if (!fz_constrained(&cs->v[i])) continue;
        int sl_ix = fz_slot_find(cs->v[i].id);
        if (sl_ix < 0) continue;
        const struct slot *sl = &F.slots[sl_ix];
        fc->slot = sl_ix;
        fc->flags = (ok ? FAIR_F_FAIR_OK : 0) | (sl->exhausted ? FAIR_F_CAP_EXHAUSTED : 0) |
                    (sl->b_exhausted ? FAIR_F_BUDGET_EXHAUSTED : 0) | (sl->b_paced ? FAIR_F_BUDGET_PACED : 0);
        if (sl->budget.enabled) fc->pace_keep = sl->pace_keep;
        if (fz_paced(sl) && sl->pace_on) {
            fc->flags |= FAIR_F_PACE;
            fc->pace = sl->pace_out;
            if (sl->pace_out.keep < fc->pace_keep) fc->pace_keep = sl->pace_out.keep;
        }
        memcpy(fc->ctl, sl->ctl, sizeof fc->ctl);
        memcpy(fc->boost, sl->boost, sizeof fc->boost);
        for (int g = 0; g < FAIR_NGROUPS; g++) {
            const struct fair_attr_ctl *ctl =
                &sl->ctl[g < FAIR_NGENDER ? FAIR_ATTR_IX_GENDER : FAIR_ATTR_IX_AGE];
            fc->elig[g] = sl->wsum[g][FAIR_C_ELIG];
            fc->deliv[g] = sl->wsum[g][ctl->use_wins ? FAIR_C_WIN : FAIR_C_BID];
            fc->thr[g] = sl->wsum[g][FAIR_C_THR];
        }
        s->cidx[s->ncidx++] = i;
    }
    s->nslots = (uint32_t)F.nslots;
    for (int i = 0; i < F.nslots; i++) {
        const struct slot *sl = &F.slots[i];
        struct slot_report *r = &s->rep[i];
        memcpy(r->id, sl->id, sizeof r->id);
        r->fair = sl->fair.enabled;
        r->cap = sl->cap.enabled;
        r->attrs = fz_attrs(sl);
        r->budget = sl->budget.enabled;
        r->b = sl->budget;
        r->b_remaining = sl->b_remaining;
        r->b_spent_fleet = sl->b_spent_fleet;
        r->b_leased = sl->b_leased;
        r->b_returned = sl->b_returned;
        r->b_exhausted = sl->b_exhausted;
        r->b_paced = sl->b_paced;
        r->pace_keep = sl->pace_keep;
        memcpy(r->wsum, sl->wsum, sizeof r->wsum);
        memcpy(r->boost, sl->boost, sizeof r->boost);
        for (int a = 0; a < FAIR_NATTR; a++) r->level_down[a] = sl->ctl[a].level_down;
        r->leased = sl->leased;
        r->released = sl->released;
        r->cap_bids = sl->cap.bids;
        r->exhausted = sl->exhausted;
    }
    const struct fairness_snapshot *old = atomic_exchange_explicit(&F.snap, &s->pub, memory_order_acq_rel);
    if (old) {
        urcu_memb_synchronize_rcu();
        fz_snap_free((struct snap_full *)(uintptr_t)old);
    }
}

/* ---- the interface filters/fair.c reads (struct fair_view) ---- */

static const struct fair_camp *view_camp(void *ctx, const struct campaign_set *cs, uint32_t campaign_index,
                                         int32_t *year)
{
    (void)ctx;
    const struct fairness_snapshot *s = atomic_load_explicit(&F.snap, memory_order_acquire);
    if (!s || s->cs != cs || campaign_index >= s->n) return NULL;
    *year = s->year;
    return &s->camp[campaign_index];
}

static void view_unsynced(void *ctx, int32_t slot, int g, uint64_t *out)
{
    const struct fairness_worker *wk = ctx;
    for (int k = 0; k < FAIR_NCOUNT; k++) {
        uint64_t cur = atomic_load_explicit(&F.local[wk->w].c[slot][g][k], memory_order_relaxed);
        uint64_t m = atomic_load_explicit(&F.mark[wk->w].c[slot][g][k], memory_order_relaxed);
        out[k] = cur > m ? cur - m : 0;
    }
}

static _Atomic int64_t *reserve_of(int32_t slot, int kind)
{
    return kind == FAIR_RES_SPEND ? &F.caps[slot].reserve : &F.caps[slot].tokens;
}

static bool view_take(void *ctx, int32_t slot, int kind, int64_t n)
{
    _Atomic int64_t *p = reserve_of(slot, kind);
    if (kind == FAIR_RES_SPEND)
        ((struct fairness_worker *)ctx)->took_period[slot] =
            atomic_load_explicit(&F.caps[slot].period, memory_order_relaxed);
    int64_t t = atomic_load_explicit(p, memory_order_relaxed);
    while (t >= n && t > 0 &&
           !atomic_compare_exchange_weak_explicit(p, &t, t - n, memory_order_relaxed, memory_order_relaxed)) {
    }
    return t >= n && t > 0;
}

void fz_give_spend(int32_t slot, int64_t period, int64_t n)
{
    /* only into the reserve of the period it was taken from: the roll-over stores the new period before it
     * clears the reserve, so a give that raced with it sees the change afterwards and takes itself back
     * (undershoot at worst, never spend the new period did not lease) */
    if (n <= 0 || atomic_load(&F.caps[slot].period) != period) return;
    atomic_fetch_add(&F.caps[slot].reserve, n);
    if (atomic_load(&F.caps[slot].period) != period) atomic_fetch_sub(&F.caps[slot].reserve, n);
}

static void view_give(void *ctx, int32_t slot, int kind, int64_t n)
{
    if (kind == FAIR_RES_SPEND) {
        fz_give_spend(slot, ((struct fairness_worker *)ctx)->took_period[slot], n);
        return;
    }
    atomic_fetch_add_explicit(reserve_of(slot, kind), n, memory_order_relaxed);
}

void fz_views_init(void)
{
    for (int w = 0; w < F.nworkers; w++) {
        F.wctx[w].w = w;
        F.views[w] = (struct fair_view){view_camp, view_unsynced, view_take, view_give, &F.wctx[w]};
    }
}

const struct fair_view *fairness_view(int worker)
{
    if (!F.started || worker < 0 || worker >= F.nworkers) return NULL;
    return &F.views[worker];
}
