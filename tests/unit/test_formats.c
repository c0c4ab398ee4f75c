/* Unit tests for issue 19: video, audio, native and deals in the built-in bidder.
 * Tables of (one campaign with creatives, one imp, expected reason) for each matcher, allow cases included;
 * the Native 1.2 request parser on good, malformed and hostile input; deals, private auctions and fx floors;
 * the response fields (mtype, dur, dealid, the native adm as a Native 1.2 response); config errors naming the
 * file, line, campaign, creative and key; and the consent, blocking and minor rules on video and native imps
 * exactly as on banners. Test JSON is written with ' for ". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config/config.h"
#include "tests/unit/fair_fixed_view.h"
#include "filters/decide.h"
#include "filters/fair.h"
#include "filters/json.h"
#include "filters/native.h"
#include "filters/ortb.h"
#include "filters/reasons.h"
#include "filters/response.h"
#include "tests/unit/testutil.h"

static struct config *config_try(const char *top, const char *campaigns, char *err, size_t errlen)
{
    static char text[1 << 16], q[1 << 16];
    snprintf(q, sizeof q, "{'currency':'USD','seat':'fairbid',%s'campaigns':[%s]}", top, campaigns);
    size_t n = tu_unquote(q, text, sizeof text);
    err[0] = '\0';
    return config_parse_load("formats-test.json", text, n, NULL, err, errlen);
}

static struct config *config_q(const char *name, const char *top, const char *campaigns)
{
    char err[512];
    struct config *c = config_try(top, campaigns, err, sizeof err);
    cr_assert_not_null(c, "[%s] config: %s", name, err);
    return c;
}

static _Alignas(64) char g_dmem[1 << 20];

/* The reason of campaign 0 on imp 0. */
static const char *decide_one(const char *name, const struct config *cfg, const char *req,
                              struct decide_result *res, struct ortb_request *r)
{
    tu_parse_q(name, req, r);
    struct arena a;
    arena_init(&a, g_dmem, sizeof g_dmem);
    struct decide_env env = {.now_ms = 1790000000000, .year = 2026};
    cr_assert_eq(decide_run(&cfg->campaigns, r, &env, &a, res), 0);
    return reason_name(res->v[0].reason);
}

#define VIDEO_CR                                                                                             \
    "{'type':'video','duration_s':15,'mimes':['video/mp4'],'protocols':[2,3,7],'w':1920,'h':1080,"           \
    "'adm':'<VAST version=\\'4.0\\'></VAST>'"
#define CAMP(creatives)                                                                                      \
    "{'id':'c','crid':'r','bid_cpm':2,'adomain':['acme.example'],'creatives':[" creatives "]}"
#define REQ(imp) "{'id':'q','imp':[" imp "]}"

struct mcase {
    const char *name, *creative, *imp, *want;
};

static void run_table(const struct mcase *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char camp[4096], req[4096];
        snprintf(camp, sizeof camp, CAMP("%s"), t[i].creative);
        snprintf(req, sizeof req, REQ("%s"), t[i].imp);
        struct config *cfg = config_q(t[i].name, "", camp);
        struct decide_result res;
        struct ortb_request r;
        const char *got = decide_one(t[i].name, cfg, req, &res, &r);
        cr_expect_str_eq(got, t[i].want, "[%s] got %s, want %s", t[i].name, got, t[i].want);
        config_free(cfg);
    }
}

