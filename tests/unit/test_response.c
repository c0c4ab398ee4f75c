/* Unit tests for filters/response and filters/buf: the BidResponse written straight into a capped buffer.
 * The output is read back with the project's own JSON parser (so it must be valid JSON, escapes included),
 * checked field by field, written at every buffer size from 0 up (the buffer ends at a guard page), and the
 * buf primitives are checked against tables. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "filters/buf.h"
#include "filters/decide.h"
#include "filters/json.h"
#include "filters/ortb.h"
#include "filters/response.h"
#include "tests/unit/testutil.h"

/* ---- buf ---- */

static const char *put(void (*fn)(struct buf *), char *storage, size_t cap)
{
    struct buf b;
    buf_init(&b, storage, cap);
    fn(&b);
    return buf_cstr(&b);
}

Test(buf, micros_table)
{
    static const struct {
        int64_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {1, "0.000001"},
        {10, "0.00001"},
        {500000, "0.5"},
        {1000000, "1"},
        {2500000, "2.5"},
        {1000001, "1.000001"},
        {1100000, "1.1"},
        {-2500000, "-2.5"},
        {-1, "-0.000001"},
        {1000000000000, "1000000"},
        {INT64_MAX, "9223372036854.775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[64];
        struct buf b;
        buf_init(&b, s, sizeof s);
        buf_put_micros(&b, cases[i].v);
        cr_expect_str_eq(buf_cstr(&b), cases[i].want, "micros %lld", (long long)cases[i].v);
    }
}

Test(buf, integers_table)
{
    static const struct {
        int64_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-7, "-7"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[32];
        struct buf b;
        buf_init(&b, s, sizeof s);
        buf_put_i64(&b, cases[i].v);
        cr_expect_str_eq(buf_cstr(&b), cases[i].want, "i64 %s", cases[i].want);
    }
    char s[32];
    struct buf b;
    buf_init(&b, s, sizeof s);
    buf_put_u64(&b, UINT64_MAX);
    cr_expect_str_eq(buf_cstr(&b), "18446744073709551615");
}

Test(buf, json_string_escapes)
{
    static const struct {
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"", 0, "\"\""},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"\n\r\t", 3, "\"\\n\\r\\t\""},
        {"\x01\x1f", 2, "\"\\u0001\\u001f\""},
        {"a\0b", 3, "\"a\\u0000b\""},
        {"\b\f", 2, "\"\\u0008\\u000c\""},
        {"</script>", 9, "\"</script>\""},
        {"\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\""},
        {"\x7f", 1, "\"\x7f\""},
    };
    static _Alignas(16) char mem[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[128];
        struct buf b;
        buf_init(&b, s, sizeof s);
        buf_put_json_str(&b, (struct sv){cases[i].in, cases[i].n});
        const char *out = buf_cstr(&b);
        cr_assert_not_null(out);
        cr_expect_str_eq(out, cases[i].want, "case %zu: %s", i, out);
        /* and it reads back to the same bytes */
        struct arena a;
        arena_init(&a, mem, sizeof mem);
        struct json j;
        json_init(&j, out, b.len, &a);
        struct sv back;
        cr_expect_eq(json_string(&j, &back), 0, "case %zu: %s", i, j.err_msg ? j.err_msg : "");
        cr_expect(back.n == cases[i].n && (back.n == 0 || memcmp(back.p, cases[i].in, back.n) == 0),
                  "case %zu: round trip", i);
    }
}

Test(buf, doubles_table)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0"},    {0.1, "0.1"},       {1.25, "1.25"},      {-2.5e-3, "-0.0025"}, {1e300, "1e+300"},
        {NAN, "null"}, {INFINITY, "null"}, {-INFINITY, "null"}, {37.7749, "37.7749"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char s[64];
        struct buf b;
        buf_init(&b, s, sizeof s);
        buf_put_double(&b, cases[i].v);
        cr_expect_str_eq(buf_cstr(&b), cases[i].want, "double %.17g", cases[i].v);
    }
    /* every finite value round-trips */
    static const double vals[] = {0.1 + 0.2,          1.0 / 3, 5e-324, 1.7976931348623157e308, -122.4194,
                                  123456789.123456789};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char s[64];
        struct buf b;
        buf_init(&b, s, sizeof s);
        buf_put_double(&b, vals[i]);
        const char *out = buf_cstr(&b);
        cr_assert_not_null(out);
        cr_expect_eq(strtod(out, NULL), vals[i], "%.17g printed as %s", vals[i], out);
    }
}

