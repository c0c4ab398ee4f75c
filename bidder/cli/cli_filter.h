/* cli_filter: `fairbid filter --config FILE --upstream ID REQUEST.json`: what filter mode would forward to
 * that upstream, offline (the answer of POST /openrtb2/filter, from the same code: bidder/engine_filter.h).
 */
#ifndef FAIRBID_BIDDER_CLI_FILTER_H
#define FAIRBID_BIDDER_CLI_FILTER_H

/* Exit 0 with the answer printed (forwarded or not), 1 when the request is rejected (400/413), 2 on a usage,
 * config or file error. With --out-dir DIR, any number of requests, each answer and exit status to a file in
 * DIR: exit 0 when all were written, 2 when one could not be. */
int cli_filter_main(int argc, char **argv);

#endif
