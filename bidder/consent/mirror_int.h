/* mirror_int: the consent mirror's state, shared by its control plane (mirror.c: links, load, invalidations,
 * heartbeat) and its readers (mirror_view.c: the hot-path lookup, trust, state, metrics). Not for other
 * modules: they use mirror.h. */
#ifndef FAIRBID_BIDDER_CONSENT_MIRROR_INT_H
#define FAIRBID_BIDDER_CONSENT_MIRROR_INT_H

#include <hiredis/async.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bidder/consent/mirror_table.h"
#include "bidder/store/link.h"
#include "bidder/store/store.h"

enum phase {
    PH_IDLE,       /* no connection; reconnect when next_connect_ms is reached */
    PH_CONNECTING, /* connections opening; CLIENT ID, SUBSCRIBE, CLIENT TRACKING in flight */
    PH_SCANNING,   /* tracking on, full SCAN in progress */
    PH_SYNCED,     /* loaded; following invalidations */
};

enum mstate { MS_DISABLED, MS_LOADING, MS_SYNCED, MS_STALE, MS_RESYNCING, MS_FULL };

/* how often a mirror that could not hold every record reloads, to find out whether it now can */
#define FULL_RETRY_MS 30000

/* privdata of an HGETALL: which key, the sync generation it belongs to, and its place in the order of reloads
 * issued on `cmd` (replies come back in that order) */
struct pending {
    struct mirror_key k;
    uint64_t gen;
    uint64_t seq;
    int64_t issued;       /* coarse clock when issued (the invalidation's arrival) */
    struct pending *next; /* FIFO of reloads not yet applied on the current links (M.q_head) */
};

/* A heartbeat echo proves the links and that every invalidation queued before it has been delivered; it
 * proves that they have been *applied* only once every reload issued before the echo has been answered. Until
 * then the echo waits here (a big hash, or a burst of invalidations, can keep reloads queued for seconds). */
#define HB_WAIT_MAX 32
struct hb_wait {
    int64_t sent; /* coarse clock at PUBLISH */
    uint64_t seq; /* reloads issued when the echo arrived */
};

struct mirror_state {
    bool enabled;
    struct event_base *base;
    struct store_url url;       /* as configured (redis:// or sentinel://) */
    struct store_url target;    /* where the current links go (store_target: the primary) */
    uint64_t store_gen;         /* store_generation() at connect: a new primary means reconnect + resync */
    struct mirror_table *table; /* RCU-published; written by this thread only */
    /* the shared links (bidder/store/link.h: checked AUTH/SELECT, connect timeout); cmd and sub are their
     * contexts while ready, which this file opens and closes together (manual links) */
    struct redis_link lcmd, lsub;
    redisAsyncContext *cmd, *sub;
    struct event *timer;
    enum phase phase;
    uint64_t gen; /* bumped by every (re)sync and teardown: replies of older generations are dropped */
    long long sub_id;
    int subs_confirmed;
    int64_t link_ok_ms; /* main thread: last time the link proved alive (heartbeat echo or connect start) */
    int64_t scan_start_ms;
    uint64_t scan_keys;
    int backoff_ms;
    int64_t next_connect_ms;
    int hb_ms;
    char hb_channel[64];
    int64_t coarse_res_ms;
    uint64_t reload_issued;  /* reloads issued on the current links (sequence numbers) */
    uint64_t reload_applied; /* reloads answered and applied, in order */
    struct hb_wait hb_wait[HB_WAIT_MAX];
    int hb_waiting;
    int64_t hb_last_sent;             /* coarse clock: the newest heartbeat time published */
    struct pending *q_head, *q_tail;  /* reloads issued and not yet applied, oldest first */
    _Atomic int64_t oldest_unapplied; /* coarse clock: issue time of q_head, 0 when none */

    _Atomic int64_t hb_ok_ms;   /* coarse clock: send time of the newest echoed heartbeat */
    _Atomic bool synced;        /* a full sync completed on the current links */
    _Atomic bool ready;         /* the first load completed */
    _Atomic bool ever_trusted;  /* trusted at least once since start (readiness) */
    _Atomic int stale_ms;       /* consent_stale_ms */
    _Atomic int64_t sync_ms;    /* coarse clock: when the last full sync completed */
    _Atomic int64_t load_ms;    /* duration of the last full sync */
    _Atomic bool resyncing;     /* a SCAN after the first load */
    _Atomic size_t max_records; /* consent_mirror_max_records */
    _Atomic bool full; /* a record was refused (ceiling or out of memory) since the last SCAN began */
    int64_t full_ms;   /* main thread: when `full` was set (mono) */
    _Atomic uint64_t invalidations, resyncs, reloads, flushes, deletes, disconnects, unknown, bad_records;
    _Atomic uint64_t bad_heartbeats;
};

/* The one mirror (control plane writes; workers read the atomics and the RCU-published table). */
extern struct mirror_state M;

/* Trusted right now: synced, the newest echo younger than consent_stale_ms, no reload waiting too long.
 * Any thread (atomics and the clock). */
bool mirror_trusted_now(void);

#endif
