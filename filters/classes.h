/* classes: the policy classes (sensitive, vulnerability, high-risk ad categories) as an enum and bit masks,
 * generated from classes.def. A uint32_t mask holds one bit per class. */
#ifndef FAIRBID_FILTERS_CLASSES_H
#define FAIRBID_FILTERS_CLASSES_H

#include <stdint.h>

enum policy_class {
#define CLASS(id, name, kind) CLASS_##id,
#include "filters/classes.def"
#undef CLASS
    CLASS__COUNT
};

#define CLASS_BIT(c) (1u << (c))
extern const uint32_t class_mask_sensitive;     /* kind S */
extern const uint32_t class_mask_vulnerability; /* kind V */
extern const uint32_t class_mask_high_risk;     /* kind H */

const char *class_name(int c);
/* -1 when unknown. Names are matched exactly (lower case, as in classes.def). */
int class_by_name(const char *name, unsigned long len);

#endif
