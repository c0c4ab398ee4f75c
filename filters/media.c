/* media: video and audio matchers. See media.h. */
#include "filters/media.h"

#include "filters/reasons.h"

static bool mime_ok(const struct ortb_list *want, const struct ortb_list *have)
{
    /* mimes is required by OpenRTB: a player that names none cannot be known to play ours */
    for (uint32_t i = 0; i < want->n; i++)
        for (uint32_t k = 0; k < have->n; k++)
            if (sv_ieq(want->v[i], have->v[k])) return true;
    return false;
}

static bool duration_ok(const struct ortb_av *v, int32_t d)
{
    if (v->nrqddurs) { /* exact durations: minduration/maxduration must then be absent (2.6) */
        for (uint32_t i = 0; i < v->nrqddurs; i++)
            if (v->rqddurs[i] == d) return true;
        return false;
    }
    if (v->minduration != ORTB_UNSET && d < v->minduration) return false;
    if (v->maxduration != ORTB_UNSET && v->maxduration > 0 && d > v->maxduration) return false;
    return true;
}

static bool in_list(const int32_t *l, uint32_t n, int32_t x)
{
    for (uint32_t i = 0; i < n; i++)
        if (l[i] == x) return true;
    return false;
}

/* startdelay: 0 pre-roll, -1 generic mid-roll, -2 post-roll, > 0 mid-roll after that many seconds. */
static bool startdelay_ok(const struct ortb_av *v, const struct creative *cr)
{
    if (!cr->startdelay || v->startdelay == ORTB_UNSET) return true;
    int32_t s = v->startdelay > 0 ? -1 : v->startdelay;
    return in_list(cr->startdelay, cr->nstartdelay, s) ||
           in_list(cr->startdelay, cr->nstartdelay, v->startdelay);
}

int media_match_video(const struct ortb_av *v, const struct creative *cr)
{
    if (!mime_ok(&v->mimes, &cr->mimes)) return REASON_MATCH_VIDEO_MIME;
    if (!duration_ok(v, cr->duration_s)) return REASON_MATCH_VIDEO_DURATION;
    if (v->protocols && !(v->protocols & cr->protocols)) return REASON_MATCH_VIDEO_PROTOCOL;
    if (v->w != ORTB_UNSET && v->h != ORTB_UNSET && v->w > 0 && v->h > 0 && cr->w > 0 && cr->h > 0) {
        /* players scale video; what must fit is the shape: aspect ratios within 10% */
        double rp = (double)v->w / v->h, rc = (double)cr->w / cr->h;
        if (rc > rp * 1.1 || rc < rp / 1.1) return REASON_MATCH_VIDEO_SIZE;
    }
    if (cr->plcmt && v->plcmt != ORTB_UNSET && !in_list(cr->plcmt, cr->nplcmt, v->plcmt))
        return REASON_MATCH_VIDEO_PLACEMENT;
    if (cr->placement && v->placement != ORTB_UNSET && !in_list(cr->placement, cr->nplacement, v->placement))
        return REASON_MATCH_VIDEO_PLACEMENT;
    if (v->linearity != ORTB_UNSET && v->linearity != (cr->linearity ? cr->linearity : 1))
        return REASON_MATCH_VIDEO_LINEARITY;
    /* a skippable creative (a VAST skipoffset) needs a player that says it allows skipping */
    if (cr->skippable && v->skip != 1) return REASON_MATCH_VIDEO_SKIP;
    if (!startdelay_ok(v, cr)) return REASON_MATCH_VIDEO_STARTDELAY;
    return REASON_BID;
}

int media_match_audio(const struct ortb_av *a, const struct creative *cr)
{
    if (!mime_ok(&a->mimes, &cr->mimes)) return REASON_MATCH_AUDIO_MIME;
    if (!duration_ok(a, cr->duration_s)) return REASON_MATCH_AUDIO_DURATION;
    if (a->protocols && !(a->protocols & cr->protocols)) return REASON_MATCH_AUDIO_PROTOCOL;
    if (!startdelay_ok(a, cr)) return REASON_MATCH_AUDIO_STARTDELAY;
    return REASON_BID;
}
