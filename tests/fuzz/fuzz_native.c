/* libFuzzer target for filters/native.c: the Native 1.x request inside imp.native.request is hostile input
 * (a string an exchange passes through from the publisher). native_parse_request with a fixed arena must
 * never crash, overrun the arena or loop; an accepted request has 1..64 assets with unique ids and a known
 * kind; native_match's map agrees with its verdict; and the response written for any accepted request is
 * well-formed JSON answering only asset ids of the request. The same input is also fed as a full bid request
 * (the string form and the object form) through ortb_parse, which must never fail because of it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/buf.h"
#include "filters/json.h"
#include "filters/native.h"
#include "filters/ortb.h"
#include "filters/reasons.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct creative_img imgs[] = {{3, 1200, 627, {"https://m.example/m.jpg", 23}},
                                     {1, 80, 80, {"https://m.example/\"i\".png", 25}}};
static struct creative_data dat[] = {{1, {"Acme", 4}}, {2, {"desc \\ \x01", 8}}, {12, {"Go", 2}}};
static struct sv trackers[] = {{"https://m.example/imp", 21}};
static const struct creative cr = {.type = CREATIVE_NATIVE,
                                   .title = {"A title", 7},
                                   .imgs = imgs,
                                   .nimgs = 2,
                                   .data = dat,
                                   .ndata = 3,
                                   .link = {"https://m.example/c", 19},
                                   .imptrackers = {trackers, 1}};

static _Alignas(64) char g_mem[1 << 18];
static char g_out[NATIVE_MAX_REQUEST * 4];
static char g_body[NATIVE_MAX_REQUEST * 8];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a, g_mem, 4096 + (size & 0xFFFF));
    struct ortb_native n;
    int rc = native_parse_request((const char *)data, size, &a, &n);
    if (a.used > a.cap) abort();
    if (rc == 0) {
        if (!n.ok || n.nassets == 0 || n.nassets > ORTB_MAX_ASSETS) abort();
        for (uint32_t i = 0; i < n.nassets; i++) {
            if (n.assets[i].kind < ORTB_ASSET_TITLE || n.assets[i].kind > ORTB_ASSET_VIDEO) abort();
            for (uint32_t k = 0; k < i; k++)
                if (n.assets[k].id == n.assets[i].id) abort();
        }
        int16_t map[ORTB_MAX_ASSETS];
        uint32_t bad = UINT32_MAX;
        int r = native_match(&n, &cr, map, &bad);
        bool all = true;
        for (uint32_t i = 0; i < n.nassets; i++)
            if (n.assets[i].required && map[i] < 0) all = false;
        if ((r == REASON_BID) != all) abort();
        if (r != REASON_BID && (bad >= n.nassets || !n.assets[bad].required || map[bad] >= 0)) abort();
        struct buf b;
        buf_init(&b, g_out, sizeof g_out);
        native_write_response(&b, &n, &cr);
        if (b.overflow) abort();
        struct json j;
        struct arena ja;
        arena_init(&ja, g_mem + sizeof g_mem / 2, sizeof g_mem / 2);
        json_init(&j, b.p, b.len, &ja);
        if (json_skip(&j) || json_finish(&j)) abort();
    } else {
        if (n.ok || !n.why) abort();
    }
    /* the same bytes as imp.native.request of a bid request: escaped as a string */
    size_t m = (size_t)snprintf(g_body, sizeof g_body,
                                "{\"id\":\"r\",\"imp\":[{\"id\":\"1\",\"native\":{\"request\":");
    struct buf b;
    buf_init(&b, g_body + m, sizeof g_body - m - 8);
    buf_put_json_str(&b, (struct sv){(const char *)data, size});
    if (b.overflow) return 0;
    m += b.len;
    memcpy(g_body + m, "}}]}", 4);
    m += 4;
    arena_init(&a, g_mem, sizeof g_mem);
    struct ortb_request req;
    struct ortb_error e;
    rc = ortb_parse(g_body, m, &a, &req, &e);
    /* invalid UTF-8 in the string makes the whole body invalid JSON; anything else is the imp's business */
    if (rc != 0 && rc != ORTB_EJSON && rc != ORTB_ENOMEM) abort();
    if (rc == 0 && (!req.imp[0].has_native || req.imp[0].native.ok != n.ok)) {
        /* the arena sizes differ: only a memory failure may disagree */
        if (n.ok || !n.why || strstr(n.why, "memory") == NULL) abort();
    }
    return 0;
}
