/* Unit tests for filters/ortb: the OpenRTB 2.6 request parser. The bundled sample request field by field;
 * every prefix of it (must fail, never crash, input against a guard page); error tables with the code, the
 * field and the byte offset each error must name; caps; null as absent; duplicate keys; privacy-signal
 * shapes; and arena exhaustion at every arena size from 0 up to what the request needs. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "filters/ortb.h"
#include "tests/unit/testutil.h"

/* ---- helpers ---- */

static _Alignas(16) char g_mem[1 << 20];
static struct arena g_arena;
static char g_body[1 << 20];

/* Test requests are written with ' for " to stay readable. A '^' marks the byte offset an error must name
 * (and is removed); a second marker '$' makes [^, $] a range. Returns the body length. */
static size_t unquote(const char *q, char *out, long *lo, long *hi)
{
    size_t n = 0;
    *lo = *hi = -1;
    for (const char *p = q; *p; p++) {
        if (*p == '^') {
            *lo = (long)n;
            continue;
        }
        if (*p == '$') {
            *hi = (long)n;
            continue;
        }
        out[n++] = *p == '\'' ? '"' : *p;
    }
    if (*hi < 0) *hi = *lo;
    return n;
}

static int parse_q(const char *q, struct ortb_request *r, struct ortb_error *e)
{
    long lo, hi;
    size_t n = unquote(q, g_body, &lo, &hi);
    arena_init(&g_arena, g_mem, sizeof g_mem);
    return ortb_parse(g_body, n, &g_arena, r, e);
}

static int parse_raw(const char *body, size_t n, struct ortb_request *r, struct ortb_error *e)
{
    arena_init(&g_arena, g_mem, sizeof g_mem);
    return ortb_parse(body, n, &g_arena, r, e);
}

static bool sv_is(struct sv s, const char *c)
{
    return s.p && sv_eq_cstr(s, c);
}

#define MIN_REQ "'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}]"

/* ---- the bundled sample ---- */

Test(ortb, sample_request_fields)
{
    size_t len;
    char *body = tu_load_file("deploy/sample-request.json", &len);
    struct ortb_request r;
    struct ortb_error e;
    int rc = parse_raw(body, len, &r, &e);
    cr_assert_eq(rc, 0, "sample: %s (%s) at %zu field %s", ortb_strerror(rc), e.msg, e.offset,
                 e.field ? e.field : "-");
    cr_expect(sv_is(r.id, "req-7f3a9c2e-0b51-4d8e-9a61-3c2f1e8d4b70"));
    cr_expect_eq(r.tmax, 120);
    cr_expect_eq(r.at, 1);
    cr_expect_eq(r.cattax, 1);
    cr_expect_eq(r.test, ORTB_UNSET);
    cr_expect(r.cur.n == 1 && sv_is(r.cur.v[0], "USD"));
    cr_expect(r.bcat.n == 2 && sv_is(r.bcat.v[0], "IAB25") && sv_is(r.bcat.v[1], "IAB26"));
    cr_expect(r.badv.n == 1 && sv_is(r.badv.v[0], "blocked.example"));
    cr_assert_eq(r.nimp, 1);
    const struct ortb_imp *imp = &r.imp[0];
    cr_expect(sv_is(imp->id, "1"));
    cr_expect(imp->has_banner && !imp->has_video && !imp->has_audio && !imp->has_native);
    cr_expect_eq(imp->banner_w, 300);
    cr_expect_eq(imp->banner_h, 250);
    cr_assert_eq(imp->nformat, 2);
    cr_expect(imp->format[1].w == 336 && imp->format[1].h == 280);
    cr_expect_eq(imp->bidfloor, 1.25);
    cr_expect(sv_is(imp->bidfloorcur, "USD"));
    cr_expect_eq(r.ctx.kind, ORTB_CTX_SITE);
    cr_expect(sv_is(r.ctx.id, "site-102855"));
    cr_expect(sv_is(r.ctx.domain, "dailyrunner.example"));
    cr_expect(r.ctx.cat.n == 2 && sv_is(r.ctx.cat.v[1], "IAB17-40"));
    cr_expect_eq(r.ctx.cattax, 1);
    cr_expect(sv_is(r.ctx.publisher_id, "pub-8953"));
    cr_expect(r.ctx.content_cat.n == 1 && sv_is(r.ctx.content_cat.v[0], "483"));
    cr_expect_eq(r.ctx.content_cattax, 2);
    cr_expect(r.device.present);
    cr_expect(sv_is(r.device.ip, "203.0.113.42"));
    cr_expect(r.device.ua.n > 50);
    cr_expect(r.device.geo.present && sv_is(r.device.geo.country, "USA") && sv_is(r.device.geo.region, "CA"));
    cr_expect(sv_is(r.device.geo.zip, "94107"));
    cr_expect_eq(r.device.geo.type, 2);
    cr_expect(!r.device.geo.has_lat);
    cr_expect_eq(r.device.dnt, 0);
    cr_expect_eq(r.device.lmt, 0);
    cr_expect_eq(r.device.devicetype, 2);
    cr_expect(r.user.present);
    cr_expect(sv_is(r.user.id, "u-4b1e2f7c9d") && sv_is(r.user.buyeruid, "fb-9d8c7b6a5f4e"));
    cr_expect_eq(r.user.yob, 1986);
    cr_expect(sv_is(r.user.gender, "F"));
    cr_assert_eq(r.user.ndata, 1);
    cr_expect_eq(r.user.data[0].segtax, 4);
    cr_expect(sv_is(r.user.data[0].name, "audience.example"));
    cr_expect(r.user.data[0].segment.n == 2 && sv_is(r.user.data[0].segment.v[1], "246"));
    cr_expect(r.user.eid_sources.n == 1 && sv_is(r.user.eid_sources.v[0], "id5-sync.com"));
    cr_expect(r.regs.present);
    cr_expect_eq(r.regs.coppa, 0);
    cr_expect(r.regs.gdpr == 0 && r.regs.gdpr_sig == ORTB_SIG_OK);
    cr_expect(sv_is(r.regs.us_privacy, "1YNN") && r.regs.us_privacy_sig == ORTB_SIG_OK);
    cr_expect(r.regs.gpp_sig == ORTB_SIG_OK && r.regs.gpp.n == 0 && r.regs.gpp.p != NULL,
              "gpp \"\" is present");
    cr_expect(r.regs.gpp_sid_sig == ORTB_SIG_OK && r.regs.ngpp_sid == 0);
    cr_expect(r.regs.gpc == 0 && r.regs.gpc_sig == ORTB_SIG_OK);
    cr_expect_eq(r.regs.ext_sig, ORTB_SIG_OK);
    cr_expect(!r.regs.has_dsa);
    /* views point into the body: no escapes in the sample, so no string was copied */
    cr_expect(r.id.p >= body && r.id.p < body + len);
    free(body);
}

Test(ortb, sample_every_prefix_fails_cleanly)
{
    size_t len;
    char *body = tu_load_file("deploy/sample-request.json", &len);
    size_t last = len;
    while (last > 0 && (body[last - 1] == '\n' || body[last - 1] == ' ' || body[last - 1] == '\r')) last--;
    struct tu_guard g;
    tu_guard_init(&g, len);
    for (size_t n = 0; n <= len; n++) {
        const char *in = tu_guard_put(&g, body, n);
        struct ortb_request r;
        struct ortb_error e;
        arena_init(&g_arena, g_mem, sizeof g_mem);
        int rc = ortb_parse(in, n, &g_arena, &r, &e);
        if (n < last) {
            cr_expect_eq(rc, ORTB_EJSON, "prefix %zu/%zu: %s (%s)", n, len, ortb_strerror(rc),
                         e.msg ? e.msg : "");
            cr_expect_eq(e.code, rc, "prefix %zu: err.code", n);
            cr_expect_not_null(e.msg, "prefix %zu: message", n);
            cr_expect(e.offset <= n, "prefix %zu: offset %zu past the end", n, e.offset);
        } else {
            cr_expect_eq(rc, 0, "prefix %zu (complete document): %s", n, e.msg ? e.msg : "");
        }
    }
    tu_guard_fini(&g);
    free(body);
}

Test(ortb, sample_every_byte_mutation_is_safe)
{
    static const unsigned char evil[] = {'"', '\\', '{', ']', ',', 0, 0xc3, 0xff, '-', '9', 'n'};
    size_t len;
    char *body = tu_load_file("deploy/sample-request.json", &len);
    char *tmp = malloc(len);
    struct tu_guard g;
    tu_guard_init(&g, len);
    for (size_t pos = 0; pos < len; pos++) {
        for (size_t k = 0; k < sizeof evil; k++) {
            memcpy(tmp, body, len);
            tmp[pos] = (char)evil[k];
            const char *in = tu_guard_put(&g, tmp, len);
            struct ortb_request r;
            struct ortb_error e;
            arena_init(&g_arena, g_mem, sizeof g_mem);
            int rc = ortb_parse(in, len, &g_arena, &r, &e);
            cr_assert(rc <= 0 && rc >= ORTB_ENOMEM, "byte %zu -> 0x%02x: rc %d", pos, evil[k], rc);
            if (rc) {
                cr_expect_eq(e.code, rc, "byte %zu -> 0x%02x: err.code", pos, evil[k]);
                cr_expect(e.offset <= len, "byte %zu -> 0x%02x: offset %zu", pos, evil[k], e.offset);
                cr_expect_not_null(e.msg);
            } else {
                cr_expect(r.id.n > 0 && r.nimp > 0, "byte %zu -> 0x%02x: accepted without id or imp", pos,
                          evil[k]);
            }
        }
    }
    tu_guard_fini(&g);
    free(tmp);
    free(body);
}

