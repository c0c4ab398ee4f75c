/* mirror_view: the consent mirror's readers: the hot-path lookup (workers, inside their RCU read-side
 * section), trust, state for /readyz, and metrics. The writer is mirror.c. See mirror.h. */
#define _LGPL_SOURCE
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <urcu/urcu-memb.h>

#include "bidder/common/clock.h"
#include "bidder/consent/mirror.h"
#include "bidder/consent/mirror_int.h"
#include "bidder/obs/prom.h"

static const char *const state_names[] = {"disabled", "loading", "synced", "stale", "resyncing", "full"};

/* ---- hot path ----------------------------------------------------------------------------------- */

/* How long an invalidation received may wait for its reload before the mirror stops being trusted:
 * consent_stale_ms / 10, within [5, 50] ms. A reload is one round trip (well under a millisecond on a healthy
 * link), so this only bites when reloads queue up (a big hash, a burst), and then the mirror is untrusted a
 * few ms after the invalidation arrives rather than consent_stale_ms after the last proven heartbeat. */
static int64_t reload_bound_ms(int stale)
{
    int b = stale / 10;
    return b < 5 ? 5 : b > 50 ? 50 : b;
}

bool mirror_trusted_now(void)
{
    if (!atomic_load_explicit(&M.synced, memory_order_acquire)) return false;
    int64_t now = fb_clock_mono_coarse_ms();
    int stale = atomic_load_explicit(&M.stale_ms, memory_order_relaxed);
    int64_t age = now - atomic_load_explicit(&M.hb_ok_ms, memory_order_relaxed);
    if (age + M.coarse_res_ms >= stale) return false;
    /* trust means every invalidation received has been applied: one that waits too long revokes it */
    int64_t oldest = atomic_load_explicit(&M.oldest_unapplied, memory_order_relaxed);
    return !oldest || now - oldest + M.coarse_res_ms < reload_bound_ms(stale);
}

void mirror_view(void *arg, const struct ortb_request *req, struct consent_store_view *view,
                 struct consent_stored *rec)
{
    (void)arg;
    view->rec = NULL;
    if (!M.enabled) {
        view->trusted = true;
        return;
    }
    view->trusted = mirror_trusted_now();
    struct sv u = req->user.buyeruid.n ? req->user.buyeruid : req->user.id;
    if (!u.n) return;
    /* a record read while untrusted still restricts: an old opt-out is better than none */
    const struct mirror_table *t = rcu_dereference(M.table);
    uint32_t f;
    if (t && mirror_table_get(t, mirror_key_of(u.p, u.n), &f)) {
        mirror_flags_unpack(f, rec);
        view->rec = rec;
    }
}

void mirror_prefetch(void *arg, struct sv key)
{
    (void)arg;
    if (!M.enabled) return;
    /* mirror_view hashes the key again (~10 ns) rather than reuse this hash: a cache keyed on the view's
     * pointer and length could match a previous request's key in a reused body buffer, and one checked by
     * content costs about what it saves */
    const struct mirror_table *t = rcu_dereference(M.table);
    if (t) mirror_table_prefetch(t, mirror_key_of(key.p, key.n));
}

bool mirror_lookup(const char *user, size_t len, struct consent_stored *rec)
{
    const struct mirror_table *t = rcu_dereference(M.table);
    uint32_t f;
    if (!t || !mirror_table_get(t, mirror_key_of(user, len), &f)) return false;
    mirror_flags_unpack(f, rec);
    return true;
}

bool mirror_enabled(void)
{
    return M.enabled;
}

bool mirror_ready(void)
{
    return !M.enabled || atomic_load(&M.ready);
}

bool mirror_ever_trusted(void)
{
    return !M.enabled || atomic_load(&M.ever_trusted);
}

static enum mstate state_now(void)
{
    if (!M.enabled) return MS_DISABLED;
    if (!atomic_load(&M.ready)) return MS_LOADING;
    if (atomic_load(&M.full)) return MS_FULL;
    if (mirror_trusted_now()) return MS_SYNCED;
    if (atomic_load(&M.resyncing)) return MS_RESYNCING;
    return MS_STALE;
}

const char *mirror_state(void)
{
    return state_names[state_now()];
}

