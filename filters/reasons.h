/* reasons: the enum, names, classes and explanations of every decision outcome, generated from reasons.def.
 */
#ifndef FAIRBID_FILTERS_REASONS_H
#define FAIRBID_FILTERS_REASONS_H

#include <stdbool.h>

enum reason {
#define REASON(id, name, cls, text) REASON_##id,
#include "filters/reasons.def"
#undef REASON
    REASON__COUNT
};

/* What kind of outcome a reason is (the class column of reasons.def). The names ("consent", ...) are metric
 * labels: append, never rename. */
enum reason_class {
    REASON_CLASS_BID = 0, /* eligible: bid, or lost the auction to another campaign */
    REASON_CLASS_MATCH,   /* the campaign does not fit the request (format, segment, floor, blocked lists) */
    REASON_CLASS_CONSENT, /* a privacy signal refuses personal data */
    REASON_CLASS_MINOR,   /* the person is or may be a child */
    REASON_CLASS_SENSITIVE, /* a sensitive-category segment without an allowed consent */
    REASON_CLASS_EXPLOIT,   /* vulnerability targeting, high-risk ads to the vulnerable */
    REASON_CLASS_FAIRNESS,  /* fairness throttle, fairness or cap state, caps spent */
    REASON_CLASS_JURISDICTION,
    REASON_CLASS_POLITICAL,
    REASON_CLASS_INTERNAL, /* fairbid's own limits */
    REASON_CLASS__COUNT
};

/* Stable dotted name, e.g. "match.format". Never NULL. */
const char *reason_name(int r);
/* One-sentence explanation. Never NULL. */
const char *reason_text(int r);
/* The class of a reason; REASON_CLASS_INTERNAL for an out-of-range value. */
enum reason_class reason_class(int r);
/* "consent", "minor", ...: the label of the class. Never NULL. */
const char *reason_class_name(int cls);
/* Whether the audit trail keeps drops of this class: privacy (consent, minor, sensitive, exploit,
 * jurisdiction, political) and fairness (throttle, state, caps). */
bool reason_class_audited(int cls);

#endif
