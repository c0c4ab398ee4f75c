/* classes: tables generated from classes.def. */
#include "filters/classes.h"

#include <string.h>

_Static_assert(CLASS__COUNT <= 32, "class masks are 32 bits");

static const char *const names[] = {
#define CLASS(id, name, kind) name,
#include "filters/classes.def"
#undef CLASS
};

/* kind tests for the X-macro: IS_<wanted>_<kind> */
#define IS_S_S 1
#define IS_S_V 0
#define IS_S_H 0
#define IS_V_S 0
#define IS_V_V 1
#define IS_V_H 0
#define IS_H_S 0
#define IS_H_V 0
#define IS_H_H 1

const uint32_t class_mask_sensitive = 0u
#define CLASS(id, name, kind) | (IS_S_##kind ? CLASS_BIT(CLASS_##id) : 0u)
#include "filters/classes.def"
#undef CLASS
    ;
const uint32_t class_mask_vulnerability = 0u
#define CLASS(id, name, kind) | (IS_V_##kind ? CLASS_BIT(CLASS_##id) : 0u)
#include "filters/classes.def"
#undef CLASS
    ;
const uint32_t class_mask_high_risk = 0u
#define CLASS(id, name, kind) | (IS_H_##kind ? CLASS_BIT(CLASS_##id) : 0u)
#include "filters/classes.def"
#undef CLASS
    ;

const char *class_name(int c)
{
    return (c >= 0 && c < CLASS__COUNT) ? names[c] : "unknown";
}

int class_by_name(const char *name, unsigned long len)
{
    for (int i = 0; i < CLASS__COUNT; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return i;
    return -1;
}
