/* file: reading a whole file into memory, once (issue 16: there were 5 copies with different caps and
 * errors). Used by the config, policy and traffic loaders, the CLIs, the benchmarks and the tests. */
#ifndef FAIRBID_COMMON_FILE_H
#define FAIRBID_COMMON_FILE_H

#include <stddef.h>

/* Reads all of path ("-" reads standard input) into a malloc'd buffer that the caller frees, NUL-terminated
 * (buf[*len] == '\0', so text parsers can rely on it), at most cap bytes. Returns 0, or -1 with *out NULL and
 * err naming the file and what went wrong: "PATH: cannot open: REASON", "PATH: larger than N MiB (the cap)",
 * "PATH: read error: REASON", "PATH: out of memory". */
int fb_file_read(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errlen);

#endif
