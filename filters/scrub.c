/* scrub: see scrub.h and docs/filter.md.
 *
 * The body is walked once more with the JSON pull parser (ortb_parse has validated it and read the signals;
 * this walk finds where each field to remove is). Edits are recorded in document order as byte ranges: a cut
 * (a member with its key, or an array element, with one adjacent comma) or a replacement (a value). Per
 * object, a removed member after a kept one is cut from the end of the previous member's value (taking the
 * comma before it); removed members before the first kept one are cut from their key to the next member's
 * key (taking the comma after them), or to the last value's end when none is kept. Either way every comma
 * left separates two kept members, so the output is valid JSON whatever is removed. */
#include "filters/scrub.h"

#include "filters/classes.h"
#include "filters/reasons.h"
#include "filters/sensitive.h"

#include <string.h>

struct edit {
    uint32_t a, b;   /* the range [a, b) of the body it replaces */
    const char *rep; /* replacement text (NULL: a cut) */
    uint32_t rlen;
};

struct sctx {
    struct json j;
    struct arena *a;
    const char *base;
    struct arena_vec edits;   /* struct edit, in document order */
    struct arena_vec removed; /* struct scrub_removed */
    struct scrub_result *r;
    const struct scrub_input *in;
    bool personal_ok, geo_ok;
    int personal_reason, geo_reason;
    uint32_t sens_allowed; /* sensitive classes this person's consent allows */
    bool sens_banned;      /* the jurisdiction bans sensitive targeting */
    int block;             /* a privacy key in another spelling: not forwarded */
    const char *block_detail;
    int err;
    const char *tmax_rep;
    uint32_t tmax_rlen;
    bool saw_tmax;
};

/* ---- keys as bidders' decoders match them ---- */

/* key folds to lit (lower-case ASCII): ASCII case-insensitively, and U+017F (long s) / U+212A (Kelvin sign)
 * as 's' / 'k', the two non-ASCII folds Go's encoding/json applies to ASCII names. */
static bool kfold(struct sv k, const char *lit)
{
    return sv_kfold(k, lit); /* filters/sv.h: the parser's variant check uses the same fold */
}

/* The fold every name is matched against, made once per key (kfold per name was a loop per name and key):
 * ASCII upper case to lower, U+017F to 's', U+212A to 'k', all else kept, so fold(k) equals lit exactly when
 * kfold(k, lit). A key already in plain lower-case ASCII (the common case) is its own fold and is returned as
 * it is; a key with any other non-ASCII byte, or whose fold is longer than any name, cannot match a name and
 * folds to "" (no name is empty). */
#define KEY_FOLD_MAX 32 /* longer than any name matched ("consented_providers_settings" is 28) */

static struct sv fold(struct sv k, char buf[KEY_FOLD_MAX])
{
    size_t i = 0;
    while (i < k.n && !((unsigned char)(k.p[i] - 'A') < 26u || (unsigned char)k.p[i] >= 0x80)) i++;
    if (i == k.n) return k;
    if (i >= KEY_FOLD_MAX) return SV_LIT("");
    memcpy(buf, k.p, i);
    size_t o = i;
    while (i < k.n) {
        if (o >= KEY_FOLD_MAX) return SV_LIT("");
        unsigned char ch = (unsigned char)k.p[i];
        if (ch == 0xC5 && i + 1 < k.n && (unsigned char)k.p[i + 1] == 0xBF) {
            buf[o++] = 's';
            i += 2;
        } else if (ch == 0xE2 && i + 2 < k.n && (unsigned char)k.p[i + 1] == 0x84 &&
                   (unsigned char)k.p[i + 2] == 0xAA) {
            buf[o++] = 'k';
            i += 3;
        } else if (ch >= 0x80) {
            return SV_LIT(""); /* a byte no ASCII name has */
        } else {
            buf[o++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            i++;
        }
    }
    return (struct sv){buf, o};
}

/* A folded key (fold's) against a literal name: the length first, then the bytes (memcmp of a constant size).
 */
#define KEQ(f, lit) ((f).n == sizeof(lit) - 1 && memcmp((f).p, (lit), sizeof(lit) - 1) == 0)

/* Which of names[] the folded key is, or -1 (the first byte first: most names differ there). */
static int kfind(struct sv f, const char *const *names, int n)
{
    if (f.n == 0) return -1;
    for (int i = 0; i < n; i++)
        if (names[i][0] == f.p[0] && strlen(names[i]) == f.n && memcmp(names[i], f.p, f.n) == 0) return i;
    return -1;
}

/* A privacy signal spelled otherwise than fairbid's parser reads it: fairbid cannot know what it says, the
 * upstream's decoder may read it. k the key, f its fold: a key that is its own fold is spelled as read. */
static void variant_check(struct sctx *c, struct sv k, struct sv f, const char *const *signals, int n,
                          const char *where)
{
    if (f.p == k.p) return;
    int i = kfind(f, signals, n);
    if (i >= 0 && !sv_eq_cstr(k, signals[i]) && c->block < 0) {
        c->block = REASON_CONSENT_MALFORMED;
        c->block_detail = where;
    }
}

/* ---- positions and edits ---- */

static const char *skip_blank(const char *p, const char *end, bool comma)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || (comma && *p == ','))) p++;
    return p;
}

