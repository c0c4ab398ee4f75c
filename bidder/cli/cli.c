/* cli: decide and check-config. See cli.h. */
#include "bidder/cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a request or a docs page: far below this; a larger one is a mistake worth a message */
#define CLI_FILE_MAX (64u << 20)

#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "bidder/engine.h"
#include "bidder/upstream/check.h"
#include "filters/decide.h"
#include "filters/jurisdiction.h"
#include "filters/reasons.h"

/* "upstreams": [...] of `decide --upstream-response`: for each upstream, what the request side sends it and
 * each bid of its answer checked as serve checks it (bidder/upstream/check.h). */
static void cli_decide_upstreams(const struct config *cfg, const struct engine_result *res, const char *body,
                                 size_t len, struct arena *a, const char *const *specs, int n, struct buf *p)
{
    static struct bidresp resp;
    static struct upcheck_result cr;
    buf_puts(p, ",\"upstreams\":[");
    for (int k = 0; k < n; k++) {
        const char *eq = strchr(specs[k], '=');
        const struct upstream *u = upstream_find(&cfg->upstreams, specs[k], (size_t)(eq - specs[k]));
        if (k) buf_putc(p, ',');
        buf_puts(p, "\n {\"upstream\":");
        buf_put_json_str(p, (struct sv){specs[k], (size_t)(eq - specs[k])});
        if (!u) {
            buf_puts(p, ",\"error\":\"no such upstream in the config\"}");
            continue;
        }
        size_t cap = 2 * len + SCRUB_SLACK;
        char *fwd = arena_alloc(a, cap, 1);
        struct scrub_result sr;
        int rc = fwd ? upcheck_scrub(cfg, u, res, body, len, a, fwd, cap, &sr) : SCRUB_ENOMEM;
        bool forward = rc == 0 && sr.forward;
        buf_puts(p, forward ? ",\"forwarded\":true" : ",\"forwarded\":false");
        buf_puts(p, ",\"reason\":");
        if (rc == 0 && sr.reason >= 0)
            buf_put_json_str(p, sv_from(reason_name(sr.reason)));
        else
            buf_puts(p, rc ? "\"internal.memory\"" : "null");
        buf_puts(p, rc == 0 && sr.personal ? ",\"personal_data\":true" : ",\"personal_data\":false");
        char *rb;
        size_t rl;
        char ferr[512];
        if (fb_file_read(eq + 1, CLI_FILE_MAX, &rb, &rl, ferr, sizeof ferr) != 0) {
            buf_puts(p, ",\"error\":");
            buf_put_json_str(p, sv_from(ferr));
            buf_putc(p, '}');
            continue;
        }
        if (!forward) buf_puts(p, ",\"note\":\"not forwarded: serve would not have asked this upstream\"");
        upcheck_run(cfg, u, res, rc == 0 && sr.personal, rb, rl, a, &resp, NULL, NULL, &cr);
        buf_puts(p, ",\"response\":");
        buf_put_json_str(p, sv_from(cr.reason == REASON_BID ? "ok" : reason_name(cr.reason)));
        if (cr.reason == REASON_RESPONSE_MALFORMED) {
            buf_puts(p, ",\"response_error\":");
            buf_put_json_str(p, sv_from(cr.err.msg ? cr.err.msg : bidresp_strerror(cr.err.code)));
            buf_puts(p, ",\"offset\":");
            buf_put_u64(p, cr.err.offset);
        }
        buf_puts(p, ",\"bids\":[");
        for (uint32_t i = 0; cr.reason == REASON_BID && i < cr.nbids; i++) {
            const struct upcheck_verdict *v = &cr.v[i];
            const struct bidresp_bid *b = &resp.bid[v->bid];
            if (i) buf_putc(p, ',');
            buf_puts(p, "\n  {\"bid\":");
            buf_put_json_str(p, b->id);
            buf_puts(p, ",\"imp\":");
            buf_put_json_str(p, b->impid);
            buf_puts(p, ",\"outcome\":\"");
            buf_puts(p, v->reason == REASON_BID ? "bid" : "drop");
            buf_puts(p, "\",\"reason\":\"");
            buf_puts(p, reason_name(v->reason));
            buf_puts(p, "\",\"detail\":");
            buf_put_json_str(p, v->detail);
            buf_puts(p, ",\"explanation\":");
            buf_put_json_str(p, sv_from(reason_text(v->reason)));
            buf_putc(p, '}');
        }
        buf_puts(p, "]}");
        free(rb);
    }
    buf_putc(p, ']');
}