Test(formats, video_matcher)
{
    static const struct mcase t[] = {
        {"fits", VIDEO_CR "}",
         "{'id':'1','video':{'mimes':['video/mp4'],'minduration':5,'maxduration':30,"
         "'protocols':[2,3],'w':640,'h':360}}",
         "bid"},
        {"no mimes overlap", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/webm']}}", "match.video.mime"},
        {"mime case-insensitive", VIDEO_CR "}", "{'id':'1','video':{'mimes':['VIDEO/MP4']}}", "bid"},
        {"no mimes at all", VIDEO_CR "}", "{'id':'1','video':{}}", "match.video.mime"},
        {"too long", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'maxduration':10}}",
         "match.video.duration"},
        {"too short", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'minduration':20}}",
         "match.video.duration"},
        {"rqddurs hit", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'rqddurs':[6,15,30]}}",
         "bid"},
        {"rqddurs miss", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'rqddurs':[6,30]}}",
         "match.video.duration"},
        {"protocol miss", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'protocols':[5,6]}}",
         "match.video.protocol"},
        {"2.3 protocol", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'protocol':3}}", "bid"},
        {"aspect mismatch", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'w':300,'h':250}}",
         "match.video.size"},
        {"plcmt accepted", VIDEO_CR ",'plcmt':[1,2]}", "{'id':'1','video':{'mimes':['video/mp4'],'plcmt':2}}",
         "bid"},
        {"plcmt refused", VIDEO_CR ",'plcmt':[1]}", "{'id':'1','video':{'mimes':['video/mp4'],'plcmt':4}}",
         "match.video.placement"},
        {"placement refused", VIDEO_CR ",'placement':[1]}",
         "{'id':'1','video':{'mimes':['video/mp4'],'placement':3}}", "match.video.placement"},
        {"non-linear slot", VIDEO_CR "}", "{'id':'1','video':{'mimes':['video/mp4'],'linearity':2}}",
         "match.video.linearity"},
        {"skippable, skip allowed", VIDEO_CR ",'skippable':true}",
         "{'id':'1','video':{'mimes':['video/mp4'],'skip':1}}", "bid"},
        {"skippable, skip not allowed", VIDEO_CR ",'skippable':true}",
         "{'id':'1','video':{'mimes':['video/mp4'],'skip':0}}", "match.video.skip"},
        {"pre-roll only, mid-roll slot", VIDEO_CR ",'startdelay':[0]}",
         "{'id':'1','video':{'mimes':['video/mp4'],'startdelay':10}}", "match.video.startdelay"},
        {"mid-roll accepted", VIDEO_CR ",'startdelay':[-1]}",
         "{'id':'1','video':{'mimes':['video/mp4'],'startdelay':10}}", "bid"},
        {"banner-only imp", VIDEO_CR "}", "{'id':'1','banner':{'w':300,'h':250}}", "match.media"},
    };
    run_table(t, sizeof t / sizeof t[0]);
}

#define AUDIO_CR "{'type':'audio','duration_s':30,'mimes':['audio/mp4'],'protocols':[2,3],'adm':'<VAST/>'"

Test(formats, audio_matcher)
{
    static const struct mcase t[] = {
        {"fits", AUDIO_CR "}", "{'id':'1','audio':{'mimes':['audio/mp4'],'maxduration':30,'protocols':[3]}}",
         "bid"},
        {"mime", AUDIO_CR "}", "{'id':'1','audio':{'mimes':['audio/mpeg']}}", "match.audio.mime"},
        {"duration", AUDIO_CR "}", "{'id':'1','audio':{'mimes':['audio/mp4'],'maxduration':15}}",
         "match.audio.duration"},
        {"protocol", AUDIO_CR "}", "{'id':'1','audio':{'mimes':['audio/mp4'],'protocols':[9]}}",
         "match.audio.protocol"},
        {"startdelay", AUDIO_CR ",'startdelay':[0]}",
         "{'id':'1','audio':{'mimes':['audio/mp4'],'startdelay':-2}}", "match.audio.startdelay"},
        {"video imp", AUDIO_CR "}", "{'id':'1','video':{'mimes':['audio/mp4']}}", "match.media"},
    };
    run_table(t, sizeof t / sizeof t[0]);
}

#define NATIVE_CR                                                                                            \
    "{'type':'native','title':'Run further','link':'https://acme.example/run',"                              \
    "'images':[{'type':3,'w':1200,'h':627,'url':'https://cdn.acme.example/m.jpg'},"                          \
    "{'type':1,'w':80,'h':80,'url':'https://cdn.acme.example/i.png'}],"                                      \
    "'data':[{'type':1,'value':'Acme'},{'type':2,'value':'Shoes for long runs'}],"                           \
    "'imptrackers':['https://acme.example/imp']}"
/* a native imp whose request (a JSON string, as OpenRTB 2.6 sends it) holds the given assets */
#define NIMP(assets)                                                                                         \
    "{'id':'1','native':{'ver':'1.2','request':'{\\'ver\\':\\'1.2\\',\\'assets\\':[" assets "]}'}}"
#define Q "\\'"