static uint32_t off(struct sctx *c, const char *p)
{
    return (uint32_t)(p - c->base);
}

static void edit(struct sctx *c, const char *a, const char *b, const char *rep, uint32_t rlen)
{
    if (c->err) return;
    struct edit *e = arena_vec_push(c->a, &c->edits, sizeof *e, _Alignof(struct edit));
    if (!e) {
        c->err = SCRUB_ENOMEM;
        return;
    }
    *e = (struct edit){off(c, a), off(c, b), rep, rlen};
}

static void record(struct sctx *c, const char *path, int32_t i1, int32_t i2, int reason, struct sv id,
                   const char *trunc)
{
    c->r->nremoved_total++;
    struct scrub_removed *m = arena_vec_push(c->a, &c->removed, sizeof *m, _Alignof(struct scrub_removed));
    if (!m) {
        if (c->removed.n < c->removed.max) c->err = SCRUB_ENOMEM;
        return;
    }
    *m = (struct scrub_removed){.path = path,
                                .i1 = i1,
                                .i2 = i2,
                                .reason = (uint16_t)reason,
                                .action = trunc ? SCRUB_TRUNCATED : SCRUB_REMOVED,
                                .truncated_to = trunc,
                                .id = id};
}

/* Walking one container's members (or elements) for cuts: see the comment at the top. */
struct walk {
    const char *prev_end; /* end of the previous member's value, or just inside the opening bracket */
    const char *pending;  /* start of a run of removed members before the first kept one */
    bool kept_any;
};

static void w_begin(struct sctx *c, struct walk *w)
{
    *w = (struct walk){.prev_end = c->j.p};
}

/* After the container's next member/element has been entered: where it starts (before is j.p before the
 * json_obj_next/json_arr_next call). Closes a pending run at this member's start. */
static const char *w_start(struct sctx *c, struct walk *w, const char *before)
{
    const char *s = skip_blank(before, c->j.end, true);
    if (w->pending) {
        edit(c, w->pending, s, NULL, 0);
        w->pending = NULL;
    }
    return s;
}

/* The member that started at s is to go: skips its value and cuts it. */
static void w_remove(struct sctx *c, struct walk *w, const char *s)
{
    if (json_skip(&c->j)) return;
    if (w->kept_any)
        edit(c, w->prev_end, c->j.p, NULL, 0);
    else
        w->pending = s;
    w->prev_end = c->j.p;
}

/* The member's value has been read or walked (edits inside it made): it stays. */
static void w_keep(struct sctx *c, struct walk *w)
{
    w->kept_any = true;
    w->prev_end = c->j.p;
}

static void w_end(struct sctx *c, struct walk *w)
{
    if (w->pending) edit(c, w->pending, w->prev_end, NULL, 0);
}

/* The value about to be read starts here. */
static const char *value_start(struct sctx *c)
{
    return skip_blank(c->j.p, c->j.end, false);
}

/* ---- IP truncation ---- */

static int dec_octets(const char *p, size_t n, uint8_t o[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t st = i;
        unsigned v = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - st < 3) v = v * 10 + (unsigned)(p[i++] - '0');
        if (i == st || v > 255 || (i - st > 1 && p[st] == '0')) return -1;
        o[part] = (uint8_t)v;
        if (part < 3) {
            if (i >= n || p[i] != '.') return -1;
            i++;
        }
    }
    return i == n ? 0 : -1;
}

static size_t put_uint(char *out, unsigned v)
{
    char d[10];
    size_t n = 0, k = 0;
    do d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n) out[k++] = d[--n];
    return k;
}

bool scrub_ipv4_24(struct sv ip, char out[16])
{
    uint8_t o[4];
    if (!ip.p || dec_octets(ip.p, ip.n, o)) return false;
    size_t k = 0;
    for (int i = 0; i < 3; i++) {
        k += put_uint(out + k, o[i]);
        out[k++] = '.';
    }
    out[k++] = '0';
    out[k] = '\0';
    return true;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* RFC 4291 2.2 text forms: eight groups, one "::", an embedded dotted IPv4 at the end. */
static bool parse_ipv6(const char *p, size_t n, uint16_t g[8])
{
    uint16_t head[8], tail[8];
    int nh = 0, nt = 0;
    bool dbl = false;
    size_t i = 0;
    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        dbl = true;
        i = 2;
    } else if (n >= 1 && p[0] == ':') {
        return false;
    }
    while (i < n) {
        int *cnt = dbl ? &nt : &nh;
        uint16_t *arr = dbl ? tail : head;
        if (nh + nt >= 8) return false;
        /* an embedded IPv4 as the last 32 bits */
        size_t e = i;
        while (e < n && p[e] != ':') e++;
        if (e == n && memchr(p + i, '.', n - i)) {
            uint8_t o[4];
            if (nh + nt > 6 || dec_octets(p + i, n - i, o)) return false;
            arr[(*cnt)++] = (uint16_t)(o[0] << 8 | o[1]);
            arr[(*cnt)++] = (uint16_t)(o[2] << 8 | o[3]);
            i = n;
            break;
        }
        if (e == i || e - i > 4) return false;
        unsigned v = 0;
        for (size_t q = i; q < e; q++) {
            int h = hexv(p[q]);
            if (h < 0) return false;
            v = v * 16 + (unsigned)h;
        }
        arr[(*cnt)++] = (uint16_t)v;
        i = e;
        if (i == n) break;
        i++; /* ':' */
        if (i < n && p[i] == ':') {
            if (dbl) return false;
            dbl = true;
            i++;
        } else if (i == n) {
            return false; /* a trailing single ':' */
        }
    }
    if (dbl ? nh + nt > 7 : nh != 8) return false;
    for (int k = 0; k < 8; k++) g[k] = 0;
    for (int k = 0; k < nh; k++) g[k] = head[k];
    for (int k = 0; k < nt; k++) g[8 - nt + k] = tail[k];
    return true;
}

