/* fair: see fair.h. (The controller lands with the fairness module.) */
#include "filters/fair.h"

#include "filters/reasons.h"

int fair_check(const struct fair_view *fv, const struct campaign_set *cs, uint32_t campaign_index,
               const struct ortb_request *req, uint32_t draw, int64_t *price_micros, struct sv *arg,
               int64_t *num)
{
    (void)fv;
    (void)cs;
    (void)campaign_index;
    (void)req;
    (void)draw;
    (void)price_micros;
    (void)arg;
    (void)num;
    return REASON_BID;
}