Test(formats, native_matcher)
{
    static const struct mcase t[] = {
        {"title + main image + sponsored", NATIVE_CR,
         NIMP("{" Q "id" Q ":1," Q "required" Q ":1," Q "title" Q ":{" Q "len" Q ":25}},{" Q "id" Q ":2," Q
              "required" Q ":1," Q "img" Q ":{" Q "type" Q ":3," Q "wmin" Q ":600," Q "hmin" Q ":300}},{" Q
              "id" Q ":3," Q "data" Q ":{" Q "type" Q ":1}}"),
         "bid"},
        {"title too long", NATIVE_CR,
         NIMP("{" Q "id" Q ":1," Q "required" Q ":1," Q "title" Q ":{" Q "len" Q ":5}}"),
         "match.native.asset"},
        {"optional title too long", NATIVE_CR,
         NIMP("{" Q "id" Q ":1," Q "title" Q ":{" Q "len" Q ":5}},{" Q "id" Q ":2," Q "required" Q ":1," Q
              "img" Q ":{" Q "type" Q ":1}}"),
         "bid"},
        {"exact image size missing", NATIVE_CR,
         NIMP("{" Q "id" Q ":2," Q "required" Q ":1," Q "img" Q ":{" Q "type" Q ":3," Q "w" Q ":300," Q "h" Q
              ":250}}"),
         "match.native.asset"},
        {"exact image size present", NATIVE_CR,
         NIMP("{" Q "id" Q ":2," Q "required" Q ":1," Q "img" Q ":{" Q "type" Q ":3," Q "w" Q ":1200," Q "h" Q
              ":627}}"),
         "bid"},
        {"data type not held", NATIVE_CR,
         NIMP("{" Q "id" Q ":3," Q "required" Q ":1," Q "data" Q ":{" Q "type" Q ":3}}"),
         "match.native.asset"},
        {"required native video", NATIVE_CR, NIMP("{" Q "id" Q ":4," Q "required" Q ":1," Q "video" Q ":{}}"),
         "match.native.asset"},
        {"1.0 wrapper", NATIVE_CR,
         "{'id':'1','native':{'request':'{\\'native\\':{\\'assets\\':[{\\'id\\':1,\\'required\\':1,\\'"
         "title\\':{"
         "\\'len\\':90}}]}}'}}",
         "bid"},
        {"request as object", NATIVE_CR,
         "{'id':'1','native':{'request':{'assets':[{'id':1,'required':1,'title':{'len':90}}]}}}", "bid"},
        {"unreadable request", NATIVE_CR, "{'id':'1','native':{'request':'{not json'}}",
         "match.native.request"},
        {"no request", NATIVE_CR, "{'id':'1','native':{}}", "match.native.request"},
    };
    run_table(t, sizeof t / sizeof t[0]);
}

static _Alignas(64) char g_nmem[1 << 16];

