/* privacy_monotone: the property "a restricting change to a request never lets more bid", shared by the
 * Criterion test (tests/unit/test_privacy_monotone.c, in ctest) and the libFuzzer target
 * (tests/fuzz/fuzz_privacy_monotone.c). Test code: it allocates and reads files, filters/ does not.
 *
 * Base requests: every file of tests/data/openrtb-corpus/valid that parses, and the load generator's traffic
 * (loadgen/gen.c through fairbid_loadgen_lib, several option mixes). A program of bytes picks a base request
 * and applies 1-4 restricting mutations to its JSON text (add coppa 1, a minor's yob, lmt 1, GPC, gdpr 1, a
 * US Privacy opt-out, a GPP US National opt-out, a duplicate of any privacy key with a restricting or garbage
 * value, a privacy value out of range or of the wrong type, a wrong-typed ext container, a corrupted or
 * removed consent string) and/or a stored opt-out / minor record / untrusted mirror through the
 * consent_store_view. Both requests are decided in-process against a campaign set with contextual,
 * personal-data (segments, age, gender), sensitive (health segments) and high-risk (gambling) campaigns.
 *
 * The property: the set of eligible (imp, campaign) pairs (verdict bid or auction.lost: everything but the
 * auction said yes) never grows, and no personal-data campaign wins an imp it was not eligible for before.
 * "Eligible" rather than "won": dropping the winner lets the runner-up win, which is not a widening. */
#ifndef FAIRBID_TESTS_PRIVACY_MONOTONE_H
#define FAIRBID_TESTS_PRIVACY_MONOTONE_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/buf.h"
#include "filters/consent.h"
#include "filters/decide.h"
#include "filters/json.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "loadgen/gen.h"

#define PM_YEAR 2026
#define PM_MAXREQ (1 << 17)
#define PM_MAXBASE 1024

#define PM_FMTS                                                                                              \
    "\"formats\":[{\"w\":300,\"h\":250},{\"w\":728,\"h\":90},{\"w\":320,\"h\":50},{\"w\":160,\"h\":600},"    \
    "{\"w\":300,\"h\":600},{\"w\":320,\"h\":480},{\"w\":970,\"h\":250},{\"w\":300,\"h\":50},"                \
    "{\"w\":468,\"h\":60},{\"w\":1920,\"h\":1080},{\"w\":1080,\"h\":1920},{\"w\":320,\"h\":100}]"
#define PM_CAMP(id, price, extra)                                                                            \
    "{\"id\":\"" id "\",\"crid\":\"c-" id "\",\"bid_cpm\":" price ",\"adm\":\"x\"," PM_FMTS extra "}"

/* Prices differ so the auction has a winner and runners-up; all high enough for most floors. */
static const char PM_CONFIG[] =
    "{\"currency\":\"USD\",\"tcf_vendor_id\":1000,\"policy\":\"policy.json\",\"campaigns\":[" PM_CAMP(
        "ctx-plain",
        "20", "") "," PM_CAMP("ctx-sitecat", "21",
                              ",\"targeting\":{\"site_cat\":[\"IAB12\",\"IAB1\",\"IAB3\",\"1\","
                              "\"IAB17\",\"IAB19\",\"IAB9\",\"IAB1-1\"]}") "," PM_CAMP("casino", "22", ",\"cat\":[\"1362\"],\"cattax\":8") "," PM_CAMP("pers-seg",
                                                                                                                                                       "30",
                                                                                                                                                       ",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"243\",\"244\",\"245\",\"246\",\"248\",\"249\","
                                                                                                                                                       "\"252\",\"253\",\"254\",\"255\",\"266\",\"2\",\"3\",\"4\",\"5\",\"6\",\"49\",\"50\",\"51\"]}]}") "," PM_CAMP("pers-age", "31", ",\"targeting\":{\"age\":{\"min\":18,\"max\":99}}") "," PM_CAMP("pers-gender", "32", ",\"targeting\":{\"gender\":[\"M\",\"F\",\"O\"]}") "," PM_CAMP("sens-health", "33", ",\"targeting\":{\"segments\":[{\"segtax\":4,\"ids\":[\"382\",\"383\",\"385\",\"386\",\"389\"]}]}") "," PM_CAMP("pers-casino",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                "34", ",\"cat\":[\"1362\"],\"cattax\":8,\"targeting\":{\"age\":{\"min\":21,\"max\":99}}") "," PM_CAMP("ctx-country", "23", ",\"targeting\":{\"countries\":[\"USA\",\"DEU\",\"FRA\",\"GBR\",\"CAN\"]}") "]}";

