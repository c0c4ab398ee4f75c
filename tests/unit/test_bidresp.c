/* Unit tests for filters/bidresp (issue 17, filter mode's response side): the BidResponse reader (fields,
 * seats, caps, duplicates, malformed input), every bid check with its reason against the committed
 * deploy/policy.json (compiled by bidder/policy_load), and the writer that copies a bid with its nurl/burl
 * pointed at fairbid's win_url. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bidder/config/config.h"
#include "filters/bidresp.h"
#include "filters/json.h"
#include "filters/reasons.h"
#include "tests/unit/testutil.h"

static const char CFG[] = "{\"currency\":\"USD\",\"policy\":\"policy.json\",\"campaigns\":[]}";
static struct config *cfg;
static char amem[1 << 16], rmem[1 << 16];
static struct arena arena, rarena;
static struct bidresp resp;
static struct ortb_request req;
static struct consent_state cst;

static void setup(void)
{
    char name[1024], err[512];
    snprintf(name, sizeof name, "%s/deploy/unit-test.json", tu_src_dir());
    cfg = config_parse_load(name, CFG, sizeof CFG - 1, NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_not_null(cfg->campaigns.policy);
    memset(&cst, 0, sizeof cst);
}

static void teardown(void)
{
    config_free(cfg);
}

static void parse_req(const char *body)
{
    arena_init(&rarena, rmem, sizeof rmem);
    struct ortb_error e;
    cr_assert_eq(ortb_parse(body, strlen(body), &rarena, &req, &e), 0, "%s", e.msg);
}

static int parse_resp(const char *body, struct bidresp_error *e)
{
    arena_init(&arena, amem, sizeof amem);
    return bidresp_parse(body, strlen(body), &arena, &resp, e);
}

static const char REQ[] =
    "{\"id\":\"r1\",\"cur\":[\"USD\"],\"bcat\":[\"1362\"],\"cattax\":8,\"badv\":[\"bad.example\"],"
    "\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250},\"bidfloor\":0.5},{\"id\":\"2\",\"banner\":{"
    "\"w\":300,\"h\":250},\"bidfloor\":1,\"bidfloorcur\":\"EUR\"}]}";

static const char RESP[] =
    "{\"id\":\"r1\",\"cur\":\"USD\",\"seatbid\":[{\"seat\":\"s1\",\"bid\":[{\"id\":\"b1\",\"impid\":\"1\","
    "\"price\":1.5,\"adm\":\"<a>\\\"x\\\"</a>\",\"nurl\":\"http://dsp.example/win?p=${AUCTION_PRICE}&x=1\","
    "\"burl\":\"http://dsp.example/bill\",\"adomain\":[\"ok.example\"],\"cat\":[\"1001\"],\"cattax\":8,"
    "\"cid\":\"c1\",\"crid\":\"cr1\",\"attr\":[1,2],\"w\":300,\"h\":250,\"mtype\":1,\"ext\":{\"z\":[1]}}]},"
    "{\"seat\":\"s2\",\"bid\":[{\"id\":\"b2\",\"impid\":\"1\",\"price\":0.7}]}],\"nbr\":0}";

Test(bidresp, parses_fields_and_seats)
{
    struct bidresp_error e;
    cr_assert_eq(parse_resp(RESP, &e), 0, "%s at %zu", e.msg, e.offset);
    cr_expect(sv_eq_cstr(resp.id, "r1"));
    cr_expect(sv_eq_cstr(resp.cur, "USD"));
    cr_expect_eq(resp.nbr, 0);
    cr_assert_eq(resp.nseat, 2);
    cr_assert_eq(resp.nbid, 2);
    cr_expect(sv_eq_cstr(resp.seat[0].seat, "s1"));
    cr_expect_eq(resp.seat[1].first, 1);
    cr_expect_eq(resp.seat[1].n, 1);
    const struct bidresp_bid *b = &resp.bid[0];
    cr_expect(sv_eq_cstr(b->id, "b1"));
    cr_expect(sv_eq_cstr(b->impid, "1"));
    cr_expect_float_eq(b->price, 1.5, 1e-9);
    cr_expect(sv_eq_cstr(b->adm, "<a>\"x\"</a>"), "escaped adm decoded into the arena");
    cr_expect(sv_eq_cstr(b->nurl, "http://dsp.example/win?p=${AUCTION_PRICE}&x=1"));
    cr_expect(sv_eq_cstr(b->burl, "http://dsp.example/bill"));
    cr_expect_eq(b->nadomain, 1);
    cr_expect_eq(b->ncat, 1);
    cr_expect_eq(b->cattax, 8);
    cr_expect_eq(b->nattr, 2);
    cr_expect_eq(b->attr[1], 2);
    cr_expect_eq(b->w, 300);
    cr_expect_eq(b->mtype, 1);
    cr_expect(sv_eq_cstr(b->cid, "c1"));
    cr_expect_eq(b->raw.p[0], '{');
    cr_expect_eq(b->raw.p[b->raw.n - 1], '}');
    cr_expect_eq(resp.bid[1].seat, 1);
    cr_expect_eq(resp.bid[1].cattax, ORTB_UNSET);
}

Test(bidresp, refuses_what_it_cannot_check)
{
    struct bidresp_error e;
    static const struct {
        const char *body;
        int code;
    } cases[] = {
        {"", BIDRESP_EJSON},
        {"[]", BIDRESP_ESHAPE},
        {"{\"id\":\"r1\"", BIDRESP_EJSON},
        {"{\"seatbid\":[]}", BIDRESP_EREQUIRED},
        {"{\"id\":\"r1\",\"id\":\"r2\"}", BIDRESP_EDUP},
        {"{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"nurl\":\"a\","
         "\"nurl\":\"b\"}]}]}",
         BIDRESP_EDUP},
        {"{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":\"1\"}]}]}",
         BIDRESP_ESHAPE},
        {"{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\"}]}]}", BIDRESP_EREQUIRED},
        {"{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":\"x\"}]}]}",
         BIDRESP_ESHAPE},
        {"{\"id\":\"r1\"} x", BIDRESP_EJSON},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse_resp(cases[i].body, &e);
        cr_expect_eq(rc, cases[i].code, "case %zu: %d (%s)", i, rc, e.msg ? e.msg : "");
        cr_expect_not_null(e.msg, "case %zu has a message", i);
        cr_expect(e.offset <= strlen(cases[i].body), "case %zu offset inside", i);
    }
}

Test(bidresp, escaped_keys_are_read_as_the_exchange_reads_them)
{
    /* "n\u0075rl" is nurl to the exchange: it must be the nurl fairbid rewrites, and a second nurl a
     * duplicate */
    struct bidresp_error e;
    cr_assert_eq(parse_resp("{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":1,"
                            "\"n\\u0075rl\":\"x\"}]}]}",
                            &e),
                 0);
    cr_expect(sv_eq_cstr(resp.bid[0].nurl, "x"));
    cr_expect_eq(resp.bid[0].nurl_raw.n, 3);
    cr_expect_eq(parse_resp("{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":1,"
                            "\"n\\u0075rl\":\"x\",\"nurl\":\"y\"}]}]}",
                            &e),
                 BIDRESP_EDUP);
}

