/* check: see check.h. */
#include "bidder/upstream/check.h"

#include <string.h>

#include "bidder/config/config.h"
#include "bidder/upstream/fair.h"
#include "filters/reasons.h"

int upcheck_scrub(const struct config *cfg, const struct upstream *u, const struct engine_result *res,
                  const char *body, size_t len, struct arena *a, char *out, size_t cap,
                  struct scrub_result *sr)
{
    struct decide_env env;
    engine_env_now(&env); /* the year from the engine's per-thread cache, not a gmtime per upstream */
    const struct scrub_input in = {.body = body,
                                   .len = len,
                                   .req = &res->req,
                                   .cs = &res->dec.consent,
                                   .tcf_vendor_id = u->tcf_vendor_id,
                                   .tcf_strict = cfg->campaigns.tcf_strict,
                                   .policy = cfg->campaigns.policy,
                                   .js = &res->dec.juris,
                                   .year = env.year,
                                   .tmax_ms = upstream_budget_ms(u, res->req.tmax, cfg->tmax_margin_ms)};
    return scrub_request(&in, a, out, cap, sr);
}

void upcheck_run(const struct config *cfg, const struct upstream *u, const struct engine_result *res,
                 bool personal, const char *body, size_t len, struct arena *a, struct bidresp *resp,
                 struct buf *out, bool *first, struct upcheck_result *r)
{
    r->nbids = r->kept = 0;
    r->reason = REASON_BID;
    if (bidresp_parse(body, len, a, resp, &r->err)) {
        r->reason = REASON_RESPONSE_MALFORMED;
        return;
    }
    r->nbids = resp->nbid;
    struct bidresp_special special[UPSTREAM_SPECIAL_N];
    struct sv cats[UPSTREAM_SPECIAL_N][UPSTREAM_CATS_MAX];
    uint32_t nsp = 0;
    for (int k = 1; k < UPSTREAM_SPECIAL_N; k++) {
        if (!u->special[k].present) continue;
        for (uint32_t c = 0; c < u->special[k].ncats; c++) cats[k][c] = sv_from(u->special[k].cats[c]);
        /* cattax 0: the upstream's categories are matched in any taxonomy */
        special[nsp++] = (struct bidresp_special){0, {cats[k], u->special[k].ncats}, k};
    }
    /* what the upstream was sent: without personal data, none of what the special-category rule forbids */
    struct ortb_request seen = res->req;
    if (!personal) {
        seen.user.yob = ORTB_UNSET;
        seen.user.gender = SV_NULL;
        seen.user.ndata = 0;
        seen.device.geo.zip = SV_NULL;
    }
    struct bidresp_ctx ctx = {.req = &res->req,
                              .seen = &seen,
                              .cst = &res->dec.consent,
                              .policy = cfg->campaigns.policy,
                              .special = special,
                              .nspecial = nsp,
                              .cur = cfg->campaigns.currency.n ? cfg->campaigns.currency : SV_LIT("USD")};
    r->reason = bidresp_check_response(&ctx, resp);
    if (r->reason != REASON_BID) return;
    struct bidresp_win win = {sv_from(cfg->win_url), sv_from(u->id), res->req.id};
    for (uint32_t i = 0; i < resp->nbid; i++) {
        struct upcheck_verdict *v = &r->v[i];
        v->bid = i;
        v->reason = bidresp_check_bid(&ctx, resp, &resp->bid[i], &v->detail, &v->special);
        v->price = 0;
        if (v->reason == REASON_BID && v->special != BIDRESP_SPECIAL_NONE && r->fair) {
            /* a special-category bid: balanced like a special-category campaign, per (upstream, creative) */
            const struct bidresp_bid *b = &resp->bid[i];
            const struct campaign_fairness *fp =
                v->special < UPSTREAM_SPECIAL_N && u->special[v->special].present
                    ? &u->special[v->special].fair
                    : &config_fairness_defaults;
            double price = b->price;
            r->draw = r->draw * 6364136223846793005ull + 1442695040888963407ull;
            v->reason = upfair_check(u->id, b->cid.n ? b->cid : b->crid, fp, &res->req, b->impid,
                                     (uint32_t)(r->draw >> 32), &price, &v->detail);
            if (v->reason == REASON_BID && price > b->price) v->price = price;
        }
        if (v->reason != REASON_BID || !out) {
            if (v->reason == REASON_BID) r->kept++;
            continue;
        }
        if (r->kept == 0) {
            if (!*first) buf_putc(out, ',');
            *first = false;
            buf_puts(out, "{\"seat\":");
            buf_put_json_str(out, sv_from(u->seat[0] ? u->seat : u->id));
            buf_puts(out, ",\"bid\":[");
        } else {
            buf_putc(out, ',');
        }
        bidresp_write_bid_priced(out, &resp->bid[i], &win, v->price);
        r->kept++;
    }
    if (out && r->kept) buf_puts(out, "]}");
}
