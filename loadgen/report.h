/* report: what a run found, as a human-readable table, as JSON (--json) and as a gnuplot PNG (--png) with the
 * latency percentile curve and the per-second time-line. Reads the merged stats; writes only its outputs. */
#ifndef FAIRBID_LOADGEN_REPORT_H
#define FAIRBID_LOADGEN_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "loadgen/run.h"

struct report_in {
    const struct run_cfg *cfg;
    const struct run_stats *st;
    const struct run_stats *pingpong; /* NULL unless --pingpong */
    double cpu_user_s, cpu_sys_s;     /* ours, over the measured window */
    bool have_server;
    int server_pid;
    double server_cpu_s; /* the server's user + system time over the measured window */
    bool interrupted;
};

void report_print(FILE *f, const struct report_in *in);
/* Returns 0, or -1 with errno-style failure already printed to stderr. */
int report_json(const char *path, const struct report_in *in);
int report_png(const char *path, const struct report_in *in);

#endif