Test(bidresp, caps_refuse_not_truncate)
{
    char body[65536];
    struct buf b;
    buf_init(&b, body, sizeof body - 1);
    buf_puts(&b, "{\"id\":\"r1\",\"seatbid\":[{\"bid\":[");
    for (int i = 0; i <= BIDRESP_MAX_BID; i++) {
        if (i) buf_putc(&b, ',');
        buf_puts(&b, "{\"id\":\"b\",\"impid\":\"1\",\"price\":1}");
    }
    buf_puts(&b, "]}]}");
    body[b.len] = '\0';
    struct bidresp_error e;
    cr_expect_eq(parse_resp(body, &e), BIDRESP_ELIMIT);
    char cats[4096];
    buf_init(&b, cats, sizeof cats - 1);
    buf_puts(&b, "{\"id\":\"r1\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[");
    for (int i = 0; i <= BIDRESP_MAX_CAT; i++) buf_puts(&b, i ? ",\"1\"" : "\"1\"");
    buf_puts(&b, "]}]}]}");
    cats[b.len] = '\0';
    cr_expect_eq(parse_resp(cats, &e), BIDRESP_ELIMIT);
}

static int check_one(const char *bid_json, struct sv *detail, int *special)
{
    char body[4096];
    snprintf(body, sizeof body, "{\"id\":\"r1\",\"seatbid\":[{\"bid\":[%s]}]}", bid_json);
    struct bidresp_error e;
    cr_assert_eq(parse_resp(body, &e), 0, "%s: %s", bid_json, e.msg);
    struct bidresp_ctx ctx = {.req = &req, .cst = &cst, .policy = cfg->campaigns.policy};
    return bidresp_check_bid(&ctx, &resp, &resp.bid[0], detail, special);
}

