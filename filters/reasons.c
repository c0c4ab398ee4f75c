/* reasons: tables generated from reasons.def. */
#include "filters/reasons.h"

#include <string.h>

static const char *const names[] = {
#define REASON(id, name, text) name,
#include "filters/reasons.def"
#undef REASON
};

static const char *const texts[] = {
#define REASON(id, name, text) text,
#include "filters/reasons.def"
#undef REASON
};

const char *reason_name(int r)
{
    return (r >= 0 && r < REASON__COUNT) ? names[r] : "unknown";
}

const char *reason_text(int r)
{
    return (r >= 0 && r < REASON__COUNT) ? texts[r] : "unknown reason";
}

int reason_by_name(const char *name)
{
    for (int i = 0; i < REASON__COUNT; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}
