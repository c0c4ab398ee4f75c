/* fairbid-loadgen: command line, safety checks and the order of a run (traffic pool, optional ping-pong
 * phase, the measured phase, the report). One table drives option parsing, bounds and --help. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "loadgen/exchange.h"
#include "loadgen/gen.h"
#include "loadgen/report.h"
#include "loadgen/run.h"
#include "loadgen/traffic.h"

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

enum opt_type { O_FLAG, O_UINT, O_DOUBLE, O_SHARE, O_DURATION, O_STRING, O_TARGET, O_SPECIAL };

struct options {
    const char *targets[RUN_MAX_TARGETS];
    unsigned ntargets;
    double rate;
    int max;
    uint64_t connections, threads, requests, pool, users, seed, spin_us, vendor_id, server_pid;
    uint64_t duration_ns, warmup_ns, timeout_ns, pingpong_ns;
    int gzip, allow_remote, pingpong, busy_poll, no_busy_poll, exchange, second_price;
    const char *requests_dir, *requests_file, *json, *png, *segments, *groups, *compete, *purpose, *imps,
        *tcf_encoding;
    uint64_t dump_strings;
    int dump_strings_set;
    double compete_median, compete_sigma;
    struct gen_opts gen;
};

struct opt {
    const char *name;
    enum opt_type type;
    size_t off; /* into struct options */
    double min, max;
    const char *arg, *help;
};