Test(bidresp, bid_checks, .init = setup, .fini = teardown)
{
    parse_req(REQ);
    struct sv d;
    int sp;
    struct bidresp_ctx ctx = {.req = &req, .cst = &cst, .policy = cfg->campaigns.policy};
    struct bidresp_error e;
    cr_assert_eq(parse_resp(RESP, &e), 0);
    cr_expect_eq(bidresp_check_response(&ctx, &resp), REASON_BID);
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[0], &d, &sp), REASON_BID);
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[1], &d, &sp), REASON_BID);

    static const struct {
        const char *bid;
        int reason;
        const char *detail;
    } cases[] = {
        {"{\"id\":\"b\",\"impid\":\"9\",\"price\":1}", REASON_BID_IMPID, "9"},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":0}", REASON_BID_PRICE, NULL},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":-2}", REASON_BID_PRICE, NULL},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":0.49}", REASON_BID_FLOOR, NULL},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":0.5}", REASON_BID, NULL},
        {"{\"id\":\"b\",\"impid\":\"2\",\"price\":5}", REASON_BID_FLOOR, "EUR"},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1362\"],\"cattax\":8}", REASON_BLOCKED_CAT,
         "1362"},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1362\"],\"cattax\":1}", REASON_BID, NULL},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"adomain\":[\"x.bad.example\"]}", REASON_BLOCKED_ADOMAIN,
         "x.bad.example"},
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"adomain\":[\"notbad.example\"]}", REASON_BID, NULL},
        /* gambling (not blocked here) to an adult without a vulnerability segment: allowed */
        {"{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1361\"],\"cattax\":8}", REASON_BID, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int r = check_one(cases[i].bid, &d, &sp);
        cr_expect_eq(r, cases[i].reason, "case %zu: %s, want %s", i, reason_name(r),
                     reason_name(cases[i].reason));
        if (cases[i].detail) cr_expect(sv_eq_cstr(d, cases[i].detail), "case %zu detail %.*s", i, SV_FMT(d));
    }
}

Test(bidresp, response_id_and_currency, .init = setup, .fini = teardown)
{
    parse_req(REQ);
    struct bidresp_error e;
    struct bidresp_ctx ctx = {.req = &req, .cst = &cst, .policy = cfg->campaigns.policy};
    cr_assert_eq(parse_resp("{\"id\":\"other\"}", &e), 0);
    cr_expect_eq(bidresp_check_response(&ctx, &resp), REASON_RESPONSE_ID);
    cr_assert_eq(parse_resp("{\"id\":\"r1\",\"cur\":\"EUR\",\"seatbid\":[{\"bid\":[{\"id\":\"b\",\"impid\":"
                            "\"1\",\"price\":1}]}]}",
                            &e),
                 0);
    struct sv d;
    int sp;
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[0], &d, &sp), REASON_BID_CURRENCY);
    cr_expect(sv_eq_cstr(d, "EUR"));
    /* a request naming no currency takes only the default */
    parse_req("{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}]}");
    ctx.req = &req;
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[0], &d, &sp), REASON_BID_CURRENCY);
}