bool scrub_ipv6_56(struct sv ip, char out[48])
{
    uint16_t g[8];
    if (!ip.p || ip.n == 0 || ip.n > 45 || !parse_ipv6(ip.p, ip.n, g)) return false;
    g[3] &= 0xFF00; /* 56 bits: three groups and the high byte of the fourth */
    static const char hx[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = g[i];
        bool lead = true;
        for (int s = 12; s >= 0; s -= 4) {
            unsigned d = (v >> s) & 0xF;
            if (d == 0 && lead && s) continue;
            lead = false;
            out[k++] = hx[d];
        }
        out[k++] = ':';
    }
    out[k++] = ':'; /* the last four groups are zero */
    out[k] = '\0';
    return true;
}

/* A string value: truncated (a replacement) or, when it does not parse, removed. */
static void ip_member(struct sctx *c, struct walk *w, const char *s, bool v6, const char *path)
{
    const char *vs = value_start(c);
    struct sv ip = SV_NULL;
    char buf[48];
    bool ok = false;
    if (json_peek(&c->j) == JSON_STRING) {
        struct json save = c->j;
        if (json_string(&c->j, &ip) == 0) ok = v6 ? scrub_ipv6_56(ip, buf) : scrub_ipv4_24(ip, buf);
        c->j = save;
    } else if (json_peek(&c->j) == JSON_NULL) {
        json_skip(&c->j);
        w_keep(c, w);
        return;
    }
    if (!ok) {
        record(c, path, -1, -1, c->personal_reason, SV_NULL, NULL);
        w_remove(c, w, s);
        return;
    }
    if (json_skip(&c->j)) return;
    size_t n = strlen(buf);
    char *rep = arena_alloc(c->a, n + 2, 1);
    if (!rep) {
        c->err = SCRUB_ENOMEM;
        return;
    }
    rep[0] = '"';
    memcpy(rep + 1, buf, n);
    rep[n + 1] = '"';
    edit(c, vs, c->j.p, rep, (uint32_t)n + 2);
    record(c, path, -1, -1, c->personal_reason, SV_NULL, v6 ? "/56" : "/24");
    w_keep(c, w);
}

/* ---- walking objects and arrays: one skeleton, a handler per member or element ---- */

/* One member of an object being walked: k its key, s where it starts. The handler reads or walks the value
 * and calls w_keep, or cuts the member. */
typedef void (*member_fn)(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                          const void *arg);
/* One element of an array being walked: i its index. */
typedef void (*elem_fn)(struct sctx *c, struct walk *w, const char *s, int32_t i, const void *arg);

static void obj_walk(struct sctx *c, member_fn fn, const void *arg)
{
    json_obj_begin(&c->j);
    struct walk w;
    w_begin(c, &w);
    struct sv k;
    const char *before = c->j.p;
    char buf[KEY_FOLD_MAX];
    while (!c->err && json_obj_next(&c->j, &k)) {
        fn(c, &w, w_start(c, &w, before), k, fold(k, buf), arg);
        before = c->j.p;
    }
    w_end(c, &w);
}

static void arr_walk(struct sctx *c, elem_fn fn, const void *arg)
{
    json_arr_begin(&c->j);
    struct walk w;
    w_begin(c, &w);
    int32_t i = 0;
    const char *before = c->j.p;
    while (!c->err && json_arr_next(&c->j)) {
        fn(c, &w, w_start(c, &w, before), i++, arg);
        before = c->j.p;
    }
    w_end(c, &w);
}

/* The member (or element) that started at s goes: recorded and cut. */
static void cut(struct sctx *c, struct walk *w, const char *s, const char *path, int32_t i1, int32_t i2,
                int reason, struct sv id)
{
    record(c, path, i1, i2, reason, id, NULL);
    w_remove(c, w, s);
}

/* The value is kept as it is. */
static void keep(struct sctx *c, struct walk *w)
{
    json_skip(&c->j);
    w_keep(c, w);
}

/* The value about to be read is not of the type the walker expects (null counts as absent, so it fits):
 * whatever it is, fairbid cannot say what a lenient decoder makes of it, so where the rule that would have
 * walked it applies, it goes whole. */
static bool misshapen(struct sctx *c, enum json_type want)
{
    enum json_type t = json_peek(&c->j);
    return t != want && t != JSON_NULL && t != JSON_NONE;
}

/* Key cuts by table: keys[i] named by paths[i] (or, paths NULL, by `wild` with the key itself), cut where
 * personal data (or, geo, precise geolocation) may not go. */