static void put_hello(struct buf *b)
{
    buf_puts(b, "hello");
    buf_putc(b, ',');
    buf_put_i64(b, -42);
}

Test(buf, overflow_is_sticky_and_capped)
{
    char s[16];
    for (size_t cap = 0; cap <= 10; cap++) {
        memset(s, 'Z', sizeof s);
        const char *out = put(put_hello, s, cap);
        /* "hello,-42" is 9 bytes; buf_cstr needs one more for the NUL */
        if (cap >= 10)
            cr_expect(out && strcmp(out, "hello,-42") == 0, "cap %zu", cap);
        else
            cr_expect_null(out, "cap %zu: overflow must be reported", cap);
        for (size_t k = cap; k < sizeof s; k++) cr_expect_eq(s[k], 'Z', "cap %zu: byte %zu written", cap, k);
    }
    struct buf b;
    buf_init(&b, s, 4);
    buf_puts(&b, "toolong");
    cr_expect(b.overflow);
    buf_put(&b, "ab", 2);
    buf_putc(&b, 'x');
    cr_expect_eq(b.len, 0, "nothing is written after an overflow, even what would fit");
    cr_expect_null(buf_cstr(&b));
}

/* ---- reading a BidResponse back ---- */

struct rbid {
    struct sv id, impid, cid, crid, adm, nurl, adomain0, cat0;
    double price;
    int64_t w, h, cattax;
    int nadomain;
};

struct rresp {
    struct sv id, bidid, cur, seat;
    int64_t nbr;
    int nseatbid, nbid;
    struct rbid bid[70];
};

static void read_bid(struct json *j, struct rbid *b)
{
    *b = (struct rbid){.w = -1, .h = -1, .cattax = -1};
    struct sv k;
    cr_assert(json_obj_begin(j), "bid is an object");
    while (json_obj_next(j, &k)) {
        if (sv_eq_cstr(k, "id"))
            json_string(j, &b->id);
        else if (sv_eq_cstr(k, "impid"))
            json_string(j, &b->impid);
        else if (sv_eq_cstr(k, "cid"))
            json_string(j, &b->cid);
        else if (sv_eq_cstr(k, "crid"))
            json_string(j, &b->crid);
        else if (sv_eq_cstr(k, "adm"))
            json_string(j, &b->adm);
        else if (sv_eq_cstr(k, "nurl"))
            json_string(j, &b->nurl);
        else if (sv_eq_cstr(k, "price"))
            json_double(j, &b->price);
        else if (sv_eq_cstr(k, "w"))
            json_int(j, &b->w);
        else if (sv_eq_cstr(k, "h"))
            json_int(j, &b->h);
        else if (sv_eq_cstr(k, "cattax"))
            json_int(j, &b->cattax);
        else if (sv_eq_cstr(k, "mtype")) { /* issue 19: on every bid; these are banners */
            int64_t mt = 0;
            json_int(j, &mt);
            cr_expect_eq(mt, 1, "mtype %lld, want 1 (banner)", (long long)mt);
        } else if (sv_eq_cstr(k, "adomain") || sv_eq_cstr(k, "cat")) {
            bool dom = k.p[0] == 'a';
            int n = 0;
            json_arr_begin(j);
            while (json_arr_next(j)) {
                struct sv v;
                json_string(j, &v);
                if (n++ == 0) *(dom ? &b->adomain0 : &b->cat0) = v;
            }
            if (dom) b->nadomain = n;
        } else {
            cr_expect_fail("unexpected bid key %.*s", SV_FMT(k));
            json_skip(j);
        }
    }
}

