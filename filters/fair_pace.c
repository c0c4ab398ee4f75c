/* fair_pace: see fair_pace.h and docs/fairness.md ("Budget and fairness together"). The problem: maximise
 * wins per eligible request, Σ_g q_g r_g(b_g) (q_g eligible shares, r_g win rates), subject to the spend per
 * request staying within the pacing target, Σ_g q_g c_g(b_g) ≤ ρ (dual ν), and to r_g ≥ κ r_best for every
 * group g (dual μ_g, per unit of q_g). Its Lagrangian gives per-win values in units of the campaign's base
 * price v: w_g = 1 + μ_g for a group behind the best one, w_best = 1 + μ_best − κ Σ_{h≠best} q_h μ_h / q_best
 * for the best one, and the best response to them under the budget's dual is the bid v × w_g / ν (exactly so
 * in a second-price auction, Balseiro & Gur 2019; in pay as bid the same duals converge to the same binding
 * constraints, see the docs). The duals follow projected subgradient steps each period: μ_g += η (κ − r_g /
 * r_best), and ν a mirror step on ln ν against the relative spend error (Balseiro, Lu & Mirrokni 2020). */
#include "filters/fair_pace.h"

#include <math.h>
#include <string.h>

void fair_pace_init(struct fair_pace *st)
{
    memset(st, 0, sizeof *st);
    st->keep = 1;
    for (int a = 0; a < FAIR_NATTR; a++) st->best[a] = -1;
}

double fair_pace_kappa_tvd(double q_best, double max_tvd)
{
    double a = 1 - q_best;
    if (q_best <= 0 || a <= 0 || max_tvd >= a) return 0;
    if (max_tvd <= 0) return 1;
    /* TVD = a − a κ / (q_best + a κ) when all the others are at κ × the best rate; solved for κ */
    double k = q_best * (a - max_tvd) / (a * (max_tvd + q_best));
    return k < 0 ? 0 : k > 1 ? 1 : k;
}

