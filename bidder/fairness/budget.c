/* fairness budgets: money per period across the fleet (docs/fairness.md, Budgets). Spend is leased from Redis
 * into the instance's reserve (integer micros of the currency) before any bid is made with it; fair_check
 * takes each bid's spend at its final price from the reserve; decide, win notices and loss notices give back
 * what the bid did not cost; the tick here sizes the leases, returns an excess, counts the fleet's spend at
 * clearing prices and paces `even` budgets. Redis never sees a request: a reserve that runs dry stops the
 * campaign (fail closed) until a lease refills it. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <event2/buffer.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "bidder/obs/log.h"
#include "bidder/obs/prom.h"

/* The counter's rule is the cap's (internal.h): at most 1e15 micros, the largest amount config accepts. */
#define BUDGET_COUNT_LUA COUNT_LUA("budget")
/* Grants min(want, lim - used) micros, lim = the amount (asap) or, with even pacing (ARGV[4] = 1), its share
 * by the clock: amount x (now - start + lead) / (period end - start), where start is the period's first lease
 * (KEYS[2], set once: the whole fleet paces from the same moment, so a budget started mid-period spreads over
 * what is left of it). ARGV: amount, want, ttl, even, now_ms, period_end_ms, lead_ms. Returns {granted,
 * amount - used after, lim - used after}. */
static const char BUDGET_LEASE_LUA[] =
    BUDGET_COUNT_LUA "local amount = tonumber(ARGV[1]) local lim = amount "
                     "if ARGV[4] == '1' then "
                     "local now = tonumber(ARGV[5]) local pend = tonumber(ARGV[6]) "
                     "local st = redis.call('GET', KEYS[2]) "
                     "if not st then redis.call('SET', KEYS[2], ARGV[5], 'EX', tonumber(ARGV[3])) st = now "
                     "elseif not string.match(st, '^[0-9]+$') then "
                     "return redis.error_reply('fairbid: pacing start ' .. KEYS[2] .. ' is not a time') "
                     "else st = tonumber(st) end "
                     "local f = (now - st + tonumber(ARGV[7])) / math.max(1, pend - st) "
                     "if f > 1 then f = 1 end if f < 0 then f = 0 end "
                     "lim = math.floor(amount * f) end "
                     "local g = math.min(tonumber(ARGV[2]), lim - used) "
                     "if g < 0 then g = 0 end "
                     "if g > 0 then redis.call('INCRBY', KEYS[1], g) "
                     "redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3])) end "
                     "return {g, amount - used - g, lim - used - g}";
/* Gives back up to ARGV[1] micros the instance reserved and will not spend. */
static const char BUDGET_RETURN_LUA[] = BUDGET_COUNT_LUA "local r = math.min(tonumber(ARGV[1]), used) "
                                                         "if r > 0 then redis.call('DECRBY', KEYS[1], r) end "
                                                         "return r";

enum { K_LEASE = 3, K_RETURN = 4, K_SPENT = 5 };

bool fz_windowed(const struct slot *sl)
{
    return sl->fair.enabled || sl->budget.enabled;
}

unsigned fz_attrs(const struct slot *sl)
{
    if (sl->fair.enabled) return sl->fair.attrs;
    return sl->budget.enabled ? FAIR_ATTR_GENDER | FAIR_ATTR_AGE_BAND : 0;
}

void fz_budget_assign(struct slot *sl, const struct campaign *c)
{
    bool was = sl->budget.enabled;
    sl->budget = c->budget;
    sl->bid_micros = c->bid_micros;
    double boost = c->fair.enabled && c->fair.max_boost > 1 ? c->fair.max_boost : 1;
    sl->b_unit = fair_spend_micros((int64_t)((double)c->bid_micros * boost) + 1);
    if (sl->b_unit < 1) sl->b_unit = 1;
    if (!was) {
        sl->b_period = -1;
        sl->b_remaining = -1;
        sl->b_spent_fleet = -1;
        sl->pace_keep = 1;
    }
}

static int64_t period_ms(const struct slot *sl)
{
    return (int64_t)(sl->budget.period_s > 0 ? sl->budget.period_s : 86400) * 1000;
}

/* The period roll-over: the old period's reserve is dropped (counted as spent there: undershoot, never
 * overshoot). The period is stored before the reserve is cleared, so a notice's refund racing with it is
 * undone by the notice itself (win.c). */
