/* policy_load: compiles the sensitive-category policy (JSON, docs/policy.md) named by the config's `policy`
 * key into one malloc'd block that the config snapshot owns: the segment and ad-category hash tables, the US
 * National category map and, per campaign, the sorted keys of what its targeting uses. It also fills each
 * campaign's seg_classes / ad_classes and refuses special-category campaigns that target protected segments
 * (rule 4). The policy is the built-in one (deploy/policy.json compiled into the binary) unless the config
 * names a file, or says "none"; rule 4 is checked against the built-in policy whatever the source, so
 * neither "none" nor a file without the demographic nodes lets a housing ad be aimed by age, gender or
 * postal code. Runs at start-up and on reload, off the hot path. */
#include "bidder/config/policy_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/common/file.h"
#include "bidder/config/config_internal.h"
#include "bidder/config/juris_load.h"
#include "filters/classes.h"
#include "filters/json.h"
#include "filters/policy.h"

#define POLICY_FILE_MAX (16u << 20)

struct pl {
    const char *file; /* resolved path, for messages */
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
    bool fill;           /* pass 2: put entries into the tables */
    uint32_t nseg, ncat; /* pass 1 counts (upper bounds: duplicates merge) */
    struct policy *p;
    struct juris_table
        *juris; /* the "jurisdictions" table, compiled in pass 1 (bidder/config/juris_load.c) */
};