#define OFF(f) offsetof(struct options, f)
static const struct opt opts[] = {
    {"target", O_TARGET, 0, 0, 0, "URL",
     "http://host:port/path to load; repeat to spread connections over several"},
    {"rate", O_DOUBLE, OFF(rate), 0.001, 10e6, "R", "open loop: R requests per second on a fixed schedule"},
    {"max", O_FLAG, OFF(max), 0, 0, NULL, "closed loop: each connection sends again as soon as answered"},
    {"connections", O_UINT, OFF(connections), 1, RUN_MAX_CONNECTIONS, "N", "connections in all (default 10)"},
    {"threads", O_UINT, OFF(threads), 1, RUN_MAX_THREADS, "N",
     "threads, each with its own event loop (default 1)"},
    {"duration", O_DURATION, OFF(duration_ns), 0.001, RUN_MAX_SECONDS, "D",
     "measured time after the warm-up: 500ms, 10s, 2m, 1h (default 10s)"},
    {"warmup", O_DURATION, OFF(warmup_ns), 0, 3600, "D",
     "unmeasured load before the measured time (default 1s)"},
    {"requests", O_UINT, OFF(requests), 1, 1e15, "N",
     "stop after N measured requests (the duration still bounds)"},
    {"timeout", O_DURATION, OFF(timeout_ns), 0.001, 600, "D",
     "per request; also the longest wait for answers at the end (default 2s)"},
    {"gzip", O_FLAG, OFF(gzip), 0, 0, NULL, "send gzip-compressed bodies (Content-Encoding: gzip)"},
    {"allow-remote", O_FLAG, OFF(allow_remote), 0, 0, NULL,
     "allow targets and win-notice hosts off loopback"},
    {"pingpong", O_FLAG, OFF(pingpong), 0, 0, NULL,
     "also measure a 1-connection closed-loop round trip to the first target (half before, half after the "
     "run)"},
    {"pingpong-duration", O_DURATION, OFF(pingpong_ns), 0.02, 60, "D", "ping-pong time in all (default 2s)"},
    {"spin-us", O_UINT, OFF(spin_us), 0, 1e6, "US", "busy-poll this long before each due time (default 200)"},
    {"busy-poll", O_FLAG, OFF(busy_poll), 0, 0, NULL,
     "busy-poll while requests are in flight (default for --rate and --pingpong)"},
    {"no-busy-poll", O_FLAG, OFF(no_busy_poll), 0, 0, NULL, "sleep in epoll while requests are in flight"},
    {"server-pid", O_UINT, OFF(server_pid), 1, 4194304, "PID",
     "report this local server's CPU time per request"},
    {"json", O_STRING, OFF(json), 0, 0, "FILE", "write the report as JSON ('-' for stdout)"},
    {"png", O_STRING, OFF(png), 0, 0, "FILE", "draw the percentile curve and the time-line with gnuplot"},
    {"requests-dir", O_STRING, OFF(requests_dir), 0, 0, "DIR", "send the *.json files of DIR, in name order"},
    {"requests-file", O_STRING, OFF(requests_file), 0, 0, "FILE", "send the JSON lines of FILE"},
    {"pool", O_UINT, OFF(pool), 1, 10000000, "N",
     "built-in generator: distinct requests to cycle (default 4096)"},
    {"seed", O_UINT, OFF(seed), 0, 1.8e19, "N", "seed for traffic and competing prices (default 1)"},
    {"users", O_UINT, OFF(users), 0, 4e9, "N",
     "user ids lg-user-0 .. lg-user-(N-1) (default 100000; 0: none)"},
    {"imps", O_STRING, OFF(imps), 0, 0, "N|A-B", "imps per request (default 1)"},
    {"gdpr-share", O_SHARE, OFF(gen.gdpr_share), 0, 1, "P",
     "share under GDPR, with a TC string (default 0.3)"},
    {"purpose-share", O_STRING, OFF(purpose), 0, 0, "P|N=P,..",
     "share of TC strings consenting to each purpose, or per purpose 1..10 (default 0.8)"},
    {"vendor-share", O_SHARE, OFF(gen.vendor_share), 0, 1, "P",
     "share consenting to our vendor (default 0.8)"},
    {"vendor-id", O_UINT, OFF(vendor_id), 1, 65535, "ID", "fairbid's TCF vendor id (default 1000)"},
    {"tcf-global-share", O_SHARE, OFF(gen.tcf_global_share), 0, 1, "P",
     "TC strings with IsServiceSpecific = 0, invalid under TCF 2.2 (default 0)"},
    {"tcf-encoding", O_STRING, OFF(tcf_encoding), 0, 0, "E", "bitfield, range, shortest or mixed (default)"},
    {"gpp-share", O_SHARE, OFF(gen.gpp_share), 0, 1, "P",
     "non-GDPR share with GPP US National (default 0.4)"},
    {"optout-share", O_SHARE, OFF(gen.optout_share), 0, 1, "P",
     "each of sale, sharing, targeted-ads opt-outs in GPP and US Privacy (default 0.2)"},
    {"sensitive-consent-share", O_SHARE, OFF(gen.sensitive_consent_share), 0, 1, "P",
     "each US National sensitive-data category consented (default 0.1)"},
    {"usp-share", O_SHARE, OFF(gen.usp_share), 0, 1, "P",
     "non-GDPR share with a US Privacy string (default 0.3)"},
    {"gpc-share", O_SHARE, OFF(gen.gpc_share), 0, 1, "P", "share with Global Privacy Control (default 0.05)"},
    {"coppa-share", O_SHARE, OFF(gen.coppa_share), 0, 1, "P", "share with regs.coppa = 1 (default 0.01)"},
    {"minor-share", O_SHARE, OFF(gen.minor_share), 0, 1, "P", "share of people aged 13-17 (default 0.05)"},
    {"dsa-share", O_SHARE, OFF(gen.dsa_share), 0, 1, "P", "GDPR share with regs.ext.dsa (default 0)"},
    {"segments", O_STRING, OFF(segments), 0, 0, "C=P,..",
     "chance of a segment per class: ordinary, demographic, health, politics, religion, ethnicity, "
     "financial_hardship, addiction, minor"},
    {"groups", O_STRING, OFF(groups), 0, 0, "G=P,..", "male, female, other shares; the rest is unknown"},
    {"exchange", O_FLAG, OFF(exchange), 0, 0, NULL,
     "simulate the auction: competing prices, wins, win notices"},
    {"compete", O_STRING, OFF(compete), 0, 0, "G=M,..",
     "competing-price multiplier per group, e.g. female=1.25"},
    {"compete-median", O_DOUBLE, OFF(compete_median), 0.000001, 1e6, "CPM",
     "median competing price (default 1)"},
    {"compete-sigma", O_DOUBLE, OFF(compete_sigma), 0, 10, "S", "log-normal shape (default 0.5)"},
    {"second-price", O_FLAG, OFF(second_price), 0, 0, NULL, "clear at the competing price, not our bid"},
    {"dump-strings", O_UINT, OFF(dump_strings), 1, 1e7, "N",
     "print the TC and GPP strings of generated requests 0..N-1 and exit (for the interop check)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: fairbid-loadgen --target URL (--rate R | --max) [options]\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-30s %s\n", left, opts[i].help);
    }
    fprintf(f, "\nTargets must be loopback addresses unless --allow-remote. Every run ends by itself after\n"
               "warm-up + duration + at most one timeout; Ctrl-C prints the report so far.\n");
}

