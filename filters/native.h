/* native: the OpenRTB Native 1.2 request inside imp.native.request, the match of a native creative against
 * it, and the Native 1.2 response a matched creative returns as its adm. Pure, no malloc: the request's
 * assets go into the request arena. Hostile input is bounded: at most NATIVE_MAX_REQUEST bytes,
 * ORTB_MAX_ASSETS assets, the JSON parser's depth limit; anything malformed leaves out->ok false with a
 * reason. */
#ifndef FAIRBID_FILTERS_NATIVE_H
#define FAIRBID_FILTERS_NATIVE_H

#include "filters/buf.h"
#include "filters/campaign.h"
#include "filters/ortb.h"

#define NATIVE_MAX_REQUEST 16384

/* Parses p[0..n) (the request, already unescaped) into *out; returns 0 or -1 (out->ok false, out->why set).
 */
int native_parse_request(const char *p, size_t n, struct arena *a, struct ortb_native *out);

/* REASON_BID when every required asset of rq can be filled by cr; else REASON_MATCH_NATIVE_ASSET (or
 * REASON_MATCH_NATIVE_REQUEST when rq could not be read), with *bad the index of the first unfillable asset.
 * map (may be NULL; rq->nassets entries) receives, per request asset, the creative asset that fills it:
 * 0 title, 1+i imgs[i], 1+nimgs+i data[i], -1 none. */
int native_match(const struct ortb_native *rq, const struct creative *cr, int16_t *map, uint32_t *bad);

/* Writes the Native 1.2 response JSON (not escaped) for cr filling rq into b. */
void native_write_response(struct buf *b, const struct ortb_native *rq, const struct creative *cr);

#endif