/* ---- the error table ---- */

#define E(code) (1u << -(code))

struct ecase {
    const char *name;
    const char *req;   /* ' for ", ^ marks the offset, $ the end of an offset range */
    unsigned codes;    /* accepted codes, E(...) | E(...) */
    const char *field; /* err.field, or NULL when it does not matter */
};

static const struct ecase ecases[] = {
    /* not JSON */
    {"not JSON at all", "^malformed", E(ORTB_EJSON), NULL},
    {"empty body", "^", E(ORTB_EJSON), NULL},
    {"blanks only", "  ^", E(ORTB_EJSON), NULL},
    {"syntax error before shape", "[1,^", E(ORTB_EJSON), NULL},
    {"missing comma between members", "{'id':'r'^'imp':[{'id':'1'}]}", E(ORTB_EJSON), NULL},
    {"missing comma in banner", "{'id':'r','imp':[{'id':'1','banner':{'w':300 ^'h':250}}]}", E(ORTB_EJSON),
     NULL},
    {"trailing comma in object", "{'id':'r','imp':[{'id':'1'}],^}", E(ORTB_EJSON), NULL},
    {"trailing comma in imp array", "{'id':'r','imp':[{'id':'1'},^]}", E(ORTB_EJSON), NULL},
    {"trailing comma in bcat", "{" MIN_REQ ",'bcat':['IAB1',^]}", E(ORTB_EJSON), NULL},
    {"bad escape in id", "{'id':'r^\\x','imp':[{'id':'1'}]}", E(ORTB_EJSON), NULL},
    {"lone surrogate in a read field", "{'id':'^\\ud800','imp':[{'id':'1'}]}", E(ORTB_EJSON), NULL},
    {"lone surrogate in a skipped field", "{" MIN_REQ ",'x':'ab^\\udc00'}", E(ORTB_EJSON), NULL},
    {"control character in a string", "{'id':'a^\x01','imp':[{'id':'1'}]}", E(ORTB_EJSON), NULL},
    {"overlong UTF-8 in a read field", "{'id':'^\xc0\x80','imp':[{'id':'1'}]}", E(ORTB_EJSON), NULL},
    {"UTF-8 surrogate in a skipped field", "{" MIN_REQ ",'site':{'name':'^\xed\xa0\x80'}}", E(ORTB_EJSON),
     NULL},
    {"truncated UTF-8 in a key", "{" MIN_REQ ",'^\xe2\x82':1}", E(ORTB_EJSON), NULL},
    {"trailing data", "{" MIN_REQ "} ^x", E(ORTB_EJSON), NULL},
    {"two documents", "{" MIN_REQ "}^{}", E(ORTB_EJSON), NULL},

    /* huge numbers */
    {"20-digit integer in tmax", "{" MIN_REQ ",'tmax':^99999999999999999999}",
     E(ORTB_EJSON) | E(ORTB_EINVALID), "tmax"},
    {"int32 overflow in tmax", "{" MIN_REQ ",'tmax':^3000000000$}", E(ORTB_EINVALID), "tmax"},
    {"INT32_MIN is reserved in tmax", "{" MIN_REQ ",'tmax':^-2147483648$}", E(ORTB_EINVALID), "tmax"},
    {"1e999 in bidfloor", "{'id':'r','imp':[{'id':'1','bidfloor':^1e999}]}", E(ORTB_EJSON) | E(ORTB_EINVALID),
     "imp.bidfloor"},
    {"1e999 in an int field", "{" MIN_REQ ",'tmax':^1e999}", E(ORTB_EJSON) | E(ORTB_EINVALID), "tmax"},
    {"fraction in an int field", "{" MIN_REQ ",'at':^1.5}", E(ORTB_EJSON) | E(ORTB_EINVALID), "at"},

    /* shape */
    {"null body", "null", E(ORTB_ESHAPE), NULL},
    {"array body", "[]", E(ORTB_ESHAPE), NULL},
    {"number body", "6.3", E(ORTB_ESHAPE), NULL},
    {"string body", "'x'", E(ORTB_ESHAPE), NULL},
    {"false body", "false", E(ORTB_ESHAPE), NULL},

    /* required */
    {"empty object", "{}^", E(ORTB_EREQUIRED), "id"},
    {"id only", "{'id':'r'}^", E(ORTB_EREQUIRED), "imp"},
    {"imp empty", "{'id':'r','imp':[]}^", E(ORTB_EREQUIRED), "imp"},
    {"imp null", "{'id':'r','imp':^null}", E(ORTB_EREQUIRED), "imp"},
    {"imp not an array", "{'id':'r','imp':^{'id':'1'}}", E(ORTB_EREQUIRED), "imp"},
    {"empty id", "{'id':'','imp':[{'id':'1'}]}^", E(ORTB_EREQUIRED), "id"},
    {"numeric id", "{'id':^5,'imp':[{'id':'1'}]}", E(ORTB_EREQUIRED), "id"},
    {"null id is a missing id", "{'id':^null,'imp':[{'id':'1'}]}", E(ORTB_EREQUIRED), "id"},
    {"imp entry without id", "{'id':'r','imp':[{'banner':{}}^]}", E(ORTB_EREQUIRED), "imp.id"},
    {"imp entry with empty id", "{'id':'r','imp':[{'id':''}^]}", E(ORTB_EREQUIRED), "imp.id"},
    {"imp entry null", "{'id':'r','imp':[null^]}", E(ORTB_EREQUIRED), "imp[]"},
    {"imp entry a number", "{'id':'r','imp':[^1]}", E(ORTB_EINVALID) | E(ORTB_EREQUIRED), "imp[]"},

    /* invalid */
    {"duplicate imp ids", "{'id':'r','imp':[{'id':'1'},^{'id':'1'}]}$", E(ORTB_EINVALID), "imp.id"},
    {"site and app", "{'id':'r','imp':[{'id':'1'}],'site':{},'app':^{}}", E(ORTB_EINVALID), "app"},
    {"site and dooh", "{'id':'r','imp':[{'id':'1'}],'site':{},'dooh':^{}}", E(ORTB_EINVALID), "dooh"},
    {"site twice", "{'id':'r','imp':[{'id':'1'}],'site':{},'site':^{}}", E(ORTB_EINVALID), "site"},
    {"negative banner.w", "{'id':'r','imp':[{'id':'1','banner':^{'w':-300,'h':250}$}]}", E(ORTB_EINVALID),
     "imp.banner.w"},
    {"negative banner.h", "{'id':'r','imp':[{'id':'1','banner':^{'w':300,'h':-1}$}]}", E(ORTB_EINVALID),
     "imp.banner.h"},
    {"negative format.w", "{'id':'r','imp':[{'id':'1','banner':{'format':[^{'w':-1,'h':5}$]}}]}",
     E(ORTB_EINVALID), NULL},
    {"negative video.w", "{'id':'r','imp':[{'id':'1','video':{'mimes':['v'],'w':^-640$}}]}", E(ORTB_EINVALID),
     "imp.video"},
    {"negative device.w", "{" MIN_REQ ",'device':{'w':^-1$}}", E(ORTB_EINVALID), "device.w"},
    {"negative bidfloor", "{'id':'r','imp':[{'id':'1','bidfloor':^-0.5}$]}", E(ORTB_EINVALID),
     "imp.bidfloor"},
    {"banner a string", "{'id':'r','imp':[{'id':'1','banner':^'300x250'}]}", E(ORTB_EINVALID), "imp.banner"},
    {"format an object", "{'id':'r','imp':[{'id':'1','banner':{'format':^{}}}]}", E(ORTB_EINVALID),
     "imp.banner.format"},
    {"tmax a string", "{" MIN_REQ ",'tmax':^'120'}", E(ORTB_EINVALID), "tmax"},
    {"bcat a string", "{" MIN_REQ ",'bcat':^'IAB1'}", E(ORTB_EINVALID), "bcat"},
    {"bcat with a boolean", "{" MIN_REQ ",'bcat':['IAB1',^true]}", E(ORTB_EINVALID), "bcat"},
    {"cur with an object", "{" MIN_REQ ",'cur':[^{}]}", E(ORTB_EINVALID), "cur"},
    {"site a string", "{" MIN_REQ ",'site':^'x'}", E(ORTB_EINVALID), "site"},
    {"device an array", "{" MIN_REQ ",'device':^[]}", E(ORTB_EINVALID), "device"},
    {"gender a number", "{" MIN_REQ ",'user':{'gender':^1}}", E(ORTB_EINVALID), "user.gender"},
    {"user.data an object", "{" MIN_REQ ",'user':{'data':^{}}}", E(ORTB_EINVALID), "user.data"},
    {"segment a string", "{" MIN_REQ ",'user':{'data':[{'segment':^'s'}]}}", E(ORTB_EINVALID),
     "user.data.segment"},
    {"user.eids an object", "{" MIN_REQ ",'user':{'eids':^{}}}", E(ORTB_EINVALID), "user.eids"},
    {"geo.lat a string", "{" MIN_REQ ",'device':{'geo':{'lat':^'1.5'}}}", E(ORTB_EINVALID), "device.geo.lat"},
};

