/* cli_audit: `fairbid audit tail [--redis URL|--config FILE] [--count N] [--follow]`: prints the last N
 * records of the Redis stream fairbid:audit (oldest first), then with --follow waits for new ones (XREAD
 * BLOCK). */
#ifndef FAIRBID_BIDDER_CLI_AUDIT_H
#define FAIRBID_BIDDER_CLI_AUDIT_H

/* argv[0] is "audit". Returns the process exit code: 0, 1 (Redis error), 2 (usage). */
int cli_audit_main(int argc, char **argv);

#endif