static int parse_duration(const char *s, uint64_t *ns)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (e == s || errno || !(v >= 0)) return -1;
    double mult = 1e9;
    if (!strcmp(e, "ms"))
        mult = 1e6;
    else if (!strcmp(e, "us"))
        mult = 1e3;
    else if (!strcmp(e, "s") || !*e)
        mult = 1e9;
    else if (!strcmp(e, "m"))
        mult = 60e9;
    else if (!strcmp(e, "h"))
        mult = 3600e9;
    else
        return -1;
    *ns = (uint64_t)(v * mult);
    return 0;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fairbid-loadgen: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(fairbid-loadgen --help lists the options)\n");
    exit(EXIT_USAGE);
}

static void parse_args(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0) die_usage("unexpected argument '%s'", a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *op = NULL;
        for (size_t k = 0; k < NOPTS; k++)
            if (strlen(opts[k].name) == nl && !strncmp(opts[k].name, name, nl)) op = &opts[k];
        if (!op) die_usage("unknown option '%s'", a);
        char *dst = (char *)o + op->off;
        if (op->type == O_FLAG) {
            if (eq) die_usage("--%s takes no value", op->name);
            *(int *)dst = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) die_usage("--%s needs a value", op->name);
        char *e;
        switch (op->type) {
        case O_UINT: {
            errno = 0;
            double d = strtod(v, &e);
            if (e == v || *e || errno || d != (double)(uint64_t)d || d < op->min || d > op->max)
                die_usage("--%s: '%s' is not a whole number in range", op->name, v);
            *(uint64_t *)dst = strtoull(v, NULL, 10);
            if (!strcmp(op->name, "dump-strings")) o->dump_strings_set = 1;
            break;
        }
        case O_DOUBLE:
        case O_SHARE: {
            errno = 0;
            double d = strtod(v, &e);
            if (e == v || *e || errno || !(d >= op->min && d <= op->max))
                die_usage(op->type == O_SHARE ? "--%s: '%s' is not a share between 0 and 1"
                                              : "--%s: '%s' is not a number in range",
                          op->name, v);
            *(double *)dst = d;
            break;
        }
        case O_DURATION: {
            uint64_t ns;
            if (parse_duration(v, &ns) < 0 || (double)ns < op->min * 1e9 || (double)ns > op->max * 1e9)
                die_usage("--%s: '%s' is not a duration in range (e.g. 500ms, 10s, 2m)", op->name, v);
            *(uint64_t *)dst = ns;
            break;
        }
        case O_STRING:
            *(const char **)dst = v;
            break;
        case O_TARGET:
            if (o->ntargets == RUN_MAX_TARGETS) die_usage("too many --target");
            o->targets[o->ntargets++] = v;
            break;
        default:
            break;
        }
    }
}

