/* media: does a video or audio creative fit what the imp's player accepts (imp.video / imp.audio)?
 * Cheap: a few integer compares and a MIME intersection; no allocation. Returns REASON_BID or the first
 * mismatch (match.video.* / match.audio.*), in the order a buyer would look: MIME, duration, protocol, size,
 * placement, linearity, skip, start delay. */
#ifndef FAIRBID_FILTERS_MEDIA_H
#define FAIRBID_FILTERS_MEDIA_H

#include "filters/campaign.h"
#include "filters/ortb.h"

int media_match_video(const struct ortb_av *v, const struct creative *cr);
int media_match_audio(const struct ortb_av *a, const struct creative *cr);

#endif