int cli_parse_now(const char *s, int64_t *ms)
{
    int32_t d = juris_parse_date(sv_from(s));
    char *end = NULL;
    long long v = d != INT32_MIN ? (long long)d * 86400000 : strtoll(s, &end, 10);
    if ((d == INT32_MIN && (!end || *end || end == s)) || v <= 0) return -1;
    *ms = v;
    return 0;
}

int cli_decide_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *req_path = NULL;
    struct engine_ctx ectx = {0};
    const char *up_resp[UPSTREAM_MAX]; /* "ID=FILE": an upstream's answer to check (filter mode) */
    int nup_resp = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--upstream-response") && i + 1 < argc) {
            if (nup_resp >= UPSTREAM_MAX || !strchr(argv[i + 1], '='))
                return fprintf(stderr, "fairbid decide: --upstream-response ID=FILE (at most %d)\n",
                               UPSTREAM_MAX),
                       2;
            up_resp[nup_resp++] = argv[++i];
        } else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
            if (cli_parse_now(argv[++i], &ectx.now_ms))
                return fprintf(stderr, "fairbid decide: --now %s: want YYYY-MM-DD or epoch ms\n", argv[i]), 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf(
                "usage: fairbid decide --config FILE [--now YYYY-MM-DD|MS] [--upstream-response ID=FILE]... "
                "REQUEST.json|-\n"
                "  --upstream-response ID=FILE: upstream ID's BidResponse to this request (filter mode): "
                "what\n"
                "  it was sent and every bid's outcome, as serve decides them\n");
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1])
            return fprintf(stderr, "fairbid decide: unknown option %s\n", argv[i]), 2;
        else
            req_path = argv[i];
    }
    if (!cfg_path || !req_path) {
        fprintf(stderr, "usage: fairbid decide --config FILE REQUEST.json|-\n");
        return 2;
    }
    char err[1024];
    struct config *cfg = config_load(cfg_path, NULL, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "fairbid decide: %s\n", err);
        return 2;
    }
    if (cfg->policy_source == CONFIG_POLICY_NONE)
        fprintf(stderr,
                "fairbid decide: warning: %s: \"policy\": \"none\": no sensitive-category rules; off: %s\n",
                cfg_path, config_protections_off_json(cfg));
    size_t len;
    char *body, ferr[512];
    if (fb_file_read(req_path, CLI_FILE_MAX, &body, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid decide: %s\n", ferr);
        config_free(cfg);
        return 2;
    }
    size_t acap = (size_t)cfg->arena_bytes;
    char *amem = malloc(acap), *omem = malloc(1u << 20);
    size_t pcap = 1u << 22;
    char *pmem = malloc(pcap);
    if (!amem || !omem || !pmem) return 2;
    struct arena a;
    arena_init(&a, amem, acap);
    struct buf out;
    buf_init(&out, omem, 1u << 20);
    struct engine_result res;
    engine_bid(cfg, ectx.now_ms ? &ectx : NULL, body, len, &a, &out, &res);

    struct buf p;
    buf_init(&p, pmem, pcap);
    buf_puts(&p, "{\"status\":");
    buf_put_i64(&p, res.status);
    buf_puts(&p, ",\"response\":");
    if (res.status == 200 || res.status == 400 || res.status == 413)
        buf_put(&p, out.p, out.len);
    else
        buf_puts(&p, "null");
    if (res.decided) {
        /* where the person is and the rules in force there (docs/jurisdictions.md) */
        const struct juris_state *js = &res.dec.juris;
        static const char *const how[] = {"none", "geo", "gpp", "gdpr", "unknown_region"};
        static const char *const geo[] = {"allowed", "consent", "banned"};
        buf_puts(&p, ",\"jurisdiction\":{\"code\":");
        buf_put_json_str(&p, sv_from(js->code));
        buf_puts(&p, ",\"resolved_by\":\"");
        buf_puts(&p, how[js->how < 5 ? js->how : 0]);
        buf_puts(&p, "\",\"laws\":[");
        const struct juris_table *jt = cfg->campaigns.juris;
        bool first = true;
        for (uint64_t m = js->mask; jt && m; m &= m - 1) {
            if (!first) buf_putc(&p, ',');
            first = false;
            buf_put_json_str(&p, sv_from(jt->code[__builtin_ctzll(m)]));
        }
        buf_puts(&p, "],\"min_age\":");
        buf_put_i64(&p, js->min_age);
        buf_puts(&p, js->sensitive_banned ? ",\"sensitive_banned\":true" : ",\"sensitive_banned\":false");
        buf_puts(&p, ",\"precise_geo\":\"");
        buf_puts(&p, geo[js->precise_geo < 3 ? js->precise_geo : 2]);
        buf_puts(&p, js->political ? "\",\"political\":\"eu_2024_900\"}" : "\",\"political\":\"none\"}");
    }
    buf_puts(&p, ",\"decisions\":[");
    if (res.decided) {
        for (uint32_t i = 0; i < res.dec.nv; i++) {
            const struct decide_verdict *v = &res.dec.v[i];
            char detail[512];
            size_t dl = decide_detail(&cfg->campaigns, &res.req, v, detail, sizeof detail);
            if (i) buf_putc(&p, ',');
            buf_puts(&p, "\n {\"imp\":");
            buf_put_json_str(&p, res.req.imp[v->imp].id);
            buf_puts(&p, ",\"campaign\":");
            buf_put_json_str(&p, cfg->campaigns.v[v->campaign].id);
            buf_puts(&p, ",\"outcome\":\"");
            buf_puts(&p, v->reason == REASON_BID ? "bid" : "drop");
            buf_puts(&p, "\",\"reason\":\"");
            buf_puts(&p, reason_name(v->reason));
            buf_puts(&p, "\",\"detail\":");
            buf_put_json_str(&p, (struct sv){detail, dl});
            buf_puts(&p, ",\"explanation\":");
            buf_put_json_str(&p, sv_from(reason_text(v->reason)));
            buf_putc(&p, '}');
        }
    }
    buf_puts(&p, "]");
    if (nup_resp && res.decided) cli_decide_upstreams(cfg, &res, body, len, &a, up_resp, nup_resp, &p);
    buf_puts(&p, "}\n");
    fwrite(p.p, 1, p.len, stdout);
    int rc = (res.status == 400 || res.status == 413) ? 1 : 0;
    free(amem);
    free(omem);
    free(pmem);
    free(body);
    config_free(cfg);
    return rc;
}