/* "name=share,..." against a list of names; fills out[]. */
static void parse_shares(const char *opt, const char *spec, const char *const *names, int n, double *out)
{
    char buf[1024];
    if (strlen(spec) >= sizeof buf) die_usage("--%s: value too long", opt);
    strcpy(buf, spec);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) die_usage("--%s: expected name=share, got '%s'", opt, tok);
        *eq = '\0';
        int k = -1;
        for (int i = 0; i < n; i++)
            if (names[i] && !strcmp(names[i], tok)) k = i;
        char *e;
        double v = strtod(eq + 1, &e);
        if (k < 0) die_usage("--%s: unknown name '%s'", opt, tok);
        if (*e || e == eq + 1 || !(v >= 0 && v <= 1))
            die_usage("--%s: '%s' is not a share between 0 and 1", opt, eq + 1);
        out[k] = v;
    }
}

static void apply_generator_options(struct options *o)
{
    struct gen_opts *g = &o->gen;
    g->seed = o->seed;
    g->users = (uint32_t)o->users;
    g->vendor_id = (uint16_t)o->vendor_id;
    if (o->purpose) {
        char *e;
        double v = strtod(o->purpose, &e);
        if (!*e && e != o->purpose) {
            if (!(v >= 0 && v <= 1)) die_usage("--purpose-share: '%s' is not a share", o->purpose);
            for (int i = 0; i < GEN_NPURPOSES; i++) g->purpose_share[i] = v;
        } else {
            static const char *const pn[GEN_NPURPOSES] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
            parse_shares("purpose-share", o->purpose, pn, GEN_NPURPOSES, g->purpose_share);
        }
    }
    if (o->segments) parse_shares("segments", o->segments, gen_segclass_names, GEN_NSEGCLASSES, g->seg_share);
    if (o->groups) {
        double s[GEN_NGROUPS] = {0}; /* groups not named get no share */
        parse_shares("groups", o->groups, gen_group_names, GEN_GROUP_UNKNOWN, s);
        if (s[0] + s[1] + s[2] > 1.0 + 1e-9) die_usage("--groups: shares add up to more than 1");
        memcpy(g->group_share, s, sizeof s);
    }
    if (o->imps) {
        unsigned a, b;
        char extra;
        if (sscanf(o->imps, "%u-%u%c", &a, &b, &extra) == 2) {
            g->imps_min = a;
            g->imps_max = b;
        } else if (sscanf(o->imps, "%u%c", &a, &extra) == 1) {
            g->imps_min = g->imps_max = a;
        } else {
            die_usage("--imps: '%s' is not N or A-B", o->imps);
        }
        if (g->imps_min < 1 || g->imps_max > GEN_MAX_IMPS || g->imps_min > g->imps_max)
            die_usage("--imps: '%s' must lie within 1..16", o->imps);
    }
    if (o->tcf_encoding) {
        if (!strcmp(o->tcf_encoding, "bitfield"))
            g->tcf_enc = CONSENT_ENC_BITFIELD;
        else if (!strcmp(o->tcf_encoding, "range"))
            g->tcf_enc = CONSENT_ENC_RANGE;
        else if (!strcmp(o->tcf_encoding, "shortest"))
            g->tcf_enc = CONSENT_ENC_SHORTEST;
        else if (!strcmp(o->tcf_encoding, "mixed"))
            g->tcf_enc = GEN_TCF_MIXED;
        else
            die_usage("--tcf-encoding: '%s' is not bitfield, range, shortest or mixed", o->tcf_encoding);
    }
}

/* ---- CPU accounting --------------------------------------------------------------------------------------
 */

static int read_proc_cpu(int pid, double *secs)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces and parentheses: start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long utime, stime;
    /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -1;
    *secs = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

struct cpu_sample {
    struct rusage self;
    double server;
    bool server_ok;
    int pid;
};

static void sample_cpu(struct cpu_sample *s)
{
    getrusage(RUSAGE_SELF, &s->self);
    s->server_ok = s->pid > 0 && read_proc_cpu(s->pid, &s->server) == 0;
}

