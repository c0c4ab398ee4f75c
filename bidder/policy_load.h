/* policy_load: reads the policy file named by the config (`policy`, relative to the config file) and compiles
 * it into the dense tables filters/policy.h reads; checks the special-category rules on the campaigns. */
#ifndef FAIRBID_BIDDER_POLICY_LOAD_H
#define FAIRBID_BIDDER_POLICY_LOAD_H

#include <stddef.h>
#include "bidder/config.h"

/* Called by config_parse after the campaigns are read. Sets c->campaigns.policy (owned by c, freed by
 * policy_free_for_config). Returns 0, or -1 with an error naming the file, key and id in err. */
int policy_load_for_config(struct config *c, char *err, size_t errlen);
void policy_free_for_config(struct config *c);

#endif
