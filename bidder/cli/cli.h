/* cli: the offline subcommands that reuse the service's code paths. */
#ifndef FAIRBID_BIDDER_CLI_H
#define FAIRBID_BIDDER_CLI_H

#include <stdint.h>

/* `fairbid decide --config FILE REQUEST.json`: prints {"response": ..., "decisions": [...]} as the service
 * would decide right now. Exit 0 on a decision (bid or not), 1 when the request is rejected (400), 2 on
 * config error. */
int cli_decide_main(int argc, char **argv);
/* `fairbid check-config FILE`: validates; prints a summary, or the error naming file, line and key. */
int cli_check_config_main(int argc, char **argv);
/* `fairbid config-doc [--check FILE | --update FILE]`: prints the generated tables of docs/config.md (from
 * the config table), or compares FILE's generated blocks with them (exit 1 when they differ), or rewrites
 * them in FILE. */
int cli_config_doc_main(int argc, char **argv);
/* The value of --now (decide, filter): "YYYY-MM-DD" (UTC midnight) or milliseconds since the epoch, into
 * *ms (> 0). 0, or -1 when it is neither (the caller names its subcommand in the message). */
int cli_parse_now(const char *s, int64_t *ms);

#endif
