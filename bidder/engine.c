/* engine: parse → decide → serialize. See engine.h. */
#include "bidder/engine.h"
#include "bidder/common/clock.h"

#include <time.h>

#include "filters/response.h"

void engine_env_now(struct decide_env *env)
{
    /* the coarse clock (a few ms of resolution) is enough for ages and windows, and costs 3 ns, not 25 */
    env->now_ms = fb_clock_wall_coarse_ms();
    /* the year changes rarely; gmtime_r per request would cost more than the decision */
    static _Thread_local int64_t cached_until;
    static _Thread_local int32_t cached_year;
    if (env->now_ms >= cached_until) {
        struct tm tm;
        time_t t = (time_t)(env->now_ms / 1000);
        gmtime_r(&t, &tm);
        cached_year = tm.tm_year + 1900;
        cached_until = env->now_ms + 60000;
    }
    env->year = cached_year;
}

void engine_write_error(struct buf *out, const char *msg, const char *field, long offset)
{
    out->len = 0;
    out->overflow = false;
    buf_puts(out, "{\"error\":");
    buf_put_json_str(out, sv_from(msg));
    if (field) {
        buf_puts(out, ",\"field\":");
        buf_put_json_str(out, sv_from(field));
    }
    if (offset >= 0) {
        buf_puts(out, ",\"offset\":");
        buf_put_i64(out, offset);
    }
    buf_putc(out, '}');
}

void engine_bid(const struct config *cfg, const struct engine_ctx *ctx, const char *body, size_t len,
                struct arena *a, struct buf *out, struct engine_result *res)
{
    uint64_t t0 = fb_clock_mono_ns();
    res->parsed = res->decided = false;
    out->len = 0;
    out->overflow = false;
    /* the store's prefetch fires when the user object ends (87% into the sample request's bytes): the
     * record's cache miss then overlaps the rest of the parse instead of stalling store_view */
    struct ortb_hooks hooks = {0};
    if (ctx && ctx->store_prefetch)
        hooks = (struct ortb_hooks){.user_key = ctx->store_prefetch, .arg = ctx->store_arg};
    int rc = ortb_parse_ex(body, len, a, &res->req, &res->perr, hooks.user_key ? &hooks : NULL);
    if (rc) {
        res->status = rc == ORTB_ENOMEM ? 413 : 400;
        const char *msg = res->perr.msg ? res->perr.msg : ortb_strerror(rc);
        engine_write_error(out, msg, res->perr.field, (long)res->perr.offset);
        res->decide_ns = fb_clock_mono_ns() - t0;
        return;
    }
    res->parsed = true;
    struct decide_env env = {0};
    struct consent_store_view view;
    struct consent_stored rec;
    engine_env_ctx(ctx, &res->req, &env, &view, &rec, &env.store);
    if (ctx) env.fair = ctx->fair;
    env.seed = t0 ^ ((uint64_t)(uintptr_t)body << 17);
    if (decide_run(&cfg->campaigns, &res->req, &env, a, &res->dec) != 0) {
        /* out of decision memory: an ordinary no-bid, counted under internal.memory */
        res->dec.nbids = 0;
    } else {
        res->decided = true;
    }
    if (res->dec.nbids > 0) {
        /* the seat as the config load measured it (campaigns.seat is sv_from(cfg->seat)); win_url is
         * usually empty: no strlen call for either */
        struct resp_opts opts = {.seat = cfg->campaigns.seat,
                                 .win_url =
                                     cfg->win_url[0] ? sv_from(cfg->win_url) : (struct sv){cfg->win_url, 0}};
        if (resp_write_bids(out, &cfg->campaigns, &res->req, &res->dec, &opts) == 0) {
            res->status = 200;
        } else {
            res->status = 500;
            engine_write_error(out, "response larger than the response buffer", NULL, -1);
        }
    } else if (cfg->no_bid_status == 200) {
        resp_write_nobid(out, res->req.id, cfg->no_bid_nbr);
        res->status = 200;
    } else {
        res->status = 204;
    }
    res->decide_ns = fb_clock_mono_ns() - t0;
    if (ctx && ctx->after && res->parsed) ctx->after(ctx->after_arg, cfg, res);
}