/* The Native request parser alone: good, malformed and hostile. */
Test(formats, native_request_parser)
{
    static const struct {
        const char *in;
        bool ok;
        uint32_t nassets;
    } t[] = {
        {"{\"assets\":[{\"id\":1,\"title\":{\"len\":10}}]}", true, 1},
        {"{\"ver\":\"1.2\",\"context\":1,\"assets\":[{\"id\":1,\"img\":{\"type\":3}},{\"id\":2,\"data\":{"
         "\"type\":1}}],"
         "\"eventtrackers\":[{\"event\":1}]}",
         true, 2},
        {"", false, 0},
        {"[]", false, 0},
        {"{}", false, 0},
        {"{\"assets\":[]}", false, 0},
        {"{\"assets\":{}}", false, 0},
        {"{\"assets\":[1]}", false, 0},
        {"{\"assets\":[{\"title\":{}}]}", false, 0},                                /* no id */
        {"{\"assets\":[{\"id\":1}]}", false, 0},                                    /* no kind */
        {"{\"assets\":[{\"id\":1,\"title\":{},\"img\":{}}]}", false, 0},            /* two kinds */
        {"{\"assets\":[{\"id\":1,\"title\":{}},{\"id\":1,\"img\":{}}]}", false, 0}, /* duplicate id */
        {"{\"assets\":[{\"id\":-1,\"title\":{}}]}", false, 0},
        {"{\"assets\":[{\"id\":1,\"required\":2,\"title\":{}}]}", false, 0},
        {"{\"assets\":[{\"id\":1,\"title\":{\"len\":\"10\"}}]}", false, 0},
        {"{\"assets\":[{\"id\":1,\"title\":{}}]}trailing", false, 0},
        {"{\"assets\":[{\"id\":1,\"title\":{}}],\"assets\":[{\"id\":2,\"title\":{}}]}", false, 0},
        {"{\"native\":{\"native\":{\"assets\":[{\"id\":1,\"title\":{}}]}}}", false, 0}, /* one wrapper only */
        {"{\"assets\":[{\"id\":1,\"title\":{\"len\":1e400}}]}", false, 0},
        {"{\"assets\":[{\"id\":1,\"title\":{\"x\":\"\\ud800\"}}]}", false, 0}, /* lone surrogate */
        {"{\"assets\":[{\"id\":1,\"title\":{}}", false, 0},                    /* truncated */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct arena a;
        arena_init(&a, g_nmem, sizeof g_nmem);
        struct ortb_native n;
        int rc = native_parse_request(t[i].in, strlen(t[i].in), &a, &n);
        cr_expect_eq(rc == 0, t[i].ok, "[%zu] %s: rc %d (%s)", i, t[i].in, rc, n.why ? n.why : "");
        cr_expect_eq(n.ok, t[i].ok, "[%zu] ok", i);
        if (t[i].ok) cr_expect_eq(n.nassets, t[i].nassets, "[%zu] nassets", i);
        if (!t[i].ok) cr_expect_not_null(n.why, "[%zu] a failure says why", i);
    }
    /* hostile: deep nesting, 65 assets, a huge request: bounded, no crash */
    static char big[NATIVE_MAX_REQUEST * 2];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{\"assets\":[{\"id\":1,\"title\":{\"x\":");
    for (int d = 0; d < 200; d++) big[n++] = '[';
    for (int d = 0; d < 200; d++) big[n++] = ']';
    n += (size_t)snprintf(big + n, sizeof big - n, "}}]}");
    struct arena a;
    struct ortb_native nat;
    arena_init(&a, g_nmem, sizeof g_nmem);
    cr_expect_neq(native_parse_request(big, n, &a, &nat), 0, "200-deep nesting is refused");
    n = (size_t)snprintf(big, sizeof big, "{\"assets\":[");
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"id\":%d,\"title\":{}}", i ? "," : "", i);
    n += (size_t)snprintf(big + n, sizeof big - n, "]}");
    arena_init(&a, g_nmem, sizeof g_nmem);
    cr_expect_neq(native_parse_request(big, n, &a, &nat), 0, "65 assets are refused");
    memset(big, ' ', sizeof big);
    big[0] = '{';
    big[sizeof big - 1] = '}';
    arena_init(&a, g_nmem, sizeof g_nmem);
    cr_expect_neq(native_parse_request(big, sizeof big, &a, &nat), 0, "past 16 KiB is refused");
    /* a tiny arena: refused, not overrun */
    arena_init(&a, g_nmem, 64);
    const char *ok = "{\"assets\":[{\"id\":1,\"title\":{}},{\"id\":2,\"title\":{}},{\"id\":3,\"title\":{}},{"
                     "\"id\":4,\"title\":{}},{\"id\":5,\"title\":{}}]}";
    cr_expect_neq(native_parse_request(ok, strlen(ok), &a, &nat), 0);
    cr_expect(a.used <= 64);
}

/* A full bid response, parsed back: mtype, dur, dealid, w/h, and the native adm a Native 1.2 response. */
static void respond(const struct config *cfg, const struct ortb_request *r, const struct decide_result *res,
                    char *out, size_t cap)
{
    struct buf b;
    buf_init(&b, out, cap);
    struct resp_opts o = {.seat = SV_LIT("fairbid")};
    cr_assert_eq(resp_write_bids(&b, &cfg->campaigns, r, res, &o), 0);
    cr_assert_not_null(buf_cstr(&b));
}

