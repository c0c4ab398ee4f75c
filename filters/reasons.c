/* reasons: tables generated from reasons.def. */
#include "filters/reasons.h"

static const char *const names[] = {
#define REASON(id, name, cls, text) name,
#include "filters/reasons.def"
#undef REASON
};

static const char *const texts[] = {
#define REASON(id, name, cls, text) text,
#include "filters/reasons.def"
#undef REASON
};

static const unsigned char classes[] = {
#define REASON(id, name, cls, text) REASON_CLASS_##cls,
#include "filters/reasons.def"
#undef REASON
};

static const char *const class_names[REASON_CLASS__COUNT] = {
    [REASON_CLASS_BID] = "bid",
    [REASON_CLASS_MATCH] = "match",
    [REASON_CLASS_CONSENT] = "consent",
    [REASON_CLASS_MINOR] = "minor",
    [REASON_CLASS_SENSITIVE] = "sensitive",
    [REASON_CLASS_EXPLOIT] = "exploit",
    [REASON_CLASS_FAIRNESS] = "fairness",
    [REASON_CLASS_JURISDICTION] = "jurisdiction",
    [REASON_CLASS_POLITICAL] = "political",
    [REASON_CLASS_INTERNAL] = "internal",
};

const char *reason_name(int r)
{
    return (r >= 0 && r < REASON__COUNT) ? names[r] : "unknown";
}

const char *reason_text(int r)
{
    return (r >= 0 && r < REASON__COUNT) ? texts[r] : "unknown reason";
}

enum reason_class reason_class(int r)
{
    return (r >= 0 && r < REASON__COUNT) ? (enum reason_class)classes[r] : REASON_CLASS_INTERNAL;
}

const char *reason_class_name(int cls)
{
    return (cls >= 0 && cls < REASON_CLASS__COUNT) ? class_names[cls] : "unknown";
}

bool reason_class_audited(int cls)
{
    switch (cls) {
    case REASON_CLASS_CONSENT:
    case REASON_CLASS_MINOR:
    case REASON_CLASS_SENSITIVE:
    case REASON_CLASS_EXPLOIT:
    case REASON_CLASS_FAIRNESS:
    case REASON_CLASS_JURISDICTION:
    case REASON_CLASS_POLITICAL:
        return true;
    default:
        return false;
    }
}