struct pm_base {
    char *body;
    size_t len;
    const char *name;
};

struct pm_state {
    struct config *cfg;
    struct pm_base base[PM_MAXBASE];
    uint32_t nbase, ncorpus;
    /* counters, for the report */
    uint64_t runs, applied, rejected, restricted, eligible_before, eligible_after;
};

static struct pm_state pm;
static _Alignas(64) char pm_amem[2][1 << 21];
static char pm_buf[2][PM_MAXREQ];

static const char *pm_src_dir(void)
{
    const char *d = getenv("FAIRBID_SOURCE_DIR");
#ifdef FAIRBID_SOURCE_DIR
    if (!d || !*d) d = FAIRBID_SOURCE_DIR;
#endif
    return d && *d ? d : ".";
}

static int pm_decide(const char *body, size_t len, const struct consent_store_view *sv, struct arena *a,
                     struct ortb_request *req, struct decide_result *res)
{
    struct ortb_error e;
    if (ortb_parse(body, len, a, req, &e) != 0) return -1;
    struct decide_env env = {.now_ms = 1790000000000, .year = PM_YEAR, .store = sv};
    return decide_run(&pm.cfg->campaigns, req, &env, a, res) == 0 ? 0 : -1;
}

static void pm_add_base(const char *body, size_t len, const char *name)
{
    if (pm.nbase >= PM_MAXBASE || len + 1 > PM_MAXREQ / 2) return;
    struct arena a;
    arena_init(&a, pm_amem[0], sizeof pm_amem[0]);
    struct ortb_request req;
    struct decide_result res;
    if (pm_decide(body, len, NULL, &a, &req, &res)) return; /* a request fairbid refuses is no base */
    char *p = malloc(len + 1);
    if (!p) return;
    memcpy(p, body, len);
    p[len] = '\0';
    pm.base[pm.nbase++] = (struct pm_base){p, len, name};
}

/* Returns NULL or a message. */
static const char *pm_setup(void)
{
    static char err[512], name[1024];
    if (pm.cfg) return NULL;
    snprintf(name, sizeof name, "%s/deploy/privacy-monotone.json", pm_src_dir());
    pm.cfg = config_parse_load(name, PM_CONFIG, sizeof PM_CONFIG - 1, NULL, err, sizeof err);
    if (!pm.cfg) return err;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/data/openrtb-corpus/valid", pm_src_dir());
    DIR *d = opendir(dir);
    if (!d) return "no corpus at tests/data/openrtb-corpus/valid";
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        size_t n = fread(pm_buf[0], 1, PM_MAXREQ / 2, f);
        fclose(f);
        pm_add_base(pm_buf[0], n, strdup(de->d_name));
    }
    closedir(d);
    pm.ncorpus = pm.nbase;
    /* the load generator's traffic: defaults, then mixes heavy in each privacy signal */
    for (int mix = 0; mix < 4; mix++) {
        struct gen_opts o;
        gen_opts_default(&o);
        o.seed = 12 + (uint64_t)mix;
        o.users = 50;
        o.vendor_id = 1000;
        if (mix == 1) o.gdpr_share = 0.6;
        if (mix == 2) o.gpp_share = 0.7, o.usp_share = 0.5, o.optout_share = 0.2;
        if (mix == 3) o.gpc_share = 0.3, o.coppa_share = 0.2, o.minor_share = 0.3, o.dsa_share = 0.3;
        for (uint64_t k = 0; k < 64; k++) {
            struct buf b;
            buf_init(&b, pm_buf[0], PM_MAXREQ / 2);
            struct gen_meta meta;
            gen_request(&o, k, &b, &meta);
            if (!b.overflow) pm_add_base(b.p, b.len, "loadgen");
        }
    }
    return pm.nbase ? NULL : "no base request parsed";
}

