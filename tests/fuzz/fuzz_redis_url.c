/* libFuzzer target for the Redis URL parser (store_parse_url in bidder/store.c):
 * redis://[:pw@]host[:port][/db] and sentinel://host:port[,...]/master[/db], from the config file or --redis.
 * Checks: success yields a port in range, a database in 0..1000, NUL-terminated fields inside their buffers
 * and at most STORE_MAX_SENTINELS sentinels; failure yields a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                             \
    do {                                                                                                     \
        if (!(x)) abort();                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *url = malloc(size + 1);
    if (!url) return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    struct store_url u;
    char err[256];
    memset(err, 0, sizeof err);
    int rc = store_parse_url(url, &u, err, sizeof err);
    if (rc == 0) {
        CHECK(memchr(u.host, '\0', sizeof u.host) && memchr(u.password, '\0', sizeof u.password));
        CHECK(memchr(u.master, '\0', sizeof u.master));
        CHECK(u.db >= 0 && u.db <= 1000);
        if (u.sentinel) {
            CHECK(u.nsentinels >= 1 && u.nsentinels <= STORE_MAX_SENTINELS && u.master[0]);
            for (int i = 0; i < u.nsentinels; i++)
                CHECK(u.sentinels[i].port > 0 && u.sentinels[i].port <= 65535 &&
                      memchr(u.sentinels[i].host, '\0', sizeof u.sentinels[i].host));
        } else {
            CHECK(u.port > 0 && u.port <= 65535 && u.host[0]);
        }
    } else {
        CHECK(rc == -1 && err[0] && memchr(err, '\0', sizeof err));
    }
    free(url);
    return 0;
}
