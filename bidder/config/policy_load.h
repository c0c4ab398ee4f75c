/* policy_load: compiles the config's sensitive-category policy (the built-in one by default, a file named by
 * `policy` relative to the config file, or none with "none") into the dense tables filters/policy.h reads;
 * checks the special-category rules on the campaigns whatever the source. */
#ifndef FAIRBID_BIDDER_POLICY_LOAD_H
#define FAIRBID_BIDDER_POLICY_LOAD_H

#include <stddef.h>
#include "bidder/config/config.h"

/* deploy/policy.json, compiled into the binary at build time (cmake/embed_policy.cmake): the policy of every
 * config without a `policy` key. NUL-terminated; the NUL is not counted in policy_builtin_len. */
extern const unsigned char policy_builtin_json[];
extern const size_t policy_builtin_len;

/* The load step after config_parse (config_load_policy): reads the policy file, if any. Sets
 * c->campaigns.policy (owned by c, freed by policy_free_for_config; NULL with "none"), c->policy_source and
 * c->policy_file. Returns 0, or -1 with an error naming the file, key and id in err. */
int policy_load_for_config(struct config *c, char *err, size_t errlen);
void policy_free_for_config(struct config *c);

#endif
