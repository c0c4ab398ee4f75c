/* fairness ext: external fairness keys (fairness.h, struct fairness_ext) in the fleet sync's round trip, the
 * same commands as a campaign slot's windows (fairness.c, redis_tick): HINCRBY the deltas, EXPIRE, HGETALL
 * the window's buckets (command kind 6). Control-plane thread only, but for register and fleet_ok. */
#define _LGPL_SOURCE
#include "bidder/fairness/internal.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

static _Atomic(const struct fairness_ext *) ext_;
static bool taken[FAIRNESS_EXT_MAX]; /* keys whose deltas the tick in flight pushes */

void fairness_ext_register(const struct fairness_ext *ext)
{
    atomic_store(&ext_, ext);
}

bool fairness_fleet_ok(void)
{
    /* F.started is set before the workers serve and cleared after they stopped */
    if (!F.started || !F.redis) return true;
    return atomic_load(&F.state_ok) != 0;
}

void fz_ext_queue(int64_t now)
{
    const struct fairness_ext *x = atomic_load(&ext_);
    memset(taken, 0, sizeof taken);
    if (!x) return;
    int n = x->n < FAIRNESS_EXT_MAX ? x->n : FAIRNESS_EXT_MAX;
    char id[160], key[300];
    for (int i = 0; i < n; i++) {
        uint64_t d[FAIR_NGROUPS][FAIR_NCOUNT];
        int64_t bms = 0;
        memset(d, 0, sizeof d);
        if (!x->take(i, id, sizeof id, &bms, d) || bms <= 0) continue;
        taken[i] = true;
        int64_t ep = now / bms;
        snprintf(key, sizeof key, FAIRNESS_KEY_FMT, id, (long long)bms, (long long)ep);
        bool any = false;
        for (int g = 0; g < FAIR_NGROUPS; g++)
            for (int k = 0; k < FAIR_NCOUNT; k++) {
                if (!d[g][k]) continue;
                char field[40];
                snprintf(field, sizeof field, "%s:%c", fair_group_name(g), COUNT_CH[k]);
                redisAsyncCommand(F.ac, NULL, NULL, "HINCRBY %s %s %llu", key, field,
                                  (unsigned long long)d[g][k]);
                any = true;
            }
        if (any)
            redisAsyncCommand(F.ac, NULL, NULL, "EXPIRE %s %lld", key,
                              (long long)(bms * FAIR_NBUCKETS * 2 / 1000 + 60));
        for (int b = 0; b < FAIR_NBUCKETS; b++) {
            snprintf(key, sizeof key, FAIRNESS_KEY_FMT, id, (long long)bms, (long long)(ep - b));
            fz_queued(redisAsyncCommand(F.ac, fz_on_reply, fz_new_cmd(i, 6, ep - b), "HGETALL %s", key));
        }
    }
}

void fz_ext_reply(const struct cmd *c, const void *reply)
{
    const struct fairness_ext *x = atomic_load(&ext_);
    const redisReply *rep = reply;
    if (!x || rep->type != REDIS_REPLY_ARRAY) return;
    uint64_t v[FAIR_NGROUPS][FAIR_NCOUNT];
    fz_hash_counts(rep, v);
    x->set(c->slot, c->arg, (const uint64_t(*)[FAIR_NCOUNT])v);
}

void fz_ext_tick_done(bool failed)
{
    const struct fairness_ext *x = atomic_load(&ext_);
    if (!x || failed) return;
    for (int i = 0; i < FAIRNESS_EXT_MAX && i < x->n; i++)
        if (taken[i]) x->commit(i);
}