/* ---- text edits on the request JSON ---- */

struct pm_text {
    char *p;
    size_t n, cap;
};

static bool pm_splice(struct pm_text *t, size_t at, size_t del, const char *ins, size_t nins)
{
    if (at + del > t->n || t->n - del + nins + 1 > t->cap) return false;
    memmove(t->p + at + nins, t->p + at + del, t->n - at - del);
    memcpy(t->p + at, ins, nins);
    t->n = t->n - del + nins;
    t->p[t->n] = '\0';
    return true;
}

static size_t pm_ws(const struct pm_text *t, size_t i)
{
    while (i < t->n && (t->p[i] == ' ' || t->p[i] == '\n' || t->p[i] == '\r' || t->p[i] == '\t')) i++;
    return i;
}

/* In the object whose '{' is at obj: the first member named key. *ks = where its key starts, [*vs, *ve) its
 * value (leading blanks skipped). false when absent. */
static bool pm_find(const struct pm_text *t, size_t obj, const char *key, size_t *ks, size_t *vs, size_t *ve)
{
    static _Alignas(16) char am[1 << 16];
    struct arena a;
    arena_init(&a, am, sizeof am);
    struct json j;
    json_init(&j, t->p + obj, t->n - obj, &a);
    if (json_peek(&j) != JSON_OBJECT) return false;
    json_obj_begin(&j);
    struct sv k;
    size_t klen = strlen(key);
    for (;;) {
        size_t before = (size_t)(j.p - t->p);
        if (!json_obj_next(&j, &k)) return false;
        size_t at = (size_t)(j.p - t->p);
        if (k.n == klen && memcmp(k.p, key, klen) == 0) {
            *ks = pm_ws(t, before);
            if (t->p[*ks] == ',') *ks = pm_ws(t, *ks + 1);
            *vs = pm_ws(t, at);
            if (json_skip(&j)) return false;
            *ve = (size_t)(j.p - t->p);
            return true;
        }
        if (json_skip(&j)) return false;
    }
}

/* The '{' of the container at path (NULL-terminated, up to 2 keys), created when absent or null when create.
 * Returns false when it is there with another type. */
static bool pm_container(struct pm_text *t, const char *const *path, bool create, size_t *obj)
{
    size_t o = pm_ws(t, 0);
    for (int d = 0; path[d]; d++) {
        size_t ks, vs, ve;
        if (!pm_find(t, o, path[d], &ks, &vs, &ve)) {
            if (!create) return false;
            char ins[64];
            size_t first = pm_ws(t, o + 1);
            int n = snprintf(ins, sizeof ins, "\"%s\":{}%s", path[d], t->p[first] == '}' ? "" : ",");
            if (!pm_splice(t, o + 1, 0, ins, (size_t)n)) return false;
            o = o + 1 + strlen(path[d]) + 3;
            continue;
        }
        if (t->p[vs] == 'n') { /* null */
            if (!create || !pm_splice(t, vs, ve - vs, "{}", 2)) return false;
        } else if (t->p[vs] != '{') {
            return false;
        }
        o = vs;
    }
    *obj = o;
    return true;
}

/* Sets key to the raw JSON value v in the container (replacing the first existing member), or inserts two
 * members (dup: the existing or a clean value, and v, in the order `v_first`). */
static bool pm_set(struct pm_text *t, const char *const *path, const char *key, const char *v)
{
    size_t o, ks, vs, ve;
    if (!pm_container(t, path, true, &o)) return false;
    if (pm_find(t, o, key, &ks, &vs, &ve)) return pm_splice(t, vs, ve - vs, v, strlen(v));
    char ins[4096];
    size_t first = pm_ws(t, o + 1);
    int n = snprintf(ins, sizeof ins, "\"%s\":%s%s", key, v, t->p[first] == '}' ? "" : ",");
    return n > 0 && (size_t)n < sizeof ins && pm_splice(t, o + 1, 0, ins, (size_t)n);
}

