/* cli: decide and check-config. See cli.h. */
#include "bidder/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/config.h"
#include "bidder/engine.h"
#include "filters/decide.h"
#include "filters/reasons.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (n < cap) break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return b;
}

int cli_decide_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *req_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: fairbid decide --config FILE REQUEST.json|-\n");
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
    char *body = read_file(req_path, &len);
    if (!body) {
        fprintf(stderr, "fairbid decide: %s: %s\n", req_path, strerror(errno));
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
    engine_bid(cfg, NULL, body, len, &a, &out, &res);

    struct buf p;
    buf_init(&p, pmem, pcap);
    buf_puts(&p, "{\"status\":");
    buf_put_i64(&p, res.status);
    buf_puts(&p, ",\"response\":");
    if (res.status == 200 || res.status == 400 || res.status == 413)
        buf_put(&p, out.p, out.len);
    else
        buf_puts(&p, "null");
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
    buf_puts(&p, "]}\n");
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
    config_free(cfg);
    return 0;
}
