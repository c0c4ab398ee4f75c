/* report: table, JSON and PNG output; see report.h. Latencies are kept in ns and shown in µs. */
#include "loadgen/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static double achieved_rps(const struct report_in *in)
{
    return in->st->window_s > 0 ? (double)in->st->lat.count / in->st->window_s : 0.0;
}

static double cpu_percent(const struct report_in *in)
{
    return in->st->window_s > 0 ? 100.0 * (in->cpu_user_s + in->cpu_sys_s) / in->st->window_s : 0.0;
}

static double server_us_per_req(const struct report_in *in)
{
    return in->st->lat.count ? in->server_cpu_s * 1e6 / (double)in->st->lat.count : 0.0;
}

/* Seconds to show: the run's, without the empty tail left for answers that arrive while draining. */
static uint32_t shown_secs(const struct run_stats *s)
{
    uint32_t n = s->nsecs;
    while (n > 0 && s->secs[n - 1].n == 0 && (double)(n - 1) >= s->window_s) n--;
    return n;
}

static const double curve_q[] = {0.0,   0.1,   0.25,   0.5,    0.75,    0.9,     0.95,     0.99,
                                 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99999, 0.999999, 1.0};

void report_print(FILE *f, const struct report_in *in)
{
    const struct run_cfg *c = in->cfg;
    const struct run_stats *s = in->st;
    const struct hist *h = &s->lat;
    fprintf(f, "fairbid-loadgen: %s", c->rate > 0 ? "open loop" : "closed loop (--max)");
    if (c->rate > 0) fprintf(f, " at %.1f req/s", c->rate);
    fprintf(f, ", %u thread(s), %u connection(s), %u target(s)%s\n", c->threads, c->connections, c->ntargets,
            in->interrupted ? "  [INTERRUPTED: partial report]" : "");
    fprintf(f, "  window        %.3f s measured after %.3f s warm-up\n", s->window_s,
            (double)c->warmup_ns / 1e9);
    fprintf(f, "  requests      %llu answered in the window; %llu sent in all", (unsigned long long)h->count,
            (unsigned long long)s->sent);
    if (c->rate > 0)
        fprintf(f, "; %llu due but never sent; %llu held back by busy connections",
                (unsigned long long)s->unsent, (unsigned long long)s->queued);
    fprintf(f, "\n");
    if (c->rate > 0)
        fprintf(f, "  rate          achieved %.1f req/s of %.1f target (%.1f%%)\n", achieved_rps(in), c->rate,
                100.0 * achieved_rps(in) / c->rate);
    else
        fprintf(f, "  rate          achieved %.1f req/s\n", achieved_rps(in));
    fprintf(f, "  status       ");
    bool any = false;
    for (int i = 0; i < RUN_MAX_STATUS; i++)
        if (s->status[i]) {
            fprintf(f, " %d: %llu", i, (unsigned long long)s->status[i]);
            any = true;
        }
    fprintf(f, "%s\n", any ? "" : " (none)");
    fprintf(
        f, "  errors        connect %llu, io %llu, parse %llu, timeouts %llu, unanswered at the end %llu\n",
        (unsigned long long)s->err_connect, (unsigned long long)s->err_io, (unsigned long long)s->err_parse,
        (unsigned long long)s->timeouts, (unsigned long long)s->unfinished);
    if (s->retried)
        fprintf(f, "  retried       %llu (a reused connection closed before any byte of the answer)\n",
                (unsigned long long)s->retried);
    fprintf(f, "  bidding       bids %llu (%llu bid objects), no-bids %llu, wins %llu\n",
            (unsigned long long)s->bids, (unsigned long long)s->bids_total, (unsigned long long)s->nobids,
            (unsigned long long)s->wins);
    if (c->exchange)
        fprintf(
            f, "  win notices   sent %llu, ok %llu, failed %llu, refused (not loopback) %llu, dropped %llu\n",
            (unsigned long long)s->notices_sent, (unsigned long long)s->notices_ok,
            (unsigned long long)s->notices_failed, (unsigned long long)s->notices_refused,
            (unsigned long long)s->notices_dropped);
    fprintf(f,
            "  latency (us)  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (min %.1f, mean %.1f)%s\n",
            us(hist_quantile(h, 0.5)), us(hist_quantile(h, 0.9)), us(hist_quantile(h, 0.99)),
            us(hist_quantile(h, 0.999)), us(h->max), us(h->count ? h->min : 0), hist_mean(h) / 1000.0,
            c->rate > 0 ? "  from the due time" : "  from the send time");
    if (c->rate > 0)
        fprintf(f, "  scheduling    send - due: p50 %.1f us, p99 %.1f us, max %.1f us (%llu sends)\n",
                us(hist_quantile(&s->sched, 0.5)), us(hist_quantile(&s->sched, 0.99)), us(s->sched.max),
                (unsigned long long)s->sched.count);
    if (c->rate > 0 && s->wake.count)
        fprintf(f,
                "  wake-ups      sleep end - asked: p50 %.1f us, p99 %.1f us, max %.1f us (%llu sleeps; "
                "a send is late when this passes --spin-us %.0f)\n",
                us(hist_quantile(&s->wake, 0.5)), us(hist_quantile(&s->wake, 0.99)), us(s->wake.max),
                (unsigned long long)s->wake.count, (double)c->spin_ns / 1000.0);
    if (in->pingpong) {
        const struct hist *p = &in->pingpong->lat;
        double pp = us(hist_quantile(p, 0.5));
        fprintf(f, "  ping-pong     p50 %.1f us, p99 %.1f us (1 connection, closed loop, %llu round trips)",
                pp, us(hist_quantile(p, 0.99)), (unsigned long long)p->count);
        if (pp > 0) fprintf(f, "; this run's p50 / ping-pong p50 = %.3f", us(hist_quantile(h, 0.5)) / pp);
        fprintf(f, "\n");
    }
    fprintf(f, "  cpu           fairbid-loadgen %.1f%% of one core (user %.3f s, sys %.3f s)",
            cpu_percent(in), in->cpu_user_s, in->cpu_sys_s);
    if (in->have_server)
        fprintf(f, "; server pid %d: %.2f us CPU per request (%.3f s)", in->server_pid, server_us_per_req(in),
                in->server_cpu_s);
    fprintf(f, "\n  time-line     second  req/s      p99 (us)\n");
    for (uint32_t i = 0; i < shown_secs(s); i++) {
        double p99 = s->secs[i].h ? us(hist_quantile(s->secs[i].h, 0.99)) : 0;
        fprintf(f, "                %6u  %-9llu  %.1f\n", i, (unsigned long long)s->secs[i].n, p99);
    }
    const struct exch_tally *t = s->tally;
    if (t && t->n) {
        fprintf(f, "  %s by campaign and group:\n", c->exchange ? "wins" : "bids");
        fprintf(f, "    %-24s", "campaign");
        for (int g = 0; g < GEN_NGROUPS; g++) fprintf(f, " %20s", gen_group_names[g]);
        fprintf(f, "\n");
        for (unsigned i = 0; i <= EXCH_MAX_CAMPAIGNS; i++) {
            const struct exch_tally_row *r = &t->rows[i];
            if (i == EXCH_MAX_CAMPAIGNS ? !r->campaign[0] : i >= t->n) continue;
            fprintf(f, "    %-24.24s", r->campaign);
            for (int g = 0; g < GEN_NGROUPS; g++) {
                char cell[48];
                if (c->exchange)
                    snprintf(cell, sizeof cell, "%llu/%llu won", (unsigned long long)r->wins[g],
                             (unsigned long long)r->bids[g]);
                else
                    snprintf(cell, sizeof cell, "%llu bids", (unsigned long long)r->bids[g]);
                fprintf(f, " %20s", cell);
            }
            fprintf(f, "\n");
        }
    }
}