Test(ortb, error_table)
{
    struct tu_guard g;
    tu_guard_init(&g, 4096);
    for (size_t i = 0; i < sizeof ecases / sizeof ecases[0]; i++) {
        const struct ecase *c = &ecases[i];
        long lo, hi;
        char tmp[4096];
        size_t n = unquote(c->req, tmp, &lo, &hi);
        const char *in = tu_guard_put(&g, tmp, n);
        struct ortb_request r;
        struct ortb_error e;
        arena_init(&g_arena, g_mem, sizeof g_mem);
        int rc = ortb_parse(in, n, &g_arena, &r, &e);
        cr_expect(rc < 0 && (c->codes & E(rc)), "[%s] rc %d (%s): %s", c->name, rc, ortb_strerror(rc),
                  e.msg ? e.msg : "-");
        if (rc >= 0) continue;
        cr_expect_eq(e.code, rc, "[%s] err.code", c->name);
        cr_expect_not_null(e.msg, "[%s] err.msg", c->name);
        if (c->field)
            cr_expect(e.field && strcmp(e.field, c->field) == 0, "[%s] field %s, want %s", c->name,
                      e.field ? e.field : "(null)", c->field);
        if (lo >= 0)
            cr_expect((long)e.offset >= lo && (long)e.offset <= hi, "[%s] offset %zu, want %ld..%ld (%s)",
                      c->name, e.offset, lo, hi, e.msg ? e.msg : "");
        cr_expect(e.offset <= n, "[%s] offset %zu past the body", c->name, e.offset);
    }
    tu_guard_fini(&g);
}

Test(ortb, strerror_names_every_code)
{
    static const int codes[] = {ORTB_OK,       ORTB_EJSON,  ORTB_ESHAPE, ORTB_EREQUIRED,
                                ORTB_EINVALID, ORTB_ELIMIT, ORTB_ENOMEM};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        cr_expect_not_null(ortb_strerror(codes[i]));
        for (size_t k = 0; k < i; k++)
            cr_expect_str_neq(ortb_strerror(codes[i]), ortb_strerror(codes[k]),
                              "codes %d and %d share a text", codes[i], codes[k]);
    }
    cr_expect_not_null(ortb_strerror(-99));
}

/* ---- nesting ---- */

Test(ortb, nesting_depth_64_ok_65_rejected)
{
    /* The request object is level 1, so an unknown field can nest 63 more levels. */
    static char buf[4096];
    for (int extra = 62; extra <= 64; extra++) {
        size_t n = (size_t)sprintf(buf, "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"ext\":"), n0 = n;
        for (int i = 0; i < extra; i++) buf[n++] = '[';
        for (int i = 0; i < extra; i++) buf[n++] = ']';
        buf[n++] = '}';
        struct ortb_request r;
        struct ortb_error e;
        int rc = parse_raw(buf, n, &r, &e);
        if (1 + extra <= JSON_MAX_DEPTH) {
            cr_expect_eq(rc, 0, "depth %d: %s", 1 + extra, e.msg ? e.msg : "");
        } else {
            cr_expect_eq(rc, ORTB_EJSON, "depth %d: %d", 1 + extra, rc);
            cr_expect_eq(e.offset, n0 + 63, "depth %d: offset %zu at the 65th opener", 1 + extra, e.offset);
        }
    }
}

/* ---- caps ---- */

/* head, then count items joined by ',', then tail; each '#' in item becomes the item's index. */
static size_t build_list(char *buf, const char *head, const char *item, int count, const char *tail)
{
    size_t n = (size_t)sprintf(buf, "%s", head);
    for (int i = 0; i < count; i++) {
        if (i) buf[n++] = ',';
        for (const char *p = item; *p; p++) {
            if (*p == '#')
                n += (size_t)sprintf(buf + n, "%d", i);
            else
                buf[n++] = *p;
        }
    }
    n += (size_t)sprintf(buf + n, "%s", tail);
    return n;
}

Test(ortb, caps_table)
{
    static const struct {
        const char *what, *head, *item;
        int cap;
        const char *tail, *field;
    } cases[] = {
        {"imps", "{\"id\":\"r\",\"imp\":[", "{\"id\":\"i#\",\"banner\":{\"w\":#,\"h\":1}}", ORTB_MAX_IMP,
         "]}", "imp"},
        {"formats", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"banner\":{\"format\":[", "{\"w\":#,\"h\":#}",
         ORTB_MAX_FORMAT, "]}}]}", "imp.banner.format"},
        {"bcat", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"bcat\":[", "\"c#-#\"", ORTB_MAX_LIST, "]}",
         "bcat"},
        {"badv", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"badv\":[", "\"d##.example\"", ORTB_MAX_LIST, "]}",
         "badv"},
        {"cur", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"cur\":[", "\"C##\"", ORTB_MAX_LIST, "]}", "cur"},
        {"site.cat", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"site\":{\"cat\":[", "\"#-#\"", ORTB_MAX_LIST,
         "]}}", "site.cat"},
        {"user.data", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"data\":[", "{\"id\":\"d##\"}",
         ORTB_MAX_DATA, "]}}", "user.data"},
        {"segments", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"data\":[{\"segment\":[",
         "{\"id\":\"##\"}", ORTB_MAX_SEGMENT, "]}]}}", "user.data.segment"},
        {"user.eids", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"user\":{\"eids\":[", "{\"source\":\"s##\"}",
         ORTB_MAX_LIST, "]}}", "user.eids"},
        {"gpp_sid", "{\"id\":\"r\",\"imp\":[{\"id\":\"1\"}],\"regs\":{\"gpp_sid\":[", "#", ORTB_MAX_LIST,
         "]}}", "regs.gpp_sid"},
    };
    char *buf = malloc(1 << 20);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int count = cases[i].cap; count <= cases[i].cap + 1; count++) {
            size_t n = build_list(buf, cases[i].head, cases[i].item, count, cases[i].tail);
            struct ortb_request r;
            struct ortb_error e;
            int rc = parse_raw(buf, n, &r, &e);
            if (count <= cases[i].cap) {
                cr_expect_eq(rc, 0, "%s x%d (at the cap): %s", cases[i].what, count, e.msg ? e.msg : "");
            } else {
                cr_expect_eq(rc, ORTB_ELIMIT, "%s x%d (past the cap): rc %d %s", cases[i].what, count, rc,
                             e.msg ? e.msg : "");
                cr_expect(e.field && strcmp(e.field, cases[i].field) == 0, "%s: field %s", cases[i].what,
                          e.field ? e.field : "(null)");
            }
        }
    }
    /* 64 imps parse into 64 structs */
    size_t n = build_list(buf, cases[0].head, cases[0].item, 64, cases[0].tail);
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(parse_raw(buf, n, &r, &e), 0);
    cr_expect_eq(r.nimp, 64);
    cr_expect(sv_is(r.imp[63].id, "i63") && r.imp[63].banner_w == 63);
    free(buf);
}

/* ---- accepted shapes ---- */

Test(ortb, null_is_absent_everywhere)
{
    struct ortb_request r;
    struct ortb_error e;
    int rc =
        parse_q("{'id':'r','imp':[{'id':'1','banner':null,'video':null,'bidfloor':null,'bidfloorcur':null}],"
                "'tmax':null,'at':null,'cur':null,'bcat':null,'badv':null,'cattax':null,'site':null,"
                "'app':{'bundle':null,'cat':null,'publisher':null,'content':null},'device':{'geo':null,"
                "'lmt':null,'ua':null},'user':{'yob':null,'gender':null,'consent':null,'data':null,"
                "'eids':null,'ext':null},'regs':{'coppa':null,'gdpr':null,'us_privacy':null,'gpp':null,"
                "'gpp_sid':null,'ext':null},'source':null,'ext':null}",
                &r, &e);
    cr_assert_eq(rc, 0, "%s at %zu", e.msg, e.offset);
    cr_expect(!r.imp[0].has_banner && !r.imp[0].has_video, "banner: null leaves the imp without a banner");
    cr_expect_eq(r.imp[0].bidfloor, 0);
    cr_expect(!sv_present(r.imp[0].bidfloorcur));
    cr_expect_eq(r.tmax, ORTB_UNSET);
    cr_expect_eq(r.cur.n, 0);
    cr_expect_eq(r.ctx.kind, ORTB_CTX_APP, "site: null does not count as a site");
    cr_expect(!sv_present(r.ctx.bundle));
    cr_expect(r.device.present && !r.device.geo.present && r.device.lmt == ORTB_UNSET);
    cr_expect_eq(r.user.yob, ORTB_UNSET);
    cr_expect_eq(r.user.consent_sig, ORTB_SIG_ABSENT);
    cr_expect_eq(r.regs.coppa, ORTB_UNSET);
    cr_expect(r.regs.gdpr == ORTB_UNSET && r.regs.gdpr_sig == ORTB_SIG_ABSENT);
    cr_expect_eq(r.regs.us_privacy_sig, ORTB_SIG_ABSENT);
    cr_expect_eq(r.regs.gpp_sig, ORTB_SIG_ABSENT);
    cr_expect_eq(r.regs.gpp_sid_sig, ORTB_SIG_ABSENT);
    cr_expect_eq(r.regs.ext_sig, ORTB_SIG_ABSENT);

    rc = parse_q("{'id':'r','imp':[{'id':'1'}],'device':null,'user':null,'regs':null}", &r, &e);
    cr_assert_eq(rc, 0);
    cr_expect(!r.device.present && !r.user.present && !r.regs.present);
}

