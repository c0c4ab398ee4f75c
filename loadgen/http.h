/* http: the socket-side HTTP pieces fairbid-loadgen needs: name resolution and the loopback safety check. The
 * pure parts (URL parsing, the response parser, chunked bodies) are bidder/http/http_response.h, shared with
 * the server and the CLIs. */
#ifndef FAIRBID_LOADGEN_HTTP_H
#define FAIRBID_LOADGEN_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "bidder/http/http_response.h"

/* Resolves u's host (numeric or by name) into *addr. Returns 0, or -1 with *err set. */
int http_resolve(const struct hp_url *u, struct sockaddr_storage *addr, socklen_t *addrlen, const char **err);
/* True when the address is 127.0.0.0/8, ::1 or an IPv4-mapped loopback. */
bool http_is_loopback(const struct sockaddr *sa);

#endif
