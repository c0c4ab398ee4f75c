/* prom: see prom.h. */
#include "bidder/obs/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

static const char *const TYPE_NAME[] = {"counter", "gauge", "histogram"};

/* Appends s escaped: backslash and newline always, the double quote only when quote is set (label values;
 * HELP text keeps its quotes, as the format says). Unescaped runs go in one evbuffer_add. */
static void add_escaped(struct evbuffer *o, const char *s, int quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        if (*s == '\\')
            rep = "\\\\";
        else if (*s == '\n')
            rep = "\\n";
        else if (*s == '"' && quote)
            rep = "\\\"";
        if (!rep) continue;
        if (s > run) evbuffer_add(o, run, (size_t)(s - run));
        evbuffer_add(o, rep, 2);
        run = s + 1;
    }
    if (s > run) evbuffer_add(o, run, (size_t)(s - run));
}

size_t prom_escape_label(char *dst, size_t cap, const char *v)
{
    size_t n = 0;
    for (; *v; v++) {
        char e = *v == '\\' ? '\\' : *v == '\n' ? 'n' : *v == '"' ? '"' : 0;
        char two[2] = {e ? '\\' : *v, e};
        for (int k = 0; k < (e ? 2 : 1); k++, n++)
            if (n + 1 < cap) dst[n] = two[k];
    }
    if (cap) dst[n < cap ? n : cap - 1] = '\0';
    return n;
}

void prom_family(struct evbuffer *o, const char *name, enum prom_type type, const char *help)
{
    evbuffer_add_printf(o, "# HELP %s ", name);
    add_escaped(o, help ? help : "", 0);
    evbuffer_add_printf(o, "\n# TYPE %s %s\n", name, TYPE_NAME[type]);
}

static void put_name(struct evbuffer *o, const char *name, const struct prom_label *l, int nl)
{
    evbuffer_add(o, name, strlen(name));
    if (nl <= 0) return;
    evbuffer_add(o, "{", 1);
    for (int i = 0; i < nl; i++) {
        evbuffer_add_printf(o, "%s%s=\"", i ? "," : "", l[i].name);
        add_escaped(o, l[i].value ? l[i].value : "", 1);
        evbuffer_add(o, "\"", 1);
    }
    evbuffer_add(o, "}", 1);
}

void prom_u64(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, uint64_t v)
{
    put_name(o, name, l, nl);
    evbuffer_add_printf(o, " %" PRIu64 "\n", v);
}

void prom_i64(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, int64_t v)
{
    put_name(o, name, l, nl);
    evbuffer_add_printf(o, " %" PRId64 "\n", v);
}

void prom_double(struct evbuffer *o, const char *name, const struct prom_label *l, int nl, double v)
{
    put_name(o, name, l, nl);
    if (isnan(v))
        evbuffer_add(o, " NaN\n", 5);
    else if (isinf(v))
        evbuffer_add_printf(o, " %sInf\n", v > 0 ? "+" : "-");
    else
        evbuffer_add_printf(o, " %.15g\n", v);
}

void prom_one_u64(struct evbuffer *o, const char *name, enum prom_type type, const char *help, uint64_t v)
{
    prom_family(o, name, type, help);
    prom_u64(o, name, PROM_NOL, v);
}

void prom_one_double(struct evbuffer *o, const char *name, enum prom_type type, const char *help, double v)
{
    prom_family(o, name, type, help);
    prom_double(o, name, PROM_NOL, v);
}

void prom_hist_add(struct metrics_hist *acc, const struct metrics_hist *h)
{
    for (int b = 0; b <= METRICS_NBUCKETS; b++)
        atomic_store_explicit(&acc->b[b],
                              atomic_load_explicit(&acc->b[b], memory_order_relaxed) +
                                  atomic_load_explicit(&h->b[b], memory_order_relaxed),
                              memory_order_relaxed);
    atomic_store_explicit(&acc->sum_ns,
                          atomic_load_explicit(&acc->sum_ns, memory_order_relaxed) +
                              atomic_load_explicit(&h->sum_ns, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&acc->count,
                          atomic_load_explicit(&acc->count, memory_order_relaxed) +
                              atomic_load_explicit(&h->count, memory_order_relaxed),
                          memory_order_relaxed);
}

void prom_hist(struct evbuffer *o, const char *name, const char *help, const struct metrics_hist *h)
{
    prom_family(o, name, PROM_HISTOGRAM, help);
    uint64_t cum = 0;
    for (int b = 0; b <= METRICS_NBUCKETS; b++) {
        cum += atomic_load_explicit(&h->b[b], memory_order_relaxed);
        if (b < METRICS_NBUCKETS)
            evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, metrics_bucket_le[b], cum);
        else
            evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
    }
    /* the +Inf bucket must equal _count: use the bucket total, which a concurrent observe cannot make smaller
     */
    evbuffer_add_printf(o, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name,
                        (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9, name, cum);
}
