/* engine_filter: see engine_filter.h. */
#include "bidder/engine_filter.h"

#include "filters/jurisdiction.h"
#include "filters/reasons.h"

void engine_filter_write_removed(struct buf *out, const struct scrub_result *sr)
{
    buf_putc(out, '[');
    for (uint32_t i = 0; i < sr->nremoved; i++) {
        const struct scrub_removed *m = &sr->removed[i];
        if (i) buf_putc(out, ',');
        buf_puts(out, "{\"path\":\"");
        /* "user.data[].segment[]" with its indexes: "user.data[1].segment[3]" */
        int32_t ix[2] = {m->i1, m->i2};
        int k = 0;
        for (const char *p = m->path; *p; p++) {
            if (p[0] == '[' && p[1] == ']' && k < 2 && ix[k] >= 0) {
                buf_putc(out, '[');
                buf_put_i64(out, ix[k++]);
                buf_putc(out, ']');
                p++;
            } else {
                buf_putc(out, *p);
            }
        }
        buf_puts(out, "\",\"reason\":\"");
        buf_puts(out, reason_name(m->reason));
        buf_putc(out, '"');
        if (m->action == SCRUB_TRUNCATED) {
            buf_puts(out, ",\"truncated\":\"");
            buf_puts(out, m->truncated_to);
            buf_putc(out, '"');
        }
        if (m->id.n) {
            buf_puts(out, m->path[strlen(m->path) - 1] == '*' ? ",\"key\":" : ",\"id\":");
            buf_put_json_str(out, m->id);
        }
        buf_putc(out, '}');
    }
    buf_putc(out, ']');
}

void engine_filter(const struct config *cfg, const struct engine_ctx *ctx, const struct upstream *up,
                   const char *body, size_t len, struct arena *a, struct buf *out,
                   struct engine_filter_result *res)
{
    res->parsed = false;
    out->len = 0;
    out->overflow = false;
    struct ortb_error perr;
    int rc = ortb_parse(body, len, a, &res->req, &perr);
    if (rc) {
        res->status = rc == ORTB_ENOMEM ? 413 : 400;
        engine_write_error(out, perr.msg ? perr.msg : ortb_strerror(rc), perr.field, (long)perr.offset);
        return;
    }
    res->parsed = true;
    struct decide_env env = {0};
    struct consent_store_view view;
    struct consent_stored rec;
    const struct consent_store_view *store = NULL;
    engine_env_ctx(ctx, &res->req, &env, &view, &rec, &store);
    /* consent once, for every vendor (filters/consent.h), and the law where the person is, as decide() */
    struct consent_state cs;
    const struct consent_config cc = {.tcf_vendor_id = CONSENT_VENDOR_DEFERRED,
                                      .tcf_strict = cfg->campaigns.tcf_strict};
    consent_eval(&res->req, &cc, store, env.year, a, &cs);
    struct juris_state js;
    const struct juris_opts jo = {.unknown_strictest = cfg->campaigns.juris_unknown_strictest,
                                  .pol_custom_purpose = cfg->campaigns.pol_custom_purpose,
                                  .first_party = &cfg->campaigns.first_party};
    juris_resolve(cfg->campaigns.juris, &jo, &res->req, &cs, env.now_ms, &js);
    res->tmax = upstream_budget_ms(up, res->req.tmax, cfg->tmax_margin_ms);
    size_t cap = 2 * len + SCRUB_SLACK;
    char *fwd = arena_alloc(a, cap, 1);
    const struct scrub_input in = {.body = body,
                                   .len = len,
                                   .req = &res->req,
                                   .cs = &cs,
                                   .tcf_vendor_id = up->tcf_vendor_id,
                                   .tcf_strict = cfg->campaigns.tcf_strict,
                                   .policy = cfg->campaigns.policy,
                                   .js = &js,
                                   .year = env.year,
                                   .tmax_ms = res->tmax};
    rc = fwd ? scrub_request(&in, a, fwd, cap, &res->sr) : SCRUB_ENOMEM;
    if (rc) {
        /* nothing may be forwarded when the scrub could not finish */
        res->sr = (struct scrub_result){.reason = REASON_INTERNAL_MEMORY, .geo_reason = -1};
        res->sr.detail = rc == SCRUB_EJSON ? SV_LIT("the request could not be walked again")
                                           : SV_LIT("request memory (arena_bytes) ran out");
    }
    const struct scrub_result *sr = &res->sr;
    buf_puts(out, "{\"upstream\":");
    buf_put_json_str(out, sv_from(up->id));
    buf_puts(out, ",\"request\":");
    if (sr->forward)
        buf_put(out, fwd, sr->out_len);
    else
        buf_puts(out, "null");
    buf_puts(out, ",\"removed\":");
    engine_filter_write_removed(out, sr);
    buf_puts(out, ",\"reason\":");
    if (sr->reason >= 0) {
        buf_put_json_str(out, sv_from(reason_name(sr->reason)));
        buf_puts(out, ",\"detail\":");
        buf_put_json_str(out, sr->detail.p ? sr->detail : SV_LIT(""));
    } else {
        buf_puts(out, "null");
    }
    buf_puts(out, ",\"tmax\":");
    buf_put_i64(out, res->tmax);
    buf_puts(out, sr->forward && sr->personal ? ",\"personal_data\":true" : ",\"personal_data\":false");
    buf_puts(out, sr->forward && sr->precise_geo ? ",\"precise_geo\":true" : ",\"precise_geo\":false");
    if (sr->forward && sr->geo_reason >= 0 && sr->geo_reason != sr->reason) {
        buf_puts(out, ",\"geo_reason\":");
        buf_put_json_str(out, sv_from(reason_name(sr->geo_reason)));
    }
    if (sr->nremoved_total > sr->nremoved) {
        buf_puts(out, ",\"removed_total\":");
        buf_put_u64(out, sr->nremoved_total);
    }
    buf_putc(out, '}');
    res->status = 200;
    if (out->overflow) {
        res->status = 500;
        engine_write_error(out, "filter answer larger than the response buffer", NULL, -1);
    }
}