struct keyrule {
    const char *const *keys;
    int n;
    const char *const *paths;
    const char *wild;
    bool geo;
};

/* Cuts the member when a rule of rules[0..n) names its key; false when none does. */
static bool rule_cut(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                     const struct keyrule *r, int n)
{
    for (; n--; r++) {
        if (r->geo ? c->geo_ok : c->personal_ok) continue;
        int i = kfind(f, r->keys, r->n);
        if (i < 0) continue;
        cut(c, w, s, r->paths ? r->paths[i] : r->wild, -1, -1, r->geo ? c->geo_reason : c->personal_reason,
            r->paths ? SV_NULL : k);
        return true;
    }
    return false;
}

#define NKEYS(a) (int)(sizeof a / sizeof a[0])

/* ---- geo: only the coarse fields stay when precise geolocation may not ---- */

static const char *const geo_keep[] = {"country", "region",    "regionfips104",
                                       "type",    "utcoffset", "ipservice"};
static const char *const geo_known[] = {"lat", "lon", "zip", "metro", "city", "accuracy", "lastfix", "ext"};
static const char *const dev_geo_paths[] = {"device.geo.lat",     "device.geo.lon",  "device.geo.zip",
                                            "device.geo.metro",   "device.geo.city", "device.geo.accuracy",
                                            "device.geo.lastfix", "device.geo.ext"};
static const char *const user_geo_paths[] = {"user.geo.lat",     "user.geo.lon",  "user.geo.zip",
                                             "user.geo.metro",   "user.geo.city", "user.geo.accuracy",
                                             "user.geo.lastfix", "user.geo.ext"};
static const char *const uext_geo_paths[] = {
    "user.ext.geo.lat",  "user.ext.geo.lon",      "user.ext.geo.zip",     "user.ext.geo.metro",
    "user.ext.geo.city", "user.ext.geo.accuracy", "user.ext.geo.lastfix", "user.ext.geo.ext"};

/* Where a geo object is: its path, the paths of its known members, and its other members' path. */
struct geo_at {
    const char *path, *const *paths, *wild;
};
static const struct geo_at dev_geo = {"device.geo", dev_geo_paths, "device.geo.*"};
static const struct geo_at user_geo = {"user.geo", user_geo_paths, "user.geo.*"};
static const struct geo_at uext_geo = {"user.ext.geo", uext_geo_paths, "user.ext.geo.*"};

static void geo_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                       const void *arg)
{
    const struct geo_at *at = arg;
    if (kfind(f, geo_keep, NKEYS(geo_keep)) >= 0) {
        keep(c, w);
        return;
    }
    int i = kfind(f, geo_known, NKEYS(geo_known));
    cut(c, w, s, i >= 0 ? at->paths[i] : at->wild, -1, -1, c->geo_reason, i >= 0 ? SV_NULL : k);
}

/* A geo member (its key at s): without precise geo, a geo object keeps its coarse fields and anything else
 * in its place goes. */
static void geo_walk(struct sctx *c, struct walk *w, const char *s, const struct geo_at *at)
{
    if (c->geo_ok || json_peek(&c->j) == JSON_NULL) {
        keep(c, w);
    } else if (misshapen(c, JSON_OBJECT)) {
        cut(c, w, s, at->path, -1, -1, c->geo_reason, SV_NULL);
    } else {
        obj_walk(c, geo_member, at);
        w_keep(c, w);
    }
}

/* ---- device ---- */

static const char *const dev_ids[] = {"ifa", "dpidsha1", "dpidmd5", "didsha1", "didmd5", "macsha1", "macmd5"};
static const char *const dev_id_paths[] = {"device.ifa",     "device.dpidsha1", "device.dpidmd5",
                                           "device.didsha1", "device.didmd5",   "device.macsha1",
                                           "device.macmd5"};
static const char *const dev_signals[] = {"lmt", "dnt"};
/* Keys that name a device identifier or an address wherever they appear in device (a field OpenRTB does not
 * name: an exchange's own, which the bidder's reader may know) or device.ext (a copy a lenient decoder or the
 * bidder's own ext reader takes for the field): device.idfa, device.ext.ifa, device.ext.ip, ... The
 * non-identifying extensions (ifa_type, atts, ...) stay. */
static const char *const dext_ids[] = {"ifa",    "dpidsha1", "dpidmd5", "didsha1", "didmd5", "macsha1",
                                       "macmd5", "ip",       "ipv6",    "mac",     "dpid",   "did",
                                       "idfa",   "idfv",     "gaid",    "aaid",    "adid",   "ifv"};
/* ... and keys that carry a location (device.ext.geo.lat), cut where precise geo may not go. */
static const char *const dext_geo[] = {"geo", "lat", "lon", "zip", "city", "metro", "accuracy", "lastfix"};

/* device's own cuts (ip and ipv6 are truncated before these apply), and device.ext's at any depth */
static const struct keyrule dev_rules[] = {
    {dev_ids, NKEYS(dev_ids), dev_id_paths, NULL, false},
    {dext_ids, NKEYS(dext_ids), NULL, "device.*", false},
};
static const struct keyrule dext_rules[] = {
    {dext_ids, NKEYS(dext_ids), NULL, "device.ext.*", false},
    {dext_geo, NKEYS(dext_geo), NULL, "device.ext.*", true},
};