Test(formats, response_fields)
{
    struct config *cfg = config_q("resp", "", CAMP(VIDEO_CR "}," AUDIO_CR "}," NATIVE_CR));
    struct decide_result res;
    struct ortb_request r;
    static char out[1 << 16];
    cr_assert_str_eq(
        decide_one("video", cfg,
                   REQ("{'id':'v','video':{'mimes':['video/mp4'],'w':1280,'h':720},'pmp':{'deals':[{"
                       "'id':'other'}]}}"),
                   &res, &r),
        "bid");
    respond(cfg, &r, &res, out, sizeof out);
    cr_expect(strstr(out, "\"mtype\":2"), "%s", out);
    cr_expect(strstr(out, "\"dur\":15"), "%s", out);
    cr_expect(strstr(out, "\"w\":1920,\"h\":1080"), "%s", out);
    cr_expect(strstr(out, "<VAST version=\\\"4.0\\\">"), "%s", out);
    cr_expect(!strstr(out, "dealid"), "no deal held: open auction: %s", out);

    cr_assert_str_eq(decide_one("audio", cfg, REQ("{'id':'a','audio':{'mimes':['audio/mp4']}}"), &res, &r),
                     "bid");
    respond(cfg, &r, &res, out, sizeof out);
    cr_expect(strstr(out, "\"mtype\":3") && strstr(out, "\"dur\":30") && !strstr(out, "\"w\":"), "%s", out);

    cr_assert_str_eq(decide_one("native", cfg,
                                REQ(NIMP("{" Q "id" Q ":7," Q "required" Q ":1," Q "title" Q ":{" Q "len" Q
                                         ":25}},{" Q "id" Q ":9," Q "img" Q ":{" Q "type" Q ":1}},{" Q "id" Q
                                         ":11," Q "data" Q ":{" Q "type" Q ":3}}")),
                                &res, &r),
                     "bid");
    respond(cfg, &r, &res, out, sizeof out);
    cr_expect(strstr(out, "\"mtype\":4"), "%s", out);
    /* the adm is a string holding the Native 1.2 response: parse it and check the asset ids */
    struct json j;
    static _Alignas(64) char amem[1 << 16];
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    json_init(&j, out, strlen(out), &a);
    const char *adm = strstr(out, "\"adm\":");
    cr_assert_not_null(adm);
    json_init(&j, adm + 6, strlen(adm + 6), &a);
    struct sv s;
    cr_assert_eq(json_string(&j, &s), 0);
    char *nat = strndup(s.p, s.n);
    cr_expect(
        strstr(nat,
               "{\"ver\":\"1.2\",\"assets\":[{\"id\":7,\"required\":1,\"title\":{\"text\":\"Run further\"}}"),
        "%s", nat);
    cr_expect(
        strstr(
            nat,
            "{\"id\":9,\"img\":{\"url\":\"https://cdn.acme.example/i.png\",\"type\":1,\"w\":80,\"h\":80}}"),
        "%s", nat);
    cr_expect(!strstr(nat, "\"id\":11"), "data type 3 is not held: left out: %s", nat);
    cr_expect(strstr(nat, "\"link\":{\"url\":\"https://acme.example/run\"}"), "%s", nat);
    cr_expect(strstr(nat, "\"imptrackers\":[\"https://acme.example/imp\"]"), "%s", nat);
    json_init(&j, nat, strlen(nat), &a);
    cr_expect_eq(json_skip(&j), 0, "native adm is JSON: %s", nat);
    cr_expect_eq(json_finish(&j), 0);
    free(nat);
    config_free(cfg);

    /* banners from formats + adm keep working and say mtype 1 */
    cfg = config_q("legacy", "",
                   "{'id':'b','crid':'r','bid_cpm':1,'formats':[{'w':300,'h':250}],'adm':'<b/>'}");
    cr_assert_str_eq(decide_one("banner", cfg, REQ("{'id':'1','banner':{'w':300,'h':250}}"), &res, &r),
                     "bid");
    respond(cfg, &r, &res, out, sizeof out);
    cr_expect(strstr(out, "\"w\":300,\"h\":250,\"mtype\":1"), "%s", out);
    config_free(cfg);
}

#define DEALCAMP(extra)                                                                                      \
    "{'id':'c','crid':'r','bid_cpm':2,'adomain':['acme.example'],'creatives':[" VIDEO_CR "}]" extra "}"
#define DIMP(pmp) "{'id':'1','video':{'mimes':['video/mp4']},'bidfloor':1,'pmp':" pmp "}"

