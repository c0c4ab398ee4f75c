/* mirror: an in-memory, lock-free mirror of the advertiser's consent store (Redis hashes
 * fairbid:consent:<user-key>), kept current by the control plane. See docs/consent-store.md. */
#ifndef FAIRBID_BIDDER_MIRROR_H
#define FAIRBID_BIDDER_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include "bidder/config/config.h"
#include "filters/consent.h"
#include "bidder/consent/mirror_table.h"
#include "filters/ortb.h"

struct event_base;
struct evbuffer;
struct redisReply;

/* Starts loading and following the store on the control plane's base. No-op when cfg->redis is empty. */
int mirror_start(struct event_base *base, const struct config *cfg, char *err, size_t errlen);
void mirror_stop(void);
/* A new config snapshot was published (consent_stale_ms, policy class names may have changed). */
void mirror_on_reload(const struct config *cfg);
/* Hot path (engine_ctx.store_view): the stored record for the request's user (user.buyeruid, else user.id)
 * and whether the mirror can be trusted right now. Lock-free, no syscalls; called on a worker thread inside
 * its urcu-memb read-side section. */
void mirror_view(void *arg, const struct ortb_request *req, struct consent_store_view *view,
                 struct consent_stored *rec);
/* Hot path (engine_ctx.store_prefetch, called by the parser when the user object ends): starts loading the
 * table slot mirror_view will read for this user key, so its DRAM miss (~200-350 ns on a cold 10 M-record
 * table) overlaps the rest of the request's parse. A hint: no effect on any answer. No-op when disabled.
 * Same thread and read-side section as mirror_view; costs one XXH3-128 of the key (~10 ns) when enabled. */
void mirror_prefetch(void *arg, struct sv key);
bool mirror_enabled(void);
/* The first full load has completed (readiness). */
bool mirror_ready(void);
/* Trusted at least once since start: /readyz says not_ready before (later loss of trust is `degraded`). */
bool mirror_ever_trusted(void);
/* Short state name for /readyz and logs: "disabled", "loading", "synced", "stale", "resyncing", "full" (the
 * store holds more records than the mirror can: consent_mirror_max_records or memory; never trusted). */
const char *mirror_state(void);
/* Why the mirror is not trusted beyond its state, for /readyz: "" or a sentence (static text). Any thread. */
const char *mirror_reason(void);
/* Reads an HGETALL reply into rec (mirror_record rules), every field, whatever the reply's size: the one
 * reader of stored records, shared by the mirror and `fairbid consent get/digest` so they agree. A reply
 * that is not an array (WRONGTYPE, another error, nil) is a record not understood. Returns false for an
 * empty array (no hash: no record). Borrows r. */
bool mirror_reply_record(const struct redisReply *r, struct mirror_record *rec);
/* Appends the mirror's Prometheus metrics: records, bytes, trusted, state, link and last-sync ages, last load
 * duration, counters, and a digest of the contents (see `fairbid consent digest`). Any thread. */
void mirror_metrics(struct evbuffer *out);
/* Records in the mirror. Any thread. */
size_t mirror_size(void);
/* The mirror's record for a user key, as mirror_view would find it. Call inside an RCU read-side section
 * (or on the control thread). */
bool mirror_lookup(const char *user, size_t len, struct consent_stored *rec);

#endif