Test(ortb, unknown_fields_are_skipped)
{
    struct ortb_request r;
    struct ortb_error e;
    int rc = parse_q("{'zzz':{'a':[1,2,{'b':null,'c':[true,false,-0.5e3]}],'d':'\\u00e9\\n'},'id':'r',"
                     "'Imp':[1],'IMP':'x','imp':[{'id':'1','tagid':'t','ext':{'prebid':{'bidder':{}}},"
                     "'banner':{'w':300,'h':250,'btype':[4],'ext':{'x':'y'}},'pmp':{'deals':[{'id':''}]},"
                     "'native':{'request':'{\\'ver\\':1}'}}],'source':{'schain':{'nodes':[]}},"
                     "'device':{'sua':{'browsers':[{'brand':''}]},'IP':'1.1.1.1','geo':{'accuracy':-5}},"
                     "'user':{'buyerUid':'x','ext':{'foo':1}},'regs':{'ext':{'unknown':[]}},'ext':{}}",
                     &r, &e);
    cr_assert_eq(rc, 0, "%s at %zu", e.msg, e.offset);
    cr_expect(sv_is(r.id, "r"));
    cr_expect(r.nimp == 1 && r.imp[0].has_banner && r.imp[0].has_native);
    cr_expect(!sv_present(r.device.ip), "keys are case-sensitive: device.IP is unknown");
    cr_expect(!sv_present(r.user.buyeruid));
}

Test(ortb, duplicate_keys_last_wins)
{
    /* RFC 8259 leaves duplicate names to the parser; fairbid keeps the last one (docs/http.md) */
    struct ortb_request r;
    struct ortb_error e;
    int rc = parse_q("{'id':'first','id':'last','tmax':100,'tmax':200,'bcat':['A'],'bcat':['B','C'],"
                     "'imp':[{'id':'1','bidfloor':1,'bidfloor':2,'banner':{'w':1,'w':300,'h':250}}],"
                     "'user':{'gender':'M','gender':'F'}}",
                     &r, &e);
    cr_assert_eq(rc, 0, "%s at %zu", e.msg, e.offset);
    cr_expect(sv_is(r.id, "last"));
    cr_expect_eq(r.tmax, 200);
    /* except lists that block: a second copy joins the first, so it can never lift a block (issue 12) */
    cr_expect(r.bcat.n == 3 && sv_is(r.bcat.v[0], "A") && sv_is(r.bcat.v[2], "C"), "bcat copies are joined");
    cr_expect(r.nimp == 1 && sv_is(r.imp[0].id, "1"));
    cr_expect_eq(r.imp[0].bidfloor, 2, "the higher floor");
    cr_expect_eq(r.imp[0].banner_w, 300);
    /* except a size given twice with different values: which one the slot has is unknowable, so the banner
     * cannot be matched (ortb_sizes_given_twice_leave_no_match below) */
    cr_expect(!r.imp[0].has_banner);
    /* and user.gender, a privacy field: given twice it keeps neither copy (test_privacy_fields.c) */
    cr_expect_eq(r.user.gender.n, 0);
    cr_expect(r.priv.bad & (1ull << ORTB_PF_GENDER));

    /* a repeated object key merges field by field (each field: last wins) */
    rc = parse_q("{" MIN_REQ ",'user':{'yob':1990},'user':{'gender':'F'}}", &r, &e);
    cr_assert_eq(rc, 0);
    cr_expect_eq(r.user.yob, 1990);
    cr_expect(sv_is(r.user.gender, "F"));
}

/* A player's size or duration given twice with different values, or the media object itself given twice: no
 * copy can be trusted (last-wins could match a creative the player cannot show), so the imp keeps no such
 * media (no bid on it; the other media of the imp stand). The same value again, or null, is harmless. */
Test(ortb, sizes_given_twice_leave_no_match)
{
    static const struct {
        const char *imp;
        bool banner, video, audio;
    } rows[] = {
        {"'video':{'w':640,'h':480,'w':300}", false, false, false},
        {"'video':{'w':640,'h':480,'h':250},'banner':{'w':300,'h':250}", true, false, false},
        {"'video':{'minduration':5,'minduration':0}", false, false, false},
        {"'video':{'maxduration':30,'maxduration':60}", false, false, false},
        {"'video':{'linearity':1,'linearity':2}", false, false, false},
        {"'video':{'startdelay':0,'startdelay':-1}", false, false, false},
        {"'audio':{'maxduration':30,'maxduration':300}", false, false, false},
        {"'audio':{'minduration':1,'minduration':2},'video':{'w':1,'h':1}", false, true, false},
        {"'video':{'w':640},'video':{'w':640}", false, false, false},
        {"'audio':{},'audio':{'maxduration':5}", false, false, false},
        {"'banner':{'w':300,'h':250,'w':728}", false, false, false},
        {"'banner':{'w':300,'h':250},'banner':{'h':90}", false, false, false},
        {"'banner':{'h':250,'h':90},'video':{'w':1}", false, true, false},
        /* clean twins: the same value again, a null copy, a null object copy */
        {"'video':{'w':640,'h':480,'w':640,'maxduration':30,'maxduration':null}", false, true, false},
        {"'audio':{'maxduration':30,'maxduration':30},'video':null", false, false, true},
        {"'video':null,'video':{'w':640}", false, true, false},
        {"'banner':{'w':300,'h':250,'w':300}", true, false, false},
        /* the banner object given twice is no banner, as imp.video twice (it used to merge) */
        {"'banner':{'w':300,'h':250},'banner':{'h':250}", false, false, false},
        {"'banner':{'w':300},'banner':{'h':250},'banner':null", false, false, false},
    };
    char q[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(q, sizeof q, "{'id':'r','imp':[{'id':'1',%s}]}", rows[i].imp);
        struct ortb_request r;
        struct ortb_error e;
        cr_assert_eq(parse_q(q, &r, &e), 0, "[%s] %s", rows[i].imp, e.msg);
        cr_expect_eq(r.imp[0].has_banner, rows[i].banner, "[%s] banner", rows[i].imp);
        cr_expect_eq(r.imp[0].has_video, rows[i].video, "[%s] video", rows[i].imp);
        cr_expect_eq(r.imp[0].has_audio, rows[i].audio, "[%s] audio", rows[i].imp);
    }
}

/* A creative-fit list of the player given twice (banner.format, video/audio protocols and 2.3's protocol,
 * rqddurs, mimes): a creative must fit every copy, so what both copies hold is kept; copies that share
 * nothing leave no match. protocols used to be joined (a second copy added protocols) and format kept the
 * last copy (a second copy replaced the sizes); a protocols list of only unknown ids used to mean "not
 * given". */
Test(ortb, creative_fit_lists_given_twice_keep_what_both_allow)
{
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(parse_q("{'id':'r','imp':[{'id':'1','video':{'protocols':[2,3],'protocols':[3,7]},"
                         "'banner':{'format':[{'w':300,'h':250},{'w':728,'h':90}],'format':[{'w':728,'h':90},"
                         "{'w':320,'h':50}]}}]}",
                         &r, &e),
                 0, "%s", e.msg);
    cr_expect_eq(r.imp[0].video.protocols, 1u << 3, "protocols: intersected, not joined");
    cr_expect(r.imp[0].has_banner);
    cr_expect(r.imp[0].nformat == 1 && r.imp[0].format[0].w == 728 && r.imp[0].format[0].h == 90,
              "format: the sizes both copies list, not the last copy");
    static const struct {
        const char *imp;
        bool banner, video;
        uint32_t protocols;
    } rows[] = {
        {"'video':{'protocols':[2],'protocols':[3]}", false, true, ORTB_PROTO_NONE},
        {"'video':{'protocol':2,'protocols':[3]}", false, true, ORTB_PROTO_NONE},
        {"'video':{'protocols':[2,3],'protocol':3}", false, true, 1u << 3},
        {"'video':{'protocols':[40]}", false, true, ORTB_PROTO_NONE},
        {"'video':{'protocol':0}", false, true, ORTB_PROTO_NONE},
        {"'video':{'rqddurs':[15,30],'rqddurs':[60]}", false, false, 0},
        {"'banner':{'format':[{'w':300,'h':250}],'format':[{'w':728,'h':90}]}", false, false, 0},
        /* clean twins: an empty or null copy is absent, the same list again, no copy */
        {"'video':{'protocols':[2,3],'protocols':[]}", false, true, 1u << 2 | 1u << 3},
        {"'video':{'protocols':null,'protocols':[2]}", false, true, 1u << 2},
        {"'video':{'rqddurs':[15,30],'rqddurs':[30,15]}", false, true, 0},
        {"'video':{'protocols':[]}", false, true, 0},
        {"'banner':{'format':[{'w':300,'h':250}],'format':[]}", true, false, 0},
        {"'banner':{'format':[{'w':300,'h':250}],'format':[{'w':300,'h':250}]}", true, false, 0},
    };
    char q[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(q, sizeof q, "{'id':'r','imp':[{'id':'1',%s}]}", rows[i].imp);
        cr_assert_eq(parse_q(q, &r, &e), 0, "[%s] %s", rows[i].imp, e.msg);
        cr_expect_eq(r.imp[0].has_banner, rows[i].banner, "[%s] banner", rows[i].imp);
        cr_expect_eq(r.imp[0].has_video, rows[i].video, "[%s] video", rows[i].imp);
        if (rows[i].video)
            cr_expect_eq(r.imp[0].video.protocols, rows[i].protocols, "[%s] protocols %#x", rows[i].imp,
                         r.imp[0].video.protocols);
    }
}

