/* reasons: the enum, names and explanations of every decision outcome, generated from reasons.def. */
#ifndef FAIRBID_FILTERS_REASONS_H
#define FAIRBID_FILTERS_REASONS_H

enum reason {
#define REASON(id, name, text) REASON_##id,
#include "filters/reasons.def"
#undef REASON
    REASON__COUNT
};

/* Stable dotted name, e.g. "match.format". Never NULL. */
const char *reason_name(int r);
/* One-sentence explanation. Never NULL. */
const char *reason_text(int r);
/* Reverse lookup by dotted name; -1 if unknown. */
int reason_by_name(const char *name);

#endif
