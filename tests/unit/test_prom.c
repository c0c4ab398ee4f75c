/* bidder/obs/prom: the Prometheus writer escapes label values (a campaign id with a quote, backslash or
 * newline must not break the scrape) and every family gets HELP and TYPE (issue 16). */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/obs/prom.h"

static struct evbuffer *g_o;

static void setup(void)
{
    g_o = evbuffer_new();
    cr_assert_not_null(g_o);
}

static void teardown(void)
{
    evbuffer_free(g_o);
}

/* the buffer's contents as a NUL-terminated string (owned by the caller) */
static char *text(void)
{
    size_t n = evbuffer_get_length(g_o);
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    evbuffer_copyout(g_o, s, n);
    s[n] = '\0';
    return s;
}

static void expect(const char *want)
{
    char *got = text();
    cr_assert_str_eq(got, want);
    free(got);
}

TestSuite(prom, .init = setup, .fini = teardown);

Test(prom, label_value_quote_backslash_newline_escaped)
{
    prom_u64(g_o, "fairbid_cap_tokens", PROM_L({"campaign", "a\"b\\c\nd"}), 7);
    expect("fairbid_cap_tokens{campaign=\"a\\\"b\\\\c\\nd\"} 7\n");
}

Test(prom, plain_values_and_several_labels_unchanged)
{
    prom_u64(g_o, "x_total", PROM_L({"code", "200"}, {"class", "consent"}), 0);
    prom_i64(g_o, "x_tokens", PROM_NOL, -3);
    expect("x_total{code=\"200\",class=\"consent\"} 0\nx_tokens -3\n");
}

Test(prom, family_header_always_has_help_and_type)
{
    prom_family(g_o, "a_total", PROM_COUNTER, "Line one\nwith \\ and \"quotes\".");
    prom_family(g_o, "b", PROM_GAUGE, NULL);
    prom_family(g_o, "c_seconds", PROM_HISTOGRAM, "");
    expect("# HELP a_total Line one\\nwith \\\\ and \"quotes\".\n# TYPE a_total counter\n"
           "# HELP b \n# TYPE b gauge\n"
           "# HELP c_seconds \n# TYPE c_seconds histogram\n");
}

Test(prom, one_sample_families)
{
    prom_one_u64(g_o, "up", PROM_GAUGE, "Up.", 1);
    prom_one_double(g_o, "age_seconds", PROM_GAUGE, "Age.", 1.5);
    expect("# HELP up Up.\n# TYPE up gauge\nup 1\n# HELP age_seconds Age.\n# TYPE age_seconds gauge\n"
           "age_seconds 1.5\n");
}

Test(prom, doubles_special_values)
{
    prom_double(g_o, "r", PROM_NOL, 1.0 / 0.0);
    prom_double(g_o, "r", PROM_NOL, -1.0 / 0.0);
    prom_double(g_o, "r", PROM_NOL, 0.0 / 0.0);
    prom_double(g_o, "r", PROM_NOL, -1.0);
    expect("r +Inf\nr -Inf\nr NaN\nr -1\n");
}

Test(prom, histogram_is_cumulative_and_count_is_inf_bucket)
{
    struct metrics_hist w1 = {0}, w2 = {0}, acc = {0};
    metrics_hist_observe(&w1, 500);          /* <= 1 µs */
    metrics_hist_observe(&w2, 1500);         /* <= 2 µs */
    metrics_hist_observe(&w2, 20000000000u); /* > 10 s: +Inf only */
    prom_hist_add(&acc, &w1);
    prom_hist_add(&acc, &w2);
    prom_hist(g_o, "d_seconds", "D.", &acc);
    char *got = text();
    cr_assert(strstr(got, "# HELP d_seconds D.\n# TYPE d_seconds histogram\n") == got);
    cr_assert_not_null(strstr(got, "d_seconds_bucket{le=\"1e-06\"} 1\n"));
    cr_assert_not_null(strstr(got, "d_seconds_bucket{le=\"2e-06\"} 2\n"));
    cr_assert_not_null(strstr(got, "d_seconds_bucket{le=\"10\"} 2\n"));
    cr_assert_not_null(strstr(got, "d_seconds_bucket{le=\"+Inf\"} 3\n"));
    cr_assert_not_null(strstr(got, "d_seconds_sum 20.000002000\n"));
    cr_assert_not_null(strstr(got, "d_seconds_count 3\n"));
    free(got);
}

Test(prom, escape_into_buffer_truncates_like_snprintf)
{
    char b[8];
    cr_assert_eq(prom_escape_label(b, sizeof b, "a\"b"), 4);
    cr_assert_str_eq(b, "a\\\"b");
    cr_assert_eq(prom_escape_label(b, sizeof b, "\\\\\\\\\\"), 10);
    cr_assert_str_eq(b, "\\\\\\\\\\\\\\");
    cr_assert_eq(prom_escape_label(b, 0, "x"), 1);
}

Test(prom, every_status_the_server_emits_has_its_own_label)
{
    static const int codes[] = {200, 204, 400, 404, 405, 408, 413, 415, 431, 500, 501, 503, 505};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int ix = metrics_status_index(codes[i]);
        char want[8];
        snprintf(want, sizeof want, "%d", codes[i]);
        cr_assert_neq(ix, MS_OTHER, "%d counted as other", codes[i]);
        cr_assert_str_eq(metrics_status_label[ix], want);
    }
    cr_assert_eq(metrics_status_index(418), MS_OTHER);
    cr_assert_str_eq(metrics_status_label[MS_OTHER], "other");
}
