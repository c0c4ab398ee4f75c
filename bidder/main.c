/* fairbid: one binary, several subcommands; each reuses the service's own code paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/cli/cli_filter.h"
#include "bidder/cli/cli.h"
#include "bidder/server/server.h"
#include "bidder/cli/cli_consent.h"
#include "bidder/cli/cli_audit.h"
#include "bidder/cli/cli_fairness.h"
#include "bidder/cli/cli_decode.h"

static void usage(FILE *f)
{
    fprintf(f,
            "fairbid %s: an OpenRTB 2.6 bidder that refuses unfair targeting\n\n"
            "usage: fairbid <command> [options]\n\n"
            "commands:\n"
            "  serve --config FILE [--listen HOST:PORT] [--threads N] [--redis URL] [--port-file PATH]\n"
            "        [--http-server native]\n"
            "                          run the service\n"
            "  decide --config FILE REQUEST.json\n"
            "                          decide one request offline and explain every drop\n"
            "  check-config FILE       validate a config file\n"
            "  config-doc [--check FILE|--update FILE]\n"
            "                          the settings tables of docs/config.md, from the config table\n"
            "  decode tcf|gpp|usp STRING\n"
            "                          decode a consent string to JSON\n"
            "  consent set|get|del|load|digest ...\n"
            "                          read and write the advertiser's consent store in Redis\n"
            "  audit tail [--redis URL|--config FILE] [--count N] [--follow]\n"
            "                          read the audit trail (Redis stream fairbid:audit)\n"
            "  fairness report --config FILE [--redis URL] [--json] [--png FILE]\n"
            "                          delivery per campaign and group from the fleet totals\n"
            "  filter --config FILE --upstream ID REQUEST.json\n"
            "                          what filter mode would forward to an upstream bidder, and what it "
            "removes\n"
            "  version                 print the version\n",
            FAIRBID_VERSION);
}

static int serve_main(int argc, char **argv)
{
    struct server_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--config") && v)
            o.config_path = argv[++i];
        else if (!strcmp(a, "--listen") && v)
            o.ov.listen = argv[++i];
        else if (!strcmp(a, "--threads") && v) {
            o.ov.threads = atoi(argv[++i]);
            if (o.ov.threads < 1 || o.ov.threads > 256) {
                fprintf(stderr, "fairbid serve: --threads must be 1..256\n");
                return 2;
            }
        } else if (!strcmp(a, "--redis") && v)
            o.ov.redis = argv[++i];
        else if (!strcmp(a, "--http-server") && v)
            o.ov.http_server = argv[++i];
        else if (!strcmp(a, "--port-file") && v)
            o.port_file = argv[++i];
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "fairbid serve: unknown or incomplete option %s\n", a);
            return 2;
        }
    }
    if (!o.config_path) {
        fprintf(stderr, "fairbid serve: --config FILE is required\n");
        return 2;
    }
    return server_run(&o);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "serve")) return serve_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "decide")) return cli_decide_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "check-config")) return cli_check_config_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "config-doc")) return cli_config_doc_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("fairbid %s\n", FAIRBID_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "decode")) return cli_decode_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "consent")) return cli_consent_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "audit")) return cli_audit_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "fairness")) return cli_fairness_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "filter")) return cli_filter_main(argc - 1, argv + 1);
    fprintf(stderr, "fairbid: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
