/* filter_route: POST /openrtb2/filter?upstream=ID (issue 17): what fairbid would forward to that upstream,
 * and what it would remove and why, without forwarding anything (bidder/engine_filter.h writes the answer).
 * An exchange or a Prebid Server module can use it as a privacy filter of its own. Runs on the worker like
 * /openrtb2/bid, inside the config snapshot's RCU read-side section. */
#define _LGPL_SOURCE
#include <string.h>
#include <urcu/urcu-memb.h>

#include "bidder/engine_filter.h"
#include "bidder/server/server_int.h"

/* The value of name in a query string ("a=1&upstream=dsp-a"), as sent (ids need no percent-decoding: they are
 * letters, digits and -_.). */
static struct sv query_param(struct sv q, const char *name)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < q.n) {
        size_t e = i;
        while (e < q.n && q.p[e] != '&') e++;
        if (e - i > nl && !memcmp(q.p + i, name, nl) && q.p[i + nl] == '=')
            return (struct sv){q.p + i + nl + 1, e - i - nl - 1};
        i = e + 1;
    }
    return SV_NULL;
}

static void filter_in_snapshot(struct worker *w, const struct config *cfg, const struct http_in *in,
                               struct hs_reply *rep)
{
    if (!cfg) {
        server_reply_error(w, rep, 503, "no config loaded", NULL, -1);
        return;
    }
    struct sv id = query_param(in->query, "upstream");
    const struct upstream *up = id.p ? upstream_find(&cfg->upstreams, id.p, id.n) : NULL;
    if (!up) {
        server_reply_error(w, rep, 404,
                           id.p ? "no upstream of that id in the config (key \"upstreams\")"
                                : "name the upstream: POST /openrtb2/filter?upstream=ID",
                           "upstream", -1);
        return;
    }
    /* gzip is accepted as on /openrtb2/bid, through the same reader (same limits, same refusals) */
    struct arena a;
    arena_init(&a, w->arena_mem, w->arena_cap);
    const char *body;
    size_t len;
    if (!server_request_body(w, cfg, in, &a, &body, &len, rep)) return;
    struct buf out;
    buf_init(&out, w->resp_mem, RESP_CAP);
    struct engine_filter_result res;
    engine_filter(cfg, &w->ectx, up, body, len, &a, &out, &res);
    rep->status = res.status;
    rep->ctype = "application/json";
    rep->body = out.p;
    rep->len = out.len;
}

void server_filter_route(struct worker *w, const struct http_in *in, struct hs_reply *rep)
{
    if (in->method != HP_POST) {
        rep->extra_headers = "Allow: POST\r\n";
        server_reply_error(w, rep, 405, "use POST for /openrtb2/filter", NULL, -1);
        return;
    }
    urcu_memb_read_lock();
    filter_in_snapshot(w, rcu_dereference(G.cfg), in, rep);
    urcu_memb_read_unlock();
}
