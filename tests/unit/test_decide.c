/* Unit tests for filters/decide: the per-imp, per-campaign verdicts and the auction. One table of (campaigns,
 * request, expected verdicts) covers price, ties, floors and their currency, cur, bcat/badv, formats and
 * media, contextual and personal targeting, and the consent outcomes (malformed signals, minors, opt-outs,
 * and a consenting adult who must still get the targeted bid). Every case also checks the invariants between
 * verdicts, winners and nbids, and that decide_detail never overruns its buffer. Then arena exhaustion. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "filters/decide.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "tests/unit/testutil.h"

#define YEAR 2026

/* ---- helpers ---- */

static struct config *config_q(const char *name, const char *campaigns)
{
    static char text[1 << 16], q[1 << 16];
    snprintf(q, sizeof q, "{'currency':'USD','tcf_vendor_id':1000,'campaigns':[%s]}", campaigns);
    size_t n = tu_unquote(q, text, sizeof text);
    char err[512] = "";
    struct config *c = config_parse_load(name, text, n, NULL, err, sizeof err);
    cr_assert_not_null(c, "[%s] config: %s", name, err);
    return c;
}

static _Alignas(64) char g_pmem[1 << 20], g_dmem[1 << 20];

/* deploy/fairbid.json and deploy/sample-request.json, parsed (r into g_pmem); the caller frees *ctext and
 * *body (r points into *body) and the config. */