/* Parses a BidResponse (or a no-bid body); returns the JSON error, 0 when valid. */
static int read_resp(const char *s, size_t n, struct rresp *r)
{
    static _Alignas(16) char mem[1 << 16];
    struct arena a;
    arena_init(&a, mem, sizeof mem);
    memset(r, 0, sizeof *r);
    r->nbr = -1;
    struct json j;
    json_init(&j, s, n, &a);
    struct sv k;
    if (!json_obj_begin(&j)) return j.err;
    while (json_obj_next(&j, &k)) {
        if (sv_eq_cstr(k, "id"))
            json_string(&j, &r->id);
        else if (sv_eq_cstr(k, "bidid"))
            json_string(&j, &r->bidid);
        else if (sv_eq_cstr(k, "cur"))
            json_string(&j, &r->cur);
        else if (sv_eq_cstr(k, "nbr"))
            json_int(&j, &r->nbr);
        else if (sv_eq_cstr(k, "seatbid")) {
            json_arr_begin(&j);
            while (json_arr_next(&j)) {
                r->nseatbid++;
                json_obj_begin(&j);
                struct sv sk;
                while (json_obj_next(&j, &sk)) {
                    if (sv_eq_cstr(sk, "seat"))
                        json_string(&j, &r->seat);
                    else if (sv_eq_cstr(sk, "bid")) {
                        json_arr_begin(&j);
                        while (json_arr_next(&j)) {
                            cr_assert(r->nbid < 70);
                            read_bid(&j, &r->bid[r->nbid++]);
                        }
                    } else {
                        cr_expect_fail("unexpected seatbid key %.*s", SV_FMT(sk));
                        json_skip(&j);
                    }
                }
            }
        } else {
            cr_expect_fail("unexpected key %.*s", SV_FMT(k));
            json_skip(&j);
        }
    }
    return json_finish(&j);
}

/* ---- building a decision ---- */

struct fixture {
    struct config *cfg;
    struct ortb_request req;
    struct decide_result res;
    char body[1 << 14];
};

static _Alignas(64) char g_pmem[1 << 18], g_dmem[1 << 18];

/* campaigns and request with ' for "; NULL campaigns = deploy/fairbid.json, NULL request = the sample. */
static void decide_q(struct fixture *f, const char *campaigns, const char *req)
{
    char err[512] = "";
    if (campaigns) {
        char q[1 << 14], text[1 << 14];
        snprintf(q, sizeof q, "{'campaigns':[%s]}", campaigns);
        size_t n = tu_unquote(q, text, sizeof text);
        f->cfg = config_parse_load("t.json", text, n, NULL, err, sizeof err);
    } else {
        size_t n;
        char *text = tu_load_file("deploy/fairbid.json", &n);
        f->cfg = config_parse_load(tu_src_path("deploy/fairbid.json"), text, n, NULL, err, sizeof err);
        free(text);
    }
    cr_assert_not_null(f->cfg, "config: %s", err);
    size_t n;
    if (req) {
        n = tu_unquote(req, f->body, sizeof f->body);
    } else {
        char *s = tu_load_file("deploy/sample-request.json", &n);
        cr_assert(n < sizeof f->body);
        memcpy(f->body, s, n);
        free(s);
    }
    struct arena pa, da;
    arena_init(&pa, g_pmem, sizeof g_pmem);
    struct ortb_error e;
    int rc = ortb_parse(f->body, n, &pa, &f->req, &e);
    cr_assert_eq(rc, 0, "request: %s at %zu", e.msg ? e.msg : "", e.offset);
    arena_init(&da, g_dmem, sizeof g_dmem);
    struct decide_env env = {.now_ms = 0, .year = 2026};
    cr_assert_eq(decide_run(&f->cfg->campaigns, &f->req, &env, &da, &f->res), 0);
}

