/* juris_load: see juris_load.h. A bad row is refused, never skipped: a rule silently lost would widen what
 * fairbid does in that place. */
#include "bidder/config/juris_load.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config_internal.h"

#define JURIS_STR_MAX 160 /* law text kept per row */

struct row {
    struct juris_entry e;
    char code[JURIS_CODE_MAX];
    char law[JURIS_STR_MAX];
    char from[11];
};

struct jl {
    const char *file, *text;
    size_t len;
    char *err;
    size_t errlen;
};

static int rerr(struct jl *l, const struct json *j, unsigned idx, const char *key, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int rerr(struct jl *l, const struct json *j, unsigned idx, const char *key, const char *code,
                const char *fmt, ...)
{
    size_t off = j->err ? j->err_off : (size_t)(j->p - j->start);
    int n =
        snprintf(l->err, l->errlen, "%s:%d: key \"jurisdictions[%u]%s%s\": jurisdiction \"%s\": ", l->file,
                 cfg_line_in(l->text, l->len, off), idx, key[0] ? "." : "", key, code[0] ? code : "?");
    if (n >= 0 && (size_t)n < l->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static bool code_ok(struct sv c)
{
    if (sv_eq_cstr(c, "US") || sv_eq_cstr(c, "EU")) return true;
    return c.n == 5 && c.p[0] == 'U' && c.p[1] == 'S' && c.p[2] == '-' && c.p[3] >= 'A' && c.p[3] <= 'Z' &&
           c.p[4] >= 'A' && c.p[4] <= 'Z';
}

static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c) return c;
    return x->e.from_ms < y->e.from_ms ? -1 : x->e.from_ms > y->e.from_ms;
}

/* Reads one row's fields. The code is probed first so every message names the jurisdiction. */
static int rd_row(struct jl *l, struct json *j, unsigned idx, struct row *r)
{
    if (json_peek(j) != JSON_OBJECT) return rerr(l, j, idx, "", "", "must be an object");
    {
        struct json probe = *j;
        struct sv k, v;
        json_obj_begin(&probe);
        while (json_obj_next(&probe, &k)) {
            if (sv_eq_cstr(k, "jurisdiction") && json_peek(&probe) == JSON_STRING &&
                json_string(&probe, &v) == 0) {
                snprintf(r->code, sizeof r->code, "%.*s", (int)(v.n < 7 ? v.n : 7), v.p ? v.p : "");
                if (!code_ok(v))
                    return rerr(l, j, idx, "jurisdiction", r->code,
                                "must be \"US\", \"EU\" or \"US-XY\" (a US state code, upper case)");
                break;
            }
            if (json_skip(&probe)) break;
        }
        if (!r->code[0]) return rerr(l, j, idx, "jurisdiction", "", "is required");
    }
    bool have_from = false, have_law = false, have_source = false, have_pol = false;
    r->e.political_min_age = -1;
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        char key[40];
        snprintf(key, sizeof key, "%.*s", (int)(k.n < 39 ? k.n : 39), k.p);
        struct sv v = SV_NULL;
        int64_t n;
        bool b;
        if (sv_eq_cstr(k, "jurisdiction")) {
            if (json_skip(j)) break;
        } else if (sv_eq_cstr(k, "from")) {
            if (json_peek(j) != JSON_STRING || json_string(j, &v) || juris_parse_date(v) == INT32_MIN)
                return rerr(l, j, idx, key, r->code, "must be a date \"YYYY-MM-DD\" (UTC, 1970-2999)");
            r->e.from_ms = (int64_t)juris_parse_date(v) * 86400000;
            snprintf(r->from, sizeof r->from, "%.*s", SV_FMT(v));
            have_from = true;
        } else if (sv_eq_cstr(k, "law") || sv_eq_cstr(k, "source")) {
            if (json_peek(j) != JSON_STRING || json_string(j, &v) || v.n == 0)
                return rerr(l, j, idx, key, r->code, "must be a non-empty string");
            if (k.p[0] == 'l') {
                if (v.n >= JURIS_STR_MAX)
                    return rerr(l, j, idx, key, r->code, "longer than %d bytes", JURIS_STR_MAX - 1);
                snprintf(r->law, sizeof r->law, "%.*s", SV_FMT(v));
                have_law = true;
            } else {
                have_source = true; /* reviewers read it in the file; fairbid needs only that it is there */
            }
        } else if (sv_eq_cstr(k, "min_age") || sv_eq_cstr(k, "political_min_age")) {
            if (json_peek(j) != JSON_NUMBER || json_int(j, &n) || n < 0 || n > 99)
                return rerr(l, j, idx, key, r->code, "must be an integer 0..99");
            if (k.p[0] == 'm')
                r->e.min_age = (int16_t)n;
            else
                r->e.political_min_age = (int16_t)n;
        } else if (sv_eq_cstr(k, "sensitive_banned")) {
            if (json_peek(j) != JSON_TRUE && json_peek(j) != JSON_FALSE)
                return rerr(l, j, idx, key, r->code, "must be true or false");
            if (json_bool(j, &b)) return rerr(l, j, idx, key, r->code, "must be true or false");
            r->e.sensitive_banned = b;
        } else if (sv_eq_cstr(k, "precise_geo")) {
            if (json_peek(j) != JSON_STRING || json_string(j, &v) ||
                !(sv_eq_cstr(v, "allowed") || sv_eq_cstr(v, "consent") || sv_eq_cstr(v, "banned")))
                return rerr(l, j, idx, key, r->code, "must be \"allowed\", \"consent\" or \"banned\"");
            r->e.precise_geo = sv_eq_cstr(v, "banned")    ? JURIS_GEO_BANNED
                               : sv_eq_cstr(v, "consent") ? JURIS_GEO_CONSENT
                                                          : JURIS_GEO_ALLOWED;
        } else if (sv_eq_cstr(k, "political")) {
            if (json_peek(j) != JSON_STRING || json_string(j, &v) ||
                !(sv_eq_cstr(v, "none") || sv_eq_cstr(v, "eu_2024_900")))
                return rerr(l, j, idx, key, r->code, "must be \"none\" or \"eu_2024_900\"");
            r->e.political = sv_eq_cstr(v, "eu_2024_900") ? JURIS_POL_EU_TTPA : JURIS_POL_NONE;
            have_pol = true;
        } else if (sv_eq_cstr(k, "tag") || sv_eq_cstr(k, "notes")) {
            if (json_skip(j)) break;
        } else {
            return rerr(l, j, idx, key, r->code, "unknown key (a misspelt rule would be lost)");
        }
    }
    if (j->err) return rerr(l, j, idx, "", r->code, "%s", j->err_msg ? j->err_msg : "malformed JSON");
    if (!have_from) return rerr(l, j, idx, "from", r->code, "is required");
    if (!have_law) return rerr(l, j, idx, "law", r->code, "is required");
    if (!have_source) return rerr(l, j, idx, "source", r->code, "is required (a URL or citation)");
    if (!have_pol) return rerr(l, j, idx, "political", r->code, "is required (\"none\" or \"eu_2024_900\")");
    if (r->e.political == JURIS_POL_EU_TTPA && r->e.political_min_age < 0)
        return rerr(l, j, idx, "political_min_age", r->code, "is required with political \"eu_2024_900\"");
    if (r->e.political_min_age < 0) r->e.political_min_age = 0;
    return 0;
}

