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

#define STORE_MAX_SENTINELS 8

struct store_url {
    char host[256]; /* redis://: the server; sentinel://: filled with the primary once resolved */
    int port;
    int db;
    char password[256];
    bool sentinel; /* sentinel://host:port[,host:port...]/master-name */
    char master[128];
    int nsentinels;
    struct {
        char host[256];
        int port;
    } sentinels[STORE_MAX_SENTINELS];
};

/* Parses redis://[:password@]host[:port][/db] or sentinel://host:port[,host:port...]/master-name[/db].
 * Returns 0, or -1 with a message in err. */
int store_parse_url(const char *url, struct store_url *out, char *err, size_t errlen);

/* Resolves a URL to the current primary, synchronously (for CLIs and for reconnects on the control plane):
 * redis:// as written; sentinel:// by asking each Sentinel in turn (SENTINEL get-master-addr-by-name, 200 ms
 * timeout each). Returns 0 with host/port/db/password filled, or -1 with a message in err. */
int store_resolve(const char *url, struct store_url *out, char *err, size_t errlen);

/* The primary the control plane currently talks to (a copy of the resolved URL). Control-plane thread only.
 * Returns -1 when none is known yet. Modules connect to it and reconnect + resync when store_generation()
 * changes (a Sentinel failover or a reconnect to another primary). */
int store_primary(struct store_url *out);
uint64_t store_generation(void);
/* Where a control-plane module should connect now, given the URL it parsed: the current primary (host, port)
 * when the store knows it, else the URL itself for redis://. Returns -1 for a sentinel:// URL whose primary
 * is not known yet (try again on the next tick). Control-plane thread only. */
int store_target(const struct store_url *configured, struct store_url *out);

/* Starts connecting (non-blocking) on base. url empty = disabled. Returns 0 or -1 (bad URL, message in err).
 */
int store_start(struct event_base *base, const char *url, char *err, size_t errlen);
void store_stop(void);

enum store_state store_state(void);
const char *store_state_name(enum store_state s);
/* Last error text (static storage, updated on the main thread; readers may see a slightly old text). */
const char *store_last_error(void);
uint64_t store_reconnects(void);

#endif
