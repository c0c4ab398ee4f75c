/* Unit tests for bidder/common/ (issue 16): the whole-file reader's cap and errors, the clocks' units. */
#include "bidder/common/clock.h"
#include "bidder/common/file.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_bytes(const char *path, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    for (size_t i = 0; i < n; i++) fputc('a' + (int)(i % 26), f);
    fclose(f);
}

Test(file, reads_exactly_the_cap_and_terminates)
{
    char path[] = "/tmp/fb_common_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    /* larger than the first read chunk (64 KiB), so the growth path runs */
    write_bytes(path, 200000);
    char *buf, err[256];
    size_t len;
    cr_assert_eq(fb_file_read(path, 200000, &buf, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(len, 200000);
    cr_assert_eq(buf[len], '\0');
    cr_assert_eq(buf[26], 'a');
    cr_assert_eq(buf[199999], 'a' + (199999 % 26));
    free(buf);
    /* one byte over the cap is refused, naming the file and the cap */
    cr_assert_eq(fb_file_read(path, 199999, &buf, &len, err, sizeof err), -1);
    cr_assert_null(buf);
    cr_assert(strstr(err, path) && strstr(err, "larger than 199999 bytes"), "%s", err);
    unlink(path);
}

Test(file, empty_file_is_an_empty_string)
{
    char path[] = "/tmp/fb_common_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char *buf, err[256];
    size_t len = 99;
    cr_assert_eq(fb_file_read(path, 1u << 20, &buf, &len, err, sizeof err), 0, "%s", err);
    cr_assert_eq(len, 0);
    cr_assert_str_eq(buf, "");
    free(buf);
    /* a cap of 0 refuses any byte */
    write_bytes(path, 10);
    cr_assert_eq(fb_file_read(path, 0, &buf, &len, err, sizeof err), -1);
    cr_assert(strstr(err, "larger than 0 bytes"), "%s", err);
    unlink(path);
}

Test(file, missing_file_names_path_and_reason)
{
    char *buf, err[256];
    size_t len;
    cr_assert_eq(fb_file_read("/nonexistent/fairbid.json", 1u << 20, &buf, &len, err, sizeof err), -1);
    cr_assert_str_eq(err, "/nonexistent/fairbid.json: cannot open: No such file or directory");
}

Test(clock, units_agree)
{
    uint64_t ns = fb_clock_mono_ns();
    int64_t ms = fb_clock_mono_ms();
    /* the same clock read twice, microseconds apart: ms is ns / 1e6 within a millisecond */
    cr_assert_leq((int64_t)(ns / 1000000) - 1, ms);
    cr_assert_leq(ms - (int64_t)(ns / 1000000), 1);
    /* coarse lags by at most a few ticks */
    int64_t c = fb_clock_mono_coarse_ms();
    cr_assert_leq(c, fb_clock_mono_ms() + 1);
    cr_assert_geq(c, ms - 50);
    /* wall time is after 2020 and its coarse form is within a few ticks of it */
    int64_t w = fb_clock_wall_ms();
    cr_assert_gt(w, 1577836800000LL);
    int64_t wc = fb_clock_wall_coarse_ms();
    cr_assert_leq(wc - w, 50);
    cr_assert_leq(w - wc, 50);
    cr_assert_gt(fb_clock_thread_cpu_ns(), 0);
}