int juris_load(const char *file, const char *text, size_t len, struct json *j, struct juris_table **out,
               char *err, size_t errlen)
{
    struct jl l = {.file = file, .text = text, .len = len, .err = err, .errlen = errlen};
    *out = NULL;
    if (json_peek(j) != JSON_ARRAY) {
        snprintf(err, errlen, "%s:%d: key \"jurisdictions\": must be an array of rows", file,
                 cfg_line_in(text, len, (size_t)(j->p - j->start)));
        return -1;
    }
    struct row *rows = calloc(JURIS_MAX_ENTRIES, sizeof *rows);
    if (!rows) {
        snprintf(err, errlen, "%s: out of memory", file);
        return -1;
    }
    unsigned n = 0;
    int rc = 0;
    json_arr_begin(j);
    while (rc == 0 && json_arr_next(j)) {
        if (n >= JURIS_MAX_ENTRIES) {
            rc = rerr(&l, j, n, "", "", "more than %d rows", JURIS_MAX_ENTRIES);
            break;
        }
        rc = rd_row(&l, j, n, &rows[n]);
        n++;
    }
    if (rc == 0 && j->err) rc = rerr(&l, j, n, "", "", "%s", j->err_msg ? j->err_msg : "malformed JSON");
    struct juris_table *t = NULL;
    if (rc == 0) {
        qsort(rows, n, sizeof *rows, cmp_row);
        size_t sz = sizeof *t + (size_t)n * (sizeof(struct juris_entry) + JURIS_STR_MAX + 11) + 16;
        t = calloc(1, sz);
        if (!t) {
            snprintf(err, errlen, "%s: out of memory", file);
            rc = -1;
        }
    }
    if (rc == 0) {
        struct juris_entry *e = (struct juris_entry *)(t + 1);
        char *strs = (char *)(e + n);
        static _Atomic uint64_t next_id;
        t->e = e;
        t->n = n;
        t->id = atomic_fetch_add(&next_id, 1) + 1;
        t->us = t->eu = -1;
        for (unsigned i = 0; i < n && rc == 0; i++) {
            struct row *r = &rows[i];
            if (i && !strcmp(r->code, rows[i - 1].code) && r->e.from_ms == rows[i - 1].e.from_ms) {
                snprintf(err, errlen, "%s: key \"jurisdictions\": jurisdiction \"%s\": two rows from %s",
                         file, r->code, r->from);
                rc = -1;
                break;
            }
            int jx = juris_find(t, sv_from(r->code));
            if (jx < 0) {
                if (t->ncode >= JURIS_MAX) {
                    snprintf(err, errlen,
                             "%s: key \"jurisdictions\": jurisdiction \"%s\": more than %d "
                             "jurisdictions",
                             file, r->code, JURIS_MAX);
                    rc = -1;
                    break;
                }
                jx = (int)t->ncode++;
                memcpy(t->code[jx], r->code, JURIS_CODE_MAX);
                if (!strcmp(r->code, "US"))
                    t->us = (int8_t)jx;
                else if (!strcmp(r->code, "EU"))
                    t->eu = (int8_t)jx;
                else {
                    t->us_state[(r->code[3] - 'A') * 26 + (r->code[4] - 'A')] = (uint8_t)(jx + 1);
                    t->us_states |= 1ull << jx;
                }
            }
            e[i] = r->e;
            e[i].jidx = (uint8_t)jx;
            if (!t->count[jx]) t->first[jx] = (uint16_t)i;
            t->count[jx]++;
            size_t ll = strlen(r->law), fl = strlen(r->from);
            memcpy(strs, r->law, ll);
            e[i].law = (struct sv){strs, ll};
            strs += ll;
            memcpy(strs, r->from, fl);
            e[i].from = (struct sv){strs, fl};
            strs += fl;
        }
    }
    free(rows);
    if (rc) {
        free(t);
        return -1;
    }
    *out = t;
    return 0;
}