static bool pm_dup(struct pm_text *t, const char *const *path, const char *key, const char *v,
                   const char *clean, bool v_first)
{
    size_t o, ks, vs, ve;
    if (!pm_container(t, path, true, &o)) return false;
    char ins[4096];
    size_t first = pm_ws(t, o + 1);
    const char *tail = t->p[first] == '}' ? "" : ",";
    int n;
    bool there = pm_find(t, o, key, &ks, &vs, &ve);
    /* null then a value is the key given once (null is "absent"): for an absent key that adds the clean
       value, which is no restriction */
    if (!there && !strcmp(v, "null")) return false;
    if (there) /* one more copy makes the duplicate */
        n = snprintf(ins, sizeof ins, "\"%s\":%s%s", key, v, tail);
    else if (v_first)
        n = snprintf(ins, sizeof ins, "\"%s\":%s,\"%s\":%s%s", key, v, key, clean, tail);
    else
        n = snprintf(ins, sizeof ins, "\"%s\":%s,\"%s\":%s%s", key, clean, key, v, tail);
    return n > 0 && (size_t)n < sizeof ins && pm_splice(t, o + 1, 0, ins, (size_t)n);
}

/* Removes the member key from the container (and its comma). */
static bool pm_remove(struct pm_text *t, const char *const *path, const char *key)
{
    size_t o, ks, vs, ve;
    if (!pm_container(t, path, false, &o) || !pm_find(t, o, key, &ks, &vs, &ve)) return false;
    size_t end = pm_ws(t, ve);
    if (t->p[end] == ',') return pm_splice(t, ks, pm_ws(t, end + 1) - ks, "", 0);
    /* the last member: take the comma before it */
    size_t s = ks;
    while (s > o + 1 && t->p[s - 1] != ',') s--;
    if (s > o + 1) s--;
    return pm_splice(t, s, end - s, "", 0);
}

/* ---- the mutations ---- */

static const char *const P_ROOT[] = {NULL};
static const char *const P_REGS[] = {"regs", NULL};
static const char *const P_REGS_EXT[] = {"regs", "ext", NULL};
static const char *const P_USER[] = {"user", NULL};
static const char *const P_USER_EXT[] = {"user", "ext", NULL};
static const char *const P_DEVICE[] = {"device", NULL};
static const char *const P_GEO[] = {"device", "geo", NULL};
static const char *const P_UGEO[] = {"user", "geo", NULL};

struct pm_field {
    const char *const *path;
    const char *key;
    const char *clean;       /* a harmless value, for duplicates of an absent key */
    const char *const *vals; /* restricting values */
    bool dup_only;           /* only a second copy restricts: another value in its place may widen (a list
                                that blocks, where or who the person is) */
};

static const char *const V_FLAG1[] = {"1", NULL};
static const char *const V_GPC[] = {"1", "\"1\"", NULL};
static const char *const V_YOB[] = {"2016", "2020", "2011", NULL};
static const char *const V_USP[] = {"\"1YYN\"", "\"1YYY\"", NULL};
static const char *const V_NONE[] = {NULL};

