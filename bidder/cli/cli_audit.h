/* cli_audit: `fairbid audit tail [--redis URL|--config FILE] [--count N] [--follow]`: prints the last N
 * records of the Redis stream fairbid:audit (oldest first), then with --follow waits for new ones (XREAD
 * BLOCK). */
#ifndef FAIRBID_BIDDER_CLI_AUDIT_H
#define FAIRBID_BIDDER_CLI_AUDIT_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..n) to f with what could fake or corrupt a line escaped: C0 controls and DEL (\n \r \t or
 * \xHH; a request id carrying CR/LF could otherwise forge audit lines, and ESC could drive the terminal), C1
 * controls (U+0080..U+009F), bytes that are not valid UTF-8, and the backslash itself (\\), so the output
 * reads back unambiguously. Valid UTF-8 text prints as it is. */
void cli_audit_print_escaped(FILE *f, const char *s, size_t n);

/* argv[0] is "audit". Returns the process exit code: 0, 1 (Redis error), 2 (usage). */
int cli_audit_main(int argc, char **argv);

#endif