static void dext_value(struct sctx *c, int depth);

static void dext_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                        const void *arg)
{
    int depth = *(const int *)arg;
    if (depth >= 16) { /* deeper than fairbid follows: anything not understood restricts */
        cut(c, w, s, "device.ext.*", -1, -1, c->personal_ok ? c->geo_reason : c->personal_reason, k);
    } else if (!rule_cut(c, w, s, k, f, dext_rules, NKEYS(dext_rules))) {
        dext_value(c, depth + 1);
        w_keep(c, w);
    }
}

/* A value inside device.ext without personal data or precise geo: members named like an identifier or a
 * location are cut, at any depth. */
static void dext_value(struct sctx *c, int depth)
{
    enum json_type t = json_peek(&c->j);
    if (t == JSON_ARRAY) {
        json_arr_begin(&c->j);
        while (!c->err && json_arr_next(&c->j)) dext_value(c, depth + 1);
    } else if (t == JSON_OBJECT) {
        obj_walk(c, dext_member, &depth);
    } else {
        json_skip(&c->j);
    }
}

static void device_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                          const void *arg)
{
    (void)arg;
    variant_check(c, k, f, dev_signals, 2, "device.lmt or device.dnt: a key spelled in another case");
    if (!c->personal_ok && KEQ(f, "ip")) {
        ip_member(c, w, s, false, "device.ip");
    } else if (!c->personal_ok && KEQ(f, "ipv6")) {
        ip_member(c, w, s, true, "device.ipv6");
    } else if (rule_cut(c, w, s, k, f, dev_rules, NKEYS(dev_rules))) {
    } else if (!c->geo_ok && KEQ(f, "ext")) { /* geo_ok implies personal_ok */
        if (misshapen(c, JSON_OBJECT)) {
            cut(c, w, s, "device.ext", -1, -1, c->geo_reason, SV_NULL);
        } else {
            dext_value(c, 0);
            w_keep(c, w);
        }
    } else if (KEQ(f, "geo")) {
        geo_walk(c, w, s, &dev_geo);
    } else {
        keep(c, w);
    }
}

/* ---- user.data segments ---- */

static int sensitive_reason(int cls)
{
    return cls <= CLASS_CRIME_VICTIM ? REASON_SENSITIVE_HEALTH + cls : REASON_SENSITIVE_HEALTH;
}

/* Where a data array is (user.data or Prebid's older user.ext.data): the paths its removals are named by. */
struct data_at {
    const char *data, *elem, *segment, *seg;
};
static const struct data_at user_data = {"user.data", "user.data[]", "user.data[].segment",
                                         "user.data[].segment[]"};
static const struct data_at uext_data = {"user.ext.data", "user.ext.data[]", "user.ext.data[].segment",
                                         "user.ext.data[].segment[]"};

/* The classes of one segment id value (a string, a number's text; any other type cannot be read as an id,
 * which the policy answers with POLICY_UNREADABLE where the taxonomy is one it classifies). */
static uint32_t id_classes(struct sctx *c, struct json *p, int32_t segtax, struct sv *id)
{
    enum json_type t = json_peek(p);
    *id = SV_NULL;
    const char *v = p->p;
    if (t == JSON_STRING) {
        if (json_string(p, id)) return 0;
        if (!id->p) *id = SV_LIT("");
    } else if (json_skip(p)) {
        return 0;
    } else if (t == JSON_NUMBER) {
        *id = (struct sv){v, (size_t)(p->p - v)};
    } else if (t == JSON_NULL) {
        return 0; /* absent */
    }
    return policy_segment_classes(c->in->policy, segtax, *id);
}

/* The classes of a segment object's ids (every "id" key: a repeated one cannot hide a class). */
static uint32_t segment_classes(struct sctx *c, int32_t segtax, struct sv *id_out)
{
    struct json p = c->j;
    uint32_t cls = 0;
    json_obj_begin(&p);
    struct sv k;
    while (!p.err && json_obj_next(&p, &k)) {
        if (!kfold(k, "id")) {
            json_skip(&p);
            continue;
        }
        struct sv id;
        cls |= id_classes(c, &p, segtax, &id);
        if (!id_out->p) *id_out = id;
    }
    if (p.err) c->err = SCRUB_EJSON;
    return cls;
}

struct seg_ctx {
    const struct data_at *at;
    int32_t segtax, di;
};

static void segment_elem(struct sctx *c, struct walk *w, const char *s, int32_t si, const void *arg)
{
    const struct seg_ctx *sc = arg;
    struct sv id = SV_NULL;
    uint32_t cls = 0;
    if (!c->in->policy || json_peek(&c->j) == JSON_NULL) {
    } else if (json_peek(&c->j) == JSON_OBJECT) {
        cls = segment_classes(c, sc->segtax, &id);
    } else {
        /* a bare id ("399" or 399) instead of {"id": ...}: no standard shape, but a lenient decoder may still
         * take it for the segment; an array or a boolean cannot be read as one */
        struct json p = c->j;
        cls = id_classes(c, &p, sc->segtax, &id);
    }
    int reason = -1;
    uint32_t vuln = cls & class_mask_vulnerability, sens = cls & class_mask_sensitive;
    if (cls & POLICY_UNREADABLE)
        reason = REASON_CONSENT_MALFORMED; /* not an id the taxonomy can have: it may be any of them */
    else if (vuln)
        reason = REASON_EXPLOIT_VULNERABLE_SEGMENT;
    else if (sens && c->sens_banned)
        reason = REASON_JURISDICTION_SENSITIVE_BANNED;
    else if (sens & ~c->sens_allowed)
        reason = sensitive_reason(__builtin_ctz(sens & ~c->sens_allowed));
    if (reason >= 0)
        cut(c, w, s, sc->at->seg, sc->di, si, reason, id);
    else
        keep(c, w);
}