static int perr(struct pl *pl, const struct json *j, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int perr(struct pl *pl, const struct json *j, const char *fmt, ...)
{
    size_t off = j ? (size_t)(j->p - j->start) : 0;
    int n = snprintf(pl->err, pl->errlen, "%s:%d: ", pl->file, cfg_line_in(pl->text, pl->len, off));
    if (n >= 0 && (size_t)n < pl->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pl->err + n, pl->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int jerr(struct pl *pl, const struct json *j, const char *key)
{
    size_t off = j->err ? j->err_off : (size_t)(j->p - j->start);
    snprintf(pl->err, pl->errlen, "%s:%d: key \"%s\": %s", pl->file, cfg_line_in(pl->text, pl->len, off), key,
             j->err_msg ? j->err_msg : "malformed JSON");
    return -1;
}

static bool id_ok(struct sv id)
{
    if (id.n == 0 || id.n > POLICY_ID_MAX) return false;
    for (size_t i = 0; i < id.n; i++) {
        char ch = id.p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) return false;
    }
    return true;
}

/* "classes": {"health": ["381", ...], ...} for one taxonomy. kinds: allowed class kinds as a mask. */
static int rd_classes(struct pl *pl, struct json *j, const char *where, int32_t tax, bool ad)
{
    if (json_peek(j) != JSON_OBJECT) return perr(pl, j, "key \"%s.classes\": must be an object", where);
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        int cls = class_by_name(k.p, k.n);
        if (cls < 0)
            return perr(pl, j, "key \"%s.classes.%.*s\": unknown class (see filters/classes.def)", where,
                        SV_FMT(k));
        uint32_t bit = CLASS_BIT(cls);
        bool is_h = (bit & class_mask_high_risk) != 0;
        if (ad != is_h)
            return perr(pl, j, "key \"%s.classes.%.*s\": %s", where, SV_FMT(k),
                        ad ? "ad categories take high-risk classes only"
                           : "segments take sensitive or vulnerability classes only");
        if (json_peek(j) != JSON_ARRAY)
            return perr(pl, j, "key \"%s.classes.%.*s\": must be an array of ids", where, SV_FMT(k));
        json_arr_begin(j);
        while (json_arr_next(j)) {
            struct sv id;
            if (json_peek(j) != JSON_STRING || json_string(j, &id))
                return perr(pl, j, "key \"%s.classes.%.*s\": ids must be strings", where, SV_FMT(k));
            if (!id_ok(id))
                return perr(pl, j, "key \"%s.classes.%.*s\": id \"%.*s\": must be 1-%d letters or digits",
                            where, SV_FMT(k), (int)(id.n > 32 ? 32 : id.n), id.p, POLICY_ID_MAX);
            if (!pl->fill) {
                if (ad)
                    pl->ncat++;
                else
                    pl->nseg++;
                if (pl->ncat > POLICY_MAX_ENTRIES / 2 || pl->nseg > POLICY_MAX_ENTRIES / 2)
                    return perr(pl, j, "key \"%s\": more than %d ids", where, POLICY_MAX_ENTRIES / 2);
            } else {
                struct policy_table *t = ad ? &pl->p->cat : &pl->p->seg;
                if (policy_table_put(t, policy_key(tax, id), bit, 0))
                    return perr(pl, j, "key \"%s\": id \"%.*s\": table full", where, SV_FMT(id));
            }
        }
        if (j->err) return jerr(pl, j, where);
    }
    return j->err ? jerr(pl, j, where) : 0;
}

static int rd_taxonomies(struct pl *pl, struct json *j, bool ad)
{
    const char *top = ad ? "ad_categories" : "segments";
    const char *taxkey = ad ? "cattax" : "segtax";
    if (json_peek(j) != JSON_ARRAY) return perr(pl, j, "key \"%s\": must be an array", top);
    json_arr_begin(j);
    unsigned idx = 0;
    while (json_arr_next(j)) {
        char where[64];
        snprintf(where, sizeof where, "%s[%u]", top, idx++);
        if (json_peek(j) != JSON_OBJECT) return perr(pl, j, "key \"%s\": must be an object", where);
        /* the taxonomy number first, wherever it sits, so ids can be keyed */
        int64_t tax = -1;
        {
            struct json probe = *j;
            struct sv k;
            json_obj_begin(&probe);
            while (json_obj_next(&probe, &k)) {
                if (sv_eq_cstr(k, taxkey) && json_peek(&probe) == JSON_NUMBER) {
                    if (json_int(&probe, &tax)) tax = -2;
                    break;
                }
                if (json_skip(&probe)) break;
            }
        }
        if (tax < 1 || tax > 255)
            return perr(pl, j, "key \"%s.%s\": is required, an integer 1..255", where, taxkey);
        json_obj_begin(j);
        struct sv k;
        while (json_obj_next(j, &k)) {
            int rc = 0;
            if (sv_eq_cstr(k, "classes")) {
                rc = rd_classes(pl, j, where, (int32_t)tax, ad);
            } else if (!ad && sv_eq_cstr(k, "demographic")) {
                if (json_peek(j) != JSON_ARRAY)
                    return perr(pl, j, "key \"%s.demographic\": must be an array of ids", where);
                json_arr_begin(j);
                while (json_arr_next(j)) {
                    struct sv id;
                    if (json_peek(j) != JSON_STRING || json_string(j, &id) || !id_ok(id))
                        return perr(pl, j,
                                    "key \"%s.demographic\": id \"%.*s\": must be 1-%d letters or digits",
                                    where, (int)(id.n > 32 ? 32 : id.n), id.p ? id.p : "", POLICY_ID_MAX);
                    if (!pl->fill)
                        pl->nseg++;
                    else if (policy_table_put(&pl->p->seg, policy_key((int32_t)tax, id), 0,
                                              POLICY_F_DEMOGRAPHIC))
                        return perr(pl, j, "key \"%s.demographic\": table full", where);
                }
                if (j->err) return jerr(pl, j, where);
            } else {
                rc = json_skip(j) ? jerr(pl, j, where) : 0; /* segtax/cattax (read above), name, notes */
            }
            if (rc) return -1;
        }
        if (j->err) return jerr(pl, j, where);
    }
    return j->err ? jerr(pl, j, top) : 0;
}

static int rd_gpp(struct pl *pl, struct json *j)
{
    if (json_peek(j) != JSON_OBJECT) return perr(pl, j, "key \"gpp_usnat_sensitive\": must be an object");
    json_obj_begin(j);
    struct sv k;
    while (json_obj_next(j, &k)) {
        int cls = class_by_name(k.p, k.n);
        if (cls < 0 || !(CLASS_BIT(cls) & class_mask_sensitive))
            return perr(pl, j, "key \"gpp_usnat_sensitive.%.*s\": not a sensitive class", SV_FMT(k));
        int64_t v;
        if (json_peek(j) != JSON_NUMBER || json_int(j, &v) || v < 0 || v > 16)
            return perr(pl, j, "key \"gpp_usnat_sensitive.%.*s\": must be a category 1..16 (0: none)",
                        SV_FMT(k));
        if (pl->fill) pl->p->gpp_usnat[cls] = (uint8_t)v;
    }
    return j->err ? jerr(pl, j, "gpp_usnat_sensitive") : 0;
}

static int parse(struct pl *pl, struct arena *scratch)
{
    struct json j;
    json_init(&j, pl->text, pl->len, scratch);
    if (json_peek(&j) != JSON_OBJECT) {
        if (j.err) return jerr(pl, &j, "policy");
        return perr(pl, &j, "the policy must be a JSON object");
    }
    json_obj_begin(&j);
    struct sv k;
    bool have_segments = false;
    while (json_obj_next(&j, &k)) {
        int rc;
        if (sv_eq_cstr(k, "segments")) {
            have_segments = true;
            rc = rd_taxonomies(pl, &j, false);
        } else if (sv_eq_cstr(k, "ad_categories")) {
            rc = rd_taxonomies(pl, &j, true);
        } else if (sv_eq_cstr(k, "gpp_usnat_sensitive")) {
            rc = rd_gpp(pl, &j);
        } else if (sv_eq_cstr(k, "jurisdictions") && !pl->fill) {
            free(pl->juris);
            rc = juris_load(pl->file, pl->text, pl->len, &j, &pl->juris, pl->err, pl->errlen);
        } else {
            rc = json_skip(&j) ? jerr(pl, &j, "policy") : 0; /* format, generated_by, license, notes */
        }
        if (rc) return -1;
    }
    if (j.err || json_finish(&j)) return jerr(pl, &j, "policy");
    if (!have_segments) return perr(pl, NULL, "key \"segments\": is required");
    return 0;
}

static uint32_t table_cap(uint32_t n)
{
    uint32_t cap = 16;
    while (cap < n * 2 + 2) cap <<= 1;
    return cap;
}

/* The config line of p when it points into the config's text (ids without escapes do), else of the campaign's
 * targeting.segments key. */
static int cfg_line(const struct config *c, const char *p, uint32_t ci)
{
    const char *t = c->text;
    if (!t || !(p >= t && p < t + c->text_len))
        return c->segments_line && ci < c->campaigns.n && c->segments_line[ci] ? (int)c->segments_line[ci]
                                                                               : 1;
    int line = 1;
    for (const char *q = t; q < p; q++)
        if (*q == '\n') line++;
    return line;
}

static const char *special_name(enum campaign_special s)
{
    return s == CAMPAIGN_SPECIAL_HOUSING      ? "housing"
           : s == CAMPAIGN_SPECIAL_EMPLOYMENT ? "employment"
                                              : "credit";
}

/* Rule 4, and the campaign's classes and keys. Pass 1 (keys == NULL) only counts into *nkeys. */
static int compile_campaigns(struct config *c, struct policy *p, struct policy_camp *camp,
                             struct policy_camp_key *keys, char *strs, uint32_t *nkeys, char *err,
                             size_t errlen)
{
    uint32_t used = 0;
    for (uint32_t ci = 0; ci < c->campaigns.n; ci++) {
        struct campaign *cp = &c->campaigns.v[ci];
        const char *cid_p = cp->id.p;
        int cid_n = (int)(cp->id.n > 64 ? 64 : cp->id.n);
        /* (targeting.age and targeting.gender of special-category campaigns are refused by config.c) */
        uint32_t seg = 0, first = used;
        uint64_t bloom = 0, segtaxes = 0;
        uint64_t vkey = 0;
        int32_t vtax = 0;
        for (uint32_t r = 0; r < cp->t.nsegments; r++) {
            const struct campaign_segment_rule *rule = &cp->t.segments[r];
            for (uint32_t i = 0; i < rule->ids.n; i++) {
                uint64_t key = policy_key(rule->segtax, rule->ids.v[i]);
                const struct policy_entry *e = policy_table_get(&p->seg, key);
                if (!e) continue;
                if (cp->special != CAMPAIGN_SPECIAL_NONE && keys &&
                    ((e->classes & class_mask_sensitive) || (e->flags & POLICY_F_DEMOGRAPHIC))) {
                    snprintf(
                        err, errlen,
                        "%s:%d: campaign \"%.*s\": key \"targeting.segments\": special_category %s campaigns "
                        "may not target segtax %d id \"%.*s\" (%s)",
                        c->path, cfg_line(c, rule->ids.v[i].p, ci), cid_n, cid_p, special_name(cp->special),
                        (int)rule->segtax, (int)rule->ids.v[i].n, rule->ids.v[i].p,
                        (e->classes & class_mask_sensitive)
                            ? class_name(__builtin_ctz(e->classes & class_mask_sensitive))
                            : "demographic age, gender or postal code");
                    return -1;
                }
                uint32_t cls = e->classes & (class_mask_sensitive | class_mask_vulnerability);
                seg |= e->classes;
                if (!cls) continue;
                if (!vkey && (cls & class_mask_vulnerability)) {
                    vkey = key;
                    vtax = rule->segtax;
                }
                if (keys) {
                    /* insertion keeps the campaign's keys sorted; duplicates merge */
                    uint32_t n = used - first, at = 0;
                    struct policy_camp_key *kv = keys + first;
                    while (at < n && kv[at].key < key) at++;
                    if (at < n && kv[at].key == key) {
                        kv[at].classes |= cls;
                        continue;
                    }
                    memmove(kv + at + 1, kv + at, (n - at) * sizeof *kv);
                    kv[at] = (struct policy_camp_key){key, cls, 0};
                    bloom |= policy_bloom_bit(key);
                    if (rule->segtax < 64) segtaxes |= 1ull << rule->segtax;
                }
                used++;
            }
        }
        uint32_t ad = 0;
        uint64_t akey = 0;
        for (uint32_t i = 0; i < cp->cat.n; i++) {
            uint64_t key = policy_key(cp->cattax, cp->cat.v[i]);
            const struct policy_entry *e = policy_table_get(&p->cat, key);
            if (e && (e->classes & class_mask_high_risk)) {
                if (!ad) akey = key;
                ad |= e->classes & class_mask_high_risk;
            }
        }
        if (!keys) continue;
        cp->seg_classes = seg & (class_mask_sensitive | class_mask_vulnerability);
        cp->ad_classes = ad;
        struct policy_camp *pc = &camp[ci];
        pc->keys = keys + first;
        pc->nkeys = used - first;
        pc->bloom = bloom;
        pc->segtaxes = segtaxes;
        char id[POLICY_ID_MAX + 1];
        char *s = strs + (size_t)ci * 2 * POLICY_DETAIL_MAX;
        if (vkey) {
            policy_key_id(vkey, id);
            const struct policy_entry *e = policy_table_get(&p->seg, vkey);
            int n = snprintf(s, POLICY_DETAIL_MAX, "%s: segtax %d id %s (campaign targeting)",
                             class_name(__builtin_ctz(e->classes & class_mask_vulnerability)), (int)vtax, id);
            pc->vuln_detail = (struct sv){s, n < POLICY_DETAIL_MAX ? (size_t)n : POLICY_DETAIL_MAX - 1};
        }
        if (akey) {
            policy_key_id(akey, id);
            const struct policy_entry *e = policy_table_get(&p->cat, akey);
            char *s2 = s + POLICY_DETAIL_MAX;
            int n =
                snprintf(s2, POLICY_DETAIL_MAX / 2, "%s: cattax %d id %s",
                         class_name(__builtin_ctz(e->classes & class_mask_high_risk)), (int)cp->cattax, id);
            pc->cat_detail =
                (struct sv){s2, n < POLICY_DETAIL_MAX / 2 ? (size_t)n : POLICY_DETAIL_MAX / 2 - 1};
        }
    }
    *nkeys = used;
    return 0;
}

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

#define BUILTIN_NAME "builtin policy (deploy/policy.json)"

static void clear_classes(struct config *c)
{
    for (uint32_t i = 0; i < c->campaigns.n; i++)
        c->campaigns.v[i].seg_classes = c->campaigns.v[i].ad_classes = 0;
}

/* Compiles the policy text (name: for messages) for c's campaigns, rule 4 included. attach: it becomes the
 * snapshot's policy; else it was only a check and is freed. */
static int compile_policy(struct config *c, const char *name, const char *text, size_t len, bool attach,
                          char *err, size_t errlen)
{
    /* scratch for strings with escapes: never more than the text */
    char *scratch_mem = malloc(len + 64);
    if (!scratch_mem) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    struct arena scratch;
    arena_init(&scratch, scratch_mem, len + 64);
    struct pl pl = {.file = name, .text = text, .len = len, .err = err, .errlen = errlen};
    int rc = parse(&pl, &scratch);
    void *block = NULL;
    if (rc == 0) {
        /* pass 2 into one block: policy, tables, campaigns, their keys, their detail strings */
        uint32_t scap = table_cap(pl.nseg), ccap = table_cap(pl.ncat);
        uint32_t ncamp = c->campaigns.n;
        size_t nkeys_max = 0;
        for (uint32_t i = 0; i < ncamp; i++)
            for (uint32_t r = 0; r < c->campaigns.v[i].t.nsegments; r++)
                nkeys_max += c->campaigns.v[i].t.segments[r].ids.n;
        size_t sz = align16(sizeof(struct policy)) + align16((size_t)scap * sizeof(struct policy_entry)) +
                    align16((size_t)ccap * sizeof(struct policy_entry)) +
                    align16((size_t)(ncamp + 1) * sizeof(struct policy_camp)) +
                    align16((nkeys_max + 1) * sizeof(struct policy_camp_key)) +
                    (size_t)(ncamp + 1) * 2 * POLICY_DETAIL_MAX + strlen(name) + 1;
        block = calloc(1, sz);
        if (!block) {
            snprintf(err, errlen, "%s: out of memory compiling the policy", name);
            rc = -1;
        } else {
            char *m = block;
            struct policy *p = (struct policy *)m;
            m += align16(sizeof *p);
            policy_table_init(&p->seg, (struct policy_entry *)m, scap);
            m += align16((size_t)scap * sizeof(struct policy_entry));
            policy_table_init(&p->cat, (struct policy_entry *)m, ccap);
            m += align16((size_t)ccap * sizeof(struct policy_entry));
            struct policy_camp *camp = (struct policy_camp *)m;
            m += align16((size_t)(ncamp + 1) * sizeof(struct policy_camp));
            struct policy_camp_key *keys = (struct policy_camp_key *)m;
            m += align16((nkeys_max + 1) * sizeof(struct policy_camp_key));
            char *strs = m;
            m += (size_t)(ncamp + 1) * 2 * POLICY_DETAIL_MAX;
            memcpy(m, name, strlen(name) + 1);
            p->source = (struct sv){m, strlen(name)};
            pl.p = p;
            pl.fill = true;
            arena_reset(&scratch);
            rc = parse(&pl, &scratch);
            if (rc == 0) {
                for (uint32_t i = 0; i < p->seg.cap; i++)
                    if (p->seg.slots[i].key && (p->seg.slots[i].classes & class_mask_vulnerability))
                        p->vuln_bloom |= policy_bloom_bit(p->seg.slots[i].key);
                uint32_t nk = 0;
                rc = compile_campaigns(c, p, camp, keys, strs, &nk, err, errlen);
                p->camp = camp;
                p->ncamp = ncamp;
            }
            if (rc == 0 && attach) {
                c->campaigns.policy = p;
                block = NULL;
                c->campaigns.juris = pl.juris;
                pl.juris = NULL;
            }
        }
    }
    free(pl.juris);
    free(block);
    if (rc != 0 || !attach) clear_classes(c);
    free(scratch_mem);
    return rc;
}

/* The built-in policy's jurisdictions table alone: the law of the place applies whatever the
 * sensitive-category policy ("none", or a file without a "jurisdictions" table; docs/jurisdictions.md). */
static int builtin_juris(struct config *c, char *err, size_t errlen)
{
    const char *text = (const char *)policy_builtin_json;
    size_t len = policy_builtin_len;
    char *scratch_mem = malloc(len + 64);
    if (!scratch_mem) {
        snprintf(err, errlen, "%s: out of memory", BUILTIN_NAME);
        return -1;
    }
    struct arena scratch;
    arena_init(&scratch, scratch_mem, len + 64);
    struct json j;
    json_init(&j, text, len, &scratch);
    int rc = 0;
    struct sv k;
    if (json_peek(&j) == JSON_OBJECT) {
        json_obj_begin(&j);
        while (rc == 0 && json_obj_next(&j, &k)) {
            if (sv_eq_cstr(k, "jurisdictions")) {
                struct juris_table *t = NULL;
                rc = juris_load(BUILTIN_NAME, text, len, &j, &t, err, errlen);
                if (rc == 0) c->campaigns.juris = t;
                break;
            }
            if (json_skip(&j)) break;
        }
    }
    free(scratch_mem);
    return rc;
}

static int policy_load_main(struct config *c, char *err, size_t errlen);

int policy_load_for_config(struct config *c, char *err, size_t errlen)
{
    c->campaigns.juris = NULL;
    int rc = policy_load_main(c, err, errlen);
    if (rc == 0 && !c->campaigns.juris) rc = builtin_juris(c, err, errlen);
    return rc;
}

static int policy_load_main(struct config *c, char *err, size_t errlen)
{
    c->campaigns.policy = NULL;
    c->policy_file[0] = '\0';
    clear_classes(c);
    if (strcmp(c->policy, "none") == 0)
        c->policy_source = CONFIG_POLICY_NONE;
    else if (c->policy[0] == '\0' || strcmp(c->policy, "builtin") == 0)
        c->policy_source = CONFIG_POLICY_BUILTIN;
    else
        c->policy_source = CONFIG_POLICY_FILE;

    const char *builtin = (const char *)policy_builtin_json;
    if (c->policy_source == CONFIG_POLICY_BUILTIN)
        return compile_policy(c, BUILTIN_NAME, builtin, policy_builtin_len, true, err, errlen);

    /* rule 4 whatever the source: the built-in policy knows the age, gender and postal-code nodes and the
     * sensitive classes even when the configured file does not, or when there is no policy at all */
    bool special = false;
    for (uint32_t i = 0; i < c->campaigns.n; i++)
        if (c->campaigns.v[i].special != CAMPAIGN_SPECIAL_NONE && c->campaigns.v[i].t.nsegments)
            special = true;
    if (special && compile_policy(c, BUILTIN_NAME, builtin, policy_builtin_len, false, err, errlen))
        return -1;
    if (c->policy_source == CONFIG_POLICY_NONE) return 0;

    char *path = c->policy_file;
    size_t pcap = sizeof c->policy_file;
    if (c->policy[0] == '/') {
        snprintf(path, pcap, "%s", c->policy);
    } else {
        const char *slash = strrchr(c->path, '/');
        if (slash)
            snprintf(path, pcap, "%.*s/%s", (int)(slash - c->path), c->path, c->policy);
        else
            snprintf(path, pcap, "%s", c->policy);
    }
    size_t len = 0;
    char *text, ferr[512];
    if (fb_file_read(path, POLICY_FILE_MAX, &text, &len, ferr, sizeof ferr) != 0) {
        snprintf(err, errlen, "policy %s", ferr);
        return -1;
    }
    int rc = compile_policy(c, path, text, len, true, err, errlen);
    free(text);
    return rc;
}

void policy_free_for_config(struct config *c)
{
    /* the policy sits at the start of its block */
    free((void *)c->campaigns.policy);
    c->campaigns.policy = NULL;
    free((void *)c->campaigns.juris);
    c->campaigns.juris = NULL;
}