static const struct pm_field pm_fields[] = {
    {P_REGS, "coppa", "0", V_FLAG1, false},
    {P_REGS, "gdpr", "0", V_FLAG1, false},
    {P_REGS, "us_privacy", "\"1NNN\"", V_USP, false},
    {P_REGS, "gpp", "\"\"", V_NONE, false},
    {P_REGS, "gpp_sid", "[]", V_NONE, false},
    {P_REGS, "ext", "{}", V_NONE, false},
    {P_REGS_EXT, "gdpr", "0", V_FLAG1, false},
    {P_REGS_EXT, "us_privacy", "\"1NNN\"", V_USP, false},
    {P_REGS_EXT, "gpc", "0", V_GPC, false},
    {P_REGS_EXT, "dsa", "{}", V_NONE, false},
    {P_REGS_EXT, "gpp", "\"\"", V_NONE, false},
    {P_REGS_EXT, "gpp_sid", "[]", V_NONE, false},
    {P_USER, "yob", "1980", V_YOB, false},
    {P_USER, "consent", "\"\"", V_NONE, false},
    {P_USER, "ext", "{}", V_NONE, false},
    {P_USER, "data", "[]", V_NONE, false},
    {P_USER_EXT, "consent", "\"\"", V_NONE, false},
    {P_DEVICE, "lmt", "0", V_FLAG1, false},
    {P_DEVICE, "dnt", "0", V_FLAG1, false},
    {P_ROOT, "regs", "{}", V_NONE, false},
    /* the shapes that failed open after the first table (test_privacy_fields.c, other_shapes) */
    {P_ROOT, "user", "{}", V_NONE, true},
    {P_ROOT, "device", "{}", V_NONE, true},
    {P_DEVICE, "geo", "{}", V_NONE, true},
    {P_GEO, "country", "\"USA\"", V_NONE, true},
    {P_GEO, "region", "\"CA\"", V_NONE, true},
    {P_GEO, "lat", "40", V_NONE, true},
    {P_GEO, "lon", "-74", V_NONE, true},
    {P_USER, "gender", "\"O\"", V_NONE, true},
    {P_ROOT, "bcat", "[]", V_NONE, true},
    {P_ROOT, "badv", "[]", V_NONE, true},
    {P_ROOT, "bapp", "[]", V_NONE, true},
    {P_ROOT, "cur", "[\"USD\"]", V_NONE, true},
    /* the shape sweep's second pass: where the user says they live, who they are for the consent store */
    {P_USER, "geo", "{}", V_NONE, true},
    {P_UGEO, "country", "\"USA\"", V_NONE, true},
    {P_UGEO, "region", "\"CA\"", V_NONE, true},
    {P_USER, "id", "\"u\"", V_NONE, true},
    {P_USER, "buyeruid", "\"b\"", V_NONE, true},
};
#define PM_NFIELDS (sizeof pm_fields / sizeof pm_fields[0])

/* garbage of every shape, and values out of every range */
static const char *const pm_garbage[] = {
    "2",
    "-1",
    "9999",
    "1800",
    "1.5",
    "1e999",
    "99999999999999999999",
    "true",
    "false",
    "\"x\"",
    "\"2\"",
    "\"\"",
    "{}",
    "[]",
    "[1,2]",
    "{\"a\":1}",
    "\"1YYN\"",
    "0",
    "1",
    "null",
    /* numbers a double rounds to 0 or 1, and one that is no integer in any rounding */
    "1e-400",
    "-1e-400",
    "0.00000000000000000001",
    "1.0000000000000000001",
    "2008.00000000000000001",
    "[\"EUR\"]",
    "[\"IAB25\"]",
};
#define PM_NGARBAGE (sizeof pm_garbage / sizeof pm_garbage[0])
/* values that are good (and possibly less restrictive) for some field: not a restricting replacement */
static const char *const pm_not_bad[] = {"0",  "1",         "null",     "\"\"",  "{}",
                                         "[]", "{\"a\":1}", "\"1YYN\"", "\"2\"", NULL};

#define GPP_USNAT_SALE_OPTOUT "DBABLA~CEAQAAAAAACA.QA"

struct pm_prog {
    const uint8_t *p;
    size_t n, i;
};

static unsigned pm_byte(struct pm_prog *g)
{
    return g->i < g->n ? g->p[g->i++] : 0;
}