static const char *write_bids(struct fixture *f, const struct resp_opts *o, char *out, size_t cap,
                              size_t *len)
{
    struct buf b;
    buf_init(&b, out, cap);
    cr_assert_eq(resp_write_bids(&b, &f->cfg->campaigns, &f->req, &f->res, o), 0, "response overflowed %zu",
                 cap);
    *len = b.len;
    return buf_cstr(&b);
}

static bool is_hex16(struct sv s)
{
    if (s.n != 16) return false;
    for (size_t i = 0; i < 16; i++)
        if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f'))) return false;
    return true;
}

/* ---- BidResponse ---- */

Test(response, sample_bid_fields)
{
    static struct fixture f;
    decide_q(&f, NULL, NULL);
    cr_assert_eq(f.res.nbids, 1);
    struct resp_opts o = {.seat = SV_LIT("fairbid")};
    char out[4096];
    size_t len;
    const char *s = write_bids(&f, &o, out, sizeof out, &len);
    cr_assert_not_null(s);
    static struct rresp r;
    cr_assert_eq(read_resp(s, len, &r), 0, "not valid JSON: %s", s);
    cr_expect(sv_eq(r.id, f.req.id), "id echoes the request id");
    cr_expect(is_hex16(r.bidid), "bidid %.*s", SV_FMT(r.bidid));
    cr_expect(sv_eq_cstr(r.cur, "USD"));
    cr_expect_eq(r.nseatbid, 1);
    cr_expect(sv_eq_cstr(r.seat, "fairbid"));
    cr_assert_eq(r.nbid, 1);
    const struct rbid *b = &r.bid[0];
    cr_expect(is_hex16(b->id));
    cr_expect(sv_eq_cstr(b->impid, "1"));
    cr_expect_eq(b->price, 3.1);
    cr_expect(sv_eq_cstr(b->cid, "initech-runners"));
    cr_expect(sv_eq_cstr(b->crid, "initech-300x250"));
    cr_expect(b->nadomain == 1 && sv_eq_cstr(b->adomain0, "initech.example"));
    const struct campaign *won = &f.cfg->campaigns.v[f.res.winner[0]];
    cr_expect(won->cat.n > 0 && sv_eq(b->cat0, won->cat.v[0]) && b->cattax == won->cattax, "cat and cattax");
    cr_expect(b->w == 300 && b->h == 250);
    cr_expect(sv_eq_cstr(b->adm, "<div class=\"initech\">Run further</div>"));
    cr_expect(!sv_present(b->nurl));
    config_free(f.cfg);
}

#define CAMP(id, cpm, extra)                                                                                 \
    "{'id':'" id "','crid':'cr-" id "','bid_cpm':" cpm ",'formats':[{'w':300,'h':250}],'adm':'<b>" id        \
    "</b>'" extra "}"

Test(response, escapes_round_trip)
{
    static struct fixture f;
    decide_q(&f,
             "{'id':'c\\\"1','crid':'cr\\\\1','bid_cpm':1.5,'formats':[{'w':300,'h':250}],"
             "'adm':'<a href=\\\"x\\\">\\n\\t\\u0001\\u00e9</a>','adomain':['a.example']}",
             "{'id':'r\\\"1\\\\\\u0002\\u00e9','imp':[{'id':'i\\n1','banner':{'w':300,'h':250}}]}");
    cr_assert_eq(f.res.nbids, 1);
    char out[4096];
    size_t len;
    const char *s = write_bids(&f, NULL, out, sizeof out, &len);
    static struct rresp r;
    cr_assert_eq(read_resp(s, len, &r), 0, "not valid JSON: %s", s);
    cr_expect(sv_eq(r.id, f.req.id), "request id round-trips");
    cr_expect(sv_eq(r.bid[0].impid, f.req.imp[0].id), "imp id round-trips");
    cr_expect(sv_eq(r.bid[0].cid, f.cfg->campaigns.v[0].id));
    cr_expect(sv_eq(r.bid[0].crid, f.cfg->campaigns.v[0].crid));
    cr_expect(sv_eq(r.bid[0].adm, f.cfg->campaigns.v[0].adm), "adm round-trips");
    cr_expect(!sv_present(r.seat), "no seat without opts");
    config_free(f.cfg);
}

