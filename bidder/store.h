/* store: the control plane's Redis connection (hiredis async on the main thread's event_base).
 * For now it keeps one connection alive with a heartbeat and reports its state; the consent mirror and the
 * fairness sync build on it. Workers never call into it: they read `store_state()` (an atomic load). */
#ifndef FAIRBID_BIDDER_STORE_H
#define FAIRBID_BIDDER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

enum store_state {
    STORE_DISABLED = 0, /* no Redis configured */
    STORE_CONNECTING,   /* never connected yet */
    STORE_UP,
    STORE_DOWN, /* was up, lost; reconnecting */
};

struct store_url {
    char host[256];
    int port;
    int db;
    char password[256];
};

/* Parses redis://[:password@]host[:port][/db]. Returns 0, or -1 with a message in err. */
int store_parse_url(const char *url, struct store_url *out, char *err, size_t errlen);

/* Starts connecting (non-blocking) on base. url empty = disabled. Returns 0 or -1 (bad URL, message in err).
 */
int store_start(struct event_base *base, const char *url, char *err, size_t errlen);
void store_stop(void);

enum store_state store_state(void);
const char *store_state_name(enum store_state s);
/* Last error text (static storage, updated on the main thread; readers may see a slightly old text). */
const char *store_last_error(void);
/* Milliseconds since the last successful reply (PONG), or -1 if never. */
int64_t store_last_ok_age_ms(void);
uint64_t store_reconnects(void);

#endif