/* Advances p to the value of its object's next member whose key folds to name and is not null (null counts
 * as absent); false at the end of the object or on an error. */
static bool next_named(struct json *p, const char *name)
{
    struct sv k;
    while (json_obj_next(p, &k)) {
        if (kfold(k, name) && json_peek(p) != JSON_NULL) return true;
        if (json_skip(p)) return false;
    }
    return false;
}

/* A data object's taxonomy, read as the segments' classification needs it: exactly one ext.segtax integer
 * 1..65535 (or none at all). Returns false when it is repeated or not such an integer. */
static bool data_segtax(struct sctx *c, int32_t *segtax)
{
    struct json p = c->j;
    int next = 0, ntax = 0;
    bool ok = true;
    *segtax = ORTB_UNSET;
    json_obj_begin(&p);
    while (ok && next_named(&p, "ext")) {
        next++;
        if (json_peek(&p) != JSON_OBJECT) {
            if (json_skip(&p)) break;
            continue;
        }
        json_obj_begin(&p);
        while (next_named(&p, "segtax")) {
            ntax++;
            int64_t v;
            if (json_peek(&p) != JSON_NUMBER || json_int(&p, &v) || v < 1 || v > 0xFFFF) {
                ok = false;
                break;
            }
            *segtax = (int32_t)v;
        }
    }
    if (p.err) {
        if (p.err == JSON_ETYPE || p.err == JSON_ENUMBER) return false;
        c->err = SCRUB_EJSON;
    }
    return ok && next <= 1 && ntax <= 1;
}

static void data_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                        const void *arg)
{
    (void)k;
    const struct seg_ctx *sc = arg;
    if (!KEQ(f, "segment")) {
        keep(c, w);
    } else if (misshapen(c, JSON_ARRAY)) {
        cut(c, w, s, sc->at->segment, sc->di, -1, REASON_CONSENT_MALFORMED, SV_NULL);
    } else if (json_peek(&c->j) == JSON_ARRAY) {
        arr_walk(c, segment_elem, sc);
        w_keep(c, w);
    } else {
        keep(c, w);
    }
}

static void data_elem(struct sctx *c, struct walk *w, const char *s, int32_t di, const void *arg)
{
    struct seg_ctx sc = {.at = arg, .di = di};
    if (json_peek(&c->j) == JSON_NULL) {
        keep(c, w);
    } else if (misshapen(c, JSON_OBJECT) || !data_segtax(c, &sc.segtax)) {
        /* not a data object, or which taxonomy its segments are in cannot be told: any may be sensitive */
        cut(c, w, s, sc.at->elem, di, -1, REASON_CONSENT_MALFORMED, SV_NULL);
    } else {
        obj_walk(c, data_member, &sc);
        w_keep(c, w);
    }
}

/* A data member (user.data, user.ext.data): its segments are checked whatever the consent; one that is not
 * an array of data objects goes (it could hold any segment). */
static void data_walk(struct sctx *c, struct walk *w, const char *s, const struct data_at *at)
{
    if (misshapen(c, JSON_ARRAY)) {
        cut(c, w, s, at->data, -1, -1, REASON_CONSENT_MALFORMED, SV_NULL);
    } else if (json_peek(&c->j) == JSON_ARRAY) {
        arr_walk(c, data_elem, at);
        w_keep(c, w);
    } else {
        keep(c, w);
    }
}

/* ---- user ---- */

static const char *const user_personal[] = {"id",      "buyeruid",   "yob",  "gender", "keywords",
                                            "kwarray", "customdata", "eids", "data",   "geo"};
static const char *const user_personal_paths[] = {
    "user.id",      "user.buyeruid",   "user.yob",  "user.gender", "user.keywords",
    "user.kwarray", "user.customdata", "user.eids", "user.data",   "user.geo"};
static const char *const user_signals[] = {"consent", "ext", "yob", "data"};
static const char *const uext_personal[] = {"eids", "data", "buyeruids"};
static const char *const uext_paths[] = {"user.ext.eids", "user.ext.data", "user.ext.buyeruids"};
static const char *const uext_signals[] = {"consent"};
/* What stays of user.ext without personal data: the consent signals the upstream must see (TCF's string and
 * Google's Additional Consent). Anything else is an extension about the person (Prebid's
 * user.ext.prebid.buyeruids, an exchange's own uid, a copy of user.id): a lenient decoder reads any of them,
 * and fairbid cannot tell an id from the rest, so it goes. */
static const char *const uext_keep[] = {"consent", "consentedproviderssettings",
                                        "consented_providers_settings"};
static const struct keyrule user_rules[] = {
    {user_personal, NKEYS(user_personal), user_personal_paths, NULL, false}};