Test(bidresp, high_risk_to_minor_and_vulnerable, .init = setup, .fini = teardown)
{
    parse_req("{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}]}");
    struct sv d;
    int sp;
    const char *gamble =
        "{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1001\",\"1361\"],\"cattax\":8}";
    const char *plain = "{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1001\"],\"cattax\":8}";
    const char *nocat = "{\"id\":\"b\",\"impid\":\"1\",\"price\":1}";
    cr_expect_eq(check_one(gamble, &d, &sp), REASON_BID);
    cr_expect_eq(check_one(nocat, &d, &sp), REASON_BID);
    cst.minor = true;
    cr_expect_eq(check_one(gamble, &d, &sp), REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE);
    cr_expect(sv_eq_cstr(d, "1361"));
    cr_expect_eq(check_one(plain, &d, &sp), REASON_BID);
    cr_expect_eq(check_one(nocat, &d, &sp), REASON_EXPLOIT_UNCATEGORISED);
    cst.minor = false;
    /* segtax 4 id 1502: a crisis segment (vulnerability class) */
    parse_req("{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}],\"user\":{\"data\":[{"
              "\"id\":\"p\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"1502\"}]}]}}");
    cr_expect_eq(check_one(gamble, &d, &sp), REASON_EXPLOIT_HIGH_RISK_TO_VULNERABLE);
    cr_expect_eq(check_one(plain, &d, &sp), REASON_BID);
    cr_expect_eq(check_one(nocat, &d, &sp), REASON_EXPLOIT_UNCATEGORISED);
}

Test(bidresp, special_category, .init = setup, .fini = teardown)
{
    struct sv d;
    int sp;
    const char *housing = "{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"1484\"],\"cattax\":8}";
    const char *jobs = "{\"id\":\"b\",\"impid\":\"1\",\"price\":1,\"cat\":[\"77\"],\"cattax\":8}";
    parse_req("{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}]}");
    cr_expect_eq(check_one(housing, &d, &sp), REASON_BID);
    cr_expect_eq(sp, BIDRESP_SPECIAL_HOUSING);
    static const char *const forbidden[] = {
        "\"user\":{\"yob\":1980}",
        "\"user\":{\"gender\":\"F\"}",
        "\"device\":{\"geo\":{\"zip\":\"10001\"}}",
        /* segtax 4 id 383: health (sensitive); id 2: a demographic node */
        "\"user\":{\"data\":[{\"id\":\"p\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"383\"}]}]}",
        "\"user\":{\"data\":[{\"id\":\"p\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"2\"}]}]}",
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}],%s}", forbidden[i]);
        parse_req(body);
        cr_expect_eq(check_one(housing, &d, &sp), REASON_SENSITIVE_SPECIAL_CATEGORY, "case %zu", i);
        cr_expect_eq(check_one(jobs, &d, &sp), REASON_BID, "case %zu: not special", i);
    }
    /* a segment the policy knows nothing of is not forbidden */
    parse_req("{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}],\"user\":{\"data\":[{"
              "\"id\":\"p\",\"ext\":{\"segtax\":4},\"segment\":[{\"id\":\"99999\"}]}]}}");
    cr_expect_eq(check_one(housing, &d, &sp), REASON_BID);
    /* the upstream's own map: cat 77 is employment for it */
    static struct sv c77[] = {SV_LIT("77")};
    struct bidresp_special map = {8, {c77, 1}, BIDRESP_SPECIAL_EMPLOYMENT};
    parse_req(
        "{\"id\":\"r1\",\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":1,\"h\":1}}],\"user\":{\"yob\":1980}}");
    char body[512];
    snprintf(body, sizeof body, "{\"id\":\"r1\",\"seatbid\":[{\"bid\":[%s]}]}", jobs);
    struct bidresp_error e;
    cr_assert_eq(parse_resp(body, &e), 0);
    struct bidresp_ctx ctx = {
        .req = &req, .cst = &cst, .policy = cfg->campaigns.policy, .special = &map, .nspecial = 1};
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[0], &d, &sp), REASON_SENSITIVE_SPECIAL_CATEGORY);
    cr_expect_eq(sp, BIDRESP_SPECIAL_EMPLOYMENT);
    /* what the upstream saw decides: the scrubbed copy without yob */
    struct ortb_request seen = req;
    seen.user.yob = ORTB_UNSET;
    ctx.seen = &seen;
    cr_expect_eq(bidresp_check_bid(&ctx, &resp, &resp.bid[0], &d, &sp), REASON_BID);
}

