/* ortb: OpenRTB 2.6 request parser. See ortb.h.
 * One pass, driven by the JSON pull parser: each object's keys are matched against the few names we use and
 * everything else is skipped. null counts as absent everywhere (exchanges send it for "not set"). */
#include "filters/ortb.h"
#include "filters/native.h"

#include <string.h>

#define KEQ(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, (lit), sizeof(lit) - 1) == 0)

/* ortb_parse_ex sets every member by hand (json_init fills j): a new member needs its line there. Every
 * function here takes it as `struct pctx *restrict c`: while the parse runs the context (the parser in it
 * included) is reached through c alone, so a store into the request or the arena, which with
 * -fno-strict-aliasing might be a store into j, does not make the compiler load j->p, j->end and j->err
 * again. */
struct pctx {
    /* the parser itself, not a pointer to it: c->j->p is one load, never two (a pointer member is loaded
     * again after every store through a char pointer, memset and memcpy included) */
    struct json j[1];
    struct arena *a;
    struct ortb_error *err;
    const struct ortb_hooks *h; /* NULL: none */
    struct ortb_privacy *pv;    /* the request's privacy-field record (its seen: below) */
    uint64_t seen; /* pv->seen while the parse runs, stored there after it: one load less at each field */
    int code;      /* ortb-level error other than JSON syntax */
};

static int fail(struct pctx *restrict c, int code, const char *field, const char *msg)
{
    if (c->code == 0 && c->j->err == 0) {
        c->code = code;
        c->err->code = code;
        c->err->msg = msg;
        c->err->field = field;
        c->err->offset = (size_t)(c->j->p - c->j->start);
    }
    /* stop the JSON walk too, so callers unwind at once */
    json_fail(c->j, JSON_ETYPE, msg);
    c->j->err_path = field;
    return -1;
}

/* A byte to look at right at j->p, and no error: what json.h's fast paths test, in one compare far from the
 * end (p <= far: JSON_FAR_ bytes or more to go, and no error, as json_fail zeroes far), else the two tests.
 */
static inline __attribute__((always_inline)) bool byte_here(const struct json *j)
{
    return (uintptr_t)j->p <= j->far || (!j->err && j->p < j->end);
}

/* json_obj_next into a key of the caller's that never has its address taken: json_obj_next's general path
 * writes its key through a pointer, so that key lives in memory, and a reader matching it against its names
 * would load it back at every compare; here only t does, and the caller's key stays in registers. */
static inline __attribute__((always_inline)) bool next_key(struct pctx *restrict c, struct sv *k)
{
    struct sv t;
    if (!json_obj_next(c->j, &t)) return false;
    *k = t;
    return true;
}

/* The deepest the readers nest: root, user, ext, data[], a data object, segment[] and a segment
 * (user.ext.data's segments), or root, imp[], an imp, pmp, deals[], a deal and its wseat[] */
#define ORTB_READ_DEPTH 7
_Static_assert(ORTB_READ_DEPTH < JSON_MAX_DEPTH, "open_here enters without testing the room to nest");

/* The bracket b ('{' or '[') right here, the usual case: entered, as json_peek and json_obj_begin /
 * json_arr_begin would, in one look at the byte (no peek table, no second test of the position). Anything
 * else (a blank before it, null, another type, no room to nest, an error) returns false with nothing
 * consumed, and the caller goes its general way from the same place. */
static inline __attribute__((always_inline)) bool open_here(struct pctx *restrict c, char b)
{
    struct json *j = c->j;
    const char *p = j->p;
    /* no test of the room to nest: the readers follow the request's schema, which nests at most
     * ORTB_READ_DEPTH deep, so j->depth < JSON_MAX_DEPTH whenever they enter (what they skip, json_skip
     * checks) */
    if (byte_here(j) && *p == b) {
        j->depth++;
        j->p = p + 1;
        return true;
    }
    return false;
}

/* int_more_[c]: 1 when c after the digits of an integer makes it no plain integer of those digits (another
 * digit, a fraction, an exponent): one load and one test for int9_here instead of a compare per case */
static const unsigned char int_more_[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
};

/* A plain non-negative integer of up to 9 digits right here, far from the end: *v and j->p past it, as
 * json_int reads it (and no range test is needed: it is below INT32_MAX), with no bounds test per byte (the
 * last byte read is p[9]). Anything else (a blank, a sign, a zero before a digit, a tenth digit, a fraction
 * or an exponent, the last bytes of the body, an error) returns false with nothing consumed: the general way.
 */
static inline __attribute__((always_inline)) bool int9_here(struct json *j, int32_t *v)
{
    const char *p = j->p;
    if ((uintptr_t)p > j->far && (j->err || j->end - p < 10)) return false; /* far: 48 bytes and no error */
    const unsigned char *u = (const unsigned char *)p;
    unsigned d = (unsigned)u[0] - '0';
    if (d > 9) return false;
    uint32_t x = d;
    size_t n;        /* digits read */
    unsigned char e; /* the byte after them, as each exit has loaded it */
    /* Unrolled by hand (GCC's pragma does not take this loop): each digit at a constant offset and no bound
     * to test */
#define INT9_DIGIT(i)                                                                                        \
    do {                                                                                                     \
        if ((d = (unsigned)(e = u[i]) - '0') > 9) {                                                          \
            n = i;                                                                                           \
            goto digits_end;                                                                                 \
        }                                                                                                    \
        x = x * 10 + d;                                                                                      \
    } while (0)
    if (!d) { /* "0" is a whole number: a digit after it is the general way's syntax error (int_more_) */
        n = 1;
        e = u[1];
    } else {
        INT9_DIGIT(1);
        INT9_DIGIT(2);
        INT9_DIGIT(3);
        INT9_DIGIT(4);
        INT9_DIGIT(5);
        INT9_DIGIT(6);
        INT9_DIGIT(7);
        INT9_DIGIT(8);
        n = 9; /* and a tenth digit is for the general way (int_more_) */
        e = u[9];
    }
#undef INT9_DIGIT
digits_end:
    if (int_more_[e]) return false;
    j->p = p + n;
    *v = (int32_t)x;
    return true;
}

/* json_peek(c->j) != JSON_NULL, for the repeat checks before a container's reader: an open bracket right
 * here is answered without the peek (which would neither move past a blank nor record anything for it) */
static inline __attribute__((always_inline)) bool peek_not_null(struct pctx *restrict c)
{
    struct json *j = c->j;
    const char *p = j->p;
    if (byte_here(j) && (*p == '[' || *p == '{')) return true;
    return json_peek(j) != JSON_NULL;
}

/* Type-checked readers. A JSON error inside names the field; a type mismatch is an ORTB_EINVALID error. */
static inline __attribute__((always_inline)) bool is_null(struct pctx *restrict c)
{
    if (json_peek(c->j) == JSON_NULL) {
        json_null(c->j);
        return true;
    }
    return false;
}

static inline __attribute__((always_inline)) int rd_str(struct pctx *restrict c, struct sv *out,
                                                        const char *field)
{
    /* a string right here, the usual case: what json_peek would say, without its table */
    struct json *j = c->j;
    enum json_type t = byte_here(j) && *j->p == '"' ? JSON_STRING : json_peek(j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_STRING) return fail(c, ORTB_EINVALID, field, "expected a string");
    if (json_string(c->j, out)) {
        c->j->err_path = field;
        return -1;
    }
    if (!out->p) out->p = ""; /* present but empty stays distinguishable from absent */
    return 0;
}

static inline __attribute__((always_inline)) int rd_i32(struct pctx *restrict c, int32_t *out,
                                                        const char *field)
{
    struct json *j = c->j;
    if (int9_here(j, out)) return 0;
    /* a digit right here, the usual case: what json_peek would say, without its table */
    enum json_type t = byte_here(j) && (unsigned)(unsigned char)*j->p - '0' <= 9 ? JSON_NUMBER : json_peek(j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_NUMBER) return fail(c, ORTB_EINVALID, field, "expected an integer");
    int64_t v;
    if (json_int(c->j, &v)) {
        c->j->err_path = field;
        return -1;
    }
    if (v < INT32_MIN + 1 || v > INT32_MAX) return fail(c, ORTB_EINVALID, field, "integer out of range");
    *out = (int32_t)v;
    return 0;
}

/* A plain decimal right here, far from the end (and so no error): an optional '-', up to 9 digits (no zero
 * before a digit), and optionally '.' and 1 to 6 digits, then a byte that continues no number (int_more_):
 * *v and j->p past it, true. The value is m / 10^k for the digits m (below 10^15, so exact as a double) and
 * k of them after the point: one correctly rounded division of two exact doubles, so the correctly rounded
 * value of the decimal, which json_double gives too (its fast path computes the same quotient). Anything else
 * (more digits, an exponent, a blank, the last bytes of the body) returns false with nothing consumed. The
 * last byte read is p[17]. */
static inline __attribute__((always_inline)) bool dbl_here(struct json *j, double *v)
{
    static const double pow10_[7] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
    const char *p = j->p;
    if ((uintptr_t)p > j->far) return false;
    const unsigned char *u = (const unsigned char *)p;
    size_t i = *u == '-';
    unsigned d = (unsigned)u[i] - '0';
    if (d > 9) return false;
    uint64_t m = d;
    size_t i0 = i++;
    if (d) /* "0" is a whole number: a digit after it is the general way's syntax error (int_more_) */
        while (i - i0 < 9 && (d = (unsigned)u[i] - '0') <= 9) {
            m = m * 10 + d;
            i++;
        }
    size_t k = 0;
    if (u[i] == '.') {
        size_t f0 = ++i;
        while (i - f0 < 6 && (d = (unsigned)u[i] - '0') <= 9) {
            m = m * 10 + d;
            i++;
        }
        k = i - f0;
        if (!k) return false; /* "1." */
    }
    if (int_more_[u[i]]) return false;
    double x = (double)m / pow10_[k];
    *v = *u == '-' ? -x : x;
    j->p = p + i;
    return true;
}

static int rd_double(struct pctx *restrict c, double *out, bool *present, const char *field)
{
    if (dbl_here(c->j, out)) { /* the usual price or coordinate: what json_double makes of it */
        if (present) *present = true;
        return 0;
    }
    /* a digit right here, the usual case: what json_peek would say, without its table */
    struct json *j = c->j;
    enum json_type t = byte_here(j) && (unsigned)(unsigned char)*j->p - '0' <= 9 ? JSON_NUMBER : json_peek(j);
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t == JSON_NONE) return -1;
    if (t != JSON_NUMBER) return fail(c, ORTB_EINVALID, field, "expected a number");
    if (json_double(c->j, out)) {
        c->j->err_path = field;
        return -1;
    }
    if (present) *present = true;
    return 0;
}

/* What a second copy of a list key means. A list that blocks (bcat, badv, bapp) given twice blocks what
 * either copy blocks: the copies are joined, so a second copy can never lift a block ("bcat":[...],"bcat":[]
 * used to keep only the empty one). A list that allows (cur, deal wseat / wadomain; empty = no limit) given
 * twice allows only what both copies allow; when nothing is left, an entry "" that matches no currency, seat
 * or domain stands for "nothing"; the player's mimes are such a list too. Context categories (site/app cat,
 * sectioncat, pagecat, content.cat) are joined like a block: the context is every category any copy names.
 * No list keeps only its last copy. */
enum { LIST_BLOCK = 1, LIST_ALLOW };

/* Array of strings. Non-string elements are a type error. */
static inline __attribute__((always_inline)) int rd_list_body(struct pctx *restrict c, struct ortb_list *out,
                                                              const char *field, int kind)
{
    enum json_type t;
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        t = json_peek(c->j);
        if (t == JSON_NONE) return -1;
        if (t != JSON_ARRAY) return fail(c, ORTB_EINVALID, field, "expected an array of strings");
        if (!json_arr_begin(c->j)) return -1;
    }
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    if (kind == LIST_BLOCK && out->n) { /* joined: the pushes copy the first list on growing */
        v.items = out->v;
        v.n = v.cap = out->n;
    }