/* user.ext.data (Prebid's older place for user.data) used to be skipped, so a vulnerability segment there
 * never kept high-risk ads away. Its objects now join user.data's (either order) as `ambiguous`: they count
 * for what restricts, never for targeting; of another shape, user.data is bad. */
Test(ortb, user_ext_data_counts_for_what_restricts)
{
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(parse_q("{" MIN_REQ
                         ",'user':{'ext':{'data':[{'ext':{'segtax':4},'segment':[{'id':'399'}]}]},"
                         "'data':[{'ext':{'segtax':4},'segment':[{'id':'1'}]}]}}",
                         &r, &e),
                 0, "%s", e.msg);
    cr_assert_eq(r.user.ndata, 2);
    cr_expect(!r.user.data[0].ambiguous && sv_is(r.user.data[0].segment.v[0], "1"));
    cr_expect(r.user.data[1].ambiguous && r.user.data[1].segtax == 4 &&
                  sv_is(r.user.data[1].segment.v[0], "399"),
              "user.ext.data's object restricts only");
    cr_expect_eq(r.priv.bad, 0);
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'ext':{'data':{'segment':[]}}}}", &r, &e), 0, "%s", e.msg);
    cr_expect(r.priv.bad & (1ull << ORTB_PF_USER_EXT_DATA),
              "user.ext.data of another shape may hide a segment");
    /* a member of another shape inside user.ext.data: bad, not a 400 (it was one, naming user.data[]) */
    static const char *const odd[] = {
        "['x']", "[{'segment':{}}]", "[{'segment':[1]}]", "[{'segment':[{'id':1}]}]", "[{'name':[]}]",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        char q[256];
        snprintf(q, sizeof q, "{" MIN_REQ ",'user':{'ext':{'data':%s}}}", odd[i]);
        cr_assert_eq(parse_q(q, &r, &e), 0, "[%s] %s (%s)", odd[i], e.msg, e.field ? e.field : "");
        cr_expect_eq(r.priv.bad, 1ull << ORTB_PF_USER_EXT_DATA, "[%s]", odd[i]);
        cr_expect_eq(r.priv.why[ORTB_PF_USER_EXT_DATA], ORTB_PFW_TYPE, "[%s]", odd[i]);
        /* the same in user.data stays a 400 naming user.data */
        snprintf(q, sizeof q, "{" MIN_REQ ",'user':{'data':%s}}", odd[i]);
        cr_expect_neq(parse_q(q, &r, &e), 0, "[%s] user.data", odd[i]);
        cr_expect(e.field && !strncmp(e.field, "user.data", 9), "[%s] %s", odd[i], e.field ? e.field : "");
    }
    /* given twice: both copies' segments count (a second copy, null or not, used to replace the first) */
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'ext':{'data':[{'ext':{'segtax':4},'segment':[{'id':'399'}]}],"
                         "'data':null}}}",
                         &r, &e),
                 0, "%s", e.msg);
    cr_expect(r.priv.bad == 0 && r.user.ndata == 1 && sv_is(r.user.data[0].segment.v[0], "399"));
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'ext':{'data':[{'ext':{'segtax':4},'segment':[{'id':'399'}]}],"
                         "'data':[{'segment':[{'id':'1'}]}]}}}",
                         &r, &e),
                 0, "%s", e.msg);
    cr_expect(r.priv.bad == 1ull << ORTB_PF_USER_EXT_DATA && r.user.ndata == 2 &&
              sv_is(r.user.data[0].segment.v[0], "399") && sv_is(r.user.data[1].segment.v[0], "1"));
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'ext':{'data':null}}}", &r, &e), 0, "%s", e.msg);
    cr_expect(r.priv.bad == 0 && r.user.ndata == 0);
}

/* Except privacy signals: given twice, in one object or in a repeated one, they are malformed, because "last
 * wins" would let a second value quietly undo the first (docs/http.md). */
Test(ortb, duplicate_privacy_signals_are_malformed)
{
    static const struct {
        const char *name, *frag;
    } cases[] = {
        {"regs.gdpr 1 then 0", "'regs':{'gdpr':1,'gdpr':0}"},
        {"regs.gdpr in two regs objects", "'regs':{'gdpr':'x'},'regs':{'gdpr':1}"},
        {"regs.gdpr 1 then null", "'regs':{'gdpr':1,'gdpr':null}"},
        {"regs.ext.gdpr twice", "'regs':{'ext':{'gdpr':1,'gdpr':0}}"},
        {"us_privacy twice", "'regs':{'us_privacy':'1YYN','us_privacy':'1NNN'}"},
        {"regs.ext.us_privacy twice", "'regs':{'ext':{'us_privacy':'1YYN'},'ext':{'us_privacy':'1NNN'}}"},
        {"gpp twice", "'regs':{'gpp':'DBA','gpp':''}"},
        {"gpc twice", "'regs':{'ext':{'gpc':1,'gpc':'0'}}"},
        {"user.consent twice", "'user':{'consent':'CP1','consent':'CP2'}"},
        {
            "user.ext.consent in two user objects",
            "'user':{'ext':{'consent':'a'}},'user':{'ext':{'consent':'b'}}",
        },
    };
    char q[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(q, sizeof q, "{" MIN_REQ ",%s}", cases[i].frag);
        struct ortb_request r;
        struct ortb_error e;
        int rc = parse_q(q, &r, &e);
        cr_expect_eq(rc, 0, "[%s] never a parse error: %s", cases[i].name, e.msg ? e.msg : "");
        if (rc) continue;
        enum ortb_sig all[] = {r.regs.gdpr_sig,           r.regs.ext_gdpr_sig,   r.regs.us_privacy_sig,
                               r.regs.ext_us_privacy_sig, r.regs.gpp_sig,        r.regs.gpc_sig,
                               r.user.consent_sig,        r.user.ext_consent_sig};
        bool malformed = false;
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) malformed |= all[k] == ORTB_SIG_MALFORMED;
        cr_expect(malformed, "[%s] a repeated privacy signal must count as malformed", cases[i].name);
    }
    /* null first, then a value: given once */
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(parse_q("{" MIN_REQ ",'regs':{'gdpr':null,'gdpr':1}}", &r, &e), 0);
    cr_expect(r.regs.gdpr == 1 && r.regs.gdpr_sig == ORTB_SIG_OK);
}

Test(ortb, escapes_and_keys)
{
    struct ortb_request r;
    struct ortb_error e;
    int rc = parse_q("{'\\u0069d':'r\\u0031','imp':[{'id':'a\\'b\\\\c','banner':{'w':300,'h':250}}],"
                     "'site':{'domain':'caf\\u00e9.example'}}",
                     &r, &e);
    cr_assert_eq(rc, 0, "%s at %zu", e.msg, e.offset);
    cr_expect(sv_is(r.id, "r1"), "an escaped key matches, and an escaped value is decoded");
    cr_expect(sv_is(r.imp[0].id, "a\"b\\c"));
    cr_expect(sv_is(r.ctx.domain, "caf\xc3\xa9.example"));
    cr_expect(r.id.p >= g_mem && r.id.p < g_mem + sizeof g_mem, "decoded strings live in the arena");
}

Test(ortb, lists_keep_numeric_ids_as_text)
{
    struct ortb_request r;
    struct ortb_error e;
    int rc = parse_q("{" MIN_REQ ",'bcat':[1002,'IAB1',-3.5e1],'site':{'cat':[483]},"
                     "'user':{'data':[{'segment':[{'id':'569'},{'name':'no id'},null,{'id':'246'}],"
                     "'ext':{'segtax':'4'}},{'ext':'x'},{'ext':{'segtax':6}}]}}",
                     &r, &e);
    cr_assert_eq(rc, 0, "%s at %zu", e.msg, e.offset);
    cr_expect(r.bcat.n == 3 && sv_is(r.bcat.v[0], "1002") && sv_is(r.bcat.v[2], "-3.5e1"));
    cr_expect(r.ctx.cat.n == 1 && sv_is(r.ctx.cat.v[0], "483"));
    cr_assert_eq(r.user.ndata, 3);
    cr_expect_eq(r.user.data[0].segment.n, 2, "segments without an id are dropped");
    cr_expect_eq(r.user.data[0].segtax, ORTB_UNSET, "a string segtax is ignored");
    cr_expect_eq(r.user.data[1].segtax, ORTB_UNSET);
    cr_expect_eq(r.user.data[2].segtax, 6);
}

