/* cli_decode: `fairbid decode tcf|gpp|usp STRING` and `fairbid decode --batch tcf|gpp|usp`, which print
 * the decoded consent string as JSON with the field names of IAB's reference libraries
 * (@iabtechlabtcf/core TCModel, @iabgpp/cmpapi sections). */
#ifndef FAIRBID_BIDDER_CLI_DECODE_H
#define FAIRBID_BIDDER_CLI_DECODE_H

/* argv[0] is "decode", then either KIND STRING or --batch KIND (one string per line on stdin, one JSON
 * object per line on stdout, {"error":"..."} for a bad line). Single mode: a bad string prints an error
 * JSON on stderr and returns 1. Returns the process exit code (2 for usage errors). */
int cli_decode_main(int argc, char **argv);

#endif