static const struct keyrule uext_rules[] = {{uext_personal, NKEYS(uext_personal), uext_paths, NULL, false}};

static void user_ext_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                            const void *arg)
{
    (void)arg;
    variant_check(c, k, f, uext_signals, 1, "user.ext.consent: a key spelled in another case");
    if (rule_cut(c, w, s, k, f, uext_rules, NKEYS(uext_rules))) {
    } else if (!c->personal_ok && kfind(f, uext_keep, NKEYS(uext_keep)) < 0) {
        cut(c, w, s, "user.ext.*", -1, -1, c->personal_reason, k);
    } else if (KEQ(f, "geo")) { /* personal data allowed, precise geo perhaps not */
        geo_walk(c, w, s, &uext_geo);
    } else if (KEQ(f, "data")) {
        /* Prebid's older home of user.data: a bidder reading it would target its segments, so they are
         * classified as user.data's are */
        data_walk(c, w, s, &uext_data);
    } else {
        keep(c, w);
    }
}

static void user_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                        const void *arg)
{
    (void)arg;
    /* "data" spelled otherwise is walked below like user.data; the others are signals */
    variant_check(c, k, f, user_signals, 3,
                  "user: a privacy key (consent, ext, yob) spelled in another case");
    if (rule_cut(c, w, s, k, f, user_rules, NKEYS(user_rules))) {
    } else if (!c->personal_ok && !KEQ(f, "consent") && !KEQ(f, "ext")) {
        /* a member OpenRTB does not define (or a future one): everything in user is about the person, so
         * without personal data only the consent and ext (walked below) stay */
        cut(c, w, s, "user.*", -1, -1, c->personal_reason, k);
    } else if (KEQ(f, "data")) { /* personal data allowed: its segments are still checked */
        data_walk(c, w, s, &user_data);
    } else if (KEQ(f, "geo")) {
        geo_walk(c, w, s, &user_geo);
    } else if (KEQ(f, "ext")) {
        if (!c->personal_ok && misshapen(c, JSON_OBJECT)) {
            cut(c, w, s, "user.ext", -1, -1, c->personal_reason, SV_NULL);
        } else if (json_peek(&c->j) == JSON_OBJECT) {
            obj_walk(c, user_ext_member, NULL);
            w_keep(c, w);
        } else {
            keep(c, w);
        }
    } else {
        keep(c, w);
    }
}

/* ---- regs: nothing is removed, but every signal must be spelled as fairbid reads it ---- */

static const char *const regs_signals[] = {"coppa",   "gdpr", "us_privacy", "gpp",
                                           "gpp_sid", "ext",  "gpc",        "dsa"};

static void regs_walk(struct sctx *c, int depth)
{
    if (json_peek(&c->j) != JSON_OBJECT) {
        json_skip(&c->j);
        return;
    }
    json_obj_begin(&c->j);
    struct sv k;
    char buf[KEY_FOLD_MAX];
    while (!c->err && json_obj_next(&c->j, &k)) {
        variant_check(c, k, fold(k, buf), regs_signals, 8, "regs: a privacy key spelled in another case");
        if (depth == 0 && sv_eq_cstr(k, "ext"))
            regs_walk(c, 1);
        else
            json_skip(&c->j);
    }
}

/* ---- the request ---- */

static const char *const root_signals[] = {"regs", "user", "device"};

static void root_member(struct sctx *c, struct walk *w, const char *s, struct sv k, struct sv f,
                        const void *arg)
{
    (void)arg;
    variant_check(c, k, f, root_signals, 3, "a top-level key (regs, user, device) spelled in another case");
    bool user = KEQ(f, "user"), device = !user && KEQ(f, "device");
    if (KEQ(f, "tmax")) {
        const char *vs = value_start(c);
        if (json_skip(&c->j)) return;
        edit(c, vs, c->j.p, c->tmax_rep, c->tmax_rlen);
        /* "TMAX" is rewritten too (a folding decoder reads it), but only "tmax" tells the others */
        if (sv_eq_cstr(k, "tmax")) c->saw_tmax = true;
        w_keep(c, w);
    } else if ((user || device) && !c->personal_ok && misshapen(c, JSON_OBJECT)) {
        cut(c, w, s, user ? "user" : "device", -1, -1, c->personal_reason, SV_NULL);
    } else if ((user || device) && json_peek(&c->j) == JSON_OBJECT) {
        obj_walk(c, user ? user_member : device_member, NULL);
        w_keep(c, w);
    } else if (KEQ(f, "regs")) {
        regs_walk(c, 0);
        w_keep(c, w);
    } else {
        keep(c, w);
    }
}

static void root_walk(struct sctx *c)
{
    obj_walk(c, root_member, NULL);
    if (!c->err && c->j.err) c->err = c->j.err == JSON_ENOMEM ? SCRUB_ENOMEM : SCRUB_EJSON;
}

/* What this person's consent allows of each sensitive class (filters/sensitive.c's rule). */
static uint32_t sensitive_allowed(const struct policy *p, const struct consent_state *cs)
{
    uint32_t m = 0;
    for (int cls = 0; cls < CLASS__COUNT; cls++)
        if ((class_mask_sensitive & CLASS_BIT(cls)) && sensitive_consented(p, cs, cls)) m |= CLASS_BIT(cls);
    return m;
}

