/* cli_fairness: `fairbid fairness report --config FILE [--redis URL] [--json] [--png FILE]`: per constrained
 * campaign, the fleet totals over its fairness window read from Redis (the keys bidder/fairness/ writes), as
 * a table of groups (eligible share, delivered share, delivery rate on bids and wins), impact ratio and TVD
 * per attribute, and cap usage. --png draws delivered vs eligible share per group with gnuplot. */
#ifndef FAIRBID_BIDDER_CLI_FAIRNESS_H
#define FAIRBID_BIDDER_CLI_FAIRNESS_H

/* argv[0] is "fairness". Returns the process exit code: 0, 1 (config or Redis error), 2 (usage). */
int cli_fairness_main(int argc, char **argv);

#endif
