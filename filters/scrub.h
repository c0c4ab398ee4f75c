/* scrub: what one upstream bidder may see of a bid request (filter mode, issue 17; docs/filter.md).
 *
 * Given the request's bytes, its parse (filters/ortb.h), the consent evaluation made once per request
 * (filters/consent.h, best with CONSENT_VENDOR_DEFERRED) and the upstream's TCF vendor id, decides whether
 * the request is forwarded at all and, if so, writes the body to forward: the original bytes with the removed
 * members and array elements cut out (with their commas, so the result is always valid JSON), device.ip and
 * device.ipv6 truncated, and `tmax` rewritten to the time the upstream really has. Nothing that is kept is
 * re-serialised: no DOM, and an upstream sees the exchange's own bytes.
 *
 * The rules (first that applies; docs/filter.md gives each its source in law or spec):
 *   not forwarded   consent_for_vendor's block_all: no basic-ads consent for the vendor under GDPR, a TC
 *                   string missing or invalid, malformed privacy signals; also a privacy key spelled in
 *                   another case ("Regs", "User.Consent"): fairbid's parser reads JSON keys exactly, but
 *                   many bidders' decoders (Go's encoding/json) match them case-insensitively, so such a
 *                   key is a signal fairbid cannot read and the upstream would.
 *   personal data   when block_personal is set (no consent for the purposes or the vendor, opt-outs, a minor,
 *                   the store, ...), or the jurisdiction's minimum age for targeted ads is not met: removed
 *                   user.id, buyeruid, yob, gender, keywords, kwarray, customdata, data, eids, geo,
 *                   ext.eids, ext.data, ext.buyeruids, any other user member but consent and ext, any
 *                   other user.ext member but the consent signals; device.ifa, dpidsha1, dpidmd5,
 *                   didsha1, didmd5, macsha1, macmd5, identifier keys at any depth of device.ext;
 *                   device.ip truncated to /24 and device.ipv6 to /56 (removed when they do not parse);
 *                   device.geo keeps country, region, regionfips104, type, utcoffset and ipservice only.
 *   precise geo     without personal data, and also when consent_state.precise_geo_ok is false, the
 *                   jurisdiction bans it, or GDPR applies and TCF special feature 1 is not opted in:
 *                   device.geo, user.geo and user.ext.geo keep only the coarse fields above; location
 *                   keys at any depth of device.ext (geo, lat, lon, ...) are removed.
 *   segments        always, consent or not: a user.data[].segment (or user.ext.data[].segment) entry in a
 *                   vulnerability class, or in a sensitive class unless sensitive_consented() allows that
 *                   class for this person (and the jurisdiction does not ban sensitive targeting). A data
 *                   object whose ext.segtax cannot be read once and as an integer is removed whole.
 * Keys are matched as bidders' decoders match them (ASCII case-insensitively, with the two Unicode folds Go
 * applies: U+017F to 's', U+212A to 'k'), so a field cannot slip through under another spelling, and every
 * copy of a repeated key is treated.
 *
 * Pure: no I/O, no malloc; the caller's output buffer and arena. Cost: one pass over the body with the JSON
 * pull parser, plus a look-ahead over each user.data object. */
#ifndef FAIRBID_FILTERS_SCRUB_H
#define FAIRBID_FILTERS_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/arena.h"
#include "filters/consent.h"
#include "filters/jurisdiction.h"
#include "filters/ortb.h"
#include "filters/policy.h"

/* An output buffer of 2 * len + SCRUB_SLACK bytes always suffices: the output is the input less its cuts,
 * plus a `tmax` inserted where the request had none, and replacements that never grow a member to twice its
 * size (`"tmax":0` to `"tmax":99999`, `"ipv6":"::"` to `"ipv6":"0:0:0:0::"`). Most outputs are shorter than
 * the input. */
#define SCRUB_SLACK 32
#define SCRUB_MAX_REMOVED 4096 /* removal records kept (more are counted in nremoved_total) */

enum scrub_action { SCRUB_REMOVED = 0, SCRUB_TRUNCATED = 1 };

/* One removed (or truncated) field. path is static canonical text ("user.buyeruid", "device.geo.lat",
 * "user.data[].segment[]"); i1/i2 are the [] indexes as they were in the request (-1 where none). */
struct scrub_removed {
    const char *path;
    int32_t i1, i2;
    uint16_t reason;          /* enum reason */
    uint8_t action;           /* enum scrub_action */
    const char *truncated_to; /* "/24", "/56" for SCRUB_TRUNCATED */
    struct sv id;             /* a segment's id, else empty */
};

struct scrub_input {
    const char *body; /* the bytes ortb_parse read (must have parsed: ORTB_OK) */
    size_t len;
    const struct ortb_request *req;
    const struct consent_state *cs; /* consent_eval's (deferred or for any vendor: see consent_for_vendor) */
    int32_t tcf_vendor_id;          /* the upstream's */
    bool tcf_strict;
    const struct policy *policy;  /* NULL: no sensitive-category policy (no segment is classified) */
    const struct juris_state *js; /* NULL: no jurisdiction rules */
    int32_t year;                 /* for ages (user.yob) */
    int32_t tmax_ms;              /* what to write as tmax (upstream_budget_ms) */
};

struct scrub_result {
    bool forward;
    int reason;       /* not forwarded: why; forwarded: the reason personal data was removed, or -1 */
    struct sv detail; /* what the reason names (a purpose, a field), may be empty */
    bool personal;    /* personal data was allowed (kept) */
    bool precise_geo; /* precise geolocation was allowed (kept) */
    int geo_reason;   /* why precise geo was removed, or -1 */
    size_t out_len;   /* bytes written to the output buffer (0 when not forwarded) */
    struct scrub_removed *removed; /* in the arena, document order */
    uint32_t nremoved, nremoved_total;
    struct consent_state vendor; /* the consent outcome for this vendor */
};

enum scrub_err {
    SCRUB_OK = 0,
    SCRUB_ESPACE = -1, /* the output does not fit: out_len says how much it needs */
    SCRUB_ENOMEM = -2, /* the arena ran out: nothing may be forwarded */
    SCRUB_EJSON = -3,  /* the body is not the JSON the parse read: nothing may be forwarded */
};

/* Decides and writes into out[0..cap) (2 * in->len + SCRUB_SLACK always suffices). Returns 0 (see
 * r->forward) or a negative enum scrub_err, after which nothing may be forwarded. in->tmax_ms is clamped to
 * 1..99999. */
int scrub_request(const struct scrub_input *in, struct arena *a, char *out, size_t cap,
                  struct scrub_result *r);

/* device.ip truncated to its /24 ("a.b.c.0") into out (16 bytes); false when ip is not dotted-quad IPv4. */
bool scrub_ipv4_24(struct sv ip, char out[16]);
/* device.ipv6 truncated to its /56 into out (48 bytes), "2001:db8:85a3:1200::"; false when not IPv6. */
bool scrub_ipv6_56(struct sv ip, char out[48]);

#endif
