/* prom: the one Prometheus text-format (0.0.4) writer. Every family goes through prom_family, which always
 * writes HELP and TYPE; every sample goes through prom_u64/prom_i64/prom_double, which escape label values
 * (backslash, double quote, newline) so a campaign id or any other value from config or Redis cannot break
 * the scrape. Metric and label names are identifiers chosen in the code and are written as given.
 * The writers append to an evbuffer (the /metrics reply buffer of the worker that serves the scrape). */
#ifndef FAIRBID_BIDDER_OBS_PROM_H
#define FAIRBID_BIDDER_OBS_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "bidder/metrics.h"

struct evbuffer;

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

/* One label: name is an identifier from the code, value anything (escaped on output). */
struct prom_label {
    const char *name;
    const char *value;
};

/* PROM_L({"code", "200"}, {"class", c}) expands to a label array and its length, for the sample writers;
 * PROM_NOL is "no labels". */
#define PROM_L(...)                                                                                          \
    (const struct prom_label[]){__VA_ARGS__},                                                                \
        (int)(sizeof((const struct prom_label[]){__VA_ARGS__}) / sizeof(struct prom_label))
#define PROM_NOL NULL, 0

/* Family header: `# HELP name help` (help escaped: backslash, newline) and `# TYPE name type`. Write it once,
 * then all of the family's samples, before the next family (the format wants a family's lines together). */
void prom_family(struct evbuffer *o, const char *name, enum prom_type type, const char *help);

/* One sample line `name{l1="v1",...} value`. */
void prom_u64(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, uint64_t v);
void prom_i64(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, int64_t v);
/* Doubles are written with 15 significant digits; infinities as +Inf/-Inf, NaN as NaN. */
void prom_double(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, double v);

/* Family header plus a single unlabelled sample: the common case of a scalar counter or gauge. */
void prom_one_u64(struct evbuffer *o, const char *name, enum prom_type type, const char *help, uint64_t v);
void prom_one_double(struct evbuffer *o, const char *name, enum prom_type type, const char *help, double v);

/* Adds h's buckets, sum and count into acc (relaxed loads: h may be a worker's live histogram). */
void prom_hist_add(struct metrics_hist *acc, const struct metrics_hist *h);
/* A whole histogram family (header, cumulative _bucket lines with le, _sum in seconds, _count) from h,
 * usually the sum of the workers' histograms built with prom_hist_add. _count is the +Inf bucket, so the two
 * agree even when h is read while it is being written. */
void prom_hist(struct evbuffer *o, const char *name, const char *help, const struct metrics_hist *h);

/* Writes v escaped as a label value (without the quotes) into dst of cap bytes, always NUL-terminated;
 * returns the escaped length, which may exceed cap - 1 when truncated (snprintf-style). For tests and for
 * callers that build label values themselves. */
size_t prom_escape_label(char *dst, size_t cap, const char *v);

#endif