#ifdef __SSE2__
    /* Far from the end, the usual shapes (compact, or pretty with one blank or a line break and indent) of
     * a list of plain strings, element by element; j->p moves only past a whole element or the ']', so at
     * anything else (a number, an escape, another blank, an error) the loop below goes on from right after
     * the '[' or the last element, as if it had read them itself. The pushes are its pushes. */
    {
        struct json *j = c->j;
        const char *p = j->p, *end = j->end;
        bool first = true;
        while ((uintptr_t)p <= j->far) { /* end - p >= JSON_FAR_ (and no error: see byte_here) */
            const char *e = json_blank_far_(p);
            if (!e) break;
            if (*e == ']') {
                j->p = e + 1;
                j->depth--;
                goto closed;
            }
            if (!first) {
                if (*e != ',' || !(e = json_blank_far_(e + 1))) break;
            }
            if (*e != '"') break;
            /* its closing quote: a string of up to 15 bytes is one 16-byte compare where 16 bytes follow */
            const char *q = json_str_close_(e + 1, end, end - (e + 1) >= 16);
            if (!q) break;
            struct sv *slot = arena_vec_push(c->a, &v, sizeof(struct sv), _Alignof(struct sv));
            if (!slot) {
                j->p = e; /* where the loop below would be at the push */
                if (v.n >= v.max) return fail(c, ORTB_ELIMIT, field, "too many entries (limit 1024)");
                return fail(c, ORTB_ENOMEM, field, "request too large for request memory");
            }
            slot->p = e + 1;
            slot->n = (size_t)(q - (e + 1));
            j->p = p = q + 1;
            first = false;
        }
    }
#endif
    while (json_arr_next(c->j)) {
        struct sv *slot = arena_vec_push(c->a, &v, sizeof(struct sv), _Alignof(struct sv));
        if (!slot) {
            if (v.n >= v.max) return fail(c, ORTB_ELIMIT, field, "too many entries (limit 1024)");
            return fail(c, ORTB_ENOMEM, field, "request too large for request memory");
        }
        t = json_peek(c->j); /* one peek per element: a second would find the same */
        if (t == JSON_NUMBER) {
            /* category and segment ids are strings, but some exchanges send numbers: keep the token text */
            const char *s = c->j->p;
            if (json_skip(c->j)) return -1;
            slot->p = s;
            slot->n = (size_t)(c->j->p - s);
            continue;
        }
        if (t != JSON_STRING) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EINVALID, field, "expected an array of strings");
        }
        if (json_string(c->j, slot)) return -1;
        if (!slot->p) slot->p = "";
    }
    if (c->j->err) return -1;
#ifdef __SSE2__
closed:
#endif
    if (kind == LIST_ALLOW && out->n && v.n) { /* allowed by both copies */
        struct sv *w = v.items;
        uint32_t n = 0;
        for (uint32_t i = 0; i < v.n; i++)
            for (uint32_t q = 0; q < out->n; q++)
                if (sv_ieq(w[i], out->v[q])) {
                    w[n++] = w[i];
                    break;
                }
        if (!n) w[n++] = SV_LIT("");
        v.n = n;
    } else if (kind == LIST_ALLOW && out->n) {
        return 0; /* an empty second copy lifts no limit of the first */
    }
    out->v = v.items;
    out->n = v.n;
    return 0;
}

/* One copy per kind: the kind is a constant in each, not an argument kept and tested at run time. */
static int rd_list_block(struct pctx *restrict c, struct ortb_list *out, const char *field)
{
    return rd_list_body(c, out, field, LIST_BLOCK);
}

static int rd_list_allow(struct pctx *restrict c, struct ortb_list *out, const char *field)
{
    return rd_list_body(c, out, field, LIST_ALLOW);
}

static inline __attribute__((always_inline)) int rd_list_as(struct pctx *restrict c, struct ortb_list *out,
                                                            const char *field, int kind)
{
    return kind == LIST_BLOCK ? rd_list_block(c, out, field) : rd_list_allow(c, out, field);
}

/* A string that names one thing (an id, a currency): a second copy with another value has no safe reading
 * (which imp, which deal, which currency is the floor in?), so the request is refused, naming the field. The
 * same value again is harmless. ci: compare case-insensitively (currency codes). */
static inline __attribute__((always_inline)) int rd_str_one(struct pctx *restrict c, struct sv *out,
                                                            const char *field, bool ci)
{
    struct sv prev = *out, v = SV_NULL;
    if (rd_str(c, &v, field)) return -1;
    if (!v.p) return 0; /* null: absent, the first copy stands */
    if (prev.p && !(ci ? sv_ieq(prev, v) : sv_eq(prev, v)))
        return fail(c, ORTB_EINVALID, field, "given twice with different values");
    *out = v;
    return 0;
}

/* A floor given twice: the higher one, so a second copy can never lower it. */
static int rd_floor(struct pctx *restrict c, double *out, bool *seen, const char *field)
{
    double v = 0;
    bool got = false;
    if (rd_double(c, &v, &got, field)) return -1;
    if (!got) return 0;
    /* a negative copy sticks: the floor is refused after the object, whichever copy it was */
    if (!(*seen && *out < 0) && (v < 0 || !*seen || v > *out)) *out = v;
    *seen = true;
    return 0;
}

/* ---- privacy fields: one table, one reader ----
 * Every privacy-relevant field goes through pf_begin and one of the typed readers below, never rd_i32 or
 * rd_str: a bad value is recorded (ortb_privacy), never fatal, and never quietly replaced by a second copy.
 * Which copy of a repeated key an exchange meant is unknowable, and "last wins" (or "largest wins") would let
 * a second value undo the first, so a repeat is bad whatever the values. */

enum { PT_INT, PT_INTSTR, PT_STR, PT_OBJ, PT_SIDS }; /* PT_INTSTR: an integer, or a one-digit string */

#define PF(path, type, cls, min, max)                                                                        \
    {                                                                                                        \
        path, type, cls, min, max,                                                                           \
        {                                                                                                    \
            path, path ": duplicate key", path ": wrong type", path ": out of range",                        \
                path ": key spelled in another case"                                                         \
        }                                                                                                    \
    }

const struct ortb_pf_def ortb_pf[ORTB_PF_N] = {
    [ORTB_PF_REGS] = PF("regs", PT_OBJ, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_USER] = PF("user", PT_OBJ, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_GDPR] = PF("regs.gdpr", PT_INT, ORTB_PFC_ALL, 0, 1),
    [ORTB_PF_REGS_EXT] = PF("regs.ext", PT_OBJ, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_EXT_GDPR] = PF("regs.ext.gdpr", PT_INT, ORTB_PFC_ALL, 0, 1),
    [ORTB_PF_CONSENT] = PF("user.consent", PT_STR, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_USER_EXT] = PF("user.ext", PT_OBJ, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_EXT_CONSENT] = PF("user.ext.consent", PT_STR, ORTB_PFC_ALL, 0, 0),
    [ORTB_PF_GPP_SID] = PF("regs.gpp_sid", PT_SIDS, ORTB_PFC_ALL, 0, 0xFFFF),
    [ORTB_PF_EXT_GPP_SID] = PF("regs.ext.gpp_sid", PT_SIDS, ORTB_PFC_ALL, 0, 0xFFFF),
    [ORTB_PF_COPPA] = PF("regs.coppa", PT_INT, ORTB_PFC_COPPA, 0, 1),
    [ORTB_PF_EXT_COPPA] = PF("regs.ext.coppa", PT_INT, ORTB_PFC_COPPA, 0, 1),
    [ORTB_PF_YOB] = PF("user.yob", PT_INT, ORTB_PFC_AGE, 1901, 9999),
    [ORTB_PF_US_PRIVACY] = PF("regs.us_privacy", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_EXT_US_PRIVACY] = PF("regs.ext.us_privacy", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GPP] = PF("regs.gpp", PT_STR, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_EXT_GPP] = PF("regs.ext.gpp", PT_STR, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_USER_DATA] = PF("user.data", PT_OBJ, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_DATA_EXT] = PF("user.data.ext", PT_OBJ, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_SEGMENT] = PF("user.data.segment", PT_OBJ, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_SEGTAX] = PF("user.data.ext.segtax", PT_INT, ORTB_PFC_HIDDEN, 1, 0xFFFF),
    [ORTB_PF_GPC] = PF("regs.ext.gpc", PT_INTSTR, ORTB_PFC_PERSONAL, 0, 1),
    [ORTB_PF_DSA] = PF("regs.ext.dsa", PT_OBJ, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_LMT] = PF("device.lmt", PT_INT, ORTB_PFC_PERSONAL, 0, 1),
    [ORTB_PF_DNT] = PF("device.dnt", PT_INT, ORTB_PFC_PERSONAL, 0, 1),
    [ORTB_PF_DEVICE] = PF("device", PT_OBJ, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GEO] = PF("device.geo", PT_OBJ, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GEO_COUNTRY] = PF("device.geo.country", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GEO_REGION] = PF("device.geo.region", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GEO_LAT] = PF("device.geo.lat", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GEO_LON] = PF("device.geo.lon", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_USER_DUP] = PF("user", PT_OBJ, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_GENDER] = PF("user.gender", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_UGEO] = PF("user.geo", PT_OBJ, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_UGEO_COUNTRY] = PF("user.geo.country", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_UGEO_REGION] = PF("user.geo.region", PT_STR, ORTB_PFC_PERSONAL, 0, 0),
    [ORTB_PF_USER_ID] = PF("user.id", PT_STR, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_BUYERUID] = PF("user.buyeruid", PT_STR, ORTB_PFC_HIDDEN, 0, 0),
    [ORTB_PF_USER_EXT_DATA] = PF("user.ext.data", PT_OBJ, ORTB_PFC_HIDDEN, 0, 0),
};
_Static_assert(ORTB_PF_N <= 64, "ortb_privacy's masks are 64 bits");

static void pf_bad(struct pctx *restrict c, enum ortb_pf f, enum ortb_pf_why why)
{
    uint64_t bit = 1ull << f;
    if (!(c->pv->bad & bit)) {
        c->pv->bad |= bit;
        c->pv->why[f] = (uint8_t)why;
    }
}

/* A key that did not match exactly but folds (sv_kfold: another case, U+017F, U+212A) to a privacy key of its
 * object: a case-folding decoder (an exchange's, a downstream bidder's) reads it as that field, fairbid does
 * not, so what it says is unknowable here and the field is bad (ORTB_PFW_CASE), as a second copy would be.
 * Called only for the keys an object's matcher skips, against that object's privacy keys. */
struct pf_key {
    const char *name;
    enum ortb_pf f;
};
/* pf_variant's arguments for the keys of object t: its table pfk_t, their number, and pfl_t, the lengths a
 * key folding to one of them can have (PF_LENS), so that a skipped key of any other length is told apart by
 * one test, and no fold is tried on it */
#define PF_KEYS(t) pfk_##t, sizeof pfk_##t / sizeof pfk_##t[0], pfl_##t

/* Eight bytes with none >= 0x80 and none in 'A'..'Z' (each byte below 0x80, so no carry crosses a byte). */
static inline bool plain8(uint64_t x)
{
    const uint64_t hi = 0x8080808080808080u;
    return !(x & hi) && !((x + 0x3f3f3f3f3f3f3f3fu) & ~(x + 0x2525252525252525u) & hi);
}

static void pf_variant_gen(struct pctx *restrict c, struct sv k, const struct pf_key *t, size_t n);

