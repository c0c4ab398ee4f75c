/* juris_load: compiles the policy file's "jurisdictions" array (docs/jurisdictions.md) into one malloc'd
 * juris_table block (filters/jurisdiction.h) with its own copies of the strings. Called by policy_load while
 * it reads the policy; off the hot path. */
#ifndef FAIRBID_BIDDER_JURIS_LOAD_H
#define FAIRBID_BIDDER_JURIS_LOAD_H

#include <stddef.h>
#include "filters/json.h"
#include "filters/jurisdiction.h"

/* j is at the array. On success returns 0 and *out (free() it). On error returns -1 with
 * "FILE:LINE: key \"jurisdictions[3].min_age\": jurisdiction \"US-MD\": ..." in err. */
int juris_load(const char *file, const char *text, size_t len, struct json *j, struct juris_table **out,
               char *err, size_t errlen);

#endif