static void roll(int s, struct slot *sl, int64_t now)
{
    int64_t p = now / period_ms(sl);
    if (p == sl->b_period) return;
    atomic_store(&F.caps[s].period, p);
    atomic_exchange(&F.caps[s].reserve, 0);
    sl->b_period = p;
    sl->b_exhausted = sl->b_paced = false;
    sl->b_remaining = -1;
    sl->b_leased = sl->b_returned = sl->b_local_granted = 0;
    sl->b_last_reserve = 0;
    sl->b_spent_fleet = -1;
    sl->b_pend = false;
    sl->pace_keep = 1;
    sl->b_start_ms = 0;
}

void fz_budget_clock(int64_t now)
{
    /* every tick, connected or not: a reserve leased in one period is never spent in the next */
    for (int s = 0; s < F.nslots; s++)
        if (F.slots[s].used && F.slots[s].budget.enabled) roll(s, &F.slots[s], now);
}

static int64_t lead_ms(void)
{
    return 4LL * (F.cfg && F.cfg->fairness_sync_ms > 0 ? F.cfg->fairness_sync_ms : 100);
}

/* Without Redis, the lease script's limit computed here (start: this instance's first lease of the period).
 */
static int64_t allowed_local(struct slot *sl, int64_t now)
{
    int64_t amount = sl->budget.amount_micros;
    if (sl->budget.pacing != BUDGET_PACING_EVEN) return amount;
    if (sl->b_start_ms <= 0) sl->b_start_ms = now;
    int64_t pend = (sl->b_period + 1) * period_ms(sl);
    double f = (double)(now - sl->b_start_ms + lead_ms()) /
               (double)(pend - sl->b_start_ms > 1 ? pend - sl->b_start_ms : 1);
    if (f > 1) f = 1;
    if (f < 0) f = 0;
    return (int64_t)((double)amount * f);
}

/* Before a sync: roll-over, consumption, how much to lease (0: none) and how much to return (*ret). */
static int64_t budget_want(int s, struct slot *sl, int64_t now, int64_t *ret)
{
    *ret = 0;
    roll(s, sl, now);
    sl->b_ticks++;
    int64_t unit = sl->b_unit;
    int64_t reserve = atomic_load(&F.caps[s].reserve);
    double used = (double)(sl->b_last_reserve - reserve);
    sl->b_rate = 0.7 * sl->b_rate + 0.3 * (used > 0 ? used : 0);
    int64_t keep = (int64_t)(sl->b_rate * 8) + 4 * unit; /* about 0.8 s of spend at 100 ms ticks */
    /* paced by the clock: what an instance holds is spend the clock allowed but nobody bids with yet, so hold
     * less (the lead covers a couple of syncs) */
    if (sl->b_paced) keep = (int64_t)(sl->b_rate * 2) + 2 * unit;
    int64_t maxw = sl->budget.amount_micros / 20 > 4 * unit ? sl->budget.amount_micros / 20 : 4 * unit;
    if (keep > maxw) keep = maxw;
    if (reserve > 3 * keep + 8 * unit) {
        /* demand fell: give the excess back so the rest of the fleet can spend it */
        int64_t r = reserve - keep, t = reserve;
        while (t >= r && !atomic_compare_exchange_weak(&F.caps[s].reserve, &t, t - r)) {
        }
        if (t >= r) *ret = r;
        sl->b_last_reserve = atomic_load(&F.caps[s].reserve);
        return 0;
    }
    sl->b_last_reserve = reserve;
    if (sl->b_inflight) return 0;
    if (sl->b_exhausted && sl->b_ticks % 10) return 0; /* others may return spend: look now and then */
    if (reserve > (int64_t)(sl->b_rate * 4) + 2 * unit) return 0;
    return keep > reserve ? keep - reserve : unit;
}

/* Pacing state after a lease answer: room is what the clock still allows fleet-wide after it. */
static void granted(int s, struct slot *sl, int64_t want, int64_t got, int64_t remaining, int64_t room)
{
    if (got > 0) {
        atomic_fetch_add(&F.caps[s].reserve, got);
        sl->b_last_reserve += got;
    }
    sl->b_leased += got;
    sl->b_remaining = remaining;
    sl->b_exhausted = got < want && remaining <= 0;
    sl->b_paced = !sl->b_exhausted && got < want && room <= 0;
    if (sl->budget.pacing != BUDGET_PACING_EVEN) {
        sl->pace_keep = 1;
    } else if (sl->b_paced) {
        /* the clock, not demand, limits spend: keep fewer bids, so what the clock releases is spread over
         * the requests of the next ticks instead of going to the first ones */
        float k = sl->pace_keep * 0.8f;
        sl->pace_keep = k < 0.02f ? 0.02f : k;
    } else {
        float k = sl->pace_keep * 1.15f + 0.02f;
        sl->pace_keep = k > 1 ? 1 : k;
    }
}