int cli_check_config_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: fairbid check-config FILE\n\nSettings:\n");
        config_print_table(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    char err[1024];
    struct config *cfg = config_load(argv[1], NULL, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("%s: ok: %u campaigns, listen %s, threads %d, currency %s, redis %s, policy %s%s%s\n", argv[1],
           cfg->campaigns.n, cfg->listen, cfg->threads, cfg->currency, cfg->redis[0] ? cfg->redis : "(none)",
           config_policy_source_name(cfg->policy_source), cfg->policy_file[0] ? " " : "", cfg->policy_file);
    if (cfg->policy_source == CONFIG_POLICY_NONE)
        fprintf(stderr, "%s: warning: \"policy\": \"none\": no sensitive-category rules; off: %s\n", argv[1],
                config_protections_off_json(cfg));
    for (uint32_t i = 0; i < cfg->upstreams.n; i++) { /* filter mode (docs/filter.md) */
        const struct upstream *u = &cfg->upstreams.v[i];
        printf("%s: upstream %s: %s, tcf_vendor_id %d, timeout_ms %d, %d connections, %s\n", argv[1], u->id,
               u->url, (int)u->tcf_vendor_id, (int)u->timeout_ms, (int)u->connections,
               u->u.loopback ? "loopback" : "remote (allow_remote)");
    }
    config_free(cfg);
    return 0;
}

int cli_config_doc_main(int argc, char **argv)
{
    if (argc == 1) {
        config_doc_write(stdout);
        return 0;
    }
    bool check = argc == 3 && !strcmp(argv[1], "--check"), update = argc == 3 && !strcmp(argv[1], "--update");
    if (!check && !update) {
        fprintf(stderr, "usage: fairbid config-doc [--check FILE | --update FILE]\n");
        return 2;
    }
    size_t len = 0;
    char *doc, ferr[512];
    if (fb_file_read(argv[2], CLI_FILE_MAX, &doc, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid config-doc: %s\n", ferr);
        return 2;
    }
    char *gen = NULL;
    if (config_doc_update(doc, len, &gen)) {
        fprintf(stderr,
                "%s: the two generated blocks (<!-- BEGIN GENERATED ... --> ... <!-- END GENERATED -->) "
                "are missing\n",
                argv[2]);
        free(doc);
        return 2;
    }
    int rc = 0;
    if (check) {
        if (strlen(gen) != len || memcmp(gen, doc, len) != 0) {
            fprintf(
                stderr,
                "%s: differs from the config table (bidder/config/config_table.c): run `fairbid config-doc "
                "--update %s`\n",
                argv[2], argv[2]);
            rc = 1;
        }
    } else {
        FILE *f = fopen(argv[2], "wb");
        if (!f || fputs(gen, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "%s: cannot write: %s\n", argv[2], strerror(errno));
            rc = 2;
        }
    }
    free(gen);
    free(doc);
    return rc;
}