static void on_measure_start(void *arg)
{
    sample_cpu(arg);
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- main ------------------------------------------------------------------------------------------------
 */

static atomic_int g_stop;

static void on_sigint(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
    /* A second Ctrl-C ends the process without a report. */
    signal(SIGINT, SIG_DFL);
}

static int setup_targets(const struct options *o, struct run_target *t)
{
    for (unsigned i = 0; i < o->ntargets; i++) {
        const char *err;
        if (hp_parse_url(o->targets[i], &t[i].url, &err) < 0) {
            fprintf(stderr, "fairbid-loadgen: --target %s: %s\n", o->targets[i], err);
            return -1;
        }
        if (http_resolve(&t[i].url, &t[i].addr, &t[i].addrlen, &err) < 0) {
            fprintf(stderr, "fairbid-loadgen: --target %s: cannot resolve: %s\n", o->targets[i], err);
            return -1;
        }
        if (!o->allow_remote && !http_is_loopback((struct sockaddr *)&t[i].addr)) {
            fprintf(
                stderr,
                "fairbid-loadgen: refusing --target %s: it is not a loopback address. Load generators can "
                "do real harm to someone else's service; pass --allow-remote if you own it.\n",
                o->targets[i]);
            return -1;
        }
        int n = snprintf(t[i].head, sizeof t[i].head,
                         "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fairbid-loadgen\r\n"
                         "Content-Type: application/json\r\nx-openrtb-version: 2.6\r\n",
                         t[i].url.path, t[i].url.hostport);
        if (n < 0 || (size_t)n >= sizeof t[i].head) {
            fprintf(stderr, "fairbid-loadgen: --target %s: too long\n", o->targets[i]);
            return -1;
        }
        t[i].head_len = (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct options o;
    o.connections = 10;
    o.threads = 1;
    o.duration_ns = 10000000000ull;
    o.warmup_ns = 1000000000ull;
    o.timeout_ns = 2000000000ull;
    o.pingpong_ns = 2000000000ull;
    o.pool = 4096;
    o.seed = 1;
    o.users = 100000;
    o.spin_us = 200;
    o.vendor_id = 1000;
    o.compete_median = 1.0;
    o.compete_sigma = 0.5;
    gen_opts_default(&o.gen);
    parse_args(argc, argv, &o);
    apply_generator_options(&o);

    if (o.dump_strings_set) {
        gen_dump_strings(&o.gen, o.dump_strings, stdout);
        return 0;
    }
    if (o.ntargets == 0) die_usage("give at least one --target URL");
    if ((o.rate > 0) == (o.max != 0))
        die_usage("give exactly one of --rate R (open loop) or --max (closed loop)");
    if (o.requests_dir && o.requests_file) die_usage("--requests-dir and --requests-file exclude each other");
    if (o.threads > o.connections) die_usage("--threads must not exceed --connections");
    if (o.busy_poll && o.no_busy_poll) die_usage("--busy-poll and --no-busy-poll exclude each other");

    static struct run_target targets[RUN_MAX_TARGETS];
    if (setup_targets(&o, targets) < 0) return EXIT_USAGE;

    static struct run_cfg cfg;
    cfg.targets = targets;
    cfg.ntargets = o.ntargets;
    cfg.threads = (unsigned)o.threads;
    cfg.connections = (unsigned)o.connections;
    cfg.rate = o.rate;
    cfg.duration_ns = o.duration_ns;
    cfg.warmup_ns = o.warmup_ns;
    cfg.timeout_ns = o.timeout_ns;
    cfg.max_requests = o.requests;
    cfg.spin_ns = o.spin_us * 1000;
    /* Busy-polling while a request is out takes the wake-up of a sleeping thread out of every measured round
     * trip; worth a core at fixed rates, wasted in --max where there is always work (see docs/loadgen.md). */
    cfg.busy_poll = o.busy_poll || (o.rate > 0 && !o.no_busy_poll);
    cfg.exchange = o.exchange;
    cfg.allow_remote = o.allow_remote;
    cfg.seed = o.seed;
    cfg.stop = &g_stop;
    exch_compete_default(&cfg.compete);
    cfg.compete.median = o.compete_median;
    cfg.compete.sigma = o.compete_sigma;
    cfg.compete.second_price = o.second_price;
    char err[512];
    if (o.compete && exch_parse_compete(o.compete, &cfg.compete, err, sizeof err) < 0) {
        fprintf(stderr, "fairbid-loadgen: %s\n", err);
        return EXIT_USAGE;
    }

    static struct traffic traffic;
    traffic.gzip = o.gzip;
    int trc = o.requests_dir    ? traffic_load_dir(&traffic, o.requests_dir, err, sizeof err)
              : o.requests_file ? traffic_load_lines(&traffic, o.requests_file, err, sizeof err)
                                : traffic_generate(&traffic, &o.gen, o.pool, err, sizeof err);
    if (trc < 0) {
        fprintf(stderr, "fairbid-loadgen: %s\n", err);
        return EXIT_USAGE;
    }
    cfg.traffic = &traffic;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The ping-pong floor is measured in two halves, before and after the run, and merged: on a shared
     * machine conditions drift, and bracketing the run compares like with like. */
    static struct run_stats pp, pp2, st;
    bool have_pp = false;
    struct run_cfg pc = cfg;
    pc.ntargets = 1;
    pc.threads = 1;
    pc.connections = 1;
    pc.rate = 0;
    pc.max_requests = 0;
    pc.exchange = false;
    pc.busy_poll = !o.no_busy_poll;
    pc.duration_ns = o.pingpong_ns / 2;
    pc.warmup_ns = o.pingpong_ns / 10;
    if (o.pingpong) {
        if (run_phase(&pc, &pp, NULL, NULL, err, sizeof err) < 0) {
            fprintf(stderr, "fairbid-loadgen: ping-pong phase: %s\n", err);
            return 1;
        }
        have_pp = true;
    }

    struct cpu_sample c0 = {.pid = (int)o.server_pid}, c1 = {.pid = (int)o.server_pid};
    int rc = 0;
    if (!atomic_load(&g_stop) && run_phase(&cfg, &st, on_measure_start, &c0, err, sizeof err) < 0) {
        fprintf(stderr, "fairbid-loadgen: %s\n", err);
        rc = 1;
    }
    sample_cpu(&c1);
    if (have_pp && !atomic_load(&g_stop) && run_phase(&pc, &pp2, NULL, NULL, err, sizeof err) == 0) {
        hist_merge(&pp.lat, &pp2.lat);
        run_stats_fini(&pp2);
    }
    if (o.server_pid && !c1.server_ok)
        fprintf(stderr, "fairbid-loadgen: --server-pid %llu: cannot read /proc/%llu/stat\n",
                (unsigned long long)o.server_pid, (unsigned long long)o.server_pid);

    struct report_in in = {
        .cfg = &cfg,
        .st = &st,
        .pingpong = have_pp ? &pp : NULL,
        .cpu_user_s = tv_s(c1.self.ru_utime) - tv_s(c0.self.ru_utime),
        .cpu_sys_s = tv_s(c1.self.ru_stime) - tv_s(c0.self.ru_stime),
        .have_server = c0.server_ok && c1.server_ok,
        .server_pid = (int)o.server_pid,
        .server_cpu_s = c1.server - c0.server,
        .interrupted = atomic_load(&g_stop) != 0,
    };
    if (st.secs) {
        report_print(stdout, &in);
        fflush(stdout);
        if (o.json && report_json(o.json, &in) < 0) rc = 1;
        if (o.png && report_png(o.png, &in) < 0) rc = 1;
    }
    run_stats_fini(&st);
    if (have_pp) run_stats_fini(&pp);
    traffic_fini(&traffic);
    if (in.interrupted) return EXIT_INTERRUPTED;
    return rc;
}