Test(ortb, media_and_context_kinds)
{
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(
        parse_q("{'id':'r','imp':[{'id':'1','video':{'w':640,'h':480}},{'id':'2','audio':{}},"
                "{'id':'3','native':{'request':''}},{'id':'4','banner':{'format':[{'w':1,'h':2},null]}}],"
                "'dooh':{'id':'d'}}",
                &r, &e),
        0, "%s", e.msg);
    cr_assert_eq(r.nimp, 4);
    cr_expect(r.imp[0].has_video && !r.imp[0].has_banner);
    cr_expect(r.imp[1].has_audio);
    cr_expect(r.imp[2].has_native);
    cr_expect(r.imp[3].has_banner && r.imp[3].nformat == 1, "a null format entry is skipped");
    cr_expect_eq(r.imp[3].banner_w, ORTB_UNSET);
    cr_expect_eq(r.ctx.kind, ORTB_CTX_DOOH);
    cr_assert_eq(
        parse_q("{" MIN_REQ ",'app':{'bundle':'com.x','cat':['IAB1'],'publisher':{'id':'p'}}}", &r, &e), 0);
    cr_expect(r.ctx.kind == ORTB_CTX_APP && sv_is(r.ctx.bundle, "com.x") && sv_is(r.ctx.publisher_id, "p"));
}

/* ---- privacy signals: shape → ortb_sig ---- */

enum sigf { F_GDPR, F_EXT_GDPR, F_USP, F_EXT_USP, F_GPP, F_GPP_SID, F_GPC, F_EXT, F_CONSENT, F_EXT_CONSENT };

static enum ortb_sig sig_of(const struct ortb_request *r, enum sigf f)
{
    switch (f) {
    case F_GDPR:
        return r->regs.gdpr_sig;
    case F_EXT_GDPR:
        return r->regs.ext_gdpr_sig;
    case F_USP:
        return r->regs.us_privacy_sig;
    case F_EXT_USP:
        return r->regs.ext_us_privacy_sig;
    case F_GPP:
        return r->regs.gpp_sig;
    case F_GPP_SID:
        return r->regs.gpp_sid_sig;
    case F_GPC:
        return r->regs.gpc_sig;
    case F_EXT:
        return r->regs.ext_sig;
    case F_CONSENT:
        return r->user.consent_sig;
    case F_EXT_CONSENT:
        return r->user.ext_consent_sig;
    }
    return ORTB_SIG_ABSENT;
}

Test(ortb, privacy_signal_table)
{
    static const struct {
        const char *name, *frag;
        enum sigf f;
        enum ortb_sig want;
        int32_t value; /* for int signals when OK; ORTB_UNSET = do not check */
    } cases[] = {
        {"gdpr 1", "'regs':{'gdpr':1}", F_GDPR, ORTB_SIG_OK, 1},
        {"gdpr 0", "'regs':{'gdpr':0}", F_GDPR, ORTB_SIG_OK, 0},
        {"gdpr 1.0 is an integer", "'regs':{'gdpr':1.0}", F_GDPR, ORTB_SIG_OK, 1},
        {"gdpr 2", "'regs':{'gdpr':2}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr -1", "'regs':{'gdpr':-1}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr 1.5", "'regs':{'gdpr':1.5}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr huge", "'regs':{'gdpr':99999999999999999999}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr 1e999", "'regs':{'gdpr':1e999}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr \"1\"", "'regs':{'gdpr':'1'}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr true", "'regs':{'gdpr':true}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr {}", "'regs':{'gdpr':{}}", F_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gdpr null", "'regs':{'gdpr':null}", F_GDPR, ORTB_SIG_ABSENT, ORTB_UNSET},
        {"ext.gdpr 1", "'regs':{'ext':{'gdpr':1}}", F_EXT_GDPR, ORTB_SIG_OK, 1},
        {"ext.gdpr \"foo\"", "'regs':{'ext':{'gdpr':'foo'}}", F_EXT_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"ext.gdpr 2", "'regs':{'ext':{'gdpr':2}}", F_EXT_GDPR, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"regs.ext a string", "'regs':{'ext':'malformed'}", F_EXT, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"regs.ext an array", "'regs':{'ext':[]}", F_EXT, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"regs.ext {}", "'regs':{'ext':{}}", F_EXT, ORTB_SIG_OK, ORTB_UNSET},
        {"us_privacy string", "'regs':{'us_privacy':'1YNN'}", F_USP, ORTB_SIG_OK, ORTB_UNSET},
        {"us_privacy number", "'regs':{'us_privacy':1}", F_USP, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"ext.us_privacy object", "'regs':{'ext':{'us_privacy':{}}}", F_EXT_USP, ORTB_SIG_MALFORMED,
         ORTB_UNSET},
        {"gpp number", "'regs':{'gpp':5}", F_GPP, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpp_sid [2,6]", "'regs':{'gpp_sid':[2,6]}", F_GPP_SID, ORTB_SIG_OK, ORTB_UNSET},
        {"gpp_sid \"2\"", "'regs':{'gpp_sid':'2'}", F_GPP_SID, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpp_sid [\"2\"]", "'regs':{'gpp_sid':['2']}", F_GPP_SID, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpp_sid [70000]", "'regs':{'gpp_sid':[70000]}", F_GPP_SID, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpp_sid [-1]", "'regs':{'gpp_sid':[-1]}", F_GPP_SID, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpp_sid [null]", "'regs':{'gpp_sid':[null]}", F_GPP_SID, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpc 1", "'regs':{'ext':{'gpc':1}}", F_GPC, ORTB_SIG_OK, 1},
        {"gpc \"1\"", "'regs':{'ext':{'gpc':'1'}}", F_GPC, ORTB_SIG_OK, 1},
        {"gpc \"0\"", "'regs':{'ext':{'gpc':'0'}}", F_GPC, ORTB_SIG_OK, 0},
        {"gpc 2", "'regs':{'ext':{'gpc':2}}", F_GPC, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpc \"yes\"", "'regs':{'ext':{'gpc':'yes'}}", F_GPC, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"gpc true", "'regs':{'ext':{'gpc':true}}", F_GPC, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"user.consent string", "'user':{'consent':'CP'}", F_CONSENT, ORTB_SIG_OK, ORTB_UNSET},
        {"user.consent number", "'user':{'consent':1}", F_CONSENT, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"user.ext.consent 1", "'user':{'ext':{'consent':1}}", F_EXT_CONSENT, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"user.ext.consent 2", "'user':{'ext':{'consent':2}}", F_EXT_CONSENT, ORTB_SIG_MALFORMED, ORTB_UNSET},
        {"user.ext.consent string", "'user':{'ext':{'consent':'CP'}}", F_EXT_CONSENT, ORTB_SIG_OK,
         ORTB_UNSET},
        {"user.ext.consent null", "'user':{'ext':{'consent':null}}", F_EXT_CONSENT, ORTB_SIG_ABSENT,
         ORTB_UNSET},
    };
    char q[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(q, sizeof q, "{" MIN_REQ ",%s}", cases[i].frag);
        struct ortb_request r;
        struct ortb_error e;
        int rc = parse_q(q, &r, &e);
        cr_expect_eq(rc, 0, "[%s] a privacy-signal shape is never a parse error: %s", cases[i].name,
                     e.msg ? e.msg : "");
        if (rc) continue;
        cr_expect_eq(sig_of(&r, cases[i].f), cases[i].want, "[%s] sig %d, want %d", cases[i].name,
                     sig_of(&r, cases[i].f), cases[i].want);
        if (cases[i].value != ORTB_UNSET) {
            int32_t v = cases[i].f == F_GDPR       ? r.regs.gdpr
                        : cases[i].f == F_EXT_GDPR ? r.regs.ext_gdpr
                                                   : r.regs.gpc;
            cr_expect_eq(v, cases[i].value, "[%s] value %d", cases[i].name, v);
        }
    }
}

Test(ortb, dsa_and_eids)
{
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(parse_q("{" MIN_REQ
                         ",'regs':{'ext':{'dsa':{'dsarequired':1}}},'user':{'eids':[{'source':'a.com'},"
                         "{'uids':[]},5],'ext':{'eids':[{'source':'b.com'}]}}}",
                         &r, &e),
                 0, "%s", e.msg);
    cr_expect(r.regs.has_dsa);
    cr_expect_eq(r.user.eid_sources.n, 2,
                 "an eid object without source still counts; non-objects are skipped");
    cr_expect(sv_is(r.user.eid_sources.v[0], "a.com"));
    cr_expect(r.user.ext_eid_sources.n == 1 && sv_is(r.user.ext_eid_sources.v[0], "b.com"));
    cr_assert_eq(parse_q("{" MIN_REQ ",'regs':{'ext':{'dsa':null}},'user':{'ext':{'eids':'x'}}}", &r, &e), 0);
    cr_expect(!r.regs.has_dsa);
    cr_expect_eq(r.user.ext_eid_sources.n, 0, "ext.eids of the wrong shape are ignored");
}

/* ---- committed seeds: valid-* must parse, invalid-* must not ---- */

Test(ortb, fuzz_seed_corpus_verdicts)
{
    const char *dir = tu_src_dir();
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/ortb", dir);
    DIR *d = opendir(path);
    if (!d) cr_skip_test("no seed corpus at %s", path);
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d))) {
        bool valid = strncmp(de->d_name, "valid-", 6) == 0, invalid = strncmp(de->d_name, "invalid-", 8) == 0;
        if (!valid && !invalid) continue;
        char rel[600];
        snprintf(rel, sizeof rel, "tests/fuzz/corpus/ortb/%s", de->d_name);
        size_t len;
        char *body = tu_load_file(rel, &len);
        struct ortb_request r;
        struct ortb_error e;
        int rc = parse_raw(body, len, &r, &e);
        if (valid)
            cr_expect_eq(rc, 0, "%s: %s (%s) at %zu", de->d_name, ortb_strerror(rc), e.msg ? e.msg : "",
                         e.offset);
        else
            cr_expect_neq(rc, 0, "%s: accepted", de->d_name);
        free(body);
        seen++;
    }
    closedir(d);
    cr_expect(seen > 0, "no seeds named valid-* or invalid-*");
}