/* Inline: the usual skipped key, of a length no fold of the object's privacy keys has (lens, PF_LENS), or
 * short, plain and in the body, is told apart right at the matcher (no call); anything else goes to
 * pf_variant_gen, which tests it again from the start. */
static inline __attribute__((always_inline)) void pf_variant(struct pctx *restrict c, struct sv k,
                                                             const struct pf_key *t, size_t n, uint64_t lens)
{
    if (k.n >= 64 || !(lens >> k.n & 1)) return; /* PF_LENS: no fold of a privacy key is 64 bytes long */
    if (k.n < 8 && (uintptr_t)k.p >= (uintptr_t)c->j->start && (uintptr_t)k.p + 8 <= (uintptr_t)c->j->end) {
        uint64_t x;
        memcpy(&x, k.p, 8);
        x &= (1ull << (8 * k.n)) - 1;
        if (plain8(x)) return;
    }
    pf_variant_gen(c, k, t, n);
}

static void pf_variant_gen(struct pctx *restrict c, struct sv k, const struct pf_key *t, size_t n)
{
    /* A key of lower-case ASCII only is its own fold (sv_kfold folds A-Z and two non-ASCII letters), and the
     * matcher that skipped it compared it exactly with every privacy key here: it can match none. Most
     * skipped keys are such (ua, name, tagid), so this test is all they pay. */
    uint64_t x;
    if (k.n >= 8) { /* eight bytes at a time: none >= 0x80, none in 'A'..'Z'; the last eight overlap */
        size_t j = 0;
        for (; j + 8 <= k.n; j += 8) {
            memcpy(&x, k.p + j, 8);
            if (!plain8(x)) goto fold;
        }
        memcpy(&x, k.p + k.n - 8, 8);
        if (plain8(x)) return;
    } else if ((uintptr_t)k.p >= (uintptr_t)c->j->start && (uintptr_t)k.p + 8 <= (uintptr_t)c->j->end) {
        /* a short key in the body: eight bytes read, the key's kept (a key is never read past the body) */
        memcpy(&x, k.p, 8);
        x &= (1ull << (8 * k.n)) - 1;
        if (plain8(x)) return;
    } else {
        size_t j = 0;
        while (j < k.n && (unsigned char)(k.p[j] - 'A') >= 26u && (unsigned char)k.p[j] < 0x80) j++;
        if (j == k.n) return;
    }
fold:
    for (size_t i = 0; i < n; i++)
        if (sv_kfold(k, t[i].name)) {
            pf_bad(c, t[i].f, ORTB_PFW_CASE);
            return;
        }
}

/* The lengths (bit n: n bytes) a key folding to lit by sv_kfold can have: each letter of lit is one byte of
 * the key, or two for an 's' (U+017F), or three for a 'k' (U+212A). lit has at most 12 letters (PFK_ENTRY
 * asserts it), so a fold has at most 36 bytes. */
#define PF_CH(s, i)                                                                                          \
    ((s)[(i) < sizeof(s) ? (i) : sizeof(s) - 1]) /* past the end: the NUL (no index past it) */
#define PF_XB(s, i) ((PF_CH(s, i) == 's') + 2 * (PF_CH(s, i) == 'k'))
#define PF_LENS(s)                                                                                           \
    (((2ull << (PF_XB(s, 0) + PF_XB(s, 1) + PF_XB(s, 2) + PF_XB(s, 3) + PF_XB(s, 4) + PF_XB(s, 5) +          \
                PF_XB(s, 6) + PF_XB(s, 7) + PF_XB(s, 8) + PF_XB(s, 9) + PF_XB(s, 10) + PF_XB(s, 11))) -      \
      1)                                                                                                     \
     << (sizeof(s) - 1))
/* Each object's privacy keys, listed once: its table pfk_t and its lengths pfl_t come from the same list. */
#define PFK_ENTRY(name, f) {name, f},
#define PFK_LEN(name, f) | PF_LENS(name)
#define PFK_CHECK(name, f) _Static_assert(sizeof(name) <= 13, "PF_LENS reads 12 letters: " name);
#define PFK_TABLE(t, LIST)                                                                                   \
    LIST(PFK_CHECK)                                                                                          \
    static const struct pf_key pfk_##t[] = {LIST(PFK_ENTRY)};                                                \
    static const uint64_t pfl_##t = 0 LIST(PFK_LEN);

#define PFK_ROOT(X) X("regs", ORTB_PF_REGS) X("user", ORTB_PF_USER) X("device", ORTB_PF_DEVICE)
#define PFK_REGS(X)                                                                                          \
    X("coppa", ORTB_PF_COPPA)                                                                                \
    X("gdpr", ORTB_PF_GDPR)                                                                                  \
    X("us_privacy", ORTB_PF_US_PRIVACY)                                                                      \
    X("gpp", ORTB_PF_GPP) X("gpp_sid", ORTB_PF_GPP_SID) X("ext", ORTB_PF_REGS_EXT)
#define PFK_REGS_EXT(X)                                                                                      \
    X("gdpr", ORTB_PF_EXT_GDPR)                                                                              \
    X("coppa", ORTB_PF_EXT_COPPA)                                                                            \
    X("us_privacy", ORTB_PF_EXT_US_PRIVACY)                                                                  \
    X("gpc", ORTB_PF_GPC) X("gpp", ORTB_PF_EXT_GPP) X("gpp_sid", ORTB_PF_EXT_GPP_SID) X("dsa", ORTB_PF_DSA)
#define PFK_USER(X)                                                                                          \
    X("id", ORTB_PF_USER_ID)                                                                                 \
    X("buyeruid", ORTB_PF_BUYERUID)                                                                          \
    X("yob", ORTB_PF_YOB)                                                                                    \
    X("gender", ORTB_PF_GENDER)                                                                              \
    X("geo", ORTB_PF_UGEO)                                                                                   \
    X("consent", ORTB_PF_CONSENT) X("data", ORTB_PF_USER_DATA) X("ext", ORTB_PF_USER_EXT)
#define PFK_USER_EXT(X) X("consent", ORTB_PF_EXT_CONSENT)
#define PFK_DEVICE(X) X("lmt", ORTB_PF_LMT) X("dnt", ORTB_PF_DNT) X("geo", ORTB_PF_GEO)
#define PFK_GEO(X)                                                                                           \
    X("country", ORTB_PF_GEO_COUNTRY)                                                                        \
    X("region", ORTB_PF_GEO_REGION) X("lat", ORTB_PF_GEO_LAT) X("lon", ORTB_PF_GEO_LON)
#define PFK_UGEO(X) X("country", ORTB_PF_UGEO_COUNTRY) X("region", ORTB_PF_UGEO_REGION)
#define PFK_DATA_EXT(X) X("segtax", ORTB_PF_SEGTAX)
#define PFK_DATA(X) X("segment", ORTB_PF_SEGMENT) X("ext", ORTB_PF_DATA_EXT)

PFK_TABLE(root, PFK_ROOT)
PFK_TABLE(regs, PFK_REGS)
PFK_TABLE(regs_ext, PFK_REGS_EXT)
PFK_TABLE(user, PFK_USER)
PFK_TABLE(user_ext, PFK_USER_EXT)
PFK_TABLE(device, PFK_DEVICE)
PFK_TABLE(geo, PFK_GEO)
PFK_TABLE(ugeo, PFK_UGEO)
PFK_TABLE(data_ext, PFK_DATA_EXT)
PFK_TABLE(data, PFK_DATA)

/* Before each value of field f: a repeat is bad. Returns 1 for null (absent; consumed), 0 to read the value,
 * -1 on a JSON error. */
static inline __attribute__((always_inline)) int pf_begin(struct pctx *restrict c, enum ortb_pf f)
{
    uint64_t bit = 1ull << f;
    if (c->seen & bit) pf_bad(c, f, ORTB_PFW_DUP);
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 1;
    c->seen |= bit;
    return 0;
}

/* After a non-null value of field f read by a reader that is not the table's (its wrong type stays a 400):
 * a second one is a duplicate. Called after the read, so it costs no peek. */
static inline __attribute__((always_inline)) void pf_once(struct pctx *restrict c, enum ortb_pf f)
{
    uint64_t bit = 1ull << f;
    if (c->seen & bit) pf_bad(c, f, ORTB_PFW_DUP);
    c->seen |= bit;
}

/* rd_str for such a field: a string read (not null) counts once. */
static inline __attribute__((always_inline)) int rd_str_once(struct pctx *restrict c, enum ortb_pf f,
                                                             struct sv *out, const char *field)
{
    const char *prev = out->p;
    int rc = rd_str(c, out, field);
    if (!rc && out->p != prev) pf_once(c, f);
    return rc;
}

/* Whether the number token at p is exactly an integer, decided on its digits, not on a double: 1.0, 1e0,
 * 2.015e3, -0 and 0e-400 are; 1e-400 and 1.0000000000000000001 are not (as doubles they round to 0 and 1,
 * which read "gdpr": 1e-400 as 0). */
static bool num_integral(const char *p, const char *end)
{
#define DIG(q) ((q) < end && (unsigned)(unsigned char)*(q) - '0' <= 9)
    if (p < end && *p == '-') p++;
    const char *i0 = p;
    while (DIG(p)) p++;
    const char *i1 = p, *f0 = p, *f1 = p;
    if (p < end && *p == '.') {
        f0 = ++p;
        while (DIG(p)) p++;
        f1 = p;
    }
    long e = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool neg = ++p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) p++;
        for (; DIG(p); p++)
            if (e < 1000000) e = e * 10 + (*p - '0');
        if (neg) e = -e;
    }
#undef DIG
    /* the digits after the decimal point once the exponent has moved it: every one of them must be 0 */
    const char *last = NULL; /* the last non-zero digit */
    for (const char *q = i0; q < i1; q++)
        if (*q != '0') last = q;
    long frac_after = 0; /* non-zero digits' distance past the point, before the exponent */
    for (const char *q = f0; q < f1; q++)
        if (*q != '0') last = q, frac_after = (long)(q - f0) + 1;
    if (!last) return true; /* zero */
    if (frac_after) return e >= frac_after;
    return e >= -(long)(i1 - 1 - last); /* trailing zeros of the integer part absorb a negative exponent */
}

/* An integer token: 0 with *v; 1 when the value is of another type, not exactly an integer, or an overflow
 * (skipped, the JSON itself is fine); -1 on a JSON error. */
static inline __attribute__((always_inline)) int rd_int_tok(struct pctx *restrict c, int64_t *v)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    /* fast path, the usual case: up to 9 digits (no sign, no leading zero but "0") and then neither a digit
     * nor a fraction or an exponent */
    const char *p = c->j->p, *end = c->j->end;
    unsigned d = (unsigned)(unsigned char)*p - '0';
    if (d <= 9) {
        const char *q = p + 1;
        int64_t x = d;
        if (d)
            for (; q < end && q - p < 9 && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++) x = x * 10 + d;
        if (q < end && (unsigned)(unsigned char)*q - '0' > 9 && *q != '.' && *q != 'e' && *q != 'E') {
            c->j->p = q;
            *v = x;
            return 0;
        }
    }
    if (t == JSON_NUMBER) {
        if (num_integral(p, end)) {
            struct json save = *c->j;
            if (json_int(c->j, v) == 0) return 0;
            *c->j = save;
        }
    }
    return json_skip(c->j) ? -1 : 1;
}

