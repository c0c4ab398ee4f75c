/* libFuzzer target for filters/bidresp (issue 17): bidresp_parse with a fixed arena on any bytes, then every
 * check of every bid against a fixed request, and bidresp_write_bid with a win_url. Checks the parse contract
 * (an error names a code, a message and an offset inside the body; a success has an id, counts within the
 * caps, seats that partition the bids, raw spans inside the body that start with '{' and end with '}', and
 * nurl/burl spans inside their bid), that every reason is in the table, and that every bid written is one
 * well-formed JSON object. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/bidresp.h"
#include "filters/json.h"
#include "filters/reasons.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char REQ[] =
    "{\"id\":\"r1\",\"cur\":[\"USD\"],\"bcat\":[\"1362\"],\"cattax\":8,\"badv\":[\"bad.example\"],"
    "\"user\":{\"yob\":1990},\"imp\":[{\"id\":\"1\",\"banner\":{\"w\":300,\"h\":250},\"bidfloor\":0.5},"
    "{\"id\":\"2\",\"banner\":{\"w\":300,\"h\":250}}]}";

static bool inside(struct sv s, const char *p, size_t n)
{
    return !s.n || (s.p >= p && s.p + s.n <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char rmem[1 << 16], amem[1 << 16], out[1 << 17];
    static struct ortb_request req;
    static bool req_ok;
    static struct bidresp r;
    if (!req_ok) {
        struct arena ra;
        arena_init(&ra, rmem, sizeof rmem);
        struct ortb_error oe;
        if (ortb_parse(REQ, sizeof REQ - 1, &ra, &req, &oe)) abort();
        req_ok = true;
    }
    char *body = malloc(size ? size : 1);
    if (!body) return 0;
    memcpy(body, data, size);
    struct arena a;
    arena_init(&a, amem, sizeof amem);
    struct bidresp_error e;
    int rc = bidresp_parse(body, size, &a, &r, &e);
    if (rc) {
        if (rc > 0 || rc < BIDRESP_ENOMEM || e.code != rc || !e.msg || e.offset > size) abort();
        free(body);
        return 0;
    }
    if (!r.id.n || r.nbid > BIDRESP_MAX_BID || r.nseat > BIDRESP_MAX_SEATBID) abort();
    uint32_t next = 0;
    for (uint32_t s = 0; s < r.nseat; s++) {
        if (r.seat[s].first != next) abort();
        next += r.seat[s].n;
    }
    if (next != r.nbid) abort();
    struct consent_state cst = {.minor = size & 1};
    struct bidresp_ctx ctx = {.req = &req, .cst = &cst};
    if (bidresp_check_response(&ctx, &r) >= REASON__COUNT) abort();
    for (uint32_t i = 0; i < r.nbid; i++) {
        const struct bidresp_bid *b = &r.bid[i];
        if (!b->id.n || !b->impid.n || !b->has_price) abort();
        if (!inside(b->raw, body, size) || b->raw.p[0] != '{' || b->raw.p[b->raw.n - 1] != '}') abort();
        if (!inside(b->nurl_raw, b->raw.p, b->raw.n) || !inside(b->burl_raw, b->raw.p, b->raw.n)) abort();
        if (b->ncat > BIDRESP_MAX_CAT || b->nadomain > BIDRESP_MAX_ADOMAIN || b->nattr > BIDRESP_MAX_ATTR)
            abort();
        struct sv d;
        int sp;
        int reason = bidresp_check_bid(&ctx, &r, b, &d, &sp);
        if (reason < 0 || reason >= REASON__COUNT) abort();
        struct buf ob;
        buf_init(&ob, out, sizeof out);
        struct bidresp_win w = {SV_LIT("http://127.0.0.1:1/win"), SV_LIT("up"), req.id};
        if (bidresp_write_bid(&ob, b, &w) == 0) {
            struct json j;
            json_init(&j, out, ob.len, &a);
            if (json_skip(&j) || json_finish(&j)) abort();
        }
        /* with a fairness boost: the price replaced, still one object */
        buf_init(&ob, out, sizeof out);
        if (bidresp_write_bid_priced(&ob, b, &w, b->price > 0 && b->price < 1e300 ? b->price * 1.5 : 1.25) ==
            0) {
            struct json j;
            json_init(&j, out, ob.len, &a);
            if (json_skip(&j) || json_finish(&j)) abort();
        }
    }
    free(body);
    return 0;
}