const char *mirror_reason(void)
{
    if (M.enabled && atomic_load(&M.full))
        return "consent mirror: cannot hold every record of the store (consent_mirror_max_records or "
               "memory); "
               "not trusted, personal data refused";
    return "";
}

size_t mirror_size(void)
{
    const struct mirror_table *t = rcu_dereference(M.table);
    return t ? mirror_table_live(t) : 0;
}

void mirror_metrics(struct evbuffer *o)
{
    if (!M.enabled) return;
    /* called on a worker inside its read-side section, or on the main thread (the only writer) */
    const struct mirror_table *t = rcu_dereference(M.table);
    size_t live = t ? mirror_table_live(t) : 0;
    enum mstate st = state_now();
    int64_t hb = atomic_load(&M.hb_ok_ms), sync = atomic_load(&M.sync_ms), now = fb_clock_mono_coarse_ms();
    prom_one_u64(o, "fairbid_consent_mirror_records", PROM_GAUGE, "Records in the consent mirror.", live);
    prom_one_u64(o, "fairbid_consent_mirror_bytes", PROM_GAUGE, "Memory of the consent mirror's table.",
                 t ? mirror_table_bytes(t) : 0);
    prom_one_u64(o, "fairbid_consent_mirror_trusted", PROM_GAUGE,
                 "1 while the mirror is synced and its link proven within consent_stale_ms.",
                 st == MS_SYNCED);
    prom_family(o, "fairbid_consent_mirror_state", PROM_GAUGE, "Consent mirror state (1 = current).");
    for (int i = MS_LOADING; i <= MS_FULL; i++)
        prom_u64(o, "fairbid_consent_mirror_state", PROM_L({"state", state_names[i]}), (int)st == i);
    prom_one_double(o, "fairbid_consent_mirror_link_age_seconds", PROM_GAUGE,
                    "Age of the newest heartbeat echoed through the invalidation link.",
                    hb ? (double)(now - hb) / 1e3 : -1.0);
    prom_one_double(o, "fairbid_consent_mirror_last_sync_age_seconds", PROM_GAUGE,
                    "Time since the last full sync completed.", sync ? (double)(now - sync) / 1e3 : -1.0);
    prom_one_double(o, "fairbid_consent_mirror_load_seconds", PROM_GAUGE, "Duration of the last full sync.",
                    (double)atomic_load(&M.load_ms) / 1e3);
    struct {
        const char *name, *help;
        _Atomic uint64_t *v;
    } c[] = {
        {"fairbid_consent_mirror_invalidations_total",
         "Keys announced changed by Redis (invalidation messages).", &M.invalidations},
        {"fairbid_consent_mirror_reloads_total",
         "Records read from Redis (SCAN loads and invalidation reloads).", &M.reloads},
        {"fairbid_consent_mirror_resyncs_total", "Full resyncs after the first load (reconnects, FLUSHALL).",
         &M.resyncs},
        {"fairbid_consent_mirror_flushes_total", "Flush invalidations received (FLUSHALL/FLUSHDB).",
         &M.flushes},
        {"fairbid_consent_mirror_disconnects_total",
         "Times the links were dropped (error, silence, Redis gone).", &M.disconnects},
        {"fairbid_consent_mirror_unknown_classes_total",
         "Unknown class names in `sensitive` fields (ignored).", &M.unknown},
        {"fairbid_consent_mirror_bad_records_total",
         "Records not understood: not hashes, too many fields, bad values (restricted).", &M.bad_records},
        {"fairbid_consent_mirror_bad_heartbeats_total",
         "Messages on the heartbeat channel that are not a time this instance sent (ignored).",
         &M.bad_heartbeats},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        prom_one_u64(o, c[i].name, PROM_COUNTER, c[i].help, atomic_load(c[i].v));
    /* order-independent digest of the contents, for `fairbid consent digest` to compare with Redis */
    char digest[17], records[24];
    snprintf(digest, sizeof digest, "%016" PRIx64, t ? mirror_table_digest(t) : 0);
    snprintf(records, sizeof records, "%zu", live);
    prom_family(o, "fairbid_consent_mirror_digest_info", PROM_GAUGE,
                "Digest of the mirror's contents (compare with `fairbid consent digest`).");
    prom_u64(o, "fairbid_consent_mirror_digest_info", PROM_L({"digest", digest}, {"records", records}), 1);
}