int scrub_request(const struct scrub_input *in, struct arena *a, char *out, size_t cap,
                  struct scrub_result *r)
{
    *r = (struct scrub_result){.reason = -1, .geo_reason = -1};
    consent_for_vendor(in->cs, in->tcf_vendor_id, in->tcf_strict, &r->vendor);
    const struct consent_state *vs = &r->vendor;
    if (vs->block_all >= 0) {
        r->reason = vs->block_all;
        r->detail = vs->all_detail;
        return SCRUB_OK;
    }

    struct sctx c = {.a = a, .base = in->body, .r = r, .in = in, .block = -1};
    c.edits.max = 1u << 20;
    c.removed.max = SCRUB_MAX_REMOVED;
    c.personal_ok = vs->block_personal < 0;
    c.personal_reason = vs->block_personal;
    r->detail = vs->detail;
    const struct juris_state *js = in->js;
    int32_t yob = in->req->user.yob;
    int32_t age = (yob != ORTB_UNSET && yob > 1900 && yob <= in->year) ? in->year - yob : -1;
    if (c.personal_ok && js && js->min_age > 0 && age >= 0 && age < js->min_age) {
        c.personal_ok = false;
        c.personal_reason = REASON_JURISDICTION_MINOR;
        r->detail = SV_LIT("under the law's minimum age for targeted ads");
    }
    c.geo_ok = c.personal_ok && vs->precise_geo_ok;
    c.geo_reason = c.personal_ok ? (vs->minor ? REASON_MINOR_AGE : vs->block_personal) : c.personal_reason;
    if (c.geo_ok && js && js->precise_geo == JURIS_GEO_BANNED) {
        c.geo_ok = false;
        c.geo_reason = REASON_JURISDICTION_PRECISE_GEO;
    }
    if (c.geo_ok && vs->gdpr_applies && (!vs->tc || !tcf_special_feature(vs->tc, 1))) {
        c.geo_ok = false;
        c.geo_reason = REASON_CONSENT_TCF_GEO;
    }
    if (c.geo_reason < 0) c.geo_reason = REASON_CONSENT_TCF_GEO; /* unreachable: geo_ok is then true */
    c.sens_allowed = sensitive_allowed(in->policy, vs);
    c.sens_banned = js && js->sensitive_banned;

    char tbuf[16];
    int32_t t = in->tmax_ms < 1       ? 1
                : in->tmax_ms > 99999 ? 99999
                                      : in->tmax_ms; /* <= 5 digits: see scrub.h */
    size_t tn = put_uint(tbuf, (unsigned)t);
    char *trep = arena_alloc(a, tn, 1);
    if (!trep) return SCRUB_ENOMEM;
    memcpy(trep, tbuf, tn);
    c.tmax_rep = trep;
    c.tmax_rlen = (uint32_t)tn;

    json_init(&c.j, in->body, in->len, a);
    if (json_peek(&c.j) != JSON_OBJECT) return SCRUB_EJSON;
    const char *open = c.j.p; /* the request's '{' */
    root_walk(&c);
    if (c.err) return c.err;
    if (c.block >= 0) {
        r->reason = c.block;
        r->detail = sv_from(c.block_detail);
        return SCRUB_OK;
    }

    /* write: the kept bytes between the edits, in order (checked: each edit starts where the last ended) */
    const struct edit *e = c.edits.items;
    size_t head = (size_t)(open - in->body) + 1, ins = c.saw_tmax ? 0 : 7 + tn + 1;
    size_t need = in->len + ins, pos = 0;
    for (uint32_t i = 0; i < c.edits.n; i++) {
        if (e[i].a < pos || e[i].b < e[i].a || e[i].b > in->len || (ins && e[i].a < head)) return SCRUB_EJSON;
        need = need - (e[i].b - e[i].a) + e[i].rlen;
        pos = e[i].b;
    }
    if (need > cap) {
        r->out_len = need;
        return SCRUB_ESPACE;
    }
    size_t o = 0;
    pos = 0;
    if (ins) {
        /* no tmax: the upstream is told the time it has (a member ahead of id and imp, which always stay) */
        memcpy(out, in->body, head);
        o = pos = head;
        memcpy(out + o, "\"tmax\":", 7);
        o += 7;
        memcpy(out + o, tbuf, tn);
        o += tn;
        out[o++] = ',';
    }
    for (uint32_t i = 0; i < c.edits.n; i++) {
        memcpy(out + o, in->body + pos, e[i].a - pos);
        o += e[i].a - pos;
        if (e[i].rep) {
            memcpy(out + o, e[i].rep, e[i].rlen);
            o += e[i].rlen;
        }
        pos = e[i].b;
    }
    memcpy(out + o, in->body + pos, in->len - pos);
    o += in->len - pos;
    r->forward = true;
    r->out_len = o;
    r->personal = c.personal_ok;
    r->precise_geo = c.geo_ok;
    r->reason = c.personal_ok ? -1 : c.personal_reason;
    if (c.personal_ok) r->detail = SV_NULL;
    r->geo_reason = c.geo_ok ? -1 : c.geo_reason;
    r->removed = c.removed.items;
    r->nremoved = c.removed.n;
    return SCRUB_OK;
}
