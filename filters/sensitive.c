/* sensitive: see sensitive.h. (Rules land with the policy module.) */
#include "filters/sensitive.h"

#include "filters/reasons.h"

int sensitive_check(const struct campaign_set *cs, const struct campaign *c, const struct ortb_request *req,
                    const struct consent_state *cst, struct sv *arg, int64_t *num)
{
    (void)cs;
    (void)c;
    (void)req;
    (void)cst;
    (void)arg;
    (void)num;
    return REASON_BID;
}