Test(response, every_buffer_size)
{
    static struct fixture f;
    decide_q(&f, NULL, NULL);
    struct resp_opts o = {.seat = SV_LIT("fairbid"), .win_url = SV_LIT("https://bid.example/win")};
    char ref[4096];
    size_t rlen;
    write_bids(&f, &o, ref, sizeof ref, &rlen);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (rlen + 2 + page - 1) / page * page;
    char *map = mmap(NULL, data + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(map != MAP_FAILED);
    cr_assert(mprotect(map + data, page, PROT_NONE) == 0);
    for (size_t cap = 0; cap <= rlen + 1; cap++) {
        char *out = map + data - cap;
        struct buf b;
        buf_init(&b, out, cap);
        int rc = resp_write_bids(&b, &f.cfg->campaigns, &f.req, &f.res, &o);
        cr_expect(b.len <= cap, "cap %zu: len %zu", cap, b.len);
        if (cap < rlen) {
            cr_expect_eq(rc, -1, "cap %zu < %zu: overflow must be reported", cap, rlen);
        } else {
            cr_expect_eq(rc, 0, "cap %zu", cap);
            cr_expect(b.len == rlen && memcmp(out, ref, rlen) == 0, "cap %zu: same bytes", cap);
        }
    }
    for (size_t cap = 0; cap <= 40; cap++) {
        char *out = map + data - cap;
        struct buf b;
        buf_init(&b, out, cap);
        int rc = resp_write_nobid(&b, SV_LIT("r-1"), 2);
        cr_expect_eq(rc, cap < 20 ? -1 : 0, "nobid cap %zu (body is 20 bytes)", cap);
        cr_expect(b.len <= cap);
    }
    munmap(map, data + page);
    config_free(f.cfg);
}

Test(response, one_bid_per_imp_with_a_winner)
{
    static struct fixture f;
    decide_q(&f,
             CAMP("a", "2", "") ",{'id':'b','crid':'cb','bid_cpm':1,'formats':[{'w':728,'h':90}],'adm':'y'}",
             "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}},{'id':'2','video':{}},"
             "{'id':'3','banner':{'format':[{'w':728,'h':90},{'w':300,'h':250}]}}]}");
    cr_assert_eq(f.res.nbids, 2);
    char out[4096];
    size_t len;
    const char *s = write_bids(&f, NULL, out, sizeof out, &len);
    static struct rresp r;
    cr_assert_eq(read_resp(s, len, &r), 0, "%s", s);
    cr_assert_eq(r.nbid, 2, "%s", s);
    cr_expect(sv_eq_cstr(r.bid[0].impid, "1") && sv_eq_cstr(r.bid[0].cid, "a"));
    cr_expect(sv_eq_cstr(r.bid[1].impid, "3") && sv_eq_cstr(r.bid[1].cid, "a"), "a outbids b on imp 3");
    cr_expect(r.bid[1].w == 300 && r.bid[1].h == 250, "served size is the campaign format that fits");
    cr_expect(!sv_eq(r.bid[0].id, r.bid[1].id), "bid ids differ");
    cr_expect_eq(r.bid[0].price, 2.0);
    cr_expect_eq(r.bid[0].cattax, -1, "no cat, no cattax");
    config_free(f.cfg);
}

Test(response, bidid_is_derived_from_the_request_id)
{
    static struct fixture f1, f2, f3;
    decide_q(&f1, CAMP("a", "2", ""), "{'id':'same','imp':[{'id':'1','banner':{'w':300,'h':250}}]}");
    decide_q(&f2, CAMP("a", "2", ""), "{'id':'same','imp':[{'id':'1','banner':{'w':300,'h':250}}],'tmax':5}");
    decide_q(&f3, CAMP("a", "2", ""), "{'id':'other','imp':[{'id':'1','banner':{'w':300,'h':250}}]}");
    char o1[1024], o2[1024], o3[1024];
    size_t l1, l2, l3;
    static struct rresp r1, r2, r3;
    const char *s1 = write_bids(&f1, NULL, o1, sizeof o1, &l1);
    cr_assert_eq(read_resp(s1, l1, &r1), 0);
    const char *s2 = write_bids(&f2, NULL, o2, sizeof o2, &l2);
    cr_assert_eq(read_resp(s2, l2, &r2), 0);
    const char *s3 = write_bids(&f3, NULL, o3, sizeof o3, &l3);
    cr_assert_eq(read_resp(s3, l3, &r3), 0);
    cr_expect(sv_eq(r1.bidid, r2.bidid), "same request id, same bidid");
    cr_expect(!sv_eq(r1.bidid, r3.bidid), "another request id, another bidid");
    config_free(f1.cfg);
    config_free(f2.cfg);
    config_free(f3.cfg);
}

Test(response, win_url_and_nurl)
{
    static struct fixture f;
    decide_q(&f,
             "{'id':'c 1','crid':'k','bid_cpm':2,'formats':[{'w':300,'h':250}],'nurl':'https://c.example/n'}",
             "{'id':'r/1?','imp':[{'id':'a b&c','banner':{'w':300,'h':250}}]}");
    char out[4096];
    size_t len;
    static struct rresp r;
    const char *s = write_bids(&f, NULL, out, sizeof out, &len);
    cr_assert_eq(read_resp(s, len, &r), 0, "%s", s);
    cr_expect(sv_eq_cstr(r.bid[0].nurl, "https://c.example/n"), "the campaign's nurl without win_url");
    cr_expect(!sv_present(r.bid[0].adm), "no adm configured, none sent");

    struct resp_opts o = {.win_url = SV_LIT("https://bid.example/win")};
    s = write_bids(&f, &o, out, sizeof out, &len);
    cr_assert_eq(read_resp(s, len, &r), 0, "%s", s);
    cr_expect(
        sv_eq_cstr(r.bid[0].nurl,
                   "https://bid.example/win?cid=c%201&imp=a%20b%26c&req=r%2F1%3F&price=${AUCTION_PRICE}"),
        "nurl %.*s", SV_FMT(r.bid[0].nurl));
    config_free(f.cfg);
}

/* win_url comes from the config and lands inside a JSON string: a '"' or '\' in it must be escaped, or the
 * whole BidResponse is invalid JSON (regression: it was copied raw; fixed in 6dacd75). */
Test(response, win_url_is_json_escaped)
{
    static struct fixture f;
    decide_q(&f, CAMP("a", "2", ""), "{'id':'r','imp':[{'id':'1','banner':{'w':300,'h':250}}]}");
    struct resp_opts o = {.win_url = SV_LIT("https://bid.example/w\"in\\")};
    char out[4096];
    size_t len;
    static struct rresp r;
    const char *s = write_bids(&f, &o, out, sizeof out, &len);
    cr_expect_eq(read_resp(s, len, &r), 0, "invalid JSON: %s", s);
    config_free(f.cfg);
}

Test(response, nobid_body)
{
    static const struct {
        const char *id;
        int nbr;
        const char *want;
    } cases[] = {
        {"r-1", 2, "{\"id\":\"r-1\",\"nbr\":2}"},
        {"", 0, "{\"id\":\"\",\"nbr\":0}"},
        {"a\"b\n", 8, "{\"id\":\"a\\\"b\\n\",\"nbr\":8}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        struct buf b;
        buf_init(&b, out, sizeof out);
        cr_assert_eq(resp_write_nobid(&b, sv_from(cases[i].id), cases[i].nbr), 0);
        const char *s = buf_cstr(&b);
        cr_expect_str_eq(s, cases[i].want);
        static struct rresp r;
        cr_expect_eq(read_resp(s, b.len, &r), 0);
        cr_expect(sv_eq_cstr(r.id, cases[i].id) && r.nbr == cases[i].nbr, "case %zu", i);
    }
}