static struct config *load_sample(char **ctext, char **body, struct ortb_request *r)
{
    size_t clen, rlen;
    *ctext = tu_load_file("deploy/fairbid.json", &clen);
    *body = tu_load_file("deploy/sample-request.json", &rlen);
    char err[512];
    struct config *cfg =
        config_parse_load(tu_src_path("deploy/fairbid.json"), *ctext, clen, NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    struct arena pa;
    arena_init(&pa, g_pmem, sizeof g_pmem);
    struct ortb_error e;
    cr_assert_eq(ortb_parse(*body, rlen, &pa, r, &e), 0, "%s", e.msg);
    return cfg;
}

static int run(const struct campaign_set *cs, const struct ortb_request *r, struct arena *a,
               struct decide_result *res)
{
    struct decide_env env = {.now_ms = 1790000000000, .year = YEAR};
    return decide_run(cs, r, &env, a, res);
}

/* campaigns (config_q) against q (a request, ' for ") into r and res, decide_run's result asserted 0; the
 * caller frees the returned config. */
static struct config *decide_q(const char *name, const char *campaigns, const char *q, struct ortb_request *r,
                               struct decide_result *res)
{
    struct config *cfg = config_q(name, campaigns);
    tu_parse_q(name, q, r);
    struct arena a;
    arena_init(&a, g_dmem, sizeof g_dmem);
    cr_assert_eq(run(&cfg->campaigns, r, &a, res), 0, "[%s] decide_run", name);
    return cfg;
}

/* "cid:reason cid:reason | ..." per imp; also checks the invariants that tie verdicts, winner and nbids. */
static void render(const char *name, const struct campaign_set *cs, const struct ortb_request *r,
                   const struct decide_result *res, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    uint32_t bids = 0;
    cr_assert_eq(res->nv, r->nimp * cs->n, "[%s] nv", name);
    for (uint32_t i = 0; i < r->nimp; i++) {
        int32_t want_winner = -1;
        if (i) n += (size_t)snprintf(out + n, cap - n, " | ");
        for (uint32_t c = 0; c < cs->n; c++) {
            const struct decide_verdict *v = &res->v[(size_t)i * cs->n + c];
            cr_assert(v->imp == i && v->campaign == c, "[%s] verdict layout is imp-major", name);
            if (v->reason == REASON_BID) {
                cr_assert_eq(want_winner, -1, "[%s] imp %u has two bids", name, i);
                want_winner = (int32_t)c;
            }
            n += (size_t)snprintf(out + n, cap - n, "%s%.*s:%s", c ? " " : "", SV_FMT(cs->v[c].id),
                                  reason_name(v->reason));
            cr_assert(n < cap);
        }
        cr_expect_eq(res->winner[i], want_winner, "[%s] imp %u: winner %d, verdicts say %d", name, i,
                     res->winner[i], want_winner);
        if (want_winner >= 0) bids++;
    }
    cr_expect_eq(res->nbids, bids, "[%s] nbids %u, %u imps have a winner", name, res->nbids, bids);
}

/* decide_detail at every capacity: never past cap, always terminated, and the same text when it fits. */
static void check_details(const char *name, const struct campaign_set *cs, const struct ortb_request *r,
                          const struct decide_result *res)
{
    static char *guard_map;
    static size_t page;
    if (!guard_map) {
        page = (size_t)sysconf(_SC_PAGESIZE);
        guard_map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert(guard_map != MAP_FAILED);
        cr_assert(mprotect(guard_map + page, page, PROT_NONE) == 0);
    }
    for (uint32_t k = 0; k < res->nv; k++) {
        char full[1024];
        size_t flen = decide_detail(cs, r, &res->v[k], full, sizeof full);
        cr_expect(flen < sizeof full && full[flen] == '\0', "[%s] verdict %u: detail not terminated", name,
                  k);
        cr_expect(flen > 0, "[%s] verdict %u (%s): empty detail", name, k, reason_name(res->v[k].reason));
        for (size_t cap = 0; cap <= flen + 1; cap++) {
            char *buf = guard_map + page - cap; /* the byte after buf[cap-1] is unmapped */
            size_t len = decide_detail(cs, r, &res->v[k], buf, cap);
            if (cap == 0) {
                cr_expect_eq(len, 0, "[%s] cap 0", name);
                continue;
            }
            cr_expect(len < cap, "[%s] verdict %u cap %zu: length %zu", name, k, cap, len);
            cr_expect_eq(buf[len], '\0', "[%s] verdict %u cap %zu: not terminated", name, k, cap);
            cr_expect(memcmp(buf, full, len) == 0, "[%s] verdict %u cap %zu: differs from the full text",
                      name, k, cap);
        }
    }
}

/* ---- campaigns and requests used by the table ---- */

/* A campaign serving 300x250 at cpm, plus extra keys. */
#define CAMP(id, cpm, extra)                                                                                 \
    "{'id':'" id "','crid':'cr-" id "','bid_cpm':" cpm ",'formats':[{'w':300,'h':250}],'adm':'<b>" id        \
    "</b>'" extra "}"
#define CAMP_F(id, cpm, w, h, extra)                                                                         \
    "{'id':'" id "','crid':'cr-" id "','bid_cpm':" cpm ",'formats':[{'w':" w ",'h':" h "}],'adm':'x'" extra  \
    "}"

#define IMP "{'id':'1','banner':{'w':300,'h':250}}"
#define IMP_F(floor, extra) "{'id':'1','bidfloor':" floor ",'banner':{'w':300,'h':250}" extra "}"
#define REQ(imps, rest) "{'id':'r1','imp':[" imps "]" rest "}"

/* Untargeted u, and p with personal-data targeting (segments, age, gender) at a higher price. */
#define U CAMP("u", "1.0", "")
#define P                                                                                                    \
    CAMP("p", "3.0",                                                                                         \
         ",'targeting':{'segments':[{'segtax':4,'ids':['569']}],'age':{'min':25,'max':54},'gender':['F']}")
/* An adult the personal campaign matches. */
#define ADULT ",'user':{'yob':1986,'gender':'F','data':[{'ext':{'segtax':4},'segment':[{'id':'569'}]}]}"
#define USER(yob, gender, segtax, seg)                                                                       \
    ",'user':{'yob':" yob ",'gender':'" gender "','data':[{'ext':{'segtax':" segtax                          \
    "},'segment':[{'id':'" seg "'}]}]}"

struct dcase {
    const char *name;
    const char *campaigns; /* comma-separated campaign objects */
    const char *req;
    const char *want;   /* rendered verdicts */
    int request_reason; /* -1, or the reason that dropped the whole request */
};

static const struct dcase dcases[] = {
    /* auction */
    {"highest price wins", CAMP("a", "1.0", "") "," CAMP("b", "2.0", "") "," CAMP("c", "1.5", ""),
     REQ(IMP, ""), "a:auction.lost b:bid c:auction.lost", -1},
    {"a tie keeps config order", CAMP("a", "2.0", "") "," CAMP("b", "2.0", ""), REQ(IMP, ""),
     "a:bid b:auction.lost", -1},
    {"a tie keeps config order (reversed)", CAMP("b", "2.0", "") "," CAMP("a", "2.0", ""), REQ(IMP, ""),
     "b:bid a:auction.lost", -1},
    {"a tie behind a cheaper one", CAMP("c", "1", "") "," CAMP("a", "3", "") "," CAMP("b", "3", ""),
     REQ(IMP, ""), "c:auction.lost a:bid b:auction.lost", -1},
    {"a micro decides", CAMP("a", "2.000001", "") "," CAMP("b", "2.000002", ""), REQ(IMP, ""),
     "a:auction.lost b:bid", -1},
    {"single campaign", CAMP("a", "0.01", ""), REQ(IMP, ""), "a:bid", -1},

    /* floors */
    {"floor equal to the price bids", CAMP("a", "2.0", ""), REQ(IMP_F("2.0", ""), ""), "a:bid", -1},
    {"floor 1.1 equals bid_cpm 1.1 (exact micros)", CAMP("a", "1.1", ""), REQ(IMP_F("1.1", ""), ""), "a:bid",
     -1},
    {"floor 0.3 equals bid_cpm 0.3", CAMP("a", "0.3", ""), REQ(IMP_F("0.3", ""), ""), "a:bid", -1},
    {"floor one micro above", CAMP("a", "2.0", ""), REQ(IMP_F("2.000001", ""), ""), "a:floor", -1},
    {"floor one micro below", CAMP("a", "2.0", ""), REQ(IMP_F("1.999999", ""), ""), "a:bid", -1},
    {"floor above every price", CAMP("a", "1", "") "," CAMP("b", "2", ""), REQ(IMP_F("5", ""), ""),
     "a:floor b:floor", -1},
    {"floor between prices", CAMP("a", "1", "") "," CAMP("b", "3", ""), REQ(IMP_F("2", ""), ""),
     "a:floor b:bid", -1},
    {"cheaper campaign below the floor does not block the winner", CAMP("b", "3", "") "," CAMP("a", "1", ""),
     REQ(IMP_F("2", ""), ""), "b:bid a:floor", -1},
    {"bidfloorcur EUR", CAMP("a", "2", ""), REQ(IMP_F("0.5", ",'bidfloorcur':'EUR'"), ""), "a:floor.currency",
     -1},
    {"bidfloorcur usd (case)", CAMP("a", "2", ""), REQ(IMP_F("0.5", ",'bidfloorcur':'usd'"), ""), "a:bid",
     -1},
    {"bidfloorcur absent means USD", CAMP("a", "2", ""), REQ(IMP_F("0.5", ""), ""), "a:bid", -1},
    {"bidfloorcur EUR with no floor is no floor", CAMP("a", "2", ""),
     REQ(IMP_F("0", ",'bidfloorcur':'EUR'"), ""), "a:bid", -1},

    /* request currencies */
    {"cur EUR only drops every campaign", CAMP("a", "2", "") "," CAMP("b", "1", ""),
     REQ(IMP, ",'cur':['EUR']"), "a:currency b:currency", REASON_CURRENCY},
    {"cur EUR and USD", CAMP("a", "2", ""), REQ(IMP, ",'cur':['EUR','USD']"), "a:bid", -1},
    {"cur usd (case)", CAMP("a", "2", ""), REQ(IMP, ",'cur':['usd']"), "a:bid", -1},
    {"cur empty means any", CAMP("a", "2", ""), REQ(IMP, ",'cur':[]"), "a:bid", -1},

    /* bcat / badv */
    {"bcat blocks the category", CAMP("a", "2", ",'cat':['1002']") "," CAMP("b", "1", ",'cat':['1178']"),
     REQ(IMP, ",'bcat':['IAB25','1002']"), "a:blocked.cat b:bid", -1},
    {"bcat of another category", CAMP("a", "2", ",'cat':['1002']"), REQ(IMP, ",'bcat':['1003']"), "a:bid",
     -1},
    {"badv exact", CAMP("a", "2", ",'adomain':['acme.example']"), REQ(IMP, ",'badv':['acme.example']"),
     "a:blocked.adomain", -1},
    {"badv blocks a subdomain", CAMP("a", "2", ",'adomain':['shop.acme.example']"),
     REQ(IMP, ",'badv':['acme.example']"), "a:blocked.adomain", -1},
    {"badv of a subdomain does not block the parent", CAMP("a", "2", ",'adomain':['acme.example']"),
     REQ(IMP, ",'badv':['shop.acme.example']"), "a:bid", -1},
    {"badv is not a plain suffix", CAMP("a", "2", ",'adomain':['notacme.example']"),
     REQ(IMP, ",'badv':['acme.example']"), "a:bid", -1},
    {"badv ignores case", CAMP("a", "2", ",'adomain':['ACME.Example']"), REQ(IMP, ",'badv':['acme.EXAMPLE']"),
     "a:blocked.adomain", -1},
    {"badv on any of several adomains", CAMP("a", "2", ",'adomain':['ok.example','bad.example']"),
     REQ(IMP, ",'badv':['bad.example']"), "a:blocked.adomain", -1},

    /* media and formats */
    {"banner.w/h match", CAMP("a", "2", ""), REQ(IMP, ""), "a:bid", -1},
    {"banner.format match without w/h", CAMP("a", "2", ""),
     REQ("{'id':'1','banner':{'format':[{'w':728,'h':90},{'w':300,'h':250}]}}", ""), "a:bid", -1},
    {"size mismatch", CAMP("a", "2", ""), REQ("{'id':'1','banner':{'w':320,'h':50}}", ""), "a:match.format",
     -1},
    {"w matches but h does not", CAMP("a", "2", ""), REQ("{'id':'1','banner':{'w':300,'h':600}}", ""),
     "a:match.format", -1},
    {"banner without sizes", CAMP("a", "2", ""), REQ("{'id':'1','banner':{}}", ""), "a:match.format", -1},
    {"second campaign's format", CAMP_F("a", "3", "728", "90", "") "," CAMP("b", "1", ""), REQ(IMP, ""),
     "a:match.format b:bid", -1},
    {"imp without banner", CAMP("a", "2", ""), REQ("{'id':'1','video':{'w':640,'h':480}}", ""),
     "a:match.media", -1},
    {"banner null", CAMP("a", "2", ""), REQ("{'id':'1','banner':null,'native':{}}", ""), "a:match.media", -1},
    {"two imps, one winner each", CAMP("a", "2", "") "," CAMP_F("b", "1", "728", "90", ""),
     REQ(IMP ",{'id':'2','banner':{'w':728,'h':90}}", ""), "a:bid b:match.format | a:match.format b:bid", -1},
    {"floor per imp", CAMP("a", "2", ""),
     REQ(IMP_F("3", "") ",{'id':'2','bidfloor':1,'banner':{'w':300,'h':250}}", ""), "a:floor | a:bid", -1},

    /* contextual targeting */
    {"site_cat in site.cat", CAMP("a", "2", ",'targeting':{'site_cat':['IAB17']}"),
     REQ(IMP, ",'site':{'cat':['IAB1','IAB17']}"), "a:bid", -1},
    {"site_cat in content.cat", CAMP("a", "2", ",'targeting':{'site_cat':['483']}"),
     REQ(IMP, ",'site':{'content':{'cat':['483']}}"), "a:bid", -1},
    {"site_cat in app.cat", CAMP("a", "2", ",'targeting':{'site_cat':['IAB9']}"),
     REQ(IMP, ",'app':{'cat':['IAB9']}"), "a:bid", -1},
    {"site_cat missing", CAMP("a", "2", ",'targeting':{'site_cat':['IAB20']}") "," CAMP("b", "1", ""),
     REQ(IMP, ",'site':{'cat':['IAB17']}"), "a:match.site_cat b:bid", -1},
    {"site_cat without a site", CAMP("a", "2", ",'targeting':{'site_cat':['IAB20']}"), REQ(IMP, ""),
     "a:match.site_cat", -1},
    {"country matches (any case)", CAMP("a", "2", ",'targeting':{'countries':['CAN','USA']}"),
     REQ(IMP, ",'device':{'geo':{'country':'usa'}}"), "a:bid", -1},
    {"country differs", CAMP("a", "2", ",'targeting':{'countries':['USA']}"),
     REQ(IMP, ",'device':{'geo':{'country':'CAN'}}"), "a:match.country", -1},
    /* user.geo.country disagreeing: both must be targeted (issue 12) */
    {"country: user.geo disagrees", CAMP("a", "2", ",'targeting':{'countries':['USA']}"),
     REQ(IMP, ",'device':{'geo':{'country':'USA'}},'user':{'geo':{'country':'CAN'}}"), "a:match.country", -1},
    {"country: user.geo.country given twice", CAMP("a", "2", ",'targeting':{'countries':['USA']}"),
     REQ(IMP, ",'device':{'geo':{'country':'USA'}},'user':{'geo':{'country':'CAN','country':'USA'}}"),
     "a:match.country", -1},
    {"country: user.geo agrees", CAMP("a", "2", ",'targeting':{'countries':['USA','CAN']}"),
     REQ(IMP, ",'device':{'geo':{'country':'USA'}},'user':{'geo':{'country':'can'}}"), "a:bid", -1},
    {"country unknown", CAMP("a", "2", ",'targeting':{'countries':['USA']}"), REQ(IMP, ""), "a:match.country",
     -1},

    /* personal targeting */
    {"segment matches", CAMP("a", "2", ",'targeting':{'segments':[{'segtax':4,'ids':['569','570']}]}"),
     REQ(IMP, USER("1986", "F", "4", "570")), "a:bid", -1},
    {"segment id under another segtax",
     CAMP("a", "2", ",'targeting':{'segments':[{'segtax':4,'ids':['569']}]}"),
     REQ(IMP, USER("1986", "F", "5", "569")), "a:match.segment", -1},
    {"segment in a second data object",
     CAMP("a", "2", ",'targeting':{'segments':[{'segtax':4,'ids':['9']}]}"),
     REQ(IMP, ",'user':{'data':[{'segment':[{'id':'9'}]},{'ext':{'segtax':4},'segment':[{'id':'1'},{'id':'9'}"
              "]}]}"),
     "a:bid", -1},
    {"segment rule with a second segtax",
     CAMP("a", "2", ",'targeting':{'segments':[{'segtax':4,'ids':['1']},{'segtax':6,'ids':['483']}]}"),
     REQ(IMP, USER("1986", "F", "6", "483")), "a:bid", -1},
    {"no user data", CAMP("a", "2", ",'targeting':{'segments':[{'segtax':4,'ids':['569']}]}"), REQ(IMP, ""),
     "a:match.segment", -1},
    {"age inside", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'yob':1986}"), "a:bid", -1},
    {"age at min", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'yob':2001}"), "a:bid", -1},
    {"age at max", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'yob':1972}"), "a:bid", -1},
    {"age above max", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'yob':1971}"), "a:match.age", -1},
    {"age below min (adult)", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'yob':2005}"), "a:match.age", -1},
    {"age unknown", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"),
     REQ(IMP, ",'user':{'id':'x'}"), "a:match.age", -1},
    {"gender matches", CAMP("a", "2", ",'targeting':{'gender':['F','O']}"),
     REQ(IMP, ",'user':{'gender':'O'}"), "a:bid", -1},
    {"gender differs", CAMP("a", "2", ",'targeting':{'gender':['F']}"), REQ(IMP, ",'user':{'gender':'M'}"),
     "a:match.gender", -1},
    {"gender unknown", CAMP("a", "2", ",'targeting':{'gender':['F']}"), REQ(IMP, ""), "a:match.gender", -1},
    {"gender is case-sensitive as in OpenRTB", CAMP("a", "2", ",'targeting':{'gender':['F']}"),
     REQ(IMP, ",'user':{'gender':'f'}"), "a:match.gender", -1},

    /* consent: malformed signals forbid every bid, targeted or not */
    {"regs.gdpr 2", U "," P, REQ(IMP, ADULT ",'regs':{'gdpr':2}"), "u:consent.malformed p:consent.malformed",
     REASON_CONSENT_MALFORMED},
    {"regs.gdpr \"1\"", U "," P, REQ(IMP, ADULT ",'regs':{'gdpr':'1'}"),
     "u:consent.malformed p:consent.malformed", REASON_CONSENT_MALFORMED},
    {"regs.ext a string", U "," P, REQ(IMP, ADULT ",'regs':{'ext':'x'}"),
     "u:consent.malformed p:consent.malformed", REASON_CONSENT_MALFORMED},
    {"regs.ext.gdpr a string", U "," P, REQ(IMP, ADULT ",'regs':{'ext':{'gdpr':'foo'}}"),
     "u:consent.malformed p:consent.malformed", REASON_CONSENT_MALFORMED},
    {"user.ext.consent 1", U "," P,
     REQ(IMP,
         ",'user':{'yob':1986,'gender':'F','ext':{'consent':1},'data':[{'ext':{'segtax':4},'segment':[{'id':"
         "'569'}]}]}"),
     "u:consent.malformed p:consent.malformed", REASON_CONSENT_MALFORMED},
    {"user.consent 1", U "," P, REQ(IMP, ",'user':{'consent':1}"), "u:consent.malformed p:consent.malformed",
     REASON_CONSENT_MALFORMED},

    /* consent: minors and opt-outs drop personal targeting only */
    {"coppa 1", U "," P, REQ(IMP, ADULT ",'regs':{'coppa':1}"), "u:bid p:minor.coppa", -1},
    {"minor by yob", U "," P, REQ(IMP, USER("2015", "F", "4", "569")), "u:bid p:minor.age", -1},
    {"lmt 1", U "," P, REQ(IMP, ADULT ",'device':{'lmt':1}"), "u:bid p:consent.lmt", -1},
    {"gpc 1", U "," P, REQ(IMP, ADULT ",'regs':{'ext':{'gpc':1}}"), "u:bid p:consent.gpc", -1},
    {"gpc \"1\"", U "," P, REQ(IMP, ADULT ",'regs':{'ext':{'gpc':'1'}}"), "u:bid p:consent.gpc", -1},
    {"us_privacy 1YYN", U "," P, REQ(IMP, ADULT ",'regs':{'us_privacy':'1YYN'}"),
     "u:bid p:consent.usp_optout", -1},
    {"regs.ext.us_privacy 1YYN", U "," P, REQ(IMP, ADULT ",'regs':{'ext':{'us_privacy':'1YYN'}}"),
     "u:bid p:consent.usp_optout", -1},
    {"contextual campaigns ignore personal-data restrictions",
     CAMP("a", "2", ",'targeting':{'site_cat':['IAB17'],'countries':['USA']}"),
     REQ(IMP, ",'site':{'cat':['IAB17']},'device':{'lmt':1,'geo':{'country':'USA'}},'regs':{'coppa':1}"),
     "a:bid", -1},

    /* over-blocking: a consenting adult outside GDPR gets the targeted (higher) bid */
    {"consenting adult outside GDPR", U "," P,
     REQ(IMP, ADULT ",'device':{'lmt':0},'regs':{'coppa':0,'gdpr':0,'us_privacy':'1YNN','ext':{'gpc':0}}"),
     "u:auction.lost p:bid", -1},
    {"adult with no privacy signals", U "," P, REQ(IMP, ADULT), "u:auction.lost p:bid", -1},
    {"us_privacy not applicable", U "," P, REQ(IMP, ADULT ",'regs':{'us_privacy':'1---'}"),
     "u:auction.lost p:bid", -1},
    {"regs.ext.gdpr 0 with 2.5 us_privacy 1NNN", U "," P,
     REQ(IMP, ADULT ",'regs':{'ext':{'gdpr':0,'us_privacy':'1NNN'}}"), "u:auction.lost p:bid", -1},
};

Test(decide, verdict_table)
{
    for (size_t i = 0; i < sizeof dcases / sizeof dcases[0]; i++) {
        const struct dcase *c = &dcases[i];
        struct ortb_request r;
        struct decide_result res;
        struct config *cfg = decide_q(c->name, c->campaigns, c->req, &r, &res);
        char got[2048];
        render(c->name, &cfg->campaigns, &r, &res, got, sizeof got);
        cr_expect_str_eq(got, c->want, "[%s]\n   got: %s\n  want: %s", c->name, got, c->want);
        cr_expect_eq(res.request_reason, c->request_reason, "[%s] request_reason %s, want %s", c->name,
                     res.request_reason >= 0 ? reason_name(res.request_reason) : "-1",
                     c->request_reason >= 0 ? reason_name(c->request_reason) : "-1");
        check_details(c->name, &cfg->campaigns, &r, &res);
        config_free(cfg);
    }
}

/* A bidfloor so large that floor × 1e6 leaves int64 must still be a floor nobody meets (regression: decide.c
 * converted with llround(), whose result out of range is unspecified, INT64_MIN on x86-64 glibc, so every
 * campaign passed the floor; found by this test, fixed in b668167). */
Test(decide, floor_huge_bidfloor_is_a_floor)
{
    static const char *const floors[] = {"9223372036855", "1e13", "1e19", "1e300", "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++) {
        char q[256];
        snprintf(q, sizeof q, "{'id':'r1','imp':[{'id':'1','bidfloor':%s,'banner':{'w':300,'h':250}}]}",
                 floors[i]);
        struct ortb_request r;
        struct decide_result res;
        struct config *cfg = decide_q(floors[i], CAMP("a", "1000000", ""), q, &r, &res);
        cr_expect_eq(res.nbids, 0, "bidfloor %s: a bid of 1000000 CPM passed the floor", floors[i]);
        cr_expect_str_eq(reason_name(res.v[0].reason), "floor", "bidfloor %s", floors[i]);
        config_free(cfg);
    }
}

/* GDPR: another module decodes TC strings; whatever it accepts, a request under GDPR with a missing or
 * invalid TC string has no consent for basic ads, so nothing may bid and nothing personal is matched. */
Test(decide, gdpr_without_a_valid_tc_string_never_bids)
{
    static const struct {
        const char *name, *rest;
    } cases[] = {
        {"gdpr 1, no TC string", ADULT ",'regs':{'gdpr':1}"},
        {"gdpr 1, empty TC string", ",'user':{'consent':'','yob':1986,'gender':'F'},'regs':{'gdpr':1}"},
        {"gdpr 1, garbage TC string", ",'user':{'consent':'not-a-tc-string','yob':1986},'regs':{'gdpr':1}"},
        {"gdpr 1, truncated TC string", ",'user':{'consent':'CP','yob':1986},'regs':{'gdpr':1}"},
        {"2.5 ext.gdpr 1, no TC string", ADULT ",'regs':{'ext':{'gdpr':1}}"},
        {"2.5 ext.gdpr 1, garbage ext.consent",
         ",'user':{'ext':{'consent':'%%%'}},'regs':{'ext':{'gdpr':1}}"},
        {"gpp_sid [2] without a GPP string", ADULT ",'regs':{'gpp_sid':[2]}"},
        {"gdpr 1 wins over ext.gdpr 0", ADULT ",'regs':{'gdpr':1,'ext':{'gdpr':0}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[1024];
        snprintf(q, sizeof q, "{'id':'r1','imp':[" IMP "]%s}", cases[i].rest);
        struct ortb_request r;
        struct decide_result res;
        struct config *cfg = decide_q(cases[i].name, U "," P, q, &r, &res);
        char got[512];
        render(cases[i].name, &cfg->campaigns, &r, &res, got, sizeof got);
        cr_expect_eq(res.nbids, 0, "[%s] bid without consent: %s", cases[i].name, got);
        for (uint32_t k = 0; k < res.nv; k++)
            cr_expect(strncmp(reason_name(res.v[k].reason), "consent.", 8) == 0,
                      "[%s] %s: want a consent.* reason", cases[i].name, got);
        cr_expect(res.request_reason >= 0, "[%s] the whole request is dropped", cases[i].name);
        config_free(cfg);
    }
}

/* A protective signal given twice must not be undone by its second copy. docs/http.md makes the consent
 * signals (gdpr, us_privacy, gpp, gpc, consent) malformed when repeated; the same reasoning holds for the
 * other signals that restrict personal targeting: whichever copy wins, the adult-matching personal campaign p
 * must not bid when either copy forbids it. */
Test(decide, repeated_protective_signals_never_widen)
{
    static const struct {
        const char *name, *rest;
    } cases[] = {
        {"regs.coppa 1 then 0", ADULT ",'regs':{'coppa':1,'coppa':0}"},
        {"regs.coppa in two regs objects", ADULT ",'regs':{'coppa':1},'regs':{'coppa':0}"},
        {"device.lmt 1 then 0", ADULT ",'device':{'lmt':1,'lmt':0}"},
        {"regs.gpp_sid [2] then []", ADULT ",'regs':{'gpp_sid':[2],'gpp_sid':[]}"},
        {"user.yob of a child then of an adult", ",'user':{'yob':2015,'yob':1986,'gender':'F','data':[{'ext':"
                                                 "{'segtax':4},'segment':[{'id':'569'}]}]}"},
        {"regs.gdpr 1 then 0", ADULT ",'regs':{'gdpr':1,'gdpr':0}"},
        {"us_privacy opt-out then not", ADULT ",'regs':{'us_privacy':'1YYN','us_privacy':'1YNN'}"},
        {"gpc 1 then 0", ADULT ",'regs':{'ext':{'gpc':1,'gpc':0}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[1024];
        snprintf(q, sizeof q, "{'id':'r1','imp':[" IMP "]%s}", cases[i].rest);
        struct ortb_request r;
        struct decide_result res;
        struct config *cfg = decide_q(cases[i].name, U "," P, q, &r, &res);
        char got[512];
        render(cases[i].name, &cfg->campaigns, &r, &res, got, sizeof got);
        cr_expect(res.v[1].reason != REASON_BID && res.v[1].reason != REASON_AUCTION_LOST,
                  "[%s] the personal campaign stays eligible: %s", cases[i].name, got);
        config_free(cfg);
    }
}

Test(decide, bundled_sample_against_bundled_config)
{
    char *ctext, *body;
    struct ortb_request r;
    struct config *cfg = load_sample(&ctext, &body, &r);
    struct arena da;
    arena_init(&da, g_dmem, sizeof g_dmem);
    struct decide_result res;
    cr_assert_eq(run(&cfg->campaigns, &r, &da, &res), 0);
    char got[512];
    render("sample", &cfg->campaigns, &r, &res, got, sizeof got);
    cr_expect_str_eq(got,
                     "acme-shoes:auction.lost globex-travel:match.site_cat initech-runners:bid "
                     "umbrella-video:match.media hooli-native:match.media",
                     "sample: %s", got);
    char detail[256];
    decide_detail(&cfg->campaigns, &r, &res.v[0], detail, sizeof detail);
    cr_expect(strstr(detail, "initech-runners") != NULL, "auction.lost names the winner: %s", detail);
    check_details("sample", &cfg->campaigns, &r, &res);
    config_free(cfg);
    free(ctext);
    free(body);
}

Test(decide, detail_texts)
{
    static const struct {
        const char *name, *campaigns, *req, *want;
    } cases[] = {
        {"format", CAMP("a", "2", ""),
         REQ("{'id':'1','banner':{'w':320,'h':50,'format':[{'w':320,'h':100}]}}", ""),
         "imp offers [320x50, 320x100], campaign serves [300x250]"},
        {"floor currency", CAMP("a", "2", ""), REQ(IMP_F("1", ",'bidfloorcur':'EUR'"), ""),
         "bidfloorcur EUR, fairbid bids in USD"},
        {"bcat", CAMP("a", "2", ",'cat':['1002']"), REQ(IMP, ",'bcat':['1002']"), "category 1002 is in bcat"},
        {"badv", CAMP("a", "2", ",'adomain':['x.acme.example']"), REQ(IMP, ",'badv':['acme.example']"),
         "adomain x.acme.example is blocked by badv"},
        {"country", CAMP("a", "2", ",'targeting':{'countries':['USA']}"),
         REQ(IMP, ",'device':{'geo':{'country':'FRA'}}"), "country \"FRA\""},
        {"age unknown", CAMP("a", "2", ",'targeting':{'age':{'min':25,'max':54}}"), REQ(IMP, ""),
         "age unknown, campaign wants 25-54"},
        {"currency", CAMP("a", "2", ""), REQ(IMP, ",'cur':['EUR']"), "request cur excludes USD"},
        {"media", CAMP("a", "2", ""), REQ("{'id':'1','video':{}}", ""), "imp 1 has video"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ortb_request r;
        struct decide_result res;
        struct config *cfg = decide_q(cases[i].name, cases[i].campaigns, cases[i].req, &r, &res);
        char buf[512];
        decide_detail(&cfg->campaigns, &r, &res.v[0], buf, sizeof buf);
        cr_expect_str_eq(buf, cases[i].want, "[%s] %s", cases[i].name, buf);
        config_free(cfg);
    }
}

/* ---- a campaign set built by hand ---- */

Test(decide, many_equal_campaigns_first_wins)
{
    enum { N = 300 };
    static struct campaign camps[N];
    static struct ortb_format fmt[1] = {{300, 250}};
    static char ids[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "c%d", i);
        camps[i] = (struct campaign){.id = sv_from(ids[i]),
                                     .crid = SV_LIT("cr"),
                                     .adm = SV_LIT("x"),
                                     .bid_micros = i < 7 ? 1000000 : 2500000,
                                     .formats = fmt,
                                     .nformats = 1,
                                     .cattax = 8};
    }
    struct campaign_set cs = {.v = camps, .n = N, .currency = SV_LIT("USD"), .tcf_vendor_id = 1};
    struct ortb_request r;
    tu_parse_q("many",
               REQ(IMP ",{'id':'2','bidfloor':2.5,'banner':{'w':300,'h':250}},"
                       "{'id':'3','bidfloor':2.6,'banner':{'w':300,'h':250}}",
                   ""),
               &r);
    struct arena a;
    arena_init(&a, g_dmem, sizeof g_dmem);
    struct decide_result res;
    cr_assert_eq(run(&cs, &r, &a, &res), 0);
    cr_expect_eq(res.winner[0], 7, "the first of the highest price wins: %d", res.winner[0]);
    cr_expect_eq(res.winner[1], 7, "a floor equal to the price still bids: %d", res.winner[1]);
    cr_expect_eq(res.winner[2], -1, "a floor above every price: %d", res.winner[2]);
    cr_expect_eq(res.nbids, 2);
    for (int c = 0; c < N; c++) {
        const char *want = c == 7 ? "bid" : "auction.lost";
        cr_expect_str_eq(reason_name(res.v[c].reason), want, "imp 1, c%d", c);
        cr_expect_str_eq(reason_name(res.v[2 * N + c].reason), "floor", "imp 3, c%d", c);
    }
    char got[1 << 14];
    render("many", &cs, &r, &res, got, sizeof got);
}

/* ---- arena exhaustion ---- */

Test(decide, arena_exhaustion_at_every_size)
{
    char *ctext, *body;
    struct ortb_request r;
    struct config *cfg = load_sample(&ctext, &body, &r);
    struct arena da;

    arena_init(&da, g_dmem, sizeof g_dmem);
    struct decide_result ref;
    cr_assert_eq(run(&cfg->campaigns, &r, &da, &ref), 0);
    size_t need = da.high;
    char want[512];
    render("reference", &cfg->campaigns, &r, &ref, want, sizeof want);

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (need + 64 + page - 1) / page * page;
    char *map = mmap(NULL, data + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(map != MAP_FAILED);
    cr_assert(mprotect(map + data, page, PROT_NONE) == 0);
    for (int guarded = 0; guarded < 2; guarded++) {
        for (size_t cap = 0; cap <= need + 64; cap++) {
            /* unguarded: a fixed aligned base, so `need` is exact; guarded: the arena ends at the guard page
             */
            char *base = guarded ? map + data - cap : g_dmem;
            arena_init(&da, base, cap);
            struct decide_result res;
            int rc = run(&cfg->campaigns, &r, &da, &res);
            cr_expect(rc == 0 || rc == DECIDE_ENOMEM, "arena %zu: rc %d", cap, rc);
            cr_expect(da.used <= cap, "arena %zu: used %zu", cap, da.used);
            if (rc == DECIDE_ENOMEM) {
                cr_expect_eq(res.request_reason, REASON_INTERNAL_MEMORY, "arena %zu: reason", cap);
                cr_expect_eq(res.nbids, 0, "arena %zu: no bid without memory", cap);
                continue;
            }
            char got[512];
            render("exhaustion", &cfg->campaigns, &r, &res, got, sizeof got);
            if (cap >= need || guarded)
                cr_expect(res.nbids <= ref.nbids, "arena %zu: more bids with less memory: %s", cap, got);
            if (cap >= need && !guarded) cr_expect_str_eq(got, want, "arena %zu (enough)", cap);
            if (cap < need && !guarded)
                cr_expect(res.nbids <= ref.nbids, "arena %zu: less memory must fail toward no bid: %s", cap,
                          got);
        }
    }
    munmap(map, data + page);
    config_free(cfg);
    free(ctext);
    free(body);
}
