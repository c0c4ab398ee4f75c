/* engine: one bid request in, one HTTP answer out: parse, decide, serialize. Shared by `serve` (per request
 * on a worker) and `decide` (offline), so what `decide` prints is what `serve` does. No I/O and no malloc:
 * everything lives in the caller's arena and output buffer. */
#ifndef FAIRBID_BIDDER_ENGINE_H
#define FAIRBID_BIDDER_ENGINE_H

#include <stdint.h>
#include "bidder/config.h"
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

/* body must live in (or outlive) the arena's request. Writes the response body (JSON) into out; for 204 out
 * is empty. */
void engine_bid(const struct config *cfg, const char *body, size_t len, struct arena *a, struct buf *out,
                struct engine_result *res);

/* Writes {"error": msg, "offset": N, "field": f} for a rejected request. */
void engine_write_error(struct buf *out, const char *msg, const char *field, long offset);

/* Current decide_env from the wall clock. */
void engine_env_now(struct decide_env *env);

#endif
