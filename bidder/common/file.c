/* file: whole-file reads with a size cap (see file.h). */
#include "bidder/common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void too_large(const char *path, size_t cap, char *err, size_t errlen)
{
    if (cap >= (1u << 20) && cap % (1u << 20) == 0)
        snprintf(err, errlen, "%s: larger than %zu MiB (the cap)", path, cap >> 20);
    else
        snprintf(err, errlen, "%s: larger than %zu bytes (the cap)", path, cap);
}

int fb_file_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* grow geometrically; one byte past the cap is read so a file of exactly cap bytes is accepted and one
     * byte more is refused, without trusting a size that stat would give for a pipe */
    size_t size = 0, room = cap < 65536 ? cap + 1 : 65536;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        char *nb = realloc(buf, room + 1);
        if (!nb) {
            snprintf(err, errlen, "%s: out of memory", path);
            rc = -1;
            break;
        }
        buf = nb;
        size_t n = fread(buf + size, 1, room - size, f);
        size += n;
        if (size > cap) {
            too_large(path, cap, err, errlen);
            rc = -1;
            break;
        }
        if (size < room) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
                rc = -1;
            }
            break;
        }
        room = room > cap / 2 ? cap + 1 : room * 2;
    }
    if (!is_stdin) fclose(f);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return 0;
}