void fz_budget_local(int s, struct slot *sl, int64_t now)
{
    int64_t ret;
    int64_t want = budget_want(s, sl, now, &ret);
    sl->b_local_granted -= ret;
    sl->b_returned += ret;
    if (want <= 0) return;
    int64_t lim = allowed_local(sl, now);
    int64_t got = want < lim - sl->b_local_granted ? want : lim - sl->b_local_granted;
    if (got < 0) got = 0;
    sl->b_local_granted += got;
    granted(s, sl, want, got, sl->budget.amount_micros - sl->b_local_granted, lim - sl->b_local_granted);
    sl->b_spent_fleet = atomic_load(&F.caps[s].charged);
}

bool fz_budget_queue(int s, struct slot *sl, int64_t now)
{
    int64_t ret;
    int64_t want = budget_want(s, sl, now, &ret);
    char key[300], skey[320], stkey[320];
    snprintf(key, sizeof key, FAIRNESS_BUDGET_KEY_FMT, sl->id, sl->budget.period_s, (long long)sl->b_period);
    snprintf(stkey, sizeof stkey, FAIRNESS_BUDGET_START_KEY_FMT, sl->id, sl->budget.period_s,
             (long long)sl->b_period);
    snprintf(skey, sizeof skey, FAIRNESS_BUDGET_SPENT_KEY_FMT, sl->id, sl->budget.period_s,
             (long long)sl->b_period);
    long long ttl = (long long)sl->budget.period_s * 2 + 60;
    /* the fleet's spend at clearing prices: push ours, read the total back (one INCRBY) */
    int64_t charged = atomic_load(&F.caps[s].charged);
    sl->b_spent_sending = charged - sl->b_spent_pushed;
    fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(s, K_SPENT, sl->b_spent_sending),
                                "INCRBY %s %lld", skey, (long long)sl->b_spent_sending));
    redisAsyncCommand(F.ac, NULL, NULL, "EXPIRE %s %lld", skey, ttl);
    if (ret > 0) {
        sl->b_release = ret;
        fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(s, K_RETURN, ret), "EVAL %s 1 %s %lld",
                                    BUDGET_RETURN_LUA, key, (long long)ret));
    }
    if (want <= 0) return false;
    sl->b_inflight = true;
    sl->b_lease_period = sl->b_period;
    fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(s, K_LEASE, want),
                                "EVAL %s 2 %s %s %lld %lld %lld %d %lld %lld %lld", BUDGET_LEASE_LUA, key,
                                stkey, (long long)sl->budget.amount_micros, (long long)want, ttl,
                                sl->budget.pacing == BUDGET_PACING_EVEN, (long long)now,
                                (long long)((sl->b_period + 1) * period_ms(sl)), (long long)lead_ms()));
    return true;
}

/* A lease reply the script can give: {got, remaining, room} with 0 <= got <= want, remaining = amount - used
 * - got for some 0 <= used <= 1e15, room <= remaining. Anything else leases nothing (fail closed). */
static bool lease_ok(const redisReply *r, int64_t want, int64_t amount)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return false;
    for (int i = 0; i < 3; i++)
        if (r->element[i]->type != REDIS_REPLY_INTEGER) return false;
    long long got = r->element[0]->integer, rem = r->element[1]->integer, room = r->element[2]->integer;
    if (got < 0 || got > want || got > amount) return false;
    if (rem > amount - got || rem < amount - got - FAIRNESS_CAP_MAX) return false;
    return room <= rem;
}