/* ---- arena exhaustion ---- */

static const char escapes_req[] = "{\"id\":\"r\\u0031\",\"imp\":[{\"id\":\"i\\n1\",\"banner\":{\"format\":[{"
                                  "\"w\":300,\"h\":250},{\"w\":1,\"h\":1},"
                                  "{\"w\":2,\"h\":2},{\"w\":3,\"h\":3},{\"w\":4,\"h\":4}]}},{\"id\":\"2\","
                                  "\"video\":{}}],\"bcat\":[\"a\",\"b\","
                                  "\"c\",\"d\",\"e\",\"f\\t\"],\"\\u0073ite\":{\"cat\":[\"x\"],\"content\":{"
                                  "\"cat\":[\"y\",\"z\"]}},\"user\":{"
                                  "\"data\":[{\"segment\":[{\"id\":\"1\"},{\"id\":\"2\"},{\"id\":\"3\"},{"
                                  "\"id\":\"4\"},{\"id\":\"5\"}]},{}],"
                                  "\"eids\":[{\"source\":\"s\"}],\"ext\":{\"eids\":[{\"source\":\"t\"}]}},"
                                  "\"regs\":{\"gpp_sid\":[2,6,7,8,9]}}";

static void exhaust(const char *what, const char *body, size_t len)
{
    /* reference parse, to learn the high-water mark */
    static _Alignas(64) char big[1 << 16];
    struct arena a;
    arena_init(&a, big, sizeof big);
    struct ortb_request ref;
    struct ortb_error e;
    cr_assert_eq(ortb_parse(body, len, &a, &ref, &e), 0, "%s: %s", what, e.msg ? e.msg : "");
    size_t need = a.high;
    cr_assert(need > 0, "%s: uses the arena", what);

    /* fixed, aligned base: below the mark it must be ENOMEM, at or above it must succeed */
    for (size_t cap = 0; cap <= need + 64; cap++) {
        arena_init(&a, big, cap);
        struct ortb_request r;
        int rc = ortb_parse(body, len, &a, &r, &e);
        if (cap < need) {
            cr_expect_eq(rc, ORTB_ENOMEM, "%s: arena %zu/%zu: rc %d %s", what, cap, need, rc,
                         e.msg ? e.msg : "");
            cr_expect_eq(e.code, ORTB_ENOMEM, "%s: arena %zu: err.code", what, cap);
        } else {
            cr_expect_eq(rc, 0, "%s: arena %zu/%zu: rc %d %s", what, cap, need, rc, e.msg ? e.msg : "");
        }
        cr_expect(a.used <= cap, "%s: arena %zu: used %zu", what, cap, a.used);
    }

    /* arena memory ending at a guard page (any base alignment): OK or ENOMEM, never a write past the end */
    struct tu_guard g;
    tu_guard_init(&g, need + 64);
    for (size_t cap = 0; cap <= need + 64; cap++) {
        char *base = tu_guard_put(&g, NULL, cap);
        arena_init(&a, base, cap);
        struct ortb_request r;
        int rc = ortb_parse(body, len, &a, &r, &e);
        cr_expect(rc == 0 || rc == ORTB_ENOMEM, "%s: guarded arena %zu: rc %d %s", what, cap, rc,
                  e.msg ? e.msg : "");
        if (rc == 0) {
            cr_expect(sv_eq(r.id, ref.id) && r.nimp == ref.nimp && r.bcat.n == ref.bcat.n &&
                          r.user.ndata == ref.user.ndata,
                      "%s: guarded arena %zu: a success must be the same parse", what, cap);
        }
    }
    tu_guard_fini(&g);
}

Test(ortb, arena_exhaustion_at_every_size)
{
    size_t len;
    char *body = tu_load_file("deploy/sample-request.json", &len);
    exhaust("sample", body, len);
    free(body);
    exhaust("escapes and lists", escapes_req, sizeof escapes_req - 1);
}

/* ---- hooks: the user key, told mid-parse ---- */

struct key_log {
    int calls;
    char key[4][64];
    const struct ortb_request *req;
    bool regs_seen; /* req->regs.present when the hook ran: the call comes before the rest of the parse */
};

static void log_key(void *arg, struct sv key)
{
    struct key_log *l = arg;
    if (l->calls < 4) snprintf(l->key[l->calls], sizeof l->key[0], "%.*s", (int)key.n, key.p);
    if (l->req) l->regs_seen = l->req->regs.present;
    l->calls++;
}

/* parses q with the hook, checks it returns exactly what ortb_parse returns (same code, error and request) */
static int parse_hooked(const char *q, struct ortb_request *r, struct ortb_error *e, struct key_log *l)
{
    long lo, hi;
    size_t n = unquote(q, g_body, &lo, &hi);
    static struct ortb_request plain;
    struct ortb_error pe;
    arena_init(&g_arena, g_mem, sizeof g_mem);
    int prc = ortb_parse(g_body, n, &g_arena, &plain, &pe);
    arena_init(&g_arena, g_mem, sizeof g_mem);
    memset(l, 0, sizeof *l);
    l->req = r;
    struct ortb_hooks h = {.user_key = log_key, .arg = l};
    int rc = ortb_parse_ex(g_body, n, &g_arena, r, e, &h);
    cr_expect_eq(rc, prc, "%s: ortb_parse_ex %d, ortb_parse %d", q, rc, prc);
    cr_expect(memcmp(e, &pe, sizeof pe) == 0, "%s: same error", q);
    /* the same arena from the same start: the same views, byte for byte */
    cr_expect(memcmp(r, &plain, sizeof plain) == 0, "%s: same request", q);
    return rc;
}