/* One restricting mutation; returns false when it does not apply to this request (nothing changed). */
static bool pm_mutate(struct pm_text *t, struct pm_prog *g, struct consent_stored *rec,
                      struct consent_store_view *view, char *log, size_t logcap)
{
    unsigned op = pm_byte(g) % 16, a = pm_byte(g), b = pm_byte(g);
    const struct pm_field *f = &pm_fields[a % PM_NFIELDS];
    char v[64];
    size_t o, ks, vs, ve;
    bool ok = false;
    switch (op) {
    case 0:
        ok = pm_set(t, P_REGS, "coppa", "1");
        snprintf(log, logcap, "coppa 1");
        break;
    case 1:
        snprintf(v, sizeof v, "%d", PM_YEAR - 1 - (int)(b % 17));
        ok = pm_set(t, P_USER, "yob", v);
        snprintf(log, logcap, "yob %s", v);
        break;
    case 2:
        ok = pm_set(t, P_DEVICE, b & 1 ? "dnt" : "lmt", "1");
        snprintf(log, logcap, "%s 1", b & 1 ? "dnt" : "lmt");
        break;
    case 3:
        ok = pm_set(t, P_REGS_EXT, "gpc", b & 1 ? "\"1\"" : "1");
        snprintf(log, logcap, "gpc 1");
        break;
    case 4:
        ok = pm_set(t, P_REGS, "us_privacy", b & 1 ? "\"1YYN\"" : "\"1yyy\"");
        snprintf(log, logcap, "us_privacy opt-out");
        break;
    case 5: { /* a GPP US National sale opt-out in regs.gpp or regs.ext.gpp, where no GPP string is there
                 (replacing one could drop a TCF EU section that restricted more) */
        const char *const *path = b & 1 ? P_REGS_EXT : P_REGS;
        if (pm_container(t, path, true, &o) &&
            (!pm_find(t, o, "gpp", &ks, &vs, &ve) || (ve - vs == 2 && t->p[vs] == '"') || t->p[vs] == 'n'))
            ok = pm_set(t, path, "gpp", "\"" GPP_USNAT_SALE_OPTOUT "\"");
        snprintf(log, logcap, "%s US National sale opt-out", b & 1 ? "regs.ext.gpp" : "regs.gpp");
        break;
    }
    case 6: /* a duplicate with a restricting value */
        if (!f->vals[0]) return false;
        ok = pm_dup(t, f->path, f->key, f->vals[b % 3 < 1 || !f->vals[1] ? 0 : 1], f->clean, b & 0x80);
        snprintf(log, logcap, "dup %s%s%s restricting", f->path[0] ? f->path[0] : "",
                 f->path[0] && f->path[1] ? ".ext."
                 : f->path[0]             ? "."
                                          : "",
                 f->key);
        break;
    case 7: /* a duplicate with garbage */
        ok = pm_dup(t, f->path, f->key, pm_garbage[b % PM_NGARBAGE], f->clean, b & 0x80);
        snprintf(log, logcap, "dup %s%s%s = %s", f->path[0] ? f->path[0] : "",
                 f->path[0] && f->path[1] ? ".ext."
                 : f->path[0]             ? "."
                                          : "",
                 f->key, pm_garbage[b % PM_NGARBAGE]);
        break;
    case 8:                                                 /* garbage or out of range instead of the value */
        if (f->path == P_ROOT || f->dup_only) return false; /* regs of another type is a 400: covered */
        ok = pm_set(t, f->path, f->key, pm_garbage[b % PM_NGARBAGE]);
        /* setting a harmless value (0, null) instead of a restricting one could lift it: only shapes that
           are bad for every field count */
        for (const char *const *x = pm_not_bad; *x; x++)
            if (!strcmp(pm_garbage[b % PM_NGARBAGE], *x)) return false; /* the caller restores the text */
        snprintf(log, logcap, "set %s = %s", f->key, pm_garbage[b % PM_NGARBAGE]);
        break;
    case 9: { /* corrupt a consent string: a '!' inside it is outside every alphabet */
        static const struct {
            const char *const *path;
            const char *key;
        } strs[] = {{P_USER, "consent"},        {P_USER_EXT, "consent"}, {P_REGS, "us_privacy"},
                    {P_REGS_EXT, "us_privacy"}, {P_REGS, "gpp"},         {P_REGS_EXT, "gpp"}};
        unsigned s = a % 6;
        if (!pm_container(t, strs[s].path, false, &o) || !pm_find(t, o, strs[s].key, &ks, &vs, &ve) ||
            t->p[vs] != '"' || ve - vs < 3)
            return false;
        size_t at = vs + 1 + b % (ve - vs - 2);
        ok = pm_splice(t, at, 0, "!", 1);
        snprintf(log, logcap, "corrupt %s", strs[s].key);
        break;
    }
    case 10: /* remove the TC strings (unless two that disagree: the request was malformed, and without
                them it is a clean one) */
        if (pm_container(t, P_USER, false, &o) && pm_find(t, o, "consent", &ks, &vs, &ve)) {
            size_t o2, ks2, vs2, ve2;
            if (pm_container(t, P_USER_EXT, false, &o2) && pm_find(t, o2, "consent", &ks2, &vs2, &ve2) &&
                (ve - vs != ve2 - vs2 || memcmp(t->p + vs, t->p + vs2, ve - vs)))
                return false;
        }
        ok = pm_remove(t, P_USER, "consent");
        ok = pm_remove(t, P_USER_EXT, "consent") || ok;
        snprintf(log, logcap, "remove TC strings");
        break;
    case 11:
        ok = pm_set(t, P_REGS, "gdpr", "1");
        snprintf(log, logcap, "gdpr 1");
        break;
    case 12: /* a wrong-typed ext container */
        ok = pm_set(t, b & 1 ? P_USER : P_REGS, "ext", b & 2 ? "\"x\"" : "5");
        snprintf(log, logcap, "%s.ext wrong type", b & 1 ? "user" : "regs");
        break;
    case 14: { /* a second id in a segment of user.data that has one: a vulnerability, health or targeted
                  segment in one copy */
        static const char *const ids[] = {"\"382\"", "\"243\"", "\"5\"", "\"1\""};
        char *d = strstr(t->p, "\"segment\"");
        for (unsigned skip = b % 4; d && skip; skip--) d = strstr(d + 1, "\"segment\"");
        char *q = d ? strchr(d, '[') : NULL;
        if (!q || !(q = strchr(q, '{')) || q - d > 64) return false;
        o = (size_t)(q - t->p);
        if (!pm_find(t, o, "id", &ks, &vs, &ve)) return false;
        snprintf(v, sizeof v, "\"id\":%s,", ids[a % 4]);
        ok = pm_splice(t, o + 1, 0, v, strlen(v));
        snprintf(log, logcap, "second segment id %s", ids[a % 4]);
        break;
    }
    case 15: { /* name another place: a user.geo where there is none, or a GPP US state section id; the
                  rules of every place named apply */
        static const char *const places[] = {
            "{\"country\":\"USA\",\"region\":\"MD\"}", "{\"country\":\"DEU\"}", "{\"country\":\"USA\"}",
            "{\"region\":\"US-OR\"}", "{\"country\":\"USA\",\"region\":\"CO\"}"};
        if (b & 1) {
            if (pm_container(t, P_USER, false, &o) && pm_find(t, o, "geo", &ks, &vs, &ve) && t->p[vs] != 'n')
                return false;
            ok = pm_set(t, P_USER, "geo", places[a % 5]);
            snprintf(log, logcap, "user.geo %s", places[a % 5]);
        } else {
            /* appended to a gpp_sid that is a clean array of integers, or a new one */
            static const char *const sids[] = {"24", "15", "8", "7", "10"};
            if (pm_container(t, P_REGS, false, &o) && pm_find(t, o, "gpp_sid", &ks, &vs, &ve)) {
                if (t->p[vs] != '[' || t->p[ve - 1] != ']') return false;
                for (size_t q = vs + 1; q + 1 < ve; q++)
                    if (!strchr("0123456789, ", t->p[q])) return false;
                bool empty = pm_ws(t, vs + 1) == ve - 1;
                snprintf(v, sizeof v, "%s%s", empty ? "" : ",", sids[a % 5]);
                ok = pm_splice(t, ve - 1, 0, v, strlen(v));
            } else {
                snprintf(v, sizeof v, "[%s]", sids[a % 5]);
                ok = pm_set(t, P_REGS, "gpp_sid", v);
            }
            snprintf(log, logcap, "gpp_sid + %s", sids[a % 5]);
        }
        break;
    }
    default: /* the consent store */
        if (b % 3 == 0) rec->optout = true;
        if (b % 3 == 1) rec->minor = true;
        if (b % 3 == 2) view->trusted = false;
        view->rec = rec;
        snprintf(log, logcap, "store %s", b % 3 == 0 ? "optout" : b % 3 == 1 ? "minor" : "untrusted");
        return true;
    }
    return ok;
}

