/* fairness ext: external fairness keys (fairness.h, struct fairness_ext) in the fleet sync's round trip, the
 * same commands as a campaign slot's windows (fz_queue_window: HINCRBY the deltas, EXPIRE, HGETALL the
 * window's buckets), as command kind 6. Control-plane thread only, but for register and fleet_ok. */
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
    char id[160];
    for (int i = 0; i < n; i++) {
        uint64_t d[FAIR_NGROUPS][FAIR_NCOUNT];
        int64_t bms = 0;
        memset(d, 0, sizeof d);
        if (!x->take(i, id, sizeof id, &bms, d) || bms <= 0) continue;
        taken[i] = true;
        fz_queue_window(id, bms, now / bms, (const uint64_t(*)[FAIR_NCOUNT])d, i, 6);
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