Test(formats, deals_and_private_auctions)
{
    static const struct {
        const char *name, *extra, *pmp, *want, *dealid;
    } t[] = {
        {"deal held", ",'deals':['D1']", "{'deals':[{'id':'D1','bidfloor':1.5}]}", "bid", "D1"},
        {"deal floor above price", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','bidfloor':3}]}", "floor", NULL},
        {"deal floor above price, open auction allowed", ",'deals':['D1']",
         "{'deals':[{'id':'D1','bidfloor':3}]}", "bid", NULL},
        {"private, no deal held", "", "{'private_auction':1,'deals':[{'id':'D1'}]}", "match.private_auction",
         NULL},
        {"private, other deal", ",'deals':['D2']", "{'private_auction':1,'deals':[{'id':'D1'}]}",
         "match.private_auction", NULL},
        {"wseat excludes us", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','wseat':['other']}]}", "match.deal", NULL},
        {"wseat includes us", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','wseat':['fairbid']}]}", "bid", "D1"},
        {"wadomain excludes us", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','wadomain':['globex.example']}]}", "match.deal", NULL},
        {"wadomain includes us", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','wadomain':['acme.example']}]}", "bid", "D1"},
        {"deal_only, open imp", ",'deals':['D1'],'deal_only':true", "{}", "match.deal", NULL},
        {"deal_only, deal", ",'deals':['D1'],'deal_only':true", "{'deals':[{'id':'D1'}]}", "bid", "D1"},
        {"deal floor in EUR, converted", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','bidfloor':1.8,'bidfloorcur':'EUR'}]}", "bid", "D1"},
        {"deal floor in EUR, above", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','bidfloor':1.9,'bidfloorcur':'EUR'}]}", "floor", NULL},
        {"deal floor in JPY, no rate", ",'deals':['D1']",
         "{'private_auction':1,'deals':[{'id':'D1','bidfloor':1,'bidfloorcur':'JPY'}]}", "floor.currency",
         NULL},
        {"private auction 0 is open", "", "{'private_auction':0,'deals':[{'id':'D1'}]}", "bid", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char camp[4096], req[2048];
        snprintf(camp, sizeof camp, DEALCAMP("%s"), t[i].extra);
        snprintf(req, sizeof req, REQ(DIMP("%s")), t[i].pmp);
        struct config *cfg =
            config_q(t[i].name, "'fx':{'date':'2026-12-01','rates':{'EUR':0.92,'GBP':0.79}},", camp);
        struct decide_result res;
        struct ortb_request r;
        const char *got = decide_one(t[i].name, cfg, req, &res, &r);
        cr_expect_str_eq(got, t[i].want, "[%s] got %s, want %s", t[i].name, got, t[i].want);
        if (res.winner[0] == 0) {
            static char out[1 << 14];
            respond(cfg, &r, &res, out, sizeof out);
            if (t[i].dealid) {
                char want[64];
                snprintf(want, sizeof want, "\"dealid\":\"%s\"", t[i].dealid);
                cr_expect(strstr(out, want), "[%s] %s", t[i].name, out);
            } else {
                cr_expect(!strstr(out, "dealid"), "[%s] %s", t[i].name, out);
            }
        }
        config_free(cfg);
    }
}

Test(formats, fx_floors)
{
    static const struct {
        const char *name, *floor, *want;
    } t[] = {
        {"USD floor", "'bidfloor':1.9", "bid"},
        {"EUR floor below", "'bidfloor':1.8,'bidfloorcur':'EUR'", "bid"},    /* 1.8/0.92 = 1.957 USD */
        {"EUR floor above", "'bidfloor':1.85,'bidfloorcur':'EUR'", "floor"}, /* 2.011 USD */
        {"GBP floor", "'bidfloor':1.5,'bidfloorcur':'GBP'", "bid"},          /* 1.899 USD */
        {"GBP floor above", "'bidfloor':1.6,'bidfloorcur':'GBP'", "floor"},  /* 2.025 USD */
        {"JPY: no rate", "'bidfloor':100,'bidfloorcur':'JPY'", "floor.currency"},
        {"lower-case eur", "'bidfloor':1,'bidfloorcur':'eur'", "bid"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char req[1024];
        snprintf(req, sizeof req, REQ("{'id':'1','banner':{'w':300,'h':250},%s}"), t[i].floor);
        struct config *cfg =
            config_q(t[i].name, "'fx':{'date':'2026-12-01','rates':{'EUR':0.92,'GBP':0.79}},",
                     CAMP("{'type':'banner','w':300,'h':250,'adm':'<b/>'}"));
        struct decide_result res;
        struct ortb_request r;
        const char *got = decide_one(t[i].name, cfg, req, &res, &r);
        cr_expect_str_eq(got, t[i].want, "[%s] got %s, want %s", t[i].name, got, t[i].want);
        config_free(cfg);
    }
    /* without fx a EUR floor stays a no-bid */
    struct config *cfg = config_q("nofx", "", CAMP("{'type':'banner','w':300,'h':250,'adm':'<b/>'}"));
    struct decide_result res;
    struct ortb_request r;
    cr_expect_str_eq(
        decide_one("nofx", cfg,
                   REQ("{'id':'1','banner':{'w':300,'h':250},'bidfloor':0.1,'bidfloorcur':'EUR'}"), &res, &r),
        "floor.currency");
    config_free(cfg);
}

/* Every rule that runs before matching applies to video and native imps as to banners. */
Test(formats, rules_apply_to_every_format)
{
    static const char *imps[] = {
        "{'id':'1','banner':{'w':300,'h':250}}",
        "{'id':'1','video':{'mimes':['video/mp4']}}",
        NIMP("{" Q "id" Q ":1," Q "required" Q ":1," Q "title" Q ":{" Q "len" Q ":25}}"),
        "{'id':'1','audio':{'mimes':['audio/mp4']}}",
    };
    static const struct {
        const char *name, *camp_extra, *req_extra, *want;
    } t[] = {
        {"open", "", "", "bid"},
        {"coppa (a high-risk category to a child)", "", ",'regs':{'coppa':1}",
         "exploit.high_risk_to_vulnerable"},
        {"bcat", "", ",'bcat':['1002']", "blocked.cat"},
        {"badv", "", ",'badv':['acme.example']", "blocked.adomain"},
        {"gdpr, no TC string", "", ",'regs':{'gdpr':1}", "consent.tcf_invalid"},
        {"malformed gdpr", "", ",'regs':{'gdpr':'1'}", "consent.malformed"},
        {"minor by yob", "", ",'user':{'yob':2015}", "exploit.high_risk_to_vulnerable"},
        {"coppa, personal targeting", ",'targeting':{'age':{'min':25,'max':54}}", ",'regs':{'coppa':1}",
         NULL},
        {"age targeting without consent", ",'targeting':{'age':{'min':25,'max':54}}",
         ",'regs':{'ext':{'us_privacy':'1YYN'}},'user':{'yob':1990}", "consent.usp_optout"},
        {"health segment", ",'targeting':{'segments':[{'segtax':4,'ids':['381']}]}",
         ",'user':{'data':[{'ext':{'segtax':4},'segment':[{'id':'381'}]}]}", "sensitive.health"},
        {"cur excludes USD", "", ",'cur':['EUR']", "currency"},
    };
    for (size_t m = 0; m < sizeof imps / sizeof imps[0]; m++)
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
            char camp[8192], req[4096], name[128];
            snprintf(name, sizeof name, "%s on imp %zu", t[i].name, m);
            snprintf(
                camp, sizeof camp,
                "{'id':'c','crid':'r','bid_cpm':2,'adomain':['acme.example'],'cat':['1002'],'creatives':["
                "{'type':'banner','w':300,'h':250,'adm':'<b/>'}," VIDEO_CR "}," AUDIO_CR "}," NATIVE_CR
                "]%s}",
                t[i].camp_extra);
            snprintf(req, sizeof req, "{'id':'q','imp':[%s]%s}", imps[m], t[i].req_extra);
            struct config *cfg = config_q(name, "", camp);
            struct decide_result res;
            struct ortb_request r;
            const char *got = decide_one(name, cfg, req, &res, &r);
            if (t[i].want) {
                cr_expect_str_eq(got, t[i].want, "[%s] got %s", name, got);
            } else {
                /* the same verdict as on a banner imp, whatever it is, and never a bid */
                static char banner_reason[16][64];
                if (m == 0) snprintf(banner_reason[i], sizeof banner_reason[i], "%s", got);
                cr_expect_str_neq(got, "bid", "[%s]", name);
                cr_expect_str_eq(got, banner_reason[i], "[%s] got %s, banner got %s", name, got,
                                 banner_reason[i]);
            }
            config_free(cfg);
        }
}

Test(formats, config_errors_name_file_line_campaign_creative_key)
{
    static const struct {
        const char *camp, *want;
    } t[] = {
        {CAMP("{'type':'video','mimes':['video/mp4'],'protocols':[2],'adm':'x'}"),
         "formats-test.json:1: campaign \"c\": creatives[0] (video): key \"duration_s\": is required"},
        {CAMP("{'type':'banner','w':300,'h':250,'adm':'x'},{'type':'video','duration_s':0}"),
         "campaign \"c\": creatives[1] (video): key \"duration_s\": must be between 1 and 3600"},
        {CAMP("{'type':'hologram'}"), "creatives[0]: key \"type\": is required"},
        {CAMP("{'type':'native','title':'t'}"), "creatives[0] (native): key \"link\": is required"},
        {CAMP("{'type':'audio','duration_s':10,'mimes':['audio/mp4'],'protocols':[2],'adm':'x','w':3}"),
         "creatives[0] (audio): key \"w\": is not a key of a audio creative"},
        {CAMP("{'type':'banner','w':300,'adm':'x'}"),
         "creatives[0] (banner): key \"h\": a banner creative needs w and h"},
        {CAMP("{'type':'video','duration_s':5,'mimes':['video/mp4'],'adm':'x'}"),
         "creatives[0] (video): key \"protocols\": is required"},
        {CAMP("{'type':'native','link':'l','images':[{'type':3,'w':1}]}"),
         "creatives[0] (native): key \"images\""},
        {"{'id':'c','crid':'r','bid_cpm':1,'deal_only':true,'creatives':[{'type':'banner','w':1,'h':1,'adm':'"
         "x'}]}",
         "campaign \"c\": key \"deal_only\": a deal-only campaign must list its \"deals\""},
        {"{'id':'c','crid':'r','bid_cpm':1}", "key \"formats\": is required"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char err[512];
        struct config *c = config_try("", t[i].camp, err, sizeof err);
        cr_expect_null(c, "[%zu] accepted", i);
        cr_expect(strstr(err, t[i].want), "[%zu] %s\n  want: %s", i, err, t[i].want);
        config_free(c);
    }
    {
        char err[512];
        struct config *c =
            config_try("'win_url':'http://127.0.0.1:8080/win',",
                       CAMP("{'type':'video','duration_s':5,'mimes':['video/mp4'],'protocols':[2],"
                            "'nurl':'https://v.example/vast'}"),
                       err, sizeof err);
        cr_expect_null(c);
        cr_expect(strstr(err, "creatives[0]: key \"adm\": is required when the config has a win_url"), "%s",
                  err);
        config_free(c);
    }
    static const char *fx_bad[] = {
        "'fx':{'rates':{'EUR':0.9}},",
        "'fx':{'date':'2026-12-01','rates':{'EUR':0}},",
        "'fx':{'date':'2026-12-01','rates':{'eur':0.9}},",
        "'fx':{'date':'2026-12-01','rates':{'USD':0.9}},",
        "'fx':{'date':'Dec 1','rates':{'EUR':0.9}},",
    };
    for (size_t i = 0; i < sizeof fx_bad / sizeof fx_bad[0]; i++) {
        char err[512];
        struct config *c =
            config_try(fx_bad[i], CAMP("{'type':'banner','w':1,'h':1,'adm':'x'}"), err, sizeof err);
        cr_expect_null(c, "[fx %zu] accepted", i);
        cr_expect(strstr(err, "fx"), "[fx %zu] %s", i, err);
        config_free(c);
    }
}

/* Caps and fairness state run after the creative is picked, for every format alike: a spent cap is
 * cap.exhausted and stale state fails closed, on banner, video and native imps. */
static struct fair_fixed g_fx;

Test(formats, caps_and_fairness_state_apply_to_every_format)
{
    struct config *cfg =
        config_q("cap", "",
                 "{'id':'c','crid':'r','bid_cpm':2,'cap':{'bids':100,'period_s':3600},"
                 "'formats':[{'w':300,'h':250}],'adm':'<b/>','creatives':[" VIDEO_CR "}," NATIVE_CR "]}");
    cr_assert(cfg->campaigns.v[0].cap.enabled);
    static const char *imps[] = {
        "{'id':'1','banner':{'w':300,'h':250}}",
        "{'id':'1','video':{'mimes':['video/mp4']}}",
        NIMP("{" Q "id" Q ":1," Q "required" Q ":1," Q "title" Q ":{" Q "len" Q ":25}}"),
    };
    struct fair_camp fc;
    memset(&fc, 0, sizeof fc);
    for (int g = 0; g < FAIR_NGROUPS; g++) fc.boost[g] = 1;
    g_fx = (struct fair_fixed){.cs = &cfg->campaigns, .year = 2026, .n = 1, .camp = &fc};
    struct fair_view fv = fair_fixed_view(&g_fx);
    static const struct {
        unsigned flags;
        int64_t tokens;
        const char *want;
    } t[] = {
        {FAIR_F_FAIR_OK, 5, "bid"},
        {FAIR_F_FAIR_OK | FAIR_F_CAP_EXHAUSTED, 0, "cap.exhausted"},
        {FAIR_F_FAIR_OK, 0, "fairness.state_unavailable"},
    };
    for (size_t m = 0; m < sizeof imps / sizeof imps[0]; m++)
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
            fc.flags = t[i].flags;
            g_fx.reserve[0][FAIR_RES_TOKEN] = t[i].tokens;
            char req[2048];
            snprintf(req, sizeof req, REQ("%s"), imps[m]);
            struct ortb_request r;
            tu_parse_q("cap", req, &r);
            struct arena a;
            arena_init(&a, g_dmem, sizeof g_dmem);
            struct decide_env env = {.now_ms = 1790000000000, .year = 2026, .fair = &fv};
            struct decide_result res;
            cr_assert_eq(decide_run(&cfg->campaigns, &r, &env, &a, &res), 0);
            cr_expect_str_eq(reason_name(res.v[0].reason), t[i].want, "[imp %zu, case %zu] got %s", m, i,
                             reason_name(res.v[0].reason));
        }
    config_free(cfg);
}
