/* cli_filter: see cli_filter.h. */
#include "bidder/cli/cli_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/cli/cli.h"
#include "bidder/common/file.h"
#include "bidder/config/config.h"
#include "bidder/engine_filter.h"

#define FILTER_FILE_MAX (64u << 20)

static const char usage_text[] =
    "usage: fairbid filter --config FILE --upstream ID [--now YYYY-MM-DD|MS] REQUEST.json|-\n"
    "prints {\"request\": <what would be forwarded to upstream ID, or null>, \"removed\": [{\"path\", "
    "\"reason\"}, ...], \"reason\": ...}\n";

int cli_filter_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *req_path = NULL, *up_id = NULL;
    struct engine_ctx ectx = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--upstream") && i + 1 < argc)
            up_id = argv[++i];
        else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
            if (cli_parse_now(argv[++i], &ectx.now_ms))
                return fprintf(stderr, "fairbid filter: --now %s: want YYYY-MM-DD or epoch ms\n", argv[i]), 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1])
            return fprintf(stderr, "fairbid filter: unknown or incomplete option %s\n%s", argv[i],
                           usage_text),
                   2;
        else
            req_path = argv[i];
    }
    if (!cfg_path || !req_path || !up_id) return fputs(usage_text, stderr), 2;
    char err[1024];
    struct config *cfg = config_load(cfg_path, NULL, err, sizeof err);
    if (!cfg) return fprintf(stderr, "fairbid filter: %s\n", err), 2;
    const struct upstream *up = upstream_find(&cfg->upstreams, up_id, strlen(up_id));
    if (!up) {
        fprintf(stderr, "fairbid filter: %s: no upstream \"%s\" (key \"upstreams\":", cfg_path, up_id);
        for (uint32_t i = 0; i < cfg->upstreams.n; i++) fprintf(stderr, " %s", cfg->upstreams.v[i].id);
        fprintf(stderr, "%s)\n", cfg->upstreams.n ? "" : " none");
        config_free(cfg);
        return 2;
    }
    if (cfg->policy_source == CONFIG_POLICY_NONE)
        fprintf(stderr,
                "fairbid filter: warning: %s: \"policy\": \"none\": no segment is classified, sensitive and "
                "vulnerability segments are passed on\n",
                cfg_path);
    size_t len;
    char *body, ferr[512];
    if (fb_file_read(req_path, FILTER_FILE_MAX, &body, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid filter: %s\n", ferr);
        config_free(cfg);
        return 2;
    }
    /* the request's parse and its scrubbed copy (twice its size at most) live in the arena */
    size_t acap = (size_t)cfg->arena_bytes + 3 * len;
    size_t ocap = 4 * len + (1u << 20);
    char *amem = malloc(acap), *omem = malloc(ocap);
    int rc = 2;
    if (amem && omem) {
        struct arena a;
        arena_init(&a, amem, acap);
        struct buf out;
        buf_init(&out, omem, ocap);
        struct engine_filter_result res;
        engine_filter(cfg, ectx.now_ms ? &ectx : NULL, up, body, len, &a, &out, &res);
        fwrite(out.p, 1, out.len, stdout);
        fputc('\n', stdout);
        rc = res.status == 200 ? 0 : res.status == 500 ? 2 : 1;
    } else {
        fprintf(stderr, "fairbid filter: out of memory\n");
    }
    free(amem);
    free(omem);
    free(body);
    config_free(cfg);
    return rc;
}