int fz_budget_reply(const struct cmd *c, struct slot *sl, const void *reply)
{
    const redisReply *r = reply;
    if (c->kind == K_SPENT) {
        if (r->type != REDIS_REPLY_INTEGER) return -1;
        sl->b_spent_pushed += c->arg;
        sl->b_spent_fleet = r->integer;
        return 0;
    }
    if (c->kind == K_RETURN) {
        if (r->type != REDIS_REPLY_INTEGER) return -1;
        sl->b_returned += r->integer; /* less than asked: the counter was lower (another period): dropped */
        return 0;
    }
    if (!lease_ok(r, c->arg, sl->budget.amount_micros)) {
        log_warn("fairness: budget lease reply not understood, nothing reserved", "campaign=%s", sl->id);
        return -1;
    }
    long long got = r->element[0]->integer, rem = r->element[1]->integer, room = r->element[2]->integer;
    /* leased against a period that has ended since: it stays reserved there (undershoot), never spent here */
    if (sl->b_lease_period != sl->b_period) return 0;
    if (F.cfg && F.cfg->lease_min_replicas > 0) {
        /* spendable only once a replica has it: a failover must not hand the same spend out twice */
        sl->b_pend = true;
        sl->b_pend_want = c->arg;
        sl->b_pend_got = got;
        sl->b_pend_remaining = rem;
        sl->b_pend_room = room;
    } else {
        granted(c->slot, sl, c->arg, got, rem, room);
    }
    return 0;
}

void fz_budget_acked(int s, struct slot *sl, bool acked)
{
    if (!sl->b_pend) return;
    sl->b_pend = false;
    if (!acked) atomic_fetch_add(&F.lease_unacked, (uint64_t)(sl->b_pend_got > 0 ? sl->b_pend_got : 0));
    granted(s, sl, sl->b_pend_want, acked ? sl->b_pend_got : 0, sl->b_pend_remaining, sl->b_pend_room);
}

void fz_budget_tick_done(struct slot *sl, bool failed)
{
    (void)failed;
    sl->b_inflight = false;
    sl->b_release = 0;
}

void fz_budget_return_all(struct redisContext *c)
{
    for (int s = 0; s < F.nslots; s++) {
        struct slot *sl = &F.slots[s];
        if (!sl->used || !sl->budget.enabled) continue;
        int64_t held = atomic_exchange(&F.caps[s].reserve, 0);
        if (held <= 0 || !c || c->err || sl->b_period < 0) continue;
        char key[300];
        snprintf(key, sizeof key, FAIRNESS_BUDGET_KEY_FMT, sl->id, sl->budget.period_s,
                 (long long)sl->b_period);
        redisReply *r = redisCommand(c, "EVAL %s 1 %s %lld", BUDGET_RETURN_LUA, key, (long long)held);
        if (r && r->type == REDIS_REPLY_INTEGER) {
            sl->b_returned += r->integer;
            log_info("fairness: budget reserve returned", "campaign=%s micros=%lld", sl->id,
                     (long long)r->integer);
        }
        if (r) freeReplyObject(r);
    }
}

void fz_budget_obs(const struct slot *sl, int64_t now, const uint64_t (*recent)[FAIR_NCOUNT],
                   struct fair_budget_obs *out)
{
    int64_t pms = period_ms(sl);
    *out = (struct fair_budget_obs){
        .window = (const uint64_t(*)[FAIR_NCOUNT])sl->wsum,
        .recent = recent,
        .window_ms = sl->win.bucket_ms * FAIR_NBUCKETS,
        .recent_ms = sl->win.bucket_ms * RECENT_BUCKETS,
        .amount_micros = sl->budget.amount_micros,
        .remaining_micros = sl->b_remaining,
        .spent_micros = sl->b_spent_fleet,
        .period_ms = pms,
        .elapsed_ms = now % pms,
        .pacing = sl->budget.pacing,
        .pace_keep = sl->pace_keep,
    };
}

/* ---- metrics ---- */

