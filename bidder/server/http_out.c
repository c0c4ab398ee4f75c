/* http_out: the native server's reply writer: the connection's output buffer (grown on demand, accounted in
 * max_output_bytes, given back when a large reply emptied it), the status line, Date, Content-Type,
 * Content-Length and Connection headers written in place, and the replies the server answers itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bidder/server/http_int.h"

bool hs_out_reserve(struct hs_conn *c, size_t n)
{
    if (c->out_len + n <= c->out_cap) return true;
    size_t cap = c->out_cap ? c->out_cap : HS_OUT_INIT;
    while (cap < c->out_len + n) cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p) return false;
    mem_acct(&c->s->sh->output, c->out_cap, cap);
    c->out = p;
    c->out_cap = cap;
    return true;
}

void hs_out_shrink(struct hs_conn *c)
{
    if (c->out_cap <= HS_OUT_KEEP) return;
    mem_acct(&c->s->sh->output, c->out_cap, 0);
    free(c->out);
    c->out = NULL;
    c->out_cap = 0;
}

/* Digits of v at o; returns the end. A Content-Length under 10000 (every bid reply) is written in place
 * rather than through a scratch buffer and a copy. */
static char *put_u64(char *o, uint64_t v)
{
    if (v < 10000) {
        /* a digit pair at a time from the 00..99 table: two divisions by a constant, not one per digit */
        static const char dig2[201] =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
            "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
            "8081828384858687888990919293949596979899";
        unsigned x = (unsigned)v;
        if (x < 100) {
            if (x < 10) {
                *o = (char)('0' + x);
                return o + 1;
            }
            memcpy(o, dig2 + 2 * x, 2);
            return o + 2;
        }
        unsigned hi = x / 100, lo = x - 100 * hi;
        if (hi < 10) {
            *o++ = (char)('0' + hi);
        } else {
            memcpy(o, dig2 + 2 * hi, 2);
            o += 2;
        }
        memcpy(o, dig2 + 2 * lo, 2);
        return o + 2;
    }
    char tmp[24];
    int i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(o, tmp + i, sizeof tmp - (size_t)i);
    return o + sizeof tmp - (size_t)i;
}
#define PUT_LIT(o, s) (memcpy((o), (s), sizeof(s) - 1), (o) += sizeof(s) - 1)

const char *hs_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

/* "HTTP/1.1 <status> <reason>\r\n" of the statuses we send, written whole (and its length known) rather than
 * put together per reply. */
struct status_line {
    const char *p;
    size_t n;
};
#define SL(code, reason)                                                                                     \
    {                                                                                                        \
        "HTTP/1.1 " #code " " reason "\r\n", sizeof("HTTP/1.1 " #code " " reason "\r\n") - 1                 \
    }
static struct status_line status_line(int status)
{
    switch (status) {
    case 200:
        return (struct status_line)SL(200, "OK");
    case 204:
        return (struct status_line)SL(204, "No Content");
    default:
        return (struct status_line){NULL, 0};
    }
}
#undef SL

static void refresh_date(struct hs_server *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec == s->date_sec) return;
    s->date_sec = ts.tv_sec;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    s->date_len = strftime(s->date, sizeof s->date, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

void hs_conn_reply(struct hs_conn *c, const struct hs_reply *r, bool head_only, bool http10_keepalive)
{
    struct hs_server *s = c->s;
    if (s->draining) c->close_after = true;
    if (r->close) c->close_after = true;
    struct status_line sl = status_line(r->status);
    const char *reason = sl.p ? NULL : hs_reason(r->status);
    size_t reason_len = reason ? strlen(reason) : 0;
    size_t ct_len = !r->ctype ? 0 : r->ctype_len ? r->ctype_len : strlen(r->ctype);
    size_t ex_len = !r->extra_headers ? 0 : r->extra_len ? r->extra_len : strlen(r->extra_headers);
    size_t body = head_only ? 0 : r->len;
    if (!hs_out_reserve(c, (sl.p ? sl.n : 16 + reason_len) + 64 + 16 + ct_len + 40 + ex_len + 48 + body)) {
        c->close_after = true;
        return;
    }
    refresh_date(s);
    /* written through a local pointer, the length stored once */
    char *o = c->out + c->out_len;
    if (r->status == 200) {
        /* the usual reply's status line as a literal: a copy of known length, no call (the same bytes as
         * status_line(200)) */
        PUT_LIT(o, "HTTP/1.1 200 OK\r\n");
    } else if (sl.p) {
        memcpy(o, sl.p, sl.n);
        o += sl.n;
    } else {
        PUT_LIT(o, "HTTP/1.1 ");
        o = put_u64(o, (uint64_t)r->status);
        *o++ = ' ';
        memcpy(o, reason, reason_len);
        o += reason_len;
        PUT_LIT(o, "\r\n");
    }
    /* the whole Date buffer, a copy of constant size (no call): the reservation above holds 64 bytes for it,
     * and the bytes past date_len are overwritten by what follows or lie past out_len, never sent */
    _Static_assert(sizeof s->date == 64, "the reservation counts 64 bytes for the Date line");
    memcpy(o, s->date, sizeof s->date);
    o += s->date_len;
    if (r->ctype) {
        PUT_LIT(o, "Content-Type: ");
        memcpy(o, r->ctype, ct_len);
        o += ct_len;
        PUT_LIT(o, "\r\n");
    }
    if (r->status != 204 && r->status >= 200) {
        PUT_LIT(o, "Content-Length: ");
        o = put_u64(o, r->len);
        PUT_LIT(o, "\r\n");
    }
    if (ex_len) {
        memcpy(o, r->extra_headers, ex_len);
        o += ex_len;
    }
    if (c->close_after)
        PUT_LIT(o, "Connection: close\r\n");
    else if (http10_keepalive)
        PUT_LIT(o, "Connection: keep-alive\r\n");
    PUT_LIT(o, "\r\n");
    if (body) {
        memcpy(o, r->body, body);
        o += body;
    }
    c->out_len = (size_t)(o - c->out);
    if (r->timed) {
        if (c->ntimed < HS_MAX_TIMED)
            c->timed[c->ntimed++] = c->t_first_ns;
        else if (s->cfg.on_sent)
            s->cfg.on_sent(s->cfg.arg, fb_clock_mono_ns() - c->t_first_ns);
    }
}

void hs_conn_error(struct hs_conn *c, int status, const char *msg, bool linger)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", msg);
    struct hs_reply r = {.status = status,
                         .ctype = "application/json",
                         .body = body,
                         .len = (size_t)(n < 0                  ? 0
                                         : n < (int)sizeof body ? n
                                                                : (int)sizeof body - 1),
                         .close = true};
    hs_conn_reply(c, &r, false, false);
    c->linger = linger;
    if (c->s->cfg.on_error) c->s->cfg.on_error(c->s->cfg.arg, status);
}