static void json_hist(FILE *f, const struct hist *h)
{
    fprintf(f,
            "{\"count\": %llu, \"min\": %.3f, \"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
            "\"p999\": %.3f, \"max\": %.3f}",
            (unsigned long long)h->count, us(h->count ? h->min : 0), hist_mean(h) / 1000.0,
            us(hist_quantile(h, 0.5)), us(hist_quantile(h, 0.9)), us(hist_quantile(h, 0.99)),
            us(hist_quantile(h, 0.999)), us(h->max));
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

int report_json(const char *path, const struct report_in *in)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "fairbid-loadgen: --json %s: %s\n", path, strerror(errno));
        return -1;
    }
    const struct run_cfg *c = in->cfg;
    const struct run_stats *s = in->st;
    fprintf(f, "{\n  \"mode\": \"%s\",\n", c->rate > 0 ? "open" : "closed");
    fprintf(f, "  \"interrupted\": %s,\n", in->interrupted ? "true" : "false");
    fprintf(f, "  \"target_rps\": %.3f,\n  \"achieved_rps\": %.3f,\n", c->rate, achieved_rps(in));
    fprintf(f, "  \"threads\": %u,\n  \"connections\": %u,\n  \"window_s\": %.6f,\n  \"warmup_s\": %.3f,\n",
            c->threads, c->connections, s->window_s, (double)c->warmup_ns / 1e9);
    fprintf(f, "  \"requests\": %llu,\n  \"sent\": %llu,\n  \"unsent\": %llu,\n  \"queued\": %llu,\n",
            (unsigned long long)s->lat.count, (unsigned long long)s->sent, (unsigned long long)s->unsent,
            (unsigned long long)s->queued);
    fprintf(f, "  \"status\": {");
    bool first = true;
    for (int i = 0; i < RUN_MAX_STATUS; i++)
        if (s->status[i]) {
            fprintf(f, "%s\"%d\": %llu", first ? "" : ", ", i, (unsigned long long)s->status[i]);
            first = false;
        }
    fprintf(f, "},\n");
    fprintf(f,
            "  \"errors\": {\"connect\": %llu, \"io\": %llu, \"parse\": %llu, \"timeout\": %llu, "
            "\"unanswered\": %llu},\n",
            (unsigned long long)s->err_connect, (unsigned long long)s->err_io,
            (unsigned long long)s->err_parse, (unsigned long long)s->timeouts,
            (unsigned long long)s->unfinished);
    fprintf(f, "  \"retried\": %llu,\n", (unsigned long long)s->retried);
    fprintf(f, "  \"bids\": %llu,\n  \"bid_objects\": %llu,\n  \"nobids\": %llu,\n  \"wins\": %llu,\n",
            (unsigned long long)s->bids, (unsigned long long)s->bids_total, (unsigned long long)s->nobids,
            (unsigned long long)s->wins);
    fprintf(f,
            "  \"win_notices\": {\"sent\": %llu, \"ok\": %llu, \"failed\": %llu, \"refused\": %llu, "
            "\"dropped\": %llu, \"loss_notices\": %llu},\n",
            (unsigned long long)s->notices_sent, (unsigned long long)s->notices_ok,
            (unsigned long long)s->notices_failed, (unsigned long long)s->notices_refused,
            (unsigned long long)s->notices_dropped, (unsigned long long)s->loss_notices);
    fprintf(f, "  \"latency_us\": ");
    json_hist(f, &s->lat);
    fprintf(f, ",\n  \"latency_from\": \"%s\",\n", c->rate > 0 ? "due_time" : "send_time");
    fprintf(f, "  \"schedule_error_us\": ");
    json_hist(f, &s->sched);
    fprintf(f, ",\n  \"spin_us\": %.3f,\n  \"wake_late_us\": ", (double)c->spin_ns / 1000.0);
    json_hist(f, &s->wake);
    if (in->pingpong) {
        fprintf(f, ",\n  \"pingpong_us\": ");
        json_hist(f, &in->pingpong->lat);
        uint64_t pp = hist_quantile(&in->pingpong->lat, 0.5);
        fprintf(f, ",\n  \"p50_over_pingpong_p50\": %.4f",
                pp ? (double)hist_quantile(&s->lat, 0.5) / (double)pp : 0.0);
    }
    fprintf(f, ",\n  \"cpu\": {\"loadgen_percent\": %.2f, \"loadgen_user_s\": %.4f, \"loadgen_sys_s\": %.4f",
            cpu_percent(in), in->cpu_user_s, in->cpu_sys_s);
    if (in->have_server)
        fprintf(f, ", \"server_pid\": %d, \"server_cpu_s\": %.4f, \"server_cpu_us_per_request\": %.3f",
                in->server_pid, in->server_cpu_s, server_us_per_req(in));
    fprintf(f, "},\n  \"percentile_curve\": [");
    for (size_t i = 0; i < sizeof curve_q / sizeof curve_q[0]; i++)
        fprintf(f, "%s{\"q\": %.6f, \"us\": %.3f}", i ? ", " : "", curve_q[i],
                us(hist_quantile(&s->lat, curve_q[i])));
    fprintf(f, "],\n  \"timeline\": [");
    for (uint32_t i = 0; i < shown_secs(s); i++)
        fprintf(f, "%s{\"second\": %u, \"requests\": %llu, \"p99_us\": %.3f}", i ? ", " : "", i,
                (unsigned long long)s->secs[i].n, s->secs[i].h ? us(hist_quantile(s->secs[i].h, 0.99)) : 0.0);
    fprintf(f, "],\n  \"by_group\": {");
    for (int g = 0; g < GEN_NGROUPS; g++)
        fprintf(f, "%s\"%s\": {\"sent\": %llu, \"answered\": %llu}", g ? ", " : "", gen_group_names[g],
                (unsigned long long)s->group_sent[g], (unsigned long long)s->group_answered[g]);
    fprintf(f, "},\n  \"by_campaign\": [");
    const struct exch_tally *t = s->tally;
    bool firstc = true;
    for (unsigned i = 0; t && i <= EXCH_MAX_CAMPAIGNS; i++) {
        const struct exch_tally_row *r = &t->rows[i];
        if (i == EXCH_MAX_CAMPAIGNS ? !r->campaign[0] : i >= t->n) continue;
        fprintf(f, "%s{\"campaign\": ", firstc ? "" : ", ");
        json_str(f, r->campaign);
        fprintf(f, ", \"groups\": {");
        for (int g = 0; g < GEN_NGROUPS; g++)
            fprintf(f, "%s\"%s\": {\"bids\": %llu, \"wins\": %llu, \"spend_cpm\": %.4f}", g ? ", " : "",
                    gen_group_names[g], (unsigned long long)r->bids[g], (unsigned long long)r->wins[g],
                    r->spend[g]);
        fprintf(f, "}}");
        firstc = false;
    }
    fprintf(f, "]\n}\n");
    int rc = ferror(f) ? -1 : 0;
    if (f != stdout && fclose(f) != 0) rc = -1;
    if (rc < 0) fprintf(stderr, "fairbid-loadgen: --json %s: write failed\n", path);
    return rc;
}