static int rd_pf_int_gen(struct pctx *restrict c, enum ortb_pf f, int32_t *out, enum ortb_sig *sig)
{
    int rc = pf_begin(c, f);
    if (rc) return rc < 0 ? -1 : 0;
    const struct ortb_pf_def *d = &ortb_pf[f];
    int64_t v;
    if (d->type == PT_INTSTR && json_peek(c->j) == JSON_STRING) {
        struct sv s;
        if (json_string(c->j, &s)) {
            c->j->err_path = d->path;
            return -1;
        }
        if (s.n != 1 || s.p[0] < '0' || s.p[0] > '9') {
            pf_bad(c, f, ORTB_PFW_TYPE);
            return 0;
        }
        v = s.p[0] - '0';
    } else {
        rc = rd_int_tok(c, &v);
        if (rc < 0) {
            c->j->err_path = d->path;
            return -1;
        }
        if (rc) {
            pf_bad(c, f, ORTB_PFW_TYPE);
            return 0;
        }
    }
    if (v < d->min || v > d->max) {
        pf_bad(c, f, ORTB_PFW_RANGE);
        return 0;
    }
    *out = (int32_t)v;
    if (sig) *sig = ORTB_SIG_OK;
    return 0;
}

/* Inline: the usual case at every privacy integer; anything else out of line in rd_pf_int_gen. */
static inline __attribute__((always_inline)) int rd_pf_int(struct pctx *restrict c, enum ortb_pf f,
                                                           int32_t *out, enum ortb_sig *sig)
{
    /* the usual case, the first copy of a plain integer of up to 9 digits right here: what rd_pf_int_gen
     * (pf_begin, rd_int_tok) makes of it, with one look at the bytes */
    struct json *j = c->j;
    const char *p = j->p, *end = j->end;
    uint64_t bit = 1ull << f;
    int32_t x9;
    if (!(c->seen & bit) && int9_here(j, &x9)) {
        c->seen |= bit;
        const struct ortb_pf_def *def = &ortb_pf[f];
        if (x9 < def->min || x9 > def->max) {
            pf_bad(c, f, ORTB_PFW_RANGE);
            return 0;
        }
        *out = x9;
        if (sig) *sig = ORTB_SIG_OK;
        return 0;
    }
    if (!j->err && !(c->seen & bit) && p < end) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d <= 9) {
            const char *q = p + 1;
            int64_t x = d;
            if (d)
                for (; q < end && q - p < 9 && (d = (unsigned)(unsigned char)*q - '0') <= 9; q++)
                    x = x * 10 + d;
            if (q < end && (unsigned)(unsigned char)*q - '0' > 9 && *q != '.' && *q != 'e' && *q != 'E') {
                c->seen |= bit;
                j->p = q;
                const struct ortb_pf_def *def = &ortb_pf[f];
                if (x < def->min || x > def->max) {
                    pf_bad(c, f, ORTB_PFW_RANGE);
                    return 0;
                }
                *out = (int32_t)x;
                if (sig) *sig = ORTB_SIG_OK;
                return 0;
            }
        }
    }
    return rd_pf_int_gen(c, f, out, sig);
}

static inline __attribute__((always_inline)) int rd_pf_str(struct pctx *restrict c, enum ortb_pf f,
                                                           struct sv *out, enum ortb_sig *sig)
{
    struct json *j = c->j;
    if (byte_here(j) && *j->p == '"') { /* a string right here: what pf_begin makes of it */
        pf_once(c, f);
    } else {
        int rc = pf_begin(c, f);
        if (rc) return rc < 0 ? -1 : 0;
        if (json_peek(c->j) != JSON_STRING) {
            if (json_skip(c->j)) return -1;
            pf_bad(c, f, ORTB_PFW_TYPE);
            return 0;
        }
    }
    if (json_string(c->j, out)) {
        c->j->err_path = ortb_pf[f].path;
        return -1;
    }
    if (!out->p) out->p = ""; /* present but empty stays distinguishable from absent */
    *sig = ORTB_SIG_OK;
    return 0;
}

/* A container field: 1 when an object was entered (the caller reads its keys), 0 when absent or of another
 * type (marked bad and skipped), -1 on a JSON error. */
static inline __attribute__((always_inline)) int pf_obj(struct pctx *restrict c, enum ortb_pf f)
{
    if (open_here(c, '{')) { /* what pf_begin and the checks below make of it */
        pf_once(c, f);
        return 1;
    }
    int rc = pf_begin(c, f);
    if (rc) return rc < 0 ? -1 : 0;
    if (json_peek(c->j) != JSON_OBJECT) {
        if (json_skip(c->j)) return -1;
        pf_bad(c, f, ORTB_PFW_TYPE);
        return 0;
    }
    json_obj_begin(c->j);
    return 1;
}

/* After the parse: a bad field keeps no value, so nothing downstream can use half of a conflicting pair. */
static void pf_finish(struct ortb_request *r)
{
    uint64_t bad = r->priv.bad;
    if (!bad) return;
    struct ortb_regs *g = &r->regs;
    struct ortb_user *u = &r->user;
#define BAD(f) (bad & (1ull << (f)))
    if (BAD(ORTB_PF_GDPR)) g->gdpr = ORTB_UNSET, g->gdpr_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_REGS_EXT)) g->ext_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_EXT_GDPR)) g->ext_gdpr = ORTB_UNSET, g->ext_gdpr_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_CONSENT)) u->consent = SV_NULL, u->consent_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_EXT_CONSENT)) u->ext_consent = SV_NULL, u->ext_consent_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_GPP_SID)) g->ngpp_sid = 0, g->gpp_sid_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_COPPA)) g->coppa = ORTB_UNSET;
    if (BAD(ORTB_PF_EXT_COPPA)) g->ext_coppa = ORTB_UNSET;
    if (BAD(ORTB_PF_YOB)) u->yob = ORTB_UNSET;
    if (BAD(ORTB_PF_US_PRIVACY)) g->us_privacy = SV_NULL, g->us_privacy_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_EXT_US_PRIVACY)) g->ext_us_privacy = SV_NULL, g->ext_us_privacy_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_GPP)) g->gpp = SV_NULL, g->gpp_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_EXT_GPP_SID)) g->ext_ngpp_sid = 0, g->ext_gpp_sid_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_EXT_GPP)) g->ext_gpp = SV_NULL, g->ext_gpp_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_GPC)) g->gpc = ORTB_UNSET, g->gpc_sig = ORTB_SIG_MALFORMED;
    if (BAD(ORTB_PF_LMT)) r->device.lmt = ORTB_UNSET;
    if (BAD(ORTB_PF_DNT)) r->device.dnt = ORTB_UNSET;
    struct ortb_geo *geo = &r->device.geo;
    if (BAD(ORTB_PF_DEVICE) || BAD(ORTB_PF_GEO)) {
        int32_t type = geo->type;
        *geo = (struct ortb_geo){.present = geo->present, .type = type};
    }
    if (BAD(ORTB_PF_GEO_COUNTRY)) geo->country = SV_NULL;
    if (BAD(ORTB_PF_GEO_REGION)) geo->region = SV_NULL;
    if (BAD(ORTB_PF_GEO_LAT) || BAD(ORTB_PF_GEO_LON)) geo->has_lat = geo->has_lon = false;
    if (BAD(ORTB_PF_GENDER)) u->gender = SV_NULL;
    if (BAD(ORTB_PF_UGEO)) u->geo = (struct ortb_geo){.present = u->geo.present, .type = u->geo.type};
    if (BAD(ORTB_PF_UGEO_COUNTRY)) u->geo.country = SV_NULL;
    if (BAD(ORTB_PF_UGEO_REGION)) u->geo.region = SV_NULL;
    if (BAD(ORTB_PF_USER_ID) || BAD(ORTB_PF_BUYERUID)) u->id = u->buyeruid = SV_NULL; /* no store lookup */
#undef BAD
}

static inline __attribute__((always_inline)) int skip(struct pctx *restrict c)
{
    return json_skip(c->j) ? -1 : 0;
}

/* Enters an object, or treats null as absent (returns 0 with *present false). */
static inline __attribute__((always_inline)) int enter(struct pctx *restrict c, bool *present,
                                                       const char *field)
{
    if (open_here(c, '{')) {
        *present = true;
        return 0;
    }
    *present = false;
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0;
    if (t != JSON_OBJECT) return fail(c, ORTB_EINVALID, field, "expected an object");
    json_obj_begin(c->j);
    *present = true;
    return 0;
}

/* ---- imp ---- */

/* A creative-fit list of the player given twice (banner.format, video/audio protocols (2.3's protocol counts
 * as the same list), rqddurs; mimes in rd_list_as): a creative must fit every copy, so only what both copies
 * hold is kept, and when they share nothing the media cannot be matched (*differs). An empty or null copy is
 * absent. The scalars (rd_i32_same) and the object given twice follow the same rule: no media. */
static int parse_format(struct pctx *restrict c, struct ortb_imp *restrict imp, bool *differs)
{
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EINVALID, "imp.banner.format", "expected an array of objects");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_FORMAT};
    while (json_arr_next(c->j)) {
        bool present;
        if (enter(c, &present, "imp.banner.format[]")) return -1;
        if (!present) continue;
        struct ortb_format *f = arena_vec_push(c->a, &v, sizeof *f, _Alignof(struct ortb_format));
        if (!f)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "imp.banner.format", "too many formats");
        f->w = f->h = ORTB_UNSET;
        struct sv k;
        while (next_key(c, &k)) {
            int rc;
            if (KEQ(k, "w"))
                rc = rd_i32(c, &f->w, "imp.banner.format[].w");
            else if (KEQ(k, "h"))
                rc = rd_i32(c, &f->h, "imp.banner.format[].h");
            else
                rc = skip(c);
            if (rc) return -1;
        }
        if ((f->w != ORTB_UNSET && f->w < 0) || (f->h != ORTB_UNSET && f->h < 0))
            return fail(c, ORTB_EINVALID, "imp.banner.format[].w", "banner format size must not be negative");
    }
    if (c->j->err) return -1;
    if (imp->nformat && v.n) { /* given twice: the sizes both copies list */
        struct ortb_format *w = v.items;
        uint32_t n = 0;
        for (uint32_t i = 0; i < v.n; i++)
            for (uint32_t q = 0; q < imp->nformat; q++)
                if (w[i].w == imp->format[q].w && w[i].h == imp->format[q].h) {
                    w[n++] = w[i];
                    break;
                }
        if (!n) *differs = true;
        v.n = n;
    } else if (imp->nformat) {
        return 0; /* an empty second copy is absent */
    }
    imp->format = v.items;
    imp->nformat = v.n;
    return 0;
}

/* A size or duration of the imp's player given twice with different values: which one the player has is
 * unknowable, and either copy (or last-wins) could match a creative the player cannot show, so the media
 * object that holds it cannot be matched at all (its has_* is cleared after the object: no bid on that media,
 * the rest of the request stands). The same value again, or null, is harmless. */
static inline __attribute__((always_inline)) int rd_i32_same(struct pctx *restrict c, int32_t *out,
                                                             const char *field, bool *differs)
{
    int32_t prev = *out;
    if (rd_i32(c, out, field)) return -1;
    if (prev != ORTB_UNSET && *out != prev) *differs = true;
    return 0;
}

static int parse_banner(struct pctx *restrict c, struct ortb_imp *restrict imp)
{
    bool present;
    if (enter(c, &present, "imp.banner")) return -1;
    if (!present) return 0; /* banner: null leaves the imp without a banner */
    imp->has_banner = true;
    bool differs = imp->banner_seen; /* given twice: as imp.video twice, no banner */
    imp->banner_seen = true;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "w"))
            rc = rd_i32_same(c, &imp->banner_w, "imp.banner.w", &differs);
        else if (KEQ(k, "h"))
            rc = rd_i32_same(c, &imp->banner_h, "imp.banner.h", &differs);
        else if (KEQ(k, "format"))
            rc = parse_format(c, imp, &differs);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (imp->banner_w != ORTB_UNSET && imp->banner_w < 0)
        return fail(c, ORTB_EINVALID, "imp.banner.w", "banner width must not be negative");
    if (imp->banner_h != ORTB_UNSET && imp->banner_h < 0)
        return fail(c, ORTB_EINVALID, "imp.banner.h", "banner height must not be negative");
    if (differs) imp->has_banner = false;
    return 0;
}