void fz_budget_metrics(struct evbuffer *o)
{
    urcu_memb_read_lock();
    const struct snap_full *s = (const struct snap_full *)(uintptr_t)atomic_load(&F.snap);
    bool any = false;
    for (uint32_t i = 0; s && i < s->nslots; i++) any |= s->rep[i].budget;
    if (!any) {
        urcu_memb_read_unlock();
        return;
    }
    /* one pass per family (the text format wants a family's samples together); money in the currency */
    static const struct {
        const char *name, *help;
    } FAM[] = {
        {"fairbid_budget_amount", "The campaign's budget per period, in the currency."},
        {"fairbid_budget_reserved", "Spend the fleet has reserved this period (leased minus returned)."},
        {"fairbid_budget_spent", "Spend at clearing prices the fleet's win notices reported this period."},
        {"fairbid_budget_instance_reserve", "Spend this instance holds, not yet bid."},
        {"fairbid_budget_instance_leased", "Spend this instance leased from Redis this period."},
        {"fairbid_budget_instance_returned", "Spend this instance gave back to Redis this period."},
        {"fairbid_budget_instance_spent",
         "Spend at clearing prices from this instance's win notices (all periods)."},
        {"fairbid_budget_pace_keep", "Even pacing: share of eligible bids kept (1 = no throttle)."},
    };
    enum { NFAM = sizeof FAM / sizeof FAM[0] };
    for (int f = 0; f < NFAM; f++) {
        prom_family(o, FAM[f].name, PROM_GAUGE, FAM[f].help);
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->budget) continue;
            double v = f == 0   ? (double)r->b.amount_micros
                       : f == 1 ? (r->b_remaining < 0 ? 0 : (double)(r->b.amount_micros - r->b_remaining))
                       : f == 2 ? (r->b_spent_fleet < 0 ? 0 : (double)r->b_spent_fleet)
                       : f == 3 ? (double)atomic_load(&F.caps[i].reserve)
                       : f == 4 ? (double)r->b_leased
                       : f == 5 ? (double)r->b_returned
                       : f == 6 ? (double)atomic_load(&F.caps[i].charged)
                                : (double)r->pace_keep * 1e6;
            prom_double(o, FAM[f].name, PROM_L({"campaign", r->id}), v / 1e6);
        }
    }
    prom_family(o, "fairbid_budget_state", PROM_GAUGE,
                "1 for the state the budget is in: ok, paced (even pacing ahead of the clock) or exhausted.");
    for (uint32_t i = 0; i < s->nslots; i++) {
        const struct slot_report *r = &s->rep[i];
        if (!r->budget) continue;
        prom_i64(o, "fairbid_budget_state", PROM_L({"campaign", r->id}, {"state", "ok"}),
                 !r->b_paced && !r->b_exhausted);
        prom_i64(o, "fairbid_budget_state", PROM_L({"campaign", r->id}, {"state", "paced"}), r->b_paced);
        prom_i64(o, "fairbid_budget_state", PROM_L({"campaign", r->id}, {"state", "exhausted"}),
                 r->b_exhausted);
    }
    prom_family(
        o, "fairbid_budget_notices_total", PROM_COUNTER,
        "Notices of budgeted bids, by kind (late: the bid's record was gone, it stays charged in full).");
    for (uint32_t i = 0; i < s->nslots; i++) {
        const struct slot_report *r = &s->rep[i];
        if (!r->budget) continue;
        prom_u64(o, "fairbid_budget_notices_total", PROM_L({"campaign", r->id}, {"kind", "win"}),
                 atomic_load(&F.caps[i].wins));
        prom_u64(o, "fairbid_budget_notices_total", PROM_L({"campaign", r->id}, {"kind", "loss"}),
                 atomic_load(&F.caps[i].losses));
        prom_u64(o, "fairbid_budget_notices_total", PROM_L({"campaign", r->id}, {"kind", "late"}),
                 atomic_load(&F.caps[i].late));
    }
    static const char *const GN[2] = {"fairbid_budget_group_spend", "fairbid_budget_group_cost_per_win"};
    static const char *const GH[2] = {"Spend at clearing prices over the campaign's window, per group.",
                                      "Spend per win over the campaign's window, per group."};
    for (int f = 0; f < 2; f++) {
        prom_family(o, GN[f], PROM_GAUGE, GH[f]);
        for (uint32_t i = 0; i < s->nslots; i++) {
            const struct slot_report *r = &s->rep[i];
            if (!r->budget) continue;
            for (int g = 0; g < FAIR_NGROUPS; g++) {
                uint64_t w = r->wsum[g][FAIR_C_WIN], sp = r->wsum[g][FAIR_C_SPEND];
                if (!r->wsum[g][FAIR_C_ELIG] && !w) continue;
                if (f == 1 && !w) continue;
                prom_double(o, GN[f], PROM_L({"campaign", r->id}, {"group", fair_group_name(g)}),
                            f == 0 ? (double)sp / 1e6 : (double)sp / 1e6 / (double)w);
            }
        }
    }
    urcu_memb_read_unlock();
}