int report_png(const char *path, const struct report_in *in)
{
    const struct run_stats *s = in->st;
    char dir[] = "/tmp/fairbid-loadgen-plot.XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fairbid-loadgen: --png: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    char pcurve[64], ptl[64], pgp[64];
    snprintf(pcurve, sizeof pcurve, "%s/curve.dat", dir);
    snprintf(ptl, sizeof ptl, "%s/timeline.dat", dir);
    snprintf(pgp, sizeof pgp, "%s/plot.gp", dir);
    FILE *a = fopen(pcurve, "w"), *b = fopen(ptl, "w"), *g = fopen(pgp, "w");
    int rc = -1;
    if (!a || !b || !g) goto out;
    /* The curve in HdrHistogram's style: x = 1 / (1 - q) on a log axis, so the tail gets the room. */
    for (int i = 0; i <= 60; i++) {
        double q = 1.0 - pow(10.0, -(double)i / 10.0);
        if (q >= 1.0) break;
        fprintf(a, "%.9f %.3f\n", 1.0 / (1.0 - q), us(hist_quantile(&s->lat, q)));
    }
    for (uint32_t i = 0; i < shown_secs(s); i++)
        fprintf(b, "%u %llu %.3f\n", i, (unsigned long long)s->secs[i].n,
                s->secs[i].h ? us(hist_quantile(s->secs[i].h, 0.99)) : 0.0);
    fprintf(g, "set terminal pngcairo size 1000,900 noenhanced\n");
    fprintf(g, "set output '%s'\n", path);
    fprintf(g, "set multiplot layout 2,1 title 'fairbid-loadgen: %s%s'\n",
            in->cfg->rate > 0 ? "open loop" : "closed loop", in->interrupted ? " (interrupted)" : "");
    fprintf(g, "set logscale x\nset xlabel 'percentile'\nset ylabel 'latency (us)'\nset grid\n");
    fprintf(g, "set xtics ('p0' 1, 'p90' 10, 'p99' 100, 'p99.9' 1000, 'p99.99' 10000, 'p99.999' 100000)\n");
    fprintf(g, "plot '%s' using 1:2 with lines lw 2 title 'latency by percentile'\n", pcurve);
    fprintf(g, "unset logscale x\nset xtics auto\nset xlabel 'second'\nset ylabel 'requests per second'\n");
    fprintf(g, "set y2label 'p99 (us)'\nset y2tics\nset ytics nomirror\n");
    fprintf(g,
            "plot '%s' using 1:2 with linespoints title 'req/s', '' using 1:3 axes x1y2 with linespoints "
            "title 'p99 (us)'\n",
            ptl);
    fprintf(g, "unset multiplot\n");
    fclose(a);
    fclose(b);
    fclose(g);
    a = b = g = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", pgp, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        rc = 0;
    else
        fprintf(stderr, "fairbid-loadgen: --png: gnuplot failed (exit %d; is gnuplot installed?)\n",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
out:
    if (a) fclose(a);
    if (b) fclose(b);
    if (g) fclose(g);
    unlink(pcurve);
    unlink(ptl);
    unlink(pgp);
    rmdir(dir);
    return rc;
}