/* An array of integers: ints into an arena vector (max entries, else ORTB_ELIMIT). */
static int rd_intlist(struct pctx *restrict c, int32_t **out, uint32_t *nout, uint32_t max, const char *field)
{
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EINVALID, field, "expected an array of integers");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = max};
    while (json_arr_next(c->j)) {
        int32_t x = ORTB_UNSET;
        if (rd_i32(c, &x, field)) return -1;
        if (x == ORTB_UNSET) continue;
        int32_t *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(int32_t));
        if (!slot) return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, field, "too many entries");
        *slot = x;
    }
    if (c->j->err) return -1;
    *out = v.items;
    *nout = v.n;
    return 0;
}

/* One copy of the player's protocols (m: its ids 1..31 as a mask; n: how many ids it listed) into *mask: ids
 * past 31 (or below 1) are unknown to us and cannot match any creative, so a copy of only those leaves
 * ORTB_PROTO_NONE; a second copy keeps what both allow (parse_format's rule). */
static void protocols_add(uint32_t *mask, uint32_t m, uint32_t n, bool *seen)
{
    if (!n) return; /* [] or null: absent */
    if (*seen) m &= *mask;
    *seen = true;
    *mask = m & ~ORTB_PROTO_NONE ? m & ~ORTB_PROTO_NONE : ORTB_PROTO_NONE;
}

/* protocols: ids 1..31 into a bit mask. */
static int rd_protocols(struct pctx *restrict c, uint32_t *mask, bool *seen, const char *field)
{
    int32_t *v = NULL;
    uint32_t n = 0, m = 0;
    if (rd_intlist(c, &v, &n, ORTB_MAX_LIST, field)) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (v[i] >= 1 && v[i] <= 31) m |= 1u << v[i];
    protocols_add(mask, m, n, seen);
    return 0;
}

/* imp.video / imp.audio: the player's constraints, all optional; negative sizes are invalid as for banners.
 */
static int parse_av(struct pctx *restrict c, bool *has, struct ortb_av *av, bool video)
{
    const char *field = video ? "imp.video" : "imp.audio";
    bool present;
    if (enter(c, &present, field)) return -1;
    if (!present) return 0;
    *has = true;
    /* the object given twice: its copies would merge (or the last would win), which no reading gives */
    bool again = av->seen;
    av->seen = true;
    if (!again)
        av->minduration = av->maxduration = av->w = av->h = av->placement = av->plcmt = av->linearity =
            av->skip = av->skipmin = av->skipafter = av->startdelay = ORTB_UNSET;
    bool differs = false; /* a scalar given twice with different values (rd_i32_same) */
    bool seen_proto = false;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "mimes"))
            rc = rd_list_as(c, &av->mimes, video ? "imp.video.mimes" : "imp.audio.mimes", LIST_ALLOW);
        else if (KEQ(k, "minduration"))
            rc = rd_i32_same(c, &av->minduration, field, &differs);
        else if (KEQ(k, "maxduration"))
            rc = rd_i32_same(c, &av->maxduration, field, &differs);
        else if (KEQ(k, "rqddurs")) {
            int32_t *d = NULL;
            uint32_t n = 0;
            rc = rd_intlist(c, &d, &n, ORTB_MAX_DURS, field);
            if (!rc && n && av->nrqddurs) { /* given twice: the durations both copies list */
                uint32_t m = 0;
                for (uint32_t i = 0; i < n; i++)
                    for (uint32_t q = 0; q < av->nrqddurs; q++)
                        if (d[i] == av->rqddurs[q]) {
                            d[m++] = d[i];
                            break;
                        }
                if (!m) differs = true;
                n = m;
            }
            if (!rc && n) av->rqddurs = d, av->nrqddurs = n;
        } else if (KEQ(k, "protocols"))
            rc = rd_protocols(c, &av->protocols, &seen_proto, field);
        else if (KEQ(k, "protocol")) { /* 2.3's single protocol, still sent by some: the same list */
            int32_t p = ORTB_UNSET;
            rc = rd_i32(c, &p, field);
            if (!rc && p != ORTB_UNSET)
                protocols_add(&av->protocols, p >= 1 && p <= 31 ? 1u << p : 0, 1, &seen_proto);
        } else if (KEQ(k, "w") || KEQ(k, "h")) {
            int32_t *dst = KEQ(k, "w") ? &av->w : &av->h;
            rc = rd_i32_same(c, dst, field, &differs);
            if (!rc && *dst != ORTB_UNSET && *dst < 0)
                return fail(c, ORTB_EINVALID, field, "size must not be negative");
        } else if (KEQ(k, "placement"))
            rc = rd_i32_same(c, &av->placement, field, &differs);
        else if (KEQ(k, "plcmt"))
            rc = rd_i32_same(c, &av->plcmt, field, &differs);
        else if (KEQ(k, "linearity"))
            rc = rd_i32_same(c, &av->linearity, field, &differs);
        else if (KEQ(k, "skip"))
            rc = rd_i32_same(c, &av->skip, field, &differs);
        else if (KEQ(k, "skipmin"))
            rc = rd_i32_same(c, &av->skipmin, field, &differs);
        else if (KEQ(k, "skipafter"))
            rc = rd_i32_same(c, &av->skipafter, field, &differs);
        else if (KEQ(k, "startdelay"))
            rc = rd_i32_same(c, &av->startdelay, field, &differs);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (differs || again) *has = false;
    return 0;
}

/* imp.native: `request` is the Native request, as a JSON string (the 1.1+ form) or, from some exchanges, an
 * object. Either way it is parsed on its own (filters/native.c) so that a native request we cannot read costs
 * this imp its native bid, never the whole request. */
static int parse_native(struct pctx *restrict c, struct ortb_imp *restrict imp)
{
    bool present;
    if (enter(c, &present, "imp.native")) return -1;
    if (!present) return 0;
    imp->has_native = true;
    imp->native.why = "imp.native.request is missing";
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "request")) {
            enum json_type t = json_peek(c->j);
            if (t == JSON_STRING) {
                struct sv s;
                if (json_string(c->j, &s)) {
                    c->j->err_path = "imp.native.request";
                    return -1;
                }
                native_parse_request(s.p, s.n, c->a, &imp->native);
                rc = 0;
            } else if (t == JSON_OBJECT) {
                const char *s = c->j->p;
                rc = skip(c);
                if (!rc) native_parse_request(s, (size_t)(c->j->p - s), c->a, &imp->native);
            } else {
                rc = skip(c);
                imp->native.ok = false;
                imp->native.why = "imp.native.request is neither a string nor an object";
            }
        } else if (KEQ(k, "w") || KEQ(k, "h")) {
            int32_t v = ORTB_UNSET;
            rc = rd_i32(c, &v, "imp.native");
            if (!rc && v != ORTB_UNSET && v < 0)
                return fail(c, ORTB_EINVALID, "imp.native", "size must not be negative");
        } else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_deal(struct pctx *restrict c, struct ortb_deal *restrict d)
{
    struct sv k;
    bool seen_floor = false;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "id"))
            rc = rd_str_one(c, &d->id, "imp.pmp.deals.id", false);
        else if (KEQ(k, "bidfloor"))
            rc = rd_floor(c, &d->bidfloor, &seen_floor, "imp.pmp.deals.bidfloor");
        else if (KEQ(k, "bidfloorcur"))
            rc = rd_str_one(c, &d->bidfloorcur, "imp.pmp.deals.bidfloorcur", true);
        else if (KEQ(k, "wseat"))
            rc = rd_list_as(c, &d->wseat, "imp.pmp.deals.wseat", LIST_ALLOW);
        else if (KEQ(k, "wadomain"))
            rc = rd_list_as(c, &d->wadomain, "imp.pmp.deals.wadomain", LIST_ALLOW);
        else
            rc = skip(c);
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (d->bidfloor < 0)
        return fail(c, ORTB_EINVALID, "imp.pmp.deals.bidfloor", "bidfloor must not be negative");
    return 0;
}

static int parse_pmp(struct pctx *restrict c, struct ortb_pmp *restrict pmp)
{
    bool present;
    if (enter(c, &present, "imp.pmp")) return -1;
    if (!present) return 0;
    struct sv k;
    while (next_key(c, &k)) {
        int rc = 0;
        if (KEQ(k, "private_auction")) {
            /* any copy saying 1 holds (a later 0 cannot open the auction), and a value we do not know (2,
             * -1) reads as 1: bidding only through a deal never widens what the seller allowed */
            int32_t v = ORTB_UNSET;
            rc = rd_i32(c, &v, "imp.pmp.private_auction");
            if (!rc && v != ORTB_UNSET && v != 0) pmp->private_auction = 1;
        } else if (KEQ(k, "deals")) {
            if (is_null(c)) continue;
            /* a second list would replace the first (its floors, wseat, wadomain): neither the union (more
             * deals to take) nor the last copy is safe, and intersecting deal terms is no reading either */
            if (pmp->has_deals) return fail(c, ORTB_EINVALID, "imp.pmp.deals", "given twice");
            if (json_peek(c->j) != JSON_ARRAY) {
                if (c->j->err) return -1;
                return fail(c, ORTB_EINVALID, "imp.pmp.deals", "expected an array of objects");
            }
            struct arena_vec v = {.max = ORTB_MAX_DEALS};
            json_arr_begin(c->j);
            while (json_arr_next(c->j)) {
                bool dp;
                if (enter(c, &dp, "imp.pmp.deals[]")) return -1;
                if (!dp) continue;
                struct ortb_deal *d = arena_vec_push(c->a, &v, sizeof *d, _Alignof(struct ortb_deal));
                if (!d)
                    return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "imp.pmp.deals",
                                "too many deals (limit 64)");
                if (parse_deal(c, d)) return -1;
            }
            if (c->j->err) return -1;
            /* one deal id listed twice: the first takeable copy would win, so the laxer terms would */
            struct ortb_deal *dv = v.items;
            for (uint32_t i = 1; i < v.n; i++)
                for (uint32_t q = 0; q < i; q++)
                    if (dv[i].id.n && sv_eq(dv[i].id, dv[q].id))
                        return fail(c, ORTB_EINVALID, "imp.pmp.deals.id", "deal id listed twice in one imp");
            pmp->has_deals = true;
            pmp->deals = v.items;
            pmp->ndeals = v.n;
        } else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_imp(struct pctx *restrict c, struct ortb_imp *restrict imp)
{
    bool present;
    if (enter(c, &present, "imp[]")) return -1;
    if (!present) return fail(c, ORTB_EREQUIRED, "imp[]", "imp entries must be objects");
    imp->banner_w = imp->banner_h = ORTB_UNSET;
    bool seen_floor = false;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        switch (k.n) { /* by length first: each key is compared with the few names of its length only */
        case 2:
            if (!KEQ(k, "id")) goto other;
            rc = rd_str_one(c, &imp->id, "imp.id", false);
            break;
        case 3:
            if (!KEQ(k, "pmp")) goto other;
            rc = parse_pmp(c, &imp->pmp);
            break;
        case 5:
            if (KEQ(k, "video"))
                rc = parse_av(c, &imp->has_video, &imp->video, true);
            else if (KEQ(k, "audio"))
                rc = parse_av(c, &imp->has_audio, &imp->audio, false);
            else
                goto other;
            break;
        case 6:
            if (KEQ(k, "banner"))
                rc = parse_banner(c, imp);
            else if (KEQ(k, "native"))
                rc = parse_native(c, imp);
            else
                goto other;
            break;
        case 8:
            if (!KEQ(k, "bidfloor")) goto other;
            rc = rd_floor(c, &imp->bidfloor, &seen_floor, "imp.bidfloor");
            break;
        case 11:
            if (!KEQ(k, "bidfloorcur")) goto other;
            rc = rd_str_one(c, &imp->bidfloorcur, "imp.bidfloorcur", true);
            break;
        default:
        other:
            rc = skip(c);
        }
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (imp->id.n == 0) return fail(c, ORTB_EREQUIRED, "imp.id", "every imp needs a non-empty id");
    if (imp->bidfloor < 0) return fail(c, ORTB_EINVALID, "imp.bidfloor", "bidfloor must not be negative");
    return 0;
}

static int parse_imps(struct pctx *restrict c, struct ortb_request *r)
{
    if (!open_here(c, '[')) {
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EREQUIRED, "imp", "imp must be a non-empty array");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_IMP};
    while (json_arr_next(c->j)) {
        struct ortb_imp *imp = arena_vec_push(c->a, &v, sizeof *imp, _Alignof(struct ortb_imp));
        if (!imp) return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, "imp", "too many imps (limit 64)");
        if (parse_imp(c, imp)) return -1;
    }
    if (c->j->err) return -1;
    r->imp = v.items;
    r->nimp = v.n;
    return 0;
}

