/* engine_filter: the request side of filter mode for one upstream (issue 17), as `POST
 * /openrtb2/filter?upstream=ID` answers it and `fairbid filter` prints it: parse, consent once, jurisdiction,
 * then filters/scrub.h for the upstream, written as
 *   {"upstream": ID, "request": <the body that would be forwarded, or null>,
 *    "removed": [{"path": "user.buyeruid", "reason": "consent.tcf_purpose"}, ...],
 *    "reason": <why not forwarded, or why personal data was removed, or null>, "detail": ..., "tmax": N,
 *    "personal_data": bool, "precise_geo": bool}
 * The same code for both, like engine.c for bid and decide, so what the CLI prints is what the service does.
 * No I/O and no malloc: the caller's arena and output buffer. */
#ifndef FAIRBID_BIDDER_ENGINE_FILTER_H
#define FAIRBID_BIDDER_ENGINE_FILTER_H

#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "filters/buf.h"
#include "filters/scrub.h"

struct engine_filter_result {
    int status; /* 200, or 400 / 413 (request rejected, as /openrtb2/bid would), 500 (answer too large) */
    bool parsed;
    struct ortb_request req;
    struct scrub_result sr; /* valid when parsed */
    int32_t tmax;           /* what the upstream is told */
};

/* ctx may be NULL (offline: no consent store). Writes the answer (or {"error": ...}) into out. */
void engine_filter(const struct config *cfg, const struct engine_ctx *ctx, const struct upstream *up,
                   const char *body, size_t len, struct arena *a, struct buf *out,
                   struct engine_filter_result *res);

/* The answer's "removed" array for a result (also used by the audit of forwarded requests). */
void engine_filter_write_removed(struct buf *out, const struct scrub_result *sr);

#endif