/* Runs one program. Returns NULL when the property holds, else a message (static). */
static const char *pm_run(const uint8_t *prog, size_t nprog)
{
    static char msg[8192];
    struct pm_prog g = {prog, nprog, 0};
    if (!pm.nbase) return NULL;
    unsigned pick = pm_byte(&g) | pm_byte(&g) << 8;
    const struct pm_base *base = &pm.base[pick % pm.nbase];
    pm.runs++;

    struct pm_text t = {pm_buf[1], base->len, PM_MAXREQ};
    memcpy(t.p, base->body, base->len);
    t.p[t.n] = '\0';
    struct consent_stored rec = {0};
    struct consent_store_view view = {.trusted = true, .rec = NULL};
    char log[1024] = "";
    size_t ll = 0;
    unsigned nmut = 1 + pm_byte(&g) % 4;
    bool any = false;
    for (unsigned m = 0; m < nmut; m++) {
        char one[256] = "";
        size_t keep = t.n;
        static char save[PM_MAXREQ];
        memcpy(save, t.p, t.n + 1);
        if (pm_mutate(&t, &g, &rec, &view, one, sizeof one)) {
            any = true;
            ll += (size_t)snprintf(log + ll, sizeof log - ll, "%s%s", ll ? "; " : "", one);
            if (ll >= sizeof log) ll = sizeof log - 1;
        } else {
            memcpy(t.p, save, keep + 1);
            t.n = keep;
        }
    }
    if (!any) return NULL;
    pm.applied++;

    struct arena a0, a1;
    arena_init(&a0, pm_amem[0], sizeof pm_amem[0]);
    arena_init(&a1, pm_amem[1], sizeof pm_amem[1]);
    struct ortb_request r0, r1;
    struct decide_result d0, d1;
    struct consent_store_view base_view = {.trusted = true, .rec = NULL};
    if (pm_decide(base->body, base->len, &base_view, &a0, &r0, &d0)) return NULL;
    if (pm_decide(t.p, t.n, &view, &a1, &r1, &d1)) { /* refused outright: nothing bids */
        pm.rejected++;
        return NULL;
    }
    if (r0.nimp != r1.nimp) {
        snprintf(msg, sizeof msg, "[%s] mutations changed the imps (%u -> %u): %s", base->name, r0.nimp,
                 r1.nimp, log);
        return msg;
    }
    const struct campaign_set *cs = &pm.cfg->campaigns;
    bool fewer = false;
    for (uint32_t i = 0; i < r0.nimp; i++) {
        for (uint32_t c = 0; c < cs->n; c++) {
            const struct decide_verdict *v0 = &d0.v[(size_t)i * cs->n + c],
                                        *v1 = &d1.v[(size_t)i * cs->n + c];
            bool e0 = v0->reason == REASON_BID || v0->reason == REASON_AUCTION_LOST;
            bool e1 = v1->reason == REASON_BID || v1->reason == REASON_AUCTION_LOST;
            pm.eligible_before += e0;
            pm.eligible_after += e1;
            fewer |= e0 && !e1;
            if (e1 && !e0) {
                char det[256];
                size_t dl = decide_detail(cs, &r0, v0, det, sizeof det);
                snprintf(msg, sizeof msg,
                         "[%s] imp %.*s campaign %.*s: %s (%.*s) became eligible after: %s\nmutated request: "
                         "%.*s",
                         base->name, SV_FMT(r0.imp[i].id), SV_FMT(cs->v[c].id), reason_name(v0->reason),
                         (int)dl, det, log, (int)(t.n < 3000 ? t.n : 3000), t.p);
                return msg;
            }
        }
        int32_t w = d1.winner[i];
        if (w >= 0 && cs->v[w].personal && d0.winner[i] != w) {
            const struct decide_verdict *v0 = &d0.v[(size_t)i * cs->n + (uint32_t)w];
            if (v0->reason != REASON_AUCTION_LOST) {
                snprintf(msg, sizeof msg, "[%s] personal campaign %.*s gained imp %.*s: %s", base->name,
                         SV_FMT(cs->v[w].id), SV_FMT(r0.imp[i].id), log);
                return msg;
            }
        }
    }
    if (fewer) pm.restricted++;
    return NULL;
}

#endif