/* ---- site / app / dooh ---- */

static inline __attribute__((always_inline)) int parse_publisher(struct pctx *restrict c, struct sv *id)
{
    bool present;
    if (enter(c, &present, "publisher")) return -1;
    if (!present) return 0;
    struct sv k;
    while (next_key(c, &k)) {
        if (KEQ(k, "id") ? rd_str(c, id, "publisher.id") : skip(c)) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_content(struct pctx *restrict c, struct ortb_context_obj *restrict x)
{
    bool present;
    if (enter(c, &present, "content")) return -1;
    if (!present) return 0;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "cat"))
            rc = rd_list_as(c, &x->content_cat, "content.cat", LIST_BLOCK);
        else if (KEQ(k, "cattax"))
            rc = rd_i32(c, &x->content_cattax, "content.cattax");
        else
            rc = skip(c);
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_context(struct pctx *restrict c, struct ortb_context_obj *restrict x, enum ortb_context kind,
                         const char *field)
{
    if (x->kind != ORTB_CTX_NONE) {
        /* reported where the member's value begins, as always: json_obj_next steps over the blank after ':'
         */
        const char *p = c->j->p;
        if (p - c->j->start >= 2 && p[-1] == ' ' && p[-2] == ':') c->j->p = p - 1;
        return fail(c, ORTB_EINVALID, field, "a request carries at most one of site, app and dooh");
    }
    bool present;
    if (enter(c, &present, field)) return -1;
    if (!present) return 0;
    x->kind = kind;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        switch (k.n) { /* by length first, as the request's keys */
        case 2:
            if (!KEQ(k, "id")) goto other;
            rc = rd_str(c, &x->id, "site.id");
            break;
        case 3:
            if (!KEQ(k, "cat")) goto other;
            rc = rd_list_as(c, &x->cat, "site.cat", LIST_BLOCK);
            break;
        case 6:
            if (KEQ(k, "domain"))
                rc = rd_str(c, &x->domain, "site.domain");
            else if (KEQ(k, "cattax"))
                rc = rd_i32(c, &x->cattax, "site.cattax");
            else if (KEQ(k, "bundle"))
                rc = rd_str(c, &x->bundle, "app.bundle");
            else
                goto other;
            break;
        case 7:
            if (KEQ(k, "content"))
                rc = parse_content(c, x);
            else if (KEQ(k, "pagecat"))
                rc = rd_list_as(c, &x->cat, "site.pagecat", LIST_BLOCK);
            else
                goto other;
            break;
        case 9:
            if (!KEQ(k, "publisher")) goto other;
            rc = parse_publisher(c, &x->publisher_id);
            break;
        case 10:
            if (!KEQ(k, "sectioncat")) goto other;
            rc = rd_list_as(c, &x->cat, "site.sectioncat", LIST_BLOCK);
            break;
        default:
        other:
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* ---- device ---- */

/* ISO 3166-1 alpha-2 or alpha-3: two or three ASCII letters, any case. */
static bool country_code_ok(struct sv s)
{
    if (s.n != 2 && s.n != 3) return false;
    for (size_t i = 0; i < s.n; i++)
        if ((unsigned)((s.p[i] | 0x20) - 'a') > 25u) return false;
    return true;
}

/* device.geo, or user.geo (user: only country and region are read; where the user says they live places
 * them for the jurisdiction rules, never for targeting). Inline, in parse_device and parse_user: see
 * parse_regs_ext. */
static inline __attribute__((always_inline)) int parse_geo(struct pctx *restrict c,
                                                           struct ortb_geo *restrict g, bool user)
{
    bool present;
    if (enter(c, &present, user ? "user.geo" : "device.geo")) return -1;
    if (!present) return 0;
    /* a second geo would merge into the first: where the person is, unknowable */
    pf_once(c, user ? ORTB_PF_UGEO : ORTB_PF_GEO);
    g->present = true;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        switch (k.n) { /* by length first, as the request's keys (user.geo reads country and region only) */
        case 7:
            if (KEQ(k, "country")) {
                enum ortb_pf f = user ? ORTB_PF_UGEO_COUNTRY : ORTB_PF_GEO_COUNTRY;
                rc = rd_str_once(c, f, &g->country, user ? "user.geo.country" : "device.geo.country");
                /* a country that is no ISO 3166-1 code ("Germany", "276", "DEU ", "DE-BY") may name an EEA
                 * country the jurisdiction rules cannot see: bad, as a second copy ("" carries nothing:
                 * absent) */
                if (!rc && g->country.n && !country_code_ok(g->country)) pf_bad(c, f, ORTB_PFW_RANGE);
                break;
            }
            goto other;
        case 6:
            if (!KEQ(k, "region")) goto other;
            rc = user ? rd_str_once(c, ORTB_PF_UGEO_REGION, &g->region, "user.geo.region")
                      : rd_str_once(c, ORTB_PF_GEO_REGION, &g->region, "device.geo.region");
            break;
        case 3:
            if (user) goto other;
            if (KEQ(k, "zip")) {
                rc = rd_str(c, &g->zip, "device.geo.zip");
            } else if (KEQ(k, "lat") || KEQ(k, "lon")) {
                bool lat = KEQ(k, "lat"), got = false;
                rc = rd_double(c, lat ? &g->lat : &g->lon, &got, lat ? "device.geo.lat" : "device.geo.lon");
                if (got) {
                    *(lat ? &g->has_lat : &g->has_lon) = true;
                    pf_once(c, lat ? ORTB_PF_GEO_LAT : ORTB_PF_GEO_LON);
                }
            } else {
                goto other;
            }
            break;
        case 4:
            if (user || !KEQ(k, "type")) goto other;
            rc = rd_i32(c, &g->type, "device.geo.type");
            break;
        default:
        other:
            if (user)
                pf_variant(c, k, PF_KEYS(ugeo));
            else
                pf_variant(c, k, PF_KEYS(geo));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_device(struct pctx *restrict c, struct ortb_device *restrict d)
{
    bool present;
    if (enter(c, &present, "device")) return -1;
    if (!present) return 0;
    pf_once(c, ORTB_PF_DEVICE);
    d->present = true;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        switch (k.n) { /* by length first, as the request's keys */
        case 2:
            if (KEQ(k, "ua"))
                rc = rd_str(c, &d->ua, "device.ua");
            else if (KEQ(k, "ip"))
                rc = rd_str(c, &d->ip, "device.ip");
            else
                goto other;
            break;
        case 3:
            if (KEQ(k, "geo"))
                rc = parse_geo(c, &d->geo, false);
            else if (KEQ(k, "dnt"))
                rc = rd_pf_int(c, ORTB_PF_DNT, &d->dnt, NULL);
            else if (KEQ(k, "lmt"))
                rc = rd_pf_int(c, ORTB_PF_LMT, &d->lmt, NULL);
            else if (KEQ(k, "ifa"))
                rc = rd_str(c, &d->ifa, "device.ifa");
            else
                goto other;
            break;
        case 4:
            if (!KEQ(k, "ipv6")) goto other;
            rc = rd_str(c, &d->ipv6, "device.ipv6");
            break;
        case 10:
            if (!KEQ(k, "devicetype")) goto other;
            rc = rd_i32(c, &d->devicetype, "device.devicetype");
            break;
        case 1:
            if (KEQ(k, "w") || KEQ(k, "h")) {
                int32_t v = ORTB_UNSET;
                rc = rd_i32(c, &v, "device.w");
                if (!rc && v != ORTB_UNSET && v < 0)
                    return fail(c, ORTB_EINVALID, "device.w", "size must not be negative");
                break;
            }
            goto other;
        default:
        other:
            pf_variant(c, k, PF_KEYS(device));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* ---- user ---- */

/* A member of user.data of another shape is a 400; the same in user.ext.data (legacy: Prebid's older place,
 * which an exchange may still send in any shape) is skipped and makes user.ext.data bad (ORTB_PFC_HIDDEN: no
 * personal data, no high-risk ads), as user.ext.data that is not an array does. */
static int bad_shape(struct pctx *restrict c, bool legacy, const char *field, const char *msg)
{
    if (!legacy) return fail(c, ORTB_EINVALID, field, msg);
    if (skip(c)) return -1;
    pf_bad(c, ORTB_PF_USER_EXT_DATA, ORTB_PFW_TYPE);
    return 0;
}

/* legacy: not null, not an object (what enter() would refuse) */
static bool not_obj(struct pctx *restrict c, bool legacy)
{
    if (!legacy) return false;
    enum json_type t = json_peek(c->j);
    return t != JSON_OBJECT && t != JSON_NULL && t != JSON_NONE;
}

static inline __attribute__((always_inline)) int
parse_segments(struct pctx *restrict c, struct ortb_list *restrict out, bool *ambiguous, bool legacy)
{
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            return bad_shape(c, legacy, legacy ? "user.ext.data.segment" : "user.data.segment",
                             "expected an array of objects");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_SEGMENT};
    while (json_arr_next(c->j)) {
        bool present;
        if (not_obj(c, legacy)) {
            if (bad_shape(c, legacy, NULL, NULL)) return -1;
            continue;
        }
        if (enter(c, &present, "user.data.segment[]")) return -1;
        if (!present) continue;
        uint32_t first = v.n;
        struct sv k;
        while (next_key(c, &k)) {
            if (!KEQ(k, "id")) {
                /* "ID", "Id": a folding decoder reads the segment's id, fairbid would not see it */
                if (sv_kfold(k, "id")) pf_bad(c, ORTB_PF_SEGMENT, ORTB_PFW_CASE);
                if (skip(c)) return -1;
                continue;
            }
            /* an id given twice in one segment: both are kept (a vulnerability segment in either copy still
             * keeps high-risk ads away) and the data object is ambiguous (no targeting on it) */
            struct sv id = SV_NULL;
            if (legacy) {
                enum json_type t = json_peek(c->j);
                if (t != JSON_STRING && t != JSON_NULL && t != JSON_NONE) {
                    if (bad_shape(c, legacy, NULL, NULL)) return -1;
                    continue;
                }
            }
            if (rd_str(c, &id, "user.data.segment.id")) return -1;
            if (!id.p) continue; /* null: absent */
            if (v.n > first) *ambiguous = true;
            struct sv *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(struct sv));
            if (!slot)
                return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM,
                            legacy ? "user.ext.data.segment" : "user.data.segment", "too many segments");
            *slot = id;
        }
        if (c->j->err) return -1;
        /* a segment with only a name or value cannot be matched by id: nothing pushed */
    }
    if (c->j->err) return -1;
    out->v = v.items;
    out->n = v.n;
    return 0;
}

static int parse_data_ext(struct pctx *restrict c, struct ortb_data *d)
{
    if (!open_here(c, '{')) {
        bool present;
        if (json_peek(c->j) != JSON_OBJECT) return skip(c); /* ext of another shape: nothing we use */
        if (enter(c, &present, "user.data.ext")) return -1;
    }
    /* segtax says which taxonomy the segments are in: one we cannot read could hide a vulnerability segment
     * (a string "4", a fraction, two values), so it is a privacy field, and it is per data object */
    bool seen_tax = false;
    struct sv k;
    while (next_key(c, &k)) {
        if (KEQ(k, "segtax")) {
            if (seen_tax) pf_bad(c, ORTB_PF_SEGTAX, ORTB_PFW_DUP);
            enum json_type t = json_peek(c->j);
            if (t == JSON_NULL) {
                if (json_null(c->j)) return -1;
                continue;
            }
            seen_tax = true;
            int32_t v = ORTB_UNSET;
            /* 1ull: the mask is 64 bits; ~(1u << f) would clear every field from bit 32 up (gender, user.geo,
             * user.id, buyeruid, user.ext.data) and let a second copy of one of them after a user.data pass
             * unseen */
            c->seen &= ~(1ull << ORTB_PF_SEGTAX); /* the request-wide repeat check does not apply here */
            if (rd_pf_int(c, ORTB_PF_SEGTAX, &v, NULL)) return -1;
            d->segtax = v;
        } else {
            pf_variant(c, k, PF_KEYS(data_ext));
            if (skip(c)) return -1;
        }
    }
    return c->j->err ? -1 : 0;
}

static int parse_data(struct pctx *restrict c, struct ortb_user *restrict u, bool legacy)
{
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            return fail(c, ORTB_EINVALID, "user.data", "expected an array of objects");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_DATA};
    while (json_arr_next(c->j)) {
        bool present;
        if (not_obj(c, legacy)) {
            if (bad_shape(c, legacy, NULL, NULL)) return -1;
            continue;
        }
        if (enter(c, &present, "user.data[]")) return -1;
        if (!present) continue;
        struct ortb_data *d = arena_vec_push(c->a, &v, sizeof *d, _Alignof(struct ortb_data));
        if (!d)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, legacy ? "user.ext.data" : "user.data",
                        "too many data objects");
        d->segtax = ORTB_UNSET;
        bool seen_seg = false, seen_ext = false; /* given twice in one data object: bad */
        struct sv k;
        while (next_key(c, &k)) {
            int rc;
            if (KEQ(k, "id") || KEQ(k, "name")) {
                /* who provides the data (first-party or not, the provider named in details): a second
                 * copy with another value leaves it unknowable, so the object serves no targeting */
                bool id = KEQ(k, "id");
                struct sv *dst = id ? &d->id : &d->name, prev = *dst;
                enum json_type t = legacy ? json_peek(c->j) : JSON_STRING;
                if (t != JSON_STRING && t != JSON_NULL && t != JSON_NONE) {
                    if (bad_shape(c, legacy, NULL, NULL)) return -1;
                    continue;
                }
                rc = rd_str(c, dst, id ? "user.data.id" : "user.data.name");
                if (!rc && prev.p && dst->p != prev.p && !sv_eq(prev, *dst)) d->ambiguous = true;
            } else if (KEQ(k, "segment")) {
                if (seen_seg) pf_bad(c, ORTB_PF_SEGMENT, ORTB_PFW_DUP);
                seen_seg = peek_not_null(c);
                rc = parse_segments(c, &d->segment, &d->ambiguous, legacy);
            } else if (KEQ(k, "ext")) {
                if (seen_ext) pf_bad(c, ORTB_PF_DATA_EXT, ORTB_PFW_DUP);
                seen_ext = peek_not_null(c);
                rc = parse_data_ext(c, d);
            } else {
                pf_variant(c, k, PF_KEYS(data));
                rc = skip(c);
            }
            if (rc) return -1;
        }
        if (c->j->err) return -1;
    }
    if (c->j->err) return -1;
    u->data = v.items;
    u->ndata = v.n;
    return 0;
}

/* eids[].source; eids of the wrong shape in ext are ignored (they only ever add restrictions). */
static int parse_eids(struct pctx *restrict c, struct ortb_list *restrict out, bool strict, const char *field)
{
    if (!open_here(c, '[')) {
        if (is_null(c)) return 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (c->j->err) return -1;
            if (!strict) return skip(c);
            return fail(c, ORTB_EINVALID, field, "expected an array of objects");
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    while (json_arr_next(c->j)) {
        if (!open_here(c, '{')) {
            if (json_peek(c->j) != JSON_OBJECT) {
                if (skip(c)) return -1;
                continue;
            }
            json_obj_begin(c->j);
        }
        struct sv src = SV_NULL, k;
        while (next_key(c, &k)) {
            if (KEQ(k, "source") && json_peek(c->j) == JSON_STRING) {
                if (json_string(c->j, &src)) return -1;
            } else if (skip(c)) {
                return -1;
            }
        }
        if (c->j->err) return -1;
        struct sv *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(struct sv));
        if (!slot) return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, field, "too many eids");
        *slot = src.p ? src : SV_LIT("");
    }
    if (c->j->err) return -1;
    out->v = v.items;
    out->n = v.n;
    return 0;
}

/* user.ext.data (Prebid's older place for user.data): its segments count for what restricts (a vulnerability
 * or sensitive segment there is the person's all the same), never for targeting or a fairness group, as
 * regs.ext.gpp counts for opt-outs only; they used to be skipped, so a vulnerability segment there did not
 * keep high-risk ads away. Of another shape, or with a member of another shape (a data object that is not an
 * object, a segment list that is not an array, an id that is not a string): it may hide such a segment, so
 * user.ext.data is bad (hidden: no personal data, no high-risk ads), never a 400 naming user.data. The
 * objects are joined after user.data's (parse_user), whichever comes first. */
static int parse_user_ext_data(struct pctx *restrict c, struct ortb_data **out, uint32_t *nout)
{
    enum json_type t = json_peek(c->j);
    if (t == JSON_NONE) return -1;
    if (t != JSON_ARRAY && t != JSON_NULL) {
        if (skip(c)) return -1;
        pf_bad(c, ORTB_PF_USER_EXT_DATA, ORTB_PFW_TYPE);
        return 0;
    }
    if (t == JSON_NULL) return json_null(c->j) ? -1 : 0; /* absent: a copy before it stands */
    if (*nout) pf_bad(c, ORTB_PF_USER_EXT_DATA, ORTB_PFW_DUP);
    struct ortb_user tmp = {0};
    if (parse_data(c, &tmp, true)) return -1;
    for (uint32_t i = 0; i < tmp.ndata; i++) tmp.data[i].ambiguous = true;
    if (!*nout) {
        *out = tmp.data;
        *nout = tmp.ndata;
        return 0;
    }
    /* given twice: both copies' objects count (replacing the first would drop its vulnerability segments) */
    struct ortb_data *all = arena_alloc(c->a, (*nout + tmp.ndata) * sizeof *all, _Alignof(struct ortb_data));
    if (!all) return fail(c, ORTB_ENOMEM, "user.ext.data", "request too large for request memory");
    memcpy(all, *out, *nout * sizeof *all);
    if (tmp.ndata) memcpy(all + *nout, tmp.data, tmp.ndata * sizeof *all);
    *out = all;
    *nout += tmp.ndata;
    return 0;
}

static int parse_user_ext(struct pctx *restrict c, struct ortb_user *restrict u, struct ortb_data **xdata,
                          uint32_t *nxdata)
{
    int in = pf_obj(c, ORTB_PF_USER_EXT); /* user.ext may carry the consent string: its shape matters */
    if (in <= 0) return in;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "consent"))
            rc = rd_pf_str(c, ORTB_PF_EXT_CONSENT, &u->ext_consent, &u->ext_consent_sig);
        else if (KEQ(k, "eids"))
            rc = parse_eids(c, &u->ext_eid_sources, false, "user.ext.eids");
        else if (KEQ(k, "data"))
            rc = parse_user_ext_data(c, xdata, nxdata);
        else {
            pf_variant(c, k, PF_KEYS(user_ext));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* u is not restrict as the other readers' objects are: the user_key hook runs in here, and what it reads is
 * its own business (parse_request's r likewise) */
static int parse_user(struct pctx *restrict c, struct ortb_user *u)
{
    bool present;
    /* a second user merges into the first: a yob, a consent string or segments of one copy would meet the
     * other's, which no reading of the request gives */
    if (enter(c, &present, "user")) return -1;
    if (!present) return 0;
    pf_once(c, ORTB_PF_USER_DUP);
    u->present = true;
    struct ortb_data *xdata = NULL; /* user.ext.data's objects */
    uint32_t nxdata = 0;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        switch (k.n) { /* by length first, as the request's keys */
        case 2:
            if (!KEQ(k, "id")) goto other;
            rc = rd_str_once(c, ORTB_PF_USER_ID, &u->id, "user.id");
            break;
        case 3:
            if (KEQ(k, "yob"))
                rc = rd_pf_int(c, ORTB_PF_YOB, &u->yob, NULL);
            else if (KEQ(k, "geo"))
                rc = parse_geo(c, &u->geo, true);
            else if (KEQ(k, "ext"))
                rc = parse_user_ext(c, u, &xdata, &nxdata);
            else
                goto other;
            break;
        case 4:
            if (KEQ(k, "data")) {
                /* a second user.data would replace the first, vulnerability segments and all */
                enum json_type t = json_peek(c->j);
                if (t != JSON_NULL && t != JSON_NONE) {
                    if (c->seen & (1ull << ORTB_PF_USER_DATA)) pf_bad(c, ORTB_PF_USER_DATA, ORTB_PFW_DUP);
                    c->seen |= 1ull << ORTB_PF_USER_DATA;
                }
                rc = parse_data(c, u, false);
            } else if (KEQ(k, "eids")) {
                rc = parse_eids(c, &u->eid_sources, true, "user.eids");
            } else {
                goto other;
            }
            break;
        case 6:
            if (!KEQ(k, "gender")) goto other;
            rc = rd_str_once(c, ORTB_PF_GENDER, &u->gender, "user.gender");
            break;
        case 7:
            if (!KEQ(k, "consent")) goto other;
            rc = rd_pf_str(c, ORTB_PF_CONSENT, &u->consent, &u->consent_sig);
            break;
        case 8:
            if (!KEQ(k, "buyeruid")) goto other;
            rc = rd_str_once(c, ORTB_PF_BUYERUID, &u->buyeruid, "user.buyeruid");
            break;
        default:
        other:
            pf_variant(c, k, PF_KEYS(user));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (nxdata) { /* user.data's objects, then user.ext.data's */
        struct ortb_data *all =
            arena_alloc(c->a, (u->ndata + nxdata) * sizeof *all, _Alignof(struct ortb_data));
        if (!all) return fail(c, ORTB_ENOMEM, "user.ext.data", "request too large for request memory");
        if (u->ndata) memcpy(all, u->data, u->ndata * sizeof *all);
        memcpy(all + u->ndata, xdata, nxdata * sizeof *all);
        u->data = all;
        u->ndata += nxdata;
    }
    /* repeated, with a consent string in either copy: which copy's consent holds is unknowable */
    if ((c->pv->bad >> ORTB_PF_USER_DUP & 1) &&
        (c->seen & (1ull << ORTB_PF_CONSENT | 1ull << ORTB_PF_EXT_CONSENT)))
        pf_bad(c, ORTB_PF_USER, ORTB_PFW_DUP);
    if (c->h && c->h->user_key) {
        struct sv key = u->buyeruid.n ? u->buyeruid : u->id;
        if (key.n) c->h->user_key(c->h->arg, key);
    }
    return 0;
}

/* ---- regs ---- */

static int parse_gpp_sid(struct pctx *restrict c, enum ortb_pf f, uint16_t **out, uint32_t *nout,
                         enum ortb_sig *sig)
{
    int rc;
    if (open_here(c, '[')) { /* what pf_begin and the checks below make of it */
        pf_once(c, f);
    } else {
        rc = pf_begin(c, f);
        if (rc) return rc < 0 ? -1 : 0;
        if (json_peek(c->j) != JSON_ARRAY) {
            if (skip(c)) return -1;
            pf_bad(c, f, ORTB_PFW_TYPE);
            return 0;
        }
        json_arr_begin(c->j);
    }
    struct arena_vec v = {.max = ORTB_MAX_LIST};
    *sig = ORTB_SIG_OK;
    while (json_arr_next(c->j)) {
        int64_t sid;
        rc = rd_int_tok(c, &sid);
        if (rc < 0) return -1;
        if (rc || sid < 0 || sid > 0xFFFF) {
            pf_bad(c, f, rc ? ORTB_PFW_TYPE : ORTB_PFW_RANGE);
            continue;
        }
        uint16_t *slot = arena_vec_push(c->a, &v, sizeof *slot, _Alignof(uint16_t));
        if (!slot)
            return fail(c, v.n >= v.max ? ORTB_ELIMIT : ORTB_ENOMEM, ortb_pf[f].path, "too many section ids");
        *slot = (uint16_t)sid;
    }
    if (c->j->err) return -1;
    *out = v.items;
    *nout = v.n;
    return 0;
}

/* Inline (its one caller, parse_regs), as parse_geo, parse_publisher and parse_segments: measured under
 * callgrind, the call's register saves and restores cost more than the larger caller does. */
static inline __attribute__((always_inline)) int parse_regs_ext(struct pctx *restrict c,
                                                                struct ortb_regs *restrict r)
{
    int in = pf_obj(c, ORTB_PF_REGS_EXT);
    if (in <= 0) return in;
    r->ext_sig = ORTB_SIG_OK;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "gdpr"))
            rc = rd_pf_int(c, ORTB_PF_EXT_GDPR, &r->ext_gdpr, &r->ext_gdpr_sig);
        else if (KEQ(k, "coppa")) /* read as regs.coppa is: a bidder downstream may honour this copy */
            rc = rd_pf_int(c, ORTB_PF_EXT_COPPA, &r->ext_coppa, NULL);
        else if (KEQ(k, "us_privacy"))
            rc = rd_pf_str(c, ORTB_PF_EXT_US_PRIVACY, &r->ext_us_privacy, &r->ext_us_privacy_sig);
        else if (KEQ(k, "gpc"))
            rc = rd_pf_int(c, ORTB_PF_GPC, &r->gpc, &r->gpc_sig);
        else if (KEQ(k, "gpp"))
            rc = rd_pf_str(c, ORTB_PF_EXT_GPP, &r->ext_gpp, &r->ext_gpp_sig);
        else if (KEQ(k, "gpp_sid"))
            rc =
                parse_gpp_sid(c, ORTB_PF_EXT_GPP_SID, &r->ext_gpp_sid, &r->ext_ngpp_sid, &r->ext_gpp_sid_sig);
        else if (KEQ(k, "dsa")) {
            /* present in any shape: the DSA rules apply (they only restrict) */
            if (json_peek(c->j) != JSON_NULL && json_peek(c->j) != JSON_NONE) r->has_dsa = true;
            rc = pf_obj(c, ORTB_PF_DSA);
            if (rc > 0) {
                struct sv dk;
                rc = 0;
                while (!rc && json_obj_next(c->j, &dk)) rc = skip(c);
                if (c->j->err) rc = -1;
            }
        } else {
            pf_variant(c, k, PF_KEYS(regs_ext));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

static int parse_regs(struct pctx *restrict c, struct ortb_regs *restrict r)
{
    /* regs given twice is bad (which one holds?); regs of another type stays a 400 (enter) */
    if (open_here(c, '{')) {
        pf_once(c, ORTB_PF_REGS);
    } else {
        bool present;
        enum json_type t = json_peek(c->j);
        if (t != JSON_NULL && t != JSON_NONE) pf_once(c, ORTB_PF_REGS);
        if (enter(c, &present, "regs")) return -1;
        if (!present) return 0;
    }
    r->present = true;
    struct sv k;
    while (next_key(c, &k)) {
        int rc;
        if (KEQ(k, "coppa"))
            rc = rd_pf_int(c, ORTB_PF_COPPA, &r->coppa, NULL);
        else if (KEQ(k, "gdpr"))
            rc = rd_pf_int(c, ORTB_PF_GDPR, &r->gdpr, &r->gdpr_sig);
        else if (KEQ(k, "us_privacy"))
            rc = rd_pf_str(c, ORTB_PF_US_PRIVACY, &r->us_privacy, &r->us_privacy_sig);
        else if (KEQ(k, "gpp"))
            rc = rd_pf_str(c, ORTB_PF_GPP, &r->gpp, &r->gpp_sig);
        else if (KEQ(k, "gpp_sid"))
            rc = parse_gpp_sid(c, ORTB_PF_GPP_SID, &r->gpp_sid, &r->ngpp_sid, &r->gpp_sid_sig);
        else if (KEQ(k, "ext"))
            rc = parse_regs_ext(c, r);
        else {
            pf_variant(c, k, PF_KEYS(regs));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    return c->j->err ? -1 : 0;
}

/* ---- request ---- */

static int parse_request(struct pctx *restrict c, struct ortb_request *r)
{
    struct sv k;
    bool seen_imp = false;
    while (next_key(c, &k)) {
        int rc;
        /* by length first: each key is compared with the few names of its length only */
        switch (k.n) {
        case 2:
            if (KEQ(k, "id")) {
                if (json_peek(c->j) != JSON_STRING && json_peek(c->j) != JSON_NONE)
                    return fail(c, ORTB_EREQUIRED, "id", "id must be a non-empty string");
                rc = rd_str(c, &r->id, "id");
            } else if (KEQ(k, "at"))
                rc = rd_i32(c, &r->at, "at");
            else
                goto other;
            break;
        case 3:
            if (KEQ(k, "imp")) {
                /* a second imp array would replace the first, private auctions and floors with it */
                if (seen_imp) return fail(c, ORTB_EINVALID, "imp", "given twice");
                seen_imp = true;
                rc = parse_imps(c, r);
            } else if (KEQ(k, "cur"))
                rc = rd_list_as(c, &r->cur, "cur", LIST_ALLOW);
            else if (KEQ(k, "app"))
                rc = parse_context(c, &r->ctx, ORTB_CTX_APP, "app");
            else
                goto other;
            break;
        case 4: /* nine names: the ones nearly every request carries first (the names differ, so the order
                 * is only the cost) */
            if (KEQ(k, "site"))
                rc = parse_context(c, &r->ctx, ORTB_CTX_SITE, "site");
            else if (KEQ(k, "user"))
                rc = parse_user(c, &r->user);
            else if (KEQ(k, "regs"))
                rc = parse_regs(c, &r->regs);
            else if (KEQ(k, "tmax"))
                rc = rd_i32(c, &r->tmax, "tmax");
            else if (KEQ(k, "bcat"))
                rc = rd_list_as(c, &r->bcat, "bcat", LIST_BLOCK);
            else if (KEQ(k, "badv"))
                rc = rd_list_as(c, &r->badv, "badv", LIST_BLOCK);
            else if (KEQ(k, "test"))
                rc = rd_i32(c, &r->test, "test");
            else if (KEQ(k, "bapp"))
                rc = rd_list_as(c, &r->bapp, "bapp", LIST_BLOCK);
            else if (KEQ(k, "dooh"))
                rc = parse_context(c, &r->ctx, ORTB_CTX_DOOH, "dooh");
            else
                goto other;
            break;
        case 6:
            if (KEQ(k, "cattax")) {
                /* which taxonomy bcat is in: another copy could move a block into a taxonomy nothing matches
                 */
                int32_t prev = r->cattax;
                rc = rd_i32(c, &r->cattax, "cattax");
                if (!rc && prev != ORTB_UNSET && r->cattax != prev)
                    return fail(c, ORTB_EINVALID, "cattax", "given twice with different values");
            } else if (KEQ(k, "device"))
                rc = parse_device(c, &r->device);
            else
                goto other;
            break;
        default:
        other:
            pf_variant(c, k, PF_KEYS(root));
            rc = skip(c);
        }
        if (rc) return -1;
    }
    if (c->j->err) return -1;
    if (json_finish(c->j)) return -1;
    if (r->id.n == 0) return fail(c, ORTB_EREQUIRED, "id", "request id is missing or empty");
    if (!seen_imp || r->nimp == 0) return fail(c, ORTB_EREQUIRED, "imp", "imp is missing or empty");
    for (uint32_t i = 1; i < r->nimp; i++)
        for (uint32_t q = 0; q < i; q++)
            if (sv_eq(r->imp[i].id, r->imp[q].id))
                return fail(c, ORTB_EINVALID, "imp.id", "imp ids must be unique within a request");
    return 0;
}

int ortb_parse(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
               struct ortb_error *err)
{
    return ortb_parse_ex(body, len, arena, req, err, NULL);
}

int ortb_parse_ex(const char *body, size_t len, struct arena *arena, struct ortb_request *req,
                  struct ortb_error *err, const struct ortb_hooks *h)
{
    /* member by member, not `= {...}`: that zeroes the embedded parser first (13 stores), which json_init
     * then writes in full anyway */
    struct pctx c;
    c.a = arena;
    c.err = err;
    c.h = h;
    c.pv = &req->priv;
    c.code = 0;
    c.seen = 0;
    struct json *j = c.j;
    json_init(j, body, len, arena);
    arena_zero(req, sizeof *req); /* 16-byte stores, not rep stos: see arena.h */
    memset(err, 0, sizeof *err);
    req->tmax = req->at = req->cattax = req->test = ORTB_UNSET;
    req->ctx.cattax = req->ctx.content_cattax = ORTB_UNSET;
    req->device.dnt = req->device.lmt = req->device.devicetype = ORTB_UNSET;
    req->device.geo.type = req->user.geo.type = ORTB_UNSET;
    req->user.yob = ORTB_UNSET;
    req->regs.coppa = req->regs.ext_coppa = req->regs.gdpr = req->regs.ext_gdpr = req->regs.gpc = ORTB_UNSET;

    enum json_type t = json_peek(j);
    if (t == JSON_NONE) {
        if (len == 0 || j->p >= j->end) j->err_msg = "empty body: expected a JSON object";
    } else if (t != JSON_OBJECT) {
        /* validate first, so "[1," reports the syntax error rather than the shape */
        if (json_skip(j) == 0 && json_finish(j) == 0) {
            err->code = ORTB_ESHAPE;
            err->msg = "a bid request must be a JSON object";
            err->offset = 0;
            return ORTB_ESHAPE;
        }
    } else {
        json_obj_begin(j);
        int rc = parse_request(&c, req);
        req->priv.seen = c.seen;
        if (rc == 0) {
            pf_finish(req);
            return ORTB_OK;
        }
    }
    if (c.code) return c.code;
    err->code = j->err == JSON_ENOMEM ? ORTB_ENOMEM : ORTB_EJSON;
    err->msg = j->err_msg ? j->err_msg : "malformed JSON";
    err->field = j->err_path;
    err->offset = j->err_off;
    return err->code;
}

const char *ortb_strerror(int code)
{
    switch (code) {
    case ORTB_OK:
        return "ok";
    case ORTB_EJSON:
        return "malformed JSON";
    case ORTB_ESHAPE:
        return "not a JSON object";
    case ORTB_EREQUIRED:
        return "required field missing";
    case ORTB_EINVALID:
        return "invalid field";
    case ORTB_ELIMIT:
        return "too many entries";
    case ORTB_ENOMEM:
        return "request too large for request memory";
    default:
        return "unknown error";
    }
}
