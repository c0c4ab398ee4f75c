/* engine: one bid request in, one HTTP answer out: parse, decide, serialize. Shared by `serve` (per request
 * on a worker) and `decide` (offline), so what `decide` prints is what `serve` does. No I/O and no malloc:
 * everything lives in the caller's arena and output buffer. */
#ifndef FAIRBID_BIDDER_ENGINE_H
#define FAIRBID_BIDDER_ENGINE_H

#include <stdint.h>
#include <time.h>
#include "bidder/config/config.h"
#include "filters/buf.h"
#include "filters/decide.h"
#include "filters/ortb.h"

struct engine_result {
    int status;              /* HTTP status: 200, 204, 400, 413, 500 */
    struct ortb_request req; /* valid when parsed */
    bool parsed;
    struct decide_result dec; /* valid when parsed and decided */
    bool decided;
    struct ortb_error perr;
    uint64_t decide_ns; /* parse + decide + serialize */
};

/* Hooks into the service's shared state, filled by the server (NULL members = not configured). All run on the
 * worker thread inside its RCU read-side section and must not block. */
struct engine_ctx {
    /* the consent store mirror's answer for this request's user (bidder/mirror.c) */
    void (*store_view)(void *arg, const struct ortb_request *req, struct consent_store_view *view,
                       struct consent_stored *rec);
    /* optional: told the user key (buyeruid, else id) mid-parse, as soon as the user object ends
     * (ortb_hooks.user_key), so the store can start loading the record that store_view reads after the parse
     * (bidder/mirror.c mirror_prefetch). A hint: it must not change what store_view answers. Gets store_arg.
     */
    void (*store_prefetch)(void *arg, struct sv key);
    void *store_arg;
    /* the fairness state to decide against (bidder/fairness/) */
    const struct fair_view *fair;
    /* called after the decision, to count eligibility, bids and drops (fairness windows, audit) */
    void (*after)(void *arg, const struct config *cfg, const struct engine_result *res);
    void *after_arg;
    /* when non-zero, the decision's wall clock in ms since the epoch instead of now (`fairbid decide --now`,
     * tests that pin the clock on both sides of a law's date) */
    int64_t now_ms;
};

/* body must live in (or outlive) the arena's request. Writes the response body (JSON) into out; for 204 out
 * is empty. ctx may be NULL (offline decide: no store, no fairness state). */
void engine_bid(const struct config *cfg, const struct engine_ctx *ctx, const char *body, size_t len,
                struct arena *a, struct buf *out, struct engine_result *res);

/* Writes {"error": msg, "offset": N, "field": f} for a rejected request. */
void engine_write_error(struct buf *out, const char *msg, const char *field, long offset);

/* Current decide_env from the wall clock. */
void engine_env_now(struct decide_env *env);

/* engine_env_now, or ctx->now_ms when ctx pins the clock; then, when ctx has a store, the stored consent for
 * req into view and rec (the caller's storage) and *store = view (left as it is without a store). ctx may be
 * NULL. Inline: it stands in the request path of engine_bid and engine_filter. */
static inline void engine_env_ctx(const struct engine_ctx *ctx, const struct ortb_request *req,
                                  struct decide_env *env, struct consent_store_view *view,
                                  struct consent_stored *rec, const struct consent_store_view **store)
{
    engine_env_now(env);
    if (ctx && ctx->now_ms) {
        struct tm tm;
        time_t t = (time_t)(ctx->now_ms / 1000);
        gmtime_r(&t, &tm);
        env->now_ms = ctx->now_ms;
        env->year = tm.tm_year + 1900;
    }
    if (ctx && ctx->store_view) {
        ctx->store_view(ctx->store_arg, req, view, rec);
        *store = view;
    }
}

#endif