Test(bidresp, writes_bid_with_win_urls)
{
    struct bidresp_error e;
    cr_assert_eq(parse_resp(RESP, &e), 0);
    char out[4096];
    struct buf b;
    buf_init(&b, out, sizeof out - 1);
    struct bidresp_win w = {SV_LIT("http://fb.example/win"), SV_LIT("dsp a"), SV_LIT("r1")};
    cr_assert_eq(bidresp_write_bid(&b, &resp.bid[0], &w), 0);
    out[b.len] = '\0';
    cr_expect(strstr(out, "\"nurl\":\"http://fb.example/win?up=dsp%20a&cid=c1&imp=1&req=r1&price=${AUCTION_"
                          "PRICE}&kind=n&u=http%3A%2F%2Fdsp.example%2Fwin%3Fp%3D${AUCTION_PRICE}%26x%3D1\""),
              "%s", out);
    cr_expect(strstr(out, "\"burl\":\"http://fb.example/win?up=dsp%20a&cid=c1&imp=1&req=r1&price=${AUCTION_"
                          "PRICE}&kind=b&u=http%3A%2F%2Fdsp.example%2Fbill\""),
              "%s", out);
    cr_expect(strstr(out, "\"ext\":{\"z\":[1]}"), "the rest of the bid is kept: %s", out);
    cr_expect(strstr(out, "\"adm\":\"<a>\\\"x\\\"</a>\""), "%s", out);
    /* the result is one well-formed object with one nurl */
    struct json j;
    json_init(&j, out, b.len, NULL);
    cr_expect_eq(json_skip(&j), 0);
    cr_expect_eq(json_finish(&j), 0);
    cr_expect_null(strstr(strstr(out, "\"nurl\"") + 1, "\"nurl\""));
    /* no win_url: copied as it came */
    buf_init(&b, out, sizeof out - 1);
    struct bidresp_win none = {0};
    cr_assert_eq(bidresp_write_bid(&b, &resp.bid[0], &none), 0);
    cr_expect_eq(b.len, resp.bid[0].raw.n);
    cr_expect_eq(memcmp(out, resp.bid[0].raw.p, b.len), 0);
    /* a fairness boost rewrites the price in place, the notices still rewritten */
    buf_init(&b, out, sizeof out - 1);
    cr_assert_eq(bidresp_write_bid_priced(&b, &resp.bid[0], &w, 2.25), 0);
    out[b.len] = '\0';
    cr_expect(strstr(out, "\"price\":2.25,"), "%s", out);
    cr_expect(strstr(out, "kind=n&u="), "%s", out);
    json_init(&j, out, b.len, NULL);
    cr_expect_eq(json_skip(&j), 0);
    cr_expect_eq(json_finish(&j), 0);
    /* a bid without nurl/burl is copied too */
    buf_init(&b, out, sizeof out - 1);
    cr_assert_eq(bidresp_write_bid(&b, &resp.bid[1], &w), 0);
    cr_expect_eq(b.len, resp.bid[1].raw.n);
}
