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
    "       fairbid filter --config FILE --upstream ID [--now YYYY-MM-DD|MS] --out-dir DIR REQUEST.json...\n"
    "prints {\"request\": <what would be forwarded to upstream ID, or null>, \"removed\": [{\"path\", "
    "\"reason\"}, ...], \"reason\": ...}\n"
    "--out-dir: each REQUEST's answer (the bytes it alone would print) to DIR/<its file name>, its exit "
    "status to "
    "DIR/<its file name>.status\n";

/* One request file through filter mode: its answer (and a newline) to out. The exit status of a one-file run:
 * 0 answered, 1 rejected (400/413), 2 a file or memory error (said on stderr). */
static int filter_one(const struct config *cfg, const struct engine_ctx *ectx, const struct upstream *up,
                      const char *req_path, FILE *out)
{
    size_t len;
    char *body, ferr[512];
    if (fb_file_read(req_path, FILTER_FILE_MAX, &body, &len, ferr, sizeof ferr) != 0) {
        fprintf(stderr, "fairbid filter: %s\n", ferr);
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
        struct buf ob;
        buf_init(&ob, omem, ocap);
        struct engine_filter_result res;
        engine_filter(cfg, ectx->now_ms ? ectx : NULL, up, body, len, &a, &ob, &res);
        fwrite(ob.p, 1, ob.len, out);
        fputc('\n', out);
        rc = res.status == 200 ? 0 : res.status == 500 ? 2 : 1;
    } else {
        fprintf(stderr, "fairbid filter: out of memory\n");
    }
    free(amem);
    free(omem);
    free(body);
    return rc;
}

/* --out-dir DIR: filter_one for each path into DIR/<base name>, its status into DIR/<base name>.status (one
 * process for a whole corpus: tests/integration/test_filter_request.sh). 0 when every answer and status was
 * written, 2 when one could not be. */
static int filter_many(const struct config *cfg, const struct engine_ctx *ectx, const struct upstream *up,
                       const char *dir, char **paths, int n)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        base = base ? base + 1 : paths[i];
        char path[4096];
        int pl = snprintf(path, sizeof path, "%s/%s", dir, base);
        if (pl < 0 || (size_t)pl + sizeof ".status" > sizeof path || !strcmp(paths[i], "-")) {
            fprintf(stderr, "fairbid filter: %s: not a file name for --out-dir\n", paths[i]);
            rc = 2;
            continue;
        }
        FILE *o = fopen(path, "w");
        if (!o) {
            fprintf(stderr, "fairbid filter: %s: cannot write\n", path);
            rc = 2;
            continue;
        }
        int st = filter_one(cfg, ectx, up, paths[i], o);
        if (fclose(o) != 0) rc = 2;
        memcpy(path + pl, ".status", sizeof ".status");
        FILE *so = fopen(path, "w");
        if (!so || fprintf(so, "%d\n", st) < 0) rc = 2;
        if (so && fclose(so) != 0) rc = 2;
    }
    return rc;
}

int cli_filter_main(int argc, char **argv)
{
    const char *cfg_path = NULL, *req_path = NULL, *up_id = NULL, *out_dir = NULL;
    struct engine_ctx ectx = {0};
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    int npaths = 0;
    if (!paths) return fputs("fairbid filter: out of memory\n", stderr), 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--upstream") && i + 1 < argc)
            up_id = argv[++i];
        else if (!strcmp(argv[i], "--out-dir") && i + 1 < argc)
            out_dir = argv[++i];
        else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
            if (cli_parse_now(argv[++i], &ectx.now_ms))
                return free(paths),
                       fprintf(stderr, "fairbid filter: --now %s: want YYYY-MM-DD or epoch ms\n", argv[i]), 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return free(paths), 0;
        } else if (argv[i][0] == '-' && argv[i][1])
            return free(paths),
                   fprintf(stderr, "fairbid filter: unknown or incomplete option %s\n%s", argv[i],
                           usage_text),
                   2;
        else
            req_path = paths[npaths++] = argv[i];
    }
    /* one request without --out-dir (the last one named, as before); any number with it */
    if (!cfg_path || !req_path || !up_id) return free(paths), fputs(usage_text, stderr), 2;
    char err[1024];
    struct config *cfg = config_load(cfg_path, NULL, err, sizeof err);
    if (!cfg) return free(paths), fprintf(stderr, "fairbid filter: %s\n", err), 2;
    const struct upstream *up = upstream_find(&cfg->upstreams, up_id, strlen(up_id));
    if (!up) {
        fprintf(stderr, "fairbid filter: %s: no upstream \"%s\" (key \"upstreams\":", cfg_path, up_id);
        for (uint32_t i = 0; i < cfg->upstreams.n; i++) fprintf(stderr, " %s", cfg->upstreams.v[i].id);
        fprintf(stderr, "%s)\n", cfg->upstreams.n ? "" : " none");
        config_free(cfg);
        free(paths);
        return 2;
    }
    if (cfg->policy_source == CONFIG_POLICY_NONE)
        fprintf(stderr,
                "fairbid filter: warning: %s: \"policy\": \"none\": no segment is classified, sensitive and "
                "vulnerability segments are passed on\n",
                cfg_path);
    int rc = out_dir ? filter_many(cfg, &ectx, up, out_dir, paths, npaths)
                     : filter_one(cfg, &ectx, up, req_path, stdout);
    config_free(cfg);
    free(paths);
    return rc;
}