static double unthrottled_rate(const uint64_t *v, int k, uint64_t min_base)
{
    uint64_t base = v[FAIR_C_ELIG] > v[FAIR_C_THR] ? v[FAIR_C_ELIG] - v[FAIR_C_THR] : 0;
    if (base == 0 || base < min_base) return -1;
    return (double)v[k] / (double)base;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* The budget's dual: a mirror step on theta = ln ν, the bid's divisor (pace = 1 / ν). Maximising wins
 * subject to the budget, the budget binds whenever it can be spent, so ν is not held at or above 1 (as the
 * utility view, ν = 1 + λ with λ ≥ 0, would): with even pacing
 * an underspending campaign (the fair prices level the cheap group down more than the dear one up) bids up to
 * max_boost × its price to spend what the clock allows. theta ∈ [−ln max_boost, ln(1 / FAIR_PACE_FLOOR)];
 * past its maximum the remaining excess moves a keep probability instead, and a deficit restores the keep
 * probability first. No demand in the recent span (nothing eligible): held, so an idle spell does not wind
 * the pace up. */
static void budget_step(struct fair_pace *st, bool even, double hi, bool demand, double spend, double target,
                        double dt_s)
{
    if (!even) {
        st->theta = 0;
        st->keep = 1;
        return;
    }
    if (!(target > 0) || !demand) return; /* unknown (no fleet spend count yet), nothing left, idle: hold */
    double theta_max = log(1 / FAIR_PACE_FLOOR), theta_min = -log(hi > 1 ? hi : 1);
    double e = clamp(spend / target - 1, -1, 1);
    double step = FAIR_PACE_ETA_BUDGET * dt_s * e;
    if (step > 0) {
        double room = theta_max - st->theta;
        if (step <= room) {
            st->theta += step;
        } else {
            st->theta = theta_max;
            st->keep *= exp(-(step - room) * 4);
        }
    } else if (st->keep < 1) {
        st->keep *= exp(-step * 4);
        if (st->keep > 1) st->keep = 1;
    } else {
        st->theta = st->theta + step < theta_min ? theta_min : st->theta + step;
    }
    if (st->keep < 0.01) st->keep = 0.01;
}

/* One attribute's fairness duals; writes dw for its groups and the level-down fallback into ctl. */
static void attr_step(const struct campaign_fairness *p, int first, int n,
                      const uint64_t window[][FAIR_NCOUNT], const uint64_t recent[][FAIR_NCOUNT], double dt_s,
                      double pace, double hi, struct fair_pace *st, int a, float *dw,
                      struct fair_attr_ctl *ctl)
{
    uint64_t wins = 0;
    for (int g = first; g < first + n; g++) wins += window[g][FAIR_C_WIN];
    int k = wins ? FAIR_C_WIN : FAIR_C_BID;
    ctl->use_wins = wins != 0;
    ctl->level_down = false;
    ctl->target = 0;
    uint64_t min_elig = p->min_eligible > 0 ? (uint64_t)p->min_eligible : 1;

    double rate[FAIR_NGROUPS];
    int best = -1, nq = 0;
    double elig_q = 0;
    for (int g = first; g < first + n; g++) {
        rate[g] = -1;
        if (window[g][FAIR_C_ELIG] >= min_elig) rate[g] = unthrottled_rate(recent[g], k, FAIR_MIN_RECENT);
        if (rate[g] < 0) continue;
        nq++;
        elig_q += (double)window[g][FAIR_C_ELIG];
        if (best < 0 || rate[g] > rate[best]) best = g;
    }
    st->best[a] = -1;
    if (nq < 2 || rate[best] <= 0) {
        /* no signal: old duals fade rather than be paid blindly */
        for (int g = first; g < first + n; g++) {
            st->mu[g] *= 1 - clamp(0.5 * dt_s, 0, 1);
            dw[g] = 0;
        }
        return;
    }
    st->best[a] = best;
    double q_best = (double)window[best][FAIR_C_ELIG] / elig_q;
    double kb = fair_pace_kappa_tvd(q_best, p->max_tvd);
    if (p->min_impact_ratio > kb) kb = p->min_impact_ratio;
    if (kb > 1) kb = 1;
    double kappa = kb + FAIR_PACE_MARGIN * (1 - kb);
    st->kappa[a] = kappa;

    double cost = 0; /* Σ_{h ≠ best} q_h μ_h: what the behind groups' constraints charge the best group */
    for (int g = first; g < first + n; g++) {
        if (rate[g] < 0) {
            st->mu[g] *= 1 - clamp(0.5 * dt_s, 0, 1);
            dw[g] = 0;
            continue;
        }
        double gap = kappa - rate[g] / rate[best];
        st->mu[g] = clamp(st->mu[g] + FAIR_PACE_ETA_MU * dt_s * gap, 0, FAIR_PACE_MU_MAX);
        if (g != best) cost += (double)window[g][FAIR_C_ELIG] / elig_q * st->mu[g];
    }
    int worst = best;
    for (int g = first; g < first + n; g++) {
        if (rate[g] < 0) continue;
        dw[g] = (float)st->mu[g];
        if (rate[g] < rate[worst]) worst = g;
    }
    dw[best] = (float)(st->mu[best] - kappa * cost / q_best);

    /* prices alone cannot close the gap (the behind group at max_boost, the best at the floor): throttle the
     * others down to the lowest rate / κ, as fair_control's level-down does */
    bool top = pace * (1 + dw[worst]) >= hi - 1e-6, bottom = pace * (1 + dw[best]) <= FAIR_PACE_FLOOR + 1e-6;
    if (top && bottom && rate[worst] < kappa * rate[best]) {
        double lo = -1;
        for (int g = first; g < first + n; g++) {
            if (window[g][FAIR_C_ELIG] < min_elig) continue;
            double u = unthrottled_rate(window[g], k, 1);
            if (u >= 0 && (lo < 0 || u < lo)) lo = u;
        }
        if (lo >= 0) {
            ctl->level_down = true;
            ctl->target = lo / kappa;
        }
    }
}

void fair_pace_step_raw(const struct campaign_fairness *p, bool even, const uint64_t window[][FAIR_NCOUNT],
                        const uint64_t recent[][FAIR_NCOUNT], double spend, double target, double dt_s,
                        struct fair_pace *st, struct fair_pace_out *out, struct fair_attr_ctl ctl[FAIR_NATTR])
{
    if (!(dt_s > 0)) dt_s = 0;
    double hi = p->max_boost >= 1 ? p->max_boost : 1;
    uint64_t elig = 0;
    for (int g = 0; g < FAIR_NGROUPS; g++) elig += recent[g][FAIR_C_ELIG];
    budget_step(st, even, hi, elig > 0, spend, target, dt_s);
    double pace = exp(-st->theta);
    out->pace = (float)pace;
    out->keep = (float)st->keep;
    out->hi = (float)hi;
    for (int g = 0; g < FAIR_NGROUPS; g++) out->dw[g] = 0;
    for (int a = 0; a < FAIR_NATTR; a++) {
        ctl[a] = (struct fair_attr_ctl){0};
        if (!p->enabled || !(p->attrs & (a == FAIR_ATTR_IX_GENDER ? FAIR_ATTR_GENDER : FAIR_ATTR_AGE_BAND)))
            continue;
        attr_step(p, fair_attr_first(a), fair_attr_n(a), window, recent, dt_s, pace, hi, st, a, out->dw,
                  &ctl[a]);
    }
}

void fair_pace_step(const struct campaign_fairness *p, const struct fair_budget_obs *o, double dt_s,
                    struct fair_pace *st, struct fair_pace_out *out, struct fair_attr_ctl ctl[FAIR_NATTR])
{
    int a = p->attrs & FAIR_ATTR_GENDER ? FAIR_ATTR_IX_GENDER : FAIR_ATTR_IX_AGE;
    int first = fair_attr_first(a), n = fair_attr_n(a);
    double spend = 0;
    for (int g = first; g < first + n; g++) spend += (double)o->recent[g][FAIR_C_SPEND];
    spend /= o->pace_keep > 0.05 ? o->pace_keep : 0.05;
    double target = -1, left = (double)(o->period_ms - o->elapsed_ms);
    if (o->spent_micros >= 0 && left > 0 && o->recent_ms > 0)
        target = (double)(o->amount_micros - o->spent_micros) * (double)o->recent_ms / left;
    fair_pace_step_raw(p, o->pacing == BUDGET_PACING_EVEN, o->window, o->recent, spend, target, dt_s, st, out,
                       ctl);
}
