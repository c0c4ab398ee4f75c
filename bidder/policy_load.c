/* policy_load: placeholder until the policy module lands: no policy compiled. */
#include "bidder/policy_load.h"

int policy_load_for_config(struct config *c, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    c->campaigns.policy = NULL;
    return 0;
}

void policy_free_for_config(struct config *c)
{
    (void)c;
}