Test(ortb, user_key_hook)
{
    static const struct {
        const char *req;
        int rc, calls;
        const char *key[2];
    } cases[] = {
        {"{" MIN_REQ ",'user':{'id':'u1','buyeruid':'b1'}}", 0, 1, {"b1"}},
        {"{" MIN_REQ ",'user':{'buyeruid':'b1','id':'u1','yob':1990}}", 0, 1, {"b1"}},
        {"{" MIN_REQ ",'user':{'id':'u1'}}", 0, 1, {"u1"}},
        {"{" MIN_REQ ",'user':{'id':'u1','buyeruid':''}}", 0, 1, {"u1"}},
        {"{" MIN_REQ ",'user':{'id':'u1','buyeruid':null}}", 0, 1, {"u1"}},
        {"{" MIN_REQ ",'user':{'buyeruid':'a\\u0062c'}}", 0, 1, {"abc"}}, /* unescaped, in the arena */
        {"{" MIN_REQ "}", 0, 0, {0}},
        {"{" MIN_REQ ",'user':null}", 0, 0, {0}},
        {"{" MIN_REQ ",'user':{}}", 0, 0, {0}},
        {"{" MIN_REQ ",'user':{'id':'','buyeruid':'','yob':1990}}", 0, 0, {0}},
        /* malformed user objects: no call */
        {"{" MIN_REQ ",'user':{'id':5}}", ORTB_EINVALID, 0, {0}},
        {"{" MIN_REQ ",'user':{'id':'u1','data':7}}", ORTB_EINVALID, 0, {0}},
        {"{" MIN_REQ ",'user':{'id':'u1',}}", ORTB_EJSON, 0, {0}},
        {"{" MIN_REQ ",'user':'u1'}", ORTB_EINVALID, 0, {0}},
        /* a hint: it fires for a well-formed user object even when the request is rejected later */
        {"{'id':'r','user':{'id':'u1'}}", ORTB_EREQUIRED, 1, {"u1"}},
        /* a repeated user object: once per object, with the fields merged so far (what store_view will see)
         */
        {"{" MIN_REQ ",'user':{'id':'u1'},'user':{'buyeruid':'b2'}}", 0, 2, {"u1", "b2"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ortb_request r;
        struct ortb_error e;
        struct key_log l;
        int rc = parse_hooked(cases[i].req, &r, &e, &l);
        cr_expect_eq(rc, cases[i].rc, "%s: rc %d, want %d", cases[i].req, rc, cases[i].rc);
        cr_expect_eq(l.calls, cases[i].calls, "%s: %d calls, want %d", cases[i].req, l.calls, cases[i].calls);
        for (int c = 0; c < cases[i].calls && c < 2; c++)
            cr_expect_str_eq(l.key[c], cases[i].key[c], "%s: call %d", cases[i].req, c);
        if (rc == 0 && l.calls) {
            struct sv u = r.user.buyeruid.n ? r.user.buyeruid : r.user.id;
            cr_expect(sv_is(u, l.key[l.calls - 1]), "%s: the last key is the one the request keeps",
                      cases[i].req);
        }
    }
}

Test(ortb, user_key_hook_on_the_sample_request)
{
    size_t len;
    char *body = tu_load_file("deploy/sample-request.json", &len);
    struct ortb_request r;
    struct ortb_error e;
    struct key_log l = {.req = &r};
    struct ortb_hooks h = {.user_key = log_key, .arg = &l};
    arena_init(&g_arena, g_mem, sizeof g_mem);
    cr_assert_eq(ortb_parse_ex(body, len, &g_arena, &r, &e, &h), 0);
    cr_expect_eq(l.calls, 1);
    cr_expect_str_eq(l.key[0], "fb-9d8c7b6a5f4e");
    cr_expect_not(l.regs_seen, "called when the user object ends, before regs (which follows it) is parsed");
    cr_expect(r.regs.present);

    /* NULL hooks, or a NULL callback: a plain parse */
    struct ortb_hooks none = {0};
    arena_init(&g_arena, g_mem, sizeof g_mem);
    cr_expect_eq(ortb_parse_ex(body, len, &g_arena, &r, &e, NULL), 0);
    arena_init(&g_arena, g_mem, sizeof g_mem);
    cr_expect_eq(ortb_parse_ex(body, len, &g_arena, &r, &e, &none), 0);
    free(body);
}

/* Repeated trading terms and context categories (issue 12): each repeat takes the reading that never lets
 * fairbid bid where one copy forbids it, or the request is refused naming the field. Each row's twin
 * (the same terms given once) is the plain reading it is compared with. */
Test(ortb, repeated_trading_terms_take_the_restrictive_reading)
{
    struct ortb_request r;
    struct ortb_error e;
#define IMPQ(x) "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}" x "}]}"
    cr_assert_eq(parse_q(IMPQ(",'bidfloor':2,'bidfloor':1"), &r, &e), 0);
    cr_expect_eq(r.imp[0].bidfloor, 2, "the higher floor, in either order");
    cr_assert_eq(parse_q(IMPQ(",'bidfloor':1,'bidfloor':2,'bidfloor':null"), &r, &e), 0);
    cr_expect_eq(r.imp[0].bidfloor, 2);
    cr_expect_eq(parse_q(IMPQ(",'bidfloor':-1,'bidfloor':2"), &r, &e), ORTB_EINVALID,
                 "a negative copy sticks");
    cr_expect_str_eq(e.field, "imp.bidfloor");
    cr_assert_eq(parse_q(IMPQ(",'bidfloorcur':'EUR','bidfloorcur':'eur'"), &r, &e), 0, "the same currency");
    cr_expect_eq(parse_q(IMPQ(",'bidfloor':1,'bidfloorcur':'JPY','bidfloorcur':'USD'"), &r, &e),
                 ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.bidfloorcur");
    cr_expect_str_eq(e.msg, "given twice with different values");
    cr_expect_eq(parse_q(IMPQ(",'id':'2'"), &r, &e), ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.id");
    cr_expect_eq(parse_q("{'id':'r','imp':[{'id':'1'}],'imp':[{'id':'2'}]}", &r, &e), ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp");
    cr_expect_eq(parse_q("{" MIN_REQ ",'cattax':1,'cattax':2}", &r, &e), ORTB_EINVALID);
    cr_expect_str_eq(e.field, "cattax");

    /* private_auction: 1 if any copy says so; an unknown value reads as 1 */
    static const char *const pa[] = {"1,'private_auction':0", "0,'private_auction':1", "2", "-1",
                                     "1,'private_auction':null"};
    for (size_t i = 0; i < sizeof pa / sizeof pa[0]; i++) {
        char q[256];
        snprintf(q, sizeof q, IMPQ(",'pmp':{'private_auction':%s}"), pa[i]);
        cr_assert_eq(parse_q(q, &r, &e), 0, "%s: %s", pa[i], e.msg);
        cr_expect_eq(r.imp[0].pmp.private_auction, 1, "private_auction %s", pa[i]);
    }
    cr_assert_eq(parse_q(IMPQ(",'pmp':{'private_auction':1},'pmp':{'private_auction':0}"), &r, &e), 0);
    cr_expect_eq(r.imp[0].pmp.private_auction, 1, "a second pmp cannot open the auction");
    cr_assert_eq(parse_q(IMPQ(",'pmp':{'private_auction':0}"), &r, &e), 0);
    cr_expect_eq(r.imp[0].pmp.private_auction, 0);

    /* deals: no safe reading of a second list or a deal id listed twice */
    cr_expect_eq(parse_q(IMPQ(",'pmp':{'deals':[{'id':'d1','bidfloor':5}],'deals':[{'id':'d1'}]}"), &r, &e),
                 ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.pmp.deals");
    cr_expect_eq(parse_q(IMPQ(",'pmp':{'deals':[]},'pmp':{'deals':[{'id':'d1'}]}"), &r, &e), ORTB_EINVALID);
    cr_expect_eq(parse_q(IMPQ(",'pmp':{'deals':[{'id':'d1','wseat':['x']},{'id':'d1'}]}"), &r, &e),
                 ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.pmp.deals.id");
    cr_expect_eq(parse_q(IMPQ(",'pmp':{'deals':[{'id':'d1','id':'d2'}]}"), &r, &e), ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.pmp.deals.id");
    cr_expect_eq(
        parse_q(IMPQ(",'pmp':{'deals':[{'id':'d1','bidfloorcur':'EUR','bidfloorcur':'USD'}]}"), &r, &e),
        ORTB_EINVALID);
    cr_expect_str_eq(e.field, "imp.pmp.deals.bidfloorcur");
    cr_assert_eq(
        parse_q(IMPQ(",'pmp':{'deals':[{'id':'d1','bidfloor':3,'bidfloor':1},{'id':'d2'}]}"), &r, &e), 0);
    cr_expect_eq(r.imp[0].pmp.ndeals, 2);
    cr_expect_eq(r.imp[0].pmp.deals[0].bidfloor, 3);

    /* the player's mimes: what both copies allow ("" when nothing: it matches no creative) */
    cr_assert_eq(parse_q("{'id':'r','imp':[{'id':'1','video':{'mimes':['video/mp4','video/webm'],"
                         "'mimes':['video/webm']}}]}",
                         &r, &e),
                 0);
    cr_expect(r.imp[0].video.mimes.n == 1 && sv_is(r.imp[0].video.mimes.v[0], "video/webm"));
    cr_assert_eq(
        parse_q("{'id':'r','imp':[{'id':'1','audio':{'mimes':['audio/mp4'],'mimes':['audio/ogg']}}]}", &r,
                &e),
        0);
    cr_expect(r.imp[0].audio.mimes.n == 1 && sv_is(r.imp[0].audio.mimes.v[0], ""));
    cr_assert_eq(parse_q("{'id':'r','imp':[{'id':'1','video':{'mimes':['video/mp4'],'mimes':[]}}]}", &r, &e),
                 0);
    cr_expect(r.imp[0].video.mimes.n == 1 && sv_is(r.imp[0].video.mimes.v[0], "video/mp4"),
              "an empty copy lifts no limit");
#undef IMPQ

    /* context categories: every category any copy, sectioncat or pagecat names */
    cr_assert_eq(parse_q("{" MIN_REQ ",'site':{'cat':['IAB7'],'cat':[],'sectioncat':['IAB1'],"
                         "'pagecat':['IAB2'],'content':{'cat':['IAB9'],'cat':['IAB3']}}}",
                         &r, &e),
                 0);
    cr_expect_eq(r.ctx.cat.n, 3);
    cr_expect(sv_is(r.ctx.cat.v[0], "IAB7") && sv_is(r.ctx.cat.v[1], "IAB1") &&
              sv_is(r.ctx.cat.v[2], "IAB2"));
    cr_expect(r.ctx.content_cat.n == 2 && sv_is(r.ctx.content_cat.v[0], "IAB9"));
    cr_assert_eq(parse_q("{" MIN_REQ ",'app':{'cat':['IAB7'],'cat':['IAB1']}}", &r, &e), 0);
    cr_expect_eq(r.ctx.cat.n, 2);
}

/* user.geo: country and region read for the jurisdiction; repeats are bad and keep no value. */
Test(ortb, user_geo)
{
    struct ortb_request r;
    struct ortb_error e;
    cr_assert_eq(
        parse_q("{" MIN_REQ ",'user':{'geo':{'country':'DEU','region':'BE','lat':1,'zip':'x'}}}", &r, &e), 0);
    cr_expect(sv_is(r.user.geo.country, "DEU") && sv_is(r.user.geo.region, "BE"));
    cr_expect(!r.user.geo.has_lat && r.user.geo.zip.n == 0, "precise location is never read from user.geo");
    cr_expect_eq(r.priv.bad, 0);
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'geo':{'country':'DEU','country':'USA'}}}", &r, &e), 0);
    cr_expect_eq(r.user.geo.country.n, 0);
    cr_expect(r.priv.bad >> ORTB_PF_UGEO_COUNTRY & 1);
    cr_assert_eq(parse_q("{" MIN_REQ ",'user':{'geo':{'country':'DEU'},'geo':{'region':'MD'}}}", &r, &e), 0);
    cr_expect(r.user.geo.country.n == 0 && r.user.geo.region.n == 0);
    cr_expect(r.priv.bad >> ORTB_PF_UGEO & 1);
    cr_expect_eq(parse_q("{" MIN_REQ ",'user':{'geo':5}}", &r, &e), ORTB_EINVALID);
    cr_expect_str_eq(e.field, "user.geo");
}
